//! Element patches in real Chromium (issue 11): the page sends what it holds, applies the
//! elements that changed in order, ends identical to a fresh load of the same state, detects a
//! stale or tampered patch and answers it with a full render, and keeps focus, caret, the open
//! expander and the chosen tab.

use serde_json::{Value, json};

use crate::support::chromium::{Browser, Page};
use crate::support::{ScriptDir, TestApp};
use crate::{WAIT, js_string, wait_for_runnel};

/// A counter, a slider that sets how many rows a container holds, a select, a text input, an
/// expander and tabs that show the count, a chart that never changes, and a trailing caption
/// drawn only for odd counts.
const SCRIPT: &str = r#"
title("Patches");
if !("count" in state) { state.count = 0; }
if button("Increment") { state.count += 1; }
metric("Count", state.count);
let n = slider("Rows", 1, 5, #{ value: 2 });
let colour = selectbox("Colour", ["red", "green", "blue"]);
let name = text_input("Name", #{ key: "name" });
let rows = container();
for i in 0..n { rows.text(`row ${i} in ${colour}`); }
let more = expander("Details");
more.text(`Count inside: ${state.count}`);
let t = tabs(["First", "Second"]);
t[0].text("first");
t[1].text(`second: ${state.count}`);
line_chart([#{ x: 1, y: 2 }, #{ x: 2, y: 3 }, #{ x: 3, y: 1 }], #{ x: "x", y: "y" });
if state.count % 2 == 1 { caption("odd"); }
"#;

const INCREMENT: &str = "form[data-widget='button:Increment'] button";
const SLIDER: &str = "form[data-widget='slider:Rows'] input[type=range]";
const SELECT: &str = "form[data-widget='selectbox:Colour'] select";
const NAME: &str = "form[data-widget='text_input:key:name'] input[type=text]";

/// Records every fetch the page's script makes: method, whether it said what it holds, and
/// the answer's content type. `window.__stale = true` answers the next POST with the first
/// patch the page received (a late, out-of-order answer); `window.__tamper = true` changes the
/// title's hash in the DOM while the next POST is in flight.
const RECORDER: &str = r#"(() => {
  window.__log = [];
  const real = window.fetch;
  window.fetch = async (url, init) => {
    const headers = (init && init.headers) || {};
    const res = await real(url, init);
    const type = res.headers.get("content-type") || "";
    window.__log.push({ method: (init && init.method) || "GET", have: "X-Runnel-Have" in headers, type });
    if (type.includes("patch") && !window.__first) window.__first = await res.clone().text();
    if (window.__stale && init && init.method === "POST") {
      window.__stale = false;
      return new Response(window.__first, { status: 200, headers: { "Content-Type": type } });
    }
    if (window.__tamper && init && init.method === "POST") {
      window.__tamper = false;
      document.querySelector('[data-rn-id="m.0"]').dataset.rnH = "0000000000000000";
    }
    return res;
  };
})()"#;

fn open(app: &TestApp, browser: &Browser) -> Page {
    let page = browser.new_page();
    page.navigate(&app.url("/patches"));
    wait_for_runnel(&page);
    page.eval(RECORDER);
    page
}

fn spawn() -> (ScriptDir, TestApp) {
    let dir = ScriptDir::with(&[("patches.rhai", SCRIPT)]);
    let app = TestApp::spawn(dir.settings(false));
    (dir, app)
}

fn wait_for_text(page: &Page, text: &str) {
    page.wait_until(&format!("document.getElementById('runnel-root').textContent.includes({})", js_string(text)), WAIT);
}

fn wait_for_count(page: &Page, count: u32) {
    page.wait_until(&format!("document.querySelector('.rn-metric-value')?.textContent.trim() === '{count}'"), WAIT);
    page.wait_until("!document.getElementById('runnel-root').classList.contains('rn-running')", WAIT);
}

/// Sets a native input's value and commits it with a `change` event, as its picker does.
fn pick(page: &Page, selector: &str, value: &str) {
    let js = format!(
        "(() => {{ const el = document.querySelector({}); el.value = {}; \
         el.dispatchEvent(new Event('change', {{ bubbles: true }})); }})()",
        js_string(selector),
        js_string(value)
    );
    page.eval(&js);
}

fn root_html(page: &Page) -> String {
    page.eval("document.getElementById('runnel-root').innerHTML").as_str().unwrap_or_default().to_owned()
}

/// `#runnel-root` of a fresh load of the same session's page.
fn fresh_root(app: &TestApp, browser: &Browser) -> String {
    let fresh = browser.new_page();
    fresh.navigate(&app.url("/patches"));
    wait_for_runnel(&fresh);
    root_html(&fresh)
}

/// Asserts two renders of `#runnel-root` are equal, showing where they first differ.
fn assert_same_root(patched: &str, fresh: &str) {
    let at = patched.bytes().zip(fresh.bytes()).take_while(|(a, b)| a == b).count();
    if at == patched.len() && at == fresh.len() {
        return;
    }
    let around = |s: &str| s.get(at.saturating_sub(100)..(at + 300).min(s.len())).unwrap_or_default().to_owned();
    panic!(
        "the patched page differs from a fresh load at byte {at}:\npatched: {}\nfresh:   {}",
        around(patched),
        around(fresh)
    );
}

fn log(page: &Page) -> Vec<Value> {
    page.eval("window.__log").as_array().cloned().unwrap_or_default()
}

/// Full renders the page asked for after a mismatch: GETs that did not say what they hold.
fn full_renders(page: &Page) -> usize {
    log(page).iter().filter(|e| e["method"] == "GET" && e["have"] == false).count()
}

#[test]
fn after_clicks_a_slider_and_a_select_the_patched_page_equals_a_fresh_load() {
    let (_dir, app) = spawn();
    let browser = Browser::launch();
    let page = open(&app, &browser);

    page.click(INCREMENT);
    wait_for_count(&page, 1);
    wait_for_text(&page, "odd");
    pick(&page, SLIDER, "4");
    wait_for_text(&page, "row 3 in red");
    pick(&page, SELECT, "2");
    wait_for_text(&page, "row 3 in blue");
    page.click(INCREMENT);
    wait_for_count(&page, 2);
    pick(&page, SLIDER, "1");
    page.wait_until("!document.getElementById('runnel-root').textContent.includes('row 1 in')", WAIT);
    page.click(INCREMENT);
    wait_for_count(&page, 3);

    let answers = log(&page);
    assert_eq!(answers.len(), 6, "{answers:?}");
    for answer in &answers {
        assert_eq!(answer["have"], true, "{answers:?}");
        assert_eq!(answer["type"], "application/vnd.runnel.patch+json", "{answers:?}");
    }
    assert_eq!(full_renders(&page), 0, "every patch fitted");
    assert_same_root(&root_html(&page), &fresh_root(&app, &browser));
}

#[test]
fn a_stale_patch_is_detected_and_answered_with_a_full_render() {
    let (_dir, app) = spawn();
    let browser = Browser::launch();
    let page = open(&app, &browser);
    page.click(INCREMENT);
    wait_for_count(&page, 1);

    page.eval("window.__stale = true");
    page.click(INCREMENT);
    wait_for_count(&page, 2);
    page.wait_until("window.__log.length === 3", WAIT);
    assert_eq!(full_renders(&page), 1, "{:?}", log(&page));
    assert_same_root(&root_html(&page), &fresh_root(&app, &browser));
}

#[test]
fn a_tampered_page_is_detected_and_answered_with_a_full_render() {
    let (_dir, app) = spawn();
    let browser = Browser::launch();
    let page = open(&app, &browser);
    let title_hash = "document.querySelector('[data-rn-id=\"m.0\"]').dataset.rnH";
    let original = page.eval(title_hash);

    page.eval("window.__tamper = true");
    page.click(INCREMENT);
    wait_for_count(&page, 1);
    page.wait_until("window.__log.length === 2", WAIT);
    assert_eq!(full_renders(&page), 1, "{:?}", log(&page));
    assert_eq!(page.eval(title_hash), original, "the full render put the real hash back");
    assert_same_root(&root_html(&page), &fresh_root(&app, &browser));
}

#[test]
fn focus_and_caret_in_a_text_input_survive_a_patch_of_another_element() {
    let (_dir, app) = spawn();
    let browser = Browser::launch();
    let page = open(&app, &browser);
    page.focus(NAME);
    page.type_text("Ada");
    page.eval(&format!("document.querySelector({}).setSelectionRange(1, 1)", js_string(NAME)));

    // The button's form is submitted without moving the focus, as a keyboard shortcut would.
    page.eval(&format!(
        "(() => {{ const b = document.querySelector({}); b.form.requestSubmit(b); }})()",
        js_string(INCREMENT)
    ));
    wait_for_count(&page, 1);

    assert_eq!(log(&page)[0]["type"], "application/vnd.runnel.patch+json");
    let input = format!("document.querySelector({})", js_string(NAME));
    assert_eq!(page.eval(&format!("document.activeElement === {input}")), json!(true), "the focus moved");
    assert_eq!(page.eval(&format!("{input}.value")), json!("Ada"));
    assert_eq!(page.eval(&format!("[{input}.selectionStart, {input}.selectionEnd]")), json!([1, 1]));
}

#[test]
fn an_open_expander_and_the_chosen_tab_survive_patches_inside_them() {
    let (_dir, app) = spawn();
    let browser = Browser::launch();
    let page = open(&app, &browser);
    page.click("details.rn-expander summary");
    page.wait_until("document.querySelector('details.rn-expander').open", WAIT);
    page.click(".rn-tabs label.rn-tab-label:nth-of-type(2)");
    page.wait_until("document.querySelectorAll('input.rn-tab-radio')[1].checked", WAIT);

    page.click(INCREMENT);
    wait_for_count(&page, 1);
    wait_for_text(&page, "Count inside: 1");
    wait_for_text(&page, "second: 1");

    assert_eq!(log(&page)[0]["type"], "application/vnd.runnel.patch+json");
    assert_eq!(page.eval("document.querySelector('details.rn-expander').open"), json!(true));
    assert_eq!(page.eval("document.querySelectorAll('input.rn-tab-radio')[1].checked"), json!(true));
}
