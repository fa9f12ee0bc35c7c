//! The registry of pages: each script compiled once, cached as an `Arc<AST>`, and looked up
//! by page name. A script that does not compile is kept with its error, to show in its page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use anyhow::{Context, bail};
use rhai::{AST, Engine};

use super::diagnostic;
use super::meta::PageMeta;
use super::name::PageName;
use crate::page::{PageEntry, ScriptError};

/// One script as the host serves it.
#[derive(Debug)]
pub struct CompiledScript {
    pub name: PageName,
    pub path: PathBuf,
    pub source: String,
    /// The page's header block (title, icon, section, access); the default when it has errors.
    pub meta: PageMeta,
    pub program: Result<Arc<AST>, ScriptError>,
    /// How the navigation shows the page (see [`CompiledScript::title`]), made once.
    title: String,
    /// A save that did not compile: the last good program keeps serving, and the page shows
    /// this error above its output until the next good save.
    pub pending_error: Option<ScriptError>,
}

impl CompiledScript {
    /// Reads the header block, then compiles. A bad header is an error like a compile error,
    /// and such a page does not run (its access could not be known).
    pub fn compile(engine: &Engine, name: PageName, path: PathBuf, source: String) -> Self {
        let (meta, program) = match PageMeta::parse(&source) {
            Ok(meta) => {
                let program = engine
                    .compile(&source)
                    .map(Arc::new)
                    .map_err(|err| diagnostic::from_parse_error(name.as_str(), &source, &err));
                (meta, program)
            }
            Err(err) => (PageMeta::default(), Err(diagnostic::at_line(name.as_str(), &source, err.line, err.message))),
        };
        let title = meta.title.clone().unwrap_or_else(|| name.label());
        Self { name, path, source, meta, program, title, pending_error: None }
    }

    /// How the navigation shows the page: its `title:`, else a label made from its name.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Navigation order: `order:` first (pages without one last), then the file name.
    fn sort_key(&self) -> (i64, &Path) {
        (self.meta.order.unwrap_or(i64::MAX), &self.path)
    }

    /// Compiles source text that has no file (tests, benchmarks).
    pub fn from_source(engine: &Engine, name: PageName, source: &str) -> Self {
        Self::compile(engine, name, PathBuf::new(), source.to_owned())
    }
}

pub struct Registry {
    /// Pages in navigation order (the order of their file names). Held only to look up or to
    /// swap a compiled script, never while compiling, so page requests do not wait on a compile.
    scripts: RwLock<Vec<Arc<CompiledScript>>>,
    /// Serializes reloads. Each reads its file and compiles while holding it, so the reload that
    /// swaps last is the one that read the newest source: an older compile never replaces a newer
    /// one. Today the only caller is the watcher's callback, which runs on the debouncer's one
    /// thread, so this is never contended; it keeps that true for any later caller.
    reloading: Mutex<()>,
    /// Every page as `page_link` and `switch_page` see it, made again when the list changes.
    entries: RwLock<Arc<Vec<PageEntry>>>,
}

impl Registry {
    /// Compiles every `.rhai` file in `path` (a folder, or one script).
    pub fn load(engine: &Engine, path: &Path) -> anyhow::Result<Self> {
        // Absolute paths, so they match the paths the file watcher reports.
        let path = path.canonicalize().with_context(|| format!("reading the scripts at {}", path.display()))?;
        let files = script_files(&path)?;
        let mut scripts = Vec::new();
        let mut seen = BTreeMap::new();
        for file in files {
            let Some(name) = page_name_of(&file) else {
                tracing::warn!(file = %file.display(), "skipping a script whose name is not a valid page name");
                continue;
            };
            if let Some(other) = seen.insert(name.clone(), file.clone()) {
                bail!("{} and {} would both be the page /{name}", other.display(), file.display());
            }
            let source = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            scripts.push(Arc::new(CompiledScript::compile(engine, name, file, source)));
        }
        scripts.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Ok(Self::from_compiled(scripts))
    }

    /// A registry holding the given scripts (tests, benchmarks).
    pub fn from_scripts(scripts: Vec<CompiledScript>) -> Self {
        Self::from_compiled(scripts.into_iter().map(Arc::new).collect())
    }

    fn from_compiled(scripts: Vec<Arc<CompiledScript>>) -> Self {
        let entries = RwLock::new(entries_of(&scripts));
        Self { scripts: RwLock::new(scripts), reloading: Mutex::new(()), entries }
    }

    /// Every page as `page_link` and `switch_page` see it (hidden ones too: they have URLs).
    pub fn entries(&self) -> Arc<Vec<PageEntry>> {
        crate::sync::read(&self.entries).clone()
    }

    pub fn get(&self, name: &str) -> Option<Arc<CompiledScript>> {
        self.read().iter().find(|s| s.name.as_str() == name).cloned()
    }

    /// The page `/` opens: the first page that says `default: true`, else the first page.
    pub fn default_page(&self) -> Option<Arc<CompiledScript>> {
        let scripts = self.read();
        scripts.iter().find(|s| s.meta.default).or_else(|| scripts.first()).cloned()
    }

    /// Page names in navigation order.
    pub fn names(&self) -> Vec<PageName> {
        self.read().iter().map(|s| s.name.clone()).collect()
    }

    pub fn all(&self) -> Vec<Arc<CompiledScript>> {
        self.read().clone()
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<Arc<CompiledScript>>> {
        crate::sync::read(&self.scripts)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Vec<Arc<CompiledScript>>> {
        crate::sync::write(&self.scripts)
    }
}

/// What a reload did to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added(PageName),
    Updated(PageName),
    Removed(PageName),
}

impl Registry {
    /// Re-reads one script file after it changed on disk: compiles it once, swaps it in, or
    /// drops it if the file is gone. A source that does not compile keeps the last good
    /// program serving. `None` when nothing changed or the path is not a page. Reading and
    /// compiling happen outside the scripts' lock: pages are served meanwhile.
    pub fn reload(&self, engine: &Engine, path: &Path) -> Option<Change> {
        let name = page_name_of(path)?;
        let _reloading = crate::sync::lock(&self.reloading);
        let source = if path.is_file() { std::fs::read_to_string(path).ok() } else { None };
        // Only reloads change the list, and they wait for one another: `old` stays current.
        let old = self.get(name.as_str());
        match (source, old) {
            (None, None) => None,
            (None, Some(old)) if old.path != path => None,
            (None, Some(_)) => {
                let mut scripts = self.write();
                scripts.retain(|s| s.name != name);
                self.listed(&scripts);
                Some(Change::Removed(name))
            }
            (Some(source), Some(old)) => {
                if old.source == source && old.pending_error.is_none() && old.path == path {
                    return None;
                }
                let fresh =
                    keep_last_good(&old, CompiledScript::compile(engine, name.clone(), path.to_owned(), source));
                self.swap_in(fresh);
                Some(Change::Updated(name))
            }
            (Some(source), None) => {
                self.swap_in(CompiledScript::compile(engine, name.clone(), path.to_owned(), source));
                Some(Change::Added(name))
            }
        }
    }

    /// Replaces the page of the same name, or adds it in navigation order.
    fn swap_in(&self, script: CompiledScript) {
        let mut scripts = self.write();
        match scripts.iter().position(|s| s.name == script.name) {
            Some(i) => scripts[i] = Arc::new(script),
            None => scripts.push(Arc::new(script)),
        }
        // A save may change the page's `order:`.
        scripts.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.listed(&scripts);
    }

    /// Makes the page entries of the changed list (the caller still holds the list).
    fn listed(&self, scripts: &[Arc<CompiledScript>]) {
        *crate::sync::write(&self.entries) = entries_of(scripts);
    }
}

fn entries_of(scripts: &[Arc<CompiledScript>]) -> Arc<Vec<PageEntry>> {
    let entries = scripts.iter().map(|s| PageEntry {
        name: s.name.to_string(),
        title: s.title().to_owned(),
        icon: s.meta.icon.clone(),
    });
    Arc::new(entries.collect())
}

/// A broken save of a script that worked keeps the working program and notes the error.
fn keep_last_good(old: &CompiledScript, fresh: CompiledScript) -> CompiledScript {
    match (&old.program, fresh.program) {
        (Ok(good), Err(error)) => CompiledScript {
            name: fresh.name,
            path: fresh.path,
            source: old.source.clone(),
            meta: old.meta.clone(),
            title: old.title.clone(),
            program: Ok(good.clone()),
            pending_error: Some(error),
        },
        (_, program) => CompiledScript { program, ..fresh },
    }
}

/// The page a path would serve, if it is a script and not an editor's temp or backup file.
pub fn page_name_of(path: &Path) -> Option<PageName> {
    let file = path.file_name()?.to_str()?;
    let editor_file = file.starts_with('.') || file.starts_with('#') || file.ends_with('~');
    if editor_file || !file.ends_with(".rhai") {
        return None;
    }
    PageName::from_stem(file.strip_suffix(".rhai")?)
}

/// The `.rhai` files of a folder, sorted by name; or the one file given.
pub fn script_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let entries = std::fs::read_dir(path).with_context(|| format!("reading the scripts folder {}", path.display()))?;
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && page_name_of(p).is_some()).collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// An engine whose first compile stops at its first token twice: once to say "compiling
    /// now", once to wait until the test lets it go on.
    #[allow(deprecated)] // `on_parse_token` is marked volatile, not deprecated.
    fn engine_that_pauses_its_compile(gate: Arc<Barrier>) -> Engine {
        let paused = AtomicBool::new(false);
        let mut engine = Engine::new();
        engine.on_parse_token(move |token, _, _| {
            if !paused.swap(true, Ordering::SeqCst) {
                gate.wait();
                gate.wait();
            }
            token
        });
        engine
    }

    #[test]
    fn a_page_is_served_its_last_program_while_its_changed_script_compiles() {
        let dir = std::env::temp_dir().join(format!("runnel-registry-{}", crate::session_store::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("page.rhai");
        std::fs::write(&file, "let version = 1;").unwrap();
        let registry = Arc::new(Registry::load(&Engine::new(), &dir).unwrap());
        let file = file.canonicalize().unwrap();
        std::fs::write(&file, "let version = 2;").unwrap();

        let gate = Arc::new(Barrier::new(2));
        let engine = engine_that_pauses_its_compile(gate.clone());
        let reloading = std::thread::spawn({
            let (registry, file) = (registry.clone(), file.clone());
            move || registry.reload(&engine, &file)
        });
        gate.wait(); // The new source is being compiled now.
        assert!(registry.scripts.try_read().is_ok(), "the compile holds no lock that page lookups need");
        assert_eq!(registry.get("page").unwrap().source, "let version = 1;");
        gate.wait();

        let change = reloading.join().unwrap();
        assert_eq!(change, Some(Change::Updated(PageName::parse("page").unwrap())));
        assert_eq!(registry.get("page").unwrap().source, "let version = 2;");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_page_entries_follow_a_page_added_retitled_and_removed() {
        let dir = std::env::temp_dir().join(format!("runnel-entries-{}", crate::session_store::random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sales_report.rhai"), "text(1);").unwrap();
        let registry = Registry::load(&Engine::new(), &dir).unwrap();
        let titles = |r: &Registry| r.entries().iter().map(|e| (e.name.clone(), e.title.clone())).collect::<Vec<_>>();
        assert_eq!(titles(&registry), [("sales_report".into(), "Sales report".into())]);

        let added = dir.canonicalize().unwrap().join("about.rhai");
        std::fs::write(&added, "//! title: About us\ntext(2);").unwrap();
        assert!(registry.reload(&Engine::new(), &added).is_some());
        assert!(titles(&registry).contains(&("about".into(), "About us".into())), "{:?}", titles(&registry));

        std::fs::write(&added, "//! title: Who we are\ntext(2);").unwrap();
        assert!(registry.reload(&Engine::new(), &added).is_some());
        assert!(titles(&registry).contains(&("about".into(), "Who we are".into())), "{:?}", titles(&registry));

        std::fs::remove_file(&added).unwrap();
        assert!(registry.reload(&Engine::new(), &added).is_some());
        assert_eq!(titles(&registry), [("sales_report".into(), "Sales report".into())]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
