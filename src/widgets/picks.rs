//! Choices drawn as a scale or as buttons: `select_slider`, `pills`, `segmented_control` and
//! `feedback`. Like a selectbox's, their options travel as indexes and are checked against
//! the options on the server.

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};
use serde_json::Value;

use super::input::{COMMON, Widget, choice_options};
use super::options::Options;
use super::sliders::pair;
use super::{convert, placed};
use crate::page::{ChoiceLook, ChoiceOption, ContainerId, Control, WidgetKind};
use crate::session_state::WidgetSpec;

type Res<T> = Result<T, Box<EvalAltResult>>;

pub fn register(engine: &mut Engine) {
    placed!(engine, "select_slider", |t, p, l: ImmutableString, x: Array| select_slider(t, p, l, x, Map::new()), (label: ImmutableString, options: Array));
    placed!(engine, "select_slider", select_slider, (label: ImmutableString, options: Array, opts: Map));
    for kind in [WidgetKind::Pills, WidgetKind::SegmentedControl] {
        let name = kind.name();
        placed!(engine, name, move |t, p, l: ImmutableString, x: Array| buttons(kind, t, p, l, x, Map::new()), (label: ImmutableString, options: Array));
        placed!(engine, name, move |t, p, l: ImmutableString, x: Array, o: Map| buttons(kind, t, p, l, x, o), (label: ImmutableString, options: Array, opts: Map));
    }
    placed!(engine, "feedback", |t, p| feedback(t, p, "thumbs".into(), Map::new()), ());
    placed!(engine, "feedback", |t, p, k: ImmutableString| feedback(t, p, k, Map::new()), (options: ImmutableString));
    placed!(engine, "feedback", feedback, (options: ImmutableString, opts: Map));
}

fn json_options(options: &Array, pos: Position) -> Res<Vec<Value>> {
    options.iter().map(|o| convert::to_json(o, pos)).collect()
}

/// `select_slider(label, options)`: a slider over the options; a two-option `value` gives
/// two handles and returns the range.
fn select_slider(
    target: ContainerId,
    pos: Position,
    label: ImmutableString,
    options: Array,
    opts: Map,
) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["value"]].concat())?;
    let options = json_options(&options, pos)?;
    let Some(first) = options.first().cloned() else {
        return Err(opts.fail("select_slider needs at least one option".into()));
    };
    let item = WidgetSpec::Choice { options: options.clone(), optional: false };
    let (spec, default) = match opts.raw("value") {
        None => (item, first),
        Some(value) if value.is_array() => (pair(item), convert::to_json(value, pos)?),
        Some(value) => (item, convert::to_json(value, pos)?),
    };
    if !spec.accepts(&default) {
        return Err(
            opts.fail(format!("the value {default} must be one of the options (a range: two options in order)"))
        );
    }
    let kind = WidgetKind::SelectSlider;
    let widget = Widget { target, pos, kind, label: &label, opts: &opts, spec, default };
    let value = widget.draw(|v| {
        let index = |o: Option<&Value>| o.and_then(|o| options.iter().position(|x| x == o)).unwrap_or(0).to_string();
        let (value, high) = match v {
            Value::Array(pair) => (index(pair.first()), Some(index(pair.get(1)))),
            single => (index(Some(single)), None),
        };
        let (min, max, step) = ("0".to_owned(), (options.len() - 1).to_string(), "1".to_owned());
        let labels = options.iter().map(convert::display_json).collect();
        Control::Range { min, max, step, value, high, labels, day_zero: None }
    })?;
    Ok(convert::to_dynamic(&value))
}

/// `pills` and `segmented_control`: option buttons. Nothing is chosen at first unless a
/// `default` is given; `selection_mode: "multi"` lets several be chosen (an array).
fn buttons(
    kind: WidgetKind,
    target: ContainerId,
    pos: Position,
    label: ImmutableString,
    options: Array,
    opts: Map,
) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["selection_mode", "default"]].concat())?;
    let multiple = match opts.string("selection_mode")?.as_deref() {
        None | Some("single") => false,
        Some("multi") => true,
        Some(other) => {
            return Err(opts.fail(format!("option `selection_mode` must be \"single\" or \"multi\", not {other:?}")));
        }
    };
    let options = json_options(&options, pos)?;
    let given = opts.raw("default").map(|d| convert::to_json(d, pos)).transpose()?;
    let (spec, default) = if multiple {
        (WidgetSpec::MultiChoice { options: options.clone() }, given.unwrap_or(Value::Array(Vec::new())))
    } else {
        (WidgetSpec::Choice { options: options.clone(), optional: true }, given.unwrap_or(Value::Null))
    };
    if !spec.accepts(&default) {
        return Err(opts.fail(format!("the default {default} must be made of the listed options")));
    }
    let look = if kind == WidgetKind::Pills { ChoiceLook::Pills } else { ChoiceLook::Segmented };
    let widget = Widget { target, pos, kind, label: &label, opts: &opts, spec, default };
    let value =
        widget.draw(|v| Control::Choice { options: choice_options(&options, v), look, multiple, placeholder: None })?;
    Ok(convert::to_dynamic(&value))
}

/// `feedback(options)`: thumbs (returns 1 for up, 0 for down), faces or stars (0 to 4), or
/// `()` while nothing is chosen. As in Streamlit it has no label and no help.
fn feedback(target: ContainerId, pos: Position, kind: ImmutableString, opts: Map) -> Res<Dynamic> {
    let mut opts = Options::new(opts, pos, &["key", "disabled", "on_change", "args", "default"])?;
    let (values, icons): (Vec<i64>, Vec<&str>) = match kind.as_str() {
        "thumbs" => (vec![1, 0], vec!["👍", "👎"]),
        "faces" => ((0..5).collect(), vec!["😞", "🙁", "😐", "🙂", "😀"]),
        "stars" => ((0..5).collect(), vec!["★"; 5]),
        other => {
            return Err(
                opts.fail(format!("feedback options must be \"thumbs\", \"faces\" or \"stars\", not {other:?}"))
            );
        }
    };
    let options: Vec<Value> = values.into_iter().map(Value::from).collect();
    let default = opts.int("default")?.map_or(Value::Null, Value::from);
    let spec = WidgetSpec::Choice { options: options.clone(), optional: true };
    if !spec.accepts(&default) {
        return Err(opts.fail(format!("the default {default} is not one of this feedback's values")));
    }
    // The label names the scale for screen readers only.
    opts.set("label_visibility", "collapsed".into());
    let label = format!("Feedback ({kind})");
    let widget = Widget { target, pos, kind: WidgetKind::Feedback, label: &label, opts: &opts, spec, default };
    let value = widget.draw(|v| {
        let shown = options.iter().zip(&icons).enumerate();
        let options = shown
            .map(|(index, (o, icon))| ChoiceOption { index, label: (*icon).to_owned(), selected: o == v })
            .collect();
        Control::Choice { options, look: ChoiceLook::Segmented, multiple: false, placeholder: None }
    })?;
    Ok(convert::to_dynamic(&value))
}
