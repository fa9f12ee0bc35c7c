//! Hot reload in real headless Chromium: saving, breaking, fixing, creating and deleting scripts
//! updates the open pages in place (no full reload), only the page whose script changed reruns,
//! and a page reconnects and reruns by itself after the server restarts.

use std::time::{Duration, Instant};

use crate::support::chromium::{Browser, Page};
use crate::support::{self, ScriptDir, TestApp};
use crate::{WAIT, js_string, wait_for_runnel};
use serde_json::json;

const DEMO_V1: &str = "title(\"Version one\");\nlet n = slider(\"N\", 0, 10, #{ key: \"n\" });\ntext(`n=${n}`);\n";
const OTHER: &str = "title(\"Other page\");\ntext(\"other text\");\n";
const THIRD: &str = "title(\"Third page\");\n";

/// The demo script with another title (same slider, same key).
fn demo(title: &str) -> String {
    DEMO_V1.replace("Version one", title)
}

/// Opens `path` and waits for the page's scripts (`window.Runnel`, Idiomorph) to be ready.
fn open(page: &Page, app: &TestApp, path: &str) {
    page.navigate(&app.url(path));
    wait_for_runnel(page);
}

/// Waits until the page title (`h1.rn-title`) reads `title`.
fn wait_for_title(page: &Page, title: &str) {
    let js = format!("document.querySelector('.rn-main h1.rn-title')?.textContent.trim() === {}", js_string(title));
    page.wait_until(&js, WAIT);
}

/// Waits until the main area shows `text` somewhere.
fn wait_for_text(page: &Page, text: &str) {
    let js = format!("(document.querySelector('.rn-main')?.textContent ?? '').includes({})", js_string(text));
    page.wait_until(&js, WAIT);
}

fn main_text(page: &Page) -> String {
    page.text(".rn-main")
}

/// Moves the slider to `value` the way a finished drag does: set the value, fire `change`.
fn set_slider(page: &Page, value: u32) {
    let js = format!(
        "(() => {{ const e = document.querySelector(\"input[type='range']\"); e.value = '{value}'; \
         e.dispatchEvent(new Event('input', {{ bubbles: true }})); \
         e.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()"
    );
    assert_eq!(page.eval(&js), json!(true));
}

/// Polls (bounded) until a GET of `path` from inside the page succeeds.
fn wait_until_served(page: &Page, path: &str) {
    let js = format!("fetch({}, {{ cache: 'no-store' }}).then(r => r.ok, () => false)", js_string(path));
    let deadline = Instant::now() + WAIT;
    while page.eval(&js) != json!(true) {
        assert!(Instant::now() < deadline, "{path} was not served within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_not_reloaded(page: &Page) {
    assert_eq!(page.eval("window.__marker"), json!(1), "the page was fully reloaded");
}

#[test]
fn saving_a_script_updates_the_open_page_and_keeps_widget_values() {
    let dir = ScriptDir::with(&[("demo.rhai", DEMO_V1)]);
    let app = dir.spawn_watched();
    let browser = Browser::launch();
    let page = browser.new_page();
    open(&page, &app, "/demo");
    wait_for_title(&page, "Version one");
    page.eval("window.__marker = 1");

    set_slider(&page, 7);
    wait_for_text(&page, "n=7");

    dir.save("demo.rhai", &demo("Version two"));
    wait_for_title(&page, "Version two");
    assert!(main_text(&page).contains("n=7"), "the slider value was lost: {}", main_text(&page));
    let slider = page.eval("document.querySelector(\"input[type='range']\").value");
    assert_eq!(slider, json!("7"), "the slider control was reset");
    assert_not_reloaded(&page);

    dir.save_atomically("demo.rhai", &demo("Version three"));
    wait_for_title(&page, "Version three");
    assert!(main_text(&page).contains("n=7"), "the slider value was lost: {}", main_text(&page));
    assert_not_reloaded(&page);
    assert!(page.url().ends_with("/demo"), "the URL changed: {}", page.url());
    assert_eq!(page.on_dialog_count(), 0);
}

#[test]
fn a_syntax_error_shows_at_its_line_and_a_fix_clears_it() {
    let dir = ScriptDir::with(&[("demo.rhai", DEMO_V1)]);
    let app = dir.spawn_watched();
    let browser = Browser::launch();
    let page = browser.new_page();
    open(&page, &app, "/demo");
    wait_for_title(&page, "Version one");
    set_slider(&page, 3);
    wait_for_text(&page, "n=3");
    page.eval("window.__marker = 1");

    dir.save("demo.rhai", "title(\"Still here\");\nlet x = ;\n");
    let error = "document.querySelector('.rn-script-error')";
    let js = format!(
        "({error}?.querySelector('.rn-error-title')?.textContent ?? '').includes('line 2') && \
         ({error}?.querySelector('pre.rn-error-source')?.textContent ?? '').includes('let x = ;')"
    );
    page.wait_until(&js, WAIT);
    let title = page.text(".rn-script-error .rn-error-title");
    assert!(title.contains("Error in demo.rhai, line 2, column "), "unexpected error title: {title}");
    // The last good program keeps serving below the error.
    wait_for_title(&page, "Version one");
    let main = main_text(&page);
    assert!(main.contains("n=3"), "the last good output is gone: {main}");
    assert!(!main.contains("Still here"), "the broken version ran: {main}");
    assert_not_reloaded(&page);

    dir.save("demo.rhai", &demo("Fixed"));
    page.wait_until(&format!("!{error}"), WAIT);
    wait_for_title(&page, "Fixed");
    assert!(main_text(&page).contains("n=3"), "the slider value was lost: {}", main_text(&page));
    assert_not_reloaded(&page);
}

#[test]
fn a_deleted_script_shows_page_removed_and_a_new_one_appears_in_the_navigation() {
    let dir = ScriptDir::with(&[("demo.rhai", DEMO_V1), ("other.rhai", OTHER)]);
    let app = dir.spawn_watched();
    let browser = Browser::launch();
    let page = browser.new_page();
    open(&page, &app, "/demo");
    wait_for_title(&page, "Version one");
    let third_link = "document.querySelector(\".rn-nav a[href='/third']\")";
    assert_eq!(page.eval(&format!("!!{third_link}")), json!(false));

    dir.save("third.rhai", THIRD);
    wait_until_served(&page, "/third");
    open(&page, &app, "/demo");
    assert_eq!(page.eval(&format!("{third_link}?.textContent.trim()")), json!("Third"));
    assert_eq!(page.eval("!!document.querySelector(\".rn-nav a[href='/other']\")"), json!(true));

    // A save that shows up proves this page's live stream is connected before the delete.
    dir.save("demo.rhai", &demo("Version two"));
    wait_for_title(&page, "Version two");
    page.eval("window.__marker = 1");

    std::fs::remove_file(dir.file("demo.rhai")).unwrap();
    page.wait_until("!!document.querySelector('.rn-main .rn-page-removed')", WAIT);
    assert_not_reloaded(&page);
}

#[test]
fn other_pages_are_not_rerun() {
    let dir = ScriptDir::with(&[("demo.rhai", DEMO_V1), ("other.rhai", OTHER)]);
    let app = dir.spawn_watched();
    let browser = Browser::launch();
    let other = browser.new_page();
    open(&other, &app, "/other");
    wait_for_title(&other, "Other page");
    let demo_page = browser.new_page();
    open(&demo_page, &app, "/demo");
    wait_for_title(&demo_page, "Version one");

    // A rerun would morph .rn-main back to the server's markup and drop this attribute.
    other.eval("document.querySelector('.rn-main').dataset.mark = 'x'");

    dir.save("demo.rhai", &demo("Version two"));
    wait_for_title(&demo_page, "Version two");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(other.eval("document.querySelector('.rn-main').dataset.mark ?? null"), json!("x"), "/other reran");
    assert_eq!(other.text(".rn-main h1.rn-title"), "Other page");
}

#[test]
fn the_page_reconnects_and_reruns_after_a_server_restart() {
    let dir = ScriptDir::with(&[("demo.rhai", DEMO_V1)]);
    let mut settings = dir.settings(true);
    settings.port = support::server::free_port();
    let app = TestApp::spawn(settings.clone());
    let browser = Browser::launch();
    let page = browser.new_page();
    open(&page, &app, "/demo");
    wait_for_title(&page, "Version one");
    // A save that shows up proves the live stream is connected.
    dir.save("demo.rhai", &demo("Version two"));
    wait_for_title(&page, "Version two");
    page.eval("window.__marker = 1");

    drop(app);
    dir.save("demo.rhai", &demo("After restart"));
    let app = TestApp::spawn(settings);

    wait_for_title(&page, "After restart");
    assert_not_reloaded(&page);
    assert!(page.url().ends_with("/demo"), "the URL changed: {}", page.url());
    drop(app);
}
