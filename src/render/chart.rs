//! A chart as inline SVG, drawn with `plotters`' SVG backend: axes with round tick values,
//! category or number tick labels, axis names, a legend for several series and one mark per
//! point (a polyline for a line, a polygon and its edge for an area, a circle per point, a
//! rectangle per bar, grouped by category). It needs no font library: the SVG backend writes
//! `<text>` elements and the browser lays them out.
//!
//! The drawing is then wrapped in our own `<svg>` root with a `<title>` and `<desc>` for screen
//! readers, and themed: every series is drawn in a sentinel colour (`#0102NN` for series `NN`,
//! `#0103NN` for its legend key) that becomes the class `rn-sNN` (which the stylesheet colours
//! for the light and dark themes) plus a mid-tone palette colour for use without the
//! stylesheet; plotters' black (text, axes, grid) becomes `currentColor`. Plotters escapes text
//! and attribute values itself, so labels are handed to it raw (escaping them first would
//! escape them twice); the title and description we write ourselves go through [`escape`].

use std::fmt::Write;
use std::sync::{Arc, Mutex};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::page::{Chart, ChartKind};

const HEIGHT: u32 = 300;
/// Fallback colours (used when the stylesheet is missing); the CSS classes win.
const PALETTE: [&str; 8] = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];

/// The sentinel colour series `i` is drawn in.
fn series_colour(i: usize) -> RGBColor {
    RGBColor(1, 2, (i % PALETTE.len()) as u8)
}

/// The sentinel colour of series `i`'s legend key.
fn key_colour(i: usize) -> RGBColor {
    RGBColor(1, 3, (i % PALETTE.len()) as u8)
}

/// The whole `<svg>` element, from a small cache keyed by the chart's content: an unchanged
/// chart (the same dashboard opened again, a full render after a patch mismatch) is drawn once.
pub fn cached_svg(chart: &Chart) -> Arc<str> {
    let key = content_key(chart);
    if let Some(hit) = SVG_CACHE.lock().ok().and_then(|mut cache| cache.get(key)) {
        return hit;
    }
    let drawn: Arc<str> = Arc::from(svg(chart));
    if let Ok(mut cache) = SVG_CACHE.lock() {
        cache.insert(key, drawn.clone());
    }
    drawn
}

/// Drawn charts kept: at most [`CACHE_ENTRIES`] of them and [`CACHE_BYTES`] in all.
static SVG_CACHE: Mutex<SvgCache> = Mutex::new(SvgCache::new());
const CACHE_ENTRIES: usize = 256;
const CACHE_BYTES: usize = 32 * 1024 * 1024;

/// A chart's cache key: a fixed-key hash of all its data (ids, titles, points, sizes).
fn content_key(chart: &Chart) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    let _ = serde_json::to_writer(HashWriter(&mut h), chart);
    std::hash::Hasher::finish(&h)
}

struct HashWriter<'a>(&'a mut std::hash::DefaultHasher);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::hash::Hasher::write(self.0, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A clock (second-chance) cache: a hit marks its entry; eviction skips marked entries once.
struct SvgCache {
    entries: Vec<(u64, Arc<str>, bool)>,
    hand: usize,
    bytes: usize,
}

impl SvgCache {
    const fn new() -> Self {
        Self { entries: Vec::new(), hand: 0, bytes: 0 }
    }

    fn get(&mut self, key: u64) -> Option<Arc<str>> {
        let entry = self.entries.iter_mut().find(|e| e.0 == key)?;
        entry.2 = true;
        Some(entry.1.clone())
    }

    fn insert(&mut self, key: u64, svg: Arc<str>) {
        if svg.len() > CACHE_BYTES / 8 || self.entries.iter().any(|e| e.0 == key) {
            return;
        }
        while !self.entries.is_empty() && (self.entries.len() >= CACHE_ENTRIES || self.bytes + svg.len() > CACHE_BYTES)
        {
            self.evict_one();
        }
        self.bytes += svg.len();
        self.entries.push((key, svg, false));
    }

    fn evict_one(&mut self) {
        loop {
            self.hand %= self.entries.len();
            let entry = &mut self.entries[self.hand];
            if entry.2 {
                entry.2 = false;
                self.hand += 1;
            } else {
                let (_, gone, _) = self.entries.swap_remove(self.hand);
                self.bytes -= gone.len();
                return;
            }
        }
    }
}

/// The whole `<svg>` element.
pub fn svg(chart: &Chart) -> String {
    let width = chart.width.round().clamp(120.0, 4000.0) as u32;
    let points: usize = chart.series.iter().map(|s| s.points.len()).sum();
    let mut drawing = String::with_capacity(4096 + points * 64);
    if draw(chart, width, &mut drawing).is_err() {
        // Plotters fails only on a degenerate drawing area; the title and description remain.
        drawing.clear();
    }
    let mut out = String::with_capacity(drawing.len() + 1024);
    let id = format!("rn-chart-{}", chart.id);
    let kind = chart.kind.name();
    let _ = write!(
        out,
        r#"<figure class="rn-chart-wrap"><svg class="rn-chart rn-chart-{kind}" viewBox="0 0 {width} {HEIGHT}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(&title(chart)),
        escape(&describe(chart))
    );
    themed(&mut out, &drawing);
    out.push_str("</svg></figure>");
    out
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws the chart with plotters into `buf` (a complete SVG document of its own).
fn draw(chart: &Chart, width: u32, buf: &mut String) -> DrawResult {
    let root = SVGBackend::with_string(buf, (width, HEIGHT)).into_drawing_area();
    let several = chart.series.len() > 1;
    let (y0, y1) = y_range(chart);
    let ticks = nice_ticks(y0, y1);
    let y = ticks[0]..ticks[ticks.len() - 1];
    let x = match &chart.categories {
        Some(_) => {
            let (x0, x1) = x_range(chart);
            x0..x1
        }
        None => {
            let (x0, x1) = x_range(chart);
            let t = nice_ticks(x0, x1);
            t[0]..t[t.len() - 1]
        }
    };
    let text = ("sans-serif", 14).into_font().color(&BLACK);
    let mut plot = ChartBuilder::on(&root)
        .margin_top(if several { 30 } else { 12 })
        .margin_right(16)
        .margin_left(4)
        .margin_bottom(4)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d(x, y.clone())?;

    let categories = chart.categories.as_deref();
    let x_format = |v: &f64| match categories {
        Some(names) => {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                truncate(&names[i as usize], 12)
            } else {
                String::new()
            }
        }
        None => tick_label(*v),
    };
    let y_format = |v: &f64| tick_label(*v);
    let x_labels = match categories {
        // Room for a label of the longest name (about 6.5 units a character) per tick.
        Some(names) => {
            let longest = names.iter().map(|c| c.chars().count().min(12)).max().unwrap_or(1) as f64;
            let fit = ((f64::from(width) - 72.0) / (longest * 6.5 + 10.0)).max(1.0) as usize;
            // No more ticks than categories, or plotters would also place ticks between them.
            fit.min(names.len()).max(1)
        }
        None => 6,
    };
    let mut mesh = plot.configure_mesh();
    mesh.disable_x_mesh()
        .bold_line_style(BLACK.mix(0.15))
        .light_line_style(TRANSPARENT)
        .max_light_lines(0)
        .axis_style(BLACK.mix(0.5))
        .x_labels(x_labels)
        .y_labels(6)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .label_style(text.clone())
        .axis_desc_style(text.clone());
    if !chart.x_label.is_empty() {
        mesh.x_desc(chart.x_label.as_str());
    }
    if !chart.y_label.is_empty() {
        mesh.y_desc(chart.y_label.as_str());
    }
    mesh.draw()?;

    // Bars and areas start at zero, or at the edge of the range nearest to it.
    let base = 0f64.clamp(y.start, y.end);
    let count = chart.series.len().max(1) as f64;
    for (i, series) in chart.series.iter().enumerate() {
        let colour = series_colour(i);
        let points = series.points.iter().copied();
        match chart.kind {
            ChartKind::Line => {
                plot.draw_series(LineSeries::new(points, colour.stroke_width(2)))?;
            }
            ChartKind::Area => {
                plot.draw_series(AreaSeries::new(points, base, colour.mix(0.25)).border_style(colour.stroke_width(2)))?;
            }
            ChartKind::Scatter => {
                plot.draw_series(points.map(|p| Circle::new(p, 3, colour.mix(0.7).filled())))?;
            }
            ChartKind::Bar => {
                // Each category's band holds one bar per series.
                let band = 0.8 / count;
                plot.draw_series(points.map(|(x, v)| {
                    let left = x - 0.4 + band * i as f64;
                    Rectangle::new([(left, base), (left + band * 0.9, v)], colour.filled())
                }))?;
            }
        }
    }

    if several {
        let mut x = 60i32;
        for (i, series) in chart.series.iter().enumerate() {
            let name = truncate(&series.name, 20);
            let chars = name.chars().count() as i32;
            root.draw(&Rectangle::new([(x, 8), (x + 12, 20)], key_colour(i).filled()))?;
            root.draw(&Text::new(name, (x + 17, 14), text.pos(Pos::new(HPos::Left, VPos::Center))))?;
            x += 30 + chars * 7;
            if x > width as i32 - 60 {
                break;
            }
        }
    }
    root.present()?;
    Ok(())
}

/// Copies plotters' drawing without its own `<svg>` root, turning the sentinel colours into
/// theme classes and black into `currentColor`. Plotters writes one element per line and
/// escapes text, so a line that starts with `<` is one of its tags and every other line is
/// text content, copied unchanged.
fn themed(out: &mut String, drawing: &str) {
    for line in drawing.lines() {
        if !line.starts_with('<') {
            out.push_str(line);
            continue;
        }
        if line.starts_with("<svg") || line.starts_with("</svg") {
            continue;
        }
        let name_end = line.find([' ', '/', '>']).unwrap_or(line.len());
        let (head, attrs) = line.split_at(name_end);
        let Some((at, key, i)) = sentinel(attrs) else {
            out.push_str(&attrs_themed(line));
            continue;
        };
        let role = if key {
            "rn-legend-key"
        } else {
            match &head[1..] {
                "polyline" => "rn-series rn-line",
                "polygon" => "rn-series rn-area",
                "rect" => "rn-series rn-bar",
                "circle" => "rn-series rn-dot",
                _ => "rn-series",
            }
        };
        let _ = write!(out, r#"{head} class="{role} rn-s{i}""#);
        out.push_str(&attrs_themed(&attrs[..at]));
        out.push_str(PALETTE[i]);
        out.push_str(&attrs_themed(&attrs[at + 7..]));
    }
}

/// Where a sentinel colour starts in a tag's attributes, whether it is a legend key, and the
/// series' palette index.
fn sentinel(attrs: &str) -> Option<(usize, bool, usize)> {
    let at = attrs.find("\"#010")? + 1;
    let code = attrs.get(at + 4..at + 7)?;
    let key = match &code[..1] {
        "2" => false,
        "3" => true,
        _ => return None,
    };
    let i = usize::from_str_radix(&code[1..], 16).ok()?;
    (i < PALETTE.len()).then_some((at, key, i))
}

fn attrs_themed(attrs: &str) -> String {
    attrs.replace("\"#000000\"", "\"currentColor\"")
}

fn title(chart: &Chart) -> String {
    if chart.title.is_empty() {
        format!("{} chart of {} by {}", capitalized(chart.kind.name()), chart.y_label, chart.x_label)
    } else {
        chart.title.clone()
    }
}

/// A sentence for screen readers: the series, their sizes and the ranges.
fn describe(chart: &Chart) -> String {
    let series: Vec<String> = chart.series.iter().map(|s| format!("{} ({} points)", s.name, s.points.len())).collect();
    let (x0, x1) = x_range(chart);
    let (y0, y1) = y_range(chart);
    let x_text = match &chart.categories {
        Some(c) if !c.is_empty() => format!("{} from {} to {}", chart.x_label, c[0], c[c.len() - 1]),
        _ => format!("{} from {} to {}", chart.x_label, tick_label(x0), tick_label(x1)),
    };
    format!(
        "{} series: {}. {x_text}; {} from {} to {}.",
        series.len(),
        series.join(", "),
        chart.y_label,
        tick_label(y0),
        tick_label(y1)
    )
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn all_points(chart: &Chart) -> impl Iterator<Item = &(f64, f64)> {
    chart.series.iter().flat_map(|s| s.points.iter())
}

fn x_range(chart: &Chart) -> (f64, f64) {
    if let Some(categories) = &chart.categories {
        return (-0.5, categories.len().max(1) as f64 - 0.5);
    }
    span(all_points(chart).map(|p| p.0))
}

fn y_range(chart: &Chart) -> (f64, f64) {
    let (lo, hi) = span(all_points(chart).map(|p| p.1));
    match chart.kind {
        // Bars and areas are measured from zero.
        ChartKind::Bar | ChartKind::Area => (lo.min(0.0), hi.max(0.0)),
        _ => (lo, hi),
    }
}

/// Smallest and largest value; a usable range even for no or one value.
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    }
}

/// About five round tick values covering `lo..=hi` (steps of 1, 2 or 5 times a power of ten).
pub fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let start = (lo / step).floor() as i64;
    let end = (hi / step).ceil() as i64;
    (start..=end.max(start + 1)).map(|i| i as f64 * step).collect()
}

/// A short tick label: `1.5k`, `2M`, `0.25`.
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = format!("{:.2}", scaled);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let text = if text == "-0" { "0" } else { text };
    format!("{text}{suffix}")
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_owned() } else { text.chars().take(max - 1).chain(['…']).collect() }
}

/// XML escaping for text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 10.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let t = nice_ticks(3.2, 97.0);
        assert!(t[0] <= 3.2 && *t.last().unwrap() >= 97.0);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(2500.0), "2500");
        assert_eq!(tick_label(25_000.0), "25k");
        assert_eq!(tick_label(1_500_000.0), "1.5M");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(-0.0), "0");
    }

    #[test]
    fn markup_in_labels_is_escaped() {
        assert_eq!(escape(r#"<img src=x onerror="a">&'"#), "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;");
    }
}
