//! The per-session lock (DESIGN.md, invariant 2, "No lost updates"), whatever the run length:
//! a Redis lock's lease is renewed while its run goes on, a holder whose lease was lost cannot
//! write, both stores wait the same bounded time and then say the event was not applied, and a
//! retried event is applied once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_redis::redis;
use runnel::config::{LockTiming, Settings, StoreSettings};
use runnel::session_state::SessionData;
use runnel::session_store::{Store, StoreError};

use crate::client::{Answer, Session, metric_value};
use crate::support::{RedisServer, ScriptDir, TestApp};
use crate::{StoreKind, both_stores};

const SLOW_COUNTER: &str = r#"
if !("count" in state) { state.count = 0; }
if button("Slow add") { sleep(1.5); state.count += 1; }
if button("Increment") { state.count += 1; }
metric("Count", state.count);
"#;

both_stores!(a_retried_event_is_applied_once, a_session_busy_for_longer_than_the_wait_refuses_the_next_event_unapplied);

fn slow_counter_settings(dir: &ScriptDir, redis: Option<&RedisServer>, timing: LockTiming) -> Settings {
    let mut settings = dir.settings(false);
    if let Some(redis) = redis {
        settings.store = StoreSettings::Redis { url: redis.url(), timeout: Duration::from_millis(500) };
    }
    settings.session_lock = timing;
    settings
}

/// Clicks with an event id, as the page's script does; a retry sends the same id.
async fn click_with_id(session: &Session, widget: &str, id: &str) -> Answer {
    let form = [("csrf", session.csrf.as_str()), ("widget", widget), ("value", "true"), ("event_id", id)];
    session.post_raw("slow", serde_urlencoded::to_string(form).unwrap().into_bytes(), true).await
}

async fn a_retried_event_is_applied_once(kind: StoreKind) {
    let dir = ScriptDir::with(&[("slow.rhai", SLOW_COUNTER)]);
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let app = TestApp::spawn(slow_counter_settings(&dir, redis.as_ref(), LockTiming::default()));
    let mut session = Session::new(&app);
    session.open("/slow").await;
    for _ in 0..3 {
        let answer = click_with_id(&session, "button:Increment", "retry-0001-abcd").await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(metric_value(&answer.body), "1", "the same event id is applied once");
    }
    let next = click_with_id(&session, "button:Increment", "retry-0002-abcd").await;
    assert_eq!(metric_value(&next.body), "2", "a new event id is a new event");
}

async fn a_session_busy_for_longer_than_the_wait_refuses_the_next_event_unapplied(kind: StoreKind) {
    let dir = ScriptDir::with(&[("slow.rhai", SLOW_COUNTER)]);
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let timing = LockTiming { wait: Duration::from_millis(300), lease: Duration::from_secs(2) };
    let app = TestApp::spawn(slow_counter_settings(&dir, redis.as_ref(), timing));
    let mut session = Session::new(&app);
    session.open("/slow").await;
    let slow_tab = session.tab();
    let slow = tokio::spawn(async move { slow_tab.click("slow", "button:Slow add").await });
    // A page load of the same session is refused as busy only while the slow click holds it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while session.get("/slow").await.status != 503 {
        assert!(Instant::now() < deadline, "the slow click never held the session");
    }
    let refused = session.click("slow", "button:Increment").await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(refused.body.contains("was not applied"), "it says the click was not applied: {}", refused.body);
    let slow = slow.await.unwrap();
    assert_eq!(slow.status, 200, "{}", slow.body);
    assert_eq!(session.count_on("/slow").await, "1", "only the slow click was applied");
}

/// The Redis lock keys that exist now.
async fn lock_keys(redis: &RedisServer) -> Vec<String> {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("KEYS").arg("runnel:lock:*").query_async(&mut conn).await.unwrap()
}

#[tokio::test]
async fn a_run_longer_than_the_lease_and_a_click_on_another_instance_both_count() {
    let dir = ScriptDir::with(&[("slow.rhai", SLOW_COUNTER)]);
    let redis = RedisServer::start();
    // The slow run lasts five leases: without renewal the second click would take the lock.
    let timing = LockTiming { wait: Duration::from_secs(10), lease: Duration::from_millis(300) };
    let first = TestApp::spawn(slow_counter_settings(&dir, Some(&redis), timing));
    let second = TestApp::spawn(slow_counter_settings(&dir, Some(&redis), timing));
    let mut session = Session::new(&first);
    session.open("/slow").await;
    let slow_tab = session.tab();
    let slow = tokio::spawn(async move { slow_tab.click("slow", "button:Slow add").await });
    let deadline = Instant::now() + Duration::from_secs(10);
    while lock_keys(&redis).await.is_empty() {
        assert!(Instant::now() < deadline, "the slow click never took the lock");
    }
    let mut other = Session::with_jar(&second.address, session.jar.clone());
    other.csrf = session.csrf.clone();
    let quick = other.click("slow", "button:Increment").await;
    assert_eq!(quick.status, 200, "{}", quick.body);
    assert_eq!(slow.await.unwrap().status, 200);
    assert_eq!(metric_value(&quick.body), "2", "the second click waited for the first");
    assert_eq!(other.count_on("/slow").await, "2");
}

/// Waits until a session lock's lease was renewed by its holder's heartbeat.
async fn wait_for_a_lease_renewal(redis: &RedisServer) {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last: Option<i64> = None;
    loop {
        assert!(Instant::now() < deadline, "no lease was renewed");
        let keys: Vec<String> = redis::cmd("KEYS").arg("runnel:lock:*").query_async(&mut conn).await.unwrap();
        let Some(key) = keys.first() else { continue };
        let left: i64 = redis::cmd("PTTL").arg(key).query_async(&mut conn).await.unwrap();
        if last.is_some_and(|before| left > before) {
            return;
        }
        last = Some(left);
    }
}

fn redis_store(redis: &RedisServer, lease: Duration) -> Store {
    let settings = StoreSettings::Redis { url: redis.url(), timeout: Duration::from_millis(500) };
    Store::from_settings(&settings, Duration::from_secs(60), LockTiming { wait: Duration::from_secs(5), lease })
        .unwrap()
}

fn data_with(count: i64) -> Arc<SessionData> {
    let mut data = SessionData::default();
    data.state.insert("count".into(), count.into());
    Arc::new(data)
}

#[tokio::test]
async fn a_holder_whose_lease_was_taken_over_cannot_write() {
    let redis = RedisServer::start();
    let (one, other) = (redis_store(&redis, Duration::from_secs(30)), redis_store(&redis, Duration::from_secs(30)));
    let stale = one.lock("sid").await.unwrap();
    // The lease runs out under the first holder (here: its key is gone), and another instance
    // takes the session.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    // The lock key carries the data key as its hash tag (one cluster slot for both).
    redis::cmd("DEL").arg("runnel:lock:{runnel:data:sid}").query_async::<()>(&mut conn).await.unwrap();
    let current = other.lock("sid").await.unwrap();
    other.save(&current, "sid", data_with(2)).await.unwrap();

    let refused = one.save(&stale, "sid", data_with(1)).await;
    assert!(matches!(refused, Err(StoreError::LeaseLost)), "{refused:?}");
    assert_eq!(other.load("sid").await.unwrap().unwrap().state["count"], 2, "the newer write stands");
}

#[tokio::test]
async fn a_crashed_holders_lock_frees_the_session_after_its_short_lease() {
    let redis = RedisServer::start();
    // The holder's process dies: its runtime (and so its heartbeat) stops, nothing releases.
    let crashed = std::thread::spawn({
        let url = redis.url();
        move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let settings = StoreSettings::Redis { url, timeout: Duration::from_millis(500) };
            let timing = LockTiming { wait: Duration::from_secs(5), lease: Duration::from_millis(300) };
            let store = Store::from_settings(&settings, Duration::from_secs(60), timing).unwrap();
            let lock = rt.block_on(store.lock("sid")).unwrap();
            std::mem::forget(lock);
        }
    });
    crashed.join().unwrap();
    assert_eq!(lock_keys(&redis).await.len(), 1, "the dead holder's lock is still there");
    // Another instance waits at most its lock wait (5 s), far longer than the 0.3 s lease.
    let survivor = redis_store(&redis, Duration::from_millis(300));
    assert!(survivor.lock("sid").await.is_ok(), "the session is free again once the lease runs out");
}

#[tokio::test]
async fn a_click_cut_off_by_a_redis_pause_is_answered_truthfully_and_its_retry_applies_once() {
    let dir = ScriptDir::with(&[("slow.rhai", SLOW_COUNTER)]);
    let redis = RedisServer::start();
    let app = TestApp::spawn(slow_counter_settings(&dir, Some(&redis), LockTiming::default()));
    let mut session = Session::new(&app);
    session.open("/slow").await;
    let tab = session.tab();
    let click = tokio::spawn(async move { click_with_id(&tab, "button:Slow add", "paused-0001-abcd").await });
    // The lease's first renewal (half a second into the run, long after the data was loaded).
    wait_for_a_lease_renewal(&redis).await;
    // Redis stops answering while the click runs.
    let pid = redis.pid().to_string();
    crate::outage::signal(&pid, "STOP");
    let answer = click.await.unwrap();
    crate::outage::signal(&pid, "CONT");
    assert_eq!(answer.status, 503, "{}", answer.body);
    let said_not_applied = answer.body.contains("nothing was changed") || answer.body.contains("not applied");
    let said_unknown = answer.body.contains("may or may not have been applied");
    assert!(said_not_applied != said_unknown, "one clear statement: {}", answer.body);
    if said_not_applied {
        // The save was never sent (the pool found Redis silent first): then it truly was not.
        let deadline = Instant::now() + Duration::from_secs(15);
        let page = loop {
            let page = session.get("/slow").await;
            if page.status == 200 {
                break page;
            }
            assert!(Instant::now() < deadline, "the host did not recover: {}", page.body);
        };
        assert_eq!(metric_value(&page.body), "0", "said not applied, and it was not");
    }
    // The page's script retries with the same event id: whatever happened to the first save,
    // the click counts once.
    let deadline = Instant::now() + Duration::from_secs(15);
    let retried = loop {
        let retry = click_with_id(&session, "button:Slow add", "paused-0001-abcd").await;
        if retry.status == 200 {
            break retry;
        }
        assert!(Instant::now() < deadline, "the retry never went through: {}", retry.body);
    };
    assert_eq!(metric_value(&retried.body), "1", "applied exactly once");
}
