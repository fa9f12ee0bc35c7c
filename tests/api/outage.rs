//! A Redis outage: a clear 503 page quickly, nothing lost, and recovery without a restart.

use std::time::{Duration, Instant};

use crate::StoreKind;
use crate::client::{Session, metric_value, start};

#[tokio::test]
async fn with_redis_stopped_pages_answer_503_quickly_and_recover_when_it_returns() {
    let mut running = start(StoreKind::Redis);
    let mut session = Session::new(&running.app);
    session.open("/counter").await;
    session.click("counter", "button:Increment").await;
    session.click("counter", "button:Increment").await;

    running.redis.as_mut().unwrap().stop();
    for attempt in [
        session.get("/counter").await,
        session.click("counter", "button:Increment").await,
        Session::new(&running.app).get("/counter").await,
    ] {
        assert_eq!(attempt.status, 503, "{}", attempt.body);
        assert!(attempt.body.contains("unavailable"), "a clear message: {}", attempt.body);
    }
    let started = Instant::now();
    let answer = session.get("/counter").await;
    assert_eq!(answer.status, 503);
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert!(answer.body.contains("<h1>Temporarily unavailable</h1>"), "an error page, not an empty 500");
    assert_eq!(Session::new(&running.app).get("/readyz").await.status, 503);

    // A private server keeps nothing on disk, so the restarted one is empty: the host must
    // serve again by itself (a fresh session), without a restart of its own.
    running.redis.as_mut().unwrap().restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut fresh = Session::new(&running.app);
    loop {
        let page = fresh.open("/counter").await;
        if page.status == 200 {
            assert_eq!(metric_value(&page.body), "0");
            break;
        }
        assert!(Instant::now() < deadline, "the host did not recover: {}", page.status);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fresh.click("counter", "button:Increment").await;
    assert_eq!(fresh.count().await, "1");
}

#[tokio::test]
async fn state_written_before_an_outage_is_intact_after_a_brief_one() {
    // Pause Redis (SIGSTOP) instead of killing it, so its data survives the outage.
    let running = start(StoreKind::Redis);
    let mut session = Session::new(&running.app);
    session.open("/counter").await;
    session.click("counter", "button:Increment").await;
    let pid = running.redis.as_ref().unwrap().pid().to_string();
    signal(&pid, "STOP");
    let started = Instant::now();
    let answer = session.click("counter", "button:Increment").await;
    signal(&pid, "CONT");
    assert_eq!(answer.status, 503);
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = session.get("/counter").await;
        if page.status == 200 {
            assert_eq!(metric_value(&page.body), "1", "the stored count survived");
            break;
        }
        assert!(Instant::now() < deadline, "the host did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn signal(pid: &str, name: &str) {
    std::process::Command::new("kill").args([&format!("-{name}"), pid]).status().unwrap();
}
