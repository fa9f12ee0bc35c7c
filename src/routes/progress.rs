//! Answers that stream while a run goes on. A page's script that holds the page (it sent
//! `X-Runnel-Have`) is answered as usual when the run ends quickly; a run that is still going
//! after `script::live::THRESHOLD` and has drawn something is answered with what it drew so far
//! instead, one patch per line (each against the one before it), and then with its own last
//! answer marked `"done"`.
//!
//! The head of a streamed answer goes out before the run ends, so the session cookie cannot
//! change after it: a run that moved the session (a logout inside it) ends its stream with
//! `"reload"`, and the page loads again. (The session's values, which actix-session takes out
//! of the request when the head goes out, are put back for the rest of the interaction.) A viewer who leaves closes the stream; the run sees
//! that at its next point and stops, and the interaction still finishes (state saved, lock
//! given back) on its own.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_session::Session;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use futures_util::stream;
use serde::Serialize;
use tracing::Instrument;

use super::AppState;
use crate::base_path::BasePath;
use crate::error::AppError;
use crate::host::{Answer, Query};
use crate::render::{Have, Patch};
use crate::request_id::RequestId;
use crate::script::live::{self, Snapshot};
use crate::session_store::{TypedSession, waits};

/// The content type of a streamed answer: JSON objects, one per line.
pub const CONTENT_TYPE: &str = "application/vnd.runnel.patch-stream";
/// An empty line this often while nothing changes: a viewer who left is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(2);

/// What one interaction ends with: the host's answer, and whether the session moved to another
/// id during it (a logout).
pub type Ended = (Result<Answer, AppError>, bool);
type Work = Pin<Box<dyn Future<Output = Ended>>>;

/// What rendering the streamed patches needs besides the run's snapshots.
pub struct Watch {
    pub receiver: live::Receiver,
    /// The request's session: its values are put back once the answer's head went out (see
    /// [`Streaming::next_line`]).
    pub session: Session,
    /// What the browser held when it asked.
    pub have: Have,
    pub page: String,
    pub query: Query,
    pub csrf: String,
}

/// A channel for the run's snapshots, when the answer may stream: the page's script holds the
/// page (`have`) and the session exists (its CSRF token is known).
pub fn watch(
    have: Option<&Have>,
    session: &Session,
    page: &str,
    query: &Query,
) -> (Option<live::Sender>, Option<Watch>) {
    let csrf = TypedSession::new(session.clone()).csrf();
    let (Some(have), Some(csrf)) = (have, csrf) else { return (None, None) };
    let (sender, receiver) = live::channel();
    let session = session.clone();
    let watch = Watch { receiver, session, have: have.clone(), page: page.to_owned(), query: query.clone(), csrf };
    (Some(sender), Some(watch))
}

/// Waits for the interaction; a run that shows output before it ends turns the answer into a
/// stream (`Err` holds that response).
pub async fn race(
    app: web::Data<AppState>,
    work: impl Future<Output = Ended> + 'static,
    watch: Option<Watch>,
) -> Result<Ended, HttpResponse> {
    let Some(mut watch) = watch else { return Ok(work.await) };
    let mut work: Work = Box::pin(keep_request_context(&app, work));
    tokio::select! {
        biased;
        ended = &mut work => return Ok(ended),
        _ = tokio::time::sleep(live::THRESHOLD) => {}
    }
    // Past the threshold: the first snapshot (taken already, or the next one) starts the stream.
    if !watch.receiver.has_changed().unwrap_or(false) {
        tokio::select! {
            biased;
            ended = &mut work => return Ok(ended),
            changed = watch.receiver.changed() => if changed.is_err() { return Ok(work.await) },
        }
    }
    let first = watch.receiver.borrow_and_update().clone();
    let values = session_values(&watch.session);
    let streaming = Streaming {
        app,
        work: Some(work),
        first,
        watch: Some(watch.receiver),
        have: watch.have,
        page: watch.page,
        query: watch.query,
        csrf: watch.csrf,
        session: Some((watch.session, values)),
    };
    let lines = stream::unfold(streaming, |mut streaming| async move {
        let line = streaming.next_line().await?;
        Some((Ok::<_, std::convert::Infallible>(web::Bytes::from(line)), streaming))
    });
    Err(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((CACHE_CONTROL, "no-store"))
        // nginx passes each line on at once.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(lines))
}

/// The request's id, base path, store-wait bound and tracing span go with the work, which the
/// stream polls after the handler returned.
fn keep_request_context(
    app: &AppState,
    work: impl Future<Output = Ended> + 'static,
) -> impl Future<Output = Ended> + 'static {
    let (id, base, span) = (RequestId::current(), BasePath::current(), tracing::Span::current());
    let bounded = base.scope(waits::bounded_by(app.max_wait, work));
    async move {
        match id {
            Some(id) => id.scope(bounded).await,
            None => bounded.await,
        }
    }
    .instrument(span)
}

/// A streamed answer between its lines.
struct Streaming {
    app: web::Data<AppState>,
    /// The interaction, until it ended.
    work: Option<Work>,
    /// The snapshot that started the stream, not sent yet.
    first: Option<Arc<Snapshot>>,
    /// The run's snapshots, until the run ended.
    watch: Option<live::Receiver>,
    /// What the browser holds once it applied the lines sent so far.
    have: Have,
    page: String,
    query: Query,
    csrf: String,
    /// The session and its values, until they were put back.
    session: Option<(Session, Vec<(String, serde_json::Value)>)>,
}

enum Next {
    Ended(Ended),
    Snapshot(Option<Arc<Snapshot>>),
    Idle,
}

impl Streaming {
    /// The next line: a patch of the run's progress, an empty keep-alive line, or the last answer.
    async fn next_line(&mut self) -> Option<String> {
        if let Some((session, values)) = self.session.take() {
            // actix-session took the session's values out when the head went out (to write its
            // cookie); the interaction, which goes on, reads them from here.
            for (key, value) in values {
                let _ = session.insert(key, value);
            }
        }
        if let Some(first) = self.first.take()
            && let Some(line) = self.progress_line(&first)
        {
            return Some(line);
        }
        loop {
            let work = self.work.as_mut()?;
            let next = tokio::select! {
                biased;
                ended = work => Next::Ended(ended),
                snapshot = next_snapshot(&mut self.watch) => Next::Snapshot(snapshot),
                _ = tokio::time::sleep(KEEP_ALIVE) => Next::Idle,
            };
            match next {
                Next::Ended(ended) => {
                    self.work = None;
                    return Some(self.last_line(ended));
                }
                Next::Snapshot(Some(snapshot)) => {
                    if let Some(line) = self.progress_line(&snapshot) {
                        return Some(line);
                    }
                }
                Next::Snapshot(None) => self.watch = None,
                Next::Idle => return Some("\n".to_owned()),
            }
        }
    }

    /// The patch from what the browser holds to a snapshot (none when nothing changed).
    fn progress_line(&mut self, snapshot: &Snapshot) -> Option<String> {
        let script = self.app.host.registry.get(&self.page)?;
        let (patch, after) = self.app.host.view(&script, &self.csrf).progress(snapshot, &self.query, &self.have);
        if patch.is_empty() {
            return None;
        }
        self.have = after;
        Some(line(&Line { patch: Some(&patch), ..Line::default() }))
    }

    /// The interaction's own answer, as the stream's last line.
    fn last_line(&self, (result, moved): Ended) -> String {
        let done = Line { done: true, ..Line::default() };
        let answer = match result {
            Ok(_) if moved => return line(&Line { reload: true, ..done }),
            Err(err) => return line(&Line { error: Some(err.streamed_message()), ..done }),
            Ok(answer) => answer,
        };
        let Answer::Run(shown) = answer else { return line(&Line { reload: true, ..done }) };
        if shown.output.denied {
            return line(&Line { reload: true, ..done });
        }
        if let Some(to) = &shown.output.switch_to {
            return line(&Line { location: Some(self.app.base_path.url(to)), ..done });
        }
        let patch = self.app.host.view(&shown.script, &shown.csrf).patch(&shown.output, &shown.query, &self.have);
        let url = shown.new_url.map(|url| self.app.base_path.url(&url));
        line(&Line { patch: Some(&patch), url, ..done })
    }
}

impl Drop for Streaming {
    /// The viewer left before the end: the interaction finishes on its own (the run stops at
    /// its next point, since nobody watches it any more).
    fn drop(&mut self) {
        if let Some(work) = self.work.take() {
            actix_web::rt::spawn(async move {
                let _ = work.await;
            });
        }
    }
}

/// The session's values as they stand, to be put back after the head went out.
fn session_values(session: &Session) -> Vec<(String, serde_json::Value)> {
    let entries = session.entries();
    entries.iter().filter_map(|(key, json)| Some((key.clone(), serde_json::from_str(json).ok()?))).collect()
}

/// The run's next snapshot; `None` once the run ended (never resolves after that).
async fn next_snapshot(watch: &mut Option<live::Receiver>) -> Option<Arc<Snapshot>> {
    let Some(receiver) = watch else { return std::future::pending().await };
    match receiver.changed().await {
        Ok(()) => receiver.borrow_and_update().clone(),
        Err(_) => None,
    }
}

/// One line of a streamed answer.
#[derive(Serialize, Default)]
struct Line<'a> {
    #[serde(flatten)]
    patch: Option<&'a Patch>,
    /// The interaction's own answer: the stream ends here.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    done: bool,
    /// The page must load again (the session moved, or the run's answer is not a patch).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    reload: bool,
    /// `switch_page`: the page to open.
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    /// The page's new address (the run changed the query).
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// The interaction failed after the stream began.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn line(line: &Line) -> String {
    let mut text = serde_json::to_string(line).unwrap_or_else(|_| r#"{"done":true,"reload":true}"#.to_owned());
    text.push('\n');
    text
}
