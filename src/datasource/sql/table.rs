//! A query's rows gathered into typed columns while they stream in, within the frame caps.
//! A column takes its type from its first values; whole numbers met by fractions become
//! floats, and any other mix becomes text (as `frame(rows)` does).

use chrono::{NaiveDate, NaiveDateTime};

use crate::frame::{Caps, Frame, Values};

/// One decoded cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
}

impl Cell {
    /// About how many bytes the cell takes in a frame.
    fn bytes(&self) -> usize {
        match self {
            Cell::Text(text) => text.len() + 8,
            _ => 8,
        }
    }

    fn into_text(self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Text(text) => Some(text),
            Cell::Date(d) => Some(d.to_string()),
            Cell::Timestamp(t) => Some(t.to_string()),
        }
    }
}

/// The rows so far, column by column.
pub struct Table {
    names: Vec<String>,
    columns: Vec<Values>,
    rows: usize,
    bytes: usize,
    caps: Caps,
}

impl Table {
    /// An empty table of these columns, each typed from its SQL type (`Values::Null` if unknown).
    pub fn new(columns: Vec<(String, Values)>, caps: Caps) -> Self {
        let (names, columns) = columns.into_iter().unzip();
        Self { names, columns, rows: 0, bytes: 0, caps }
    }

    /// Adds a row (one cell per column), or says which cap it would break.
    pub fn push(&mut self, cells: Vec<Cell>) -> Result<(), String> {
        if self.rows == self.caps.max_rows {
            return Err(format!(
                "the query returns more than {} rows, the most a frame may hold (max_frame_rows): \
                 add a LIMIT or aggregate in SQL",
                self.caps.max_rows
            ));
        }
        self.bytes += cells.iter().map(Cell::bytes).sum::<usize>();
        if self.bytes > self.caps.max_bytes {
            return Err(format!(
                "the query's result takes more than the {} bytes a frame may hold (max_frame_bytes): \
                 select fewer columns or rows",
                self.caps.max_bytes
            ));
        }
        for (column, cell) in self.columns.iter_mut().zip(cells) {
            push(column, self.rows, cell);
        }
        self.rows += 1;
        Ok(())
    }

    pub fn into_frame(self) -> Result<Frame, String> {
        crate::frame::from_columns(self.names.into_iter().zip(self.columns).collect(), self.caps)
    }
}

/// Appends `cell` to a column that holds `len` values, changing the column's type if it must.
fn push(column: &mut Values, len: usize, cell: Cell) {
    match (&mut *column, cell) {
        (Values::Null(n), Cell::Null) => *n += 1,
        (Values::Null(n), cell) => {
            *column = typed_nulls(&cell, *n);
            push(column, len, cell);
        }
        (Values::Int(v), Cell::Null) => v.push(None),
        (Values::Int(v), Cell::Int(i)) => v.push(Some(i)),
        (Values::Float(v), Cell::Null) => v.push(None),
        (Values::Float(v), Cell::Float(f)) => v.push(Some(f)),
        (Values::Float(v), Cell::Int(i)) => v.push(Some(i as f64)),
        (Values::Int(v), Cell::Float(f)) => {
            let mut floats: Vec<Option<f64>> = v.iter().map(|i| i.map(|i| i as f64)).collect();
            floats.push(Some(f));
            *column = Values::Float(floats);
        }
        (Values::Bool(v), Cell::Null) => v.push(None),
        (Values::Bool(v), Cell::Bool(b)) => v.push(Some(b)),
        (Values::Date(v), Cell::Null) => v.push(None),
        (Values::Date(v), Cell::Date(d)) => v.push(Some(d)),
        (Values::Timestamp(v), Cell::Null) => v.push(None),
        (Values::Timestamp(v), Cell::Timestamp(t)) => v.push(Some(t)),
        (Values::Text(v), cell) => v.push(cell.into_text()),
        (_, cell) => {
            let mut text = as_text(std::mem::replace(column, Values::Null(0)), len);
            text.push(cell.into_text());
            *column = Values::Text(text);
        }
    }
}

/// A column of `n` nulls of the type `cell` has.
fn typed_nulls(cell: &Cell, n: usize) -> Values {
    match cell {
        Cell::Null => Values::Null(n),
        Cell::Int(_) => Values::Int(vec![None; n]),
        Cell::Float(_) => Values::Float(vec![None; n]),
        Cell::Bool(_) => Values::Bool(vec![None; n]),
        Cell::Text(_) => Values::Text(vec![None; n]),
        Cell::Date(_) => Values::Date(vec![None; n]),
        Cell::Timestamp(_) => Values::Timestamp(vec![None; n]),
    }
}

fn as_text(values: Values, len: usize) -> Vec<Option<String>> {
    fn each<T>(v: Vec<Option<T>>, cell: impl Fn(T) -> Cell) -> Vec<Option<String>> {
        v.into_iter().map(|x| x.and_then(|x| cell(x).into_text())).collect()
    }
    match values {
        Values::Int(v) => each(v, Cell::Int),
        Values::Float(v) => each(v, Cell::Float),
        Values::Bool(v) => each(v, Cell::Bool),
        Values::Text(v) => v,
        Values::Date(v) => each(v, Cell::Date),
        Values::Timestamp(v) => each(v, Cell::Timestamp),
        Values::Null(_) => vec![None; len],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[Vec<Cell>]) -> Table {
        let mut table = Table::new(vec![("a".into(), Values::Null(0))], Caps::default());
        for row in rows {
            table.push(row.clone()).unwrap();
        }
        table
    }

    #[test]
    fn a_column_takes_its_type_from_its_values_and_whole_numbers_meet_fractions_as_floats() {
        let t = table(&[vec![Cell::Null], vec![Cell::Int(2)], vec![Cell::Float(0.5)]]);
        assert_eq!(t.columns[0], Values::Float(vec![None, Some(2.0), Some(0.5)]));
        let t = table(&[vec![Cell::Int(1)], vec![Cell::Text("x".into())], vec![Cell::Null]]);
        assert_eq!(t.columns[0], Values::Text(vec![Some("1".into()), Some("x".into()), None]));
    }

    #[test]
    fn the_row_cap_stops_the_stream_with_a_clear_message() {
        let caps = Caps { max_rows: 2, ..Caps::default() };
        let mut t = Table::new(vec![("a".into(), Values::Int(vec![]))], caps);
        t.push(vec![Cell::Int(1)]).unwrap();
        t.push(vec![Cell::Int(2)]).unwrap();
        let err = t.push(vec![Cell::Int(3)]).unwrap_err();
        assert!(err.contains("more than 2 rows") && err.contains("max_frame_rows"), "{err}");
    }
}
