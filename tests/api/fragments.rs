//! Fragments over HTTP (issue 12, point 6): an event on a widget inside a fragment, sent with
//! what the page holds, reruns only that fragment and is answered with a patch that replaces
//! its element; the fragment's timer endpoint does the same; a bad fragment id changes nothing.

use serde_json::Value;

use crate::client::{Answer, Session, digest, have_in, metric_value, start};
use crate::{StoreKind, both_stores};

both_stores!(
    a_widget_inside_a_fragment_reruns_only_the_fragment_and_patches_only_its_element,
    the_fragment_timer_endpoint_reruns_the_fragment_alone,
    a_bad_fragment_id_or_token_is_refused_and_changes_nothing,
    without_a_have_a_fragment_widget_reruns_the_whole_page,
);

const PATCH_TYPE: &str = "application/vnd.runnel.patch+json";
const PAGE: &str = "fragments";
const ADD: &str = "button:Add step";

/// The ids and hashes of the elements in `html`, in document order.
fn entries(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_fragment(html);
    let elements = scraper::Selector::parse("[data-rn-id]").unwrap();
    doc.select(&elements)
        .map(|e| format!("{}:{}", e.attr("data-rn-id").unwrap(), e.attr("data-rn-h").unwrap()))
        .collect()
}

/// The list the browser holds after replacing the element `id` (and what it held inside) by `html`.
fn have_after(have: &str, id: &str, html: &str) -> String {
    let (frame, list) = have.split_once(';').unwrap();
    let inside = format!("{id}.");
    let mut out = Vec::new();
    for entry in list.split(',') {
        let entry_id = entry.split_once(':').unwrap().0;
        if entry_id == id {
            out.extend(entries(html));
        } else if !entry_id.starts_with(&inside) {
            out.push(entry.to_owned());
        }
    }
    format!("{frame};{}", out.join(","))
}

fn patch_of(answer: &Answer) -> Value {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], PATCH_TYPE, "{}", answer.body);
    serde_json::from_str(&answer.body).expect("a patch is JSON")
}

/// The one replacement of a fragment patch: its element id and HTML.
fn replaced(patch: &Value) -> (String, String) {
    let ops = patch["ops"].as_array().unwrap();
    assert!(matches!(ops.as_slice(), [op] if op["op"] == "replace"), "one replacement: {ops:?}");
    (ops[0]["id"].as_str().unwrap().to_owned(), ops[0]["html"].as_str().unwrap().to_owned())
}

async fn fragment_timer(session: &Session, id: &str, have: &str) -> Answer {
    let body = serde_urlencoded::to_string([("csrf", session.csrf.as_str())]).unwrap();
    let path = format!("/{PAGE}/fragment/{id}");
    session.post_with_headers(&path, body.into_bytes(), true, &[("X-Runnel-Have", have)]).await
}

fn full_runs(html: &str) -> usize {
    let marker = "Full runs of this page: ";
    let start = html.find(marker).expect("the full-run caption") + marker.len();
    html[start..].split('<').next().unwrap().trim().parse().unwrap()
}

async fn a_widget_inside_a_fragment_reruns_only_the_fragment_and_patches_only_its_element(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let page = session.open(&format!("/{PAGE}")).await.body;
    assert_eq!(full_runs(&page), 1);
    let have = have_in(&page);

    let patch = patch_of(&session.click_with_headers(PAGE, ADD, &[("X-Runnel-Have", &have)]).await);
    let (id, html) = replaced(&patch);
    assert!(html.contains(r#"data-fragment="live_panel""#), "the fragment's element: {html}");
    assert_eq!(metric_value(&html), "1");
    assert!(!html.contains("Full runs"), "nothing outside the fragment is sent");
    assert_eq!(patch["base"], digest(&have));
    assert_eq!(patch["version"], digest(&have_after(&have, &id, &html)), "the version the browser reaches");

    let again = session.get(&format!("/{PAGE}")).await.body;
    assert_eq!(full_runs(&again), 2, "the click did not run the code outside the fragment");
    assert_eq!(metric_value(&again), "1");
}

async fn the_fragment_timer_endpoint_reruns_the_fragment_alone(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let page = session.open(&format!("/{PAGE}")).await.body;
    assert!(page.contains(r#"data-every="2000""#));
    let have = have_in(&page);
    let patch = patch_of(&fragment_timer(&session, "live_panel", &have).await);
    let (_, html) = replaced(&patch);
    assert!(html.contains("Panel refreshes: 2"), "{html}");
    assert_eq!(full_runs(&session.get(&format!("/{PAGE}")).await.body), 2);
}

async fn a_bad_fragment_id_or_token_is_refused_and_changes_nothing(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let have = have_in(&session.open(&format!("/{PAGE}")).await.body);
    session.click_with_headers(PAGE, ADD, &[("X-Runnel-Have", &have)]).await;
    let unknown = fragment_timer(&session, "nope", &have).await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert!(unknown.body.contains("nope"));
    let real = std::mem::replace(&mut session.csrf, "forged".into());
    assert_eq!(fragment_timer(&session, "live_panel", &have).await.status, 403);
    session.csrf = real;
    let page = session.get(&format!("/{PAGE}")).await.body;
    assert_eq!(metric_value(&page), "1", "the state is as before");
    assert!(page.contains("Panel refreshes: 3"), "only the open, the click and this load ran the panel");
}

async fn without_a_have_a_fragment_widget_reruns_the_whole_page(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    session.open(&format!("/{PAGE}")).await;
    let answer = session.click(PAGE, ADD).await;
    assert!(answer.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(full_runs(&answer.body), 2, "the whole page ran and was sent");
    assert_eq!(metric_value(&answer.body), "1");
}
