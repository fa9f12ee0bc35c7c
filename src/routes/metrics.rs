//! `GET /metrics`: the process's metrics in Prometheus text format, for a scraper that sends
//! the configured bearer token. Without a token configured the route does not exist (404), so
//! nothing about the host is shown to the public by default.

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL};
use actix_web::{HttpRequest, HttpResponse, web};
use subtle::ConstantTimeEq;

use super::AppState;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

async fn metrics(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Some(token) = &app.metrics_token else { return Err(AppError::PageNotFound) };
    if !bearer_matches(&req, token) {
        return Err(AppError::MetricsToken);
    }
    // A store that cannot count leaves the last count; the rest of the numbers still go out.
    let sessions = app.host.store.session_count().await;
    if let Err(err) = &sessions {
        tracing::warn!(error = %err, "could not count the sessions for the metrics");
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(crate::metrics::encode_with_sessions(sessions.ok())))
}

/// Whether the request carries `Authorization: Bearer <token>` (compared in constant time).
fn bearer_matches(req: &HttpRequest, token: &str) -> bool {
    let sent = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    sent.is_some_and(|sent| bool::from(sent.trim().as_bytes().ct_eq(token.as_bytes())))
}
