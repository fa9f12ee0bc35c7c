//! Date, time, date-and-time and colour inputs. They draw the browser's own pickers (so they
//! work without JavaScript), and their values travel and reach the script as ISO text:
//! `"2024-05-01"`, `"09:30"`, `"2024-05-01T09:30"`, `"#ff8800"`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};
use serde_json::Value;

use super::input::{COMMON, Widget, check_default};
use super::options::Options;
use super::sliders::pair;
use super::{convert, placed};
use crate::page::{ContainerId, Control, WidgetKind};
use crate::session_state::{
    WidgetSpec, add_years, datetime_text, parse_color, parse_date, parse_datetime, parse_time, time_text,
};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Streamlit's default step of a time: 15 minutes.
const DEFAULT_STEP: i64 = 900;
/// How far the default bounds of a date lie from its value (Streamlit's ±10 years).
const DEFAULT_SPAN_YEARS: i32 = 10;

pub fn register(engine: &mut Engine) {
    placed!(engine, "date_input", |t, p, l: ImmutableString| date_input(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "date_input", date_input, (label: ImmutableString, opts: Map));
    placed!(engine, "time_input", |t, p, l: ImmutableString| time_input(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "time_input", time_input, (label: ImmutableString, opts: Map));
    placed!(engine, "datetime_input", |t, p, l: ImmutableString| datetime_input(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "datetime_input", datetime_input, (label: ImmutableString, opts: Map));
    placed!(engine, "color_picker", |t, p, l: ImmutableString| color_picker(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "color_picker", color_picker, (label: ImmutableString, opts: Map));
}

/// The `value` option of a date input: one day, nothing, or a range (two days, or none yet).
enum Days {
    One(NaiveDate),
    Nothing,
    Range(Option<[NaiveDate; 2]>),
}

fn date_input(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "min_value", "max_value", "format"]].concat())?;
    let format = DateFormat::parse(opts.string("format")?.as_deref()).map_err(|m| opts.fail(m))?;
    let days = days(&opts)?;
    let today = now().date();
    let (first, last) = match &days {
        Days::One(day) => (*day, *day),
        Days::Range(Some([a, b])) => (*a, *b),
        Days::Nothing | Days::Range(None) => (today, today),
    };
    let min = date_option(&opts, "min_value")?.unwrap_or_else(|| add_years(first, -DEFAULT_SPAN_YEARS));
    let max = date_option(&opts, "max_value")?.unwrap_or_else(|| add_years(last, DEFAULT_SPAN_YEARS));
    if min > max {
        return Err(opts.fail(format!("min_value {min} is after max_value {max}")));
    }
    let item = WidgetSpec::Date { min: min.to_string(), max: max.to_string() };
    let (spec, default, range) = match days {
        Days::One(day) => (item, Value::from(day.to_string()), false),
        Days::Nothing => (optional(item), Value::Null, false),
        Days::Range(Some([a, b])) => (pair(item), Value::from(vec![a.to_string(), b.to_string()]), true),
        Days::Range(None) => (optional(pair(item)), Value::Null, true),
    };
    let widget = Widget { target, pos, kind: WidgetKind::DateInput, label: &label, opts: &opts, spec, default };
    check_default(&widget, pos)?;
    let bounds = (Some(min.to_string()), Some(max.to_string()));
    let value = widget.draw(|v| {
        let shown = texts(v, range).iter().filter_map(|t| parse_date(t).ok()).map(|d| format.write(d)).collect();
        temporal("date", bounds, None, texts(v, range), shown)
    })?;
    Ok(convert::to_dynamic(&value))
}

fn days(opts: &Options) -> Res<Days> {
    if opts.is_unit("value") {
        return Ok(Days::Nothing);
    }
    let Some(value) = opts.raw("value") else { return Ok(Days::One(now().date())) };
    if let Some(list) = value.clone().try_cast::<Array>() {
        return match list.as_slice() {
            [] => Ok(Days::Range(None)),
            [a, b] => Ok(Days::Range(Some([day_of(opts, a)?, day_of(opts, b)?]))),
            _ => Err(opts.fail(format!("a date range's `value` needs two dates, not {}", list.len()))),
        };
    }
    Ok(Days::One(day_of(opts, value)?))
}

/// A date given by the script: "today" or an ISO date.
fn day_of(opts: &Options, value: &Dynamic) -> Res<NaiveDate> {
    match convert::display(value).as_str() {
        _ if !value.is_string() => {
            Err(opts.fail(format!("a date must be an ISO string such as \"2024-05-01\", not {}", value.type_name())))
        }
        "today" => Ok(now().date()),
        text => parse_date(text).map_err(|m| opts.fail(m)),
    }
}

fn date_option(opts: &Options, name: &str) -> Res<Option<NaiveDate>> {
    let Some(text) = opts.string(name)? else { return Ok(None) };
    parse_date(&text).map(Some).map_err(|m| opts.fail(format!("option `{name}`: {m}")))
}

fn time_input(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "step"]].concat())?;
    let step = step(&opts)?;
    let (spec, default) = match moment(&opts, step, parse_time, |at| at.time())? {
        Some(time) => (WidgetSpec::Time { step }, Value::from(time_text(time, step))),
        None => (optional(WidgetSpec::Time { step }), Value::Null),
    };
    let widget = Widget { target, pos, kind: WidgetKind::TimeInput, label: &label, opts: &opts, spec, default };
    check_default(&widget, pos)?;
    let value = widget.draw(|v| {
        let values = texts(v, false);
        temporal("time", (None, None), Some(step.to_string()), values.clone(), values)
    })?;
    Ok(convert::to_dynamic(&value))
}

fn datetime_input(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "min_value", "max_value", "step", "format"]].concat())?;
    let format = DateFormat::parse(opts.string("format")?.as_deref()).map_err(|m| opts.fail(m))?;
    let step = step(&opts)?;
    let value = moment(&opts, step, parse_datetime, |at| at)?;
    let anchor = value.unwrap_or_else(now);
    let bound = |name: &str, years: i32| -> Res<NaiveDateTime> {
        match opts.string(name)? {
            Some(text) => parse_datetime(&text).map_err(|m| opts.fail(format!("option `{name}`: {m}"))),
            None => Ok(add_years(anchor.date(), years).and_time(NaiveTime::MIN)),
        }
    };
    let (min, max) = (bound("min_value", -DEFAULT_SPAN_YEARS)?, bound("max_value", DEFAULT_SPAN_YEARS)?);
    let text = |at: NaiveDateTime| datetime_text(at, step);
    let item = WidgetSpec::DateTime { min: text(min), max: text(max), step };
    let (spec, default) = match value {
        Some(at) => (item, Value::from(text(at))),
        None => (optional(item), Value::Null),
    };
    let widget = Widget { target, pos, kind: WidgetKind::DatetimeInput, label: &label, opts: &opts, spec, default };
    check_default(&widget, pos)?;
    let value = widget.draw(|v| {
        let values = texts(v, false);
        let written = |t: &String| {
            parse_datetime(t).ok().map(|at| format!("{} {}", format.write(at.date()), time_text(at.time(), step)))
        };
        let shown = values.iter().filter_map(written).collect();
        temporal("datetime-local", (Some(text(min)), Some(text(max))), Some(step.to_string()), values, shown)
    })?;
    Ok(convert::to_dynamic(&value))
}

/// The `step` option of a time, in seconds: from one minute to 23 hours, as in Streamlit.
fn step(opts: &Options) -> Res<u32> {
    let step = opts.int("step")?.unwrap_or(DEFAULT_STEP);
    match u32::try_from(step) {
        Ok(seconds) if (60..=82_800).contains(&seconds) => Ok(seconds),
        _ => Err(opts.fail(format!("option `step` must be between 60 seconds and 23 hours (82800), not {step}"))),
    }
}

/// The `value` of a time or datetime input: "now" (the default, rounded down to the step),
/// an ISO text on the step, or nothing with `value: ()`.
fn moment<T: Copy>(
    opts: &Options,
    step: u32,
    parse: impl Fn(&str) -> Result<T, String>,
    of_now: impl Fn(NaiveDateTime) -> T,
) -> Res<Option<T>> {
    if opts.is_unit("value") {
        return Ok(None);
    }
    match opts.string("value")?.as_deref() {
        None | Some("now") => {
            let now = now();
            let seconds = now.time().num_seconds_from_midnight();
            let snapped =
                now.date().and_time(NaiveTime::MIN) + chrono::Duration::seconds(i64::from(seconds - seconds % step));
            Ok(Some(of_now(snapped)))
        }
        Some(text) => parse(text).map(Some).map_err(|m| opts.fail(m)),
    }
}

fn color_picker(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<String> {
    let opts = Options::new(opts, pos, &[COMMON, &["value"]].concat())?;
    let value = opts.string("value")?.unwrap_or_else(|| "#000000".to_owned());
    let default = Value::from(parse_color(&value).map_err(|m| opts.fail(m))?);
    let kind = WidgetKind::ColorPicker;
    let widget = Widget { target, pos, kind, label: &label, opts: &opts, spec: WidgetSpec::Color, default };
    let value = widget.draw(|v| Control::Color { value: convert::display_json(v) })?;
    Ok(convert::display_json(&value))
}

fn optional(item: WidgetSpec) -> WidgetSpec {
    WidgetSpec::Optional { item: Box::new(item) }
}

/// The texts a temporal control shows: one, or two for a range (empty while unset).
fn texts(value: &Value, range: bool) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(convert::display_json).collect(),
        Value::Null if range => vec![String::new(), String::new()],
        single => vec![convert::display_json(single)],
    }
}

fn temporal(
    input: &'static str,
    (min, max): (Option<String>, Option<String>),
    step: Option<String>,
    values: Vec<String>,
    shown: Vec<String>,
) -> Control {
    Control::Temporal { input, min, max, step, values, shown: shown.join(" – ") }
}

/// The current date and time (UTC): the default of "today" and "now".
fn now() -> NaiveDateTime {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).naive_utc()
}

/// Streamlit's date `format`: `YYYY`, `MM` and `DD` in one of three orders, separated by
/// `/`, `-` or `.`. The browser's picker follows its own locale; the chosen date is also
/// written in this format beside it.
#[derive(Debug, Clone)]
struct DateFormat(String);

impl DateFormat {
    fn parse(text: Option<&str>) -> Result<Self, String> {
        let text = text.unwrap_or("YYYY/MM/DD");
        let bad =
            || format!("option `format` must be like \"YYYY/MM/DD\", \"DD.MM.YYYY\" or \"MM-DD-YYYY\", not {text:?}");
        let separator = text.chars().find(|c| "/-.".contains(*c)).ok_or_else(bad)?;
        let parts: Vec<&str> = text.split(separator).collect();
        let pattern = match parts.as_slice() {
            ["YYYY", "MM", "DD"] => ["%Y", "%m", "%d"],
            ["DD", "MM", "YYYY"] => ["%d", "%m", "%Y"],
            ["MM", "DD", "YYYY"] => ["%m", "%d", "%Y"],
            _ => return Err(bad()),
        };
        Ok(Self(pattern.join(&separator.to_string())))
    }

    fn write(&self, date: NaiveDate) -> String {
        date.format(&self.0).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_are_streamlits_three_orders() {
        let day = parse_date("2024-05-01").unwrap();
        assert_eq!(DateFormat::parse(None).map(|f| f.write(day)), Ok("2024/05/01".into()));
        assert_eq!(DateFormat::parse(Some("DD.MM.YYYY")).map(|f| f.write(day)), Ok("01.05.2024".into()));
        assert_eq!(DateFormat::parse(Some("MM-DD-YYYY")).map(|f| f.write(day)), Ok("05-01-2024".into()));
        assert!(DateFormat::parse(Some("YYYY/DD/MM")).is_err());
        assert!(DateFormat::parse(Some("%Y")).is_err());
    }
}
