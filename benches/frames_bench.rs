//! Data frames at real size, side by side with Streamlit. A 1,000,000-row CSV (made by
//! `runnel::sample::write_sales`, the code behind `runnel sample-data`) is read into a cached
//! frame; then:
//! - the benchmark page reruns: filter by two widget values, group by month, a metric row, a
//!   1,000-row page of the data frame and a line chart of the grouped series (load time, the
//!   cached frame's memory, rerun + render p50/p99);
//! - the sales explorer (`scripts/04_explorer.rhai`, default limits) loads the same file and
//!   reruns as its sidebar changes (issue 10, point 7: it stays interactive);
//! - the same benchmark page in Streamlit with pandas (`benches/streamlit/`), timed with
//!   Streamlit's `AppTest`, when `RUNNEL_BENCH_PYTHON` names a Python that has them (the
//!   script `dev/bench-frames` installs pinned versions into a venv under `target/` and sets it).
//!
//! Run with `dev/bench-frames` (both sides) or `cargo bench --bench frames_bench` (Runnel only).
//! See BENCHMARKS.md.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use runnel::config::ScriptLimits;
use runnel::harness::AppTest;
use runnel::render::{RenderContext, fragment};
use runnel::script::Runner;

const ROWS: usize = 1_000_000;
const WARMUP: usize = 20;
const ITERATIONS: usize = 300;
const STREAMLIT_WARMUP: usize = 5;
const STREAMLIT_ITERATIONS: usize = 100;
const TARGET_P50: Duration = Duration::from_millis(30);
const TARGET_SPEEDUP: f64 = 5.0;

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

/// The Streamlit variants timed: how the frame is cached, and how much of it `st.dataframe`
/// gets. The first is the one compared (the frame shared, 1,000 rows shown: Streamlit's fastest).
const STREAMLIT_VARIANTS: [(&str, &str); 3] =
    [("cache_resource", "head"), ("cache_data", "head"), ("cache_resource", "full")];

/// How many reruns are timed after how many left out.
#[derive(Clone, Copy)]
struct Runs {
    warmup: usize,
    measured: usize,
}

/// What one side measured for one page.
struct Side {
    name: String,
    first: Duration,
    memory: String,
    reruns: Vec<Duration>,
    /// A second time per rerun that explains the first (Runnel: the run without the render;
    /// Streamlit: the page script's own time inside `at.run()`).
    inner: Vec<Duration>,
}

fn main() {
    let dir = std::env::temp_dir().join(format!("runnel-frames-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp folder");
    let file = dir.join("sales_1m.csv");
    let started = Instant::now();
    runnel::sample::write_sales(&file, ROWS).expect("the dataset is written");
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!("dataset: {ROWS} rows, {:.1} MB, written in {}", size as f64 / 1e6, ms(started.elapsed()));
    // Shorter runs for a check of the bench itself (an unoptimized build is far slower).
    let runs = Runs {
        warmup: env_number("FRAMES_BENCH_WARMUP", WARMUP),
        measured: env_number("FRAMES_BENCH_ITERATIONS", ITERATIONS),
    };

    let runnel = bench_page(&dir, runs);
    print_side(&runnel);
    let explorer = bench_explorer(&dir, runs);
    print_side(&explorer);
    let streamlit = bench_streamlit(&file);
    for side in &streamlit {
        print_side(side);
    }
    print_table(&runnel, &explorer, &streamlit);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The benchmark page: the first run reads the CSV into the cache, then one selectbox changes
/// per rerun (alternately, cycling through the values, so every rerun filters differently).
fn bench_page(dir: &Path, runs: Runs) -> Side {
    let limits = ScriptLimits { max_run_time: Duration::from_secs(60), ..ScriptLimits::default() };
    let runner = Runner::new(limits).with_data_dir(dir);
    let rss = resident_bytes();
    let started = Instant::now();
    let mut app = AppTest::with_runner(PAGE, runner.clone());
    let first = started.elapsed();
    assert!(app.page().error.is_none(), "the page failed: {:?}", app.page().error);
    let memory = format!(
        "{:.1} MB (estimated from its buffers; process RSS grew {:.1} MB)",
        runner.sources().cache.bytes() as f64 / 1e6,
        resident_bytes().saturating_sub(rss) as f64 / 1e6
    );
    let events = (0..runs.warmup + runs.measured)
        .map(|i| if i % 2 == 0 { ("Region", vec![CHOICES[i % 4]]) } else { ("Product", vec![CHOICES[(i / 4) % 4]]) });
    let (reruns, inner) = rerun_all(&mut app, events, runs.warmup);
    Side { name: "Runnel, benchmark page".into(), first, memory, reruns, inner }
}

/// The sales explorer as shipped, with its default limits: the first visitor's run reads the
/// 1,000,000 orders (under `max_load_ms`), then the sidebar changes one widget per rerun.
fn bench_explorer(dir: &Path, runs: Runs) -> Side {
    let source = std::fs::read_to_string("scripts/04_explorer.rhai").expect("the explorer script");
    let runner = Runner::new(ScriptLimits::default()).with_data_dir(dir);
    let started = Instant::now();
    let mut app = AppTest::with_runner(&source, runner.clone());
    let first = started.elapsed();
    assert!(app.page().error.is_none(), "the explorer failed: {:?}", app.page().error);
    let memory = format!("{:.1} MB", runner.sources().cache.bytes() as f64 / 1e6);
    let regions: [&[&str]; 4] = [&["0", "1", "2", "3"], &["0"], &["1", "2"], &["0", "3"]];
    let events = (0..runs.warmup + runs.measured).map(|i| match i % 3 {
        0 => ("Channel", vec![CHOICES[(i / 3) % 3]]),
        1 => ("Regions", regions[(i / 3) % 4].to_vec()),
        _ => ("Minimum units per order", vec![["0", "20", "55"][(i / 3) % 3]]),
    });
    let (reruns, inner) = rerun_all(&mut app, events, runs.warmup);
    Side { name: "Runnel, sales explorer".into(), first, memory, reruns, inner }
}

/// Sends each event, reruns and renders the fragment the host would send; returns the measured
/// rerun + render times and the rerun times alone (warm-up left out).
fn rerun_all<'a>(
    app: &mut AppTest,
    events: impl Iterator<Item = (&'a str, Vec<&'a str>)>,
    warmup: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let ctx = RenderContext {
        page: "bench",
        csrf: "token",
        action: "/bench/event".into(),
        base: "",
        media_key: &Default::default(),
    };
    let (mut reruns, mut runs) = (Vec::new(), Vec::new());
    let mut html_bytes = 0;
    for (i, (label, values)) in events.enumerate() {
        let started = Instant::now();
        let page = app.set(label, &values).expect("a valid widget value");
        let ran = started.elapsed();
        let html = fragment(page, &[], &ctx);
        let took = started.elapsed();
        assert!(page.error.is_none(), "the page failed: {:?}", page.error);
        html_bytes = html.len();
        if i >= warmup {
            reruns.push(took);
            runs.push(ran);
        }
    }
    println!("  (last page: {:.0} kB of HTML)", html_bytes as f64 / 1e3);
    (reruns, runs)
}

/// The Streamlit page in each variant, when a Python with Streamlit is given.
fn bench_streamlit(file: &Path) -> Vec<Side> {
    let Ok(python) = std::env::var("RUNNEL_BENCH_PYTHON") else {
        println!("Streamlit side skipped: RUNNEL_BENCH_PYTHON is not set (dev/bench-frames sets it)");
        return Vec::new();
    };
    let iterations = env_number("FRAMES_BENCH_STREAMLIT_ITERATIONS", STREAMLIT_ITERATIONS);
    STREAMLIT_VARIANTS
        .iter()
        .enumerate()
        .map(|(i, (cache, table))| {
            // The first variant is the comparison; the others (slower) get a third of the reruns.
            let iterations = if i == 0 { iterations } else { (iterations / 3).max(10) };
            let output = Command::new(&python)
                .arg("benches/streamlit/bench.py")
                .arg(file)
                .args([cache.to_string(), table.to_string(), STREAMLIT_WARMUP.to_string(), iterations.to_string()])
                .output()
                .expect("the Streamlit side starts");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "the Streamlit side failed: {}", String::from_utf8_lossy(&output.stderr));
            let result: serde_json::Value =
                serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("one JSON line");
            let seconds = |key: &str| -> Vec<Duration> {
                result[key].as_array().expect("a list").iter().map(|s| secs(s.as_f64().unwrap_or(0.0))).collect()
            };
            let memory = format!(
                "{:.1} MB (pandas memory_usage(deep=True); process RSS grew {:.1} MB)",
                result["frame_bytes"].as_f64().unwrap_or(0.0) / 1e6,
                result["rss_growth"].as_f64().unwrap_or(0.0) / 1e6
            );
            let table = if *table == "head" { "st.dataframe(rows.head(1000))" } else { "st.dataframe(rows)" };
            Side {
                name: format!("Streamlit, st.{cache}, {table}"),
                first: secs(result["first"].as_f64().unwrap_or(0.0)),
                memory,
                reruns: seconds("runs"),
                inner: seconds("script"),
            }
        })
        .collect()
}

fn print_side(side: &Side) {
    let (p50, p99) = p50_p99(&side.reruns);
    let (inner50, inner99) = p50_p99(&side.inner);
    println!("{}:", side.name);
    println!("  first run (read the CSV into the cache, then the page): {}", ms(side.first));
    println!("  cached frame memory: {}", side.memory);
    println!("  per rerun ({} measured): p50 {} p99 {}", side.reruns.len(), ms(p50), ms(p99));
    println!("  of which the run / the page script alone: p50 {} p99 {}", ms(inner50), ms(inner99));
}

/// The side-by-side table (Markdown, for BENCHMARKS.md).
fn print_table(runnel: &Side, explorer: &Side, streamlit: &[Side]) {
    let runnel50 = p50_p99(&runnel.reruns).0;
    println!();
    println!("| page | first run (load + page) | rerun p50 | rerun p99 | Runnel's page faster, p50 |");
    println!("| --- | --- | --- | --- | --- |");
    for side in std::iter::once(runnel).chain(std::iter::once(explorer)).chain(streamlit) {
        let (p50, p99) = p50_p99(&side.reruns);
        let ratio = if std::ptr::eq(side, explorer) {
            "(other page)".to_owned()
        } else {
            format!("{:.1}×", p50.as_secs_f64() / runnel50.as_secs_f64())
        };
        println!("| {} | {} | {} | {} | {ratio} |", side.name, ms(side.first), ms(p50), ms(p99));
    }
    println!();
    println!("target p50 < {}: {}", ms(TARGET_P50), if runnel50 < TARGET_P50 { "met" } else { "NOT met" });
    if let Some(fastest) = streamlit.iter().map(|s| p50_p99(&s.reruns).0).min() {
        let speedup = fastest.as_secs_f64() / runnel50.as_secs_f64();
        let verdict = if speedup >= TARGET_SPEEDUP { "met" } else { "NOT met" };
        println!(
            "target Runnel >= {TARGET_SPEEDUP}x faster than the fastest Streamlit variant (p50): {speedup:.1}x, {verdict}"
        );
    }
}

fn p50_p99(times: &[Duration]) -> (Duration, Duration) {
    if times.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    let mut sorted = times.to_vec();
    sorted.sort();
    (percentile(&sorted, 0.50), percentile(&sorted, 0.99))
}

/// Linear interpolation between the two nearest ranks.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = p * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    let weight = rank - low as f64;
    sorted[low].mul_f64(1.0 - weight) + sorted[high].mul_f64(weight)
}

/// The resident memory of this process (`/proc/self/statm`), 0 where it cannot be read.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
