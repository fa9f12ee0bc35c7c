//! The file watcher: recompiles changed scripts once per change and tells open browsers to
//! rerun. It never runs a script itself. Watching the folder (not single files) catches every
//! editor's save style: in-place writes, atomic renames, backups, creates and deletes. A saved
//! module in `lib/` is forgotten (the next import reads it again) and every page that imports
//! it, directly or through other modules, is told to rerun. A changed secrets file makes every
//! page rerun (the run reads the file again), as Streamlit does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use rhai::Engine;
use tokio::sync::broadcast;

use crate::script::Registry;
use crate::script::library::{Library, imports_in};
use crate::script::registry::Change;

/// Short enough that a save shows in the browser in well under 30 ms; long enough to fold the
/// several events of one atomic save into one recompile.
const DEBOUNCE: Duration = Duration::from_millis(5);

/// Keeps the watch alive; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

/// Where changes are announced: one channel that every open page listens to.
#[derive(Clone)]
pub struct Reloads(broadcast::Sender<Change>);

impl Default for Reloads {
    fn default() -> Self {
        Self(broadcast::channel(256).0)
    }
}

impl Reloads {
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.0.subscribe()
    }

    fn announce(&self, change: Change) {
        // No open page means no receiver; that is fine.
        let _ = self.0.send(change);
    }
}

/// What the watcher keeps current: the compiled pages, and the modules they import.
pub struct Scripts {
    pub registry: Arc<Registry>,
    pub engine: Arc<Engine>,
    pub library: Arc<Library>,
    /// The secrets file, if it is watched too.
    pub secrets: Option<PathBuf>,
}

impl Scripts {
    /// Applies one changed path: a page is recompiled, a module makes its importers rerun.
    fn changed(&self, path: &Path, reloads: &Reloads) {
        if self.secrets.as_deref() == Some(path) {
            tracing::info!("secrets file changed; every page reruns");
            for page in self.registry.all() {
                reloads.announce(Change::Updated(page.name.clone()));
            }
        } else if let Some(module) = self.library.module_of(path) {
            self.library.forget();
            let affected = self.library.affected_by(&module);
            for page in self.registry.all() {
                if imports_in(&page.source).iter().any(|i| affected.contains(&i.name)) {
                    tracing::info!(page = %page.name, module, "module changed; its importer reruns");
                    reloads.announce(Change::Updated(page.name.clone()));
                }
            }
        } else if let Some(change) = self.registry.reload(&self.engine, path) {
            tracing::info!(?change, "script reloaded");
            reloads.announce(change);
        }
    }
}

impl Watcher {
    /// Watches the scripts folder (or the folder of a single script), and its `lib/` folder.
    pub fn start(scripts: &Path, watched: Scripts, reloads: Reloads) -> anyhow::Result<Self> {
        let only: Option<PathBuf> = scripts.is_file().then(|| scripts.to_owned());
        let folder = if scripts.is_file() { scripts.parent().unwrap_or(Path::new(".")) } else { scripts };
        let folder = folder.canonicalize().with_context(|| format!("watching {}", folder.display()))?;
        let only = only.and_then(|f| f.canonicalize().ok());
        let lib = watched.library.folder().map(Path::to_owned);
        let mut watched = watched;
        watched.secrets = watched.secrets.as_deref().and_then(absolute);
        let secrets_folder = watched.secrets.as_deref().and_then(Path::parent).map(Path::to_owned);
        let secrets = watched.secrets.clone();
        let mut debouncer =
            new_debouncer(DEBOUNCE, Some(Duration::from_millis(2)), move |result: DebounceEventResult| {
                let Ok(events) = result else { return };
                // Reads (ours included: `reload` opens the file) are not changes; a reload on
                // them would loop while a broken save is pending.
                let changes = events.into_iter().filter(|e| !is_read(&e.event.kind));
                let mut paths: Vec<PathBuf> = changes.flat_map(|e| e.event.paths).collect();
                paths.sort();
                paths.dedup();
                let is_module = |p: &PathBuf| watched.library.module_of(p).is_some();
                let is_secrets = |p: &PathBuf| secrets.as_ref() == Some(p);
                let wanted = |p: &&PathBuf| is_secrets(p) || is_module(p) || only.as_ref().is_none_or(|o| o == *p);
                for path in paths.iter().filter(wanted) {
                    watched.changed(path, &reloads);
                }
            })?;
        debouncer.watch(&folder, RecursiveMode::NonRecursive)?;
        if let Some(lib) = lib {
            debouncer.watch(&lib, RecursiveMode::NonRecursive)?;
        }
        if let Some(other) = secrets_folder.filter(|f| *f != folder) {
            debouncer.watch(&other, RecursiveMode::NonRecursive)?;
        }
        Ok(Self { _debouncer: debouncer })
    }
}

/// The path as the watcher reports it (its folder resolved), whether the file exists yet or not;
/// `None` when its folder does not exist.
fn absolute(path: &Path) -> Option<PathBuf> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(folder.canonicalize().ok()?.join(path.file_name()?))
}

/// An open, read or close-after-reading of a file: not a change to it.
fn is_read(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Access(access) if !matches!(access, AccessKind::Close(AccessMode::Write)))
}
