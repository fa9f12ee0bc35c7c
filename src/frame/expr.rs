//! Column expressions for `filter`, `with_column`, `select` and `agg`, in Polars' style:
//! `col("units") > 10 & col("region") == "West"`, `(col("price") * col("units")).alias("revenue")`,
//! `col("revenue").sum()`. Rhai's `&&`/`||` only take booleans, so `&`, `|` and `!` combine
//! conditions (as in Polars and pandas); Rhai binds them after the comparisons.

use polars::prelude::{self as pl, DataType, Expr as PlExpr, NULL, lit};
use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString};

/// An expression over the columns of a frame, as scripts hold it.
#[derive(Clone, Debug)]
pub struct Expr(pub PlExpr);

/// A script value as an expression: an `Expr` as it is, anything else as a literal.
pub fn literal(value: &Dynamic) -> Result<PlExpr, String> {
    if let Some(expr) = value.read_lock::<Expr>() {
        return Ok(expr.0.clone());
    }
    if value.is_unit() {
        return Ok(lit(NULL));
    }
    if let Ok(i) = value.as_int() {
        return Ok(lit(i));
    }
    if let Ok(f) = value.as_float() {
        return Ok(lit(f));
    }
    if let Ok(b) = value.as_bool() {
        return Ok(lit(b));
    }
    if value.is_string() {
        return Ok(lit(value.to_string()));
    }
    Err(format!("an expression takes a column, a number, a string, true/false or (), not {}", value.type_name()))
}

/// A column name or an expression, as `select` and `group_by` take them.
pub fn column_or_expr(value: &Dynamic) -> Result<PlExpr, String> {
    if value.is_string() {
        return Ok(pl::col(value.to_string()));
    }
    match value.read_lock::<Expr>() {
        Some(expr) => Ok(expr.0.clone()),
        None => {
            Err(format!("expected a column name or an expression such as col(\"x\").sum(), not {}", value.type_name()))
        }
    }
}

/// `is_in`: the values as one list literal (all of one kind: numbers, strings or booleans).
fn is_in(expr: &Expr, values: Array) -> Result<Expr, String> {
    let series = super::cells::series_of("values", &values);
    if series.dtype() == &DataType::String && values.iter().any(|v| !v.is_string() && !v.is_unit()) {
        return Err("is_in takes an array of values of one kind (all numbers, all strings or all booleans)".into());
    }
    Ok(Expr(expr.0.clone().is_in(lit(series).implode(false), false)))
}

fn script_error(message: String) -> Box<EvalAltResult> {
    message.into()
}

type Binary = fn(PlExpr, PlExpr) -> PlExpr;

/// The operators, by their Rhai name.
const OPERATORS: [(&str, Binary); 12] = [
    ("==", |a, b| a.eq(b)),
    ("!=", |a, b| a.neq(b)),
    ("<", |a, b| a.lt(b)),
    ("<=", |a, b| a.lt_eq(b)),
    (">", |a, b| a.gt(b)),
    (">=", |a, b| a.gt_eq(b)),
    ("+", |a, b| a + b),
    ("-", |a, b| a - b),
    ("*", |a, b| a * b),
    ("/", |a, b| a / b),
    ("&", |a, b| a.and(b)),
    ("|", |a, b| a.or(b)),
];

type Unary = fn(PlExpr) -> PlExpr;

/// Methods without arguments: checks and the aggregations of `group_by(...).agg([...])`.
const METHODS: [(&str, Unary); 12] = [
    ("is_null", PlExpr::is_null),
    ("is_not_null", PlExpr::is_not_null),
    ("not", PlExpr::not),
    ("sum", PlExpr::sum),
    ("mean", PlExpr::mean),
    ("median", PlExpr::median),
    ("min", PlExpr::min),
    ("max", PlExpr::max),
    ("count", PlExpr::count),
    ("n_unique", PlExpr::n_unique),
    ("first", PlExpr::first),
    ("last", PlExpr::last),
];

macro_rules! both_ways {
    ($engine:expr, $name:expr, $op:expr, $ty:ty, $to:expr) => {{
        let op: Binary = $op;
        $engine.register_fn($name, move |a: Expr, b: $ty| Expr(op(a.0, $to(b))));
        $engine.register_fn($name, move |a: $ty, b: Expr| Expr(op($to(a), b.0)));
    }};
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Expr>("Expr");
    engine.register_fn("col", |name: ImmutableString| Expr(pl::col(name.as_str())));
    engine.register_fn("lit", |value: Dynamic| literal(&value).map(Expr).map_err(script_error));
    for (name, op) in OPERATORS {
        engine.register_fn(name, move |a: Expr, b: Expr| Expr(op(a.0, b.0)));
        both_ways!(engine, name, op, i64, lit);
        both_ways!(engine, name, op, f64, lit);
        both_ways!(engine, name, op, bool, lit);
        both_ways!(engine, name, op, ImmutableString, |v: ImmutableString| lit(v.to_string()));
    }
    engine.register_fn("!", |a: Expr| Expr(a.0.not()));
    engine.register_fn("-", |a: Expr| Expr(lit(0_i64) - a.0));
    for (name, method) in METHODS {
        engine.register_fn(name, move |a: &mut Expr| Expr(method(a.0.clone())));
    }
    engine.register_fn("alias", |a: &mut Expr, name: ImmutableString| Expr(a.0.clone().alias(name.as_str())));
    engine.register_fn("is_in", |a: &mut Expr, values: Array| is_in(a, values).map_err(script_error));
    engine.register_fn("contains", |a: &mut Expr, text: ImmutableString| {
        Expr(a.0.clone().str().contains_literal(lit(text.to_string())))
    });
    engine.register_fn("starts_with", |a: &mut Expr, text: ImmutableString| {
        Expr(a.0.clone().str().starts_with(lit(text.to_string())))
    });
    engine.register_fn("ends_with", |a: &mut Expr, text: ImmutableString| {
        Expr(a.0.clone().str().ends_with(lit(text.to_string())))
    });
    engine.register_fn("to_string", |a: &mut Expr| format!("{}", a.0));
    engine.register_fn("to_debug", |a: &mut Expr| format!("{}", a.0));
}
