//! Elements that show things: text, markdown, HTML, code, JSON, alerts, metrics and tables.
//! Data frames and downloads are in `data.rs`; progress bars and other status elements in
//! `status.rs`.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};

use super::options::{Options, error};
use super::records::Records;
use super::{context, convert, placed, placed_data, width};
use crate::frame::Frame;
use crate::markup;
use crate::page::{AlertKind, CodeBlock, ContainerId, DeltaTone, Element, TableView, Width};

type Res = Result<(), Box<EvalAltResult>>;

/// Most rows a `table` shows; more would make a page nobody can read.
const MAX_TABLE_ROWS: usize = 10_000;

pub fn register(engine: &mut Engine) {
    placed!(engine, "title", |t, _p, s: ImmutableString| draw(t, Element::Title(s.into())), (text: ImmutableString));
    placed!(engine, "header", |t, _p, s: ImmutableString| draw(t, Element::Header(s.into())), (text: ImmutableString));
    placed!(engine, "subheader", |t, _p, s: ImmutableString| draw(t, Element::Subheader(s.into())), (text: ImmutableString));
    placed!(engine, "text", |t, _p, v: Dynamic| draw(t, Element::Text(convert::display(&v))), (value: Dynamic));
    placed!(engine, "caption", |t, _p, s: ImmutableString| draw(t, Element::Caption(markdown(&s))), (text: ImmutableString));
    placed!(engine, "markdown", |t, _p, s: ImmutableString| draw(t, Element::Markdown(markdown(&s))), (text: ImmutableString));
    placed!(engine, "write", write, (value: Dynamic));
    placed!(engine, "html", |t, _p, s: ImmutableString| draw(t, Element::Markdown(markup::html(&s))), (text: ImmutableString));
    placed!(engine, "latex", |t, _p, s: ImmutableString| draw(t, Element::Markdown(markup::latex(&s))), (text: ImmutableString));
    placed!(engine, "code", |t, p, s: ImmutableString| code(t, p, s, None, Map::new()), (text: ImmutableString));
    placed!(engine, "code", |t, p, s: ImmutableString, lang: ImmutableString| code(t, p, s, Some(lang), Map::new()), (text: ImmutableString, language: ImmutableString));
    placed!(engine, "code", |t, p, s: ImmutableString, o: Map| code(t, p, s, None, o), (text: ImmutableString, opts: Map));
    placed!(engine, "code", |t, p, s: ImmutableString, lang: ImmutableString, o: Map| code(t, p, s, Some(lang), o), (text: ImmutableString, language: ImmutableString, opts: Map));
    placed!(engine, "divider", |t, _p| draw(t, Element::Divider), ());
    placed!(engine, "json", |t, _p, v: Dynamic| draw(t, Element::Json(convert::pretty(&v))), (value: Dynamic));
    for (name, kind) in [
        ("success", AlertKind::Success),
        ("info", AlertKind::Info),
        ("warning", AlertKind::Warning),
        ("error", AlertKind::Error),
    ] {
        placed!(engine, name, move |t, _p, s: ImmutableString| alert(t, kind, &s), (text: ImmutableString));
    }
    placed!(engine, "metric", |t, p, l: ImmutableString, v: Dynamic| metric(t, p, l, v, Map::new()), (label: ImmutableString, value: Dynamic));
    placed!(engine, "metric", metric, (label: ImmutableString, value: Dynamic, opts: Map));
    placed_data!(engine, "table", |t, p, r: &Dynamic| table(t, p, r, Map::new()), (rows));
    placed_data!(engine, "table", table, (rows, opts: Map));
    placed!(engine, "link_button", |t, p, l: ImmutableString, u: ImmutableString| link_button(t, p, l, u, Map::new()), (label: ImmutableString, url: ImmutableString));
    placed!(engine, "link_button", link_button, (label: ImmutableString, url: ImmutableString, opts: Map));
}

/// `link_button(label, url)`: a link that looks like a button and opens `url` in a new tab.
/// Only web and mail links, and paths on this host, are allowed (never `javascript:`).
fn link_button(target: ContainerId, pos: Position, label: ImmutableString, url: ImmutableString, opts: Map) -> Res {
    let opts = Options::new(opts, pos, &["help", "type", "disabled"])?;
    let safe = ["https://", "http://", "mailto:"].iter().any(|s| url.to_ascii_lowercase().starts_with(s))
        || (url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\"));
    if !safe {
        return Err(error(
            format!("link_button's url must start with https://, http://, mailto: or /, not {url:?}"),
            pos,
        ));
    }
    let look = super::input::button_type(&opts)?;
    let element = Element::LinkButton {
        label: label.into(),
        url: url.into(),
        help: opts.string("help")?,
        disabled: opts.bool("disabled", false)?,
        look,
    };
    draw(target, element)
}

pub(super) fn draw(target: ContainerId, element: Element) -> Res {
    context::with(|c| c.page.push(target, element))
}

/// `code(text, language, #{ line_numbers, wrap_lines })`, highlighted on the server. The
/// language may also be given as the `language` option; without one the code is plain text.
fn code(
    target: ContainerId,
    pos: Position,
    text: ImmutableString,
    language: Option<ImmutableString>,
    opts: Map,
) -> Res {
    let opts = Options::new(opts, pos, &["language", "line_numbers", "wrap_lines"])?;
    let language = match (language, opts.string("language")?) {
        (Some(_), Some(_)) => return Err(error("give the language once: as an argument or as an option".into(), pos)),
        (Some(language), None) => language.to_string(),
        (None, language) => language.unwrap_or_default(),
    };
    let highlighted = markup::highlight(&text, &language);
    let block = CodeBlock {
        code: text.into(),
        language,
        html: highlighted.html,
        line_numbers: opts.bool("line_numbers", false)?,
        wrap_lines: opts.bool("wrap_lines", false)?,
    };
    draw(target, Element::Code(Box::new(block)))
}

fn alert(target: ContainerId, kind: AlertKind, body: &str) -> Res {
    draw(target, Element::Alert { kind, body: markdown(body) })
}

/// `write` as in Streamlit: strings as markdown, data frames as a data frame element, maps
/// and arrays as JSON, the rest as text.
fn write(target: ContainerId, pos: Position, value: Dynamic) -> Res {
    if let Some(frame) = value.read_lock::<Frame>().map(|f| f.clone()) {
        return super::data::write_frame(target, pos, frame);
    }
    let element = if value.is_string() {
        Element::Markdown(markdown(&convert::display(&value)))
    } else if value.is_map() || value.is_array() {
        Element::Json(convert::pretty(&value))
    } else {
        Element::Text(convert::display(&value))
    };
    draw(target, element)
}

fn metric(target: ContainerId, pos: Position, label: ImmutableString, value: Dynamic, opts: Map) -> Res {
    let opts = Options::new(opts, pos, &["delta", "delta_color", "help"])?;
    let (value, frame_delta) = metric_value(value, pos)?;
    // An empty or null delta is no delta: no arrow, as in Streamlit.
    let delta = opts.raw("delta").map(convert::display).or(frame_delta).filter(|d| !d.trim().is_empty());
    let rising = delta.as_deref().is_some_and(|d| !d.trim_start().starts_with('-'));
    // As in Streamlit: "normal" shows a rise as good, "inverse" as bad, "off" in grey.
    let tone = match (opts.string("delta_color")?.as_deref().unwrap_or("normal"), rising) {
        ("normal", true) | ("inverse", false) => DeltaTone::Good,
        ("normal", false) | ("inverse", true) => DeltaTone::Bad,
        ("off", _) => DeltaTone::Off,
        (other, _) => return Err(error(format!("delta_color must be normal, inverse or off, not {other:?}"), pos)),
    };
    let help = opts.string("help")?.map(|h| markup::inline(&h));
    draw(target, Element::Metric { label: label.into(), value: convert::display(&value), delta, rising, tone, help })
}

/// A metric's value and delta from a one-row frame (its first and second column, such as the
/// result of `df.select([col("revenue").sum(), …])`); any other value is the value itself.
fn metric_value(value: Dynamic, pos: Position) -> Result<(Dynamic, Option<String>), Box<EvalAltResult>> {
    let Some(frame) = value.read_lock::<Frame>().map(|f| f.clone()) else { return Ok((value, None)) };
    if frame.height() != 1 || frame.column_names().is_empty() {
        let message = format!("metric takes a frame of one row (value, then delta), not {} rows", frame.height());
        return Err(error(message, pos));
    }
    let (_, rows) = crate::frame::to_records(&frame, 1);
    let mut cells = rows.into_iter().next().unwrap_or_default();
    let names = frame.column_names();
    let value = cells.remove(names[0].as_str()).unwrap_or(Dynamic::UNIT);
    let delta = names.get(1).and_then(|n| cells.remove(n.as_str())).map(|d| convert::display(&d));
    Ok((value, delta))
}

/// `table(rows, #{ width, use_container_width })`: a data frame, an array of maps (or a map of
/// columns), all rows at once.
fn table(target: ContainerId, pos: Position, rows: &Dynamic, opts: Map) -> Res {
    let width = width::read(&Options::new(opts, pos, &width::OPTIONS)?, Width::Stretch, 1)?;
    let held = rows.read_lock::<Array>();
    let records = Records::in_place(rows, held.as_deref(), MAX_TABLE_ROWS, pos)?;
    let cells = records
        .rows
        .iter()
        .map(|m| records.columns.iter().map(|c| m.get(c.as_str()).map(convert::display).unwrap_or_default()).collect())
        .collect();
    draw(target, Element::Table(Arc::new(TableView { columns: records.columns, rows: cells, width })))
}

/// Markdown to HTML, then sanitized: raw HTML in the source cannot run script.
pub fn markdown(source: &str) -> String {
    markup::markdown(source)
}

#[cfg(test)]
mod tests {
    use super::markdown;

    #[test]
    fn markdown_is_rendered_and_script_is_removed() {
        let html = markdown("**bold** <script>alert(1)</script><img src=x onerror=alert(1)>");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("onerror"));
    }
}
