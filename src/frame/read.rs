//! Reading data files into frames: CSV (separator, header, columns to keep, date parsing),
//! Parquet, JSON (an array of objects) and newline-delimited JSON. Column order and types are
//! kept. The caller resolves the path inside the data folder first.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::{Caps, Frame, explain};

/// The options of `read_csv` (the others use `columns` only).
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub separator: u8,
    pub has_header: bool,
    /// Keep only these columns, in this order.
    pub columns: Option<Vec<String>>,
    /// Turn text that looks like a date or a date-time into a date column.
    pub parse_dates: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self { separator: b',', has_header: true, columns: None, parse_dates: true }
    }
}

/// A CSV file as a frame; a row that does not fit its column's type is an error.
pub fn read_csv(path: &Path, options: &ReadOptions, caps: Caps) -> Result<Frame, String> {
    let reader = csv_options(options, caps).try_into_reader_with_file_path(Some(path.to_owned()));
    finish_csv(reader.and_then(|reader| reader.finish()), options, caps)
}

/// CSV bytes (an uploaded file) as a frame, as [`read_csv`] reads a file.
pub fn read_csv_bytes(bytes: Vec<u8>, options: &ReadOptions, caps: Caps) -> Result<Frame, String> {
    let reader = csv_options(options, caps).into_reader_with_file_handle(std::io::Cursor::new(bytes));
    finish_csv(reader.finish(), options, caps)
}

fn csv_options(options: &ReadOptions, caps: Caps) -> CsvReadOptions {
    let parse = CsvParseOptions::default()
        .with_separator(options.separator)
        .with_try_parse_dates(options.parse_dates)
        .with_missing_is_null(true);
    let columns = options.columns.as_ref().map(|c| c.iter().map(|n| PlSmallStr::from(n.as_str())).collect());
    // One row past the cap is enough to know that the file is too long.
    CsvReadOptions::default()
        .with_has_header(options.has_header)
        .with_parse_options(parse)
        .with_columns(columns)
        .with_infer_schema_length(Some(10_000))
        .with_n_rows(Some(caps.max_rows.saturating_add(1)))
}

fn finish_csv(df: PolarsResult<DataFrame>, options: &ReadOptions, caps: Caps) -> Result<Frame, String> {
    let df = df.map_err(|e| format!("bad CSV: {}", explain(e)))?;
    keep_order(df, options.columns.as_deref()).and_then(|df| caps.check(Frame::new(df)))
}

/// A Parquet file as a frame.
pub fn read_parquet(path: &Path, columns: Option<&[String]>, caps: Caps) -> Result<Frame, String> {
    let file = File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    parquet_from(file, columns, caps)
}

/// Parquet bytes (an uploaded file) as a frame.
pub fn read_parquet_bytes(bytes: Vec<u8>, columns: Option<&[String]>, caps: Caps) -> Result<Frame, String> {
    parquet_from(std::io::Cursor::new(bytes), columns, caps)
}

fn parquet_from<R: polars::io::mmap::MmapBytesReader>(
    source: R,
    columns: Option<&[String]>,
    caps: Caps,
) -> Result<Frame, String> {
    let df = ParquetReader::new(source)
        .with_columns(columns.map(<[String]>::to_vec))
        .finish()
        .map_err(|e| format!("bad Parquet: {}", explain(e)))?;
    keep_order(df, columns).and_then(|df| caps.check(Frame::new(df)))
}

/// A JSON file holding an array of objects (one per row) as a frame.
pub fn read_json(path: &Path, columns: Option<&[String]>, caps: Caps) -> Result<Frame, String> {
    read_json_format(path, JsonFormat::Json, columns, caps)
}

/// A newline-delimited JSON file (one object per line) as a frame.
pub fn read_ndjson(path: &Path, columns: Option<&[String]>, caps: Caps) -> Result<Frame, String> {
    read_json_format(path, JsonFormat::JsonLines, columns, caps)
}

fn read_json_format(path: &Path, format: JsonFormat, columns: Option<&[String]>, caps: Caps) -> Result<Frame, String> {
    let file = File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let df =
        JsonReader::new(file).with_json_format(format).finish().map_err(|e| format!("bad JSON: {}", explain(e)))?;
    let df = match columns {
        Some(names) => select_names(&df, names)?,
        None => df,
    };
    caps.check(Frame::new(df))
}

/// The columns in the order the script listed them (readers keep the file's order).
fn keep_order(df: DataFrame, columns: Option<&[String]>) -> Result<DataFrame, String> {
    match columns {
        Some(names) => select_names(&df, names),
        None => Ok(df),
    }
}

pub(super) fn select_names(df: &DataFrame, names: &[String]) -> Result<DataFrame, String> {
    for name in names {
        if df.column(name).is_err() {
            return Err(unknown_column(df, name));
        }
    }
    df.select(names.iter().map(|n| PlSmallStr::from(n.as_str()))).map_err(explain)
}

/// The message for a column the frame does not have, listing those it has.
pub(super) fn unknown_column(df: &DataFrame, name: &str) -> String {
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    format!("unknown column `{name}`; the frame has: {}", names.join(", "))
}
