//! Charts: `line_chart`, `bar_chart`, `area_chart` and `scatter_chart` from an array of maps or
//! a map of columns, with options `x`, `y` (one field or several = several series), `color`
//! (split series by a field), `title`, `x_label` and `y_label`. Drawn as SVG by the renderer.

use std::collections::BTreeMap;

use rhai::{Dynamic, Engine, EvalAltResult, Map, Position};

use super::display::draw;
use super::options::{Options, error};
use super::records::{Records, number};
use super::{context, convert, placed};
use crate::page::{Chart, ChartKind, ContainerId, ContainerKind, Element, Series};

type Res = Result<(), Box<EvalAltResult>>;

/// Most rows and series one chart draws.
const MAX_ROWS: usize = 50_000;
const MAX_SERIES: usize = 24;

pub fn register(engine: &mut Engine) {
    for kind in [ChartKind::Line, ChartKind::Bar, ChartKind::Area, ChartKind::Scatter] {
        let name = match kind {
            ChartKind::Line => "line_chart",
            ChartKind::Bar => "bar_chart",
            ChartKind::Area => "area_chart",
            ChartKind::Scatter => "scatter_chart",
        };
        placed!(engine, name, move |t, p, d: Dynamic| chart(kind, t, p, d, Map::new()), (data: Dynamic));
        placed!(engine, name, move |t, p, d: Dynamic, o: Map| chart(kind, t, p, d, o), (data: Dynamic, opts: Map));
    }
}

fn chart(kind: ChartKind, target: ContainerId, pos: Position, data: Dynamic, opts: Map) -> Res {
    let opts = Options::new(opts, pos, &["x", "y", "color", "title", "x_label", "y_label"])?;
    let records = Records::from_dynamic(data, MAX_ROWS, pos)?;
    let x = opts.string("x")?;
    let color = opts.string("color")?;
    let y = y_fields(&opts, &records, x.as_deref(), color.as_deref(), pos)?;
    for field in x.iter().chain(&y).chain(color.iter()) {
        if !records.columns.contains(field) {
            return Err(error(format!("the data has no field `{field}`"), pos));
        }
    }
    let categorical = kind == ChartKind::Bar || x.as_deref().is_some_and(|x| !records.is_numeric(x));
    let (xs, categories) = x_positions(&records, x.as_deref(), categorical);
    let series = split_series(kind, &records, &xs, &y, color.as_deref(), pos)?;
    let (id, width) = context::with(|c| {
        let id = c.page.walk().iter().filter(|e| matches!(e, Element::Chart(_))).count();
        (id, width_in(&c.page.containers[target].kind))
    })?;
    let chart = Chart {
        id,
        width,
        kind,
        title: opts.string("title")?.unwrap_or_default(),
        x_label: opts.string("x_label")?.or(x).unwrap_or_else(|| "index".into()),
        y_label: opts.string("y_label")?.unwrap_or_else(|| y.join(", ")),
        categories,
        series,
    };
    draw(target, Element::Chart(Box::new(chart)))
}

/// The drawing's width: full in the main area, narrower in a narrow column (an SVG scales as
/// a whole, so a wide drawing in a narrow column would have tiny text).
fn width_in(container: &ContainerKind) -> f64 {
    const FULL: f64 = 640.0;
    match container {
        ContainerKind::Column { share, .. } => (FULL * share * 1.6).clamp(360.0, FULL),
        _ => FULL,
    }
}

/// The `y` option as a list of fields; without it, every numeric field but `x` and `color`.
fn y_fields(
    opts: &Options,
    records: &Records,
    x: Option<&str>,
    color: Option<&str>,
    pos: Position,
) -> Result<Vec<String>, Box<EvalAltResult>> {
    match opts.raw("y") {
        Some(y) if y.is_string() => Ok(vec![convert::display(y)]),
        Some(y) if y.is_array() => Ok(y.clone().cast::<rhai::Array>().iter().map(convert::display).collect()),
        Some(y) => {
            Err(error(format!("option `y` must be a field name or an array of them, not {}", y.type_name()), pos))
        }
        None => Ok(records
            .columns
            .iter()
            .filter(|c| Some(c.as_str()) != x && Some(c.as_str()) != color && records.is_numeric(c))
            .cloned()
            .collect()),
    }
}

/// Each row's x position: the number itself, the row index, or the index of its category.
fn x_positions(records: &Records, x: Option<&str>, categorical: bool) -> (Vec<Option<f64>>, Option<Vec<String>>) {
    let Some(x) = x else {
        let xs = (0..records.rows.len()).map(|i| Some(i as f64)).collect();
        return (xs, categorical.then(|| (0..records.rows.len()).map(|i| i.to_string()).collect()));
    };
    if !categorical {
        return (records.rows.iter().map(|r| records.cell(r, x).and_then(number)).collect(), None);
    }
    let mut categories: Vec<String> = Vec::new();
    let mut index = BTreeMap::new();
    let xs = records
        .rows
        .iter()
        .map(|r| {
            let name = convert::display(records.cell(r, x)?);
            let next = categories.len();
            let i = *index.entry(name.clone()).or_insert_with(|| {
                categories.push(name);
                next
            });
            Some(i as f64)
        })
        .collect();
    (xs, Some(categories))
}

/// One series per y field, or per y field and colour value; rows without a number are skipped.
fn split_series(
    kind: ChartKind,
    records: &Records,
    xs: &[Option<f64>],
    y: &[String],
    color: Option<&str>,
    pos: Position,
) -> Result<Vec<Series>, Box<EvalAltResult>> {
    let mut series: Vec<Series> = Vec::new();
    for field in y {
        for (row, x) in records.rows.iter().zip(xs) {
            let (Some(x), Some(value)) = (x, records.cell(row, field).and_then(number)) else { continue };
            let name = match color.and_then(|c| records.cell(row, c)) {
                Some(group) if y.len() > 1 => format!("{field} · {}", convert::display(group)),
                Some(group) => convert::display(group),
                None => field.clone(),
            };
            let at = match series.iter().position(|s| s.name == name) {
                Some(at) => at,
                None if series.len() == MAX_SERIES => {
                    return Err(error(format!("a chart draws at most {MAX_SERIES} series"), pos));
                }
                None => {
                    series.push(Series { name, points: Vec::new() });
                    series.len() - 1
                }
            };
            series[at].points.push((*x, value));
        }
    }
    if matches!(kind, ChartKind::Line | ChartKind::Area) {
        for s in &mut series {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
    }
    Ok(series)
}
