//! The registry of pages: each script compiled once, cached as an `Arc<AST>`, and looked up
//! by page name. A script that does not compile is kept with its error, to show in its page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, bail};
use rhai::{AST, Engine};

use super::diagnostic;
use super::name::PageName;
use crate::page::ScriptError;

/// One script as the host serves it.
#[derive(Debug)]
pub struct CompiledScript {
    pub name: PageName,
    pub path: PathBuf,
    pub source: String,
    pub program: Result<Arc<AST>, ScriptError>,
    /// A save that did not compile: the last good program keeps serving, and the page shows
    /// this error above its output until the next good save.
    pub pending_error: Option<ScriptError>,
}

impl CompiledScript {
    pub fn compile(engine: &Engine, name: PageName, path: PathBuf, source: String) -> Self {
        let program = engine
            .compile(&source)
            .map(Arc::new)
            .map_err(|err| diagnostic::from_parse_error(name.as_str(), &source, &err));
        Self { name, path, source, program, pending_error: None }
    }

    /// Compiles source text that has no file (tests, benchmarks).
    pub fn from_source(engine: &Engine, name: &str, source: &str) -> Self {
        let name = PageName::parse(name).expect("a valid page name");
        Self::compile(engine, name, PathBuf::new(), source.to_owned())
    }
}

pub struct Registry {
    /// Pages in navigation order (the order of their file names).
    scripts: RwLock<Vec<Arc<CompiledScript>>>,
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
        Ok(Self { scripts: RwLock::new(scripts) })
    }

    /// A registry holding the given scripts (tests, benchmarks).
    pub fn from_scripts(scripts: Vec<CompiledScript>) -> Self {
        Self { scripts: RwLock::new(scripts.into_iter().map(Arc::new).collect()) }
    }

    pub fn get(&self, name: &str) -> Option<Arc<CompiledScript>> {
        self.read().iter().find(|s| s.name.as_str() == name).cloned()
    }

    pub fn first(&self) -> Option<Arc<CompiledScript>> {
        self.read().first().cloned()
    }

    /// Page names in navigation order.
    pub fn names(&self) -> Vec<PageName> {
        self.read().iter().map(|s| s.name.clone()).collect()
    }

    pub fn all(&self) -> Vec<Arc<CompiledScript>> {
        self.read().clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<CompiledScript>>> {
        self.scripts.read().unwrap_or_else(std::sync::PoisonError::into_inner)
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
    /// program serving. `None` when nothing changed or the path is not a page.
    pub fn reload(&self, engine: &Engine, path: &Path) -> Option<Change> {
        let name = page_name_of(path)?;
        let source = if path.is_file() { std::fs::read_to_string(path).ok() } else { None };
        let mut scripts = self.scripts.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let index = scripts.iter().position(|s| s.name == name);
        match (source, index) {
            (None, None) => None,
            (None, Some(i)) if scripts[i].path != path => None,
            (None, Some(i)) => {
                scripts.remove(i);
                Some(Change::Removed(name))
            }
            (Some(source), Some(i)) => {
                let old = &scripts[i];
                let unchanged = old.source == source && old.pending_error.is_none() && old.path == path;
                if unchanged {
                    return None;
                }
                let fresh = CompiledScript::compile(engine, name.clone(), path.to_owned(), source);
                scripts[i] = Arc::new(keep_last_good(old, fresh));
                Some(Change::Updated(name))
            }
            (Some(source), None) => {
                scripts.push(Arc::new(CompiledScript::compile(engine, name.clone(), path.to_owned(), source)));
                scripts.sort_by(|a, b| a.path.cmp(&b.path));
                Some(Change::Added(name))
            }
        }
    }
}

/// A broken save of a script that worked keeps the working program and notes the error.
fn keep_last_good(old: &CompiledScript, fresh: CompiledScript) -> CompiledScript {
    match (&old.program, fresh.program) {
        (Ok(good), Err(error)) => CompiledScript {
            name: fresh.name,
            path: fresh.path,
            source: old.source.clone(),
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
