//! The numbers an operator scrapes at `/metrics`, in Prometheus text format: requests, script
//! runs, limit hits, store operations, sessions, live connections, logins and the data cache.
//! One registry per process, as Prometheus scrapes a process; the layers record into it
//! through the small functions here, which never fail and never block.

use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    page: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram>,
    script_runs: Family<RunLabels, Histogram>,
    limit_hits: Family<LimitLabels, Counter>,
    store_operations: Family<StoreLabels, Histogram>,
    sessions: Gauge,
    live_connections: Gauge,
    logins: Family<OutcomeLabels, Counter>,
    cache_lookups: Family<OutcomeLabels, Counter>,
    cache_entries: Gauge,
}

/// Seconds from 1 ms to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("runnel");
    let m = Metrics {
        requests: Family::new_with_constructor(latency_histogram),
        script_runs: Family::new_with_constructor(latency_histogram),
        limit_hits: Family::default(),
        store_operations: Family::new_with_constructor(latency_histogram),
        sessions: Gauge::default(),
        live_connections: Gauge::default(),
        logins: Family::default(),
        cache_lookups: Family::default(),
        cache_entries: Gauge::default(),
        registry: Registry::default(),
    };
    registry.register("http_request_duration_seconds", "HTTP requests by route and status", m.requests.clone());
    registry.register("script_run_duration_seconds", "Script runs by page and outcome", m.script_runs.clone());
    registry.register("limit_hits", "Requests or runs stopped by a limit, by limit", m.limit_hits.clone());
    registry.register("store_operation_duration_seconds", "Session store operations", m.store_operations.clone());
    registry.register("sessions", "Sessions in the store", m.sessions.clone());
    registry.register("live_connections", "Open live-update streams", m.live_connections.clone());
    registry.register("logins", "Login attempts by outcome", m.logins.clone());
    registry.register("cache_lookups", "Data cache lookups by outcome (hit, miss)", m.cache_lookups.clone());
    registry.register("cache_entries", "Entries in the data cache", m.cache_entries.clone());
    Metrics { registry, ..m }
});

/// One answered request; `route` is the matched pattern (`/{page}/event`), never the raw path.
pub fn request(method: &str, route: &str, status: u16, took: Duration) {
    let labels = RequestLabels { method: method.to_owned(), route: route.to_owned(), status };
    METRICS.requests.get_or_create(&labels).observe(took.as_secs_f64());
}

/// One script run: `outcome` is `ok`, `error` (the page shows a script error) or `refused`.
pub fn script_run(page: &str, outcome: &'static str, took: Duration) {
    let labels = RunLabels { page: page.to_owned(), outcome };
    METRICS.script_runs.get_or_create(&labels).observe(took.as_secs_f64());
}

/// A limit stopped something (`max_operations`, `body_size`, `auth_rate`, …).
pub fn limit_hit(limit: &'static str) {
    METRICS.limit_hits.get_or_create(&LimitLabels { limit }).inc();
}

/// One store operation and whether it succeeded.
pub fn store_operation(operation: &str, ok: bool, took: Duration) {
    let labels = StoreLabels { operation: operation.to_owned(), outcome: if ok { "ok" } else { "error" } };
    METRICS.store_operations.get_or_create(&labels).observe(took.as_secs_f64());
}

/// Everything, with the number of sessions just counted in the store (`None`: it could not be
/// counted, the last count stays). The count is set and the text written in one step, so a
/// scrape shows its own count even while another host in the process (the tests run many) sets
/// one.
pub fn encode_with_sessions(count: Option<u64>) -> String {
    static SCRAPE: Mutex<()> = Mutex::new(());
    let _one_at_a_time = SCRAPE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(count) = count {
        METRICS.sessions.set(i64::try_from(count).unwrap_or(i64::MAX));
    }
    encode()
}

/// Counts an open live-update stream for as long as the returned guard lives.
pub fn live_connection() -> LiveConnection {
    METRICS.live_connections.inc();
    LiveConnection(())
}

pub struct LiveConnection(());

impl Drop for LiveConnection {
    fn drop(&mut self) {
        METRICS.live_connections.dec();
    }
}

pub fn login(succeeded: bool) {
    METRICS.logins.get_or_create(&OutcomeLabels { outcome: if succeeded { "success" } else { "failure" } }).inc();
}

pub fn cache_lookup(hit: bool) {
    METRICS.cache_lookups.get_or_create(&OutcomeLabels { outcome: if hit { "hit" } else { "miss" } }).inc();
}

/// A cache's size changed by `change` entries.
pub fn cache_entries_changed(change: i64) {
    METRICS.cache_entries.inc_by(change);
}

/// Everything, in Prometheus text format (version 0.0.4).
pub fn encode() -> String {
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &METRICS.registry);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_numbers_show_in_the_text() {
        request("GET", "/{page}", 200, Duration::from_millis(3));
        limit_hit("max_operations");
        let text = encode();
        assert!(
            text.contains(
                "runnel_http_request_duration_seconds_count{method=\"GET\",route=\"/{page}\",status=\"200\"}"
            ),
            "{text}"
        );
        assert!(text.contains("runnel_limit_hits_total{limit=\"max_operations\"}"), "{text}");
    }
}
