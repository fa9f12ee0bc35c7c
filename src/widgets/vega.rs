//! `vega_lite_chart(data, spec)` and `vega_lite_chart(spec)`: any Vega-Lite spec, drawn in the
//! browser by the vendored vega-embed (`static/vendor/`). The data (a frame, an array of maps or
//! a map of columns) goes into the spec as `data.values`, so Streamlit's specs copy over. A third
//! argument takes `width` and `use_container_width`.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, Position};
use serde_json::Value;

use super::display::draw;
use super::options::{Options, error};
use super::records::Records;
use super::{context, convert, placed, placed_data, width};
use crate::page::{ContainerId, Element, VegaLite, Width};

type Res = Result<(), Box<EvalAltResult>>;

/// Most rows one chart carries into the page.
const MAX_ROWS: usize = 20_000;
/// The narrowest chart, in pixels.
const LEAST_WIDTH: u32 = 120;

pub fn register(engine: &mut Engine) {
    placed!(engine, "vega_lite_chart", |t, p, s: Map| chart(t, p, None, s, Map::new()), (spec: Map));
    placed_data!(engine, "vega_lite_chart", |t, p, d: &Dynamic, s: Map| chart(t, p, Some(d), s, Map::new()), (data, spec: Map));
    placed_data!(engine, "vega_lite_chart", |t, p, d: &Dynamic, s: Map, o: Map| chart(t, p, Some(d), s, o), (data, spec: Map, opts: Map));
}

fn chart(target: ContainerId, pos: Position, data: Option<&Dynamic>, spec: Map, opts: Map) -> Res {
    let opts = Options::new(opts, pos, &width::OPTIONS)?;
    let width = width::read(&opts, Width::Stretch, LEAST_WIDTH)?;
    // `()` as data: the data is in the spec (`vega_lite_chart((), spec, opts)`).
    let data = data.filter(|d| !d.is_unit());
    let mut spec = convert::to_json(&Dynamic::from_map(spec), pos)?;
    let Value::Object(fields) = &mut spec else { return Err(error("a Vega-Lite spec is a map".into(), pos)) };
    if let Some(data) = data {
        fields.insert("data".into(), serde_json::json!({ "values": values_of(data, pos)? }));
    }
    if !fields.contains_key("mark")
        && !["layer", "concat", "hconcat", "vconcat", "facet", "repeat", "spec"].iter().any(|k| fields.contains_key(*k))
    {
        return Err(error("a Vega-Lite spec needs a `mark` (or a layer, concat, facet or repeat)".into(), pos));
    }
    // Streamlit's default (`use_container_width`): as wide as the column; a width in pixels
    // sizes the figure, which the chart then fills.
    if width != Width::Content {
        fields.entry("width").or_insert_with(|| "container".into());
    }
    let title = title_of(fields.get("title"));
    let text = spec.to_string();
    let cap = context::with(|c| c.sources.as_ref().map(|s| s.media.max_inline_bytes))?.unwrap_or(512 * 1024);
    if text.len() > cap {
        return Err(error(
            format!("the chart's spec and data have {} bytes; a chart carries at most {cap}", text.len()),
            pos,
        ));
    }
    draw(target, Element::VegaLite(Arc::new(VegaLite { spec: text, title, width })))
}

/// The spec's title (a string, or `{ text }` with a string or lines), else a generic name.
/// The data's rows as JSON objects, read where they are (an array of maps is not copied).
fn values_of(data: &Dynamic, pos: Position) -> Result<Vec<Value>, Box<EvalAltResult>> {
    let held = data.read_lock::<Array>();
    let records = Records::in_place(data, held.as_deref(), MAX_ROWS, pos)?;
    let object = |row: &Map| {
        let fields = row.iter().map(|(name, cell)| Ok((name.to_string(), convert::to_json(cell, pos)?)));
        fields.collect::<Result<serde_json::Map<String, Value>, Box<EvalAltResult>>>().map(Value::Object)
    };
    records.rows.iter().map(|row| object(row)).collect()
}

fn title_of(title: Option<&Value>) -> String {
    let text = match title {
        Some(Value::Object(t)) => t.get("text"),
        other => other,
    };
    match text {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(lines)) => lines.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
        _ => "Vega-Lite chart".to_owned(),
    }
}
