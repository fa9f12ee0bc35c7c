//! Render time of each chart type at 1,000 and 100,000 points: the page tree's chart to its SVG,
//! including the server-side thinning (M4 for lines and areas, binning for dots, sums for bars,
//! pies and heatmaps, bins for histograms, five-number summaries for boxes).
//! Run with `cargo bench --bench charts_bench`; see BENCHMARKS.md for the numbers.

use std::hint::black_box;
use std::time::{Duration, Instant};

use runnel::page::{Chart, ChartKind, Series};
use runnel::render::chart_svg;

const SIZES: [usize; 2] = [1_000, 100_000];
const BUDGET: Duration = Duration::from_secs(2);
const MAX_RUNS: usize = 300;
const MIN_RUNS: usize = 5;

/// A repeatable pseudo-random number in 0..1 (no dependency needed for a bench's data).
fn noise(i: usize) -> f64 {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x % 1_000_000) as f64 / 1_000_000.0
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix} {i}")).collect()
}

/// `points` points spread over `series` series; `point(i)` makes point `i`.
fn series(count: usize, points: usize, point: impl Fn(usize) -> (f64, f64)) -> Vec<Series> {
    (0..count)
        .map(|s| Series {
            points: (0..points / count).map(|i| point(i * count + s)).collect(),
            ..Series::new(format!("series {s}"))
        })
        .collect()
}

fn chart(kind: ChartKind, n: usize) -> Chart {
    let mut chart = Chart::new(0, 640.0, kind);
    chart.x_label = "x".into();
    chart.y_label = "y".into();
    match kind {
        ChartKind::Line => {
            chart.series = series(1, n, |i| (i as f64, (i as f64 / 50.0).sin() * 100.0 + noise(i) * 20.0))
        }
        ChartKind::Area => chart.series = series(3, n, |i| ((i / 3) as f64, 10.0 + noise(i) * 5.0)),
        ChartKind::Scatter => {
            chart.series = series(2, n, |i| (noise(i) * 100.0, noise(i + 7) * 50.0 + noise(i) * 50.0));
            for s in &mut chart.series {
                s.sizes = Some((0..s.points.len()).map(noise).collect());
            }
        }
        ChartKind::Bar => {
            chart.categories = Some(names("category", 50));
            chart.series = series(3, n, |i| ((i % 50) as f64, noise(i) * 10.0));
        }
        ChartKind::Histogram => chart.series = series(1, n, |i| (noise(i) + noise(i + 1) + noise(i + 2), 1.0)),
        ChartKind::Pie => {
            chart.categories = Some(names("slice", 12));
            chart.series = series(1, n, |i| ((i % 12) as f64, noise(i) * 10.0));
        }
        ChartKind::Heatmap => {
            chart.categories = Some(names("hour", 24));
            chart.y_categories = Some(names("day", 7));
            chart.series = series(1, n, |i| ((i % 24) as f64, ((i / 24) % 7) as f64));
            chart.series[0].shades = Some((0..chart.series[0].points.len()).map(noise).collect());
        }
        ChartKind::Box => {
            chart.categories = Some(names("group", 10));
            chart.series = series(1, n, |i| ((i % 10) as f64, noise(i) * 100.0 + (i % 10) as f64 * 10.0));
        }
    }
    chart
}

fn main() {
    let kinds = [
        ChartKind::Line,
        ChartKind::Area,
        ChartKind::Scatter,
        ChartKind::Bar,
        ChartKind::Histogram,
        ChartKind::Pie,
        ChartKind::Heatmap,
        ChartKind::Box,
    ];
    println!(
        "{:<10} {:>8} {:>6} {:>10} {:>10} {:>10} {:>9}",
        "chart", "points", "runs", "median ms", "p90 ms", "min ms", "SVG KiB"
    );
    for kind in kinds {
        for n in SIZES {
            let chart = chart(kind, n);
            let svg = chart_svg(&chart);
            let mut times = Vec::new();
            let start = Instant::now();
            while times.len() < MIN_RUNS || (times.len() < MAX_RUNS && start.elapsed() < BUDGET) {
                let t = Instant::now();
                black_box(chart_svg(black_box(&chart)));
                times.push(t.elapsed());
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "{:<10} {:>8} {:>6} {:>10.3} {:>10.3} {:>10.3} {:>9.1}",
                kind.name(),
                n,
                times.len(),
                ms(times[times.len() / 2]),
                ms(times[times.len() * 9 / 10]),
                ms(times[0]),
                svg.len() as f64 / 1024.0
            );
        }
    }
}
