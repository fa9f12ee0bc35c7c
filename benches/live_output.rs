//! Output while a run goes, in real headless Chromium (issue 12, point 9). Run with
//! `cargo bench --bench live_output`.
//!
//! 1. **First output of a 2-second run**: a click starts a run that redraws a placeholder 20
//!    times, 0.1 s apart. Measured from the click event to the first step on the screen (any
//!    step: the answer starts streaming at 100 ms with the newest one), and to
//!    the end of the run on the screen. Before progressive output, the first step showed with
//!    the end (the page was rendered once, when the run ended).
//! 2. **Upstream chunk -> DOM while streaming**: a local HTTP service (on a loopback port, in
//!    this process) sends 40 chunks 50 ms apart, each stamped with the Unix time in ms at which
//!    it was sent; the page's run appends each chunk to a placeholder as it arrives
//!    (`http_stream` with a function). A MutationObserver in the page notes `Date.now()` when
//!    each chunk appears; the delay is that minus the stamp (same machine, same clock).
//!
//! 3. **The same through `write_stream`**: the run shows the chunks with
//!    `chat_message("assistant").write_stream(http_stream_open(url))`, the chat apps' way: one
//!    markdown element that grows, flushed after each chunk.
//!
//! The host runs in this process (memory store, two workers); one Chromium tab. Every wait is
//! bounded. Counts: `LIVE_BENCH_RUNS` runs of each (default 10).

#[path = "../tests/support/mod.rs"]
mod support;
#[path = "common/timing.rs"]
mod timing;

use std::time::Duration;

use runnel::config::{AllowedHost, HttpSettings};
use serde_json::Value;
use support::chromium::{Browser, Page};
use support::http_service::HttpService;
use timing::percentile;

const RUNS: usize = 10;
const PER_RUN: Duration = Duration::from_secs(10);

const TWO_SECONDS: &str = r#"
if !("n" in state) { state.n = 0; }
if button("Go") {
    state.n += 1;
    let ph = empty();
    for i in 0..20 {
        ph.markdown(`step ${i} of run ${state.n}`);
        sleep(0.1);
    }
}
caption(`run ${state.n} done`);
"#;

const STREAMING: &str = r#"
if !("n" in state) { state.n = 0; }
if button("Go") {
    state.n += 1;
    let ph = empty();
    let text = "";
    http_stream(URL, #{}, |chunk| { text += chunk; ph.text(text); });
}
caption(`run ${state.n} done`);
"#;

const WRITE_STREAM: &str = r#"
if !("n" in state) { state.n = 0; }
if button("Go") {
    state.n += 1;
    chat_message("assistant").write_stream(http_stream_open(URL));
}
caption(`run ${state.n} done`);
"#;

fn runs() -> usize {
    std::env::var("LIVE_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(RUNS)
}

/// Arms the page for run `n`: the click time, the first step's and the end's times, and each
/// tick's arrival time minus its stamp.
fn arm(page: &Page, n: usize) {
    let js = format!(
        r#"(() => {{
  const want = {n};
  const lb = {{ click: null, first: null, done: null, ticks: {{}} }};
  lb.finished = new Promise((resolve) => {{
    const observer = new MutationObserver(() => {{
      const t = performance.now();
      const text = document.getElementById('runnel-root').textContent;
      if (lb.first === null && new RegExp('step \\d+ of run ' + want + '\\b').test(text)) lb.first = t;
      for (const m of text.matchAll(/tick (\d+) at (\d+)/g)) {{
        if (!(m[1] in lb.ticks)) lb.ticks[m[1]] = Date.now() - Number(m[2]);
      }}
      if (text.includes('run ' + want + ' done')) {{
        lb.done = t;
        observer.disconnect();
        resolve(true);
      }}
    }});
    observer.observe(document.body, {{ subtree: true, childList: true, characterData: true }});
  }});
  window.addEventListener('click', () => {{ if (lb.click === null) lb.click = performance.now(); }}, {{ capture: true, once: true }});
  window.__lb = lb;
  return true;
}})()"#
    );
    page.eval(&js);
}

fn one_run(page: &Page, n: usize) -> Value {
    arm(page, n);
    page.click("form[data-widget=\"button:Go\"] button");
    let ms = PER_RUN.as_millis();
    let done = page
        .eval(&format!("Promise.race([window.__lb.finished, new Promise((r) => setTimeout(() => r(false), {ms}))])"));
    assert_eq!(done, Value::Bool(true), "run {n} did not end within {PER_RUN:?}");
    page.eval("(() => { const l = window.__lb; return { first: l.first === null ? null : l.first - l.click, done: l.done - l.click, ticks: Object.values(l.ticks) }; })()")
}

fn row(label: &str, mut values: Vec<f64>) {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        println!("  {label:<40} n/a");
        return;
    }
    let max = values[values.len() - 1];
    println!(
        "  {label:<40} {:>9.1} {:>9.1} {:>9.1}   ({} samples)",
        percentile(&values, 50.0),
        percentile(&values, 90.0),
        max,
        values.len()
    );
}

/// Each tick's delay from its stamp to the DOM, over all runs.
fn tick_delays(results: &[Value]) -> Vec<f64> {
    let ticks = results.iter().flat_map(|r| r["ticks"].as_array().cloned().unwrap_or_default());
    ticks.filter_map(|d| d.as_f64()).collect()
}

fn open(browser: &Browser, app: &support::TestApp, name: &str) -> Page {
    let page = browser.new_page_in(&browser.new_context());
    page.navigate(&app.url(&format!("/{name}")));
    page.wait_until("typeof window.Runnel === 'object'", PER_RUN);
    page
}

fn main() {
    let service = HttpService::start();
    let streaming = STREAMING.replace("URL", &format!("{:?}", service.url("/ticks?n=40&every=50")));
    let write_stream = WRITE_STREAM.replace("URL", &format!("{:?}", service.url("/ticks?n=40&every=50")));
    let dir = support::ScriptDir::with(&[
        ("two_seconds.rhai", TWO_SECONDS),
        ("streaming.rhai", &streaming),
        ("write_stream.rhai", &write_stream),
    ]);
    let mut settings = dir.settings(false);
    settings.workers = Some(2);
    let (host, port) = service.host().rsplit_once(':').map(|(h, p)| (h.to_owned(), p.parse().ok())).unwrap();
    settings.http = HttpSettings {
        allow: vec![AllowedHost { scheme: None, host, port }],
        allow_private: true,
        ..HttpSettings::default()
    };
    let app = support::TestApp::spawn(settings);
    let browser = Browser::launch();
    let n = runs();
    println!("live_output: headless Chromium, memory store, 2 workers; {n} runs each (ms)");
    println!("  {:<40} {:>9} {:>9} {:>9}", "", "p50", "p90", "max");

    let page = open(&browser, &app, "two_seconds");
    let results: Vec<Value> = (1..=n).map(|i| one_run(&page, i)).collect();
    let get = |key: &str| results.iter().filter_map(|r| r[key].as_f64()).collect::<Vec<_>>();
    println!("[a 2-second run: 20 steps, 0.1 s apart]");
    row("click -> first output visible", get("first"));
    row("click -> end of the run visible", get("done"));

    let page = open(&browser, &app, "streaming");
    let results: Vec<Value> = (1..=n).map(|i| one_run(&page, i)).collect();
    println!("[streaming: 40 upstream chunks, 50 ms apart]");
    row("upstream chunk sent -> visible in the DOM", tick_delays(&results));
    row("click -> end of the stream visible", results.iter().filter_map(|r| r["done"].as_f64()).collect());

    let page = open(&browser, &app, "write_stream");
    let results: Vec<Value> = (1..=n).map(|i| one_run(&page, i)).collect();
    println!("[write_stream(http_stream_open(…)) into a chat message: 40 upstream chunks, 50 ms apart]");
    row("upstream chunk sent -> visible in the DOM", tick_delays(&results));
    row("click -> end of the stream visible", results.iter().filter_map(|r| r["done"].as_f64()).collect());
    drop(browser);
    drop(app);
}
