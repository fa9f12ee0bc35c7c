//! The frame's script API: the `DataFrame` and `GroupBy` types, their methods, `frame(rows)`
//! and `sql(...)`. Every failure is a script error at the call's line.

use polars::prelude::Expr as PlExpr;
use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, Map, NativeCallContext, Position};

use super::expr::{self, Expr, column_or_expr};
use super::{Caps, Frame, cells, ops, sql};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// `df.group_by(keys)`, waiting for its `agg([...])`.
#[derive(Clone, Debug)]
pub struct GroupBy {
    frame: Frame,
    keys: Vec<String>,
}

fn at(pos: Position) -> impl Fn(String) -> Box<EvalAltResult> {
    move |message| EvalAltResult::ErrorRuntime(message.into(), pos).into()
}

/// A column name or an array of them.
fn names(value: &Dynamic, what: &str) -> Result<Vec<String>, String> {
    if value.is_string() {
        return Ok(vec![value.to_string()]);
    }
    let wrong = || format!("{what} takes a column name or an array of column names, not {}", value.type_name());
    let list = value.read_lock::<Array>().ok_or_else(wrong)?;
    list.iter().map(|v| if v.is_string() { Ok(v.to_string()) } else { Err(wrong()) }).collect()
}

/// An expression or an array of them (column names count as `col(name)`).
fn exprs(value: &Dynamic) -> Result<Vec<PlExpr>, String> {
    match value.read_lock::<Array>() {
        Some(list) => list.iter().map(column_or_expr).collect(),
        None => column_or_expr(value).map(|e| vec![e]),
    }
}

fn condition(value: &Dynamic) -> Result<PlExpr, String> {
    match value.read_lock::<Expr>() {
        Some(expr) => Ok(expr.0.clone()),
        None => Err(format!(
            "filter takes a condition such as col(\"units\") > 10, or a function of a row, not {}",
            value.type_name()
        )),
    }
}

/// Which columns sort descending: one flag for all, or one per column.
fn descending_flags(value: &Dynamic, count: usize) -> Result<Vec<bool>, String> {
    if let Ok(flag) = value.as_bool() {
        return Ok(vec![flag; count]);
    }
    let wrong = || "sort's `descending` is true/false or an array of them, one per column".to_owned();
    let list = value.read_lock::<Array>().ok_or_else(wrong)?;
    list.iter().map(|v| v.as_bool().map_err(|_| wrong())).collect()
}

fn index(frame: &Frame, i: i64) -> Result<usize, String> {
    let height = frame.height() as i64;
    let at = if i < 0 { height + i } else { i };
    if (0..height).contains(&at) {
        Ok(at as usize)
    } else {
        Err(format!("row {i} is out of range: the frame has {height} rows"))
    }
}

/// Rows for which `predicate(row)` is true: the array-of-maps way, one call per row.
fn filter_rows(ctx: &NativeCallContext, frame: &Frame, predicate: &FnPtr) -> Res<Frame> {
    let mut mask = Vec::with_capacity(frame.height());
    for row in frame.clone() {
        let keep: Dynamic = predicate.call_within_context(ctx, (row,))?;
        mask.push(keep.as_bool().unwrap_or(false));
    }
    ops::filter_mask(frame, mask).map_err(at(ctx.call_position()))
}

fn describe_frame(frame: &Frame) -> String {
    format!("DataFrame({} rows × {} columns: {})", frame.height(), frame.df().width(), frame.column_names().join(", "))
}

pub fn register(engine: &mut Engine, caps: Caps) {
    engine.register_type_with_name::<Frame>("DataFrame");
    engine.register_type_with_name::<GroupBy>("GroupBy");
    engine.register_iterator::<Frame>();
    expr::register(engine);
    register_building(engine, caps);
    register_reading(engine, caps);
    register_shaping(engine, caps);
    register_combining(engine, caps);
}

/// `frame(rows)` and `sql(tables, query)`.
fn register_building(engine: &mut Engine, caps: Caps) {
    engine.register_fn("frame", move |ctx: NativeCallContext, rows: Array| {
        cells::from_rows(&rows, caps).map_err(at(ctx.call_position()))
    });
    engine.register_fn("sql", move |ctx: NativeCallContext, tables: Map, query: ImmutableString| {
        let mut named = Vec::with_capacity(tables.len());
        for (name, value) in tables {
            let Some(frame) = value.read_lock::<Frame>().map(|f| f.clone()) else {
                return Err(at(ctx.call_position())(format!("sql(): table `{name}` must be a frame")));
            };
            named.push((name.to_string(), frame));
        }
        sql::query(&named, &query, caps).map_err(at(ctx.call_position()))
    });
}

/// Looking into a frame: its size, columns, rows, one column, one value, a summary.
fn register_reading(engine: &mut Engine, caps: Caps) {
    engine.register_fn("len", |f: &mut Frame| f.height() as i64);
    engine.register_fn("is_empty", |f: &mut Frame| f.height() == 0);
    engine
        .register_fn("columns", |f: &mut Frame| -> Array { f.column_names().into_iter().map(Dynamic::from).collect() });
    engine.register_fn("dtypes", |f: &mut Frame| -> Array {
        f.df().dtypes().iter().map(|t| Dynamic::from(t.to_string())).collect()
    });
    engine.register_fn("to_string", |f: &mut Frame| describe_frame(f));
    engine.register_fn("to_debug", |f: &mut Frame| describe_frame(f));
    engine.register_indexer_get(|ctx: NativeCallContext, f: &mut Frame, i: i64| {
        index(f, i).map(|i| cells::row(f, i)).map_err(at(ctx.call_position()))
    });
    engine.register_fn("to_rows", move |ctx: NativeCallContext, f: &mut Frame| {
        if f.height() > caps.max_array {
            let message = format!(
                "the frame has {} rows, more than the {} of a script array: use to_rows(limit)",
                f.height(),
                caps.max_array
            );
            return Err(at(ctx.call_position())(message));
        }
        Ok(cells::to_rows(f, caps.max_array))
    });
    engine.register_fn("to_rows", move |f: &mut Frame, limit: i64| {
        cells::to_rows(f, (limit.max(0) as usize).min(caps.max_array))
    });
    engine.register_fn("column", move |ctx: NativeCallContext, f: &mut Frame, name: ImmutableString| {
        cells::column(f, &name, caps.max_array).map_err(at(ctx.call_position()))
    });
    engine.register_fn("item", |ctx: NativeCallContext, f: &mut Frame| {
        ops::item(f).map(cells::to_dynamic).map_err(at(ctx.call_position()))
    });
    engine.register_fn("describe", |ctx: NativeCallContext, f: &mut Frame| {
        ops::describe(f).map_err(at(ctx.call_position()))
    });
}

/// Operations on one frame: select, filter, sort, head/tail/slice, with_column, unique.
fn register_shaping(engine: &mut Engine, caps: Caps) {
    engine.register_fn("select", move |ctx: NativeCallContext, f: &mut Frame, what: Dynamic| {
        let fail = at(ctx.call_position());
        match names(&what, "select") {
            Ok(names) => ops::select_columns(f, &names).map_err(fail),
            Err(_) => ops::select(f, exprs(&what).map_err(&fail)?, caps).map_err(fail),
        }
    });
    engine.register_fn("filter", move |ctx: NativeCallContext, f: &mut Frame, what: Dynamic| {
        if let Some(predicate) = what.read_lock::<FnPtr>().map(|p| p.clone()) {
            return filter_rows(&ctx, f, &predicate);
        }
        let fail = at(ctx.call_position());
        ops::filter(f, condition(&what).map_err(&fail)?, caps).map_err(fail)
    });
    engine.register_fn("sort", |ctx: NativeCallContext, f: &mut Frame, by: Dynamic| {
        let fail = at(ctx.call_position());
        let by = names(&by, "sort").map_err(&fail)?;
        ops::sort(f, &by, &vec![false; by.len()]).map_err(fail)
    });
    engine.register_fn("sort", |ctx: NativeCallContext, f: &mut Frame, by: Dynamic, descending: Dynamic| {
        let fail = at(ctx.call_position());
        let by = names(&by, "sort").map_err(&fail)?;
        let flags = descending_flags(&descending, by.len()).map_err(&fail)?;
        ops::sort(f, &by, &flags).map_err(fail)
    });
    engine.register_fn("head", |f: &mut Frame| ops::head(f, 5));
    engine.register_fn("head", |f: &mut Frame, n: i64| ops::head(f, n));
    engine.register_fn("tail", |f: &mut Frame| ops::tail(f, 5));
    engine.register_fn("tail", |f: &mut Frame, n: i64| ops::tail(f, n));
    engine.register_fn("slice", |f: &mut Frame, offset: i64, len: i64| ops::slice(f, offset, len));
    engine.register_fn(
        "with_column",
        move |ctx: NativeCallContext, f: &mut Frame, name: ImmutableString, value: Dynamic| {
            let fail = at(ctx.call_position());
            let value = expr::literal(&value).map_err(&fail)?;
            ops::with_column(f, &name, value, caps).map_err(fail)
        },
    );
    engine.register_fn("unique", move |ctx: NativeCallContext, f: &mut Frame| {
        ops::unique(f, None, caps).map_err(at(ctx.call_position()))
    });
    engine.register_fn("unique", move |ctx: NativeCallContext, f: &mut Frame, subset: Dynamic| {
        let fail = at(ctx.call_position());
        let subset = names(&subset, "unique").map_err(&fail)?;
        ops::unique(f, Some(&subset), caps).map_err(fail)
    });
}

/// Operations that combine: group_by + agg, join.
fn register_combining(engine: &mut Engine, caps: Caps) {
    engine.register_fn("group_by", |ctx: NativeCallContext, f: &mut Frame, keys: Dynamic| {
        let keys = names(&keys, "group_by").map_err(at(ctx.call_position()))?;
        Ok::<_, Box<EvalAltResult>>(GroupBy { frame: f.clone(), keys })
    });
    engine.register_fn("agg", move |ctx: NativeCallContext, g: &mut GroupBy, aggs: Dynamic| {
        let fail = at(ctx.call_position());
        let aggs = exprs(&aggs).map_err(&fail)?;
        ops::group_by(&g.frame, &g.keys, aggs, caps).map_err(fail)
    });
    let join = move |ctx: NativeCallContext, f: &mut Frame, other: Frame, on: Dynamic, how: &str| {
        let fail = at(ctx.call_position());
        let on = names(&on, "join").map_err(&fail)?;
        ops::join(f, &other, &on, how, caps).map_err(fail)
    };
    engine.register_fn("join", move |ctx: NativeCallContext, f: &mut Frame, other: Frame, on: Dynamic| {
        join(ctx, f, other, on, "inner")
    });
    engine.register_fn(
        "join",
        move |ctx: NativeCallContext, f: &mut Frame, other: Frame, on: Dynamic, how: ImmutableString| {
            join(ctx, f, other, on, &how)
        },
    );
}
