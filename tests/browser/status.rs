//! Status elements in real Chromium: the example job's progress bar shows an intermediate
//! value while the run still goes, and at the end the spinner is gone, the status box is
//! complete and the toast sits fixed in the bottom right corner.

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
}
