//! The operations of a frame, executed by Polars: select, filter, sort, head/tail/slice,
//! group_by + agg, with_column, join, unique and describe. Each returns a new frame checked
//! against the caps; the frame it was called on is never changed.

use polars::prelude::*;

use super::read::{select_names, unknown_column};
use super::{Caps, Frame, explain};

type Res = Result<Frame, String>;

fn collect(lazy: LazyFrame, caps: Caps) -> Res {
    let df = lazy.collect().map_err(explain)?;
    caps.check(Frame::new(df))
}

fn lazy(frame: &Frame) -> LazyFrame {
    frame.df().clone().lazy()
}

/// Every name must be a column of the frame (a clearer error than Polars' own).
fn known(frame: &Frame, names: &[String]) -> Result<(), String> {
    match names.iter().find(|n| frame.df().column(n.as_str()).is_err()) {
        Some(name) => Err(unknown_column(frame.df(), name)),
        None => Ok(()),
    }
}

pub fn select(frame: &Frame, exprs: Vec<Expr>, caps: Caps) -> Res {
    collect(lazy(frame).select(exprs), caps)
}

pub fn select_columns(frame: &Frame, names: &[String]) -> Res {
    select_names(frame.df(), names).map(Frame::new)
}

/// Rows where `condition` is true (null counts as false). A condition that is not true/false
/// per row is an error rather than an empty result.
pub fn filter(frame: &Frame, condition: Expr, caps: Caps) -> Res {
    let schema = lazy(frame).select([condition.clone()]).collect_schema().map_err(explain)?;
    let schema = schema.as_ref();
    match schema.iter_values().next() {
        Some(DataType::Boolean) | None => collect(lazy(frame).filter(condition), caps),
        Some(other) => Err(format!("filter needs a condition (true or false per row), not a column of {other}")),
    }
}

pub fn filter_mask(frame: &Frame, mask: Vec<bool>) -> Res {
    let mask = BooleanChunked::from_slice(PlSmallStr::from("mask"), &mask);
    frame.df().filter(&mask).map(Frame::new).map_err(explain)
}

pub fn sort(frame: &Frame, by: &[String], descending: &[bool]) -> Res {
    known(frame, by)?;
    if descending.len() != by.len() {
        return Err(format!("sort got {} columns but {} `descending` flags", by.len(), descending.len()));
    }
    let options = SortMultipleOptions::default()
        .with_order_descending_multi(descending.to_vec())
        .with_nulls_last(true)
        .with_maintain_order(true);
    let by: Vec<PlSmallStr> = by.iter().map(|n| PlSmallStr::from(n.as_str())).collect();
    frame.df().sort(by, options).map(Frame::new).map_err(explain)
}

pub fn head(frame: &Frame, n: i64) -> Frame {
    Frame::new(frame.df().head(Some(n.max(0) as usize)))
}

pub fn tail(frame: &Frame, n: i64) -> Frame {
    Frame::new(frame.df().tail(Some(n.max(0) as usize)))
}

/// `len` rows from `offset` (a negative offset counts from the end, as in Polars).
pub fn slice(frame: &Frame, offset: i64, len: i64) -> Frame {
    Frame::new(frame.df().slice(offset, len.max(0) as usize))
}

/// One row per group (in the order groups first appear) with the aggregations as columns.
pub fn group_by(frame: &Frame, keys: &[String], aggs: Vec<Expr>, caps: Caps) -> Res {
    known(frame, keys)?;
    if aggs.is_empty() {
        return Err("agg needs at least one aggregation, such as col(\"revenue\").sum()".into());
    }
    let keys: Vec<Expr> = keys.iter().map(|k| col(k.as_str())).collect();
    collect(lazy(frame).group_by_stable(keys).agg(aggs), caps)
}

pub fn with_column(frame: &Frame, name: &str, value: Expr, caps: Caps) -> Res {
    collect(lazy(frame).with_column(value.alias(name)), caps)
}

/// `how`: "inner" or "left"; columns of `other` that clash get the suffix `_right`.
pub fn join(frame: &Frame, other: &Frame, on: &[String], how: &str, caps: Caps) -> Res {
    known(frame, on)?;
    known(other, on)?;
    let how = match how {
        "inner" => JoinType::Inner,
        "left" => JoinType::Left,
        other => return Err(format!("join's `how` must be \"inner\" or \"left\", not {other:?}")),
    };
    let keys: Vec<Expr> = on.iter().map(|k| col(k.as_str())).collect();
    let mut args = JoinArgs::new(how);
    args.maintain_order = MaintainOrderJoin::Left;
    collect(lazy(frame).join(lazy(other), keys.clone(), keys, args), caps)
}

/// Rows without repeats (over `subset`, or over all columns), first one kept, order kept.
pub fn unique(frame: &Frame, subset: Option<&[String]>, caps: Caps) -> Res {
    let subset = match subset {
        Some(names) => {
            known(frame, names)?;
            Some(names.iter().map(|n| col(n.as_str())).collect())
        }
        None => None,
    };
    collect(lazy(frame).unique_stable_generic(subset, UniqueKeepStrategy::First), caps)
}

/// Summary statistics per column: count, null_count, mean, std, min, median, max.
pub fn describe(frame: &Frame) -> Res {
    let stats = ["count", "null_count", "mean", "std", "min", "median", "max"];
    let mut columns = vec![Column::new("statistic".into(), stats)];
    for column in frame.df().columns() {
        let series = column.as_materialized_series();
        let values = if series.dtype().is_primitive_numeric() {
            let numbers = series.cast(&DataType::Float64).map_err(explain)?;
            let min = numbers.min::<f64>().map_err(explain)?;
            let max = numbers.max::<f64>().map_err(explain)?;
            let present = (series.len() - series.null_count()) as f64;
            vec![
                Some(present),
                Some(series.null_count() as f64),
                numbers.mean(),
                numbers.std(1),
                min,
                numbers.median(),
                max,
            ]
        } else {
            let present = (series.len() - series.null_count()) as f64;
            vec![Some(present), Some(series.null_count() as f64), None, None, None, None, None]
        };
        columns.push(Column::new(series.name().clone(), values));
    }
    DataFrame::new_infer_height(columns).map(Frame::new).map_err(explain)
}

/// The single value of a one-row, one-column frame (`df.item()`), as Polars has it.
pub fn item(frame: &Frame) -> Result<AnyValue<'static>, String> {
    let df = frame.df();
    if df.shape() != (1, 1) {
        let (rows, cols) = df.shape();
        return Err(format!("item() needs a frame of one row and one column, not {rows} × {cols}"));
    }
    df.columns()[0].get(0).map(|v| v.into_static()).map_err(explain)
}
