//! Tabular script data, as the data elements and charts take it: a data frame, an array of
//! maps (one per row) or a map of columns (name -> array). A frame keeps its column order;
//! otherwise columns keep the order in which they first appear. A script's rows can be read in
//! place (see [`Records::in_place`]) instead of copied.

use std::ops::Deref;

use rhai::{Array, Dynamic, DynamicReadLock, EvalAltResult, Map, Position};

use super::options::error;
use crate::frame::Frame;

/// Rows of named cells.
pub struct Records<'a> {
    pub columns: Vec<String>,
    pub rows: Vec<Row<'a>>,
}

/// One row: a script's map read in place, or a map of its own.
pub enum Row<'a> {
    Held(DynamicReadLock<'a, Map>),
    Made(Map),
}

impl Deref for Row<'_> {
    type Target = Map;

    fn deref(&self) -> &Map {
        match self {
            Row::Held(map) => map,
            Row::Made(map) => map,
        }
    }
}

impl<'a> Records<'a> {
    /// Reads `data` where it is, when it is an array of maps that the caller holds (`rows`):
    /// the maps are not copied. Anything else is read as [`Records::from_dynamic`] reads it.
    pub fn in_place(
        data: &Dynamic,
        rows: Option<&'a Array>,
        max_rows: usize,
        pos: Position,
    ) -> Result<Self, Box<EvalAltResult>> {
        let Some(rows) = rows else { return Records::from_dynamic(data.clone(), max_rows, pos) };
        if rows.len() > max_rows {
            return Err(error(format!("this element takes at most {max_rows} rows"), pos));
        }
        collect_rows(rows.iter().map(|row| row.read_lock::<Map>().map(Row::Held)), pos)
    }
}

/// Records of an array's rows (`None` for an element that is not a map: an error), with their
/// columns in the order in which they first appear.
fn collect_rows<'a>(
    rows: impl ExactSizeIterator<Item = Option<Row<'a>>>,
    pos: Position,
) -> Result<Records<'a>, Box<EvalAltResult>> {
    let mut columns: Vec<String> = Vec::new();
    let mut maps = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(row) = row else { return Err(error("expected an array of maps, one map per row".into(), pos)) };
        add_columns(&mut columns, &row);
        maps.push(row);
    }
    Ok(Records { columns, rows: maps })
}

/// Adds the keys of `map` that `columns` does not have yet, in order.
fn add_columns(columns: &mut Vec<String>, map: &Map) {
    for key in map.keys() {
        if !columns.iter().any(|c| c == key.as_str()) {
            columns.push(key.to_string());
        }
    }
}

impl Records<'static> {
    /// Reads an array of maps or a map of equally long arrays; at most `max_rows` rows.
    pub fn from_dynamic(data: Dynamic, max_rows: usize, pos: Position) -> Result<Self, Box<EvalAltResult>> {
        if let Some(frame) = data.read_lock::<Frame>() {
            if frame.height() > max_rows {
                let message =
                    format!("this element takes at most {max_rows} rows, and the frame has {}", frame.height());
                return Err(error(message, pos));
            }
            let (columns, rows) = crate::frame::to_records(&frame, max_rows);
            return Ok(Self { columns, rows: rows.into_iter().map(Row::Made).collect() });
        }
        let records = if data.is_map() {
            Self::from_columns(data.cast::<Map>(), pos)?
        } else if data.is_array() {
            Self::from_rows(data.cast::<Array>(), pos)?
        } else {
            let message =
                format!("expected a data frame, an array of maps or a map of columns, not {}", data.type_name());
            return Err(error(message, pos));
        };
        if records.rows.len() > max_rows {
            return Err(error(format!("this element takes at most {max_rows} rows"), pos));
        }
        Ok(records)
    }

    fn from_rows(rows: Array, pos: Position) -> Result<Self, Box<EvalAltResult>> {
        collect_rows(rows.into_iter().map(|row| row.try_cast::<Map>().map(Row::Made)), pos)
    }

    fn from_columns(map: Map, pos: Position) -> Result<Self, Box<EvalAltResult>> {
        let mut columns = Vec::with_capacity(map.len());
        let mut rows: Vec<Map> = Vec::new();
        for (name, values) in map {
            let Some(values) = values.try_cast::<Array>() else {
                return Err(error(format!("column `{name}` must be an array"), pos));
            };
            rows.resize_with(rows.len().max(values.len()), Map::new);
            for (row, value) in rows.iter_mut().zip(values) {
                row.insert(name.clone(), value);
            }
            columns.push(name.to_string());
        }
        Ok(Self { columns, rows: rows.into_iter().map(Row::Made).collect() })
    }
}

impl Records<'_> {
    pub fn cell<'a>(&self, row: &'a Map, column: &str) -> Option<&'a Dynamic> {
        row.get(column).filter(|v| !v.is_unit())
    }

    /// Whether every present value of the column is a number.
    pub fn is_numeric(&self, column: &str) -> bool {
        let mut present = self.rows.iter().filter_map(|r| self.cell(r, column)).peekable();
        present.peek().is_some() && present.all(|v| number(v).is_some())
    }
}

/// A number as `f64`, for integers and floats alike.
pub fn number(value: &Dynamic) -> Option<f64> {
    match (value.as_float(), value.as_int()) {
        (Ok(f), _) if f.is_finite() => Some(f),
        (_, Ok(i)) => Some(i as f64),
        _ => None,
    }
}
