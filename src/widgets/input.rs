//! Input widgets. Each follows one recipe (as Streamlit's do): read the options, make the id
//! from kind plus key or label, find the current value (state[key] set by the script, else
//! the last run's value, else the default), record the widget, draw it, return the value.

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};
use serde_json::Value;

use super::options::{Options, error};
use super::{context, convert, placed};
use crate::page::{ChoiceOption, ContainerId, Control, Element, WidgetKind, WidgetView};
use crate::session_state::{WidgetRecord, WidgetSpec, widget_id};

type Res<T> = Result<T, Box<EvalAltResult>>;

const COMMON: &[&str] = &["key", "help", "disabled", "on_change", "args"];

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
    placed!(engine, "slider", |t, p, l: ImmutableString, a: i64, b: i64| int_slider(t, p, l, a, b, Map::new()), (label: ImmutableString, min: i64, max: i64));
    placed!(engine, "slider", int_slider, (label: ImmutableString, min: i64, max: i64, opts: Map));
    placed!(engine, "slider", |t, p, l: ImmutableString, a: f64, b: f64| float_slider(t, p, l, a, b, Map::new()), (label: ImmutableString, min: f64, max: f64));
    placed!(engine, "slider", float_slider, (label: ImmutableString, min: f64, max: f64, opts: Map));
    for kind in [WidgetKind::TextInput, WidgetKind::TextArea] {
        let name = kind.name();
        placed!(engine, name, move |t, p, l: ImmutableString| text(kind, t, p, l, Map::new()), (label: ImmutableString));
        placed!(engine, name, move |t, p, l: ImmutableString, o: Map| text(kind, t, p, l, o), (label: ImmutableString, opts: Map));
    }
    placed!(engine, "number_input", |t, p, l: ImmutableString| number(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "number_input", number, (label: ImmutableString, opts: Map));
}

/// One widget being drawn: everything the shared recipe needs.
struct Widget<'a> {
    target: ContainerId,
    pos: Position,
    kind: WidgetKind,
    label: &'a str,
    opts: &'a Options,
    spec: WidgetSpec,
    default: Value,
}

impl Widget<'_> {
    /// Registers and draws the widget; returns its current value.
    fn draw(self, control: impl FnOnce(&Value) -> Control) -> Res<Value> {
        let key = self.opts.key()?;
        let id = widget_id(self.kind, key.as_deref(), self.label);
        let callback_option = match self.kind {
            WidgetKind::Button | WidgetKind::FormSubmit => "on_click",
            _ => "on_change",
        };
        let callback = self.opts.callback(callback_option)?;
        let help = self.opts.string("help")?;
        let disabled = self.opts.bool("disabled", false)?;
        let pressable = matches!(self.kind, WidgetKind::Button | WidgetKind::FormSubmit);
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
            let value = if pressable {
                Value::Bool(c.pressed.as_deref() == Some(id.as_str()))
            } else {
                current_value(c, &id, key.as_deref(), &self.spec, self.default, self.pos)?
            };
            let stored = if pressable { Value::Bool(false) } else { value.clone() };
            let record = WidgetRecord { spec: self.spec, value: stored, key: key.clone(), callback, form };
            c.register_widget(&id, record, self.pos)?;
            if let Some(key) = &key {
                c.state.insert(key.as_str().into(), convert::to_dynamic(&value));
            }
            let view = WidgetView {
                id,
                kind: self.kind,
                label: self.label.to_owned(),
                help,
                disabled,
                control: control(&value),
            };
            c.page.push(self.target, Element::Widget(view));
            Ok(value)
        })
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
    Ok(widget.draw(|_| Control::Button)? == Value::Bool(true))
}

/// `form_submit_button(label, opts)`: sends the form it lies in; true for the run after.
fn submit(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<bool> {
    let opts = Options::new(opts, pos, &["key", "help", "disabled", "on_click", "args", "type"])?;
    let kind = WidgetKind::FormSubmit;
    let widget =
        Widget { target, pos, kind, label: &label, opts: &opts, spec: WidgetSpec::Button, default: Value::Bool(false) };
    Ok(widget.draw(|_| Control::Button)? == Value::Bool(true))
}

/// Forms as in Streamlit: a submit button only inside a form, no plain button inside one,
/// and no callback on a widget inside a form except on its submit button.
fn check_form_rules(kind: WidgetKind, form: Option<&str>, has_callback: bool, pos: Position) -> Res<()> {
    let message = match (kind, form) {
        (WidgetKind::FormSubmit, None) => "form_submit_button() must be drawn inside a form(key)".to_owned(),
        (WidgetKind::FormSubmit, Some(_)) => return Ok(()),
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
    let opts = Options::new(opts, pos, &[COMMON, &["index", "default", "placeholder"]].concat())?;
    let options: Vec<Value> = options.iter().map(|o| convert::to_json(o, pos)).collect::<Res<_>>()?;
    let (spec, default) = if kind == WidgetKind::Multiselect {
        let default = match opts.raw("default") {
            Some(d) => convert::to_json(d, pos)?,
            None => Value::Array(Vec::new()),
        };
        (WidgetSpec::MultiChoice { options: options.clone() }, default)
    } else {
        let index = opts.int("index")?.unwrap_or(0);
        let default = usize::try_from(index).ok().and_then(|i| options.get(i)).cloned();
        if default.is_none() && !options.is_empty() {
            return Err(error(format!("index {index} is not one of the {} options", options.len()), pos));
        }
        (WidgetSpec::Choice { options: options.clone() }, default.unwrap_or(Value::Null))
    };
    if !spec.accepts(&default) {
        return Err(error("the default must be made of the listed options".into(), pos));
    }
    let widget = Widget { target, pos, kind, label: &label, opts: &opts, spec, default };
    let value = widget.draw(|value| {
        let selected = |o: &Value| match value {
            Value::Array(items) => items.contains(o),
            single => single == o,
        };
        let options = options
            .iter()
            .enumerate()
            .map(|(index, o)| ChoiceOption { index, label: convert::display_json(o), selected: selected(o) })
            .collect();
        Control::Choice { options }
    })?;
    Ok(convert::to_dynamic(&value))
}

fn int_slider(target: ContainerId, pos: Position, label: ImmutableString, min: i64, max: i64, opts: Map) -> Res<i64> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "step"]].concat())?;
    if min > max {
        return Err(error(format!("the slider's min {min} is above its max {max}"), pos));
    }
    let step = opts.int("step")?.unwrap_or(1).max(1);
    let default = Value::from(opts.int("value")?.unwrap_or(min));
    let spec = WidgetSpec::IntRange { min, max };
    let value = slider(
        Widget { target, pos, kind: WidgetKind::Slider, label: &label, opts: &opts, spec, default },
        [min.to_string(), max.to_string(), step.to_string()],
    )?;
    Ok(value.as_i64().unwrap_or(min))
}

fn float_slider(target: ContainerId, pos: Position, label: ImmutableString, min: f64, max: f64, opts: Map) -> Res<f64> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "step"]].concat())?;
    if !(min.is_finite() && max.is_finite() && min <= max) {
        return Err(error(format!("the slider's range {min}..{max} is not valid"), pos));
    }
    let step = opts.float("step")?.unwrap_or(0.01);
    let default = Value::from(opts.float("value")?.unwrap_or(min));
    let spec = WidgetSpec::FloatRange { min, max };
    let value = slider(
        Widget { target, pos, kind: WidgetKind::Slider, label: &label, opts: &opts, spec, default },
        [min.to_string(), max.to_string(), step.to_string()],
    )?;
    Ok(value.as_f64().unwrap_or(min))
}

/// Draws a slider whose bounds and step are already formatted for the page.
fn slider(widget: Widget, [min, max, step]: [String; 3]) -> Res<Value> {
    check_default(&widget, widget.pos)?;
    widget.draw(|v| Control::Range { min, max, step, value: convert::display_json(v) })
}

fn text(kind: WidgetKind, target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<String> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "max_chars", "placeholder"]].concat())?;
    let max_chars = opts.int("max_chars")?.map(|m| m.max(0) as usize);
    let default = Value::String(opts.string("value")?.unwrap_or_default());
    let placeholder = opts.string("placeholder")?.unwrap_or_default();
    let spec = WidgetSpec::Text { max_chars };
    let widget = Widget { target, pos, kind, label: &label, opts: &opts, spec, default };
    check_default(&widget, pos)?;
    let value = widget.draw(|v| Control::Text { value: convert::display_json(v), max_chars, placeholder })?;
    Ok(convert::display_json(&value))
}

fn number(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["value", "min", "max", "step"]].concat())?;
    let is_float = ["value", "min", "max", "step"].iter().any(|n| opts.raw(n).is_some_and(Dynamic::is_float));
    let shown = |o: Option<String>| o;
    let (spec, default, step, min, max) = if is_float {
        let (min, max) = (opts.float("min")?, opts.float("max")?);
        let default = opts.float("value")?.or(min).unwrap_or(0.0);
        let spec = WidgetSpec::FloatRange { min: min.unwrap_or(f64::MIN), max: max.unwrap_or(f64::MAX) };
        let step = opts.float("step")?.unwrap_or(0.01).to_string();
        (spec, Value::from(default), step, shown(min.map(|m| m.to_string())), max.map(|m| m.to_string()))
    } else {
        let (min, max) = (opts.int("min")?, opts.int("max")?);
        let default = opts.int("value")?.or(min).unwrap_or(0);
        let spec = WidgetSpec::IntRange { min: min.unwrap_or(i64::MIN), max: max.unwrap_or(i64::MAX) };
        let step = opts.int("step")?.unwrap_or(1).to_string();
        (spec, Value::from(default), step, min.map(|m| m.to_string()), max.map(|m| m.to_string()))
    };
    let widget = Widget { target, pos, kind: WidgetKind::NumberInput, label: &label, opts: &opts, spec, default };
    check_default(&widget, pos)?;
    let value = widget.draw(|v| Control::Number { min, max, step, value: convert::display_json(v) })?;
    Ok(convert::to_dynamic(&value))
}

fn check_default(widget: &Widget, pos: Position) -> Res<()> {
    if widget.spec.accepts(&widget.default) {
        Ok(())
    } else {
        Err(error(format!("the default value {} is outside this widget's range", widget.default), pos))
    }
}
