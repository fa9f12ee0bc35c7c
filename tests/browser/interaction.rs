//! Real mouse clicks and key presses against a running host, with JavaScript (fragments morphed
//! in place, focus kept) and without it (plain form posts, post/redirect/get), on the in-memory
//! store and on Redis.

use crate::support::chromium::{Browser, Page};
use crate::support::{self, StoreKind};
use crate::{WAIT, wait_for_runnel};

const INCREMENT: &str = "form[data-widget='button:Increment'] button";
const NAME_FORM: &str = "form[data-widget='text_input:key:visitor']";
const NAME_INPUT: &str = "#w-text-input-key-visitor";
const METRIC: &str = ".rn-metric-value";
const SUCCESS: &str = ".rn-alert.rn-success";

/// Waits until the counter's metric reads `count`.
fn wait_for_count(page: &Page, count: u32) {
    let js = format!("document.querySelector('{METRIC}')?.textContent.trim() === '{count}'");
    page.wait_until(&js, WAIT);
}

/// Waits until the success alert contains `text`.
fn wait_for_success(page: &Page, text: &str) {
    let text = serde_json::to_string(text).unwrap();
    let js = format!("(document.querySelector('{SUCCESS}')?.textContent ?? '').includes({text})");
    page.wait_until(&js, WAIT);
}

/// Clicks Increment three times on /counter and checks the count is updated without a reload.
fn click_increment_three_times(app: &support::TestApp, page: &Page) {
    page.navigate(&app.url("/counter"));
    wait_for_runnel(page);
    wait_for_count(page, 0);
    page.eval("window.__marker = 42");

    page.click(INCREMENT);
    wait_for_count(page, 1);
    page.click(INCREMENT);
    page.click(INCREMENT);
    wait_for_count(page, 3);

    assert_eq!(page.eval("window.__marker"), serde_json::json!(42), "the page was reloaded");
    assert!(page.url().ends_with("/counter"), "the URL changed: {}", page.url());
    assert_eq!(page.on_dialog_count(), 0);
}

#[test]
fn clicking_a_button_updates_the_count_in_place() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = Browser::launch();
    let page = browser.new_page();
    click_increment_three_times(&app, &page);
}

#[test]
fn the_pages_work_under_the_content_security_policy_without_a_violation() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = Browser::launch();
    let page = browser.new_page();
    page.watch_csp_violations();
    click_increment_three_times(&app, &page);
    assert_eq!(page.csp_violations(), Vec::<String>::new(), "on /counter after three clicks");
    page.click("#rn-theme-toggle");
    page.wait_until("document.documentElement.dataset.theme !== undefined", WAIT);
    let chosen = page.eval("document.documentElement.dataset.theme");
    // The theme script (a static file now, not inline) applies the choice on the next load.
    page.navigate(&app.url("/explorer"));
    wait_for_runnel(&page);
    assert_eq!(page.eval("document.documentElement.dataset.theme"), chosen, "the theme did not survive a load");
    let columns = page.eval("[...document.querySelectorAll('.rn-column')].map(c => getComputedStyle(c).flexGrow)");
    assert!(columns.as_array().is_some_and(|c| !c.is_empty() && c.iter().all(|g| g != "0")), "{columns}");
    assert_eq!(page.csp_violations(), Vec::<String>::new(), "on /explorer");
    for path in ["/demo", "/sales", "/hello"] {
        page.navigate(&app.url(path));
        wait_for_runnel(&page);
        assert_eq!(page.csp_violations(), Vec::<String>::new(), "on {path}");
    }
}

#[test]
fn typing_into_a_text_input_keeps_focus_and_shows_the_result() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/hello"));
    wait_for_runnel(&page);
    assert_eq!(page.text(SUCCESS), "", "no greeting before a name is entered");
    page.eval("window.__marker = 42");

    page.focus(NAME_INPUT);
    page.type_text("Ada");
    page.press_enter();
    wait_for_success(&page, "Hello, Ada!");

    assert_eq!(page.eval("window.__marker"), serde_json::json!(42), "the page was reloaded");
    assert_eq!(page.eval("document.activeElement.id"), serde_json::json!("w-text-input-key-visitor"));
    let input = format!("document.querySelector('{NAME_INPUT}')");
    assert_eq!(page.eval(&format!("{input}.value")), serde_json::json!("Ada"));
    assert_eq!(page.eval(&format!("{input}.selectionStart")), serde_json::json!(3));
    assert_eq!(page.eval(&format!("{input}.selectionEnd")), serde_json::json!(3));
}

#[test]
fn a_page_works_without_javascript() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = Browser::launch();
    let page = browser.new_page();
    page.set_javascript_enabled(false);
    let counter = app.url("/counter");
    page.navigate(&counter);
    wait_for_count(&page, 0);
    assert_eq!(page.eval("typeof window.Runnel"), serde_json::json!("undefined"), "scripts ran");
    // The slider's noscript "Apply" button is real markup when scripting is off.
    let applies = page.eval("document.querySelectorAll('form.rn-widget button.rn-apply').length");
    assert!(applies.as_u64().unwrap_or(0) >= 1, "no noscript Apply buttons: {applies}");

    page.eval("window.__marker = 42");
    page.click(INCREMENT);
    // A real form POST, a 303 and a GET: a new document, back at /counter.
    page.wait_until("window.__marker === undefined && document.readyState === 'complete'", WAIT);
    let url = serde_json::to_string(&counter).unwrap();
    page.wait_until(&format!("location.href === {url}"), WAIT);
    wait_for_count(&page, 1);

    // A refresh is a plain GET: it never resubmits the event.
    page.navigate(&counter);
    wait_for_count(&page, 1);
    assert_eq!(page.url(), counter);

    // Enter in a text field submits its form (the Apply button is the default button).
    let hello = app.url("/hello");
    page.navigate(&hello);
    assert_eq!(page.text(SUCCESS), "");
    let apply = page.eval(&format!("!!document.querySelector(\"{NAME_FORM} button.rn-apply\")"));
    assert_eq!(apply, serde_json::json!(true), "the text input has no Apply button");
    page.focus(NAME_INPUT);
    page.type_text("Grace");
    page.press_enter();
    wait_for_success(&page, "Hello, Grace!");
    let url = serde_json::to_string(&hello).unwrap();
    page.wait_until(&format!("location.href === {url}"), WAIT);
    let value = page.eval(&format!("document.querySelector('{NAME_INPUT}').value"));
    assert_eq!(value, serde_json::json!("Grace"));

    // The greeting survives a refresh too, and the count was not touched.
    page.navigate(&hello);
    wait_for_success(&page, "Hello, Grace!");
    page.navigate(&counter);
    wait_for_count(&page, 1);
    assert_eq!(page.on_dialog_count(), 0);
}

#[test]
fn the_same_flows_work_with_the_redis_store() {
    let redis = support::RedisServer::start();
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Redis, Some(&redis)));
    let browser = Browser::launch();
    let page = browser.new_page();
    click_increment_three_times(&app, &page);
    // The count is kept in Redis: a fresh full page load still shows it.
    page.navigate(&app.url("/counter"));
    wait_for_count(&page, 3);
}
