//! HTTP routes, one module per area; each handler extracts, calls, and responds.

mod assets;
mod forms;
mod health;
mod live;
mod pages;

use actix_web::web::ServiceConfig;

pub use pages::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    live::configure(cfg);
    assets::configure(cfg);
    pages::configure(cfg);
}
