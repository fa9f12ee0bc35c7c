//! HTTP routes, one module per area; each handler extracts, calls, and responds.

mod assets;
mod auth;
mod forms;
mod health;
mod live;
mod pages;

use actix_web::web::ServiceConfig;

pub use auth::unconfirmed_logouts;
pub use pages::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    live::configure(cfg);
    assets::configure(cfg);
    auth::configure(cfg);
    pages::configure(cfg);
}
