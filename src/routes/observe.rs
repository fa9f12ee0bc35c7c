//! The outermost layer of every request: its id (a trusted proxy's `X-Request-Id`, else a new
//! one), a tracing span that puts the id on every log line of the request, the id echoed in
//! the answer, and one log line per answer.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::ConnectionType;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use super::{AppState, client};
use crate::config::DEFAULT_MAX_WAIT;
use crate::request_id::{self, RequestId};
use crate::session_store::waits;

/// Paths polled by machines, answered without a log line.
const QUIET_PATHS: [&str; 2] = ["/healthz", "/metrics"];

pub async fn observe_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = request_id_of(&req);
    let span = tracing::info_span!("request", request_id = %id);
    let (method, path) = (req.method().clone(), req.path().to_owned());
    let app = req.app_data::<web::Data<AppState>>().cloned();
    let base = app.as_ref().map(|app| app.base_path.clone()).unwrap_or_default();
    // The pattern, not the path: page names and file names would make a series per URL. Without
    // the base path, so that the series are the same wherever the host is mounted.
    let pattern = req.match_pattern();
    let route = match pattern.as_deref().and_then(|p| base.strip(p)) {
        Some("") => "/".to_owned(),
        Some(route) => route.to_owned(),
        None => "unmatched".to_owned(),
    };
    let started = Instant::now();
    let max_wait = app.as_ref().map_or(DEFAULT_MAX_WAIT, |app| app.max_wait);
    let bounded = base.clone().scope(waits::bounded_by(max_wait, next.call(req)));
    let answered = id.clone().scope(bounded).instrument(span.clone()).await;
    let (answer, status) = match answered {
        Ok(mut res) => {
            name_the_answer(res.headers_mut(), &id);
            if app.as_ref().is_some_and(|app| *app.draining.borrow()) {
                // Shutting down: the client opens its next connection elsewhere instead of
                // reusing this one while it closes.
                res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
            }
            let status = res.status();
            (Ok(res.map_into_boxed_body()), status)
        }
        Err(err) => {
            // A middleware's failure: its page is rendered here, where the id is still known.
            let mut response = id.clone().sync_scope(|| base.clone().sync_scope(|| err.error_response()));
            name_the_answer(response.headers_mut(), &id);
            let status = response.status();
            (Err(InternalError::from_response(err, response).into()), status)
        }
    };
    crate::metrics::request(method.as_str(), &route, status.as_u16(), started.elapsed());
    if !base.strip(&path).is_some_and(|site_path| QUIET_PATHS.contains(&site_path)) {
        let (status, elapsed_ms) = (status.as_u16(), started.elapsed().as_secs_f64() * 1000.0);
        span.in_scope(|| tracing::info!(%method, %path, status, elapsed_ms, "answered"));
    }
    answer
}

fn name_the_answer(headers: &mut HeaderMap, id: &RequestId) {
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        headers.insert(HeaderName::from_static(request_id::HEADER), value);
    }
}

/// A trusted proxy's sane `X-Request-Id`, else a fresh id: anyone else could pick ids that
/// collide with other requests' and muddle the log.
fn request_id_of(req: &ServiceRequest) -> RequestId {
    let proxied = client::from_trusted_proxy(req.request());
    let sent = req.headers().get(request_id::HEADER).and_then(|v| v.to_str().ok());
    sent.filter(|_| proxied).and_then(RequestId::parse).unwrap_or_else(RequestId::generate)
}
