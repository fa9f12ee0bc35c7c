//! Cells between frames and script values: a frame's rows as an array of maps (`to_rows`), a
//! column as an array, an array of maps as a frame (`frame(rows)`), and a cell's display text.
//! Dates and date-times reach scripts as ISO text (Rhai has no date type).

use polars::prelude::*;
use rhai::{Array, Dynamic, Map};

use super::{Caps, Frame, explain};

/// A cell as a script value: `()` for null, numbers, booleans, text (dates as ISO text).
pub fn to_dynamic(value: AnyValue<'_>) -> Dynamic {
    match value {
        AnyValue::Null => Dynamic::UNIT,
        AnyValue::Boolean(b) => b.into(),
        AnyValue::String(s) => s.into(),
        AnyValue::StringOwned(s) => s.as_str().into(),
        AnyValue::Int8(i) => i64::from(i).into(),
        AnyValue::Int16(i) => i64::from(i).into(),
        AnyValue::Int32(i) => i64::from(i).into(),
        AnyValue::Int64(i) => i.into(),
        AnyValue::UInt8(i) => i64::from(i).into(),
        AnyValue::UInt16(i) => i64::from(i).into(),
        AnyValue::UInt32(i) => i64::from(i).into(),
        AnyValue::UInt64(i) => i64::try_from(i).map_or_else(|_| Dynamic::from(i as f64), Dynamic::from),
        AnyValue::Float32(f) => f64::from(f).into(),
        AnyValue::Float64(f) => f.into(),
        other => other.to_string().into(),
    }
}

/// How a cell reads in a table: text as it is, null as nothing, numbers as Rhai shows them.
pub fn display(value: &AnyValue<'_>) -> String {
    match value {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => (*s).to_owned(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(f) => Dynamic::from(*f).to_string(),
        AnyValue::Float32(f) => Dynamic::from(f64::from(*f)).to_string(),
        other => other.to_string(),
    }
}

/// At most `limit` rows as maps, with the column names in the frame's order.
pub fn to_records(frame: &Frame, limit: usize) -> (Vec<String>, Vec<Map>) {
    let df = frame.df();
    let names = frame.column_names();
    let height = df.height().min(limit);
    let mut rows: Vec<Map> = (0..height).map(|_| Map::new()).collect();
    for (column, name) in df.columns().iter().zip(&names) {
        for (i, row) in rows.iter_mut().enumerate() {
            let value = column.get(i).map_or(Dynamic::UNIT, to_dynamic);
            row.insert(name.as_str().into(), value);
        }
    }
    (names, rows)
}

/// `frame.to_rows(limit)`: the first `limit` rows as an array of maps.
pub fn to_rows(frame: &Frame, limit: usize) -> Array {
    to_records(frame, limit).1.into_iter().map(Dynamic::from_map).collect()
}

/// `frame.column(name)`: the values of one column, at most `limit` of them.
pub fn column(frame: &Frame, name: &str, limit: usize) -> Result<Array, String> {
    let df = frame.df();
    let column = df.column(name).map_err(|_| super::read::unknown_column(df, name))?;
    if column.len() > limit {
        return Err(format!(
            "column `{name}` has {} values, more than the {limit} a script array may hold; filter or use unique() first",
            column.len()
        ));
    }
    Ok((0..column.len()).map(|i| column.get(i).map_or(Dynamic::UNIT, to_dynamic)).collect())
}

/// `frame(rows)`: an array of maps as a frame. Columns keep their first appearance; a column
/// of whole numbers stays whole, mixed numbers become floats, anything else mixed becomes text.
pub fn from_rows(rows: &Array, caps: Caps) -> Result<Frame, String> {
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        let Some(map) = row.read_lock::<Map>() else {
            return Err(format!(
                "frame() takes an array of maps, one per row, not an array holding {}",
                row.type_name()
            ));
        };
        for key in map.keys() {
            if !names.iter().any(|n| n == key.as_str()) {
                names.push(key.to_string());
            }
        }
    }
    let columns = names
        .iter()
        .map(|name| {
            let cells: Vec<Dynamic> = rows
                .iter()
                .map(|row| row.read_lock::<Map>().and_then(|m| m.get(name.as_str()).cloned()).unwrap_or(Dynamic::UNIT))
                .collect();
            series_of(name, &cells).into_column()
        })
        .collect();
    let df = DataFrame::new_infer_height(columns).map_err(explain)?;
    caps.check(Frame::new(df))
}

/// One column from script values, typed by what it holds.
pub(super) fn series_of(name: &str, cells: &[Dynamic]) -> Series {
    let present = || cells.iter().filter(|c| !c.is_unit());
    let name = PlSmallStr::from(name);
    if present().all(|c| c.is_int()) {
        Series::new(name, cells.iter().map(|c| c.as_int().ok()).collect::<Vec<_>>())
    } else if present().all(|c| c.is_int() || c.is_float()) {
        let number = |c: &Dynamic| c.as_float().ok().or_else(|| c.as_int().ok().map(|i| i as f64));
        Series::new(name, cells.iter().map(number).collect::<Vec<_>>())
    } else if present().all(|c| c.is_bool()) {
        Series::new(name, cells.iter().map(|c| c.as_bool().ok()).collect::<Vec<_>>())
    } else {
        let text = |c: &Dynamic| (!c.is_unit()).then(|| c.to_string());
        Series::new(name, cells.iter().map(text).collect::<Vec<_>>())
    }
}

/// Row `i` as a map (the frame's `[i]` and `for row in frame`).
pub fn row(frame: &Frame, i: usize) -> Map {
    let df = frame.df();
    df.columns().iter().map(|c| (c.name().as_str().into(), c.get(i).map_or(Dynamic::UNIT, to_dynamic))).collect()
}

/// The rows of a frame one map at a time, for `for row in frame`.
pub struct Rows {
    frame: Frame,
    next: usize,
}

impl Iterator for Rows {
    type Item = Dynamic;

    fn next(&mut self) -> Option<Dynamic> {
        (self.next < self.frame.height()).then(|| {
            self.next += 1;
            Dynamic::from_map(row(&self.frame, self.next - 1))
        })
    }
}

impl IntoIterator for Frame {
    type Item = Dynamic;
    type IntoIter = Rows;

    fn into_iter(self) -> Rows {
        Rows { frame: self, next: 0 }
    }
}
