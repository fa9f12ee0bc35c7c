//! Progressive output: while a run goes on, snapshots of the page drawn so far go to whoever
//! watches the run (the route that streams its answer as patches). Quick runs send nothing:
//! the first snapshot is taken once the run has lasted [`THRESHOLD`].
//!
//! Snapshots are taken at *points*: every few thousand script operations, every 10 ms of a
//! `sleep`, and wherever a widget calls [`flush`] after changing what is on the page in place
//! (a progress bar's handle, a status update, a streamed chunk). A point sends only when the
//! page changed since the last snapshot and [`GAP`] has passed. When the watcher is gone (the
//! viewer left), the next point ends the run.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{EvalAltResult, Position};
use tokio::sync::watch;

use super::context;
use crate::page::Page;

/// How long a run goes before the viewer sees what it drew so far.
pub const THRESHOLD: Duration = Duration::from_millis(100);
/// The shortest time between two snapshots.
pub const GAP: Duration = Duration::from_millis(25);
/// Ends a run whose viewer left (its answer is no longer read).
pub const LEFT: &str = "runnel:viewer-left";

/// The sending end: the host hands it to the run, the route keeps the receiver.
pub type Sender = watch::Sender<Option<Arc<Page>>>;
/// The receiving end: the newest snapshot (older ones are skipped when the reader is slow).
pub type Receiver = watch::Receiver<Option<Arc<Page>>>;

/// A new channel for one run's snapshots.
pub fn channel() -> (Sender, Receiver) {
    watch::channel(None)
}

struct Watched {
    sender: Sender,
    started: Instant,
    last: Option<Instant>,
    /// A cheap fingerprint of the page last sent (see [`fingerprint`]).
    sent: Option<(usize, usize)>,
    /// A widget changed the page in place since the last snapshot.
    dirty: bool,
}

thread_local! {
    static WATCHED: RefCell<Option<Watched>> = const { RefCell::new(None) };
}

/// Sends this thread's run's snapshots to `sender` until dropped.
pub struct Watching(());

impl Watching {
    pub fn install(sender: Sender) -> Self {
        let watched = Watched { sender, started: Instant::now(), last: None, sent: None, dirty: false };
        WATCHED.with(|w| *w.borrow_mut() = Some(watched));
        Self(())
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        WATCHED.with(|w| w.borrow_mut().take());
    }
}

/// Whether a run on this thread is watched (its output can be shown while it goes).
pub fn watched() -> bool {
    WATCHED.with(|w| w.borrow().is_some())
}

/// The marker that ends the run when its viewer left (for the engine's progress hook).
pub fn left() -> Option<&'static str> {
    WATCHED.with(|w| w.borrow().as_ref().filter(|w| w.sender.is_closed()).map(|_| LEFT))
}

/// A widget changed the page in place: the next point sends it, and this one does if due.
pub fn flush(pos: Position) -> Result<(), Box<EvalAltResult>> {
    WATCHED.with(|w| {
        if let Some(w) = w.borrow_mut().as_mut() {
            w.dirty = true;
        }
    });
    point(pos)
}

/// A snapshot when one is due and the page changed; an error that ends the run when the
/// viewer left.
pub fn point(pos: Position) -> Result<(), Box<EvalAltResult>> {
    if let Some(marker) = left() {
        return Err(context::end_run(marker, pos));
    }
    WATCHED.with(|w| {
        let mut w = w.borrow_mut();
        let Some(w) = w.as_mut() else { return };
        let now = Instant::now();
        let due = now.duration_since(w.started) >= THRESHOLD && w.last.is_none_or(|last| now - last >= GAP);
        if !due {
            return;
        }
        // The run's context may be in use when a widget calls back into the script: skip then.
        let unchanged = |page: &Page| !w.dirty && w.sent == Some(fingerprint(page));
        let Some(Some(page)) = context::peek(|c| (!unchanged(&c.page)).then(|| c.page.clone())) else {
            return;
        };
        w.sent = Some(fingerprint(&page));
        w.last = Some(now);
        w.dirty = false;
        w.sender.send_replace(Some(Arc::new(page)));
    });
    Ok(())
}

/// Cheap to compute, and different after anything was added: the number of containers and
/// of elements. In-place changes (same counts) call [`flush`] instead.
fn fingerprint(page: &Page) -> (usize, usize) {
    (page.containers.len(), page.containers.iter().map(|c| c.children.len()).sum())
}
