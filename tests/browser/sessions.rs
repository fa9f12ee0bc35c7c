//! Sessions a user can see and end, clicked in real headless Chromium on the example page
//! `scripts/07_sessions.rhai`: two browsers (two browser contexts, each with its own cookies)
//! log in as the same user; one lists both, ends the other with its "End" button (the other is
//! logged out at its next load), then ends itself with "Log out".

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::chromium::{Browser, Page};
use crate::support::{self, ADMIN, CredentialsFile, RedisServer, StoreKind, TestApp};
use crate::{WAIT, js_string, wait_for_runnel};

const LOGIN_FORM: &str = "form[data-widget='auth:login']";
const LISTED: &str = "Where you are logged in";
const END_BUTTONS: &str = "form[data-widget^='button:key:end_'] button";

/// Polls `js_condition` (bounded by `WAIT`); on timeout, says what the page shows instead.
fn wait_for(page: &Page, what: &str, js_condition: &str) {
    let deadline = Instant::now() + WAIT;
    let js = format!("(() => {{ try {{ return !!({js_condition}); }} catch (e) {{ return false; }} }})()");
    while page.eval(&js) != json!(true) {
        if Instant::now() > deadline {
            let text = page.eval("document.body.textContent");
            panic!("timed out after {WAIT:?} waiting for {what}; the page shows {text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn buttons_shown(count: usize) -> String {
    format!("document.querySelectorAll({}).length === {count}", js_string(END_BUTTONS))
}

fn login_form_shown() -> String {
    format!(
        "!!document.querySelector({}) && !document.body.textContent.includes({})",
        js_string(LOGIN_FORM),
        js_string(LISTED)
    )
}

/// Opens the sessions page in `page` and logs in as `user` by typing and clicking.
fn log_in(page: &Page, url: &str, (username, password): (&str, &str)) {
    page.navigate(url);
    wait_for_runnel(page);
    wait_for(page, "the login form", &login_form_shown());
    page.focus("#auth-login-username");
    page.type_text(username);
    page.focus("#auth-login-password");
    page.type_text(password);
    page.click("form[data-widget='auth:login'] button[type='submit']");
    wait_for(page, "the list of sessions", &format!("document.body.textContent.includes({})", js_string(LISTED)));
}

/// Clicks the row button labelled `label` ("End" or "Log out").
fn click_row_button(page: &Page, label: &str) {
    let js = format!(
        "[...document.querySelectorAll({})].find(b => b.textContent.trim() === {})?.closest('form').dataset.widget",
        js_string(END_BUTTONS),
        js_string(label)
    );
    let widget = page.eval(&js);
    let widget = widget.as_str().unwrap_or_else(|| panic!("no {label:?} button on the page"));
    page.click(&format!("form[data-widget='{widget}'] button"));
}

fn a_user_ends_another_browser_and_then_this_one_by_clicking(kind: StoreKind) {
    let credentials = CredentialsFile::sample();
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let settings = support::auth_settings(&support::repo_path("scripts"), &credentials, kind, redis.as_ref());
    let app = TestApp::spawn(settings);
    let url = app.url("/sessions");
    let browser = Browser::launch();
    let laptop = browser.new_page();
    log_in(&laptop, &url, ADMIN);
    let phone = browser.new_page_in(&browser.new_context());
    log_in(&phone, &url, ADMIN);
    laptop.reload();
    wait_for_runnel(&laptop);
    wait_for(&laptop, "two sessions listed", &buttons_shown(2));
    click_row_button(&laptop, "End");
    wait_for(&laptop, "one session left", &buttons_shown(1));
    phone.reload();
    wait_for_runnel(&phone);
    wait_for(&phone, "the phone logged out", &login_form_shown());
    click_row_button(&laptop, "Log out");
    wait_for(&laptop, "the laptop logged out", &login_form_shown());
    laptop.reload();
    wait_for_runnel(&laptop);
    wait_for(&laptop, "still logged out after a reload", &login_form_shown());
}

#[test]
fn a_user_ends_another_browser_and_then_this_one_by_clicking_on_memory() {
    a_user_ends_another_browser_and_then_this_one_by_clicking(StoreKind::Memory);
}

#[test]
fn a_user_ends_another_browser_and_then_this_one_by_clicking_on_redis() {
    a_user_ends_another_browser_and_then_this_one_by_clicking(StoreKind::Redis);
}
