//! Builds the application from settings and a listener it is handed (port 0 in tests):
//! the store, the engine and registry, the middleware, and the routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::BrowserSession;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Logger, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::config::Settings;
use crate::error;
use crate::hot_reload::{Reloads, Watcher};
use crate::routes::{self, AppState};
use crate::script::{Registry, Runner};
use crate::session_store::Store;

pub const SESSION_COOKIE: &str = "runnel_session";

pub struct Application {
    port: u16,
    server: Server,
    store: Store,
    /// Watches the scripts while the application lives (`None` with `--no-watch`).
    _watcher: Option<Watcher>,
}

impl Application {
    /// Binds the configured address and builds the server.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.bind, settings.port))
            .with_context(|| format!("binding {}:{}", settings.bind, settings.port))?;
        Self::build_with_listener(settings, listener)
    }

    pub fn build_with_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let runner = Runner::new(settings.limits.clone()).with_data_dir(&settings.data_dir);
        let registry = Arc::new(Registry::load(runner.engine(), &settings.scripts)?);
        let store = Store::from_settings(&settings.store, settings.session_ttl)?;
        store.spawn_upkeep();
        let key = session_key(&settings);
        let reloads = Reloads::default();
        let watcher = if settings.watch {
            Some(Watcher::start(&settings.scripts, registry.clone(), runner.shared_engine(), reloads.clone())?)
        } else {
            None
        };
        let state = web::Data::new(AppState {
            registry,
            runner,
            store: store.clone(),
            max_body_bytes: settings.max_body_bytes,
            reloads,
        });
        let ttl = actix_web::cookie::time::Duration::seconds(settings.session_ttl.as_secs() as i64);
        let secure = settings.secure_cookie;
        let session_store = store.clone();
        let mut server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(session_store.clone(), key.clone())
                .cookie_name(SESSION_COOKIE.to_owned())
                .cookie_http_only(true)
                .cookie_secure(secure)
                .cookie_same_site(SameSite::Lax)
                .session_lifecycle(BrowserSession::default().state_ttl(ttl))
                .build();
            App::new()
                .app_data(state.clone())
                .wrap(sessions)
                .wrap(from_fn(error::failure_pages))
                .wrap(Logger::new("%r %s %Dms").exclude("/healthz"))
                .configure(routes::configure)
        })
        .listen(listener)?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Self { port, server: server.run(), store, _watcher: watcher })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The store this application uses (tests and benchmarks look inside).
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn session_key(settings: &Settings) -> Key {
    match &settings.session_key {
        Some(bytes) => Key::from(bytes),
        None => {
            tracing::warn!(
                "no session key configured (--session-key / RUNNEL_SESSION_KEY): using a random one; \
                 sessions end when the process restarts and instances cannot share them"
            );
            Key::generate()
        }
    }
}
