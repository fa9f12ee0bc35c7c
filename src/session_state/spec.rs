//! A widget's declared domain, and the check that a value from the browser lies inside it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::calendar;
use crate::page::WidgetKind;

/// A widget's id: its kind plus its `key`, or else its label (as in Streamlit).
pub fn widget_id(kind: WidgetKind, key: Option<&str>, label: &str) -> String {
    match key {
        Some(key) => format!("{}:key:{key}", kind.name()),
        None => format!("{}:{label}", kind.name()),
    }
}

/// The values a widget accepts, recorded when it is drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WidgetSpec {
    Button,
    Bool,
    /// Radio, selectbox, select_slider, single pills, feedback: one of `options`, or nothing
    /// (`null`, sent as an empty value) when `optional`.
    Choice {
        options: Vec<Value>,
        #[serde(default)]
        optional: bool,
    },
    /// Multiselect: any subset of `options`, in option order.
    MultiChoice {
        options: Vec<Value>,
    },
    IntRange {
        min: i64,
        max: i64,
    },
    FloatRange {
        min: f64,
        max: f64,
    },
    Text {
        max_chars: Option<usize>,
    },
    /// A chat message (`chat_input`): text of at most `max_chars` characters, delivered to one
    /// run; a blank one is no message (`null`).
    Message {
        max_chars: usize,
    },
    /// An ISO date (`YYYY-MM-DD`) within `min..=max`.
    Date {
        min: String,
        max: String,
    },
    /// A time of day on a grid of `step` seconds from midnight.
    Time {
        step: u32,
    },
    /// A date and time (`YYYY-MM-DDTHH:MM`) within `min..=max`, on the `step` grid.
    DateTime {
        min: String,
        max: String,
        step: u32,
    },
    /// A colour as `#rrggbb`.
    Color,
    /// A day on a slider: the browser sends how many days after `start` (at most `days`, on
    /// the `step`); the value is that day as an ISO date.
    DayOffset {
        start: String,
        days: i64,
        step: i64,
    },
    /// `item`, or nothing (`null`, sent as empty values): a date input with `value: ()`.
    Optional {
        item: Box<WidgetSpec>,
    },
    /// Two values of `item`, the first not after the second: a range slider, a date range,
    /// a select_slider range.
    Pair {
        item: Box<WidgetSpec>,
    },
    /// A file uploader: files of `types` (by extension and content; empty for any checked
    /// type), each at most `max_size` bytes, one or several. Files come in a multipart event.
    Files {
        types: Vec<String>,
        multiple: bool,
        max_size: u64,
    },
    /// An authenticator form: it posts to its own address, never as a widget event.
    AuthForm {
        form: super::AuthFormSpec,
    },
}

impl WidgetSpec {
    /// Turns the raw form values of an event into a value of this widget, or says why not.
    /// Choices arrive as option indexes; everything else as text.
    pub fn parse(&self, raw: &[String]) -> Result<Value, String> {
        match self {
            Self::Button => Ok(Value::Bool(true)),
            Self::Bool => match last(raw)? {
                "true" | "on" => Ok(Value::Bool(true)),
                "false" | "off" => Ok(Value::Bool(false)),
                other => Err(format!("expected true or false, got {other:?}")),
            },
            Self::Choice { options, optional } => match last(raw)? {
                "" if *optional => Ok(Value::Null),
                text => Ok(options[option_index(text, options.len())?].clone()),
            },
            Self::MultiChoice { options } => {
                // Empty values are markers that let "none selected" arrive at all.
                let chosen = raw.iter().filter(|r| !r.is_empty());
                let mut picked = chosen.map(|r| option_index(r, options.len())).collect::<Result<Vec<_>, _>>()?;
                picked.sort_unstable();
                picked.dedup();
                Ok(Value::Array(picked.into_iter().map(|i| options[i].clone()).collect()))
            }
            Self::IntRange { min, max } => {
                let text = last(raw)?.trim();
                let value: i64 = text.parse().map_err(|_| format!("expected a whole number, got {text:?}"))?;
                if value < *min || value > *max {
                    return Err(format!("{value} is outside {min}..={max}"));
                }
                Ok(Value::from(value))
            }
            Self::FloatRange { min, max } => {
                let text = last(raw)?.trim();
                let value: f64 = text.parse().map_err(|_| format!("expected a number, got {text:?}"))?;
                if !value.is_finite() {
                    return Err(format!("expected a finite number, got {text:?}"));
                }
                if value < *min || value > *max {
                    return Err(format!("{value} is outside {min}..={max}"));
                }
                Ok(Value::from(value))
            }
            Self::Text { max_chars } => {
                let text = last(raw)?;
                if let Some(max) = max_chars
                    && text.chars().count() > *max
                {
                    return Err(format!("the text is longer than {max} characters"));
                }
                Ok(Value::String(text.to_owned()))
            }
            Self::Message { max_chars } => {
                let text = last(raw)?;
                if text.chars().count() > *max_chars {
                    return Err(format!("the message is longer than {max_chars} characters"));
                }
                Ok(if text.trim().is_empty() { Value::Null } else { Value::String(text.to_owned()) })
            }
            Self::Date { min, max } => {
                let date = calendar::parse_date(last(raw)?)?.format(calendar::DATE).to_string();
                within(date, min, max)
            }
            Self::Time { step } => {
                let time = calendar::parse_time(last(raw)?)?;
                if !calendar::on_step(time, *step) {
                    return Err(format!("{time} is not on the {step}-second step"));
                }
                Ok(Value::String(calendar::time_text(time, *step)))
            }
            Self::DateTime { min, max, step } => {
                let at = calendar::parse_datetime(last(raw)?)?;
                if !calendar::on_step(at.time(), *step) {
                    return Err(format!("{at} is not on the {step}-second step"));
                }
                within(calendar::datetime_text(at, *step), min, max)
            }
            Self::Color => calendar::parse_color(last(raw)?).map(Value::String),
            Self::DayOffset { start, days, step } => {
                let text = last(raw)?.trim();
                let offset: i64 = text.parse().map_err(|_| format!("expected a number of days, got {text:?}"))?;
                if offset < 0 || offset > *days || offset % step.max(&1) != 0 {
                    return Err(format!("{offset} is not a day of this slider (0..={days}, step {step})"));
                }
                let day = calendar::parse_date(start)? + chrono::Duration::days(offset);
                Ok(Value::String(day.format(calendar::DATE).to_string()))
            }
            Self::Optional { .. } if raw.iter().all(|r| r.trim().is_empty()) => Ok(Value::Null),
            Self::Optional { item } => item.parse(raw),
            Self::Pair { item } => {
                let [low, high] = raw else {
                    return Err(format!("a range needs two values, got {}", raw.len()));
                };
                let pair = [item.parse(std::slice::from_ref(low))?, item.parse(std::slice::from_ref(high))?];
                if !item.in_order(&pair[0], &pair[1]) {
                    return Err(format!("the range's start {} is after its end {}", pair[0], pair[1]));
                }
                Ok(Value::Array(pair.into()))
            }
            Self::Files { types, multiple, max_size } => {
                super::upload::parse_files(types, *multiple, *max_size, raw, &[])
            }
            Self::AuthForm { .. } => Err("an authenticator form is sent to its own address, not as an event".into()),
        }
    }

    /// Whether `low` comes no later than `high` in this domain (options by their position).
    fn in_order(&self, low: &Value, high: &Value) -> bool {
        match (self, low, high) {
            (Self::Choice { options, .. }, _, _) => {
                let at = |v: &Value| options.iter().position(|o| o == v);
                at(low) <= at(high)
            }
            (_, Value::String(a), Value::String(b)) => a <= b,
            (_, a, b) => a.as_f64().zip(b.as_f64()).is_some_and(|(a, b)| a <= b),
        }
    }
}

/// An ISO text value inside `min..=max` (ISO dates and times sort as text).
fn within(text: String, min: &str, max: &str) -> Result<Value, String> {
    if text.as_str() < min || text.as_str() > max {
        return Err(format!("{text} is outside {min}..={max}"));
    }
    Ok(Value::String(text))
}

impl WidgetSpec {
    /// Whether a stored value (or one a script put in `state[key]`) lies in this domain.
    pub fn accepts(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Button | Self::AuthForm { .. }, _) => true,
            (Self::Bool, Value::Bool(_)) => true,
            (Self::Choice { options, optional }, v) => {
                options.contains(v) || ((*optional || options.is_empty()) && v.is_null())
            }
            (Self::MultiChoice { options }, Value::Array(items)) => items.iter().all(|i| options.contains(i)),
            (Self::IntRange { min, max }, v) => v.as_i64().is_some_and(|i| *min <= i && i <= *max),
            (Self::FloatRange { min, max }, v) => v.as_f64().is_some_and(|f| *min <= f && f <= *max),
            (Self::Text { max_chars }, Value::String(s)) => max_chars.is_none_or(|m| s.chars().count() <= m),
            (Self::Message { .. }, Value::Null) => true,
            (Self::Message { max_chars }, Value::String(s)) => s.chars().count() <= *max_chars,
            (Self::DayOffset { start, days, step }, Value::String(s)) => {
                let offset =
                    calendar::parse_date(s).ok().zip(calendar::parse_date(start).ok()).map(|(d, s)| (d - s).num_days());
                offset.is_some_and(|o| (0..=*days).contains(&o) && o % step.max(&1) == 0 && s.len() == 10)
            }
            (Self::Optional { .. }, Value::Null) => true,
            (Self::Files { multiple, .. }, v) => super::upload::is_file_value(v, *multiple),
            (Self::Optional { item }, v) => item.accepts(v),
            (Self::Pair { item }, Value::Array(pair)) => match pair.as_slice() {
                [low, high] => item.accepts(low) && item.accepts(high) && item.in_order(low, high),
                _ => false,
            },
            // The canonical text of a value is the value itself.
            (Self::Date { .. } | Self::Time { .. } | Self::DateTime { .. } | Self::Color, Value::String(s)) => {
                self.parse(std::slice::from_ref(s)).as_ref() == Ok(value)
            }
            _ => false,
        }
    }
}

fn last(raw: &[String]) -> Result<&str, String> {
    raw.last().map(String::as_str).ok_or_else(|| "the event carries no value".to_owned())
}

fn option_index(raw: &str, len: usize) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(i) if i < len => Ok(i),
        _ => Err(format!("{raw:?} is not one of the {len} options")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn a_slider_refuses_values_outside_its_range_and_non_numbers() {
        let spec = WidgetSpec::IntRange { min: 0, max: 10 };
        assert_eq!(spec.parse(&raw(&["7"])), Ok(Value::from(7)));
        assert!(spec.parse(&raw(&["11"])).is_err());
        assert!(spec.parse(&raw(&["-1"])).is_err());
        assert!(spec.parse(&raw(&["seven"])).is_err());
        assert!(spec.parse(&raw(&[])).is_err());
    }

    #[test]
    fn a_float_slider_refuses_nan_and_infinity() {
        let spec = WidgetSpec::FloatRange { min: 0.0, max: 1.0 };
        assert_eq!(spec.parse(&raw(&["0.5"])), Ok(Value::from(0.5)));
        assert!(spec.parse(&raw(&["NaN"])).is_err());
        assert!(spec.parse(&raw(&["inf"])).is_err());
    }

    #[test]
    fn a_choice_must_name_an_existing_option() {
        let spec = WidgetSpec::Choice { options: vec![Value::from("a"), Value::from("b")], optional: false };
        assert_eq!(spec.parse(&raw(&["1"])), Ok(Value::from("b")));
        assert!(spec.parse(&raw(&["2"])).is_err());
        assert!(spec.parse(&raw(&["b"])).is_err());
    }

    #[test]
    fn a_multiselect_keeps_option_order_and_drops_repeats() {
        let spec = WidgetSpec::MultiChoice { options: vec![Value::from("a"), Value::from("b")] };
        assert_eq!(spec.parse(&raw(&["1", "0", "1"])), Ok(serde_json::json!(["a", "b"])));
        assert_eq!(spec.parse(&raw(&[])), Ok(serde_json::json!([])));
        assert!(spec.parse(&raw(&["0", "9"])).is_err());
    }

    #[test]
    fn a_checkbox_takes_the_last_of_its_hidden_and_checked_values() {
        assert_eq!(WidgetSpec::Bool.parse(&raw(&["false", "true"])), Ok(Value::Bool(true)));
        assert_eq!(WidgetSpec::Bool.parse(&raw(&["false"])), Ok(Value::Bool(false)));
        assert!(WidgetSpec::Bool.parse(&raw(&["maybe"])).is_err());
    }

    #[test]
    fn text_longer_than_max_chars_is_refused() {
        let spec = WidgetSpec::Text { max_chars: Some(3) };
        assert!(spec.parse(&raw(&["abcd"])).is_err());
        assert_eq!(spec.parse(&raw(&["äbc"])), Ok(Value::from("äbc")));
    }

    #[test]
    fn a_date_must_be_an_iso_day_inside_its_bounds() {
        let spec = WidgetSpec::Date { min: "2024-01-01".into(), max: "2024-12-31".into() };
        assert_eq!(spec.parse(&raw(&["2024-05-01"])), Ok(Value::from("2024-05-01")));
        assert!(spec.parse(&raw(&["2025-01-01"])).is_err());
        assert!(spec.parse(&raw(&["2024-02-30"])).is_err());
        assert!(spec.accepts(&Value::from("2024-05-01")));
        assert!(!spec.accepts(&Value::from("2024-5-1")));
    }

    #[test]
    fn a_time_must_lie_on_its_step() {
        let spec = WidgetSpec::Time { step: 900 };
        assert_eq!(spec.parse(&raw(&["09:45"])), Ok(Value::from("09:45")));
        assert!(spec.parse(&raw(&["09:50"])).is_err());
    }

    #[test]
    fn a_range_needs_two_values_in_order() {
        let spec = WidgetSpec::Pair { item: Box::new(WidgetSpec::IntRange { min: 0, max: 10 }) };
        assert_eq!(spec.parse(&raw(&["2", "8"])), Ok(serde_json::json!([2, 8])));
        assert!(spec.parse(&raw(&["8", "2"])).is_err());
        assert!(spec.parse(&raw(&["2"])).is_err());
        assert!(spec.parse(&raw(&["2", "11"])).is_err());
    }

    #[test]
    fn an_optional_choice_takes_an_empty_value_as_nothing_chosen() {
        let options = vec![Value::from("a"), Value::from("b")];
        let spec = WidgetSpec::Choice { options: options.clone(), optional: true };
        assert_eq!(spec.parse(&raw(&[""])), Ok(Value::Null));
        let required = WidgetSpec::Choice { options, optional: false };
        assert!(required.parse(&raw(&[""])).is_err());
    }
}
