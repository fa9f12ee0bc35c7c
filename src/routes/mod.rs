//! HTTP routes, one module per area; each handler extracts, calls the host, and responds.

mod assets;
mod auth;
mod browser;
mod forms;
mod health;
mod live;
mod pages;

use actix_web::web::ServiceConfig;

pub use auth::unconfirmed_logouts;

use crate::host::Host;

/// Shared by every worker: the host, and what only the HTTP side needs.
pub struct AppState {
    pub host: Host,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    pub reloads: crate::hot_reload::Reloads,
    /// Decrypts the session cookie, to name the session a logout ends.
    pub cookie_key: actix_web::cookie::Key,
}

pub fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    live::configure(cfg);
    assets::configure(cfg);
    auth::configure(cfg);
    pages::configure(cfg);
}
