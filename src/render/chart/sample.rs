//! Large series thinned before drawing, so that a chart of 100,000 points stays a small SVG:
//! a line or area keeps the first, lowest, highest and last point of each pixel column (M4,
//! which draws the same picture as all points), scattered dots are binned into 3-pixel cells,
//! larger while there would be more than 2,000 dots (one dot per occupied cell, at the cell's
//! mean, with its count in the tooltip). Each thinning adds a note under the chart.

use std::borrow::Cow;

use super::scale::span;
use crate::page::{Chart, ChartKind, Series};

/// Above this many points a series is thinned.
pub const LIMIT: usize = 5_000;
/// Pixels of a scatter bin's side, at first; doubled while the dots would be more than
/// [`MAX_DOTS`].
const CELL: f64 = 3.0;
const MAX_CELL: f64 = 24.0;
/// Most dots a binned scatter draws: each is about 130 bytes of SVG with its tooltip, so a
/// scatter of any size stays under about 300 KB.
const MAX_DOTS: usize = 2_000;

/// The series as drawn, with the number of points behind each drawn dot of a binned scatter.
pub struct Prepared<'a> {
    pub series: Cow<'a, [Series]>,
    pub counts: Vec<Option<Vec<u32>>>,
    pub notes: Vec<String>,
}

impl Prepared<'_> {
    pub fn points(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }
}

/// Thins the chart's series for a drawing `width` pixels wide.
pub fn prepare(chart: &Chart, width: f64) -> Prepared<'_> {
    let columns = (width - 80.0).max(40.0) as usize;
    let total: usize = chart.series.iter().map(|s| s.points.len()).sum();
    let mut prepared =
        Prepared { series: Cow::Borrowed(&chart.series), counts: vec![None; chart.series.len()], notes: vec![] };
    match chart.kind {
        ChartKind::Line | ChartKind::Area if chart.series.iter().any(|s| s.points.len() > LIMIT) => {
            let series: Vec<Series> = chart
                .series
                .iter()
                .map(|s| {
                    if s.points.len() > LIMIT {
                        Series { points: m4(&s.points, columns), ..s.clone() }
                    } else {
                        s.clone()
                    }
                })
                .collect();
            let drawn: usize = series.iter().map(|s| s.points.len()).sum();
            prepared.notes.push(format!(
                "{} points are drawn as the first, last, lowest and highest point of each pixel column ({} points).",
                thousands(total),
                thousands(drawn)
            ));
            prepared.series = Cow::Owned(series);
        }
        ChartKind::Scatter if total > LIMIT => {
            let xs = span(chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
            let ys = span(chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
            let (series, counts, cell) = binned_to_fit(&chart.series, xs, ys, columns as f64);
            let drawn: usize = series.iter().map(|s| s.points.len()).sum();
            prepared.notes.push(format!(
                "{} points are binned into {} dots, one per {cell} px cell at the mean of its points.",
                thousands(total),
                thousands(drawn)
            ));
            prepared.series = Cow::Owned(series);
            prepared.counts = counts.into_iter().map(Some).collect();
        }
        _ => {}
    }
    prepared
}

/// M4: per pixel column the first, lowest, highest and last point, in their original order.
/// `points` are sorted by x.
pub fn m4(points: &[(f64, f64)], columns: usize) -> Vec<(f64, f64)> {
    let (x0, x1) = span(points.iter().map(|p| p.0));
    let width = (x1 - x0) / columns as f64;
    let column = |x: f64| (((x - x0) / width) as usize).min(columns - 1);
    let mut kept = Vec::with_capacity(columns * 4);
    let mut start = 0;
    while start < points.len() {
        let c = column(points[start].0);
        let mut end = start;
        let (mut lo, mut hi) = (start, start);
        while end < points.len() && column(points[end].0) == c {
            if points[end].1 < points[lo].1 {
                lo = end;
            }
            if points[end].1 > points[hi].1 {
                hi = end;
            }
            end += 1;
        }
        let mut picks = [start, lo, hi, end - 1];
        picks.sort_unstable();
        let mut last = usize::MAX;
        for i in picks {
            if i != last {
                kept.push(points[i]);
                last = i;
            }
        }
        start = end;
    }
    kept
}

#[derive(Clone, Copy, Default)]
struct Bin {
    n: u32,
    x: f64,
    y: f64,
    size: f64,
    shade: f64,
}

/// The series binned into cells as small as keep them to [`MAX_DOTS`] dots in all, with the
/// count behind each dot and the cell's side in pixels.
fn binned_to_fit(series: &[Series], xs: (f64, f64), ys: (f64, f64), columns: f64) -> (Vec<Series>, Vec<Vec<u32>>, f64) {
    let mut cell = CELL;
    loop {
        let grid = (columns / cell, 260.0 / cell);
        let (out, counts): (Vec<Series>, Vec<Vec<u32>>) = series.iter().map(|s| binned(s, xs, ys, grid)).unzip();
        let drawn: usize = out.iter().map(|s| s.points.len()).sum();
        if drawn <= MAX_DOTS || cell >= MAX_CELL {
            return (out, counts, cell);
        }
        cell *= 2.0;
    }
}

/// One dot per occupied cell of a `grid` (columns, rows) over the ranges `xs` and `ys`.
fn binned(series: &Series, xs: (f64, f64), ys: (f64, f64), grid: (f64, f64)) -> (Series, Vec<u32>) {
    let (cols, rows) = (grid.0.max(1.0) as usize, grid.1.max(1.0) as usize);
    let cell = |v: f64, (lo, hi): (f64, f64), n: usize| (((v - lo) / (hi - lo) * n as f64) as usize).min(n - 1);
    let mut bins = vec![Bin::default(); cols * rows];
    for (i, &(x, y)) in series.points.iter().enumerate() {
        let bin = &mut bins[cell(y, ys, rows) * cols + cell(x, xs, cols)];
        bin.n += 1;
        bin.x += x;
        bin.y += y;
        bin.size += series.sizes.as_ref().map_or(0.0, |s| s[i]);
        bin.shade += series.shades.as_ref().map_or(0.0, |s| s[i]);
    }
    let full: Vec<&Bin> = bins.iter().filter(|b| b.n > 0).collect();
    let mean = |b: &Bin, v: f64| v / f64::from(b.n);
    let out = Series {
        name: series.name.clone(),
        points: full.iter().map(|b| (mean(b, b.x), mean(b, b.y))).collect(),
        dashed: series.dashed,
        sizes: series.sizes.as_ref().map(|_| full.iter().map(|b| mean(b, b.size)).collect()),
        shades: series.shades.as_ref().map(|_| full.iter().map(|b| mean(b, b.shade)).collect()),
    };
    (out, full.iter().map(|b| b.n).collect())
}

/// `100000` -> `100,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m4_keeps_each_columns_extremes_and_ends_in_order() {
        let points: Vec<(f64, f64)> = (0..1000).map(|i| (f64::from(i), f64::from((i * 37) % 101))).collect();
        let kept = m4(&points, 10);
        assert!(kept.len() <= 40 && kept.len() >= 20, "{}", kept.len());
        assert_eq!(kept[0], points[0]);
        assert_eq!(kept[kept.len() - 1], points[999]);
        assert!(kept.windows(2).all(|w| w[0].0 < w[1].0), "in x order, no duplicates");
        assert!(kept.iter().any(|p| p.1 == 100.0) && kept.iter().any(|p| p.1 == 0.0));
    }

    #[test]
    fn binned_dots_keep_every_point_in_their_counts() {
        let series = Series {
            points: (0..20_000).map(|i| (f64::from(i % 200), f64::from(i / 200))).collect(),
            ..Series::new("s".into())
        };
        let (out, counts) = binned(&series, (0.0, 199.0), (0.0, 99.0), (50.0, 25.0));
        assert!(out.points.len() <= 50 * 25);
        assert_eq!(counts.iter().map(|c| *c as usize).sum::<usize>(), 20_000);
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(999), "999");
    }
}
