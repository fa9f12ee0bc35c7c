//! `vega_lite_chart(data, spec)` and `vega_lite_chart(spec)`: any Vega-Lite spec, drawn in the
//! browser by the vendored vega-embed (`static/vendor/`). The data (a frame, an array of maps or
//! a map of columns) goes into the spec as `data.values`, so Streamlit's specs copy over.

use rhai::{Dynamic, Engine, EvalAltResult, Map, Position};
use serde_json::Value;

use super::display::draw;
use super::options::error;
use super::records::Records;
use super::{context, convert, placed};
use crate::page::{ContainerId, Element, VegaLite};

type Res = Result<(), Box<EvalAltResult>>;

/// Most rows one chart carries into the page.
const MAX_ROWS: usize = 20_000;

pub fn register(engine: &mut Engine) {
    placed!(engine, "vega_lite_chart", |t, p, s: Map| chart(t, p, None, s), (spec: Map));
    placed!(engine, "vega_lite_chart", |t, p, d: Dynamic, s: Map| chart(t, p, Some(d), s), (data: Dynamic, spec: Map));
}

fn chart(target: ContainerId, pos: Position, data: Option<Dynamic>, spec: Map) -> Res {
    let mut spec = convert::to_json(&Dynamic::from_map(spec), pos)?;
    let Value::Object(fields) = &mut spec else { return Err(error("a Vega-Lite spec is a map".into(), pos)) };
    if let Some(data) = data {
        let records = Records::from_dynamic(data, MAX_ROWS, pos)?;
        let rows = records.rows.into_iter().map(|row| convert::to_json(&Dynamic::from_map(row), pos));
        let values = rows.collect::<Result<Vec<Value>, _>>()?;
        fields.insert("data".into(), serde_json::json!({ "values": values }));
    }
    if !fields.contains_key("mark")
        && !["layer", "concat", "hconcat", "vconcat", "facet", "repeat", "spec"].iter().any(|k| fields.contains_key(*k))
    {
        return Err(error("a Vega-Lite spec needs a `mark` (or a layer, concat, facet or repeat)".into(), pos));
    }
    // Streamlit's default (`use_container_width`): as wide as the column.
    fields.entry("width").or_insert_with(|| "container".into());
    let title = title_of(fields.get("title"));
    let text = spec.to_string();
    let cap = context::with(|c| c.sources.as_ref().map(|s| s.media.max_inline_bytes))?.unwrap_or(512 * 1024);
    if text.len() > cap {
        return Err(error(
            format!("the chart's spec and data have {} bytes; a chart carries at most {cap}", text.len()),
            pos,
        ));
    }
    draw(target, Element::VegaLite(Box::new(VegaLite { spec: text, title })))
}

/// The spec's title (a string, or `{ text }` with a string or lines), else a generic name.
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
