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
    // Counted while the stream is open: the guard goes with the stream's state.
    let connection = crate::metrics::live_connection();
    // Retry quickly after a restart; the first frame also flushes the headers.
    let hello = web::Bytes::from_static(b"retry: 500\n: connected\n\n");
    let events = stream::unfold((receiver, page, connection), |(mut receiver, page, connection)| async move {
        loop {
            let frame = match tokio::time::timeout(KEEP_ALIVE, receiver.recv()).await {
                Err(_) => ": keep-alive\n\n".to_owned(),
                Ok(Ok(change)) => match frame_for(&page, &change) {
                    Some(frame) => frame,
                    None => continue,
                },
                // Missed announcements: rerun to be safe.
                Ok(Err(RecvError::Lagged(_))) => "event: rerun\ndata: lagged\n\n".to_owned(),
                Ok(Err(RecvError::Closed)) => return None,
            };
            return Some((Ok::<_, actix_web::Error>(web::Bytes::from(frame)), (receiver, page, connection)));
        }
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((CACHE_CONTROL, "no-store"))
        .streaming(stream::once(async move { Ok(hello) }).chain(events))
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
