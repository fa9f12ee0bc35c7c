//! `map(data, #{ lat, lon, size, color, zoom, width, use_container_width })`: points on the basemap that ships with Runnel
//! (or on tiles, when `[media] tile_url` is set). `size` and `color` are a value for every point
//! or the name of a column; every point's tooltip lists its row.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, Position};

use super::display::draw;
use super::options::{Options, error};
use super::records::{Records, number};
use super::{context, convert, placed_data, width};
use crate::page::{ContainerId, Element, MapPoint, MapView, Width};

type Res = Result<(), Box<EvalAltResult>>;

/// Most points one map draws (each is an SVG circle).
const MAX_POINTS: usize = 10_000;
const DEFAULT_RADIUS: f64 = 5.0;
const DEFAULT_COLOR: &str = "#ff4b4b";
/// The narrowest map, in pixels.
const MIN_WIDTH: u32 = 120;

pub fn register(engine: &mut Engine) {
    placed_data!(engine, "map", |t, p, d: &Dynamic| map(t, p, d, Map::new()), (data));
    placed_data!(engine, "map", map, (data, opts: Map));
}

fn map(target: ContainerId, pos: Position, data: &Dynamic, opts: Map) -> Res {
    let opts = Options::new(opts, pos, &["lat", "lon", "size", "color", "zoom", "width", "use_container_width"])?;
    let width = width::read(&opts, Width::Stretch, MIN_WIDTH)?;
    let held = data.read_lock::<Array>();
    let records = Records::in_place(data, held.as_deref(), MAX_POINTS, pos)?;
    let lat = column(&opts, &records, "lat", &["lat", "latitude", "LAT", "LATITUDE"], pos)?;
    let lon = column(&opts, &records, "lon", &["lon", "longitude", "lng", "LON", "LONGITUDE"], pos)?;
    let size = Channel::of(&opts, &records, "size", pos)?;
    let color = Channel::of(&opts, &records, "color", pos)?;
    let zoom = match opts.float("zoom")? {
        Some(z) if (0.0..=20.0).contains(&z) => Some(z),
        Some(z) => return Err(error(format!("zoom is 0 (the whole world) to 20, not {z}"), pos)),
        None => None,
    };
    let mut points = Vec::with_capacity(records.rows.len());
    for (i, row) in records.rows.iter().enumerate() {
        let coordinate = |field: &str, limit: f64| {
            let value = records.cell(row, field).and_then(number).filter(|v| v.abs() <= limit);
            value.ok_or_else(|| error(format!("row {i}: `{field}` must be a number within ±{limit}"), pos))
        };
        let point = MapPoint {
            lat: coordinate(&lat, 90.0)?,
            lon: coordinate(&lon, 180.0)?,
            radius: radius(size.value(&records, row), i, pos)?,
            color: colour(color.value(&records, row), i, pos)?,
            tooltip: tooltip(&records, row),
        };
        points.push(point);
    }
    let tile_url = context::with(|c| c.sources.as_ref().and_then(|s| s.media.tile_url.clone()))?;
    draw(target, Element::Map(Arc::new(MapView { points, zoom, tile_url, width })))
}

/// The column named by `option`, or the first of `guesses` the data has.
fn column(
    opts: &Options,
    records: &Records,
    option: &str,
    guesses: &[&str],
    pos: Position,
) -> Result<String, Box<EvalAltResult>> {
    let name = match opts.string(option)? {
        Some(name) => name,
        None if records.rows.is_empty() => guesses[0].to_owned(),
        None => guesses.iter().find(|g| records.columns.iter().any(|c| c == *g)).map(|g| (*g).to_owned()).ok_or_else(
            || error(format!("name the {option} column with `{option}` (the data has no column {})", guesses[0]), pos),
        )?,
    };
    if !records.columns.contains(&name) && !records.rows.is_empty() {
        return Err(error(format!("the data has no column `{name}`"), pos));
    }
    Ok(name)
}

/// `size` or `color`: one value for every point, or a column.
enum Channel {
    Fixed(Option<Dynamic>),
    Column(String),
}

impl Channel {
    fn of(opts: &Options, records: &Records, option: &str, pos: Position) -> Result<Self, Box<EvalAltResult>> {
        let Some(value) = opts.raw(option).filter(|v| !v.is_unit()).cloned() else { return Ok(Self::Fixed(None)) };
        let text = value.is_string().then(|| convert::display(&value));
        match text {
            Some(name) if records.columns.contains(&name) => Ok(Self::Column(name)),
            Some(text) if option == "size" => {
                Err(error(format!("size is a number or a column, and {text:?} is neither"), pos))
            }
            _ => Ok(Self::Fixed(Some(value))),
        }
    }

    fn value<'a>(&'a self, records: &Records, row: &'a Map) -> Option<&'a Dynamic> {
        match self {
            Self::Fixed(value) => value.as_ref(),
            Self::Column(name) => records.cell(row, name),
        }
    }
}

/// A point's radius in map units (the map is 720 wide).
fn radius(value: Option<&Dynamic>, row: usize, pos: Position) -> Result<f64, Box<EvalAltResult>> {
    match value.map(number) {
        None => Ok(DEFAULT_RADIUS),
        Some(Some(r)) if (0.0..=200.0).contains(&r) => Ok(r),
        Some(_) => Err(error(
            format!(
                "row {row}: size is a radius of 0 to 200, not {}",
                convert::display(value.unwrap_or(&Dynamic::UNIT))
            ),
            pos,
        )),
    }
}

/// A point's colour: `#rgb`, `#rrggbb` or `#rrggbbaa`.
fn colour(value: Option<&Dynamic>, row: usize, pos: Position) -> Result<String, Box<EvalAltResult>> {
    let Some(value) = value else { return Ok(DEFAULT_COLOR.to_owned()) };
    let text = convert::display(value);
    let hex = text
        .strip_prefix('#')
        .is_some_and(|h| matches!(h.len(), 3 | 6 | 8) && h.chars().all(|c| c.is_ascii_hexdigit()));
    if !hex {
        return Err(error(
            format!("row {row}: a colour is #rgb, #rrggbb or #rrggbbaa (or a column of them), not {text:?}"),
            pos,
        ));
    }
    Ok(text)
}

/// The row as `column: value` lines.
fn tooltip(records: &Records, row: &Map) -> String {
    let lines: Vec<String> = records
        .columns
        .iter()
        .filter_map(|c| records.cell(row, c).map(|v| format!("{c}: {}", convert::display(v))))
        .collect();
    lines.join("\n")
}
