//! Data frames for scripts: a columnar host value (Polars underneath) that holds millions of
//! rows outside the script's size limits. This module alone knows Polars; elements and the
//! cache reach a frame through the narrow functions re-exported here.

mod api;
mod cells;
mod columns;
mod export;
mod expr;
mod ops;
mod read;
mod sql;
mod view;

use std::sync::Arc;

use polars::prelude::DataFrame;

pub use api::register;
pub use cells::{from_rows, to_records};
pub use columns::{Values, from_columns};
pub use export::{to_csv, to_json, to_parquet};
pub use ops::select_columns;
pub use read::{ReadOptions, read_csv, read_csv_bytes, read_json, read_ndjson, read_parquet, read_parquet_bytes};
pub use view::{Page, PageCell, page};

/// A frame as scripts hold it: cloning it is cheap (the data is shared, never copied).
#[derive(Clone, Debug)]
pub struct Frame(Arc<DataFrame>);

impl Frame {
    pub fn new(df: DataFrame) -> Self {
        Self(Arc::new(df))
    }

    pub(crate) fn df(&self) -> &DataFrame {
        &self.0
    }

    pub fn height(&self) -> usize {
        self.0.height()
    }

    pub fn column_names(&self) -> Vec<String> {
        self.0.get_column_names().iter().map(|n| n.to_string()).collect()
    }

    /// The memory the frame's data takes (an estimate from the buffer sizes).
    pub fn estimated_bytes(&self) -> usize {
        self.0.estimated_size()
    }
}

/// The most one frame may hold; every frame a script makes is checked against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub max_rows: usize,
    pub max_bytes: usize,
    /// Most values turned into one script array (`to_rows`, `column`): Rhai's array limit.
    pub max_array: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Self { max_rows: 10_000_000, max_bytes: 1 << 30, max_array: 100_000 }
    }
}

impl Caps {
    /// The frame itself, or why it is too large.
    pub fn check(&self, frame: Frame) -> Result<Frame, String> {
        if frame.height() > self.max_rows {
            return Err(format!(
                "the result has {} rows, more than the {} a frame may hold (max_frame_rows)",
                frame.height(),
                self.max_rows
            ));
        }
        let bytes = frame.estimated_bytes();
        if bytes > self.max_bytes {
            return Err(format!(
                "the result takes about {bytes} bytes, more than the {} a frame may hold (max_frame_bytes)",
                self.max_bytes
            ));
        }
        Ok(frame)
    }
}

/// A Polars error as one readable line (its first; the rest is Polars' own plan dump).
pub(crate) fn explain(err: polars::prelude::PolarsError) -> String {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    first.strip_prefix("ColumnNotFound: ").unwrap_or(first).to_owned()
}
