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
}

impl CompiledScript {
    pub fn compile(engine: &Engine, name: PageName, path: PathBuf, source: String) -> Self {
        let program = engine
            .compile(&source)
            .map(Arc::new)
            .map_err(|err| diagnostic::from_parse_error(name.as_str(), &source, &err));
        Self { name, path, source, program }
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
        let files = script_files(path)?;
        let mut scripts = Vec::new();
        let mut seen = BTreeMap::new();
        for file in files {
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            let Some(name) = PageName::from_stem(stem) else {
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

/// The `.rhai` files of a folder, sorted by name; or the one file given.
pub fn script_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let entries = std::fs::read_dir(path).with_context(|| format!("reading the scripts folder {}", path.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    files.sort();
    Ok(files)
}
