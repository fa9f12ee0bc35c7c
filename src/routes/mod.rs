//! HTTP routes, one module per area; each handler extracts, calls the host, and responds.

mod assets;
mod auth;
mod browser;
mod client;
mod forms;
mod headers;
mod health;
mod live;
mod media;
mod metrics;
mod observe;
mod origin;
mod pages;
mod progress;
mod remember;

use actix_web::web::{self, ServiceConfig};

use crate::base_path::BasePath;

pub use auth::unconfirmed_logouts;
pub use headers::{content_security_policy, security_headers};
pub use observe::observe_requests;
pub use origin::same_origin_writes;
pub use remember::given_cookies;

use crate::host::Host;

/// Shared by every worker: the host, and what only the HTTP side needs.
pub struct AppState {
    pub host: Host,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    pub reloads: crate::hot_reload::Reloads,
    /// Decrypts the session cookie, to name the session a logout ends.
    pub cookie_key: actix_web::cookie::Key,
    /// The session cookie's name and `Secure` flag.
    pub session_cookie: crate::session_store::SessionCookie,
    /// The remember-me cookie's name and `Secure` flag.
    pub remember_cookie: crate::session_store::RememberCookie,
    /// The visitor cookie's name and `Secure` flag.
    pub visitor_cookie: crate::session_store::VisitorCookie,
    /// The Content-Security-Policy of every HTML answer, built once from the settings.
    pub content_security_policy: actix_web::http::header::HeaderValue,
    /// Peers whose `X-Forwarded-*` headers are believed (`crate::routes::client`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The path prefix every route answers under and every URL carries (`--base-path`).
    pub base_path: BasePath,
    /// The longest one request waits for the store (`crate::session_store::waits`).
    pub max_wait: std::time::Duration,
    /// The bearer token `/metrics` asks for; `None` turns `/metrics` off.
    pub metrics_token: Option<String>,
    /// Becomes `true` when a graceful shutdown begins: answers close their connection and
    /// live streams tell their pages to reconnect (to another instance).
    pub draining: tokio::sync::watch::Receiver<bool>,
    /// `/static/theme.css`: the `[theme]` of the settings as CSS custom properties.
    pub theme_css: String,
}

/// Every route, under the base path (the bare prefix, `/apps/sales`, opens the default page
/// like `/apps/sales/`).
pub fn under(base: &BasePath) -> actix_web::Scope {
    let scope = web::scope(base.as_str()).configure(configure);
    if base.is_root() { scope } else { scope.route("", web::get().to(pages::index)) }
}

fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    metrics::configure(cfg);
    live::configure(cfg);
    assets::configure(cfg);
    media::configure(cfg);
    auth::configure(cfg);
    pages::configure(cfg);
}

/// Anything outside the routes (outside the base path too): the page-not-found answer.
pub async fn not_found() -> actix_web::HttpResponse {
    crate::error::AppError::PageNotFound.answer(false)
}
