//! Data frames at real size: a 1,000,000-row CSV (made by `runnel::sample::write_sales`, the
//! code behind `runnel sample-data`) read into a cached frame, then reruns of a dashboard that
//! filters it by two widget values, groups it by month, shows a metric row, a 1,000-row page
//! of the data frame and a line chart of the grouped series. Prints the load time, the cached
//! frame's memory, and rerun + render p50/p99.
//!
//! Run with `cargo bench --bench frames_bench` (release profile). See BENCHMARKS.md.

use std::time::{Duration, Instant};

use runnel::config::ScriptLimits;
use runnel::harness::AppTest;
use runnel::render::{RenderContext, fragment};
use runnel::script::Runner;

const ROWS: usize = 1_000_000;
const WARMUP: usize = 20;
const ITERATIONS: usize = 300;
const TARGET_P50: Duration = Duration::from_millis(30);

/// Choices arrive as option indexes, as the browser sends them.
const CHOICES: [&str; 4] = ["0", "1", "2", "3"];

const PAGE: &str = r#"
fn load(name) { read_csv(name) }
let sales = cache("sales", 0, Fn("load"), ["sales_1m.csv"]);
let region = selectbox("Region", ["North", "South", "East", "West"]);
let product = selectbox("Product", ["Widgets", "Gadgets", "Gizmos", "Doohickeys"]);
let rows = sales.filter(col("region") == region & col("product") == product);
let monthly = rows.group_by("month").agg([col("revenue").sum(), col("units").sum()]).sort("month");
let kpi = columns(3);
kpi[0].metric("Orders", rows.len());
kpi[1].metric("Units", rows.select([col("units").sum()]).item());
kpi[2].metric("Revenue", rows.select([col("revenue").sum()]).item());
dataframe(rows, #{ page_size: 1000 });
line_chart(monthly, #{ x: "month", y: "revenue" });
"#;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = p * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    let weight = rank - low as f64;
    sorted[low].mul_f64(1.0 - weight) + sorted[high].mul_f64(weight)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("runnel-frames-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp folder");
    let file = dir.join("sales_1m.csv");
    let started = Instant::now();
    runnel::sample::write_sales(&file, ROWS).expect("the dataset is written");
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!("dataset: {ROWS} rows, {:.1} MB, written in {}", size as f64 / 1e6, ms(started.elapsed()));

    let limits = ScriptLimits { max_run_time: Duration::from_secs(60), ..ScriptLimits::default() };
    let runner = Runner::new(limits).with_data_dir(&dir);
    let started = Instant::now();
    let mut app = AppTest::with_runner(PAGE, runner.clone());
    let first = started.elapsed();
    assert!(app.page().error.is_none(), "the page failed: {:?}", app.page().error);
    println!("first run (read the CSV into the cached frame, then the page): {}", ms(first));
    println!("cached frame memory (estimated from its buffers): {:.1} MB", runner.sources().cache.bytes() as f64 / 1e6);

    let ctx = RenderContext { page: "bench", csrf: "token", action: "/bench/event".into(), base: "" };
    // FRAMES_BENCH_ITERATIONS shortens a run (an unoptimized build is far slower).
    let iterations = std::env::var("FRAMES_BENCH_ITERATIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(ITERATIONS);
    let mut times = Vec::with_capacity(iterations);
    let mut html_bytes = 0;
    for i in 0..WARMUP + iterations {
        let widget = if i % 2 == 0 { ("Region", CHOICES[i % 4]) } else { ("Product", CHOICES[(i / 4) % 4]) };
        let started = Instant::now();
        let page = app.set(widget.0, &[widget.1]).expect("a valid choice");
        let html = fragment(page, &[], &ctx);
        let took = started.elapsed();
        assert!(page.error.is_none(), "the page failed: {:?}", page.error);
        html_bytes = html.len();
        if i >= WARMUP {
            times.push(took);
        }
    }
    times.sort();
    let (p50, p99) = (percentile(&times, 0.50), percentile(&times, 0.99));
    println!(
        "rerun + render, file cached ({iterations} reruns, one widget changed each): p50 {} p99 {} (page {:.0} kB)",
        ms(p50),
        ms(p99),
        html_bytes as f64 / 1e3
    );
    println!("target p50 < {}: {}", ms(TARGET_P50), if p50 < TARGET_P50 { "met" } else { "NOT met" });
    let _ = std::fs::remove_dir_all(&dir);
}
