//! Lines, areas and dots: a polyline per series (with a hover point and tooltip per value up to
//! a few hundred points), area bands stacked by `stack`, and dots sized and shaded by column.

use std::fmt::Write;

use super::draw::{self, series_paint};
use super::heat::viridis;
use super::scale::{exact, span};
use super::xy::Plot;
use crate::page::{Series, Stack};

/// Up to this many points a line gets a hover point with a tooltip per value.
const HOVER_POINTS: usize = 300;
/// Smallest and largest dot radius when dots are sized by a column.
const RADIUS: (f64, f64) = (2.5, 12.0);

/// One area from its base line to its top line (same x values, in x order).
pub struct Band {
    pub series: usize,
    pub top: Vec<(f64, f64)>,
    pub base: Vec<(f64, f64)>,
}

/// Areas laid out by `stack`: from zero (grouped, layered), or on top of each other over the
/// union of all x values, a series counting 0 outside its own x range.
pub fn bands(series: &[Series], stack: Stack) -> Vec<Band> {
    if matches!(stack, Stack::Grouped | Stack::Layered) {
        return series
            .iter()
            .enumerate()
            .map(|(i, s)| Band {
                series: i,
                top: s.points.clone(),
                base: s.points.iter().map(|p| (p.0, 0.0)).collect(),
            })
            .collect();
    }
    let mut xs: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let values: Vec<Vec<f64>> = series.iter().map(|s| xs.iter().map(|x| at(&s.points, *x)).collect()).collect();
    let totals: Vec<f64> = (0..xs.len()).map(|j| values.iter().map(|v| v[j].abs()).sum()).collect();
    let mut base: Vec<f64> = match stack {
        Stack::Centered => (0..xs.len()).map(|j| -values.iter().map(|v| v[j]).sum::<f64>() / 2.0).collect(),
        _ => vec![0.0; xs.len()],
    };
    let mut bands = Vec::with_capacity(series.len());
    for (i, row) in values.iter().enumerate() {
        let top: Vec<f64> = row
            .iter()
            .enumerate()
            .map(|(j, v)| {
                let v = if stack == Stack::Normalized && totals[j] > 0.0 { v / totals[j] } else { *v };
                base[j] + v
            })
            .collect();
        bands.push(Band {
            series: i,
            top: xs.iter().copied().zip(top.iter().copied()).collect(),
            base: xs.iter().copied().zip(base.iter().copied()).collect(),
        });
        base = top;
    }
    bands
}

/// The series' value at `x`, interpolated between its points; 0 outside them.
fn at(points: &[(f64, f64)], x: f64) -> f64 {
    let i = points.partition_point(|p| p.0 < x);
    match (points.get(i), i.checked_sub(1).and_then(|j| points.get(j))) {
        (Some(p), _) if p.0 == x => p.1,
        (Some(b), Some(a)) => a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0),
        _ => 0.0,
    }
}

fn points_attr(plot: &Plot, points: impl Iterator<Item = (f64, f64)>) -> String {
    let mut text = String::new();
    for (x, y) in points {
        let (px, py) = plot.pos(x, y);
        let _ = write!(text, "{px:.1},{py:.1} ");
    }
    text.pop();
    text
}

fn dash(series: &Series) -> (&'static str, &'static str) {
    if series.dashed { (" rn-dashed", r#" stroke-dasharray="6 4""#) } else { ("", "") }
}

/// A polyline per series with its tooltip, and hover points for short series.
pub fn lines(out: &mut String, plot: &Plot, series: &[Series]) {
    for (i, s) in series.iter().enumerate() {
        polyline(out, plot, i, s, s.points.iter().copied());
        if s.points.len() <= HOVER_POINTS {
            hover_points(out, plot, i, s);
        }
    }
}

fn polyline(out: &mut String, plot: &Plot, i: usize, s: &Series, points: impl Iterator<Item = (f64, f64)>) {
    let (slot, colour) = series_paint(i);
    let (class, dasharray) = dash(s);
    let _ = write!(
        out,
        r#"<polyline class="rn-series rn-line rn-s{slot}{class}" points="{}" fill="none" stroke="{colour}" stroke-width="2"{dasharray}>"#,
        points_attr(plot, points)
    );
    draw::tip(out, &format!("{} ({} points)", s.name, s.points.len()));
    out.push_str("</polyline>");
}

fn hover_points(out: &mut String, plot: &Plot, i: usize, s: &Series) {
    let (slot, colour) = series_paint(i);
    for &(x, y) in &s.points {
        let (px, py) = plot.pos(x, y);
        let _ = write!(
            out,
            r#"<circle class="rn-point rn-s{slot}" cx="{px:.1}" cy="{py:.1}" r="4" fill="{colour}" fill-opacity="0">"#
        );
        draw::tip(out, &format!("{} · {}: {}", s.name, plot.x_text(x), plot.value_text(y)));
        out.push_str("</circle>");
    }
}

/// Each band as a filled polygon and its top edge as a line.
pub fn areas(out: &mut String, plot: &Plot, series: &[Series], bands: &[Band], stacked: bool) {
    let opacity = if stacked { 0.7 } else { 0.3 };
    for band in bands {
        let s = &series[band.series];
        let (slot, colour) = series_paint(band.series);
        let outline = band.top.iter().copied().chain(band.base.iter().rev().copied());
        let _ = write!(
            out,
            r#"<polygon class="rn-series rn-area rn-s{slot}" points="{}" fill="{colour}" fill-opacity="{opacity}">"#,
            points_attr(plot, outline)
        );
        draw::tip(out, &format!("{} ({} points)", s.name, s.points.len()));
        out.push_str("</polygon>");
        polyline(out, plot, band.series, s, band.top.iter().copied());
        if s.points.len() <= HOVER_POINTS {
            let top = Series { points: band.top.clone(), ..Series::new(s.name.clone()) };
            hover_points(out, plot, band.series, &top);
        }
    }
}

/// A dot per point: sized by `sizes`, shaded by `shades` (viridis) or coloured by series;
/// `counts` are the points behind each dot of a binned scatter.
pub fn dots(out: &mut String, plot: &Plot, series: &[Series], counts: &[Option<Vec<u32>>]) {
    let sizes = span(series.iter().flat_map(|s| s.sizes.iter().flatten().copied()));
    let shades = span(series.iter().flat_map(|s| s.shades.iter().flatten().copied()));
    let radius = |v: f64| {
        let t = ((v - sizes.0) / (sizes.1 - sizes.0)).clamp(0.0, 1.0).sqrt();
        RADIUS.0 + t * (RADIUS.1 - RADIUS.0)
    };
    for (i, s) in series.iter().enumerate() {
        let (slot, colour) = series_paint(i);
        for (j, &(x, y)) in s.points.iter().enumerate() {
            let (px, py) = plot.pos(x, y);
            let r = s.sizes.as_ref().map_or(plot.chart.dot_radius, |v| radius(v[j]));
            let mut tip = format!("{} · {}, {}", s.name, plot.x_text(x), plot.value_text(y));
            if let Some(size) = s.sizes.as_ref().map(|v| v[j]) {
                let _ = write!(tip, "; size {}", exact(size));
            }
            match s.shades.as_ref().map(|v| v[j]) {
                Some(shade) => {
                    let _ = write!(tip, "; colour {}", exact(shade));
                    let fill = viridis((shade - shades.0) / (shades.1 - shades.0));
                    let _ = write!(
                        out,
                        r#"<circle class="rn-dot rn-shaded" cx="{px:.1}" cy="{py:.1}" r="{r:.1}" fill="{fill}" fill-opacity="0.8">"#
                    );
                }
                None => {
                    let _ = write!(
                        out,
                        r#"<circle class="rn-series rn-dot rn-s{slot}" cx="{px:.1}" cy="{py:.1}" r="{r:.1}" fill="{colour}" fill-opacity="0.7">"#
                    );
                }
            }
            if let Some(n) = counts.get(i).and_then(|c| c.as_ref()).map(|c| c[j]) {
                let _ = write!(tip, " (mean of {n} points)");
            }
            draw::tip(out, &tip);
            out.push_str("</circle>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(f64, f64)]) -> Series {
        Series { points: points.to_vec(), ..Series::new("s".into()) }
    }

    #[test]
    fn stacked_areas_add_up_over_the_union_of_their_x_values() {
        let bands = bands(&[series(&[(0.0, 1.0), (2.0, 3.0)]), series(&[(1.0, 5.0), (2.0, 1.0)])], Stack::Stacked);
        assert_eq!(bands[0].top, vec![(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)], "interpolated at x = 1");
        assert_eq!(bands[1].base, bands[0].top);
        assert_eq!(bands[1].top, vec![(0.0, 1.0), (1.0, 7.0), (2.0, 4.0)], "0 before its first point");
    }

    #[test]
    fn normalized_areas_fill_to_one() {
        let bands = bands(&[series(&[(0.0, 1.0)]), series(&[(0.0, 3.0)])], Stack::Normalized);
        assert_eq!(bands[1].top, vec![(0.0, 1.0)]);
        assert_eq!(bands[0].top, vec![(0.0, 0.25)]);
    }
}
