//! Element patches (issue 11): a request that says what the page holds (`X-Runnel-Have`) is
//! answered with the elements that changed, and anything else with the whole fragment as before.

use serde_json::Value;

use crate::client::{Answer, Session, digest, have_in, metric_value, start};
use crate::{StoreKind, both_stores};

both_stores!(
    a_click_with_the_pages_have_answers_a_small_patch_that_changes_only_the_count,
    a_stale_have_gets_a_patch_from_what_it_holds,
    a_garbage_have_gets_the_whole_fragment_as_before,
    csrf_and_bad_input_answer_as_without_a_have,
);

const PATCH_TYPE: &str = "application/vnd.runnel.patch+json";

fn patch_of(answer: &Answer) -> Value {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], PATCH_TYPE, "{}", answer.body);
    serde_json::from_str(&answer.body).expect("a patch is JSON")
}

async fn click_holding(session: &Session, have: &str) -> Answer {
    session.click_with_headers("counter", "button:Increment", &[("X-Runnel-Have", have)]).await
}

async fn a_click_with_the_pages_have_answers_a_small_patch_that_changes_only_the_count(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let have = have_in(&session.open("/counter").await.body);

    let answer = click_holding(&session, &have).await;
    assert!(answer.body.len() < 2048, "{} bytes: {}", answer.body.len(), answer.body);
    assert_eq!(answer.headers.get("content-encoding"), None, "a small patch is not compressed");
    let patch = patch_of(&answer);
    assert_eq!(patch["base"], digest(&have));
    assert_eq!(patch["frame"], Value::Null);
    let ops = patch["ops"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "only the count changed: {ops:?}");
    assert_eq!(ops[0]["op"], "replace");
    assert_eq!(metric_value(ops[0]["html"].as_str().unwrap()), "1");

    let now = session.get_fragment("/counter").await;
    assert_eq!(patch["version"], digest(&have_in(&now.body)), "the version names the page a full render shows");
}

async fn a_stale_have_gets_a_patch_from_what_it_holds(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let first = have_in(&session.open("/counter").await.body);
    session.click("counter", "button:Increment").await;

    let patch = patch_of(&click_holding(&session, &first).await);
    assert_eq!(patch["base"], digest(&first), "the patch names the list it was computed against");
    let ops = patch["ops"].as_array().unwrap();
    assert!(matches!(ops.as_slice(), [op] if metric_value(op["html"].as_str().unwrap()) == "2"), "{ops:?}");
}

async fn a_garbage_have_gets_the_whole_fragment_as_before(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    session.open("/counter").await;
    let oversized = format!("0000000000000000;{}", "m.0:0000000000000000,".repeat(1000));
    for have in ["garbage", "0000000000000000;m.0:zz", oversized.as_str()] {
        let answer = click_holding(&session, have).await;
        assert_eq!(answer.status, 200);
        assert!(answer.headers["content-type"].to_str().unwrap().starts_with("text/html"), "{have:.40}");
        assert!(answer.body.contains("data-rn-frame") && !answer.body.contains("<html"), "the whole fragment");
    }
    assert_eq!(session.count().await, "3");
}

async fn csrf_and_bad_input_answer_as_without_a_have(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let have = have_in(&session.open("/counter").await.body);
    let real = std::mem::replace(&mut session.csrf, "forged".into());
    assert_eq!(click_holding(&session, &have).await.status, 403);
    session.csrf = real;
    let unknown = session.click_with_headers("counter", "button:Nope", &[("X-Runnel-Have", &have)]).await;
    let without = session.click("counter", "button:Nope").await;
    assert_eq!(unknown.status, without.status);
    assert!(unknown.status.is_client_error());
    let slider = [("csrf", session.csrf.as_str()), ("widget", "slider:key:step"), ("value", "99")];
    let body = serde_urlencoded::to_string(slider).unwrap();
    let out_of_range =
        session.post_with_headers("/counter/event", body.into_bytes(), true, &[("X-Runnel-Have", &have)]).await;
    assert_eq!(out_of_range.status, 422, "{}", out_of_range.body);
    assert_eq!(session.count().await, "0", "nothing changed");
}
