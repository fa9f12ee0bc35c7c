//! Charts, named and shaped like Streamlit's: `line_chart`, `area_chart`, `bar_chart` and
//! `scatter_chart` (`x`, `y`, `color`, `size`, `horizontal`, `stack`, `x_label`, `y_label`),
//! plus `histogram`, `pie_chart`, `heatmap` and `box_chart`. Every chart takes a data frame,
//! an array of maps or a map of columns, and the shared options of [`look`]. Drawn as SVG by
//! the renderer, which also thins large series.

mod columns;
mod look;

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, Position};

use super::display::draw;
use super::options::{Options, error};
use super::records::{Records, number};
use super::{context, convert, placed_data, width};
use crate::page::{Chart, ChartKind, ContainerId, ContainerKind, Element, Series, Width};
use columns::{Extras, MAX_SERIES, known};

type Res = Result<(), Box<EvalAltResult>>;

/// Most rows one chart reads (the renderer thins what it draws).
const MAX_ROWS: usize = 200_000;
/// Most categories on one axis of bars, boxes and heatmaps.
const MAX_CATEGORIES: usize = 1_000;
const MAX_BINS: i64 = 500;
/// The narrowest chart, in pixels, whose labels still fit.
const LEAST_WIDTH: u32 = 120;

/// The options of every chart with axes.
const SHARED: [&str; 5] = ["title", "x_label", "y_label", "legend", "y_format"];

/// The options of each function, besides [`SHARED`] (which a pie does not take).
fn allowed(kind: ChartKind) -> &'static [&'static str] {
    match kind {
        ChartKind::Line => &["x", "y", "color", "x_range", "y_range", "dashed"],
        ChartKind::Area => &["x", "y", "color", "x_range", "y_range", "dashed", "stack"],
        ChartKind::Bar => &["x", "y", "color", "y_range", "horizontal", "stack"],
        ChartKind::Scatter => &["x", "y", "color", "size", "x_range", "y_range"],
        ChartKind::Histogram => &["x", "bins", "color", "x_range", "y_range"],
        ChartKind::Box => &["x", "y", "color", "y_range"],
        ChartKind::Heatmap => &["x", "y", "value"],
        ChartKind::Pie => &["names", "values", "hole", "title", "legend"],
    }
}

pub fn register(engine: &mut Engine) {
    let kinds = [
        ("line_chart", ChartKind::Line),
        ("area_chart", ChartKind::Area),
        ("bar_chart", ChartKind::Bar),
        ("scatter_chart", ChartKind::Scatter),
        ("histogram", ChartKind::Histogram),
        ("box_chart", ChartKind::Box),
        ("heatmap", ChartKind::Heatmap),
        ("pie_chart", ChartKind::Pie),
    ];
    for (name, kind) in kinds {
        placed_data!(engine, name, move |t, p, d: &Dynamic| chart(kind, t, p, d, Map::new()), (data));
        placed_data!(engine, name, move |t, p, d: &Dynamic, o: Map| chart(kind, t, p, d, o), (data, opts: Map));
    }
}

fn chart(kind: ChartKind, target: ContainerId, pos: Position, data: &Dynamic, opts: Map) -> Res {
    let shared: &[&str] = if kind == ChartKind::Pie { &[] } else { &SHARED };
    let names: Vec<&str> = shared.iter().chain(allowed(kind)).chain(&width::OPTIONS).copied().collect();
    let opts = Options::new(opts, pos, &names)?;
    let shown_width = width::read(&opts, Width::Stretch, LEAST_WIDTH)?;
    let held = data.read_lock::<Array>();
    let records = Records::in_place(data, held.as_deref(), MAX_ROWS, pos)?;
    let (id, width) = context::with(|c| {
        let id = c.page.walk().iter().filter(|e| matches!(e, Element::Chart(_))).count();
        (id, width_in(&c.page.containers[target].kind))
    })?;
    // A chart of fixed width is drawn at that width, so its text keeps its size.
    let width = shown_width.pixels().map_or(width, f64::from);
    let mut chart = Chart::new(id, width, kind);
    chart.shown_width = shown_width;
    look::read(&opts, &mut chart)?;
    match kind {
        ChartKind::Histogram => histogram(&opts, &records, &mut chart, pos)?,
        ChartKind::Box => boxes(&opts, &records, &mut chart, pos)?,
        ChartKind::Heatmap => heatmap(&opts, &records, &mut chart, pos)?,
        ChartKind::Pie => pie(&opts, &records, &mut chart, pos)?,
        _ => xy(&opts, &records, &mut chart, pos)?,
    }
    if let Some(label) = opts.string("x_label")? {
        chart.x_label = label;
    }
    if let Some(label) = opts.string("y_label")? {
        chart.y_label = label;
    }
    categories_fit(&chart, pos)?;
    draw(target, Element::Chart(Arc::new(chart)))
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

fn categories_fit(chart: &Chart, pos: Position) -> Res {
    let most = [&chart.categories, &chart.y_categories].iter().filter_map(|c| c.as_ref().map(Vec::len)).max();
    if chart.kind != ChartKind::Pie && most.is_some_and(|n| n > MAX_CATEGORIES) {
        let hint = if chart.kind == ChartKind::Bar { "; a histogram bins numbers" } else { "" };
        return Err(error(
            format!("a {} chart draws at most {MAX_CATEGORIES} categories{hint}", chart.kind.name()),
            pos,
        ));
    }
    Ok(())
}

/// Line, area, bar and scatter charts.
fn xy(opts: &Options, records: &Records, chart: &mut Chart, pos: Position) -> Res {
    let kind = chart.kind;
    let x = opts.string("x")?;
    let color = opts.string("color")?;
    let size = size(opts, chart)?;
    let y = columns::fields(opts, "y", records, &[x.as_deref(), color.as_deref(), size.as_deref()])?;
    known(records, x.iter().chain(&y).chain(color.iter()).chain(size.iter()), pos)?;
    // A scatter's colour by a numeric field is a shade; otherwise it splits the series.
    let shade = color.as_deref().filter(|c| kind == ChartKind::Scatter && records.is_numeric(c));
    let split_by = color.as_deref().filter(|_| shade.is_none());
    let categorical = kind == ChartKind::Bar || x.as_deref().is_some_and(|x| !records.is_numeric(x));
    if categorical && chart.x_range.is_some() {
        return Err(error("option `x_range` needs a numeric `x`; this chart's x are categories".into(), pos));
    }
    let (xs, categories) = columns::positions(records, x.as_deref(), categorical);
    let extras = Extras { size: size.as_deref(), shade };
    let mut series = columns::split(records, &xs, &y, split_by, &extras, pos)?;
    if matches!(kind, ChartKind::Line | ChartKind::Area) {
        columns::sort_by_x(&mut series);
    }
    dashed(opts, &mut series)?;
    chart.categories = categories;
    chart.series = series;
    chart.x_label = x.unwrap_or_else(|| "index".into());
    chart.y_label = y.join(", ");
    Ok(())
}

/// `size`: a numeric field (dots sized by it) or a number (every dot's area in px², as in
/// Streamlit); returns the field.
fn size(opts: &Options, chart: &mut Chart) -> Result<Option<String>, Box<EvalAltResult>> {
    let Some(value) = opts.raw("size") else { return Ok(None) };
    if value.is_string() {
        return Ok(Some(convert::display(value)));
    }
    match number(value) {
        Some(area) if area > 0.0 => {
            chart.dot_radius = (area / std::f64::consts::PI).sqrt().min(40.0);
            Ok(None)
        }
        _ => Err(opts.fail(format!("option `size` is a field name or a dot area in px², not {value}"))),
    }
}

/// `dashed`: names of series drawn dashed (the secondary style).
fn dashed(opts: &Options, series: &mut [Series]) -> Res {
    for name in opts.strings("dashed")?.unwrap_or_default() {
        let Some(s) = series.iter_mut().find(|s| s.name == name) else {
            let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
            return Err(
                opts.fail(format!("option `dashed` names `{name}`, which is not a series ({})", names.join(", ")))
            );
        };
        s.dashed = true;
    }
    Ok(())
}

/// `histogram(data, #{ x, bins, color })`: counts of `x` in equal bins.
fn histogram(opts: &Options, records: &Records, chart: &mut Chart, pos: Position) -> Res {
    let Some(x) = opts.string("x")? else {
        return Err(error("a histogram needs option `x`, the field to count".into(), pos));
    };
    let color = opts.string("color")?;
    known(records, [&x].into_iter().chain(color.iter()), pos)?;
    if !records.is_numeric(&x) {
        return Err(error(format!("a histogram counts numbers; field `{x}` holds other values"), pos));
    }
    let bins = opts.int("bins")?.unwrap_or(20);
    if !(1..=MAX_BINS).contains(&bins) {
        return Err(error(format!("option `bins` is 1 to {MAX_BINS}, not {bins}"), pos));
    }
    chart.bins = bins as usize;
    let (values, _) = columns::positions(records, Some(&x), false);
    let mut series =
        columns::split(records, &values, std::slice::from_ref(&x), color.as_deref(), &Extras::default(), pos)?;
    for s in &mut series {
        for p in &mut s.points {
            *p = (p.0, 1.0);
        }
    }
    chart.series = series;
    chart.x_label = x;
    chart.y_label = "count".into();
    Ok(())
}

/// `box_chart(data, #{ x, y, color })`: a box per category of `x` (or per `y` field).
fn boxes(opts: &Options, records: &Records, chart: &mut Chart, pos: Position) -> Res {
    let x = opts.string("x")?;
    let color = opts.string("color")?;
    let y = columns::fields(opts, "y", records, &[x.as_deref(), color.as_deref()])?;
    known(records, x.iter().chain(&y).chain(color.iter()), pos)?;
    if y.is_empty() {
        return Err(error("a box chart needs a numeric field in option `y`".into(), pos));
    }
    if let Some(x) = &x {
        let (xs, categories) = columns::positions(records, Some(x), true);
        chart.series = columns::split(records, &xs, &y, color.as_deref(), &Extras::default(), pos)?;
        chart.categories = categories;
        chart.x_label = x.clone();
        chart.y_label = y.join(", ");
        return Ok(());
    }
    // Without x, each y field is a category of one series.
    let mut series = Vec::new();
    for (i, field) in y.iter().enumerate() {
        let xs = vec![Some(i as f64); records.rows.len()];
        for s in columns::split(records, &xs, std::slice::from_ref(field), color.as_deref(), &Extras::default(), pos)? {
            match series.iter().position(|t: &Series| color.is_none() || t.name == s.name) {
                Some(at) => series[at].points.extend(s.points),
                None if series.len() == MAX_SERIES => {
                    return Err(error(format!("a chart draws at most {MAX_SERIES} series"), pos));
                }
                None => {
                    let name = if color.is_none() { "values".into() } else { s.name.clone() };
                    series.push(Series { name, ..s });
                }
            }
        }
    }
    chart.series = series;
    chart.categories = Some(y.clone());
    chart.x_label = String::new();
    chart.y_label = y.join(", ");
    Ok(())
}

/// `heatmap(data, #{ x, y, value })`: cells by two category fields, shaded by the sum of
/// `value` (or the count of rows without it).
fn heatmap(opts: &Options, records: &Records, chart: &mut Chart, pos: Position) -> Res {
    let (Some(x), Some(y)) = (opts.string("x")?, opts.string("y")?) else {
        return Err(error("a heatmap needs options `x` and `y`, the fields of its columns and rows".into(), pos));
    };
    let value = opts.string("value")?;
    known(records, [&x, &y].into_iter().chain(value.iter()), pos)?;
    let (xs, x_names) = columns::positions(records, Some(&x), true);
    let (ys, y_names) = columns::positions(records, Some(&y), true);
    let mut series = Series::new(value.clone().unwrap_or_else(|| "count".into()));
    let mut shades = Vec::new();
    for ((row, cx), cy) in records.rows.iter().zip(&xs).zip(&ys) {
        let v = match &value {
            Some(field) => records.cell(row, field).and_then(number),
            None => Some(1.0),
        };
        if let (Some(cx), Some(cy), Some(v)) = (cx, cy, v) {
            series.points.push((*cx, *cy));
            shades.push(v);
        }
    }
    series.shades = Some(shades);
    chart.series = vec![series];
    chart.categories = x_names;
    chart.y_categories = y_names;
    chart.x_label = x;
    chart.y_label = y;
    Ok(())
}

/// `pie_chart(data, #{ names, values, hole })`: a slice per name, sized by the sum of `values`
/// (or the count of rows without it); `hole` above 0 makes a donut.
fn pie(opts: &Options, records: &Records, chart: &mut Chart, pos: Position) -> Res {
    let Some(names) = opts.string("names")? else {
        return Err(error("a pie chart needs option `names`, the field naming its slices".into(), pos));
    };
    let values = opts.string("values")?;
    known(records, [&names].into_iter().chain(values.iter()), pos)?;
    let hole = opts.float("hole")?.unwrap_or(0.0);
    if !(0.0..0.95).contains(&hole) {
        return Err(error(format!("option `hole` is a share of the radius from 0 to 0.95, not {hole}"), pos));
    }
    chart.hole = hole;
    let (xs, categories) = columns::positions(records, Some(&names), true);
    let mut series = Series::new(values.clone().unwrap_or_else(|| "count".into()));
    for (row, x) in records.rows.iter().zip(&xs) {
        let v = match &values {
            Some(field) => records.cell(row, field).and_then(number),
            None => Some(1.0),
        };
        match (x, v) {
            (Some(_), Some(v)) if v < 0.0 => {
                return Err(error(format!("a pie chart's values cannot be negative ({v})"), pos));
            }
            (Some(x), Some(v)) => series.points.push((*x, v)),
            _ => {}
        }
    }
    chart.series = vec![series];
    chart.categories = categories;
    chart.x_label = names;
    chart.y_label = values.unwrap_or_else(|| "count".into());
    Ok(())
}
