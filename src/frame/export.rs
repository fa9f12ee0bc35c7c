//! A frame as the bytes of a file a viewer downloads: CSV (with a header row), JSON (an array
//! of objects) or Parquet.

use polars::prelude::*;

use super::{Frame, explain};

pub fn to_csv(frame: &Frame) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    CsvWriter::new(&mut out).include_header(true).finish(&mut frame.df().clone()).map_err(explain)?;
    Ok(out)
}

pub fn to_json(frame: &Frame) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    JsonWriter::new(&mut out).with_json_format(JsonFormat::Json).finish(&mut frame.df().clone()).map_err(explain)?;
    Ok(out)
}

pub fn to_parquet(frame: &Frame) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ParquetWriter::new(&mut out).finish(&mut frame.df().clone()).map_err(explain)?;
    Ok(out)
}
