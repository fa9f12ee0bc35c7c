//! Untrusted input: each bad request gets a clear 4xx and leaves the state as it was.

use crate::client::{Session, start};
use crate::{StoreKind, both_stores};

both_stores!(
    values_outside_a_widgets_domain_are_refused_and_change_nothing,
    an_unknown_widget_is_404_and_changes_nothing,
    a_missing_or_wrong_csrf_token_is_403_and_changes_nothing,
    invalid_utf8_and_oversized_bodies_are_refused,
    a_refused_form_post_without_javascript_gets_an_error_page,
);

/// Sets up a counter at 1 with the step at 3, to see that refused events change nothing.
async fn counter_at_one(kind: StoreKind) -> (crate::client::Running, Session) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    session.open("/counter").await;
    session.send("counter", "slider:key:step", &["3"]).await;
    session.click("counter", "button:Reset").await;
    session.send("counter", "slider:key:step", &["1"]).await;
    session.click("counter", "button:Increment").await;
    session.send("counter", "slider:key:step", &["3"]).await;
    assert_eq!(session.count().await, "1");
    (running, session)
}

async fn assert_unchanged(session: &Session) {
    let page = session.get("/counter").await;
    assert!(page.body.contains("rn-metric-value\">1<"), "the count changed");
    assert!(page.body.contains("value=\"3\""), "the step changed");
}

async fn values_outside_a_widgets_domain_are_refused_and_change_nothing(kind: StoreKind) {
    let (_running, session) = counter_at_one(kind).await;
    for bad in ["11", "0", "-5", "NaN", "1.5", "three", "", "99999999999999999999999"] {
        let answer = session.send("counter", "slider:key:step", &[bad]).await;
        assert_eq!(answer.status, 422, "step={bad:?}");
        assert!(answer.body.contains("invalid value"), "{}", answer.body);
    }
    let answer = session.send("counter", "slider:key:step", &[]).await;
    assert_eq!(answer.status, 422);
    assert_unchanged(&session).await;
}

async fn an_unknown_widget_is_404_and_changes_nothing(kind: StoreKind) {
    let (_running, session) = counter_at_one(kind).await;
    let answer = session.click("counter", "button:Launch missiles").await;
    assert_eq!(answer.status, 404);
    assert!(answer.body.contains("unknown widget"));
    let other_page = session.click("hello", "button:Increment").await;
    assert_eq!(other_page.status, 404, "widgets belong to their page");
    assert_unchanged(&session).await;
}

async fn a_missing_or_wrong_csrf_token_is_403_and_changes_nothing(kind: StoreKind) {
    let (running, mut session) = counter_at_one(kind).await;
    let missing = session.post_raw("counter", b"widget=button%3AIncrement&value=true".to_vec(), true).await;
    assert_eq!(missing.status, 403);
    let real = std::mem::replace(&mut session.csrf, "forged".into());
    assert_eq!(session.click("counter", "button:Increment").await.status, 403);
    session.csrf = real.clone();
    // A stranger with the victim's token but not the cookie is refused too.
    let mut stranger = Session::new(&running.app);
    stranger.open("/counter").await;
    stranger.csrf = real;
    assert_eq!(stranger.click("counter", "button:Increment").await.status, 403);
    assert_unchanged(&session).await;
}

async fn invalid_utf8_and_oversized_bodies_are_refused(kind: StoreKind) {
    let (_running, session) = counter_at_one(kind).await;
    let csrf = session.csrf.clone();
    let raw = [format!("csrf={csrf}&widget=button%3AIncrement&value=").into_bytes(), vec![0xff, 0xfe]].concat();
    assert_eq!(session.post_raw("counter", raw, true).await.status, 400);
    let escaped = format!("csrf={csrf}&widget=button%3AIncrement&value=%FF%FE").into_bytes();
    assert_eq!(session.post_raw("counter", escaped, true).await.status, 400);
    let huge = format!("csrf={csrf}&widget=button%3AIncrement&value={}", "x".repeat(200_000)).into_bytes();
    let answer = session.post_raw("counter", huge, true).await;
    assert_eq!(answer.status, 413);
    assert!(answer.body.contains("larger than"));
    let no_widget = format!("csrf={csrf}&value=true").into_bytes();
    assert_eq!(session.post_raw("counter", no_widget, true).await.status, 400);
    assert_unchanged(&session).await;
}

async fn a_refused_form_post_without_javascript_gets_an_error_page(kind: StoreKind) {
    let (_running, session) = counter_at_one(kind).await;
    let body = format!("csrf={}&widget=slider%3Akey%3Astep&value=42", session.csrf).into_bytes();
    let answer = session.post_raw("counter", body, false).await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("<h1>Invalid value</h1>"));
    assert!(answer.body.contains("42 is outside 1..=10"));
    assert_unchanged(&session).await;
}
