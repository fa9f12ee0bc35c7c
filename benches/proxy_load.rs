//! Load through the whole deployment: nginx (the shipped `deploy/nginx/runnel.conf`) in front of
//! three `runnel` processes over Redis, as an operator runs it. Run with
//!
//! ```text
//! cargo bench --bench proxy_load -- [--sessions 200] [--seconds 60] [--redis-url URL]
//! ```
//!
//! Without `--redis-url` a private `redis-server` is started, or with `--cluster` a private
//! Redis Cluster of 3 primaries and 3 replicas; with `--redis-url`, the URL is passed to every
//! instance's `--redis-url` unchanged. The instances serve the
//! example scripts under `/apps/sales` and trust nginx's forwarded headers.
//!
//! Each session is a browser of its own (its own cookie jar, from its own loopback address, so
//! that the per-client limits see separate clients, as they would in production): it opens the
//! counter page, then clicks `Increment` as fast as its answers come back until the time is up.
//! A click counts as acknowledged when it is answered 200. At the end every session reloads its
//! page: its count must equal its acknowledged clicks. Reported: clicks per second, p50/p90/p99
//! and max latency of a click, errors by kind, sessions whose count is exact, and each
//! instance's resident memory (VmRSS) before and after the load.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use clap::Parser;

use support::nginx::Nginx;
use support::redis_deployments::RedisCluster;
use support::server::{free_port, wait_for_port};
use support::{RedisServer, csrf_in};

const PREFIX: &str = "/apps/sales";
const INCREMENT: &str = "button:Increment";
/// Longest wait for one answer; a click without an answer by then is an error of unknown outcome.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Load through nginx over three instances over Redis.
#[derive(Debug, Parser)]
struct Options {
    /// Concurrent sessions, each clicking in a loop.
    #[arg(long, default_value_t = 200)]
    sessions: usize,
    /// How long the sessions click, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// The instances' Redis (passed through to --redis-url); a private redis-server without it.
    #[arg(long, conflicts_with = "cluster")]
    redis_url: Option<String>,
    /// Start a private Redis Cluster (3 primaries, 3 replicas) for the instances.
    #[arg(long)]
    cluster: bool,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    let options = Options::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run(options));
}

async fn run(options: Options) {
    let private = PrivateRedis::start(&options);
    let redis_url = options.redis_url.clone().unwrap_or_else(|| private.url());
    let instances: Vec<Instance> = (0..3).map(|n| Instance::start(n, &redis_url)).collect();
    let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
    let nginx = Nginx::start(&ports).unwrap_or_else(|e| panic!("{e}"));
    let base = nginx.url(PREFIX);
    println!(
        "proxy_load: {} sessions for {} s through nginx :{} over instances {ports:?}, Redis {}",
        options.sessions,
        options.seconds,
        nginx.port,
        private.describe(),
    );

    let rss_before: Vec<Option<u64>> = instances.iter().map(Instance::rss_kib).collect();
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let started = Instant::now();
    let tasks: Vec<_> =
        (0..options.sessions).map(|n| tokio::spawn(session(base.clone(), client_address(n), deadline))).collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("a session task"));
    }
    let elapsed = started.elapsed();
    let rss_after: Vec<Option<u64>> = instances.iter().map(Instance::rss_kib).collect();
    report(&options, &outcomes, elapsed, &rss_before, &rss_after);
    for instance in &instances {
        instance.report_problems();
    }
    drop(nginx);
}

/// The loopback address of session `n`: 127.0.1.1, 127.0.1.2, … (never nginx's 127.0.0.1).
fn client_address(n: usize) -> IpAddr {
    let n = n as u32;
    IpAddr::V4(Ipv4Addr::new(127, 0, 1 + (n / 250) as u8, (n % 250) as u8 + 1))
}

/// What one session saw.
#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    acknowledged: u64,
    /// Errors by kind (`HTTP 503`, `timeout`, `connection`).
    errors: BTreeMap<String, u64>,
    /// Errors after which the click may or may not have been applied (no answer).
    unknown: u64,
    /// The count the page shows at the end (`None`: it could not be read).
    final_count: Option<u64>,
}

async fn session(base: String, address: IpAddr, deadline: Instant) -> Outcome {
    let mut outcome = Outcome::default();
    let client = reqwest::Client::builder()
        .local_address(address)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("a client");
    let Some(csrf) = open_counter(&client, &base).await else {
        *outcome.errors.entry("first page".into()).or_default() += 1;
        return outcome;
    };
    let body = serde_urlencoded::to_string([("csrf", csrf.as_str()), ("widget", INCREMENT), ("value", "true")])
        .expect("a form");
    while Instant::now() < deadline {
        let started = Instant::now();
        let answer = client
            .post(format!("{base}/counter/event"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Runnel-Fragment", "1")
            .body(body.clone())
            .send()
            .await;
        let answer = match answer {
            Ok(response) => {
                let status = response.status();
                response.bytes().await.map(|_| status)
            }
            Err(err) => Err(err),
        };
        match answer {
            Ok(status) if status == 200 => {
                outcome.acknowledged += 1;
                outcome.latencies.push(started.elapsed());
            }
            Ok(status) => *outcome.errors.entry(format!("HTTP {}", status.as_u16())).or_default() += 1,
            Err(err) => {
                outcome.unknown += 1;
                let kind = if err.is_timeout() { "timeout" } else { "connection" };
                *outcome.errors.entry(kind.into()).or_default() += 1;
            }
        }
    }
    outcome.final_count = count(&client, &base).await;
    outcome
}

/// Opens the counter page; its CSRF token.
async fn open_counter(client: &reqwest::Client, base: &str) -> Option<String> {
    let page = client.get(format!("{base}/counter")).send().await.ok()?;
    csrf_in(&page.text().await.ok()?)
}

/// The count the counter page shows.
async fn count(client: &reqwest::Client, base: &str) -> Option<u64> {
    let page = client.get(format!("{base}/counter")).send().await.ok()?.text().await.ok()?;
    let marker = "rn-metric-value\">";
    let start = page.find(marker)? + marker.len();
    page[start..].split('<').next()?.trim().parse().ok()
}

fn report(options: &Options, outcomes: &[Outcome], elapsed: Duration, before: &[Option<u64>], after: &[Option<u64>]) {
    let mut latencies: Vec<Duration> = outcomes.iter().flat_map(|o| o.latencies.iter().copied()).collect();
    latencies.sort();
    let acknowledged: u64 = outcomes.iter().map(|o| o.acknowledged).sum();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for (kind, n) in outcomes.iter().flat_map(|o| o.errors.iter()) {
        *errors.entry(kind.clone()).or_default() += n;
    }
    let exact = outcomes.iter().filter(|o| o.final_count == Some(o.acknowledged)).count();
    let explained = outcomes
        .iter()
        .filter(|o| o.final_count.is_some_and(|c| c > o.acknowledged && c <= o.acknowledged + o.unknown))
        .count();
    let unreadable = outcomes.iter().filter(|o| o.final_count.is_none()).count();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let percentile = |p: f64| latencies.get(((latencies.len() as f64 - 1.0) * p).round() as usize).copied();
    let show = |d: Option<Duration>| d.map_or_else(|| "-".to_owned(), |d| format!("{:.1} ms", ms(d)));
    println!();
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| sessions × duration | {} × {} s (measured {:.1} s) |",
        options.sessions,
        options.seconds,
        elapsed.as_secs_f64()
    );
    println!(
        "| acknowledged clicks | {acknowledged} ({:.0} per second) |",
        acknowledged as f64 / elapsed.as_secs_f64()
    );
    println!(
        "| latency p50 / p90 / p99 / max | {} / {} / {} / {} |",
        show(percentile(0.5)),
        show(percentile(0.9)),
        show(percentile(0.99)),
        show(latencies.last().copied())
    );
    let errors_text = if errors.is_empty() {
        "none".to_owned()
    } else {
        errors.iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", ")
    };
    println!("| errors | {errors_text} |");
    println!(
        "| final count = acknowledged clicks | {exact} of {} sessions{}{} |",
        outcomes.len(),
        if explained > 0 { format!("; {explained} more by clicks whose answer was lost") } else { String::new() },
        if unreadable > 0 { format!("; {unreadable} could not be read") } else { String::new() },
    );
    for (n, (before, after)) in before.iter().zip(after).enumerate() {
        let mib = |kib: &Option<u64>| kib.map_or_else(|| "-".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
        println!("| instance {} resident memory before → after | {} → {} |", n + 1, mib(before), mib(after));
    }
}

/// One `runnel run` process of the release build, its log in a file; killed on drop.
struct Instance {
    port: u16,
    child: Child,
    log: PathBuf,
}

impl Instance {
    fn start(n: usize, redis_url: &str) -> Self {
        let port = free_port();
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        let log = std::env::temp_dir().join(format!("runnel-proxy-load-{}-{n}.log", std::process::id()));
        let file = std::fs::File::create(&log).expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_runnel"))
            .args(["run", "scripts", "--no-watch", "--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--redis-url", redis_url, "--session-key", &key, "--trusted-proxies", "127.0.0.1"])
            .args(["--base-path", PREFIX, "--log-format", "json"])
            // One line per request would cost more than the work measured: warnings only.
            .env("RUST_LOG", "warn")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("the log file"))
            .stderr(file)
            .spawn()
            .expect("runnel starts");
        let mut instance = Self { port, child, log };
        let running = |i: &mut Self| i.child.try_wait().ok().flatten().is_none();
        assert!(
            wait_for_port(port, Duration::from_secs(20), || running(&mut instance)),
            "instance {n} did not start: {}",
            std::fs::read_to_string(&instance.log).unwrap_or_default()
        );
        instance
    }

    /// Resident memory in KiB (`VmRSS` of /proc).
    fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Prints the first warnings and errors the instance logged, if any.
    fn report_problems(&self) {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let problems: Vec<&str> = log.lines().filter(|l| l.contains("\"WARN\"") || l.contains("\"ERROR\"")).collect();
        if !problems.is_empty() {
            println!("instance :{} logged {} warnings or errors, first: {}", self.port, problems.len(), problems[0]);
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The Redis the tool started itself, if any: kept alive until the end of the run.
enum PrivateRedis {
    None,
    Node(RedisServer),
    Cluster(RedisCluster),
}

impl PrivateRedis {
    fn start(options: &Options) -> Self {
        match (&options.redis_url, options.cluster) {
            (Some(_), _) => Self::None,
            (None, true) => Self::Cluster(RedisCluster::start()),
            (None, false) => Self::Node(RedisServer::start()),
        }
    }

    /// The URL of the private Redis (only called without `--redis-url`).
    fn url(&self) -> String {
        match self {
            Self::None => unreachable!("a URL was given"),
            Self::Node(redis) => redis.url(),
            Self::Cluster(cluster) => cluster.url(),
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::None => "given by --redis-url",
            Self::Node(_) => "private redis-server",
            Self::Cluster(_) => "private Redis Cluster (3 primaries, 3 replicas)",
        }
    }
}
