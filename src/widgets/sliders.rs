//! `slider`: over whole numbers, floats or dates, with one handle, or two for a range (a
//! two-element `value`, as in Streamlit). Date sliders send the number of days after `min`
//! and hand the script ISO dates.

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};
use serde_json::Value;

use super::input::{COMMON, Widget, check_default};
use super::options::{Options, error};
use super::{convert, placed};
use crate::page::{ContainerId, Control, WidgetKind};
use crate::session_state::{WidgetSpec, parse_date};

type Res<T> = Result<T, Box<EvalAltResult>>;

pub fn register(engine: &mut Engine) {
    placed!(engine, "slider", |t, p, l: ImmutableString, a: i64, b: i64| int_slider(t, p, l, a, b, Map::new()), (label: ImmutableString, min: i64, max: i64));
    placed!(engine, "slider", int_slider, (label: ImmutableString, min: i64, max: i64, opts: Map));
    placed!(engine, "slider", |t, p, l: ImmutableString, a: f64, b: f64| float_slider(t, p, l, a, b, Map::new()), (label: ImmutableString, min: f64, max: f64));
    placed!(engine, "slider", float_slider, (label: ImmutableString, min: f64, max: f64, opts: Map));
    placed!(engine, "slider", |t, p, l: ImmutableString, a: ImmutableString, b: ImmutableString| date_slider(t, p, l, a, b, Map::new()), (label: ImmutableString, min: ImmutableString, max: ImmutableString));
    placed!(engine, "slider", date_slider, (label: ImmutableString, min: ImmutableString, max: ImmutableString, opts: Map));
}

fn int_slider(
    target: ContainerId,
    pos: Position,
    label: ImmutableString,
    min: i64,
    max: i64,
    opts: Map,
) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "step"]].concat())?;
    if min > max {
        return Err(error(format!("the slider's min {min} is above its max {max}"), pos));
    }
    let step = opts.int("step")?.unwrap_or(1);
    if step < 1 {
        return Err(error(format!("option `step` must be at least 1, not {step}"), pos));
    }
    let item = WidgetSpec::IntRange { min, max };
    let (spec, default) = match handles(&opts)? {
        Some([low, high]) => (pair(item), Value::from(vec![as_int(&opts, low)?, as_int(&opts, high)?])),
        None => (item, Value::from(opts.int("value")?.unwrap_or(min))),
    };
    let bounds = [min.to_string(), max.to_string(), step.to_string()];
    let value =
        slider(Widget { target, pos, kind: WidgetKind::Slider, label: &label, opts: &opts, spec, default }, bounds)?;
    Ok(convert::to_dynamic(&value))
}

fn float_slider(
    target: ContainerId,
    pos: Position,
    label: ImmutableString,
    min: f64,
    max: f64,
    opts: Map,
) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "step"]].concat())?;
    if !(min.is_finite() && max.is_finite() && min <= max) {
        return Err(error(format!("the slider's range {min}..{max} is not valid"), pos));
    }
    let step = opts.float("step")?.unwrap_or(0.01);
    if !(step.is_finite() && step > 0.0) {
        return Err(error(format!("option `step` must be above 0, not {step}"), pos));
    }
    let item = WidgetSpec::FloatRange { min, max };
    let (spec, default) = match handles(&opts)? {
        Some([low, high]) => (pair(item), Value::from(vec![as_float(&opts, low)?, as_float(&opts, high)?])),
        None => (item, Value::from(opts.float("value")?.unwrap_or(min))),
    };
    let bounds = [min.to_string(), max.to_string(), step.to_string()];
    let value =
        slider(Widget { target, pos, kind: WidgetKind::Slider, label: &label, opts: &opts, spec, default }, bounds)?;
    Ok(convert::to_dynamic(&value))
}

/// A two-element `value` makes a range slider with two handles (as in Streamlit).
fn handles(opts: &Options) -> Res<Option<[Dynamic; 2]>> {
    let Some(list) = opts.raw("value").and_then(|v| v.clone().try_cast::<Array>()) else { return Ok(None) };
    match <[Dynamic; 2]>::try_from(list) {
        Ok(pair) => Ok(Some(pair)),
        Err(list) => Err(opts.fail(format!("a range slider's `value` needs two values, not {}", list.len()))),
    }
}

fn as_int(opts: &Options, v: Dynamic) -> Res<Value> {
    let type_name = v.type_name();
    v.as_int()
        .map(Value::from)
        .map_err(|_| opts.fail(format!("the slider's values must be whole numbers, not {type_name}")))
}

fn as_float(opts: &Options, v: Dynamic) -> Res<Value> {
    let number = v.as_float().or_else(|_| v.as_int().map(|i| i as f64));
    number
        .map(Value::from)
        .map_err(|_| opts.fail(format!("the slider's values must be numbers, not {}", v.type_name())))
}

pub(super) fn pair(item: WidgetSpec) -> WidgetSpec {
    WidgetSpec::Pair { item: Box::new(item) }
}

/// Draws a slider whose bounds and step are already formatted for the page.
fn slider(widget: Widget, [min, max, step]: [String; 3]) -> Res<Value> {
    check_default(&widget, widget.pos)?;
    widget.draw(|v| {
        let (value, high) = match v {
            Value::Array(pair) => (pair.first(), pair.get(1).map(convert::display_json)),
            single => (Some(single), None),
        };
        let value = value.map(convert::display_json).unwrap_or_default();
        Control::Range { min, max, step, value, high, labels: Vec::new(), day_zero: None }
    })
}

/// `slider(label, "2024-01-01", "2024-12-31")`: a slider over days, returning ISO dates.
fn date_slider(
    target: ContainerId,
    pos: Position,
    label: ImmutableString,
    min: ImmutableString,
    max: ImmutableString,
    opts: Map,
) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "step"]].concat())?;
    let (first, last) = (parse_date(&min).map_err(|m| opts.fail(m))?, parse_date(&max).map_err(|m| opts.fail(m))?);
    let days = (last - first).num_days();
    if days < 0 {
        return Err(opts.fail(format!("the slider's min {min} is after its max {max}")));
    }
    let step = opts.int("step")?.unwrap_or(1);
    if step < 1 {
        return Err(opts.fail(format!("option `step` is a number of days, at least 1, not {step}")));
    }
    let item = WidgetSpec::DayOffset { start: first.to_string(), days, step };
    let day = |v: Dynamic| -> Res<Value> {
        let text = convert::display(&v);
        parse_date(&text).map(|d| Value::from(d.to_string())).map_err(|m| opts.fail(m))
    };
    let (spec, default) = match handles(&opts)? {
        Some([low, high]) => (pair(item), Value::from(vec![day(low)?, day(high)?])),
        None => (item, opts.raw("value").cloned().map_or(Ok(Value::from(first.to_string())), day)?),
    };
    let widget = Widget { target, pos, kind: WidgetKind::Slider, label: &label, opts: &opts, spec, default };
    check_default(&widget, pos)?;
    let offset = |v: Option<&Value>| {
        let day = v.and_then(Value::as_str).and_then(|t| parse_date(t).ok()).unwrap_or(first);
        (day - first).num_days().to_string()
    };
    let value = widget.draw(|v| {
        let (value, high) = match v {
            Value::Array(pair) => (offset(pair.first()), Some(offset(pair.get(1)))),
            single => (offset(Some(single)), None),
        };
        let (min, max, step) = ("0".to_owned(), days.to_string(), step.to_string());
        Control::Range { min, max, step, value, high, labels: Vec::new(), day_zero: Some(first.to_string()) }
    })?;
    Ok(convert::to_dynamic(&value))
}
