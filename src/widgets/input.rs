//! Input widgets. Each follows one recipe (as Streamlit's do): read the options, make the id
//! from kind plus key or label, find the current value (state[key] set by the script, else
//! the last run's value, else the default), record the widget, draw it, return the value.

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};
use serde_json::Value;

use super::options::{Options, error};
use super::{context, convert, placed};
use crate::page::{ChoiceLook, ChoiceOption, ContainerId, Control, Element, LabelVisibility, WidgetKind, WidgetView};
use crate::session_state::{WidgetRecord, WidgetSpec, widget_id};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// The options every input other than a button takes.
pub(super) const COMMON: &[&str] = &["key", "help", "disabled", "on_change", "args", "label_visibility"];

pub fn register(engine: &mut Engine) {
    placed!(engine, "button", |t, p, l: ImmutableString| button(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "button", button, (label: ImmutableString, opts: Map));
    placed!(engine, "form_submit_button", |t, p, l: ImmutableString| submit(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "form_submit_button", submit, (label: ImmutableString, opts: Map));
    for kind in [WidgetKind::Checkbox, WidgetKind::Toggle] {
        let name = kind.name();
        placed!(engine, name, move |t, p, l: ImmutableString| check(kind, t, p, l, Map::new()), (label: ImmutableString));
        placed!(engine, name, move |t, p, l: ImmutableString, o: Map| check(kind, t, p, l, o), (label: ImmutableString, opts: Map));
    }
    for kind in [WidgetKind::Radio, WidgetKind::Selectbox, WidgetKind::Multiselect] {
        let name = kind.name();
        placed!(engine, name, move |t, p, l: ImmutableString, x: Array| choice(kind, t, p, l, x, Map::new()), (label: ImmutableString, options: Array));
        placed!(engine, name, move |t, p, l: ImmutableString, x: Array, o: Map| choice(kind, t, p, l, x, o), (label: ImmutableString, options: Array, opts: Map));
    }
    for kind in [WidgetKind::TextInput, WidgetKind::TextArea] {
        let name = kind.name();
        placed!(engine, name, move |t, p, l: ImmutableString| text(kind, t, p, l, Map::new()), (label: ImmutableString));
        placed!(engine, name, move |t, p, l: ImmutableString, o: Map| text(kind, t, p, l, o), (label: ImmutableString, opts: Map));
    }
    placed!(engine, "number_input", |t, p, l: ImmutableString| number(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "number_input", number, (label: ImmutableString, opts: Map));
}

/// One widget being drawn: everything the shared recipe needs.
pub(super) struct Widget<'a> {
    pub target: ContainerId,
    pub pos: Position,
    pub kind: WidgetKind,
    pub label: &'a str,
    pub opts: &'a Options,
    pub spec: WidgetSpec,
    pub default: Value,
}

impl Widget<'_> {
    /// Registers and draws the widget; returns its current value.
    pub fn draw(self, control: impl FnOnce(&Value) -> Control) -> Res<Value> {
        let key = self.opts.key()?;
        let id = widget_id(self.kind, key.as_deref(), self.label);
        let callback_option = match self.kind {
            WidgetKind::Button | WidgetKind::FormSubmit => "on_click",
            WidgetKind::ChatInput => "on_submit",
            _ => "on_change",
        };
        let callback = self.opts.callback(callback_option)?;
        let help = self.opts.string("help")?.map(|h| crate::markup::inline(&h));
        let disabled = self.opts.bool("disabled", false)?;
        let label_visibility = label_visibility(self.opts)?;
        context::try_with(|c| {
            if let Some(reserved) =
                key.as_deref().filter(|k| c.auth.enabled && crate::session_state::AUTH_KEYS.contains(k))
            {
                let message =
                    format!("the key {reserved:?} belongs to the authenticator: give this widget another key");
                return Err(error(message, self.pos));
            }
            let form = c.page.containers[self.target].form.clone();
            check_form_rules(self.kind, form.as_deref(), callback.is_some(), self.pos)?;
            let (value, stored) = match self.kind {
                // True for exactly the run after the press.
                WidgetKind::Button | WidgetKind::FormSubmit => {
                    (Value::Bool(c.pressed.as_deref() == Some(id.as_str())), Value::Bool(false))
                }
                // The message sent for exactly the run after it was sent.
                WidgetKind::ChatInput => {
                    let sent = c.previous.get(&id).map(|r| &r.value).filter(|v| self.spec.accepts(v));
                    (sent.cloned().unwrap_or(Value::Null), Value::Null)
                }
                _ => {
                    let value = current_value(c, &id, key.as_deref(), &self.spec, self.default, self.pos)?;
                    (value.clone(), value)
                }
            };
            let fragment = c.page.containers[self.target].fragment.clone();
            let record = WidgetRecord { spec: self.spec, value: stored, key: key.clone(), callback, form, fragment };
            c.register_widget(&id, record, self.pos)?;
            if let Some(key) = &key {
                c.state.insert(key.as_str().into(), convert::to_dynamic(&value));
            }
            let view = WidgetView {
                id,
                kind: self.kind,
                label: self.label.to_owned(),
                label_html: crate::markup::inline(self.label),
                help,
                disabled,
                label_visibility,
                control: control(&value),
            };
            c.page.push(self.target, Element::Widget(view));
            Ok(value)
        })
    }
}

/// The `label_visibility` option: "visible" (the default), "hidden" or "collapsed".
fn label_visibility(opts: &Options) -> Res<LabelVisibility> {
    match opts.string("label_visibility")? {
        None => Ok(LabelVisibility::Visible),
        Some(text) => LabelVisibility::parse(&text).ok_or_else(|| {
            opts.fail(format!(
                "option `label_visibility` must be \"visible\", \"hidden\" or \"collapsed\", not {text:?}"
            ))
        }),
    }
}

/// The value a widget shows in this run. A value the script put in `state[key]` wins over
/// the last run's, which wins over the default; values outside the domain are passed over.
fn current_value(
    c: &context::RunContext,
    id: &str,
    key: Option<&str>,
    spec: &WidgetSpec,
    default: Value,
    pos: Position,
) -> Res<Value> {
    let previous = c.previous.get(id).map(|r| &r.value).filter(|v| spec.accepts(v));
    if let Some(from_state) = key.and_then(|k| c.state.get(k)) {
        let from_state = convert::to_json(from_state, pos)?;
        if previous != Some(&from_state) {
            if !spec.accepts(&from_state) {
                let key = key.unwrap_or_default();
                return Err(error(format!("state.{key} = {from_state} is not a valid value for this widget"), pos));
            }
            return Ok(from_state);
        }
    }
    Ok(previous.cloned().unwrap_or(default))
}

fn button(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<bool> {
    let opts = Options::new(opts, pos, &["key", "help", "disabled", "on_click", "args", "type"])?;
    let widget = Widget {
        target,
        pos,
        kind: WidgetKind::Button,
        label: &label,
        opts: &opts,
        spec: WidgetSpec::Button,
        default: Value::Bool(false),
    };
    let look = button_type(&opts)?;
    Ok(widget.draw(|_| Control::Button { look })? == Value::Bool(true))
}

/// The `type` option of a button: "secondary" (the default), "primary" or "tertiary".
pub(super) fn button_type(opts: &Options) -> Res<&'static str> {
    match opts.string("type")?.as_deref() {
        None | Some("secondary") => Ok("secondary"),
        Some("primary") => Ok("primary"),
        Some("tertiary") => Ok("tertiary"),
        Some(other) => {
            Err(opts.fail(format!("option `type` must be \"primary\", \"secondary\" or \"tertiary\", not {other:?}")))
        }
    }
}

/// `form_submit_button(label, opts)`: sends the form it lies in; true for the run after.
fn submit(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<bool> {
    let opts = Options::new(opts, pos, &["key", "help", "disabled", "on_click", "args", "type"])?;
    let kind = WidgetKind::FormSubmit;
    let widget =
        Widget { target, pos, kind, label: &label, opts: &opts, spec: WidgetSpec::Button, default: Value::Bool(false) };
    let look = button_type(&opts)?;
    Ok(widget.draw(|_| Control::Button { look })? == Value::Bool(true))
}

/// Forms as in Streamlit: a submit button only inside a form, no plain button inside one,
/// and no callback on a widget inside a form except on its submit button.
fn check_form_rules(kind: WidgetKind, form: Option<&str>, has_callback: bool, pos: Position) -> Res<()> {
    let message = match (kind, form) {
        (WidgetKind::FormSubmit, None) => "form_submit_button() must be drawn inside a form(key)".to_owned(),
        (WidgetKind::FormSubmit, Some(_)) => return Ok(()),
        (WidgetKind::FileUploader, Some(f)) => {
            format!("file_uploader() cannot be used inside the form {f:?}: its files are sent on their own")
        }
        (WidgetKind::ChatInput, Some(f)) => {
            format!("chat_input() cannot be used inside the form {f:?}: it sends its message on its own")
        }
        (WidgetKind::Button, Some(f)) => {
            format!("button() cannot be used inside the form {f:?}: use form_submit_button()")
        }
        (_, Some(f)) if has_callback => {
            format!("inside the form {f:?} only form_submit_button() may have a callback; move on_change to it")
        }
        _ => return Ok(()),
    };
    Err(error(message, pos))
}

fn check(kind: WidgetKind, target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<bool> {
    let opts = Options::new(opts, pos, &[COMMON, &["value"]].concat())?;
    let default = Value::Bool(opts.bool("value", false)?);
    let widget = Widget { target, pos, kind, label: &label, opts: &opts, spec: WidgetSpec::Bool, default };
    Ok(widget.draw(|v| Control::Check { checked: v == &Value::Bool(true) })? == Value::Bool(true))
}

fn choice(
    kind: WidgetKind,
    target: ContainerId,
    pos: Position,
    label: ImmutableString,
    options: Array,
    opts: Map,
) -> Res<Dynamic> {
    let extra: &[&str] = match kind {
        WidgetKind::Radio => &["index", "placeholder", "horizontal"],
        WidgetKind::Selectbox => &["index", "placeholder"],
        _ => &["default", "placeholder"],
    };
    let opts = Options::new(opts, pos, &[COMMON, extra].concat())?;
    let options: Vec<Value> = options.iter().map(|o| convert::to_json(o, pos)).collect::<Res<_>>()?;
    let (spec, default) = if kind == WidgetKind::Multiselect {
        let default = match opts.raw("default") {
            Some(d) => convert::to_json(d, pos)?,
            None => Value::Array(Vec::new()),
        };
        (WidgetSpec::MultiChoice { options: options.clone() }, default)
    } else {
        let (optional, default) = chosen_by_index(&opts, &options)?;
        (WidgetSpec::Choice { options: options.clone(), optional }, default)
    };
    if !spec.accepts(&default) {
        return Err(error("the default must be made of the listed options".into(), pos));
    }
    let look = match kind {
        WidgetKind::Radio if opts.bool("horizontal", false)? => ChoiceLook::HorizontalRadio,
        WidgetKind::Radio => ChoiceLook::Radio,
        _ => ChoiceLook::List,
    };
    let placeholder = match (kind, opts.string("placeholder")?) {
        (_, Some(text)) => Some(text),
        (WidgetKind::Selectbox, None) => Some("Choose an option".to_owned()),
        (WidgetKind::Multiselect, None) => Some("Choose options".to_owned()),
        _ => None,
    };
    let multiple = kind == WidgetKind::Multiselect;
    let widget = Widget { target, pos, kind, label: &label, opts: &opts, spec, default };
    let value = widget.draw(|value| {
        let options = choice_options(&options, value);
        Control::Choice { options, look, multiple, placeholder }
    })?;
    Ok(convert::to_dynamic(&value))
}

/// The `index` option of a radio or selectbox: the option chosen at first (0 by default), or
/// nothing with `index: ()`. Returns whether nothing may be chosen, and the default.
fn chosen_by_index(opts: &Options, options: &[Value]) -> Res<(bool, Value)> {
    if opts.is_unit("index") {
        return Ok((true, Value::Null));
    }
    let index = opts.int("index")?.unwrap_or(0);
    match usize::try_from(index).ok().and_then(|i| options.get(i)) {
        Some(default) => Ok((false, default.clone())),
        None if options.is_empty() => Ok((false, Value::Null)),
        None => Err(opts.fail(format!("index {index} is not one of the {} options", options.len()))),
    }
}

/// The options as drawn, with the ones in `value` (one value or an array) selected.
pub(super) fn choice_options(options: &[Value], value: &Value) -> Vec<ChoiceOption> {
    let selected = |o: &Value| match value {
        Value::Array(items) => items.contains(o),
        single => single == o,
    };
    let shown = options.iter().enumerate();
    shown.map(|(index, o)| ChoiceOption { index, label: convert::display_json(o), selected: selected(o) }).collect()
}

fn text(kind: WidgetKind, target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<String> {
    let extra: &[&str] = match kind {
        WidgetKind::TextInput => &["value", "max_chars", "placeholder", "type", "autocomplete"],
        _ => &["value", "max_chars", "placeholder"],
    };
    let opts = Options::new(opts, pos, &[COMMON, extra].concat())?;
    let max_chars = match opts.int("max_chars")? {
        Some(m) => {
            Some(usize::try_from(m).map_err(|_| opts.fail(format!("option `max_chars` cannot be negative: {m}")))?)
        }
        None => None,
    };
    let default = Value::String(opts.string("value")?.unwrap_or_default());
    let placeholder = opts.string("placeholder")?.unwrap_or_default();
    let input = match opts.string("type")?.as_deref() {
        None | Some("default") => "text",
        Some("password") => "password",
        Some(other) => {
            return Err(opts.fail(format!("option `type` must be \"default\" or \"password\", not {other:?}")));
        }
    };
    // As in Streamlit: a password field asks browsers for a new password unless told otherwise.
    let autocomplete = match opts.string("autocomplete")? {
        Some(hint) => hint,
        None if input == "password" => "new-password".to_owned(),
        None => String::new(),
    };
    let spec = WidgetSpec::Text { max_chars };
    let widget = Widget { target, pos, kind, label: &label, opts: &opts, spec, default };
    check_default(&widget, pos)?;
    let value = widget.draw(|v| {
        let text = convert::display_json(v);
        // A password never travels back to the page; the field shows that one is set.
        let (value, placeholder) = match input {
            "password" if !text.is_empty() => (String::new(), "••••••••".to_owned()),
            _ => (text, placeholder),
        };
        Control::Text { value, max_chars, placeholder, input, autocomplete }
    })?;
    Ok(convert::display_json(&value))
}

fn number(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "min", "max", "step", "format", "placeholder"]].concat())?;
    let is_float = ["value", "min", "max", "step"].iter().any(|n| opts.raw(n).is_some_and(Dynamic::is_float));
    let format = match opts.string("format")? {
        Some(text) => Some(NumberFormat::parse(&text, is_float).map_err(|m| opts.fail(m))?),
        None => None,
    };
    let placeholder = opts.string("placeholder")?.unwrap_or_default();
    let (spec, default, step, min, max) = if is_float {
        let (min, max) = (opts.float("min")?, opts.float("max")?);
        let default = opts.float("value")?.or(min).unwrap_or(0.0);
        let spec = WidgetSpec::FloatRange { min: min.unwrap_or(f64::MIN), max: max.unwrap_or(f64::MAX) };
        let step = opts.float("step")?.unwrap_or(0.01);
        if !(step.is_finite() && step > 0.0) {
            return Err(opts.fail(format!("option `step` must be above 0, not {step}")));
        }
        let step = step.to_string();
        (spec, Value::from(default), step, min.map(|m| m.to_string()), max.map(|m| m.to_string()))
    } else {
        let (min, max) = (opts.int("min")?, opts.int("max")?);
        let default = opts.int("value")?.or(min).unwrap_or(0);
        let spec = WidgetSpec::IntRange { min: min.unwrap_or(i64::MIN), max: max.unwrap_or(i64::MAX) };
        let step = opts.int("step")?.unwrap_or(1);
        if step < 1 {
            return Err(opts.fail(format!("option `step` must be at least 1, not {step}")));
        }
        let step = step.to_string();
        (spec, Value::from(default), step, min.map(|m| m.to_string()), max.map(|m| m.to_string()))
    };
    let widget = Widget { target, pos, kind: WidgetKind::NumberInput, label: &label, opts: &opts, spec, default };
    check_default(&widget, pos)?;
    let value = widget.draw(|v| {
        let value = match (&format, v.as_f64()) {
            (Some(format), Some(n)) => format.write(n),
            _ => convert::display_json(v),
        };
        Control::Number { min, max, step, value, placeholder }
    })?;
    Ok(convert::to_dynamic(&value))
}

pub(super) fn check_default(widget: &Widget, pos: Position) -> Res<()> {
    if widget.spec.accepts(&widget.default) {
        Ok(())
    } else {
        Err(error(format!("the default value {} is outside this widget's range", widget.default), pos))
    }
}

/// A printf-style number format as Streamlit's `number_input` takes it: `%d` or `%i` for
/// whole numbers; `%f`, `%e`, `%.2f`, `%.3e` … for floats.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NumberFormat {
    Whole,
    Fixed(usize),
    Exponent(usize),
}

impl NumberFormat {
    fn parse(text: &str, is_float: bool) -> Result<Self, String> {
        let bad = || {
            format!(
                "option `format` must be a printf-style number format such as \"%d\", \"%.2f\" or \"%e\", not {text:?}"
            )
        };
        let spec = text.strip_prefix('%').ok_or_else(bad)?;
        let (precision, conversion) = match spec.strip_prefix('.') {
            Some(rest) => {
                let digits = &rest[..rest.len().saturating_sub(1)];
                (Some(digits.parse::<usize>().ok().filter(|p| *p <= 17).ok_or_else(bad)?), &rest[digits.len()..])
            }
            None => (None, spec),
        };
        let format = match (conversion, precision) {
            ("d" | "i", None) => Self::Whole,
            ("f", p) => Self::Fixed(p.unwrap_or(6)),
            ("e", p) => Self::Exponent(p.unwrap_or(6)),
            _ => return Err(bad()),
        };
        match (format, is_float) {
            (Self::Whole, true) => Err(format!("format {text:?} is for whole numbers; this number_input holds floats")),
            (Self::Fixed(_) | Self::Exponent(_), false) => {
                Err(format!("format {text:?} is for floats; give `value`, `min`, `max` or `step` as a float"))
            }
            _ => Ok(format),
        }
    }

    fn write(self, number: f64) -> String {
        match self {
            Self::Whole => format!("{number:.0}"),
            Self::Fixed(p) => format!("{number:.p$}"),
            Self::Exponent(p) => format!("{number:.p$e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NumberFormat;

    #[test]
    fn number_formats_follow_printf() {
        assert_eq!(NumberFormat::parse("%.2f", true).map(|f| f.write(1.23456)), Ok("1.23".into()));
        assert_eq!(NumberFormat::parse("%e", true).map(|f| f.write(12345.0)), Ok("1.234500e4".into()));
        assert_eq!(NumberFormat::parse("%d", false).map(|f| f.write(7.0)), Ok("7".into()));
        assert!(NumberFormat::parse("%d", true).is_err());
        assert!(NumberFormat::parse("%.2f", false).is_err());
        assert!(NumberFormat::parse("%s", true).is_err());
        assert!(NumberFormat::parse("%.xf", true).is_err());
    }
}
