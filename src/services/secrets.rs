//! The secrets file (`secrets.toml` beside the scripts, as Streamlit's `st.secrets`): read when
//! a run first asks for it, and again whenever the file changed on disk (one `stat` per run that
//! reads secrets). Its values never reach a log: `Debug` shows the names only, and a parse
//! error gives its line, never the text around it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// The secrets file, re-read when it changes.
pub struct Secrets {
    path: PathBuf,
    loaded: RwLock<Loaded>,
}

/// What the file held the last time it was read.
#[derive(Clone)]
struct Loaded {
    stamp: Option<Stamp>,
    table: Result<SecretTable, String>,
}

/// The file's modification time and length: a change of either means it was written.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp(SystemTime, u64);

/// A table of secrets (the file, or a `[section]` of it).
#[derive(Clone, Default)]
pub struct SecretTable(Arc<toml::Table>);

impl std::fmt::Debug for SecretTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SecretTable {
    pub fn new(table: toml::Table) -> Self {
        Self(Arc::new(table))
    }

    pub fn get(&self, name: &str) -> Option<&toml::Value> {
        self.0.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl Secrets {
    /// The secrets of the file at `path` (which need not exist: then there are none).
    pub fn open(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let loaded = read(&path);
        if let Err(problem) = &loaded.table {
            tracing::warn!(path = %path.display(), "{problem}");
        }
        Self { path, loaded: RwLock::new(loaded) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The secrets as the file holds them now, or why it cannot be read.
    pub fn current(&self) -> Result<SecretTable, String> {
        let stamp = stamp_of(&self.path);
        {
            let loaded = crate::sync::read(&self.loaded);
            if loaded.stamp == stamp {
                return loaded.table.clone();
            }
        }
        let fresh = read(&self.path);
        match &fresh.table {
            Ok(table) => tracing::info!(path = %self.path.display(), names = table.0.len(), "secrets read"),
            Err(problem) => tracing::warn!(path = %self.path.display(), "{problem}"),
        }
        *crate::sync::write(&self.loaded) = fresh.clone();
        fresh.table
    }
}

fn stamp_of(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp(meta.modified().ok()?, meta.len()))
}

fn read(path: &Path) -> Loaded {
    let stamp = stamp_of(path);
    let table = match std::fs::read_to_string(path) {
        Ok(text) => parse(&text).map_err(|problem| format!("the secrets file {} {problem}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SecretTable::default()),
        Err(e) => Err(format!("cannot read the secrets file {}: {e}", path.display())),
    };
    Loaded { stamp, table }
}

/// The file's table; an error names the line and the problem, never the line's text.
fn parse(text: &str) -> Result<SecretTable, String> {
    match text.parse::<toml::Table>() {
        Ok(table) => Ok(SecretTable::new(table)),
        Err(err) => {
            let line = err.span().map_or(1, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            Err(format!("is not valid TOML at line {line}: {}", err.message()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_read_again_when_it_changes_and_a_missing_file_holds_no_secrets() {
        let dir = std::env::temp_dir().join(format!("runnel-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secrets.toml");
        let _ = std::fs::remove_file(&path);
        let secrets = Secrets::open(&path);
        assert_eq!(secrets.current().unwrap().names().count(), 0);
        std::fs::write(&path, "api_key = \"k-1\"\n[db]\nuser = \"ann\"\n").unwrap();
        let table = secrets.current().unwrap();
        assert_eq!(table.get("api_key").and_then(toml::Value::as_str), Some("k-1"));
        assert_eq!(format!("{table:?}"), "{\"api_key\", \"db\"}", "Debug shows names, never values");
        std::fs::write(&path, "api_key = \"k-22\"\n").unwrap();
        assert_eq!(secrets.current().unwrap().get("api_key").and_then(toml::Value::as_str), Some("k-22"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_broken_file_is_an_error_with_its_line_and_without_its_text() {
        let problem = parse("ok = 1\npassword = \"hunter2\nnext = 2\n").unwrap_err();
        assert!(problem.contains("line 2"), "{problem}");
        assert!(!problem.contains("hunter2"), "{problem}");
    }
}
