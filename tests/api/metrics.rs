//! `/metrics`: off unless a token is configured, refused without the token, and in Prometheus
//! text format whose numbers move with the requests, runs, limits, store operations, logins,
//! live connections and sessions they count. The registry is the process's, shared with the
//! tests running beside this one, so the checks compare a scrape before with one after.

use std::collections::HashMap;

use crate::auth_support::{AuthApp, MEMBERS};
use crate::client::Session;
use crate::support::{ADMIN, CredentialsFile};
use crate::{StoreKind, both_stores};

const TOKEN: &str = "scrape-token-0123456789abcdef";

both_stores!(counters_move_with_what_they_count_and_the_text_parses);

/// One scrape: every sample by its series (`name{labels}`), after checking each line parses.
async fn scrape(session: &Session) -> HashMap<String, f64> {
    let response = session.client.get(format!("{}/metrics", session.base)).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            assert!(comment.starts_with(" HELP ") || comment.starts_with(" TYPE ") || comment == " EOF", "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        assert!(series.starts_with("runnel_"), "{line}");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        samples.insert(series.to_owned(), value);
    }
    samples
}

fn moved(before: &HashMap<String, f64>, after: &HashMap<String, f64>, series: &str) -> f64 {
    let value = |s: &HashMap<String, f64>| s.get(series).copied().unwrap_or(0.0);
    assert!(after.contains_key(series), "no series {series} in {:#?}", after.keys().collect::<Vec<_>>());
    value(after) - value(before)
}

async fn counters_move_with_what_they_count_and_the_text_parses(kind: StoreKind) {
    let running = AuthApp::build(kind, CredentialsFile::sample(), None, |s| s.metrics_token = Some(TOKEN.into()));
    let mut session = Session::new(&running.app);
    let before = scrape(&session).await;
    session.open("/counter").await;
    for _ in 0..3 {
        assert_eq!(session.click("counter", "button:Increment").await.status, 200);
    }
    assert_eq!(session.get("/no-such-page").await.status, 404);
    session.open(&format!("/{MEMBERS}")).await;
    session.login(MEMBERS, (ADMIN.0, "not the password")).await;
    session.login(MEMBERS, ADMIN).await;
    let oversized = vec![b'a'; 70 * 1024];
    assert_eq!(session.post_raw("counter", oversized, true).await.status, 413);
    let mut live = session.client.get(running.app.url("/_live/counter")).send().await.unwrap();
    live.chunk().await.unwrap();
    let after = scrape(&session).await;

    let requests = |route: &str, method: &str, status: u16| {
        format!(
            "runnel_http_request_duration_seconds_count{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        )
    };
    assert!(moved(&before, &after, &requests("/{page}/event", "POST", 200)) >= 3.0);
    assert!(moved(&before, &after, &requests("/{page}", "GET", 404)) >= 1.0);
    let buckets = after.keys().filter(|s| s.starts_with("runnel_http_request_duration_seconds_bucket{"));
    assert!(buckets.filter(|s| s.contains("route=\"/{page}/event\"") && s.contains("le=")).count() > 10, "a histogram");
    assert!(moved(&before, &after, "runnel_script_run_duration_seconds_count{page=\"counter\",outcome=\"ok\"}") >= 4.0);
    assert!(moved(&before, &after, "runnel_logins_total{outcome=\"failure\"}") >= 1.0);
    assert!(moved(&before, &after, "runnel_logins_total{outcome=\"success\"}") >= 1.0);
    assert!(moved(&before, &after, "runnel_limit_hits_total{limit=\"body_size\"}") >= 1.0);
    let lock = "runnel_store_operation_duration_seconds_count{operation=\"session lock\",outcome=\"ok\"}";
    assert!(moved(&before, &after, lock) >= 4.0);
    if kind == StoreKind::Redis {
        let save = "runnel_store_operation_duration_seconds_count{operation=\"save\",outcome=\"ok\"}";
        assert!(moved(&before, &after, save) >= 3.0);
    }
    assert!(after["runnel_live_connections"] >= 1.0, "the open live stream is counted");
    assert!(after["runnel_sessions"] >= 1.0, "this test's session is in the store");
    drop(live);
}

#[tokio::test]
async fn metrics_are_off_without_a_token_and_refused_without_the_right_one() {
    let off = AuthApp::build(StoreKind::Memory, CredentialsFile::sample(), None, |_| {});
    assert_eq!(Session::new(&off.app).get("/metrics").await.status, 404);
    let on =
        AuthApp::build(StoreKind::Memory, CredentialsFile::sample(), None, |s| s.metrics_token = Some(TOKEN.into()));
    let session = Session::new(&on.app);
    let anonymous = session.get("/metrics").await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.headers.contains_key("www-authenticate"));
    let wrong =
        session.client.get(on.app.url("/metrics")).bearer_auth("scrape-token-guessed-wrong").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(!scrape(&session).await.is_empty());
}

#[tokio::test]
async fn script_limits_are_counted_by_limit() {
    let dir = crate::support::ScriptDir::with(&[("spin.rhai", "let n = 0; loop { n += 1; }")]);
    let mut settings = dir.settings(false);
    settings.metrics_token = Some(TOKEN.into());
    settings.limits.max_operations = 10_000;
    let app = crate::support::TestApp::spawn(settings);
    let session = Session::new(&app);
    let before = scrape(&session).await;
    assert!(session.get("/spin").await.body.contains("max_operations"));
    let after = scrape(&session).await;
    assert!(moved(&before, &after, "runnel_limit_hits_total{limit=\"max_operations\"}") >= 1.0);
    assert!(moved(&before, &after, "runnel_script_run_duration_seconds_count{page=\"spin\",outcome=\"error\"}") >= 1.0);
}

#[tokio::test]
async fn data_cache_hits_and_size_are_counted() {
    let mut settings = crate::support::settings("scripts", StoreKind::Memory, None);
    settings.metrics_token = Some(TOKEN.into());
    let app = crate::support::TestApp::spawn(settings);
    let session = Session::new(&app);
    let before = scrape(&session).await;
    for _ in 0..2 {
        assert_eq!(session.get("/explorer").await.status, 200);
    }
    let after = scrape(&session).await;
    assert!(moved(&before, &after, "runnel_cache_lookups_total{outcome=\"hit\"}") >= 1.0, "the second load hits");
    assert!(after["runnel_cache_entries"] >= 1.0);
}
