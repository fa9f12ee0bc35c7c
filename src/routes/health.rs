//! `/healthz` (the process answers) and `/readyz` (the session store answers too).

use actix_web::{HttpResponse, web};

use super::AppState;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(|| async { HttpResponse::Ok().body("ok") }));
    cfg.route("/readyz", web::get().to(ready));
}

async fn ready(app: web::Data<AppState>) -> HttpResponse {
    if *app.draining.borrow() {
        return AppError::ShuttingDown.answer(true);
    }
    match app.host.store.ping().await {
        Ok(()) => HttpResponse::Ok().body(format!("ok: {} store", app.host.store.kind())),
        Err(err) => AppError::from(err).answer(true),
    }
}
