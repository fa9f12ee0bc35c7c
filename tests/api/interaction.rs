//! Interactions: events, state per session, post/redirect/get, and no lost updates.

use crate::client::{Session, metric_value, start, start_with};
use crate::support::{self, TestApp};
use crate::{StoreKind, both_stores};

both_stores!(
    clicks_rerun_the_script_and_the_state_survives,
    each_browser_session_has_its_own_state,
    a_form_post_without_javascript_redirects_and_a_refresh_does_not_resubmit,
    unchanged_state_is_not_written_to_the_store,
    fifty_concurrent_clicks_on_one_session_count_fifty,
);

async fn clicks_rerun_the_script_and_the_state_survives(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    session.open("/counter").await;
    for expected in ["1", "2", "3"] {
        let fragment = session.click("counter", "button:Increment").await;
        assert_eq!(fragment.status, 200);
        assert!(!fragment.body.contains("<html"), "an interaction answers with a fragment");
        assert_eq!(metric_value(&fragment.body), expected);
    }
    let slider = session.send("counter", "slider:key:step", &["5"]).await;
    assert_eq!(slider.status, 200);
    session.click("counter", "button:Increment").await;
    assert_eq!(session.count().await, "8");
}

async fn each_browser_session_has_its_own_state(kind: StoreKind) {
    let running = start(kind);
    let mut alice = Session::new(&running.app);
    let mut bob = Session::new(&running.app);
    alice.open("/counter").await;
    bob.open("/counter").await;
    alice.click("counter", "button:Increment").await;
    alice.click("counter", "button:Increment").await;
    assert_eq!(alice.count().await, "2");
    assert_eq!(bob.count().await, "0");
}

async fn a_form_post_without_javascript_redirects_and_a_refresh_does_not_resubmit(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    session.open("/hello").await;
    let body = format!("csrf={}&widget=button%3AWave&value=true", session.csrf);
    let writes = running.app.store.data_writes();
    let posted = session.post_raw("hello", body.into_bytes(), false).await;
    assert_eq!(posted.status, 303);
    assert_eq!(running.app.store.data_writes(), writes + 1, "one write holds the new state and the result to show");
    assert_eq!(posted.headers["location"], "/hello");
    let after = session.get("/hello").await;
    assert!(after.body.contains("a button is true for exactly one run"), "the press shows after the redirect");
    let refreshed = session.get("/hello").await;
    assert!(!refreshed.body.contains("a button is true for exactly one run"), "a refresh does not resubmit");
}

async fn unchanged_state_is_not_written_to_the_store(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    session.open("/counter").await;
    let writes = running.app.store.data_writes();
    session.get("/counter").await;
    session.get("/counter").await;
    assert_eq!(running.app.store.data_writes(), writes, "a rerun that changes nothing writes nothing");
    session.click("counter", "button:Increment").await;
    assert_eq!(running.app.store.data_writes(), writes + 1);
}

/// On Redis the clicks are split over two instances that share the store.
async fn fifty_concurrent_clicks_on_one_session_count_fifty(kind: StoreKind) {
    let running = start_with("tests/fixtures", kind);
    let second = (kind == StoreKind::Redis)
        .then(|| TestApp::spawn(support::settings("tests/fixtures", kind, running.redis.as_ref())));
    let mut session = Session::new(&running.app);
    session.open("/slow").await;
    let other_base = second.as_ref().map_or(running.app.address.clone(), |app| app.address.clone());
    let mut clicks = Vec::new();
    for i in 0..50 {
        let mut clone = Session::at(if i % 2 == 0 { &running.app.address } else { &other_base });
        clone.client = session.client.clone();
        clone.csrf = session.csrf.clone();
        clicks.push(tokio::spawn(async move { clone.click("slow", "button:Add").await.status }));
    }
    for click in clicks {
        assert_eq!(click.await.unwrap(), 200);
    }
    let page = session.get("/slow").await;
    assert_eq!(metric_value(&page.body), "50");
}
