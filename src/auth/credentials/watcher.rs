//! The credentials file's watcher: reloads the file when something in its folder changes. The
//! folder is watched, not the file: an editor's atomic save (temp file renamed over it) arrives
//! as a `Create`, and a mounted secret swaps a symlink next to the file without naming it. Every
//! change in the folder therefore re-reads the file; an unchanged text costs one small read.
//!
//! The revocation file sits in the same folder (or its own, also watched): every change re-reads
//! it too (another instance may have written it), and an edit that removed users revokes their
//! logins durably.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::{Credentials, CredentialsDoc, Reload};
use crate::auth::Logins;

/// Folds the events of one save (truncate and write, or temp file and rename) into one reload.
const DEBOUNCE: Duration = Duration::from_millis(50);

/// Keeps the watch alive; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl Watcher {
    /// Watches the folder of the credentials file (and of `logins`' revocation file). Reloads
    /// run on the debouncer's thread, never on a request.
    pub fn start(credentials: Arc<Credentials>, logins: Logins) -> anyhow::Result<Self> {
        let folder = folder_of(&credentials.path)?;
        let revocations_folder = folder_of(logins.revocations().path())?;
        let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| match result {
            Ok(events) if events.iter().any(|e| is_change(&e.event.kind)) => {
                reload(&credentials, &logins);
            }
            Ok(_) => {}
            Err(errors) => tracing::warn!(?errors, "watching the credentials file"),
        })?;
        debouncer
            .watch(&folder, RecursiveMode::NonRecursive)
            .with_context(|| format!("watching {} for edits of the credentials file", folder.display()))?;
        if revocations_folder != folder {
            debouncer
                .watch(&revocations_folder, RecursiveMode::NonRecursive)
                .with_context(|| format!("watching {} for the revocation file", revocations_folder.display()))?;
        }
        Ok(Self { _debouncer: debouncer })
    }
}

/// Re-reads both files; users the edit removed have their logins ended durably.
fn reload(credentials: &Credentials, logins: &Logins) {
    let before = credentials.doc();
    if credentials.reload() == Some(Reload::Applied) {
        let removed = removed_users(&before, &credentials.doc());
        if let Err(err) = logins.end_removed(&removed) {
            tracing::error!(error = %format!("{err:#}"), "revocation file not written; held in memory");
        }
    }
    if let Err(err) = logins.revocations().reload() {
        tracing::warn!(error = %format!("{err:#}"), "revocation file not reloaded; keeping what is held");
    }
}

fn removed_users(before: &CredentialsDoc, after: &CredentialsDoc) -> Vec<String> {
    let users = &before.credentials.usernames;
    users.keys().filter(|name| after.user(name).is_none()).cloned().collect()
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
