//! Progressive output in real Chromium (issue 12): an animation shows its frames while the run
//! goes, and a newer interaction's output is never overwritten by an older run's late output.

use crate::support::chromium::{Browser, Page};
use crate::support::{self, StoreKind, TestApp};
use crate::{WAIT, wait_for_runnel};

const ANIMATE: &str = "form[data-widget='button:Animate'] button";

/// Records every frame the page shows, in order, as [frame, run] pairs.
const RECORDER: &str = r#"(() => {
  window.__frames = [];
  const seen = () => {
    const m = document.getElementById('runnel-root').textContent.match(/frame (\d) of run (\d+)/);
    const last = window.__frames[window.__frames.length - 1];
    if (m && (!last || last[0] !== +m[1] || last[1] !== +m[2])) window.__frames.push([+m[1], +m[2]]);
  };
  new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, characterData: true });
})()"#;

fn open() -> (TestApp, Browser, Page) {
    let app = TestApp::spawn(support::settings("tests/fixtures/live", StoreKind::Memory, None));
    let browser = Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/animation"));
    wait_for_runnel(&page);
    page.eval(RECORDER);
    (app, browser, page)
}

fn frames(page: &Page) -> Vec<(u64, u64)> {
    let list = page.eval("window.__frames");
    let pairs = list.as_array().cloned().unwrap_or_default();
    pairs.iter().map(|p| (p[0].as_u64().unwrap_or(0), p[1].as_u64().unwrap_or(0))).collect()
}

fn wait_for_runs(page: &Page, runs: u32) {
    page.wait_until(&format!("document.getElementById('runnel-root').textContent.includes('runs: {runs}')"), WAIT);
    page.wait_until("!document.getElementById('runnel-root').classList.contains('rn-running')", WAIT);
}

#[test]
fn an_animation_shows_several_distinct_frames_before_its_run_ends() {
    let (_app, _browser, page) = open();

    page.click(ANIMATE);
    wait_for_runs(&page, 1);

    let shown = frames(&page);
    assert!(shown.len() >= 3, "the viewer saw frames while the run went on: {shown:?}");
    assert!(shown.windows(2).all(|w| w[0].0 < w[1].0), "frames come in order: {shown:?}");
    let text = page.text(".rn-main");
    assert!(text.contains("done"), "the last frame is the run's end: {text}");
}

#[test]
fn a_newer_click_is_never_overwritten_by_the_older_runs_late_output() {
    let (_app, _browser, page) = open();

    page.click(ANIMATE);
    page.wait_until("window.__frames.length >= 1", WAIT);
    page.click(ANIMATE);
    wait_for_runs(&page, 2);

    let shown = frames(&page);
    let first_of_second = shown.iter().position(|f| f.1 == 2).expect("the second run's frames were shown");
    assert!(
        shown[first_of_second..].iter().all(|f| f.1 == 2),
        "once the newer run showed, no frame of the older run came back: {shown:?}"
    );
}
