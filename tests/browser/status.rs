//! Status elements in real Chromium: the example job's progress bar shows an intermediate
//! value while the run still goes, and at the end the spinner is gone, the status box is
//! complete, the toast sits fixed in the bottom right corner and the balloons rise over the page
//! without taking a click.

use serde_json::json;

use crate::support::{self, StoreKind};
use crate::{WAIT, wait_for_runnel};

const BAR: &str = "document.querySelector('.rn-status progress')";
const DONE: &str = "document.querySelector('.rn-status-complete') !== null";

#[test]
fn a_progress_bar_updated_in_a_loop_shows_an_intermediate_value_before_the_run_ends() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/status"));
    wait_for_runnel(&page);
    page.click("form[data-widget='button:Run the job'] button");
    let between = format!("{BAR} !== null && {BAR}.value > 0 && {BAR}.value < 100 && !({DONE})");
    page.wait_until(&between, WAIT);
    assert_eq!(page.eval(&format!("{BAR}.getAttribute('aria-valuenow') === String({BAR}.value)")), json!(true));
    page.wait_until(DONE, WAIT);
    assert_eq!(page.eval(&format!("{BAR}.value")), json!(100));
    assert_eq!(page.eval("document.querySelectorAll('.rn-spinner').length"), json!(0));
    let toast = "getComputedStyle(document.querySelector('.rn-toast'))";
    assert_eq!(page.eval(&format!("[{toast}.position, {toast}.animationName]")), json!(["fixed", "rn-toast"]));
    let balloons = "getComputedStyle(document.querySelector('.rn-balloons'))";
    let glyph = "getComputedStyle(document.querySelector('.rn-balloons span'))";
    let looks = format!("[{balloons}.position, {balloons}.pointerEvents, {glyph}.animationName]");
    assert_eq!(page.eval(&looks), json!(["fixed", "none", "rn-rise"]));
    let under = "(() => { const b = document.querySelector(\"form[data-widget='button:Run the job'] button\"); \
                 const r = b.getBoundingClientRect(); \
                 return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b; })()";
    assert_eq!(page.eval(under), json!(true), "the balloons are never in the way of a click");
}

#[test]
fn a_second_click_in_a_row_that_celebrates_plays_the_balloons_again() {
    let scripts = support::ScriptDir::with(&[("party.rhai", r#"if button("Go") { balloons(); } text("end");"#)]);
    let app = support::TestApp::spawn(scripts.settings(false));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/party"));
    wait_for_runnel(&page);
    page.click("form[data-widget='button:Go'] button");
    page.wait_until("document.querySelector('.rn-balloons') !== null", WAIT);
    // The same page again, but for the balloons' new play: they must be a new element (a
    // morphed one would keep its finished animation).
    let first = page.eval("document.querySelector('.rn-balloons').dataset.rnReplay");
    page.eval("document.querySelector('.rn-balloons').playedOnce = true");
    page.click("form[data-widget='button:Go'] button");
    page.wait_until(&format!("document.querySelector('.rn-balloons').dataset.rnReplay !== {first}"), WAIT);
    assert_eq!(page.eval("document.querySelectorAll('.rn-balloons').length"), json!(1));
    assert_eq!(page.eval("document.querySelector('.rn-balloons').playedOnce ?? null"), json!(null), "a new element");
    let glyph = "getComputedStyle(document.querySelector('.rn-balloons span'))";
    assert_eq!(page.eval(&format!("{glyph}.animationName")), json!("rn-rise"));
}
