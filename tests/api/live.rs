//! The push channel of hot reload: an open page hears about its own script only (and about the
//! modules it imports), and `--no-watch` turns watching off.

use std::time::Duration;

use crate::client::Session;
use crate::support::{ScriptDir, TestApp};

fn scripts_folder() -> ScriptDir {
    ScriptDir::with(&[("one.rhai", "title(\"one v1\");"), ("two.rhai", "title(\"two v1\");")])
}

/// Reads the event stream until `wanted` shows up or the time runs out.
pub(crate) async fn stream_contains(response: &mut reqwest::Response, wanted: &str, within: Duration) -> bool {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while !seen.contains(wanted) {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            _ => return false,
        }
    }
    true
}

#[tokio::test]
async fn a_saved_script_tells_its_open_pages_to_rerun_and_no_others() {
    let dir = scripts_folder();
    let app = TestApp::spawn(dir.settings(true));
    let session = Session::new(&app);
    let mut one = session.client.get(app.url("/_live/one")).send().await.unwrap();
    let mut two = session.client.get(app.url("/_live/two")).send().await.unwrap();
    assert_eq!(one.headers()["content-type"], "text/event-stream");
    assert!(stream_contains(&mut one, "connected", Duration::from_secs(5)).await);
    assert!(stream_contains(&mut two, "connected", Duration::from_secs(5)).await);
    dir.save("one.rhai", "title(\"one v2\");");
    assert!(stream_contains(&mut one, "event: rerun", Duration::from_secs(5)).await);
    assert!(!stream_contains(&mut two, "event:", Duration::from_millis(500)).await, "other pages are not rerun");
    assert!(session.get("/one").await.body.contains("one v2"));
    std::fs::remove_file(dir.file("one.rhai")).unwrap();
    assert!(stream_contains(&mut one, "event: removed", Duration::from_secs(5)).await);
    assert_eq!(session.get("/one").await.status, 404);
}

#[tokio::test]
async fn with_no_watch_a_saved_script_is_not_reloaded() {
    let dir = scripts_folder();
    let app = TestApp::spawn(dir.settings(false));
    // A control that watches the same folder: once it shows the save, a watcher had time to act.
    let watched = TestApp::spawn(dir.settings(true));
    let session = Session::new(&app);
    dir.save("one.rhai", "title(\"one v2\");");
    let control = Session::new(&watched);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !control.get("/one").await.body.contains("one v2") {
        assert!(tokio::time::Instant::now() < deadline, "the watching control did not reload the save");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(session.get("/one").await.body.contains("one v1"));
}

#[tokio::test]
async fn a_saved_module_tells_the_open_pages_that_import_it_to_rerun_and_no_others() {
    let dir = ScriptDir::with(&[
        ("uses.rhai", "import \"words\" as w;\ntitle(w::hello());"),
        ("plain.rhai", "title(\"plain\");"),
    ]);
    std::fs::create_dir_all(dir.file("lib")).unwrap();
    dir.save("lib/words.rhai", "fn hello() { \"hello v1\" }");
    let app = TestApp::spawn(dir.settings(true));
    let session = Session::new(&app);
    assert!(session.get("/uses").await.body.contains("hello v1"));
    let mut uses = session.client.get(app.url("/_live/uses")).send().await.unwrap();
    let mut plain = session.client.get(app.url("/_live/plain")).send().await.unwrap();
    assert!(stream_contains(&mut uses, "connected", Duration::from_secs(5)).await);
    assert!(stream_contains(&mut plain, "connected", Duration::from_secs(5)).await);
    dir.save("lib/words.rhai", "fn hello() { \"hello v2\" }");
    assert!(stream_contains(&mut uses, "event: rerun", Duration::from_secs(5)).await);
    assert!(
        !stream_contains(&mut plain, "event:", Duration::from_millis(500)).await,
        "a page without the import is not rerun"
    );
    assert!(session.get("/uses").await.body.contains("hello v2"), "the rerun runs the saved module");
}
