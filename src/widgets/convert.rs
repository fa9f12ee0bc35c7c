//! Conversions between Rhai values, JSON (what the store keeps) and display text.

use rhai::{Dynamic, EvalAltResult, Position};
use serde_json::Value;

/// A script value as JSON; values that JSON cannot hold (functions, handles) are an error.
pub fn to_json(value: &Dynamic, pos: Position) -> Result<Value, Box<EvalAltResult>> {
    rhai::serde::from_dynamic::<Value>(value).map_err(|err| {
        EvalAltResult::ErrorRuntime(format!("this value cannot be kept between runs: {err}").into(), pos).into()
    })
}

pub fn to_dynamic(value: &Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}

/// How a value reads on the page: strings as they are, everything else in Rhai's notation.
pub fn display(value: &Dynamic) -> String {
    if value.is_string() {
        value.clone().into_string().unwrap_or_default()
    } else if value.is_unit() {
        String::new()
    } else {
        value.to_string()
    }
}

/// Display text of a JSON value (option labels, table cells).
pub fn display_json(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Pretty JSON of any script value, for `json()` and `write()` of maps and arrays.
pub fn pretty(value: &Dynamic) -> String {
    match rhai::serde::from_dynamic::<Value>(value) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
        Err(_) => value.to_string(),
    }
}
