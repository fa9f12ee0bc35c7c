//! What scripts reach beyond the host: HTTP services on allow-listed hosts (`http`, with its
//! address checks in `address` and streamed answers in `stream`) and the secrets file
//! (`secrets`). Nothing here knows about Rhai; the widgets reach it through the run context.

mod address;
pub mod http;
pub mod secrets;
pub mod stream;

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::HttpSettings;
pub use http::{Body, Http, HttpError, Method, Request, Response};
pub use secrets::{SecretTable, Secrets};
pub use stream::{Chunk, ChunkStream};

/// The HTTP client and the secrets file, shared by every run of the host.
#[derive(Debug)]
pub struct Services {
    pub http: Http,
    /// `None`: this host has no secrets file (the harness).
    pub secrets: Option<Secrets>,
}

impl Services {
    pub fn new(http: HttpSettings, secrets: impl Into<PathBuf>) -> Arc<Self> {
        Arc::new(Self { http: Http::new(http), secrets: Some(Secrets::open(secrets)) })
    }

    /// No host may be called and there are no secrets.
    pub fn none() -> Arc<Self> {
        Arc::new(Self { http: Http::new(HttpSettings::default()), secrets: None })
    }
}

/// What one run uses of the services: its calls so far (against the per-run budget) and the
/// secrets as the run first read them (one run sees one version of the file).
#[derive(Debug)]
pub struct ServiceRun {
    services: Arc<Services>,
    calls: u32,
    secrets: Option<Result<SecretTable, String>>,
}

impl ServiceRun {
    pub fn new(services: Arc<Services>) -> Self {
        Self { services, calls: 0, secrets: None }
    }

    /// The services for one more call, if the run's budget allows it.
    pub fn call(&mut self) -> Result<Arc<Services>, HttpError> {
        let budget = self.services.http.settings().max_calls_per_run;
        if self.calls >= budget {
            return Err(HttpError::Budget(budget));
        }
        self.calls += 1;
        Ok(self.services.clone())
    }

    /// The secrets, read (or re-read, if the file changed) at the run's first use.
    pub fn secrets(&mut self) -> Result<SecretTable, String> {
        let services = &self.services;
        self.secrets
            .get_or_insert_with(|| {
                services.secrets.as_ref().map_or_else(|| Ok(SecretTable::default()), Secrets::current)
            })
            .clone()
    }
}
