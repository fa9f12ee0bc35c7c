//! One page of a frame as the `dataframe` and `table` elements show it: sorted by one column on
//! request, then sliced, so that only the shown rows are turned into cells.

use polars::prelude::*;

use super::cells::display;
use super::{Frame, explain};

/// A shown cell: its text and, for numbers, its value (for number formats).
#[derive(Debug, Clone, PartialEq)]
pub struct PageCell {
    pub text: String,
    pub number: Option<f64>,
}

/// The rows of one page, with every column's name and whether it holds numbers.
#[derive(Debug, Clone)]
pub struct Page {
    pub columns: Vec<(String, bool)>,
    pub rows: Vec<Vec<PageCell>>,
    pub total_rows: usize,
}

/// `len` rows from `offset`, after sorting by `sort` (column, descending) when given.
pub fn page(frame: &Frame, sort: Option<(&str, bool)>, offset: usize, len: usize) -> Result<Page, String> {
    let df = frame.df();
    let sorted;
    let source = match sort {
        Some((column, descending)) => {
            let options = SortMultipleOptions::default()
                .with_order_descending(descending)
                .with_nulls_last(true)
                .with_maintain_order(true);
            sorted = df.sort([column], options).map_err(explain)?;
            &sorted
        }
        None => df,
    };
    let shown = source.slice(offset as i64, len);
    let columns = df.columns().iter().map(|c| (c.name().to_string(), c.dtype().is_primitive_numeric())).collect();
    let rows = (0..shown.height())
        .map(|i| shown.columns().iter().map(|c| cell(c.get(i).unwrap_or(AnyValue::Null))).collect())
        .collect();
    Ok(Page { columns, rows, total_rows: df.height() })
}

fn cell(value: AnyValue<'_>) -> PageCell {
    let number = match &value {
        AnyValue::Null => None,
        v if v.is_primitive_numeric() => v.extract::<f64>(),
        _ => None,
    };
    PageCell { text: display(&value), number }
}
