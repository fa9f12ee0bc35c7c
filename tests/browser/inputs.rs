//! The native date, colour and range inputs in real Chromium: a viewer sets them on the page
//! and sees what the script received.

use crate::support::chromium::Page;
use crate::support::{self, StoreKind};
use crate::{WAIT, js_string, wait_for_runnel};

/// Sets a native input's value as its picker does, and commits it with a `change` event.
fn pick(page: &Page, selector: &str, value: &str) {
    let js = format!(
        "(() => {{ const el = document.querySelector({}); el.value = {}; \
         el.dispatchEvent(new Event('input', {{ bubbles: true }})); \
         el.dispatchEvent(new Event('change', {{ bubbles: true }})); }})()",
        js_string(selector),
        js_string(value)
    );
    page.eval(&js);
}

/// Waits until the script's summary line contains `text`.
fn wait_for_summary(page: &Page, text: &str) {
    let js =
        format!("[...document.querySelectorAll('.rn-text')].some(t => t.textContent.includes({}))", js_string(text));
    page.wait_until(&js, WAIT);
}

#[test]
fn a_viewer_sets_a_date_a_colour_and_a_range_and_sees_the_scripts_result() {
    let app = support::TestApp::spawn(support::settings("tests/fixtures/inputs", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.watch_csp_violations();
    page.navigate(&app.url("/inputs"));
    wait_for_runnel(&page);
    wait_for_summary(&page, "day=2024-05-01");

    pick(&page, "form[data-widget='date_input:Day'] input[type=date]", "2024-07-04");
    wait_for_summary(&page, "day=2024-07-04");
    pick(&page, "form[data-widget='color_picker:Colour'] input[type=color]", "#ff8800");
    wait_for_summary(&page, "colour=#ff8800");
    pick(&page, "form[data-widget='slider:Price'] input[type=range]:last-of-type", "60");
    wait_for_summary(&page, "price=20-60");
    pick(&page, "form[data-widget='slider:Price'] input[type=range]", "30");
    wait_for_summary(&page, "price=30-60");

    let date = page.eval("document.querySelector(\"form[data-widget='date_input:Day'] input[type=date]\").value");
    assert_eq!(date, serde_json::json!("2024-07-04"), "the page shows the date the script kept");
    assert_eq!(page.csp_violations(), Vec::<String>::new(), "the new inputs need nothing the policy forbids");
}
