//! Charts on two axes (line, area, scatter, bar, histogram, box): the marks' extent decides
//! the axes, the axes' labels decide the plot box, then everything is drawn into it. Bars may
//! lie horizontally: the category axis then runs down the left side and the drawing grows
//! with the number of categories.

use std::fmt::Write;

use super::HEIGHT;
use super::bars::{self, BoxMark, Rect};
use super::draw::{self, series_paint};
use super::layout::{self, AXIS_TITLE, Frame};
use super::legend::{self, Keys};
use super::lines::{self, Band};
use super::sample::Prepared;
use super::scale::{self, Scale, exact, span};
use crate::page::{Chart, ChartKind, Series, Stack};

/// Most drawing height for horizontal bars.
const MAX_HEIGHT: f64 = 4000.0;
/// Height per category of horizontal bars.
const ROW: f64 = 22.0;

/// The marks of one chart in data space.
enum Marks {
    Lines,
    Areas(Vec<Band>),
    Dots,
    Rects(Vec<Rect>),
    Boxes(Vec<BoxMark>),
}

/// Scales from data to pixels, for either orientation.
pub struct Plot<'a> {
    /// The x role: categories or x values.
    pub x: Scale,
    /// The y role: values.
    pub y: Scale,
    pub horizontal: bool,
    pub chart: &'a Chart,
}

impl Plot<'_> {
    /// Pixel position of data `(x, y)`.
    pub fn pos(&self, x: f64, y: f64) -> (f64, f64) {
        if self.horizontal { (self.y.px(y), self.x.px(x)) } else { (self.x.px(x), self.y.px(y)) }
    }

    /// An x value as a tooltip shows it: its category's name or the number.
    pub fn x_text(&self, x: f64) -> String {
        match self.chart.categories.as_deref() {
            Some(names) if x >= 0.0 && (x as usize) < names.len() => names[x as usize].clone(),
            _ => exact(x),
        }
    }

    /// A value as a tooltip shows it: exact, or in the chart's `y_format`.
    pub fn value_text(&self, v: f64) -> String {
        value_text(self.chart, v)
    }
}

fn value_text(chart: &Chart, v: f64) -> String {
    match chart.y_format {
        crate::page::AxisFormat::Compact => exact(v),
        format => scale::format(v, format),
    }
}

fn marks(chart: &Chart, series: &[Series], notes: &mut Vec<String>) -> Marks {
    match chart.kind {
        ChartKind::Area => Marks::Areas(lines::bands(series, chart.stack)),
        ChartKind::Scatter => Marks::Dots,
        ChartKind::Bar => Marks::Rects(bars::bar_rects(chart, series, |v| value_text(chart, v))),
        ChartKind::Histogram => Marks::Rects(bars::histogram_rects(chart, series, notes).0),
        ChartKind::Box => Marks::Boxes(bars::boxes(chart, series, notes)),
        _ => Marks::Lines,
    }
}

/// The data range of the marks' values, and of their x when x is numeric.
fn extent(marks: &Marks, series: &[Series]) -> ((f64, f64), (f64, f64)) {
    let points = || series.iter().flat_map(|s| s.points.iter());
    match marks {
        Marks::Lines | Marks::Dots => (span(points().map(|p| p.0)), span(points().map(|p| p.1))),
        Marks::Areas(bands) => {
            let all = || bands.iter().flat_map(|b| b.top.iter().chain(&b.base));
            (span(all().map(|p| p.0)), span(all().map(|p| p.1).chain([0.0])))
        }
        Marks::Rects(rects) => {
            (span(rects.iter().flat_map(|r| [r.x0, r.x1])), span(rects.iter().flat_map(|r| [r.v0, r.v1]).chain([0.0])))
        }
        Marks::Boxes(boxes) => {
            let values = boxes.iter().flat_map(|b| b.five.iter().chain(&b.outliers).copied());
            ((0.0, 1.0), span(values))
        }
    }
}

/// The legend's keys: one per series when there are several, or a ramp for shades.
fn keys(chart: &Chart, series: &[Series]) -> Keys {
    let shades = series.iter().filter_map(|s| s.shades.as_ref()).flatten().copied();
    if series.iter().any(|s| s.shades.is_some()) {
        let (lo, hi) = span(shades);
        return Keys::Ramp { lo, hi, format: chart.y_format };
    }
    if series.len() < 2 {
        return Keys::Series(Vec::new());
    }
    Keys::Series(series.iter().enumerate().map(|(i, s)| (series_paint(i).0, s.name.clone(), s.dashed)).collect())
}

/// Draws the chart into `out`; returns the drawing's height.
pub fn draw(chart: &Chart, prepared: &Prepared, out: &mut String, width: f64, notes: &mut Vec<String>) -> f64 {
    let series = &prepared.series[..];
    let marks = marks(chart, series, notes);
    let (x_data, values) = extent(&marks, series);
    let (ticks, domain) = scale::axis(values, chart.y_range);
    let values = Axis { ticks: ticks.into_iter().map(|t| (t, scale::format(t, chart.y_format))).collect(), domain };
    let horizontal = chart.horizontal && chart.categories.is_some();
    let legend = legend::place(keys(chart, series), chart.legend, width);
    let count = chart.categories.as_ref().map_or(0, Vec::len);
    let height = if horizontal {
        (count as f64 * ROW + 70.0 + legend.top + legend.bottom).clamp(HEIGHT, MAX_HEIGHT)
    } else {
        HEIGHT
    };
    let room = Room { top: 10.0 + legend.top, right: width - 16.0 - legend.right, bottom: height - legend.bottom };
    out.push_str(r#"<g class="rn-plot">"#);
    let (frame, x) = if horizontal {
        horizontal_axes(out, chart, &values, room, notes)
    } else {
        vertical_axes(out, chart, &values, x_data, room, notes)
    };
    let y = if horizontal {
        Scale::new(values.domain, (frame.left, frame.right))
    } else {
        Scale::new(values.domain, (frame.bottom, frame.top))
    };
    let plot = Plot { x, y, horizontal, chart };
    draw_marks(out, &plot, &marks, prepared, frame);
    layout::axis_lines(out, frame);
    out.push_str("</g>");
    legend.draw(out, chart.id, room.top, width, height);
    height
}

/// A number axis: its ticks with their texts, and its domain.
struct Axis {
    ticks: Vec<(f64, String)>,
    domain: (f64, f64),
}

/// The box the legend leaves for the plot and its axes.
#[derive(Clone, Copy)]
struct Room {
    top: f64,
    right: f64,
    bottom: f64,
}

fn titled(text: &str) -> f64 {
    if text.is_empty() { 0.0 } else { AXIS_TITLE }
}

/// The right edge of the plot when number labels are centred under it: the last one must not
/// reach past the drawing.
fn right_edge(room: Room, ticks: &[(f64, String)]) -> f64 {
    let tail = ticks.last().map_or(0.0, |(_, t)| draw::text_width(t) / 2.0);
    room.right - (tail - 12.0).max(0.0)
}

/// Categories down the left, values along the bottom (horizontal bars).
fn horizontal_axes(
    out: &mut String,
    chart: &Chart,
    values: &Axis,
    room: Room,
    notes: &mut Vec<String>,
) -> (Frame, Scale) {
    let names = chart.categories.as_deref().unwrap_or_default();
    let left = (layout::left_room(names).min(chart.width * 0.4) + titled(&chart.x_label)).max(40.0);
    let bottom = room.bottom - titled(&chart.y_label) - 22.0;
    let frame = Frame { left, top: room.top, right: right_edge(room, &values.ticks), bottom };
    let x = Scale::new((-0.5, names.len() as f64 - 0.5), (frame.top, bottom));
    let every = layout::every_left((bottom - frame.top) / names.len().max(1) as f64);
    layout::value_ticks(out, frame, &Scale::new(values.domain, (left, frame.right)), &values.ticks, false);
    layout::left_categories(out, names, every, |i| x.px(i as f64), left);
    if every > 1 {
        notes.push(layout::thinned_note(every, &chart.x_label));
    }
    layout::axis_title(out, &chart.y_label, frame, true, room.bottom - 8.0);
    layout::axis_title(out, &chart.x_label, frame, false, 12.0);
    (frame, x)
}

/// Values up the left, categories or numbers along the bottom.
fn vertical_axes(
    out: &mut String,
    chart: &Chart,
    values: &Axis,
    x_data: (f64, f64),
    room: Room,
    notes: &mut Vec<String>,
) -> (Frame, Scale) {
    let left = layout::ticks_room(&values.ticks) + titled(&chart.y_label) + 4.0;
    let (frame, x) = match chart.categories.as_deref() {
        Some(names) => {
            let band = |left: f64| (room.right - left) / names.len().max(1) as f64;
            let left = left.max(layout::fit_bottom(names, band(left)).overhang - band(left) / 2.0 + 6.0);
            let fit = layout::fit_bottom(names, band(left));
            let bottom = room.bottom - titled(&chart.x_label) - fit.room;
            let frame = Frame { left, top: room.top, right: room.right, bottom };
            let x = Scale::new((-0.5, names.len() as f64 - 0.5), (left, room.right));
            layout::bottom_categories(out, names, fit, |i| x.px(i as f64), bottom);
            if fit.every > 1 {
                notes.push(layout::thinned_note(fit.every, &chart.x_label));
            }
            (frame, x)
        }
        None => {
            let (ticks, domain) = scale::axis(x_data, chart.x_range);
            let ticks: Vec<(f64, String)> = ticks.into_iter().map(|t| (t, scale::tick_label(t))).collect();
            let bottom = room.bottom - titled(&chart.x_label) - 22.0;
            let frame = Frame { left, top: room.top, right: right_edge(room, &ticks), bottom };
            let x = Scale::new(domain, (left, frame.right));
            layout::value_ticks(out, frame, &x, &ticks, false);
            (frame, x)
        }
    };
    layout::value_ticks(out, frame, &Scale::new(values.domain, (frame.bottom, frame.top)), &values.ticks, true);
    layout::axis_title(out, &chart.x_label, frame, true, room.bottom - 8.0);
    layout::axis_title(out, &chart.y_label, frame, false, 12.0);
    (frame, x)
}

/// The marks, clipped to the plot box when the script fixed a range.
fn draw_marks(out: &mut String, plot: &Plot, marks: &Marks, prepared: &Prepared, frame: Frame) {
    let clipped = plot.chart.x_range.is_some() || plot.chart.y_range.is_some();
    if clipped {
        let id = format!("rn-chart-{}-clip", plot.chart.id);
        let _ = write!(
            out,
            r#"<clipPath id="{id}"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/></clipPath><g clip-path="url(#{id})">"#,
            frame.left,
            frame.top,
            frame.right - frame.left,
            frame.bottom - frame.top
        );
    }
    let series = &prepared.series[..];
    match marks {
        Marks::Lines => lines::lines(out, plot, series),
        Marks::Areas(bands) => {
            let stacked = !matches!(plot.chart.stack, Stack::Grouped | Stack::Layered);
            lines::areas(out, plot, series, bands, stacked);
        }
        Marks::Dots => lines::dots(out, plot, series, &prepared.counts),
        Marks::Rects(rects) => {
            let layered = plot.chart.stack == Stack::Layered && plot.chart.kind == ChartKind::Bar;
            for r in rects {
                rect(out, plot, r, layered);
            }
        }
        Marks::Boxes(boxes) => {
            for b in boxes {
                box_mark(out, plot, b);
            }
        }
    }
    if clipped {
        out.push_str("</g>");
    }
}

/// Pixel box `(x, y, width, height)` of data `x0..x1` by `v0..v1`.
fn pixel_box(plot: &Plot, (x0, x1): (f64, f64), (v0, v1): (f64, f64)) -> (f64, f64, f64, f64) {
    let (ax, ay) = plot.pos(x0, v0);
    let (bx, by) = plot.pos(x1, v1);
    (ax.min(bx), ay.min(by), (ax - bx).abs(), (ay - by).abs())
}

fn rect(out: &mut String, plot: &Plot, r: &Rect, layered: bool) {
    let (slot, colour) = series_paint(r.series);
    let (x, y, w, h) = pixel_box(plot, (r.x0, r.x1), (r.v0, r.v1));
    let opacity = if layered { r#" fill-opacity="0.6""# } else { "" };
    let _ = write!(
        out,
        r#"<rect class="rn-series rn-bar rn-s{slot}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{colour}"{opacity}>"#
    );
    draw::tip(out, &r.tip);
    out.push_str("</rect>");
}

/// A box from the quartiles with a median line and whiskers, and a dot per outlier.
fn box_mark(out: &mut String, plot: &Plot, b: &BoxMark) {
    let (slot, colour) = series_paint(b.series);
    let [low, q1, median, q3, high] = b.five;
    let middle = (b.x0 + b.x1) / 2.0;
    let segment = |out: &mut String, class: &str, (x0, v0): (f64, f64), (x1, v1): (f64, f64)| {
        let (ax, ay) = plot.pos(x0, v0);
        let (bx, by) = plot.pos(x1, v1);
        let _ = write!(
            out,
            r#"<line class="{class} rn-s{slot}" x1="{ax:.1}" y1="{ay:.1}" x2="{bx:.1}" y2="{by:.1}" stroke="{colour}" stroke-width="1.5"/>"#
        );
    };
    segment(out, "rn-whisker", (middle, low), (middle, q1));
    segment(out, "rn-whisker", (middle, q3), (middle, high));
    let (x, y, w, h) = pixel_box(plot, (b.x0, b.x1), (q1, q3));
    let _ = write!(
        out,
        r#"<rect class="rn-series rn-box rn-s{slot}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{colour}" fill-opacity="0.35" stroke="{colour}" stroke-width="1.5">"#
    );
    draw::tip(out, &b.tip);
    out.push_str("</rect>");
    segment(out, "rn-median", (b.x0, median), (b.x1, median));
    for v in &b.outliers {
        let (px, py) = plot.pos(middle, *v);
        let _ = write!(
            out,
            r#"<circle class="rn-series rn-outlier rn-s{slot}" cx="{px:.1}" cy="{py:.1}" r="2.5" fill="{colour}">"#
        );
        draw::tip(out, &format!("{}: outlier {}", plot.x_text(middle.round()), exact(*v)));
        out.push_str("</circle>");
    }
}
