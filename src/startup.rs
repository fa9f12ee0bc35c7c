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
use actix_web::middleware::{Logger, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::auth::{Auth, Credentials, Revocations, credentials};
use crate::config::Settings;
use crate::error;
use crate::host::{Admission, Host};
use crate::hot_reload::{Reloads, Scripts, Watcher};
use crate::routes::{self, AppState};
use crate::script::library::Library;
use crate::script::{Registry, Runner};
use crate::session_store::Store;

pub use crate::session_store::{RememberCookie, SessionCookie, VisitorCookie};

pub struct Application {
    port: u16,
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
        let listener = TcpListener::bind((settings.bind, settings.port))
            .with_context(|| format!("binding {}:{}", settings.bind, settings.port))?;
        Self::build_with_listener(settings, listener)
    }

    pub fn build_with_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let library = Arc::new(Library::for_scripts(&settings.scripts));
        let runner = Runner::new(settings.limits.clone()).with_library(library).with_data_dir(&settings.data_dir);
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
            };
            Some(Watcher::start(&settings.scripts, scripts, reloads.clone())?)
        } else {
            None
        };
        let credentials = settings.credentials.as_deref().map(Credentials::open).transpose()?.map(Arc::new);
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
        let host = Host { registry, runner, store: store.clone(), auth, admission };
        let state = web::Data::new(AppState {
            host,
            max_body_bytes: settings.max_body_bytes,
            reloads,
            cookie_key: key.clone(),
            session_cookie: SessionCookie { secure: settings.secure_cookie },
            remember_cookie: RememberCookie { secure: settings.secure_cookie },
            visitor_cookie: VisitorCookie { secure: settings.secure_cookie },
            content_security_policy: routes::content_security_policy(&settings.web.frame_ancestors)?,
            trusted_proxies: settings.web.trusted_proxies.clone(),
        });
        let cookie = SessionCookie { secure: settings.secure_cookie };
        let session_store = store.clone();
        let mut server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(session_store.clone(), key.clone())
                .cookie_name(cookie.name().to_owned())
                .cookie_http_only(true)
                .cookie_secure(cookie.secure)
                .cookie_path("/".to_owned())
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
                .wrap(Logger::new("%r %s %Dms").exclude("/healthz"))
                .configure(routes::configure)
        })
        .listen(listener)?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
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

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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
