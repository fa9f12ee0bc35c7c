//! Builds the application from settings and a listener it is handed (port 0 in tests):
//! the store, the engine and registry, the middleware, and the routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_identity::IdentityMiddleware;
use actix_identity::config::LogoutBehavior;
use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, SessionLifecycle};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::io::ErrorKind;

use crate::auth::{Auth, Credentials, Revocations, credentials};
use crate::config::Settings;
use crate::datasource::Connections;
use crate::error;
use crate::failure::Failure;
use crate::host::{Admission, Host};
use crate::hot_reload::{Reloads, Scripts, Watcher};
use crate::routes::{self, AppState};
use crate::script::library::Library;
use crate::script::{Registry, Runner};
use crate::services::Services;
use crate::session_store::{CookieScope, Store};

pub use crate::session_store::{RememberCookie, SessionCookie, VisitorCookie};

pub struct Application {
    port: u16,
    /// Set to `true` when a graceful shutdown begins (see [`Shutdown`]).
    draining: Arc<tokio::sync::watch::Sender<bool>>,
    shutdown_timeout: std::time::Duration,
    shutdown_drain: std::time::Duration,
    server: Server,
    store: Store,
    /// Watches the scripts while the application lives (`None` with `--no-watch`).
    _watcher: Option<Watcher>,
    /// The credentials file, if the authenticator is on.
    credentials: Option<Arc<Credentials>>,
    /// The durable record of revocations beside it.
    revocations: Option<Arc<Revocations>>,
    /// Watches the credentials file while the application lives, also with `--no-watch`: an
    /// admin's edit (a user removed, a password reset) must end sessions in production too.
    _credentials_watcher: Option<credentials::Watcher>,
}

impl Application {
    /// Binds the configured address and builds the server.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener =
            TcpListener::bind((settings.bind, settings.port)).map_err(|err| bind_failure(&settings, &err))?;
        Self::build_with_listener(settings, listener)
    }

    pub fn build_with_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let library = Arc::new(Library::for_scripts(&settings.scripts));
        let connections = Arc::new(Connections::open(&settings.connections, &settings.data_dir)?);
        let services = Services::new(settings.http.clone(), &settings.secrets);
        let runner = Runner::new(settings.limits.clone())
            .with_library(library)
            .with_data_dir(&settings.data_dir)
            .with_connections(connections)
            .with_services(services)
            .with_media(settings.media.clone());
        let registry = Arc::new(Registry::load(runner.engine(), &settings.scripts)?);
        let store = Store::from_settings(&settings.store, settings.session_ttl, settings.session_lock)?;
        store.spawn_upkeep();
        let key = session_key(&settings);
        let reloads = Reloads::default();
        let watcher = if settings.watch {
            let scripts = Scripts {
                registry: registry.clone(),
                engine: runner.shared_engine(),
                library: runner.library().clone(),
                secrets: Some(settings.secrets.clone()),
            };
            Some(Watcher::start(&settings.scripts, scripts, reloads.clone())?)
        } else {
            None
        };
        let credentials = settings.credentials.as_deref().map(open_credentials).transpose()?.map(Arc::new);
        let auth = credentials.clone().map(|c| Auth::new(c, store.clone(), settings.auth.clone())).transpose()?;
        let credentials_watcher = match (&credentials, &auth) {
            (Some(credentials), Some(auth)) => {
                Some(credentials::Watcher::start(credentials.clone(), auth.logins.clone())?)
            }
            _ => None,
        };
        let revocations = auth.as_ref().map(|a| a.logins.revocations().clone());
        let lifecycle = session_lifecycle(settings.session_ttl);
        let admission = Admission::new(settings.web.new_sessions_per_minute);
        let base_path = settings.web.base_path.clone();
        let host = Host {
            registry,
            runner,
            store: store.clone(),
            auth,
            admission,
            uploads: settings.uploads,
            base_path: base_path.clone(),
            media_key: crate::page::MediaKey::derive(key.signing()),
        };
        let cookies = CookieScope::new(settings.secure_cookie, base_path.clone());
        let (draining, draining_seen) = tokio::sync::watch::channel(false);
        let state = web::Data::new(AppState {
            host,
            max_body_bytes: settings.max_body_bytes,
            reloads,
            cookie_key: key.clone(),
            session_cookie: SessionCookie::new(cookies.clone()),
            remember_cookie: RememberCookie::new(cookies.clone()),
            visitor_cookie: VisitorCookie::new(cookies.clone()),
            content_security_policy: routes::content_security_policy(&settings.web.frame_ancestors)?,
            trusted_proxies: settings.web.trusted_proxies.clone(),
            base_path: base_path.clone(),
            max_wait: settings.max_wait,
            metrics_token: settings.metrics_token.clone(),
            draining: draining_seen,
            theme_css: settings.theme.css(),
        });
        let cookie = SessionCookie::new(cookies);
        let session_store = store.clone();
        let mut server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(session_store.clone(), key.clone())
                .cookie_name(cookie.name().to_owned())
                .cookie_http_only(true)
                .cookie_secure(cookie.secure())
                .cookie_path(cookie.scope.path().to_owned())
                .cookie_domain(None)
                .cookie_same_site(SameSite::Lax)
                .session_lifecycle(lifecycle.clone())
                .build();
            // The host checks idle and absolute timeouts itself (auth::logins), in the store.
            let identity = IdentityMiddleware::builder()
                .logout_behavior(LogoutBehavior::DeleteIdentityKeys)
                .visit_deadline(None)
                .login_deadline(None)
                .build();
            App::new()
                .app_data(state.clone())
                .wrap(identity)
                .wrap(sessions)
                .wrap(from_fn(routes::given_cookies))
                .wrap(from_fn(routes::same_origin_writes))
                .wrap(from_fn(error::failure_pages))
                .wrap(from_fn(routes::unconfirmed_logouts))
                .wrap(from_fn(routes::security_headers))
                .wrap(from_fn(routes::observe_requests))
                .service(routes::under(&base_path))
                .default_service(web::to(routes::not_found))
        })
        // Signals are handled by `Shutdown` (live streams first, then a bounded graceful stop).
        .disable_signals()
        // An answer leaves at once: Nagle's algorithm would hold a short last segment back until
        // the client's delayed ACK (up to 40 ms on Linux) whenever an answer needs two writes.
        .tcp_nodelay(true)
        .shutdown_timeout(settings.shutdown_timeout.as_secs().max(1))
        .listen(listener)?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            draining: Arc::new(draining),
            shutdown_timeout: settings.shutdown_timeout,
            shutdown_drain: settings.shutdown_drain,
            server: server.run(),
            store,
            _watcher: watcher,
            credentials,
            revocations,
            _credentials_watcher: credentials_watcher,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The store this application uses (tests and benchmarks look inside).
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The credentials file's current version and reloads (tests await its watcher).
    pub fn credentials(&self) -> Option<Arc<Credentials>> {
        self.credentials.clone()
    }

    /// The revocation record's current version and reloads (tests await its watcher).
    pub fn revocations(&self) -> Option<Arc<Revocations>> {
        self.revocations.clone()
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// What stops this application gracefully (at a signal, or when a test asks).
    pub fn shutdown(&self) -> Shutdown {
        Shutdown {
            server: self.server.handle(),
            draining: self.draining.clone(),
            timeout: self.shutdown_timeout,
            drain: self.shutdown_drain,
        }
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Why the address cannot be listened on, and what to do about it.
fn bind_failure(settings: &Settings, err: &std::io::Error) -> Failure {
    let address = std::net::SocketAddr::from((settings.bind, settings.port));
    let (problem, advice) = match err.kind() {
        ErrorKind::AddrInUse => (
            format!("cannot listen on {address}: the port is already in use"),
            "stop the program that uses it, or choose another port with --port (RUNNEL_PORT)",
        ),
        ErrorKind::PermissionDenied => (
            format!("cannot listen on {address}: permission denied"),
            "ports below 1024 need privileges: choose a port above 1023 with --port (RUNNEL_PORT)",
        ),
        ErrorKind::AddrNotAvailable => (
            format!("cannot listen on {address}: no network interface has that address"),
            "choose an address of this machine with --bind (RUNNEL_BIND), e.g. 127.0.0.1 or 0.0.0.0",
        ),
        _ => (format!("cannot listen on {address}: {err}"), "check --bind and --port (RUNNEL_BIND, RUNNEL_PORT)"),
    };
    Failure::new(problem, advice)
}

/// The credentials file, or what is wrong with it and how to fix it.
fn open_credentials(path: &std::path::Path) -> anyhow::Result<Credentials> {
    Credentials::open(path).map_err(|err| {
        Failure::new(
            format!("the credentials file cannot be used: {err:#}"),
            "fix the file (Streamlit-Authenticator's config.yaml layout, password hashes from \
             `runnel hash-password`), or name another one with --credentials (RUNNEL_CREDENTIALS)",
        )
        .into()
    })
}

/// A graceful stop: stop accepting connections, tell live pages to reconnect, let in-flight
/// requests finish (each answer closes its connection, so kept-alive clients reconnect
/// elsewhere), and stop within the timeout even if some do not.
#[derive(Clone)]
pub struct Shutdown {
    server: actix_web::dev::ServerHandle,
    draining: Arc<tokio::sync::watch::Sender<bool>>,
    timeout: std::time::Duration,
    drain: std::time::Duration,
}

impl Shutdown {
    /// Drains, then stops: first every answer closes its connection, `/readyz` says 503 and
    /// live pages are told to reconnect, while requests still arriving (also on idle kept-alive
    /// connections) are answered; after the drain time new connections are refused and the
    /// requests in flight get the timeout to finish.
    pub async fn begin(&self) {
        tracing::info!(drain_ms = self.drain.as_millis() as u64, "shutting down: draining");
        self.draining.send_replace(true);
        tokio::time::sleep(self.drain).await;
        tracing::info!(timeout_secs = self.timeout.as_secs(), "no longer accepting; finishing in-flight requests");
        self.server.stop(true).await;
        tracing::info!("stopped");
    }

    /// Waits for SIGTERM or Ctrl-C, then shuts down.
    pub async fn on_signal(self) {
        let interrupt = tokio::signal::ctrl_c();
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = interrupt => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only Ctrl-C stops gracefully");
                let _ = interrupt.await;
            }
        }
        self.begin().await;
    }
}

/// Always a browser-session cookie: "remember me" is a cookie of its own
/// (`crate::auth::remember`). The store keeps a session for `session_ttl` after its last use.
fn session_lifecycle(session_ttl: std::time::Duration) -> SessionLifecycle {
    let ttl = actix_web::cookie::time::Duration::seconds(session_ttl.as_secs() as i64);
    BrowserSession::default().state_ttl(ttl).into()
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
