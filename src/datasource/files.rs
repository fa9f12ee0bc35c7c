//! Reading the data folder: names are checked so that nothing outside it can be read (no
//! `..`, no absolute paths, no symlinks that lead out), CSV cells that look like numbers
//! become numbers, and every read is stamped so that a cache entry can notice a change.

use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use rhai::{Array, Dynamic, Map};

/// Largest file `read_csv` or `read_json` reads.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Most rows `read_csv` returns.
pub const MAX_CSV_ROWS: usize = 100_000;

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
    let base = dir.canonicalize().map_err(|_| format!("the data folder {} does not exist", dir.display()))?;
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

/// A CSV file with a header row, as an array of maps (one per row).
pub fn read_csv(path: &Path) -> Result<(Array, FileStamp), String> {
    let (bytes, stamp) = read(path)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes.as_slice());
    let headers: Vec<rhai::ImmutableString> =
        reader.headers().map_err(|e| format!("bad CSV header: {e}"))?.iter().map(|h| h.trim().into()).collect();
    let mut rows = Array::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("bad CSV: {e}"))?;
        if rows.len() == MAX_CSV_ROWS {
            return Err(format!("the file has more than the {MAX_CSV_ROWS} rows a script may read"));
        }
        let row: Map =
            headers.iter().zip(record.iter()).map(|(h, cell)| (h.as_str().into(), cell_value(cell))).collect();
        rows.push(row.into());
    }
    Ok((rows, stamp))
}

/// A CSV cell: a whole number, a number, true/false, nothing (empty), or text.
fn cell_value(cell: &str) -> Dynamic {
    let cell = cell.trim();
    if cell.is_empty() {
        Dynamic::UNIT
    } else if let Ok(i) = cell.parse::<i64>() {
        i.into()
    } else if let Some(f) = cell.parse::<f64>().ok().filter(|f| f.is_finite()) {
        f.into()
    } else {
        match cell {
            "true" | "TRUE" | "True" => true.into(),
            "false" | "FALSE" | "False" => false.into(),
            _ => cell.into(),
        }
    }
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
    fn numbers_in_csv_cells_become_numbers() {
        assert_eq!(cell_value("42").as_int(), Ok(42));
        assert_eq!(cell_value(" 2.5 ").as_float(), Ok(2.5));
        assert!(cell_value("").is_unit());
        assert_eq!(cell_value("true").as_bool(), Ok(true));
        assert_eq!(cell_value("NaN").into_string().unwrap(), "NaN");
        assert_eq!(cell_value("North").into_string().unwrap(), "North");
    }

    #[test]
    fn names_that_leave_the_folder_are_refused_before_touching_the_disk() {
        let dir = Path::new("/nonexistent");
        for name in ["../secret.csv", "/etc/passwd", "a/../../b", ""] {
            let err = resolve(dir, name).unwrap_err();
            assert!(err.contains("not a file name inside the data folder"), "{name}: {err}");
        }
    }
}
