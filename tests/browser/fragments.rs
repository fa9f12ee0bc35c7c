//! Fragments and dialogs in Chromium (issue 12, point 8): a fragment's widget reruns only the
//! fragment, `run_every` refreshes it without a click, and a dialog opens, reruns alone and
//! closes by its X, by Escape and by the script.

use crate::support::chromium::Page;
use crate::support::{self, StoreKind};
use crate::{WAIT, wait_for_runnel};

const ADD: &str = "form[data-widget='button:Add step'] button";
const OPEN_DIALOG: &str = "form[data-widget='button:Give feedback'] button";

/// Waits until the page's text contains `text`.
fn wait_for_text(page: &Page, text: &str) {
    let text = serde_json::to_string(text).unwrap();
    page.wait_until(&format!("document.getElementById('runnel-root').textContent.includes({text})"), WAIT);
}

fn shows(page: &Page, text: &str) -> bool {
    let text = serde_json::to_string(text).unwrap();
    page.eval(&format!("document.getElementById('runnel-root').textContent.includes({text})"))
        == serde_json::json!(true)
}

fn open_fragments(app: &support::TestApp, page: &Page) {
    page.navigate(&app.url("/fragments"));
    wait_for_runnel(page);
    wait_for_text(page, "Full runs of this page: 1");
    page.eval("window.__marker = 7");
}

#[test]
fn a_fragments_widget_reruns_only_the_fragment() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    open_fragments(&app, &page);
    page.click(ADD);
    page.wait_until("document.querySelector('.rn-fragment .rn-metric-value')?.textContent.trim() === '1'", WAIT);
    page.click(ADD);
    page.wait_until("document.querySelector('.rn-fragment .rn-metric-value')?.textContent.trim() === '2'", WAIT);
    assert!(shows(&page, "Full runs of this page: 1"), "the code outside the fragment did not run");
    assert_eq!(page.eval("window.__marker"), serde_json::json!(7), "the page was not reloaded");
}

#[test]
fn run_every_refreshes_the_fragment_without_a_click() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    open_fragments(&app, &page);
    wait_for_text(&page, "Panel refreshes: 1");
    wait_for_text(&page, "Panel refreshes: 3");
    assert!(shows(&page, "Full runs of this page: 1"), "the timer reran only the fragment");
}

#[test]
fn a_dialog_opens_reruns_alone_and_closes_by_x_escape_and_the_script() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    open_fragments(&app, &page);
    let open = "document.querySelector('.rn-dialog[role=dialog][aria-modal=true]') !== null";
    let closed = "document.querySelector('.rn-dialog') === null";

    page.click(OPEN_DIALOG);
    page.wait_until(open, WAIT);
    wait_for_text(&page, "Full runs of this page: 2");
    page.wait_until("document.querySelector('.rn-dialog').contains(document.activeElement)", WAIT);
    page.click(".rn-dialog fieldset label:nth-of-type(2) input");
    wait_for_text(&page, "Mood: Great");
    assert!(shows(&page, "Full runs of this page: 2"), "the dialog's widget reran only the dialog");

    page.click(".rn-dialog-close button");
    page.wait_until(closed, WAIT);
    wait_for_text(&page, "Full runs of this page: 3");

    page.click(OPEN_DIALOG);
    page.wait_until(open, WAIT);
    page.press_escape();
    page.wait_until(closed, WAIT);
    wait_for_text(&page, "Full runs of this page: 5");

    page.click(OPEN_DIALOG);
    page.wait_until(open, WAIT);
    page.click(".rn-dialog fieldset label:nth-of-type(2) input");
    wait_for_text(&page, "Mood: Great");
    page.click(".rn-dialog form[data-widget='button:Submit'] button");
    page.wait_until(closed, WAIT);
    wait_for_text(&page, "Last feedback: Great: ");
}

#[test]
fn without_javascript_a_dialog_is_an_overlay_whose_x_posts_a_full_rerun() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.set_javascript_enabled(false);
    page.navigate(&app.url("/fragments"));
    wait_for_text(&page, "Full runs of this page: 1");
    assert_eq!(page.eval("typeof window.Runnel"), serde_json::json!("undefined"), "scripts ran");

    page.eval("window.__marker = 1");
    page.click(OPEN_DIALOG);
    page.wait_until("window.__marker === undefined && document.readyState === 'complete'", WAIT);
    page.wait_until("document.querySelector('.rn-dialog[role=dialog]') !== null", WAIT);
    let fixed = page.eval("getComputedStyle(document.querySelector('.rn-dialog-backdrop')).position");
    assert_eq!(fixed, serde_json::json!("fixed"), "the dialog is an overlay without JavaScript too");

    page.eval("window.__marker = 2");
    page.click(".rn-dialog-close button");
    page.wait_until("window.__marker === undefined && document.readyState === 'complete'", WAIT);
    page.wait_until("document.querySelector('.rn-dialog') === null", WAIT);
    wait_for_text(&page, "Full runs of this page: 3");
}
