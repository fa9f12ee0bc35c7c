//! Bounded waits: every request answers within the configured bound when its session is busy
//! or the store is slow or silent, with a 503 that says to retry (Retry-After) and applies
//! nothing; what was acknowledged before stays.

use std::time::{Duration, Instant};

use runnel::config::{LockTiming, StoreSettings};

use crate::client::{Answer, Session, metric_value};
use crate::support::{RedisServer, ScriptDir, TestApp};
use crate::{StoreKind, both_stores};

const SLOW_COUNTER: &str = r#"
if !("count" in state) { state.count = 0; }
if button("Slow add") { sleep(4.0); state.count += 1; }
if button("Increment") { state.count += 1; }
metric("Count", state.count);
"#;

/// The bound the tests configure, and the slack they allow for scheduling on a busy machine.
const BOUND: Duration = Duration::from_millis(1200);
const SLACK: Duration = Duration::from_millis(1000);

both_stores!(a_click_waiting_for_a_busy_session_is_refused_within_the_bound);

fn app_with_bound(dir: &ScriptDir, redis: Option<&RedisServer>) -> TestApp {
    let mut settings = dir.settings(false);
    if let Some(redis) = redis {
        // A Redis command alone would wait up to twice this (4 s) for its answer, and the lock
        // alone 10 s: the request's bound must cut both short.
        settings.store = StoreSettings::Redis { url: redis.url(), timeout: Duration::from_secs(2) };
    }
    settings.session_lock = LockTiming { wait: Duration::from_secs(10), ..LockTiming::default() };
    settings.max_wait = BOUND;
    settings.limits.max_run_time = Duration::from_secs(8);
    TestApp::spawn(settings)
}

fn assert_refused_in_time(answer: &Answer, took: Duration) {
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(answer.headers.contains_key("retry-after"), "a 503 says when to retry");
    assert!(took < BOUND + SLACK, "answered after {took:?}, the bound is {BOUND:?}");
}

async fn timed<F: Future<Output = Answer>>(request: F) -> (Answer, Duration) {
    let started = Instant::now();
    let answer = request.await;
    (answer, started.elapsed())
}

async fn a_click_waiting_for_a_busy_session_is_refused_within_the_bound(kind: StoreKind) {
    let dir = ScriptDir::with(&[("slow.rhai", SLOW_COUNTER)]);
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let app = app_with_bound(&dir, redis.as_ref());
    let mut session = Session::new(&app);
    session.open("/slow").await;
    let slow_tab = session.tab();
    let slow = tokio::spawn(async move { slow_tab.click("slow", "button:Slow add").await });
    // Once a page load of the session is refused, the slow click holds the session.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (answer, took) = timed(session.get("/slow")).await;
        if answer.status == 503 {
            assert_refused_in_time(&answer, took);
            break;
        }
        assert!(Instant::now() < deadline, "the slow click never held the session");
    }
    let (refused, took) = timed(session.click("slow", "button:Increment")).await;
    assert_refused_in_time(&refused, took);
    assert!(refused.body.contains("was not applied"), "{}", refused.body);
    let slow = slow.await.unwrap();
    assert_eq!(slow.status, 200, "the slow run is not cut by the bound: {}", slow.body);
    assert_eq!(session.count_on("/slow").await, "1", "only the slow click was applied");
}

#[tokio::test]
async fn with_redis_paused_every_request_answers_within_the_bound_not_the_command_timeout_and_nothing_acknowledged_is_lost()
 {
    let dir = ScriptDir::with(&[("slow.rhai", SLOW_COUNTER)]);
    let redis = RedisServer::start();
    let app = app_with_bound(&dir, Some(&redis));
    let mut session = Session::new(&app);
    session.open("/slow").await;
    for _ in 0..2 {
        assert_eq!(session.click("slow", "button:Increment").await.status, 200);
    }
    let pid = redis.pid().to_string();
    crate::outage::signal(&pid, "STOP");
    // Eight requests of one session at once; without the bound each would wait out the
    // Redis command timeout (4 s here).
    let requests = (0..8).map(|n| {
        let tab = session.tab();
        tokio::spawn(async move {
            if n % 4 == 0 { timed(tab.get("/slow")).await } else { timed(tab.click("slow", "button:Increment")).await }
        })
    });
    let answers: Vec<(Answer, Duration)> =
        futures_util::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();
    crate::outage::signal(&pid, "CONT");
    for (answer, took) in &answers {
        assert_refused_in_time(answer, *took);
    }
    let unknown = answers.iter().filter(|(a, _)| a.body.contains("may or may not")).count();
    // Redis runs what it received while paused once it resumes, so a click answered "may or may
    // not have been applied" may count; one answered "not applied" never does.
    let deadline = Instant::now() + Duration::from_secs(15);
    let page = loop {
        let page = session.get("/slow").await;
        if page.status == 200 {
            break page;
        }
        assert!(Instant::now() < deadline, "the host did not recover: {}", page.body);
    };
    let count: usize = metric_value(&page.body).parse().unwrap();
    assert!((2..=2 + unknown).contains(&count), "count {count}: 2 acknowledged, {unknown} unknown");
}
