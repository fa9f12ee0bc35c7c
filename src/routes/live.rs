//! `GET /_live/{page}`: a server-sent event stream that tells an open page to rerun when its
//! script is saved, or that it was removed. The browser's EventSource reconnects by itself
//! after a server restart.

use std::time::Duration;

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use futures_util::{StreamExt, stream};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use crate::script::registry::Change;

/// A comment line this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/_live/{page}", web::get().to(live));
}

async fn live(page: web::Path<String>, app: web::Data<AppState>) -> HttpResponse {
    let page = page.into_inner();
    let receiver = app.reloads.subscribe();
    let draining = app.draining.clone();
    // Counted while the stream is open: the guard goes with the stream's state.
    let connection = crate::metrics::live_connection();
    // Retry quickly after a restart; the first frame also flushes the headers.
    let hello = web::Bytes::from_static(b"retry: 500\n: connected\n\n");
    let state = Listening { receiver, page, draining, _connection: connection, ended: false };
    let events = stream::unfold(state, |mut state| async move {
        if state.ended {
            return None;
        }
        let Listening { receiver, page, draining, .. } = &mut state;
        loop {
            let change = tokio::select! {
                change = tokio::time::timeout(KEEP_ALIVE, receiver.recv()) => change,
                _ = shutting_down(draining) => {
                    state.ended = true;
                    return Some((Ok(web::Bytes::from_static(b"event: reconnect\ndata: shutting down\n\n")), state));
                }
            };
            let frame = match change {
                Err(_) => ": keep-alive\n\n".to_owned(),
                Ok(Ok(change)) => match frame_for(page, &change) {
                    Some(frame) => frame,
                    None => continue,
                },
                // Missed announcements: rerun to be safe.
                Ok(Err(RecvError::Lagged(_))) => "event: rerun\ndata: lagged\n\n".to_owned(),
                Ok(Err(RecvError::Closed)) => return None,
            };
            return Some((Ok::<_, actix_web::Error>(web::Bytes::from(frame)), state));
        }
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((CACHE_CONTROL, "no-store"))
        // nginx passes each frame on at once even where its buffering is on.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream::once(async move { Ok(hello) }).chain(events))
}

/// What one open stream holds between frames.
struct Listening {
    receiver: tokio::sync::broadcast::Receiver<Change>,
    page: String,
    draining: tokio::sync::watch::Receiver<bool>,
    /// Counts the stream in the metrics while it is open.
    _connection: crate::metrics::LiveConnection,
    /// The last frame (`reconnect`) went out: the stream ends.
    ended: bool,
}

/// Resolves once a graceful shutdown has begun (at once if it has).
async fn shutting_down(draining: &mut tokio::sync::watch::Receiver<bool>) {
    if draining.wait_for(|draining| *draining).await.is_err() {
        // The application is gone without a shutdown: never resolve.
        std::future::pending::<()>().await;
    }
}

/// The frame for one change, if it concerns this page.
fn frame_for(page: &str, change: &Change) -> Option<String> {
    match change {
        Change::Added(name) | Change::Updated(name) if name.as_str() == page => {
            Some(format!("event: rerun\ndata: {name}\n\n"))
        }
        Change::Removed(name) if name.as_str() == page => Some(format!("event: removed\ndata: {name}\n\n")),
        _ => None,
    }
}
