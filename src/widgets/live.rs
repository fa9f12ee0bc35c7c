//! Progressive output: while a run goes on, snapshots of the page drawn so far go to whoever
//! watches the run (the route that streams its answer as patches once the run has lasted
//! [`THRESHOLD`]; a quicker run answers whole and its snapshots are dropped).
//!
//! Snapshots are taken at *points*. Where a widget says the page changed ([`flush`]: a
//! `sleep` begins, a progress bar moves, a streamed chunk arrives) a snapshot is taken at once.
//! Periodic points (every few thousand script operations, every 10 ms of a `sleep`) take one
//! only past [`THRESHOLD`], at most every [`GAP`], and only when elements were added. When the
//! watcher is gone (the viewer left), the next point ends the run.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{EvalAltResult, Position};
use tokio::sync::watch;

use super::context;
use crate::page::Page;
use crate::session_state::Viewer;

/// How long a run goes before its answer streams what it drew so far.
pub const THRESHOLD: Duration = Duration::from_millis(100);
/// The shortest time between two snapshots.
pub const GAP: Duration = Duration::from_millis(25);
/// Ends a run whose viewer left (its answer is no longer read).
pub const LEFT: &str = "runnel:viewer-left";

/// The page as a run has drawn it so far, and who it is drawn for (the navigation depends on it).
#[derive(Debug)]
pub struct Snapshot {
    pub page: Page,
    pub viewer: Option<Viewer>,
}

/// The sending end: the host hands it to the run, the route keeps the receiver.
pub type Sender = watch::Sender<Option<Arc<Snapshot>>>;
/// The receiving end: the newest snapshot (older ones are skipped when the reader is slow).
pub type Receiver = watch::Receiver<Option<Arc<Snapshot>>>;

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
}

thread_local! {
    static WATCHED: RefCell<Option<Watched>> = const { RefCell::new(None) };
}

/// Sends this thread's run's snapshots to `sender` until dropped.
pub struct Watching(());

impl Watching {
    pub fn install(sender: Sender) -> Self {
        let watched = Watched { sender, started: Instant::now(), last: None, sent: None };
        WATCHED.with(|w| *w.borrow_mut() = Some(watched));
        Self(())
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        WATCHED.with(|w| w.borrow_mut().take());
    }
}

/// The marker that ends the run when its viewer left (for the engine's progress hook).
pub fn left() -> Option<&'static str> {
    WATCHED.with(|w| w.borrow().as_ref().filter(|w| w.sender.is_closed()).map(|_| LEFT))
}

/// The page changed (in place, or before a pause): a snapshot now.
pub fn flush(pos: Position) -> Result<(), Box<EvalAltResult>> {
    take(pos, true)
}

/// A periodic point: a snapshot when one is due and elements were added; an error that ends
/// the run when the viewer left.
pub fn point(pos: Position) -> Result<(), Box<EvalAltResult>> {
    take(pos, false)
}

fn take(pos: Position, changed: bool) -> Result<(), Box<EvalAltResult>> {
    if let Some(marker) = left() {
        return Err(context::end_run(marker, pos));
    }
    WATCHED.with(|w| {
        let mut w = w.borrow_mut();
        let Some(w) = w.as_mut() else { return };
        let now = Instant::now();
        let due = now.duration_since(w.started) >= THRESHOLD && w.last.is_none_or(|last| now - last >= GAP);
        if !changed && !due {
            return;
        }
        // The run's context may be in use when a widget calls back into the script: skip then.
        let sent = w.sent;
        let taken = context::peek(|c| {
            (changed || sent != Some(fingerprint(&c.page)))
                .then(|| Snapshot { page: c.page.clone(), viewer: c.auth.viewer.clone() })
        });
        let Some(Some(snapshot)) = taken else { return };
        w.sent = Some(fingerprint(&snapshot.page));
        w.last = Some(now);
        w.sender.send_replace(Some(Arc::new(snapshot)));
    });
    Ok(())
}

/// Cheap to compute, and different after anything was added: the number of containers and
/// of elements. In-place changes (same counts) call [`flush`] instead.
fn fingerprint(page: &Page) -> (usize, usize) {
    (page.containers.len(), page.containers.iter().map(|c| c.children.len()).sum())
}
