//! The building blocks in real Chromium: forms send their widgets only on submit, the open tab
//! survives a rerun, the theme switch works, and the classic XSS strings stay inert everywhere.

use serde_json::json;

use crate::support::chromium::Page;
use crate::support::{self, StoreKind};
use crate::{WAIT, wait_for_runnel};

const RESULT: &str = "document.querySelector('.rn-main .rn-text')?.textContent ?? ''";

fn fixtures_app() -> support::TestApp {
    support::TestApp::spawn(support::settings("tests/fixtures", StoreKind::Memory, None))
}

/// Counts morphs from now on in `window.__morphs`.
fn count_morphs(page: &Page) {
    page.eval("window.__morphs = 0; document.addEventListener('runnel:update', () => window.__morphs++)");
}

fn wait_for_result(page: &Page, text: &str) {
    let text = serde_json::to_string(text).unwrap();
    page.wait_until(&format!("({RESULT}) === {text}"), WAIT);
}

#[test]
fn a_form_sends_its_widgets_only_when_it_is_submitted() {
    let app = fixtures_app();
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/order_form"));
    wait_for_runnel(&page);
    page.eval("window.__marker = 42");
    count_morphs(&page);
    page.focus("form.rn-form input[type=text]");
    page.type_text("Ada");
    page.eval("document.querySelector('form.rn-form input[type=range]').value = 8");
    page.eval("document.querySelector('form.rn-form input[type=range]').dispatchEvent(new Event('change', { bubbles: true }))");
    page.focus("button");
    assert_eq!(page.eval("window.__morphs"), json!(0), "a widget in a form must not rerun the script");
    assert_eq!(page.eval(RESULT), json!("qty=1 name= orders=0"));
    page.click("form.rn-form button[type=submit]");
    wait_for_result(&page, "qty=8 name=Ada orders=1");
    assert_eq!(page.eval("window.__marker"), json!(42), "the page was reloaded");
}

#[test]
fn a_form_works_without_javascript() {
    let app = fixtures_app();
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.set_javascript_enabled(false);
    page.navigate(&app.url("/order_form"));
    page.focus("form.rn-form input[type=text]");
    page.type_text("Grace");
    page.click("form.rn-form button[type=submit]");
    wait_for_result(&page, "qty=1 name=Grace orders=1");
    assert_eq!(page.url(), app.url("/order_form"), "post/redirect/get lands back on the page");
}

#[test]
fn the_open_tab_stays_open_when_the_page_reruns() {
    let app = fixtures_app();
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/order_form"));
    wait_for_runnel(&page);
    let second_panel = "document.querySelectorAll('.rn-tab-panel')[1]";
    assert_eq!(page.eval(&format!("{second_panel}.offsetParent === null")), json!(true), "only the first tab shows");
    page.click("label.rn-tab-label:nth-of-type(2)");
    page.wait_until(&format!("{second_panel}.offsetParent !== null"), WAIT);
    page.click("form[data-widget='button:Plus one'] button");
    page.wait_until(&format!("{second_panel}.textContent.includes('extra=1')"), WAIT);
    assert_eq!(
        page.eval(&format!("{second_panel}.offsetParent !== null")),
        json!(true),
        "the second tab is still open"
    );
}

#[test]
fn the_theme_switch_changes_the_colours_and_is_remembered() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/explorer"));
    wait_for_runnel(&page);
    let background = "getComputedStyle(document.body).backgroundColor";
    let before = page.eval(background);
    page.click("#rn-theme-toggle");
    page.wait_until(&format!("{background} !== {before}"), WAIT);
    let after = page.eval(background);
    page.navigate(&app.url("/explorer"));
    wait_for_runnel(&page);
    assert_eq!(page.eval(background), after, "the choice survives a reload");
    page.click("#rn-theme-toggle");
    page.wait_until(&format!("{background} === {before}"), WAIT);
}

/// Elements or attributes that only an injection could have made. (Markdown alerts may keep a
/// plain `<img src=x>`: sanitized, without its handler, it is inert.)
const INJECTED: &str = "document.querySelectorAll('svg[onload], iframe, [onclick], [onerror], [onmouseover]').length";

#[test]
fn the_classic_xss_strings_stay_inert_in_every_new_element() {
    let app = fixtures_app();
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/xss_blocks"));
    wait_for_runnel(&page);
    assert_eq!(page.eval(INJECTED), json!(0));
    assert_eq!(page.eval("document.scripts.length"), json!(4), "only the page's own scripts");
    assert_eq!(page.eval("document.querySelectorAll('.rn-chart').length"), json!(8), "every chart type");
    for tab in 1..=5 {
        page.click(&format!("label.rn-tab-label:nth-of-type({tab})"));
    }
    count_morphs(&page);
    page.click("form.rn-form button[type=submit]");
    page.wait_until("window.__morphs >= 1", WAIT);
    page.click("a.rn-sort");
    page.wait_until("window.__morphs >= 2", WAIT);
    assert_eq!(page.eval(INJECTED), json!(0));
    assert_eq!(page.eval("document.scripts.length"), json!(4));
    assert_eq!(page.on_dialog_count(), 0, "an alert fired");
}

#[test]
fn a_person_sorts_and_pages_the_explorers_data_frame_by_clicking() {
    let app = support::TestApp::spawn(support::settings("scripts", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/explorer"));
    wait_for_runnel(&page);
    let pager = "document.querySelector('.rn-dataframe .rn-pager span').textContent";
    assert_eq!(page.eval(pager), json!("Page 1 of 30 · 359 rows"));
    let header = "[...document.querySelectorAll('.rn-dataframe th')]";
    assert_eq!(
        page.eval(&format!("{header}.map(th => th.querySelector('a').firstChild.textContent)")),
        json!(["date", "region", "product", "channel", "units", "unit price", "revenue"]),
        "the frame's columns in the asked order, with the label"
    );
    let units =
        "[...document.querySelectorAll('.rn-dataframe tbody tr')].map(tr => Number(tr.children[4].textContent))";
    page.eval(&format!("{header}[4].querySelector('a').click()"));
    page.wait_until(&format!("{header}[4].getAttribute('aria-sort') === 'ascending'"), WAIT);
    let sorted = page.eval(units);
    let sorted: Vec<f64> = sorted.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "{sorted:?}");
    page.click(".rn-dataframe a[rel=next]");
    page.wait_until(&format!("{pager} === 'Page 2 of 30 · 359 rows'"), WAIT);
    assert!(page.url().contains("orders.sort=units") && page.url().contains("orders.page=2"), "{}", page.url());
    let first_date = page.eval("document.querySelector('.rn-dataframe tbody td').textContent");
    assert!(first_date.as_str().is_some_and(|d| d.len() == 10 && &d[2..3] == "."), "dates are formatted: {first_date}");
}
