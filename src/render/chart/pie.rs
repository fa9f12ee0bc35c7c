//! Pie and donut charts: a slice per category (values of one category add up) with its value
//! and share in a tooltip, the shares in the legend, and the smallest slices folded into
//! "Other" beyond eight so that no two slices share a colour.

use std::f64::consts::TAU;
use std::fmt::Write;

use super::draw::{self, series_paint};
use super::legend::{self, Keys};
use super::sample::thousands;
use super::scale::exact;
use super::{HEIGHT, PALETTE};
use crate::page::Chart;

/// `(name, value)` per slice, in the order of the categories; beyond the palette's size the
/// smallest are folded into one "Other" slice.
fn slices(chart: &Chart, notes: &mut Vec<String>) -> Vec<(String, f64)> {
    let names = chart.categories.as_deref().unwrap_or_default();
    let mut sums = vec![0.0; names.len()];
    for &(x, v) in chart.series.iter().flat_map(|s| s.points.iter()) {
        if let Some(sum) = sums.get_mut(x as usize) {
            *sum += v;
        }
    }
    let mut slices: Vec<(String, f64)> = names.iter().cloned().zip(sums).filter(|(_, v)| *v > 0.0).collect();
    if slices.len() > PALETTE.len() {
        let mut order: Vec<usize> = (0..slices.len()).collect();
        order.sort_by(|a, b| slices[*b].1.total_cmp(&slices[*a].1));
        let folded: Vec<usize> = order[PALETTE.len() - 1..].to_vec();
        let other: f64 = folded.iter().map(|i| slices[*i].1).sum();
        notes.push(format!("The {} smallest slices are shown together as “Other”.", thousands(folded.len())));
        let mut keep = 0;
        slices.retain(|_| {
            keep += 1;
            !folded.contains(&(keep - 1))
        });
        slices.push(("Other".into(), other));
    }
    slices
}

/// Draws the pie into `out`; returns the drawing's height.
pub fn draw(chart: &Chart, out: &mut String, width: f64, notes: &mut Vec<String>) -> f64 {
    let slices = slices(chart, notes);
    let total: f64 = slices.iter().map(|s| s.1).sum();
    let share = |v: f64| if total > 0.0 { v / total * 100.0 } else { 0.0 };
    let entries = slices
        .iter()
        .enumerate()
        .map(|(i, (name, v))| (series_paint(i).0, format!("{name} {:.0}%", share(*v)), false))
        .collect();
    let legend = legend::place(Keys::Series(entries), chart.legend, width);
    let (top, bottom, right) = (legend.top + 8.0, HEIGHT - legend.bottom - 8.0, width - legend.right);
    let (cx, cy) = (right / 2.0, (top + bottom) / 2.0);
    let r = ((right - 16.0).min(bottom - top) / 2.0).max(10.0);
    let inner = r * chart.hole.clamp(0.0, 0.95);
    out.push_str(r#"<g class="rn-plot">"#);
    let mut start = 0.0;
    for (i, (name, v)) in slices.iter().enumerate() {
        let sweep = if total > 0.0 { v / total * TAU } else { 0.0 };
        let (slot, colour) = series_paint(i);
        let _ = write!(
            out,
            r#"<path class="rn-series rn-slice rn-s{slot}" d="{}" fill="{colour}">"#,
            slice_path((cx, cy), (r, inner), start, sweep)
        );
        draw::tip(out, &format!("{name}: {} ({:.1}%)", exact(*v), share(*v)));
        out.push_str("</path>");
        start += sweep;
    }
    out.push_str("</g>");
    legend.draw(out, chart.id, top, width, HEIGHT);
    HEIGHT
}

/// An SVG path of a slice (or a ring segment when `inner` > 0) from angle `start` over
/// `sweep`, clockwise from twelve o'clock. A full circle is drawn as two halves.
fn slice_path((cx, cy): (f64, f64), (r, inner): (f64, f64), start: f64, sweep: f64) -> String {
    let point = |radius: f64, angle: f64| (cx + radius * angle.sin(), cy - radius * angle.cos());
    let sweep = sweep.min(TAU - 1e-6);
    let large = i32::from(sweep > TAU / 2.0);
    let (a, b) = (point(r, start), point(r, start + sweep));
    let mut d = String::new();
    if inner > 0.0 {
        let (c, e) = (point(inner, start + sweep), point(inner, start));
        let _ = write!(
            d,
            "M{:.2},{:.2}A{r:.2},{r:.2} 0 {large} 1 {:.2},{:.2}L{:.2},{:.2}A{inner:.2},{inner:.2} 0 {large} 0 {:.2},{:.2}Z",
            a.0, a.1, b.0, b.1, c.0, c.1, e.0, e.1
        );
    } else {
        let _ = write!(d, "M{cx:.2},{cy:.2}L{:.2},{:.2}A{r:.2},{r:.2} 0 {large} 1 {:.2},{:.2}Z", a.0, a.1, b.0, b.1);
    }
    d
}
