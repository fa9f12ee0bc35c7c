//! A multipage app in real headless Chromium: the navigation grouped by section, a click on a
//! `page_link`, and a button whose run calls `switch_page` (runnel.js follows the answer).

use crate::support::chromium::Page;
use crate::support::{ScriptDir, TestApp, chromium::Browser};
use crate::{WAIT, js_string, wait_for_runnel};

const HOME: &str = "//! title: Home\n//! icon: 🏠\ntitle(\"Home body\");\n\
                    page_link(\"report\", #{ label: \"Open the report\" });\n\
                    if button(\"Meet the team\") { switch_page(\"team\"); }";
const REPORT: &str = "//! title: Sales report\n//! section: Reports\ntitle(\"Report body\");";
const TEAM: &str = "//! title: The team\n//! section: People\ntitle(\"Team body\");";

fn app_pages() -> ScriptDir {
    ScriptDir::with(&[("01_home.rhai", HOME), ("02_report.rhai", REPORT), ("03_team.rhai", TEAM)])
}

/// Waits until the page's title (`h1.rn-title`) reads `title`.
fn wait_for_title(page: &Page, title: &str) {
    let js = format!("document.querySelector('.rn-main h1.rn-title')?.textContent.trim() === {}", js_string(title));
    page.wait_until(&js, WAIT);
}

#[test]
fn a_page_link_and_switch_page_move_between_pages_of_a_sectioned_navigation() {
    let dir = app_pages();
    let app = TestApp::spawn(dir.settings(false));
    let browser = Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/home"));
    wait_for_runnel(&page);

    let headings = page.eval("[...document.querySelectorAll('.rn-nav-heading')].map(h => h.textContent)");
    assert_eq!(headings, serde_json::json!(["Reports", "People"]), "a heading per section, in order");
    let links = page.eval("[...document.querySelectorAll('a.rn-nav-link')].map(a => a.textContent.trim())");
    assert_eq!(links, serde_json::json!(["🏠 Home", "Sales report", "The team"]));

    let before = page.navigations();
    page.click("a.rn-page-link");
    page.wait_for_navigation(before, WAIT);
    wait_for_title(&page, "Report body");
    assert!(page.url().ends_with("/report"), "{}", page.url());

    page.navigate(&app.url("/home"));
    wait_for_runnel(&page);
    let before = page.navigations();
    page.click("form[data-widget='button:Meet the team'] button");
    page.wait_for_navigation(before, WAIT);
    wait_for_title(&page, "Team body");
    assert!(page.url().ends_with("/team"), "{}", page.url());
    let current = page.text("a.rn-nav-link.active");
    assert_eq!(current.trim(), "The team", "the navigation marks the page switched to");
}
