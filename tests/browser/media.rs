//! Media, maps and Vega-Lite in real Chromium: a Vega-Lite chart is drawn by the vendored vega
//! (in its CSP-safe mode: no policy violation) and, without JavaScript, leaves a placeholder
//! with its title; the XSS strings in captions, map tooltips and chart titles stay inert.

use serde_json::json;

use crate::support::{self, StoreKind};
use crate::{WAIT, wait_for_runnel};

const INJECTED: &str = "document.querySelectorAll('svg[onload], iframe, [onclick], [onerror], img[src=x]').length";

fn fixtures_app() -> support::TestApp {
    support::TestApp::spawn(support::settings("tests/fixtures", StoreKind::Memory, None))
}

#[test]
fn a_vega_lite_chart_is_drawn_with_javascript_under_the_strict_policy() {
    let app = fixtures_app();
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.watch_csp_violations();
    page.navigate(&app.url("/media_xss"));
    wait_for_runnel(&page);
    page.wait_until("document.querySelector('.rn-vega.rn-vega-ready .rn-vega-view svg')", WAIT);
    let bars = page.eval("document.querySelectorAll('.rn-vega-view svg .mark-rect path').length");
    assert_eq!(bars, json!(5), "one bar per row");
    assert_eq!(page.eval("getComputedStyle(document.querySelector('.rn-vega-placeholder')).display"), json!("none"));
    let title = page.eval("document.querySelector('.rn-vega-view svg .role-title-text').textContent");
    assert_eq!(title, json!("Values <img src=x onerror=alert(2)>"), "the title is drawn as text");
    assert_eq!(page.csp_violations(), Vec::<String>::new());
    assert_eq!(page.eval(INJECTED), json!(0));
    assert_eq!(page.on_dialog_count(), 0, "an alert fired");
}

#[test]
fn without_javascript_a_vega_lite_chart_shows_its_title_in_a_placeholder() {
    let app = fixtures_app();
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.set_javascript_enabled(false);
    page.navigate(&app.url("/media_xss"));
    let placeholder = page.text(".rn-vega-placeholder");
    assert!(placeholder.contains("Values <img src=x onerror=alert(2)>"), "{placeholder}");
    assert!(placeholder.contains("JavaScript"), "{placeholder}");
    assert_eq!(page.eval("document.querySelectorAll('.rn-vega-view *').length"), json!(0));
    assert_eq!(
        page.eval("document.querySelectorAll('svg.rn-map circle').length"),
        json!(5),
        "the map needs no JavaScript"
    );
}

#[test]
fn captions_and_map_tooltips_with_xss_strings_stay_text() {
    let app = fixtures_app();
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/media_xss"));
    wait_for_runnel(&page);
    assert_eq!(page.text(".rn-image figcaption"), "<script>alert(1)</script>");
    let tooltip = page.eval("document.querySelectorAll('svg.rn-map circle title')[1].textContent");
    assert!(tooltip.as_str().unwrap().starts_with("label: <img src=x onerror=alert(2)>"), "{tooltip}");
    let image = "document.querySelector('.rn-image img')";
    page.wait_until(&format!("{image}.complete && {image}.naturalWidth === 2"), WAIT);
    assert_eq!(page.eval(INJECTED), json!(0));
    assert_eq!(page.on_dialog_count(), 0, "an alert fired");
}
