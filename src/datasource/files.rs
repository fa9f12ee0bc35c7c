//! Reading the data folder: names are checked so that nothing outside it can be read (no
//! `..`, no absolute paths, no symlinks that lead out), JSON read as script values, and every
//! read is stamped so that a cache entry can notice a change.

use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use rhai::Dynamic;

/// Largest file `read_json(name)` reads as script values (frames have their own caps).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A file as it was when read: enough to tell later whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp {
    pub path: PathBuf,
    pub modified: Option<SystemTime>,
    pub len: u64,
}

impl FileStamp {
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(Self { path: path.to_owned(), modified: meta.modified().ok(), len: meta.len() })
    }

    /// Whether the file is still the one that was read (same length and modification time).
    pub fn is_current(&self) -> bool {
        Self::of(&self.path).is_ok_and(|now| now == *self)
    }
}

/// The real path of `name` inside `dir`, or why it is refused.
pub fn resolve(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let relative = Path::new(name);
    let plain = !name.is_empty() && relative.components().all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        return Err(format!("{name:?} is not a file name inside the data folder (no `..` and no absolute paths)"));
    }
    // The folder's path is the server's business: the page only learns that it is missing.
    let base = dir.canonicalize().map_err(|_| "the data folder does not exist".to_owned())?;
    let full =
        base.join(relative).canonicalize().map_err(|_| format!("there is no file {name:?} in the data folder"))?;
    if !full.starts_with(&base) {
        return Err(format!("{name:?} leads out of the data folder"));
    }
    if !full.is_file() {
        return Err(format!("{name:?} is not a file"));
    }
    Ok(full)
}

fn read(path: &Path) -> Result<(Vec<u8>, FileStamp), String> {
    let stamp = FileStamp::of(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if stamp.len > MAX_FILE_BYTES {
        return Err(format!("the file is larger than the {MAX_FILE_BYTES} bytes a script may read"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok((bytes, stamp))
}

/// Whether a JSON file holds a table: an array whose first item is an object (or an empty array).
pub fn holds_json_table(path: &Path) -> Result<bool, String> {
    use std::io::Read;
    let mut head = [0u8; 4096];
    let read = std::fs::File::open(path)
        .and_then(|mut file| file.read(&mut head))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = head[..read].iter().filter(|b| !b.is_ascii_whitespace());
    Ok(bytes.next() == Some(&b'[') && bytes.next().is_some_and(|b| *b == b'{' || *b == b']'))
}

/// A JSON file as script values (objects become maps, null becomes `()`).
pub fn read_json(path: &Path) -> Result<(Dynamic, FileStamp), String> {
    let (bytes, stamp) = read(path)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("bad JSON: {e}"))?;
    let value = rhai::serde::to_dynamic(&value).map_err(|e| format!("bad JSON: {e}"))?;
    Ok((value, stamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_folder_are_refused_before_touching_the_disk() {
        let dir = Path::new("/nonexistent");
        for name in ["../secret.csv", "/etc/passwd", "a/../../b", ""] {
            let err = resolve(dir, name).unwrap_err();
            assert!(err.contains("not a file name inside the data folder"), "{name}: {err}");
        }
    }
}
