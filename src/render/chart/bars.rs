//! Rectangles in data space: bars (summed per category and series, then stacked, grouped,
//! normalized, centred or layered), histogram bins, and the five-number boxes of a box plot.

use super::sample::thousands;
use super::scale::{exact, span};
use crate::page::{Chart, Series, Stack};

/// A bar or bin from `x0..x1` (category units or x values) and `v0..v1` (values).
pub struct Rect {
    pub series: usize,
    pub x0: f64,
    pub x1: f64,
    pub v0: f64,
    pub v1: f64,
    pub tip: String,
}

/// Share of a category's band that its bars fill.
const FILL: f64 = 0.8;
/// Most outliers drawn one by one per box.
const MAX_OUTLIERS: usize = 30;

fn named(series: &Series, several: bool, what: &str) -> String {
    if several { format!("{} · {what}", series.name) } else { what.to_owned() }
}

/// Each series' sum per category (`None` where it has no value).
fn sums(series: &[Series], n: usize) -> Vec<Vec<Option<f64>>> {
    series
        .iter()
        .map(|s| {
            let mut row = vec![None; n];
            for &(x, v) in &s.points {
                if let Some(slot) = row.get_mut(x as usize) {
                    *slot = Some(slot.unwrap_or(0.0) + v);
                }
            }
            row
        })
        .collect()
}

/// The bars of a bar chart laid out by its `stack`.
pub fn bar_rects(chart: &Chart, series: &[Series], value: impl Fn(f64) -> String) -> Vec<Rect> {
    let categories = chart.categories.as_deref().unwrap_or_default();
    let table = sums(series, categories.len());
    let several = series.len() > 1;
    let count = series.len().max(1) as f64;
    let mut rects = Vec::new();
    for (c, name) in categories.iter().enumerate() {
        let column: Vec<Option<f64>> = table.iter().map(|row| row[c]).collect();
        let total: f64 = column.iter().flatten().map(|v| v.abs()).sum();
        let offset = if chart.stack == Stack::Centered { -column.iter().flatten().sum::<f64>() / 2.0 } else { 0.0 };
        let (mut up, mut down) = (offset, offset);
        let x = c as f64;
        for (s, v) in column.iter().enumerate() {
            let Some(v) = *v else { continue };
            // A normalized bar's value is a share: its tooltip gives the value and the share.
            let shown = if chart.stack == Stack::Normalized { exact(v) } else { value(v) };
            let tip = named(&series[s], several, &format!("{name}: {shown}"));
            let rect = match chart.stack {
                Stack::Grouped => {
                    let band = FILL / count;
                    let x0 = x - FILL / 2.0 + band * s as f64;
                    Rect { series: s, x0, x1: x0 + band * 0.9, v0: 0.0, v1: v, tip }
                }
                Stack::Layered => Rect { series: s, x0: x - FILL / 2.0, x1: x + FILL / 2.0, v0: 0.0, v1: v, tip },
                Stack::Stacked | Stack::Centered | Stack::Normalized => {
                    let (v, tip) = if chart.stack == Stack::Normalized && total > 0.0 {
                        (v / total, format!("{tip} ({:.1}%)", v / total * 100.0))
                    } else {
                        (v, tip)
                    };
                    let edge = if v >= 0.0 { &mut up } else { &mut down };
                    let v0 = *edge;
                    *edge += v;
                    Rect { series: s, x0: x - FILL / 2.0, x1: x + FILL / 2.0, v0, v1: *edge, tip }
                }
            };
            rects.push(rect);
        }
    }
    rects
}

/// The bins of a histogram, stacked across series, and the x range they cover. Values outside
/// a fixed `x_range` are left out, with a note.
pub fn histogram_rects(chart: &Chart, series: &[Series], notes: &mut Vec<String>) -> (Vec<Rect>, (f64, f64)) {
    let (lo, hi) = chart.x_range.unwrap_or_else(|| span(series.iter().flat_map(|s| s.points.iter().map(|p| p.0))));
    let bins = chart.bins.max(1);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![vec![0.0; bins]; series.len()];
    let mut outside = 0usize;
    for (s, one) in series.iter().enumerate() {
        for &(x, weight) in &one.points {
            if x < lo || x > hi {
                outside += 1;
                continue;
            }
            let b = (((x - lo) / width) as usize).min(bins - 1);
            counts[s][b] += weight;
        }
    }
    if outside > 0 {
        notes.push(format!("{} values outside the x range are not counted.", thousands(outside)));
    }
    let several = series.len() > 1;
    let mut rects = Vec::new();
    let mut tops = vec![0.0; bins];
    for (s, row) in counts.iter().enumerate() {
        for (b, &n) in row.iter().enumerate().filter(|(_, n)| **n > 0.0) {
            let x0 = lo + width * b as f64;
            let what = format!("{} to {}: {}", exact(x0), exact(x0 + width), exact(n));
            let v0 = tops[b];
            tops[b] += n;
            rects.push(Rect { series: s, x0, x1: x0 + width, v0, v1: tops[b], tip: named(&series[s], several, &what) });
        }
    }
    (rects, (lo, hi))
}

/// One box: whiskers, quartiles and median, with the outliers beyond the whiskers.
pub struct BoxMark {
    pub series: usize,
    pub x0: f64,
    pub x1: f64,
    /// Lower whisker, first quartile, median, third quartile, upper whisker.
    pub five: [f64; 5],
    pub outliers: Vec<f64>,
    pub tip: String,
}

/// The boxes of a box plot, side by side per category when there are several series.
pub fn boxes(chart: &Chart, series: &[Series], notes: &mut Vec<String>) -> Vec<BoxMark> {
    let categories = chart.categories.as_deref().unwrap_or_default();
    let n = categories.len();
    let band = FILL / series.len().max(1) as f64;
    let mut marks = Vec::new();
    let mut hidden = 0;
    for (s, one) in series.iter().enumerate() {
        let mut groups = vec![Vec::new(); n];
        for &(x, v) in &one.points {
            if let Some(group) = groups.get_mut(x as usize) {
                group.push(v);
            }
        }
        for (c, mut values) in groups.into_iter().enumerate().filter(|(_, g)| !g.is_empty()) {
            values.sort_by(f64::total_cmp);
            let (five, mut outliers) = summary(&values);
            hidden += outliers.len().saturating_sub(MAX_OUTLIERS);
            outliers.truncate(MAX_OUTLIERS);
            let x0 = c as f64 - FILL / 2.0 + band * s as f64;
            let what = format!(
                "{}: median {}, quartiles {} to {}, whiskers {} to {} ({} values)",
                categories[c],
                exact(five[2]),
                exact(five[1]),
                exact(five[3]),
                exact(five[0]),
                exact(five[4]),
                thousands(values.len())
            );
            let tip = named(one, series.len() > 1, &what);
            marks.push(BoxMark { series: s, x0, x1: x0 + band * 0.9, five, outliers, tip });
        }
    }
    if hidden > 0 {
        notes.push(format!(
            "{} more outliers are not drawn one by one (at most {MAX_OUTLIERS} per box).",
            thousands(hidden)
        ));
    }
    marks
}

/// Whiskers at the furthest values within 1.5 interquartile ranges of the box; `sorted` is not
/// empty.
fn summary(sorted: &[f64]) -> ([f64; 5], Vec<f64>) {
    let q = |p: f64| {
        let at = p * (sorted.len() - 1) as f64;
        let (i, f) = (at.floor() as usize, at.fract());
        sorted[i] + (sorted[(i + 1).min(sorted.len() - 1)] - sorted[i]) * f
    };
    let (q1, median, q3) = (q(0.25), q(0.5), q(0.75));
    let reach = 1.5 * (q3 - q1);
    let low = sorted.iter().copied().find(|v| *v >= q1 - reach).unwrap_or(q1);
    let high = sorted.iter().rev().copied().find(|v| *v <= q3 + reach).unwrap_or(q3);
    let outliers = sorted.iter().copied().filter(|v| *v < low || *v > high).collect();
    ([low, q1, median, q3, high], outliers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_summary_has_quartiles_whiskers_and_outliers() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 100.0];
        let (five, outliers) = summary(&values);
        assert_eq!(five, [1.0, 3.25, 5.5, 7.75, 9.0]);
        assert_eq!(outliers, vec![100.0]);
    }
}
