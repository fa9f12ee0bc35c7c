//! Progressive output (issue 12): a run that lasts past a short threshold answers the page's
//! script with what it drew so far, one patch per line, before it ends; a quick run answers one
//! patch as before; a viewer who leaves mid-run frees the run, and the session goes on.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{Running, Session, have_in};
use crate::support::{self, RedisServer, TestApp};
use crate::{StoreKind, both_stores};

both_stores!(
    a_long_run_streams_its_frames_before_it_ends_and_ends_with_its_own_answer,
    a_quick_run_answers_one_patch_without_streaming,
    a_viewer_who_leaves_mid_run_frees_the_run_and_keeps_what_it_counted,
    a_long_run_does_not_hold_up_another_session,
    a_streamed_run_still_stops_at_its_time_limit,
    without_javascript_a_long_run_answers_with_its_final_page,
);

const STREAM_TYPE: &str = "application/vnd.runnel.patch-stream";

fn start(kind: StoreKind) -> Running {
    start_limited(kind, None)
}

/// The live fixtures, with runs limited to `max_run` when given.
fn start_limited(kind: StoreKind, max_run: Option<Duration>) -> Running {
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let mut settings = support::settings("tests/fixtures/live", kind, redis.as_ref());
    if let Some(limit) = max_run {
        settings.limits.max_run_time = limit;
    }
    let app = TestApp::spawn(settings);
    Running { app, redis }
}

/// Clicks `widget` holding `have` and returns the streamed answer, its head read.
async fn click_streaming(session: &Session, page: &str, widget: &str, have: &str) -> reqwest::Response {
    let form = [("csrf", session.csrf.as_str()), ("widget", widget), ("value", "true")];
    let response = session
        .client
        .post(format!("{}/{page}/event", session.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-Runnel-Fragment", "1")
        .header("X-Runnel-Have", have)
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], STREAM_TYPE);
    response
}

/// Reads a streamed answer to its end: its text.
async fn rest_of(mut response: reqwest::Response) -> String {
    let mut text = String::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

/// A streamed answer's lines, each with the time it arrived after the request was sent.
struct Lines {
    lines: Vec<(Duration, Value)>,
}

/// Clicks `widget` as the page's script does, holding `have`, and reads the streamed answer line
/// by line.
async fn click_and_read(session: &Session, page: &str, widget: &str, have: &str) -> Lines {
    let sent = Instant::now();
    let mut response = click_streaming(session, page, widget, have).await;
    let (mut buffered, mut lines) = (String::new(), Vec::new());
    while let Some(chunk) = response.chunk().await.unwrap() {
        buffered.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffered.find('\n') {
            let line: String = buffered.drain(..=end).collect();
            if !line.trim().is_empty() {
                let value = serde_json::from_str(line.trim()).unwrap_or(Value::String(line));
                lines.push((sent.elapsed(), value));
            }
        }
    }
    Lines { lines }
}

/// The markdown frames a line's operations draw (`frame 3`, …).
fn frames_in(line: &Value) -> Vec<String> {
    let html: String = line["ops"].as_array().into_iter().flatten().filter_map(|op| op["html"].as_str()).collect();
    let frame = line["frame"].as_str().unwrap_or_default();
    (0..8).map(|i| format!("frame {i}")).filter(|f| html.contains(f.as_str()) || frame.contains(f.as_str())).collect()
}

async fn a_long_run_streams_its_frames_before_it_ends_and_ends_with_its_own_answer(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let have = have_in(&session.open("/animation").await.body);

    let answer = click_and_read(&session, "animation", "button:Animate", &have).await;
    let (last_at, last) = answer.lines.last().cloned().expect("a last line");
    assert_eq!(last["done"], true, "the stream ends with the run's own answer: {last}");
    let shown: Vec<(Duration, Vec<String>)> =
        answer.lines.iter().map(|(at, line)| (*at, frames_in(line))).filter(|(_, f)| !f.is_empty()).collect();
    assert!(shown.len() >= 3, "several frames are shown while the run goes: {:?}", answer.lines);
    let (first_at, _) = shown[0];
    assert!(
        last_at - first_at >= Duration::from_millis(500),
        "the first frame arrived {first_at:?}, long before the run ended at {last_at:?}"
    );
    // Each line is a patch against the one before it.
    for pair in answer.lines.windows(2) {
        assert_eq!(pair[1].1["base"], pair[0].1["version"], "patches chain: {:?}", pair);
    }
    let now = session.get_fragment("/animation").await.body;
    assert!(now.contains("runs: 1"), "the click was applied once and saved");
}

async fn a_quick_run_answers_one_patch_without_streaming(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let have = have_in(&session.open("/endless").await.body);

    // The page without a click draws its metric at once: one patch, as before.
    let answer = session.get_with_headers("/endless", &[("X-Runnel-Fragment", "1"), ("X-Runnel-Have", &have)]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["content-type"], "application/vnd.runnel.patch+json", "{}", answer.body);
}

async fn a_viewer_who_leaves_mid_run_frees_the_run_and_keeps_what_it_counted(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let have = have_in(&session.open("/endless").await.body);

    let mut response = click_streaming(&session, "endless", "button:Start", &have).await;
    let first = response.chunk().await.unwrap().expect("a first line");
    assert!(String::from_utf8_lossy(&first).contains("step"), "the run shows its steps");
    let left = Instant::now();
    drop(response);

    // The session's lock is given back once the run noticed: well before its 3 s limit.
    let after = session.get_fragment("/endless").await;
    assert_eq!(after.status, 200);
    assert!(left.elapsed() < Duration::from_millis(1500), "the run was freed after {:?}", left.elapsed());
    let steps: u32 = crate::client::metric_value(&after.body).parse().unwrap();
    assert!(steps >= 1, "the steps it counted before the viewer left are kept: {steps}");
}

async fn a_long_run_does_not_hold_up_another_session(kind: StoreKind) {
    let running = start(kind);
    let mut busy = Session::new(&running.app);
    let have = have_in(&busy.open("/endless").await.body);
    let mut streaming = click_streaming(&busy, "endless", "button:Start", &have).await;
    let first = streaming.chunk().await.unwrap().expect("a first line");
    assert!(!String::from_utf8_lossy(&first).contains("\"done\""), "the run goes on");
    // The rest of the stream is read as it arrives, noting when the run's own answer came.
    let ended = tokio::spawn(async move {
        let rest = rest_of(streaming).await;
        (Instant::now(), rest)
    });

    // Another viewer's whole interaction happens while the first run still goes.
    let mut other = Session::new(&running.app);
    other.open("/animation").await;
    let clicked = other.click("animation", "button:Animate").await;
    let other_done = Instant::now();
    assert_eq!(clicked.status, 200);
    assert!(clicked.body.contains("runs: 1"), "{}", clicked.body);

    let (ended_at, rest) = ended.await.unwrap();
    assert!(rest.contains("\"done\":true"), "{rest}");
    assert!(other_done < ended_at, "the other session was answered before the long run ended");
}

async fn a_streamed_run_still_stops_at_its_time_limit(kind: StoreKind) {
    let running = start_limited(kind, Some(Duration::from_millis(700)));
    let mut session = Session::new(&running.app);
    let have = have_in(&session.open("/endless").await.body);

    let rest = rest_of(click_streaming(&session, "endless", "button:Start", &have).await).await;
    let last: Value = serde_json::from_str(rest.trim().lines().last().unwrap()).unwrap();
    assert_eq!(last["done"], true);
    let shown = last["frame"].as_str().unwrap_or_default();
    assert!(shown.contains("max_run_ms"), "the run's own answer names the limit it hit: {last}");
}

async fn without_javascript_a_long_run_answers_with_its_final_page(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    session.open("/animation").await;

    // A plain form post (no page script): post/redirect/get, and the page it lands on is whole.
    let form = [("csrf", session.csrf.as_str()), ("widget", "button:Animate"), ("value", "true")];
    let posted = session.post_raw("animation", serde_urlencoded::to_string(form).unwrap().into_bytes(), false).await;
    assert_eq!(posted.status, 303, "a plain post is redirected to the page: {}", posted.body);
    let page = session.get("/animation").await;
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.body.contains("runs: 1") && page.body.contains("done"), "{}", page.body);
    assert!(!page.body.contains("frame 3 of run 1"), "only the final page is shown");
}
