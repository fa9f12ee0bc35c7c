//! The credentials file's watcher: reloads the file when something in its folder changes. The
//! folder is watched, not the file: an editor's atomic save (temp file renamed over it) arrives
//! as a `Create`, and a mounted secret swaps a symlink next to the file without naming it. Every
//! change in the folder therefore re-reads the file; an unchanged text costs one small read.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::Credentials;

/// Folds the events of one save (truncate and write, or temp file and rename) into one reload.
const DEBOUNCE: Duration = Duration::from_millis(50);

/// Keeps the watch alive; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl Watcher {
    /// Watches the folder of the credentials file. Reloads run on the debouncer's thread, never
    /// on a request.
    pub fn start(credentials: Arc<Credentials>) -> anyhow::Result<Self> {
        let folder = folder_of(&credentials.path)?;
        let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| match result {
            Ok(events) if events.iter().any(|e| is_change(&e.event.kind)) => {
                credentials.reload();
            }
            Ok(_) => {}
            Err(errors) => tracing::warn!(?errors, "watching the credentials file"),
        })?;
        debouncer
            .watch(&folder, RecursiveMode::NonRecursive)
            .with_context(|| format!("watching {} for edits of the credentials file", folder.display()))?;
        Ok(Self { _debouncer: debouncer })
    }
}

fn folder_of(path: &Path) -> anyhow::Result<std::path::PathBuf> {
    let folder = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    folder.canonicalize().with_context(|| format!("finding the folder of {}", path.display()))
}

/// Anything but an open, read or close-after-reading. Reads must not count: the reload's own
/// read would trigger the next reload, forever.
fn is_change(kind: &EventKind) -> bool {
    !matches!(kind, EventKind::Access(access) if !matches!(access, AccessKind::Close(AccessMode::Write)))
}
