//! A widget's declared domain, and the check that a value from the browser lies inside it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// Radio and selectbox: one of `options`.
    Choice {
        options: Vec<Value>,
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
            Self::Choice { options } => Ok(options[option_index(last(raw)?, options.len())?].clone()),
            Self::MultiChoice { options } => {
                let mut picked = raw.iter().map(|r| option_index(r, options.len())).collect::<Result<Vec<_>, _>>()?;
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
            Self::AuthForm { .. } => Err("an authenticator form is sent to its own address, not as an event".into()),
        }
    }
}

impl WidgetSpec {
    /// Whether a stored value (or one a script put in `state[key]`) lies in this domain.
    pub fn accepts(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Button | Self::AuthForm { .. }, _) => true,
            (Self::Bool, Value::Bool(_)) => true,
            (Self::Choice { options }, v) => options.contains(v) || (options.is_empty() && v.is_null()),
            (Self::MultiChoice { options }, Value::Array(items)) => items.iter().all(|i| options.contains(i)),
            (Self::IntRange { min, max }, v) => v.as_i64().is_some_and(|i| *min <= i && i <= *max),
            (Self::FloatRange { min, max }, v) => v.as_f64().is_some_and(|f| *min <= f && f <= *max),
            (Self::Text { max_chars }, Value::String(s)) => max_chars.is_none_or(|m| s.chars().count() <= m),
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
        let spec = WidgetSpec::Choice { options: vec![Value::from("a"), Value::from("b")] };
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
}
