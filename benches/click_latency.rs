//! Click latency in real headless Chromium: from a click on a button to its result on the
//! screen, for the dashboard of issue 11 and for the plain counter, and for a page with a
//! 10,000-row table and one with a 10,000-point chart; and, as a reference, the `floor`: a page
//! without Runnel whose button fetches the next count (a few bytes) and writes it. Run with
//! `cargo bench --bench click_latency [-- FILTER...]` (a filter picks pages by name: `floor`,
//! `dashboard`, `counter`, `big_table`, `big_chart`).
//!
//! Every page is measured in two browsers: Chromium as it ships, and Chromium started with
//! `--disable-features=DeferRendererTasksAfterInput`. As shipped, Chromium holds a page's
//! network answers (and timers and messages) that arrive after a click until it has drawn the
//! next frame, so no page that waits for a fetch can show a click's result sooner than that frame
//! (the floor page shows how soon that is); the second browser shows the time the page itself
//! takes. `CLICK_BENCH_BROWSER=shipped` or `=no-deferral` measures in one of them only.
//!
//! Setup: a temp scripts folder with the pages (benches/fixtures/, and scripts/02_counter.rhai),
//! each with one line appended that the run writes last: a caption `rerun N` (N is the count).
//! The host runs in this process (memory store, two workers); one Chromium tab per page, each
//! in a browser context of its own (its own session).
//!
//! Per click: the page gets a capturing `click` listener (in-page t0 = `performance.now()` when
//! the click event fires) and a MutationObserver on the document that notes when the metric
//! `Count` shows N (**click -> count visible**) and when the marker shows `rerun N` (**click ->
//! whole rerun visible**), then the frame after it (`requestAnimationFrame`). The bench clicks
//! with real mouse events (CDP `Input.dispatchMouseEvent`) and awaits that promise in the page,
//! bounded. It only clicks and watches the DOM, so it measures whatever transport the page
//! uses (a morphed full fragment, or element patches).
//!
//! Phases, from the POST's Resource Timing entry: click -> fetch start (the page's script),
//! fetch start -> response start (**request**: network + server), response start -> end
//! (**response** body), response end -> rerun visible (**apply**: body read + morph/patch).
//! Bytes: the response body as sent (`encodedBodySize`) and with headers (`transferSize`).
//! Connections: how many clicks opened a new connection instead of reusing the warm one.
//!
//! Server CPU per click: the nanoseconds on a CPU (`/proc/self/task/*/schedstat`) of the
//! host's threads (actix workers, and the tokio blocking pool that runs the scripts) over the
//! measured clicks, divided by the clicks. Chromium's CPU is not included.
//!
//! Counts: 10 warm-up clicks, then 100 measured (30 for the two big pages); override with
//! `CLICK_BENCH_CLICKS` / `CLICK_BENCH_BIG_CLICKS`; `CLICK_BENCH_TABLE_ROWS` gives the big table
//! fewer rows (to see how the update grows with the page). Every wait is bounded (5 s per
//! click in the page, and 30 s per DevTools call: a page whose main thread is busy for longer
//! fails the run with the DevTools timeout).

#[path = "../tests/support/mod.rs"]
mod support;
#[path = "common/timing.rs"]
mod timing;

use timing::{percentile, stage};

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::chromium::{Browser, Page};
use support::http_service::HttpService;

const WARMUP: usize = 10;
const CLICKS: usize = 100;
const BIG_CLICKS: usize = 30;
/// Rows of the big table (`table` shows at most 10,000); `CLICK_BENCH_TABLE_ROWS` takes fewer.
const TABLE_ROWS: usize = 10_000;
/// Upper bound on one click becoming visible.
const PER_CLICK: Duration = Duration::from_secs(5);
const BUTTON: &str = "form[data-widget=\"button:Increment\"] button";
/// Written last by every page's run: when it shows, the whole rerun is on the screen.
const MARKER: &str = "\ncaption(`rerun ${state.count}`);\n";

const TARGET_DASHBOARD_P50_MS: f64 = 10.0;
const TARGET_DASHBOARD_P90_MS: f64 = 20.0;
const TARGET_COUNTER_P50_MS: f64 = 5.0;
const TARGET_BIG_MS: f64 = 50.0;
const TARGET_BYTES: f64 = 2048.0;

/// One page under test.
struct Fixture {
    name: &'static str,
    /// The Runnel script; none for the floor page (served by the local HTTP service).
    source: Option<String>,
    clicks: usize,
}

/// The reference page: no Runnel, a button whose click fetches the next count and writes it.
const FLOOR: &str = "floor";

fn fixtures() -> Vec<Fixture> {
    let count = |var: &str, default: usize| {
        std::env::var(var).ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(default)
    };
    let (clicks, big) = (count("CLICK_BENCH_CLICKS", CLICKS), count("CLICK_BENCH_BIG_CLICKS", BIG_CLICKS));
    let rows = count("CLICK_BENCH_TABLE_ROWS", TABLE_ROWS).min(TABLE_ROWS);
    let table = include_str!("fixtures/big_table.rhai").replace("[10000]", &format!("[{rows}]"));
    let script = |text: &str| Some(text.to_owned());
    vec![
        Fixture { name: FLOOR, source: None, clicks },
        Fixture { name: "dashboard", source: script(include_str!("fixtures/dashboard.rhai")), clicks },
        Fixture { name: "counter", source: script(include_str!("../scripts/02_counter.rhai")), clicks },
        Fixture { name: "big_table", source: Some(table), clicks: big },
        Fixture { name: "big_chart", source: script(include_str!("fixtures/big_chart.rhai")), clicks: big },
    ]
}

/// The browsers the pages are measured in: Chromium as it ships, and Chromium without its
/// deferral of tasks after input (a fetch's answer that arrives after a click waits for the
/// next frame; `DeferRendererTasksAfterInput`, on by default). `CLICK_BENCH_BROWSER=shipped`
/// or `=no-deferral` measures in one of them only.
const BROWSERS: [(&str, &[&str]); 2] =
    [("shipped", &[]), ("no-deferral", &["--disable-features=DeferRendererTasksAfterInput"])];

/// One measured click; times in ms after the click event, None where the page had no entry.
struct Sample {
    count_ms: f64,
    done_ms: f64,
    frame_ms: Option<f64>,
    fetch_start: Option<f64>,
    response_start: Option<f64>,
    response_end: Option<f64>,
    body_bytes: Option<f64>,
    transfer_bytes: Option<f64>,
    new_connection: bool,
    fetches: u64,
}

/// What the page shows now: the metric `Count` and the last caption (for a failure's message).
const SHOWN: &str = "[...document.querySelectorAll('.rn-metric-value, .rn-caption, .rn-error, [role=alert]')].map((e) => e.textContent)";

/// Arms the observers for count `want`; the click listener takes the in-page t0.
fn arm(page: &Page, want: u64) {
    let js = format!(
        r#"(() => {{
  const want = {want};
  const digits = (s) => (s ?? '').replace(/[^0-9]/g, '');
  const count = () => {{
    for (const m of document.querySelectorAll('.rn-metric')) {{
      if (m.querySelector('.rn-metric-label')?.textContent === 'Count') return digits(m.querySelector('.rn-metric-value')?.textContent);
    }}
    return null;
  }};
  const marker = () => {{
    const all = document.querySelectorAll('.rn-caption');
    return all.length ? all[all.length - 1].textContent.trim() : null;
  }};
  if (count() === String(want)) throw new Error('the page already shows ' + want);
  performance.clearResourceTimings();
  const cl = {{ click: null, count: null, done: null, frame: null }};
  cl.finished = new Promise((resolve) => {{
    const observer = new MutationObserver(() => {{
      const t = performance.now();
      if (cl.count === null && count() === String(want)) cl.count = t;
      if (cl.done === null && marker() === 'rerun ' + want) cl.done = t;
      if (cl.count === null || cl.done === null) return;
      observer.disconnect();
      requestAnimationFrame(() => {{ cl.frame = performance.now(); }});
      resolve(true);
    }});
    observer.observe(document.body, {{ subtree: true, childList: true, characterData: true, attributes: true }});
  }});
  window.addEventListener('click', () => {{ if (cl.click === null) cl.click = performance.now(); }}, {{ capture: true, once: true }});
  window.__cl = cl;
  return true;
}})()"#
    );
    page.eval(&js);
}

/// Waits (in the page, bounded) for the armed click to show; then reads its details.
fn collect(page: &Page, timeout: Duration) -> Option<Value> {
    let ms = timeout.as_millis();
    let shown = page
        .eval(&format!("Promise.race([window.__cl.finished, new Promise((r) => setTimeout(() => r(false), {ms}))])"));
    if shown != Value::Bool(true) {
        return None;
    }
    Some(page.eval(
        r#"(async () => {
  const cl = window.__cl;
  for (let i = 0; i < 50 && cl.frame === null; i++) await new Promise((r) => setTimeout(r, 5));
  const posts = performance.getEntriesByType('resource')
    .filter((e) => e.initiatorType === 'fetch' && new URL(e.name).pathname.endsWith('/event'));
  const e = posts[0];
  const at = (t) => (e && t > 0 ? t - cl.click : null);
  return {
    count: cl.count - cl.click, done: cl.done - cl.click, frame: cl.frame === null ? null : cl.frame - cl.click,
    fetches: posts.length, fetchStart: at(e?.startTime), responseStart: at(e?.responseStart), responseEnd: at(e?.responseEnd),
    body: e ? e.encodedBodySize : null, transfer: e ? e.transferSize : null,
    newConnection: !!e && e.connectEnd > e.connectStart,
  };
})()"#,
    ))
}

fn click_once(page: &Page, want: u64) -> Option<Sample> {
    arm(page, want);
    page.click(BUTTON);
    let d = collect(page, PER_CLICK)?;
    let f = |key: &str| d[key].as_f64();
    Some(Sample {
        count_ms: f("count")?,
        done_ms: f("done")?,
        frame_ms: f("frame"),
        fetch_start: f("fetchStart"),
        response_start: f("responseStart"),
        response_end: f("responseEnd"),
        body_bytes: f("body"),
        transfer_bytes: f("transfer"),
        new_connection: d["newConnection"].as_bool().unwrap_or(false),
        fetches: d["fetches"].as_u64().unwrap_or(0),
    })
}

// ---------------------------------------------------------------------------------------------
// Server CPU: the host's threads in this process

/// Nanoseconds on a CPU so far of this process's server threads: actix workers and the tokio
/// blocking pool (script runs). The main thread (this bench's CDP client) is not counted.
fn server_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .flatten()
        .filter_map(|task| {
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            let server = comm.starts_with("actix") || comm.starts_with("tokio-rt-worker");
            let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            server.then(|| stat.split_whitespace().next()?.parse::<u64>().ok()).flatten()
        })
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Statistics

#[derive(Clone, Copy)]
struct Stats {
    p50: f64,
    p90: f64,
    max: f64,
}

fn stats(values: impl IntoIterator<Item = f64>) -> Option<Stats> {
    let mut v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(Stats { p50: percentile(&v, 50.0), p90: percentile(&v, 90.0), max: v[v.len() - 1] })
}

fn print_row(label: &str, values: impl IntoIterator<Item = f64>) -> Option<Stats> {
    let s = stats(values);
    match s {
        Some(s) => println!("  {label:<36} {:>8.2} {:>8.2} {:>8.2}", s.p50, s.p90, s.max),
        None => println!("  {label:<36} {:>8}", "n/a"),
    }
    s
}

/// What one page's run gives the summary.
struct Outcome {
    name: &'static str,
    browser: &'static str,
    count: Stats,
    done: Stats,
    body_p50: Option<f64>,
    server_cpu_ms: f64,
}

fn report(name: &'static str, browser: &'static str, samples: &[Sample], server_cpu_ms: f64) -> Outcome {
    println!("\n[{name}, Chromium {browser}] {} clicks (ms after the click event)", samples.len());
    println!("  {:<36} {:>8} {:>8} {:>8}", "", "p50", "p90", "max");
    let count = print_row("click -> count visible", samples.iter().map(|s| s.count_ms)).expect("samples");
    let done = print_row("click -> whole rerun visible", samples.iter().map(|s| s.done_ms)).expect("samples");
    print_row("click -> next frame", samples.iter().filter_map(|s| s.frame_ms));
    println!("  by phase:");
    print_row("  click -> fetch start (page script)", stage(samples, |_| Some(0.0), |s| s.fetch_start));
    print_row("  request (fetch start -> response start)", stage(samples, |s| s.fetch_start, |s| s.response_start));
    print_row("  response (start -> end)", stage(samples, |s| s.response_start, |s| s.response_end));
    print_row("  apply (response end -> rerun visible)", stage(samples, |s| s.response_end, |s| Some(s.done_ms)));
    let body = print_row("response body bytes", samples.iter().filter_map(|s| s.body_bytes));
    print_row("response bytes with headers", samples.iter().filter_map(|s| s.transfer_bytes));
    let new_connections = samples.iter().filter(|s| s.new_connection).count();
    let odd = samples.iter().filter(|s| s.fetches != 1).count();
    println!("  clicks on a new connection: {new_connections}; clicks with != 1 POST: {odd}");
    if name == FLOOR {
        println!("  server CPU per click: not Runnel's (the floor page's answer comes from the local HTTP service)");
    } else {
        println!("  server CPU per click: {server_cpu_ms:.2} ms (actix workers + script pool, schedstat)");
    }
    Outcome { name, browser, count, done, body_p50: body.map(|b| b.p50), server_cpu_ms }
}

fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Opens the page at `url`, clicks through the warm-up and the measured clicks; panics if one
/// does not show.
fn measure(browser: &Browser, label: &'static str, url: &str, fixture: &Fixture) -> Outcome {
    // A browser context of its own: its own session, so its count starts at 0.
    let page = browser.new_page_in(&browser.new_context());
    page.navigate(url);
    page.wait_until(&format!("!!document.querySelector({})", serde_json::to_string(BUTTON).unwrap()), PER_CLICK);
    page.wait_until("typeof window.Runnel === 'object'", PER_CLICK);
    let mut samples = Vec::with_capacity(fixture.clicks);
    let mut cpu_before = 0;
    for i in 0..WARMUP + fixture.clicks {
        if i == WARMUP {
            cpu_before = server_cpu_ns();
        }
        let want = i as u64 + 1;
        let sample = click_once(&page, want).unwrap_or_else(|| {
            let shows = page.eval(SHOWN);
            panic!("{}: click #{want} did not show within {PER_CLICK:?}; the page shows {shows}", fixture.name)
        });
        if i >= WARMUP {
            samples.push(sample);
        }
    }
    let server_cpu_ms = server_cpu_ns().saturating_sub(cpu_before) as f64 / 1e6 / fixture.clicks as f64;
    report(fixture.name, label, &samples, server_cpu_ms)
}

fn verdict(met: bool) -> &'static str {
    if met { "MET" } else { "MISSED" }
}

fn summary(outcomes: &[Outcome]) {
    println!("\nsummary (targets of issue 11; `floor` is the reference page without Runnel):");
    for o in outcomes {
        let (c, d) = (o.count, o.done);
        let target = match o.name {
            FLOOR => "reference".to_owned(),
            "dashboard" => {
                let met = [c, d].iter().all(|s| s.p50 < TARGET_DASHBOARD_P50_MS && s.p90 < TARGET_DASHBOARD_P90_MS);
                format!("p50 < {TARGET_DASHBOARD_P50_MS} and p90 < {TARGET_DASHBOARD_P90_MS} ms: {}", verdict(met))
            }
            "counter" => format!("count p50 < {TARGET_COUNTER_P50_MS} ms: {}", verdict(c.p50 < TARGET_COUNTER_P50_MS)),
            _ => format!("update < {TARGET_BIG_MS} ms (p50): {}", verdict(d.p50 < TARGET_BIG_MS)),
        };
        let bytes = o.body_p50.map_or("n/a".into(), |b| format!("{b:.0} B"));
        let cpu = if o.name == FLOOR { "n/a".to_owned() } else { format!("{:.2} ms", o.server_cpu_ms) };
        println!(
            "  {:<10} {:<12} count p50 {:.2} / p90 {:.2} ms, rerun p50 {:.2} / p90 {:.2} / max {:.2} ms, body {bytes}, \
             server CPU {cpu}; {target}",
            o.name, o.browser, c.p50, c.p90, d.p50, d.p90, d.max
        );
    }
    for counter in outcomes.iter().filter(|o| o.name == "counter") {
        let bytes = counter.body_p50.unwrap_or(f64::INFINITY);
        println!(
            "  a click that changes one number (counter, {}): {bytes:.0} bytes; target < {TARGET_BYTES} B: {}",
            counter.browser,
            verdict(bytes < TARGET_BYTES)
        );
    }
}

/// The browsers `CLICK_BENCH_BROWSER` picks (both when unset).
fn browsers() -> Vec<(&'static str, &'static [&'static str])> {
    let wanted = std::env::var("CLICK_BENCH_BROWSER").unwrap_or_default();
    let chosen: Vec<_> = BROWSERS.into_iter().filter(|(label, _)| wanted.is_empty() || wanted == *label).collect();
    if chosen.is_empty() {
        eprintln!("CLICK_BENCH_BROWSER={wanted:?} names no browser; they are shipped, no-deferral");
        std::process::exit(2);
    }
    chosen
}

fn main() {
    // `cargo bench` passes `--bench`; anything not starting with `-` is a filter.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<Fixture> = fixtures()
        .into_iter()
        .filter(|f| filters.is_empty() || filters.iter().any(|w| f.name.contains(w.as_str())))
        .collect();
    if chosen.is_empty() {
        eprintln!("no page matches {filters:?}; pages are floor, dashboard, counter, big_table, big_chart");
        std::process::exit(2);
    }
    let browsers = browsers();
    let files: BTreeMap<String, String> = chosen
        .iter()
        .filter_map(|f| Some((format!("{}.rhai", f.name), format!("{}{MARKER}", f.source.as_ref()?))))
        .collect();
    let named: Vec<(&str, &str)> = files.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    let dir = support::ScriptDir::with(&named);
    let mut settings = dir.settings(false);
    settings.workers = Some(2);
    let app = support::TestApp::spawn(settings);
    let service = HttpService::start();
    let url = |f: &Fixture| match f.source {
        Some(_) => app.url(&format!("/{}", f.name)),
        None => service.url("/floor"),
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load_before = load_average();
    println!(
        "click_latency: click -> result in headless Chromium; {cores} CPU core(s); memory store, 2 workers; \
         {WARMUP} warm-up clicks per page"
    );
    let started = Instant::now();
    let mut outcomes = Vec::new();
    for (label, flags) in browsers {
        let browser = Browser::launch_with(flags);
        outcomes.extend(chosen.iter().map(|f| measure(&browser, label, &url(f), f)));
    }
    println!(
        "\nload average (1, 5, 15 min): {load_before} before, {} after; {:.1} s",
        load_average(),
        started.elapsed().as_secs_f64()
    );
    summary(&outcomes);
    drop(service);
    drop(app);
}
