//! Runnel benchmarks: what one interaction costs, how many a small server answers, and what an
//! idle session weighs. Run with `cargo bench --bench runnel_bench [-- FILTER...]`.
//!
//! Sections (a FILTER runs the sections whose name contains it; no filter runs all):
//! - `rerun`: `Runner::run` + `render::fragment` in-process, counter and sales dashboard.
//! - `http-memory`, `http-redis`: POST /counter/event with 1 and 50 sessions per store.
//! - `http-sales`: GET /sales (fragment) with 50 sessions on the in-memory store.
//! - `idle-sessions`: RSS per idle session on the in-memory store (runs first, in a fresh process).
//! - `render-blocks`: run + render of a 1,000-row table and of a 1,000-point line chart.
//! - `rerun-demo`: a Streamlit-like demo page (button, slider, selectbox, 200-row table,
//!   200-point chart), in-process; `http-demo`: the same click over HTTP with 50 and 500
//!   sessions on the in-memory store; `redis-demo`: the same on Redis (issue 11, point 5).
//!
//! See BENCHMARKS.md for the method and the numbers.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runnel::config::{ScriptLimits, Settings, StoreSettings};
use runnel::page::Page;
use runnel::render::{NavLink, NavSection, RenderContext, fragment};
use runnel::script::{CompiledScript, PageName, RunRequest, Runner};
use runnel::session_state::{Event, SessionData};
use runnel::session_store::{MemoryStore, Store, random_token};
use runnel::startup::SessionCookie;

#[path = "runnel_bench/blocks.rs"]
mod blocks;
#[path = "../tests/support/mod.rs"]
mod support;

use support::{RedisServer, TestApp, csrf_in, digest, have_in, repo_path};

// ---------------------------------------------------------------------------------------------
// Parameters

const RERUN_WARMUP: usize = 200;
const RERUN_ITERATIONS: usize = 2_000;

const HTTP_WARMUP: Duration = Duration::from_millis(500);
const HTTP_DURATION: Duration = Duration::from_secs(3);
/// Upper bound on requests per session and phase, so that no loop is bounded by time alone.
const HTTP_MAX_REQUESTS_PER_SESSION: u64 = 500_000;
const HTTP_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const SERVER_WORKERS: usize = 2;
/// Sessions opened at once before a phase.
const OPEN_CONCURRENCY: usize = 25;
const CLIENT_THREADS: usize = 2;

const IDLE_SESSIONS: usize = 10_000;
const IDLE_WARMUP_SESSIONS: usize = 200;
const IDLE_CONCURRENCY: usize = 8;

const TARGET_RERUN_P50: Duration = Duration::from_millis(1);
const TARGET_RPS_50_MEMORY: f64 = 5_000.0;

/// Client threads are named so that their CPU time can be told apart from the server's.
const CLIENT_THREAD_NAME: &str = "bench-client";
const FRAGMENT_HEADER: &str = "X-Runnel-Fragment";
const HAVE_HEADER: &str = "X-Runnel-Have";
const PATCH_TYPE: &str = "application/vnd.runnel.patch+json";
const CLICK_WIDGET: &str = "button%3AIncrement";
const SECTIONS: [&str; 9] = [
    "idle-sessions",
    "rerun",
    "http-memory",
    "http-redis",
    "http-sales",
    "render-blocks",
    "rerun-demo",
    "http-demo",
    "redis-demo",
];
/// Issue 11: dashboard clicks per second with 50 sessions on the in-memory store.
const TARGET_RPS_DEMO: f64 = 3_000.0;
/// Issue 11: server-side memory of one idle session.
const TARGET_IDLE_BYTES: f64 = 10_240.0;
/// Concurrent sessions of the dashboard scenarios (issue 11, point 5).
const DEMO_SESSIONS: [usize; 2] = [50, 500];

// ---------------------------------------------------------------------------------------------
// Entry point

fn main() {
    // `cargo bench` passes `--bench`; anything not starting with `-` is a filter.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wants = |section: &str| filters.is_empty() || filters.iter().any(|f| section.contains(f.as_str()));
    if !SECTIONS.iter().any(|s| wants(s)) {
        eprintln!("no section matches {filters:?}; sections are {SECTIONS:?}");
        std::process::exit(2);
    }
    print_machine();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(CLIENT_THREADS)
        .thread_name(CLIENT_THREAD_NAME)
        .enable_all()
        .build()
        .expect("a tokio runtime for the clients");
    let mut summary = Summary::default();

    // First, while the process is fresh: freed memory of other sections would hide growth.
    if wants("idle-sessions") {
        summary.idle = Some(bench_idle_sessions(&client_rt));
    }
    if wants("rerun") {
        summary.reruns.push(bench_rerun_counter());
        summary.reruns.push(bench_rerun_sales());
    }
    if wants("render-blocks") {
        blocks::bench_render_blocks();
    }
    if wants("rerun-demo") {
        summary.reruns.push(blocks::bench_rerun_demo());
    }
    if wants("http-memory") || wants("http-sales") || wants("http-demo") {
        let server = TestApp::spawn(settings_for(StoreSettings::Memory));
        if wants("http-memory") {
            for sessions in [1, 50] {
                summary.http.push(run_http(&client_rt, &server, "memory", None, Interaction::CounterClick, sessions));
            }
        }
        if wants("http-sales") {
            summary.http.push(run_http(&client_rt, &server, "memory", None, Interaction::SalesGet, 50));
        }
        if wants("http-demo") {
            for sessions in DEMO_SESSIONS {
                summary.http.push(run_http(&client_rt, &server, "memory", None, Interaction::DemoClick, sessions));
            }
        }
    }
    let on_redis: Vec<(Interaction, usize)> = [
        (wants("http-redis"), Interaction::CounterClick, [1, 50]),
        (wants("redis-demo"), Interaction::DemoClick, DEMO_SESSIONS),
    ]
    .into_iter()
    .filter(|(wanted, ..)| *wanted)
    .flat_map(|(_, interaction, counts)| counts.map(|sessions| (interaction, sessions)))
    .collect();
    if !on_redis.is_empty() {
        match RedisServer::try_start() {
            Ok(redis) => {
                let store = StoreSettings::Redis { url: redis.url(), timeout: Duration::from_millis(1000) };
                let server = TestApp::spawn(settings_for(store));
                for (interaction, sessions) in on_redis {
                    summary.http.push(run_http(&client_rt, &server, "redis", Some(&redis), interaction, sessions));
                }
                drop(server);
                drop(redis);
            }
            Err(err) => println!("\nredis sections skipped: {err}"),
        }
    }
    summary.print();
}

fn print_machine() {
    let cores = cores();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    println!("runnel_bench: {cores} cores, kernel {}", kernel.trim());
    println!(
        "server: {SERVER_WORKERS} actix workers; clients: a {CLIENT_THREADS}-thread tokio runtime in the same process"
    );
}

fn settings_for(store: StoreSettings) -> Settings {
    let mut settings = Settings::for_tests(repo_path("scripts"));
    settings.store = store;
    settings.workers = Some(SERVER_WORKERS);
    // Every simulated browser comes from 127.0.0.1: one client address, thousands of sessions.
    settings.web.new_sessions_per_minute = 1_000_000;
    settings
}

// ---------------------------------------------------------------------------------------------
// Statistics

#[derive(Debug, Clone, Copy, Default)]
struct Latency {
    p50: Duration,
    p99: Duration,
    mean: Duration,
    max: Duration,
}

impl Latency {
    fn of(samples: &mut [Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let total: Duration = samples.iter().sum();
        Self {
            p50: percentile(samples, 50.0),
            p99: percentile(samples, 99.0),
            mean: total / samples.len() as u32,
            max: samples[samples.len() - 1],
        }
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ---------------------------------------------------------------------------------------------
// 1. Server-side rerun + render, no HTTP

struct RerunResult {
    name: &'static str,
    what: &'static str,
    total: Latency,
    run: Latency,
    render: Latency,
    html_bytes: usize,
}

/// A compiled script with the nav and render context the host would use for it.
struct Dashboard {
    runner: Runner,
    script: CompiledScript,
    nav: Vec<NavSection>,
    csrf: String,
}

impl Dashboard {
    fn load(page: &str, file: &str) -> Self {
        let runner = Runner::new(ScriptLimits::default());
        let path = repo_path(file);
        let source = std::fs::read_to_string(&path).expect("the script exists");
        let name = PageName::parse(page).expect("a valid page name");
        let script = CompiledScript::compile(runner.engine(), name, path, source);
        assert!(script.program.is_ok(), "{file} compiles");
        let links = ["hello", "counter", "sales"]
            .into_iter()
            .map(|n| NavLink {
                name: n.to_owned(),
                label: PageName::parse(n).unwrap().label(),
                icon: None,
                active: n == page,
            })
            .collect();
        let nav = vec![NavSection { heading: None, links }];
        Self { runner, script, nav, csrf: random_token() }
    }

    fn context(&self) -> RenderContext<'_> {
        let page = self.script.name.as_str();
        static KEY: runnel::page::MediaKey = runnel::page::MediaKey::unkeyed();
        RenderContext { page, csrf: &self.csrf, action: format!("/{page}/event"), base: "", media_key: &KEY }
    }

    fn run(&self, data: &SessionData, event: Option<&Event>) -> (Page, SessionData) {
        let output = self.runner.run(&self.script, data, RunRequest::event(event.cloned())).expect("the event applies");
        assert!(output.page.error.is_none(), "the script runs without error: {:?}", output.page.error);
        (output.page, Arc::unwrap_or_clone(output.data))
    }

    /// Runs `iterations` interactions, each on the data the previous one left; `event(i)` is
    /// the event of iteration `i`. Returns (rerun+render, rerun only, render only, html size).
    fn measure(&self, iterations: usize, event: impl Fn(usize) -> Event) -> (Latency, Latency, Latency, usize) {
        let (_, mut data) = self.run(&SessionData::default(), None);
        let ctx = self.context();
        let (mut totals, mut runs, mut renders) = (Vec::new(), Vec::new(), Vec::new());
        let mut html_bytes = 0;
        for i in 0..RERUN_WARMUP + iterations {
            let event = event(i);
            let start = Instant::now();
            let output =
                self.runner.run(&self.script, &data, RunRequest::event(Some(event))).expect("the event applies");
            let ran = Instant::now();
            let html = fragment(&output.page, &self.nav, &ctx);
            let done = Instant::now();
            html_bytes = black_box(html).len();
            data = Arc::unwrap_or_clone(output.data);
            if i >= RERUN_WARMUP {
                totals.push(done - start);
                runs.push(ran - start);
                renders.push(done - ran);
            }
        }
        (Latency::of(&mut totals), Latency::of(&mut runs), Latency::of(&mut renders), html_bytes)
    }

    fn widget_id(&self, label: &str) -> String {
        let (page, _) = self.run(&SessionData::default(), None);
        page.widget(label).unwrap_or_else(|| panic!("no widget {label:?}")).id.clone()
    }
}

fn bench_rerun_counter() -> RerunResult {
    let counter = Dashboard::load("counter", "scripts/02_counter.rhai");
    let id = counter.widget_id("Increment");
    let click = Event { widget: id, values: vec!["true".into()], ..Event::default() };
    let (total, run, render, html_bytes) = counter.measure(RERUN_ITERATIONS, |_| click.clone());
    let result = RerunResult { name: "counter", what: "click Increment", total, run, render, html_bytes };
    print_rerun(&result);
    result
}

fn bench_rerun_sales() -> RerunResult {
    let sales = Dashboard::load("sales", "scripts/03_sales.rhai");
    let id = sales.widget_id("Minimum units");
    let values = ["0", "100"];
    let (total, run, render, html_bytes) = sales.measure(RERUN_ITERATIONS, |i| Event {
        widget: id.clone(),
        values: vec![values[i % 2].to_owned()],
        ..Event::default()
    });
    let result = RerunResult { name: "sales", what: "slider 0 <-> 100", total, run, render, html_bytes };
    print_rerun(&result);
    result
}

fn print_rerun(r: &RerunResult) {
    println!(
        "\n[rerun] {} ({}), {RERUN_ITERATIONS} iterations after {RERUN_WARMUP} warm-up, fragment {} bytes",
        r.name, r.what, r.html_bytes
    );
    println!("  {:<16} {:>9} {:>9} {:>9} {:>9}", "", "p50 µs", "p99 µs", "mean µs", "max µs");
    for (label, l) in [("rerun+render", r.total), ("  rerun", r.run), ("  render", r.render)] {
        println!("  {label:<16} {:>9.1} {:>9.1} {:>9.1} {:>9.1}", us(l.p50), us(l.p99), us(l.mean), us(l.max));
    }
}

// ---------------------------------------------------------------------------------------------
// 2. HTTP interactions per second

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interaction {
    /// POST /counter/event clicking Increment, as a fragment.
    CounterClick,
    /// GET /sales as a fragment (a rerun without an event).
    SalesGet,
    /// POST /demo/event clicking Increment on the Streamlit-like demo page.
    DemoClick,
}

impl Interaction {
    fn page(self) -> &'static str {
        match self {
            Self::CounterClick => "counter",
            Self::SalesGet => "sales",
            Self::DemoClick => "demo",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::CounterClick => "POST /counter/event (click)",
            Self::SalesGet => "GET /sales (fragment)",
            Self::DemoClick => "POST /demo/event (click)",
        }
    }
}

/// One simulated browser: its own client (own cookie jar and connection), CSRF token, and what
/// its page holds (`X-Runnel-Have`, as `static/runnel.js` sends it: the answer is a patch of the
/// elements that changed since that page).
#[derive(Clone)]
struct BrowserSession {
    client: reqwest::Client,
    csrf: String,
    have: String,
}

#[derive(Default)]
struct Tally {
    ok: u64,
    /// Answers that were patches (`application/vnd.runnel.patch+json`), and all answers' bytes.
    patches: u64,
    bytes: u64,
    errors: u64,
    first_error: Option<String>,
    latencies: Vec<Duration>,
}

impl Tally {
    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.patches += other.patches;
        self.bytes += other.bytes;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.latencies.extend(other.latencies);
    }
}

struct HttpResult {
    store: &'static str,
    interaction: Interaction,
    sessions: usize,
    ok: u64,
    patches: u64,
    bytes: u64,
    errors: u64,
    first_error: Option<String>,
    seconds: f64,
    rps: f64,
    latency: Latency,
    cpu: CpuUse,
    /// Redis commands during the measured phase: (name, calls, server microseconds).
    redis_commands: Vec<(String, u64, u64)>,
}

async fn open_session(url: String) -> Result<BrowserSession, String> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .no_proxy()
        .timeout(HTTP_REQUEST_TIMEOUT)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let response = client.get(&url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let html = response.text().await.map_err(|e| format!("GET {url}: {e}"))?;
    if status != reqwest::StatusCode::OK {
        return Err(format!("GET {url}: {status}"));
    }
    let csrf = csrf_in(&html).ok_or_else(|| format!("GET {url}: no CSRF token in the page"))?;
    let have = format!("{};{}", have_in(&html), digest(&csrf));
    Ok(BrowserSession { client, csrf, have })
}

/// One session's loop: requests one after another until `until` or the request cap.
async fn drive(session: BrowserSession, interaction: Interaction, url: String, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let body = format!("csrf={}&widget={CLICK_WIDGET}&value=true", session.csrf);
    let mut sent = 0;
    while sent < HTTP_MAX_REQUESTS_PER_SESSION && Instant::now() < until {
        sent += 1;
        let start = Instant::now();
        let request = match interaction {
            Interaction::CounterClick | Interaction::DemoClick => session
                .client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.clone()),
            Interaction::SalesGet => session.client.get(&url),
        };
        match request.header(FRAGMENT_HEADER, "1").header(HAVE_HEADER, &session.have).send().await {
            Ok(response) => {
                let status = response.status();
                let content_type = response.headers().get(reqwest::header::CONTENT_TYPE);
                let patch = content_type.is_some_and(|t| t.as_bytes().starts_with(PATCH_TYPE.as_bytes()));
                match response.bytes().await {
                    Ok(bytes) if status == reqwest::StatusCode::OK => {
                        tally.bytes += black_box(bytes).len() as u64;
                        tally.patches += u64::from(patch);
                        tally.ok += 1;
                        tally.latencies.push(start.elapsed());
                    }
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]).into_owned();
                        tally.error(format!("{status}: {text}"));
                    }
                    Err(e) => tally.error(format!("reading the body: {e}")),
                }
            }
            Err(e) => tally.error(format!("sending: {e}")),
        }
    }
    tally
}

/// Every session runs its loop for `duration`; returns the merged tally and the wall time.
async fn phase(sessions: &[BrowserSession], interaction: Interaction, url: &str, duration: Duration) -> (Tally, f64) {
    let start = Instant::now();
    let until = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for session in sessions {
        tasks.spawn(drive(session.clone(), interaction, url.to_owned(), until));
    }
    let mut total = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(tally) => total.merge(tally),
            Err(e) => total.error(format!("a client task failed: {e}")),
        }
    }
    (total, start.elapsed().as_secs_f64())
}

fn run_http(
    rt: &tokio::runtime::Runtime,
    server: &TestApp,
    store: &'static str,
    redis: Option<&RedisServer>,
    interaction: Interaction,
    sessions: usize,
) -> HttpResult {
    let redis_pid = redis.map(RedisServer::pid);
    let page_url = server.url(&format!("/{}", interaction.page()));
    let url = match interaction {
        Interaction::CounterClick => server.url("/counter/event"),
        Interaction::DemoClick => server.url("/demo/event"),
        Interaction::SalesGet => page_url.clone(),
    };
    let ((tally, seconds), cpu) = rt.block_on(async {
        // A few at a time: 500 connections opened at once would wait past the server's
        // request-head timeout on a busy machine.
        let mut browsers = Vec::with_capacity(sessions);
        while browsers.len() < sessions {
            let mut opening = tokio::task::JoinSet::new();
            for _ in 0..OPEN_CONCURRENCY.min(sessions - browsers.len()) {
                opening.spawn(open_session(page_url.clone()));
            }
            while let Some(joined) = opening.join_next().await {
                match joined {
                    Ok(Ok(session)) => browsers.push(session),
                    Ok(Err(e)) => panic!("could not open a session: {e}"),
                    Err(e) => panic!("a client task failed: {e}"),
                }
            }
        }
        let _ = phase(&browsers, interaction, &url, HTTP_WARMUP).await;
        if let Some(redis) = redis {
            redis_command(redis.port, &["CONFIG", "RESETSTAT"]);
        }
        let before = CpuSample::take(redis_pid);
        let measured = phase(&browsers, interaction, &url, HTTP_DURATION).await;
        (measured, CpuSample::take(redis_pid).since(&before))
    });
    let redis_commands = redis.map(|r| redis_command_stats(r.port)).unwrap_or_default();
    let Tally { ok, patches, bytes, errors, first_error, mut latencies } = tally;
    let result = HttpResult {
        store,
        interaction,
        sessions,
        ok,
        patches,
        bytes,
        errors,
        first_error,
        seconds,
        rps: ok as f64 / seconds,
        latency: Latency::of(&mut latencies),
        cpu,
        redis_commands,
    };
    print_http(&result);
    result
}

fn print_http(r: &HttpResult) {
    println!(
        "\n[http-{}] {}, {} session(s), {:.2} s after {} ms warm-up",
        r.store,
        r.interaction.describe(),
        r.sessions,
        r.seconds,
        HTTP_WARMUP.as_millis()
    );
    println!(
        "  {:.0} req/s  ({} ok, {} errors)  latency p50 {:.2} ms  p99 {:.2} ms  mean {:.2} ms  max {:.2} ms",
        r.rps,
        r.ok,
        r.errors,
        ms(r.latency.p50),
        ms(r.latency.p99),
        ms(r.latency.mean),
        ms(r.latency.max)
    );
    if let Some(error) = &r.first_error {
        println!("  first error: {error}");
    }
    let mean_bytes = if r.ok == 0 { 0.0 } else { r.bytes as f64 / r.ok as f64 };
    println!("  answers: {} of {} were patches; {mean_bytes:.0} bytes each on average", r.patches, r.ok);
    let per_request = |seconds: f64| if r.ok == 0 { 0.0 } else { seconds * 1e6 / r.ok as f64 };
    let c = &r.cpu;
    println!(
        "  CPU µs/request: server workers {:.0}, script pool {:.0}, client {:.0}, other in bench {:.0}, redis-server {:.0}",
        per_request(c.server),
        per_request(c.scripts),
        per_request(c.client),
        per_request(c.other),
        per_request(c.redis)
    );
    println!(
        "  cores busy {:.2} of {} (bench {:.2}, redis-server {:.2}, rest {:.2}); hypervisor steal {:.2} cores",
        c.machine / c.wall,
        cores(),
        c.process / c.wall,
        c.redis / c.wall,
        c.other_processes() / c.wall,
        c.steal / c.wall
    );
    if !r.redis_commands.is_empty() && r.ok > 0 {
        let per = |calls: u64| calls as f64 / r.ok as f64;
        let list: Vec<String> =
            r.redis_commands.iter().map(|(name, calls, _)| format!("{name} {:.2}", per(*calls))).collect();
        let calls: u64 = r.redis_commands.iter().map(|c| c.1).sum();
        let usec: u64 = r.redis_commands.iter().map(|c| c.2).sum();
        println!(
            "  redis commands per interaction: {:.1} ({}); redis-server's own time {:.0} µs/interaction",
            per(calls),
            list.join(", "),
            usec as f64 / r.ok as f64
        );
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

// ---------------------------------------------------------------------------------------------
// Where the CPU goes: per thread group of this process, redis-server, and the whole machine

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ThreadGroup {
    /// The client runtime (named `bench-client`).
    Client,
    /// actix workers and acceptor: HTTP, sessions, store calls, rendering.
    Server,
    /// The blocking pool behind `web::block`: the script runs.
    Scripts,
    Other,
}

impl ThreadGroup {
    fn of(comm: &str) -> Self {
        if comm.starts_with(CLIENT_THREAD_NAME) {
            Self::Client
        } else if comm.starts_with("actix") {
            Self::Server
        } else if comm.starts_with("tokio-rt-worker") {
            Self::Scripts
        } else {
            Self::Other
        }
    }
}

/// CPU time used so far. Per-thread times come from `schedstat` (nanoseconds, exact even on a
/// kernel with tick-based accounting); the machine's busy time from `/proc/stat` (clock ticks).
struct CpuSample {
    at: Instant,
    /// Per live thread of this process: its group and nanoseconds on a CPU.
    threads: BTreeMap<String, (ThreadGroup, u64)>,
    redis_ns: u64,
    machine_busy_ticks: u64,
    steal_ticks: u64,
}

/// CPU seconds used between two samples.
#[derive(Debug, Clone, Copy, Default)]
struct CpuUse {
    wall: f64,
    client: f64,
    server: f64,
    scripts: f64,
    /// This process's other threads (main thread, the server's system thread).
    other: f64,
    /// The whole bench process (threads that ended during the phase are not counted).
    process: f64,
    redis: f64,
    /// Busy time of all CPUs (user, system, irq, softirq), tick-sampled.
    machine: f64,
    /// Time the hypervisor ran something else while a vCPU wanted to run.
    steal: f64,
}

impl CpuUse {
    /// Busy time neither the bench nor redis-server was charged for: other processes, and
    /// interrupt work (loopback networking) done outside their threads.
    fn other_processes(&self) -> f64 {
        (self.machine - self.process - self.redis).max(0.0)
    }
}

/// The first field of a `schedstat` file: nanoseconds spent on a CPU.
fn schedstat_ns(path: &std::path::Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.split_whitespace().next()?.parse().ok()
}

/// Every thread of a process (`/proc/<pid>/task`): (thread id, name, nanoseconds on a CPU).
fn thread_times(proc_dir: &str) -> Vec<(String, String, u64)> {
    let Ok(tasks) = std::fs::read_dir(format!("{proc_dir}/task")) else { return Vec::new() };
    tasks
        .flatten()
        .filter_map(|task| {
            let path = task.path();
            let ns = schedstat_ns(&path.join("schedstat"))?;
            let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            Some((task.file_name().to_string_lossy().into_owned(), comm.trim().to_owned(), ns))
        })
        .collect()
}

fn clock_ticks_per_second() -> f64 {
    getconf("CLK_TCK").unwrap_or(100) as f64
}

fn getconf(name: &str) -> Option<u64> {
    let output = Command::new("getconf").arg(name).output().ok()?;
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}

impl CpuSample {
    fn take(redis_pid: Option<u32>) -> Self {
        let threads =
            thread_times("/proc/self").into_iter().map(|(tid, comm, ns)| (tid, (ThreadGroup::of(&comm), ns))).collect();
        let redis_ns = redis_pid.map_or(0, |pid| thread_times(&format!("/proc/{pid}")).iter().map(|t| t.2).sum());
        // The `cpu` line: user nice system idle iowait irq softirq steal ...
        let totals: Vec<u64> = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                s.lines().next().map(|line| line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect())
            })
            .unwrap_or_default();
        let machine_busy_ticks = [0, 1, 2, 5, 6].iter().filter_map(|&i| totals.get(i)).sum();
        let steal_ticks = totals.get(7).copied().unwrap_or(0);
        Self { at: Instant::now(), threads, redis_ns, machine_busy_ticks, steal_ticks }
    }

    fn since(&self, before: &Self) -> CpuUse {
        let secs = |ns: u64| ns as f64 / 1e9;
        let hz = clock_ticks_per_second();
        let mut use_ = CpuUse {
            wall: self.at.duration_since(before.at).as_secs_f64(),
            redis: secs(self.redis_ns.saturating_sub(before.redis_ns)),
            machine: self.machine_busy_ticks.saturating_sub(before.machine_busy_ticks) as f64 / hz,
            steal: self.steal_ticks.saturating_sub(before.steal_ticks) as f64 / hz,
            ..CpuUse::default()
        };
        for (tid, (group, ns)) in &self.threads {
            let earlier = before.threads.get(tid).map_or(0, |(_, t)| *t);
            let spent = secs(ns.saturating_sub(earlier));
            use_.process += spent;
            match group {
                ThreadGroup::Client => use_.client += spent,
                ThreadGroup::Server => use_.server += spent,
                ThreadGroup::Scripts => use_.scripts += spent,
                ThreadGroup::Other => use_.other += spent,
            }
        }
        use_
    }
}

// ---------------------------------------------------------------------------------------------
// Redis command counts (INFO commandstats), to see how many round trips an interaction makes

/// Sends one command to the private redis-server and returns its reply as text (RESP, small).
fn redis_command(port: u16, args: &[&str]) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).ok()?;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 8192];
    // A simple string (+OK) ends at its first CRLF; a bulk string ($len) after len + 2 bytes.
    for _ in 0..1000 {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&reply);
        let Some((head, rest)) = text.split_once("\r\n") else { continue };
        match head.strip_prefix('$').and_then(|len| len.parse::<usize>().ok()) {
            Some(len) if rest.len() >= len + 2 => return Some(rest[..len].to_owned()),
            Some(_) => continue,
            None => return Some(head.to_owned()),
        }
    }
    None
}

/// Calls per command since the last CONFIG RESETSTAT, and the server's own microseconds.
fn redis_command_stats(port: u16) -> Vec<(String, u64, u64)> {
    let Some(info) = redis_command(port, &["INFO", "commandstats"]) else { return Vec::new() };
    info.lines()
        .filter_map(|line| {
            let (name, fields) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let field =
                |key: &str| fields.split(',').find_map(|f| f.strip_prefix(key)?.strip_prefix('=')?.parse::<u64>().ok());
            Some((name.to_uppercase(), field("calls")?, field("usec").unwrap_or(0)))
        })
        .filter(|(name, _, _)| name != "INFO" && name != "CONFIG|RESETSTAT")
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 3. Memory per idle session (in-memory store)

struct IdleResult {
    sessions: usize,
    http_bytes_per_session: f64,
    http_sessions_counted: usize,
    data_bytes_per_session: f64,
    counter_json_bytes: usize,
    sales_json_bytes: usize,
}

/// Resident set size of this process, from /proc/self/statm.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let resident: u64 = statm.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("statm resident pages");
    resident * page_size()
}

fn page_size() -> u64 {
    getconf("PAGESIZE").unwrap_or(4096)
}

/// One session made over HTTP without a cookie jar: GET /counter, then one click.
async fn one_idle_session(client: reqwest::Client, base: String) -> Result<(), String> {
    let response = client.get(format!("{base}/counter")).send().await.map_err(|e| e.to_string())?;
    let cookie = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{}=", SessionCookie::PLAIN_NAME)))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or("no session cookie")?;
    let status = response.status();
    let html = response.text().await.map_err(|e| e.to_string())?;
    if status != reqwest::StatusCode::OK {
        return Err(format!("GET /counter: {status}"));
    }
    let csrf = csrf_in(&html).ok_or("no CSRF token")?;
    let response = client
        .post(format!("{base}/counter/event"))
        .header(reqwest::header::COOKIE, cookie)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(FRAGMENT_HEADER, "1")
        .body(format!("csrf={csrf}&widget={CLICK_WIDGET}&value=true"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let _ = response.bytes().await;
    if status != reqwest::StatusCode::OK {
        return Err(format!("POST /counter/event: {status}"));
    }
    Ok(())
}

/// Makes `count` sessions, `IDLE_CONCURRENCY` at a time, through one shared client.
async fn make_idle_sessions(client: &reqwest::Client, base: &str, count: usize) {
    let per_task = count.div_ceil(IDLE_CONCURRENCY);
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..IDLE_CONCURRENCY {
        let n = per_task.min(count.saturating_sub(task * per_task));
        let (client, base) = (client.clone(), base.to_owned());
        tasks.spawn(async move {
            for _ in 0..n {
                one_idle_session(client.clone(), base.clone()).await?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("a client task").expect("an idle session is made");
    }
}

fn session_count(store: &Store) -> usize {
    match store {
        Store::Memory(memory, _) => memory.session_count(),
        Store::Redis(_) => 0,
    }
}

fn bench_idle_sessions(rt: &tokio::runtime::Runtime) -> IdleResult {
    // The data alone, straight into a MemoryStore: deep copies of a counter session's data.
    let counter = Dashboard::load("counter", "scripts/02_counter.rhai");
    let (_, first) = counter.run(&SessionData::default(), None);
    let click = Event { widget: counter.widget_id("Increment"), values: vec!["true".into()], ..Event::default() };
    let (_, counter_data) = counter.run(&first, Some(&click));
    let sales = Dashboard::load("sales", "scripts/03_sales.rhai");
    let (_, sales_data) = sales.run(&SessionData::default(), None);
    let counter_json_bytes = serde_json::to_vec(&counter_data).expect("serializable").len();
    let sales_json_bytes = serde_json::to_vec(&sales_data).expect("serializable").len();

    let direct = MemoryStore::new(Duration::from_secs(3600));
    let sids: Vec<String> = (0..IDLE_SESSIONS).map(|_| random_token()).collect();
    let before = rss_bytes();
    for sid in &sids {
        direct.save_data(sid, Arc::new(counter_data.clone()));
    }
    let after = rss_bytes();
    let data_bytes_per_session = after.saturating_sub(before) as f64 / IDLE_SESSIONS as f64;

    // The whole server-side session (actix-session record + data) made over HTTP.
    let server = TestApp::spawn(settings_for(StoreSettings::Memory));
    let client = reqwest::Client::builder().no_proxy().timeout(HTTP_REQUEST_TIMEOUT).build().expect("a client");
    rt.block_on(make_idle_sessions(&client, &server.address, IDLE_WARMUP_SESSIONS));
    std::thread::sleep(Duration::from_millis(200));
    let count_before = session_count(&server.store);
    let before = rss_bytes();
    rt.block_on(make_idle_sessions(&client, &server.address, IDLE_SESSIONS));
    std::thread::sleep(Duration::from_millis(200));
    let after = rss_bytes();
    let http_sessions_counted = session_count(&server.store) - count_before;
    let http_bytes_per_session = after.saturating_sub(before) as f64 / IDLE_SESSIONS as f64;
    drop(server);
    drop(direct);

    let result = IdleResult {
        sessions: IDLE_SESSIONS,
        http_bytes_per_session,
        http_sessions_counted,
        data_bytes_per_session,
        counter_json_bytes,
        sales_json_bytes,
    };
    println!("\n[idle-sessions] {} sessions on the in-memory store, RSS from /proc/self/statm", result.sessions);
    println!(
        "  over HTTP (GET /counter + 1 click each; {} new sessions in the store): {:.0} bytes/session",
        result.http_sessions_counted, result.http_bytes_per_session
    );
    println!("  SessionData only, via Store::save: {:.0} bytes/session", result.data_bytes_per_session);
    println!(
        "  serialized SessionData: counter {} bytes, sales {} bytes (JSON)",
        result.counter_json_bytes, result.sales_json_bytes
    );
    result
}

// ---------------------------------------------------------------------------------------------
// Summary

#[derive(Default)]
struct Summary {
    reruns: Vec<RerunResult>,
    http: Vec<HttpResult>,
    idle: Option<IdleResult>,
}

fn verdict(met: bool) -> &'static str {
    if met { "MET" } else { "MISSED" }
}

impl Summary {
    fn print(&self) {
        println!("\n================================ summary ================================");
        if !self.reruns.is_empty() {
            println!("\nrerun + render (in-process, µs)");
            println!(
                "  {:<10} {:>9} {:>9} {:>9} {:>11} {:>11}   target",
                "page", "p50", "p99", "mean", "run p50", "render p50"
            );
            for r in &self.reruns {
                let target = if r.name == "counter" || r.name == "demo" {
                    format!("p50 < {} µs: {}", TARGET_RERUN_P50.as_micros(), verdict(r.total.p50 < TARGET_RERUN_P50))
                } else {
                    String::new()
                };
                println!(
                    "  {:<10} {:>9.1} {:>9.1} {:>9.1} {:>11.1} {:>11.1}   {target}",
                    r.name,
                    us(r.total.p50),
                    us(r.total.p99),
                    us(r.total.mean),
                    us(r.run.p50),
                    us(r.render.p50)
                );
            }
        }
        if !self.http.is_empty() {
            println!("\nHTTP interactions ({} s per scenario, latency in ms)", HTTP_DURATION.as_secs());
            println!(
                "  {:<8} {:<28} {:>8} {:>9} {:>8} {:>8} {:>7}   target",
                "store", "interaction", "sessions", "req/s", "p50", "p99", "errors"
            );
            for r in &self.http {
                let target = if r.store == "memory" && r.interaction == Interaction::CounterClick && r.sessions == 50 {
                    format!(">= {TARGET_RPS_50_MEMORY:.0} req/s: {}", verdict(r.rps >= TARGET_RPS_50_MEMORY))
                } else if r.store == "memory" && r.interaction == Interaction::DemoClick && r.sessions == 50 {
                    format!(">= {TARGET_RPS_DEMO:.0} req/s: {}", verdict(r.rps >= TARGET_RPS_DEMO))
                } else {
                    String::new()
                };
                println!(
                    "  {:<8} {:<28} {:>8} {:>9.0} {:>8.2} {:>8.2} {:>7}   {target}",
                    r.store,
                    r.interaction.describe(),
                    r.sessions,
                    r.rps,
                    ms(r.latency.p50),
                    ms(r.latency.p99),
                    r.errors
                );
            }
            println!(
                "\nCPU per HTTP interaction (µs of CPU per 200 response), and load in cores \
                 (busy: all CPUs; rest: busy minus bench and redis; steal: hypervisor)"
            );
            println!(
                "  {:<8} {:<28} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>6} {:>6} {:>6}",
                "store",
                "interaction",
                "sessions",
                "workers",
                "scripts",
                "client",
                "redis",
                "total",
                "busy",
                "rest",
                "steal"
            );
            for r in &self.http {
                let c = &r.cpu;
                let per = |seconds: f64| if r.ok == 0 { 0.0 } else { seconds * 1e6 / r.ok as f64 };
                println!(
                    "  {:<8} {:<28} {:>8} {:>8.0} {:>8.0} {:>8.0} {:>8.0} {:>7.0} {:>6.2} {:>6.2} {:>6.2}",
                    r.store,
                    r.interaction.describe(),
                    r.sessions,
                    per(c.server),
                    per(c.scripts),
                    per(c.client),
                    per(c.redis),
                    per(c.process + c.redis),
                    c.machine / c.wall,
                    c.other_processes() / c.wall,
                    c.steal / c.wall
                );
            }
        }
        if let Some(idle) = &self.idle {
            println!("\nidle sessions on the in-memory store ({} sessions)", idle.sessions);
            println!(
                "  RSS per session, over HTTP (record + data): {:.0} bytes; target < {TARGET_IDLE_BYTES:.0}: {}",
                idle.http_bytes_per_session,
                verdict(idle.http_bytes_per_session < TARGET_IDLE_BYTES)
            );
            println!("  RSS per session, SessionData via Store::save: {:.0} bytes", idle.data_bytes_per_session);
            println!(
                "  serialized SessionData (JSON): counter {} bytes, sales {} bytes",
                idle.counter_json_bytes, idle.sales_json_bytes
            );
        }
    }
}
