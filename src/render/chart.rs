//! A chart as inline SVG, drawn by hand: axes, tick labels, a legend and one group per
//! series. Colours come from CSS classes (`rn-s0`…) that the stylesheet sets for the light and
//! dark themes, with a mid-tone palette as presentation attributes for use without it; text
//! and axes use `currentColor`. Every label is XML-escaped.
//!
//! Why not `plotters`: without a font backend (its `ttf`/`ab_glyph` features need system
//! fonts or a bundled font file) it cannot lay out tick labels and legends, and its output
//! would still need post-processing for theme colours, ARIA and ids. A few hundred lines of
//! SVG writing have no dependency and draw a 1,000-point chart in well under a millisecond.

use std::fmt::Write;

use crate::page::{Chart, ChartKind};

const HEIGHT: f64 = 300.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const BOTTOM: f64 = 44.0;
/// Fallback colours (used when the stylesheet is missing); the CSS classes win.
const PALETTE: [&str; 8] = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];

/// The plot area and the two data ranges mapped onto it.
struct Frame {
    /// The viewBox width: narrower for a chart in a narrow column, so its text stays legible.
    width: f64,
    top: f64,
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x.0) / (self.x.1 - self.x.0) * (self.width - LEFT - RIGHT)
    }

    fn py(&self, y: f64) -> f64 {
        HEIGHT - BOTTOM - (y - self.y.0) / (self.y.1 - self.y.0) * (HEIGHT - BOTTOM - self.top)
    }
}

/// The whole `<svg>` element.
pub fn svg(chart: &Chart) -> String {
    let mut out = String::with_capacity(2048 + chart.series.iter().map(|s| s.points.len() * 16).sum::<usize>());
    let id = format!("rn-chart-{}", chart.id);
    let kind = chart.kind.name();
    let frame = frame(chart);
    let _ = write!(
        out,
        r#"<figure class="rn-chart-wrap"><svg class="rn-chart rn-chart-{kind}" viewBox="0 0 {} {HEIGHT}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        frame.width,
        escape(&title(chart)),
        escape(&describe(chart))
    );
    axes(&mut out, chart, &frame);
    for i in 0..chart.series.len() {
        draw_series(&mut out, chart, &frame, i);
    }
    if chart.series.len() > 1 {
        legend(&mut out, chart, frame.width);
    }
    out.push_str("</svg></figure>");
    out
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

fn frame(chart: &Chart) -> Frame {
    let top = if chart.series.len() > 1 { 36.0 } else { 12.0 };
    let (y0, y1) = y_range(chart);
    let ticks = nice_ticks(y0, y1);
    let y = (ticks[0], ticks[ticks.len() - 1]);
    let x = match chart.categories {
        Some(_) => x_range(chart),
        None => {
            let (x0, x1) = x_range(chart);
            let t = nice_ticks(x0, x1);
            (t[0], t[t.len() - 1])
        }
    };
    Frame { width: chart.width, top, x, y }
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

fn axes(out: &mut String, chart: &Chart, f: &Frame) {
    let (bottom, right) = (HEIGHT - BOTTOM, f.width - RIGHT);
    out.push_str(r#"<g class="rn-axis" fill="currentColor" font-size="11">"#);
    for y in nice_ticks(f.y.0, f.y.1) {
        let py = f.py(y);
        let _ = write!(
            out,
            r#"<line class="rn-grid" x1="{LEFT}" x2="{right}" y1="{py:.1}" y2="{py:.1}" stroke="currentColor" stroke-opacity="0.15"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            py + 4.0,
            tick_label(y)
        );
    }
    match &chart.categories {
        Some(categories) => {
            // Room for a label of the longest name (about 6.5 units a character) per tick.
            let longest = categories.iter().map(|c| c.chars().count().min(12)).max().unwrap_or(1) as f64;
            let fit = ((f.width - LEFT - RIGHT) / (longest * 6.5 + 10.0)).max(1.0) as usize;
            let every = categories.len().div_ceil(fit).max(1);
            for (i, name) in categories.iter().enumerate().step_by(every) {
                x_tick(out, f.px(i as f64), &truncate(name, 12));
            }
        }
        None => {
            for x in nice_ticks(f.x.0, f.x.1) {
                x_tick(out, f.px(x), &tick_label(x));
            }
        }
    }
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="currentColor" stroke-opacity="0.5"/><text class="rn-axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="rn-axis-label" transform="rotate(-90)" x="{:.1}" y="12" text-anchor="middle">{}</text></g>"#,
        (LEFT + right) / 2.0,
        HEIGHT - 6.0,
        escape(&chart.x_label),
        -(f.top + bottom) / 2.0,
        escape(&chart.y_label)
    );
}

fn x_tick(out: &mut String, px: f64, label: &str) {
    let _ = write!(
        out,
        r#"<text x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        HEIGHT - BOTTOM + 16.0,
        escape(label)
    );
}

fn draw_series(out: &mut String, chart: &Chart, f: &Frame, i: usize) {
    let series = &chart.series[i];
    let colour = PALETTE[i % PALETTE.len()];
    let _ = write!(
        out,
        r#"<g class="rn-series rn-s{}" data-series="{}" data-points="{}" stroke="{colour}" fill="{colour}">"#,
        i % PALETTE.len(),
        escape(&series.name),
        series.points.len()
    );
    match chart.kind {
        ChartKind::Line => path(out, f, &series.points, false),
        ChartKind::Area => path(out, f, &series.points, true),
        ChartKind::Scatter => {
            for &(x, y) in &series.points {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill-opacity="0.7" stroke="none"/>"#,
                    f.px(x),
                    f.py(y)
                );
            }
        }
        ChartKind::Bar => bars(out, f, chart.series.len(), i, &series.points),
    }
    out.push_str("</g>");
}

/// A line through the points; for an area also the filled shape down to zero.
fn path(out: &mut String, f: &Frame, points: &[(f64, f64)], area: bool) {
    if points.is_empty() {
        return;
    }
    let mut d = String::with_capacity(points.len() * 14);
    for (n, &(x, y)) in points.iter().enumerate() {
        d.push(if n == 0 { 'M' } else { 'L' });
        push_tenths(&mut d, f.px(x));
        d.push(',');
        push_tenths(&mut d, f.py(y));
    }
    if area {
        let base = f.py(0f64.clamp(f.y.0, f.y.1));
        let (first, last) = (f.px(points[0].0), f.px(points[points.len() - 1].0));
        let _ = write!(
            out,
            r#"<path class="rn-area" d="{d}L{last:.1},{base:.1}L{first:.1},{base:.1}Z" fill-opacity="0.25" stroke="none"/>"#
        );
    }
    let _ = write!(out, r#"<path class="rn-line" d="{d}" fill="none" stroke-width="2" stroke-linejoin="round"/>"#);
}

/// Writes `v` with one decimal, without float formatting (the hot loop of a 1,000-point path).
fn push_tenths(out: &mut String, v: f64) {
    let tenths = (v * 10.0).round() as i64;
    if tenths < 0 {
        out.push('-');
    }
    let (whole, frac) = (tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10);
    let _ = write!(out, "{whole}.{frac}");
}

/// Grouped bars: each category's band holds one bar per series.
fn bars(out: &mut String, f: &Frame, count: usize, i: usize, points: &[(f64, f64)]) {
    let band = f.px(1.0) - f.px(0.0);
    let width = band * 0.8 / count as f64;
    let base = f.py(0f64.clamp(f.y.0, f.y.1));
    for &(x, y) in points {
        let left = f.px(x) - band * 0.4 + width * i as f64;
        let top = f.py(y);
        let _ = write!(
            out,
            r#"<rect x="{left:.1}" y="{:.1}" width="{:.1}" height="{:.1}" stroke="none"/>"#,
            top.min(base),
            (width - 1.0).max(1.0),
            (base - top).abs()
        );
    }
}

fn legend(out: &mut String, chart: &Chart, width: f64) {
    out.push_str(r#"<g class="rn-legend" font-size="12">"#);
    let mut x = LEFT;
    for (i, series) in chart.series.iter().enumerate() {
        let name = truncate(&series.name, 20);
        let colour = PALETTE[i % PALETTE.len()];
        let _ = write!(
            out,
            r#"<rect class="rn-s{}" x="{x:.1}" y="8" width="12" height="12" rx="2" fill="{colour}" stroke="none"/><text x="{:.1}" y="18" fill="currentColor">{}</text>"#,
            i % PALETTE.len(),
            x + 16.0,
            escape(&name)
        );
        x += 28.0 + name.chars().count() as f64 * 7.0;
        if x > width - 60.0 {
            break;
        }
    }
    out.push_str("</g>");
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
    fn coordinates_have_one_decimal_and_keep_their_sign() {
        let mut out = String::new();
        for v in [12.34, -0.46, 0.0, 5.0] {
            push_tenths(&mut out, v);
            out.push(' ');
        }
        assert_eq!(out, "12.3 -0.5 0.0 5.0 ");
    }

    #[test]
    fn markup_in_labels_is_escaped() {
        assert_eq!(escape(r#"<img src=x onerror="a">&'"#), "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;");
    }
}
