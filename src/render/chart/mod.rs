//! A chart as inline SVG, written by hand: every mark is an element of its own with a `<title>`
//! tooltip holding its values (browsers show it on hover, without JavaScript), category labels
//! are rotated or thinned to fit (with a note, never silently), long labels are shortened with
//! the full text in a `<title>`, and a legend goes where the script asked.
//!
//! Theming: marks carry the class `rn-sN` (series `N` of the colour-blind-safe Okabe–Ito
//! palette, coloured per theme by the stylesheet) plus the light theme's colour as an attribute
//! for use without the stylesheet; text, axes and grid use `currentColor`. Shades (heatmap
//! cells, dots coloured by a number) use viridis, which reads in both themes and for
//! colour-blind viewers. Large series are thinned first ([`sample`]) with a note under the
//! chart. All text from the script goes through [`escape`].

mod bars;
mod draw;
mod heat;
mod layout;
mod legend;
mod lines;
mod pie;
mod sample;
mod scale;
mod xy;

use std::fmt::Write;

use scale::tick_label;

use crate::page::{Chart, ChartKind, Width};

/// Height of a chart's drawing unless its rows need more (horizontal bars, heatmaps).
const HEIGHT: f64 = 300.0;

/// The light theme's colours of the series classes (Okabe–Ito), used without the stylesheet.
pub(crate) const PALETTE: [&str; 8] =
    ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"];

/// The whole `<figure>` with its `<svg>` and the notes about what was thinned.
pub fn svg(chart: &Chart) -> String {
    let width = chart.width.round().clamp(120.0, 4000.0);
    let prepared = sample::prepare(chart, width);
    let mut body = String::with_capacity(4096 + prepared.points() * 80);
    let mut notes = chart.notes.clone();
    notes.extend(prepared.notes.iter().cloned());
    let height = match chart.kind {
        ChartKind::Pie => pie::draw(chart, &mut body, width, &mut notes),
        ChartKind::Heatmap => heat::draw(chart, &mut body, width, &mut notes),
        _ => xy::draw(chart, &prepared, &mut body, width, &mut notes),
    };
    let mut out = String::with_capacity(body.len() + 1024);
    let id = format!("rn-chart-{}", chart.id);
    let kind = chart.kind.name();
    // Stretched, it fills its container; otherwise it keeps its drawing's width (the pixels
    // asked for, or its own), up to the container's.
    let (shown, shown_css) = match chart.shown_width {
        Width::Stretch => ("100%".to_owned(), Width::Stretch.css()),
        other => (width.to_string(), other.css()),
    };
    let _ = write!(
        out,
        r#"<figure class="rn-chart-wrap {shown_css}"><svg class="rn-chart rn-chart-{kind}" viewBox="0 0 {width} {height}" width="{shown}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(&title(chart)),
        escape(&describe(chart))
    );
    out.push_str(&body);
    out.push_str("</svg>");
    for note in &notes {
        let _ = write!(out, r#"<figcaption class="rn-chart-note">{}</figcaption>"#, escape(note));
    }
    out.push_str("</figure>");
    out
}

fn title(chart: &Chart) -> String {
    if !chart.title.is_empty() {
        return chart.title.clone();
    }
    match chart.kind {
        ChartKind::Pie => format!("Pie chart of {} by {}", chart.y_label, chart.x_label),
        ChartKind::Histogram => format!("Histogram of {}", chart.x_label),
        kind => format!("{} chart of {} by {}", capitalized(kind.name()), chart.y_label, chart.x_label),
    }
}

/// A sentence for screen readers: the series, their sizes and the ranges.
fn describe(chart: &Chart) -> String {
    let series: Vec<String> = chart.series.iter().map(|s| format!("{} ({} points)", s.name, s.points.len())).collect();
    let (x0, x1) = scale::span(chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let (y0, y1) = scale::span(chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let x_text = match &chart.categories {
        Some(c) if !c.is_empty() => format!("{} from {} to {}", chart.x_label, c[0], c[c.len() - 1]),
        _ => format!("{} from {} to {}", chart.x_label, tick_label(x0), tick_label(x1)),
    };
    let y_text = match chart.kind {
        ChartKind::Histogram => String::new(),
        ChartKind::Heatmap => match &chart.y_categories {
            Some(c) if !c.is_empty() => format!("; {} from {} to {}", chart.y_label, c[0], c[c.len() - 1]),
            _ => String::new(),
        },
        _ => format!("; {} from {} to {}", chart.y_label, tick_label(y0), tick_label(y1)),
    };
    format!("{} series: {}. {x_text}{y_text}.", series.len(), series.join(", "))
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
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
    fn a_scatter_of_100000_points_stays_a_small_svg_with_a_note() {
        // Two sized series spread evenly (golden-ratio steps), so every cell of the grid is
        // taken by both: the worst case.
        let spread = |i: i32, a: f64| (f64::from(i) * a % 1.0 * 100.0, f64::from(i) * (a / 1.5) % 1.0 * 50.0);
        let series = |name: &str, a: f64| crate::page::Series {
            points: (0..50_000).map(|i| spread(i, a)).collect(),
            sizes: Some((0..50_000).map(|i| f64::from(i % 40)).collect()),
            ..crate::page::Series::new(name.into())
        };
        let mut chart = Chart::new(0, 640.0, ChartKind::Scatter);
        chart.series = vec![series("first", 0.618_034), series("second", 0.414_214)];
        let svg = svg(&chart);
        assert!(svg.len() < 300_000, "{} bytes", svg.len());
        let dots = svg.matches(" rn-dot ").count();
        assert!((200..=2_000).contains(&dots), "{dots} dots");
        assert!(svg.contains("100,000 points are binned into"), "the chart says so");
    }

    #[test]
    fn markup_in_labels_is_escaped() {
        assert_eq!(escape(r#"<img src=x onerror="a">&'"#), "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;");
    }
}
