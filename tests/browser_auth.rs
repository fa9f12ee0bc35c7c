//! Logout in real headless Chromium (DESIGN.md, invariant 3, "Logout is real"): after the
//! authenticator's "Log out", a reload (even one that races the logout click), the back button,
//! another tab of the same browser and a replay of the old session cookie in a fresh browser
//! context all see a logged-out user. Every scenario runs on the in-memory store and on a
//! private Redis.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::chromium::{Browser, Page};
use support::{ADMIN, CredentialsFile, RedisServer, StoreKind, TestApp};

/// Upper bound for every wait on the page.
const WAIT: Duration = Duration::from_secs(10);

const SESSION_COOKIE: &str = "runnel_session";
const LOGIN_FORM: &str = "form[data-widget='auth:login']";
const USERNAME: &str = "#auth-login-username";
const PASSWORD: &str = "#auth-login-password";
const LOGIN_BUTTON: &str = "form[data-widget='auth:login'] button[type='submit']";
const LOGOUT_BUTTON: &str = "form[data-widget='auth:logout'] button[type='submit']";
const COUNT_VISIT: &str = "form[data-widget='button:Count a visit'] button";
const HELLO: &str = "Hello, John Smith";

/// One host with the authenticator on, serving `scripts/`, on the chosen store.
struct Host {
    app: TestApp,
    _credentials: CredentialsFile,
    _redis: Option<RedisServer>,
}

impl Host {
    fn start(kind: StoreKind) -> Self {
        let credentials = CredentialsFile::sample();
        let redis = (kind == StoreKind::Redis).then(RedisServer::start);
        let settings = support::auth_settings(&support::repo_path("scripts"), &credentials, kind, redis.as_ref());
        Self { app: TestApp::spawn(settings), _credentials: credentials, _redis: redis }
    }

    fn members(&self) -> String {
        self.app.url("/members")
    }
}

fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// What the page shows about the login right now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    /// The login form, and nothing of the logged-in page.
    LoginForm,
    /// The logged-in page ("Hello, John Smith"), and no login form.
    LoggedIn,
    /// Anything else: the page's text, for the failure message.
    Other(String),
}

fn shown(page: &Page) -> Shown {
    let js = format!(
        "(() => {{ const root = document.getElementById('runnel-root'); \
         const text = root ? root.textContent : document.body.textContent; \
         return [!!document.querySelector({form}), text.includes({hello}), text]; }})()",
        form = js_string(LOGIN_FORM),
        hello = js_string(HELLO),
    );
    let v = page.eval(&js);
    match (v[0].as_bool(), v[1].as_bool()) {
        (Some(true), Some(false)) => Shown::LoginForm,
        (Some(false), Some(true)) => Shown::LoggedIn,
        _ => Shown::Other(v[2].as_str().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ")),
    }
}

/// The error toast's text, if one is showing.
fn toast(page: &Page) -> Option<String> {
    let v = page.eval("(() => { const t = document.getElementById('runnel-toast'); return t && !t.hidden ? t.textContent : null; })()");
    v.as_str().map(str::to_owned)
}

/// Polls `js_condition` (bounded by `WAIT`); on timeout, says what the page shows instead.
fn wait_for(page: &Page, what: &str, js_condition: &str) {
    let deadline = Instant::now() + WAIT;
    let js = format!("(() => {{ try {{ return !!({js_condition}); }} catch (e) {{ return false; }} }})()");
    let mut last_toast = None;
    while page.eval(&js) != json!(true) {
        last_toast = toast(page).or(last_toast);
        if Instant::now() > deadline {
            let (shown, toast, url) = (shown(page), last_toast, page.url());
            let alerts = page.eval("[...document.querySelectorAll('.rn-alert')].map(a => a.textContent.trim())");
            panic!(
                "timed out after {WAIT:?} waiting for {what}; at {url} the page shows {shown:?}, alerts {alerts}, \
                 last toast {toast:?}"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_for_runnel(page: &Page) {
    page.wait_until("typeof window.Runnel === 'object' && typeof Idiomorph === 'object'", WAIT);
}

fn wait_for_login_form(page: &Page) {
    let js = format!(
        "!!document.querySelector({}) && !document.getElementById('runnel-root').textContent.includes({})",
        js_string(LOGIN_FORM),
        js_string(HELLO)
    );
    wait_for(page, "the login form", &js);
}

fn wait_for_hello(page: &Page) {
    let js = format!(
        "[...document.querySelectorAll('h2.rn-header')].some(h => h.textContent.trim() === {})",
        js_string(HELLO)
    );
    wait_for(page, "\"Hello, John Smith\"", &js);
}

/// Opens `url` (a full page load) and waits for the page's scripts.
fn open(page: &Page, url: &str) {
    page.navigate(url);
    wait_for_runnel(page);
}

/// Types the user's name and password into the login form, clicks "Login" and waits for "Hello".
fn log_in(page: &Page, (username, password): (&str, &str)) {
    wait_for_login_form(page);
    page.focus(USERNAME);
    page.type_text(username);
    page.focus(PASSWORD);
    page.type_text(password);
    page.click(LOGIN_BUTTON);
    wait_for_hello(page);
}

/// The visits metric ("Visits this session"), or None when it is not shown.
fn visits(page: &Page) -> Option<String> {
    let v = page.eval("document.querySelector('.rn-metric-value')?.textContent.trim() ?? null");
    v.as_str().map(str::to_owned)
}

/// The session cookie as CDP reports it (HttpOnly included).
fn session_cookie(page: &Page) -> Value {
    let cookies = page.cookies();
    cookies
        .into_iter()
        .find(|c| c["name"] == json!(SESSION_COOKIE))
        .unwrap_or_else(|| panic!("the browser holds no {SESSION_COOKIE} cookie"))
}

/// The session cookie is HttpOnly: the browser has it, page scripts cannot read it.
fn assert_session_cookie_is_http_only(page: &Page) {
    let cookie = session_cookie(page);
    assert_eq!(cookie["httpOnly"], json!(true), "the session cookie is not HttpOnly: {cookie}");
    let visible = page.eval("document.cookie");
    let visible = visible.as_str().unwrap_or_default();
    assert!(!visible.contains(SESSION_COOKIE), "document.cookie shows the session cookie: {visible:?}");
    let value = cookie["value"].as_str().unwrap_or_default();
    assert!(value.is_empty() || !visible.contains(value), "document.cookie shows the session's value");
}

// ---- a. Reload right after logout ---------------------------------------------------------

/// 20 fresh login → logout → reload cycles in one tab: the reload is sent by CDP right after
/// the real mouse click on "Log out", without waiting for the logout's answer.
fn reload_right_after_logout_twenty_times(kind: StoreKind) {
    let host = Host::start(kind);
    let browser = Browser::launch();
    let page = browser.new_page();
    open(&page, &host.members());
    let mut failures = Vec::new();
    for cycle in 1..=20 {
        eprintln!("cycle {cycle}");
        log_in(&page, ADMIN);
        assert_session_cookie_is_http_only(&page);
        page.click(LOGOUT_BUTTON);
        page.reload();
        wait_for_runnel(&page);
        let after = shown(&page);
        if after != Shown::LoginForm {
            failures.push(format!("cycle {cycle}: {after:?}"));
            // Leave the cycle logged out so the next one starts fresh.
            if after == Shown::LoggedIn {
                page.click(LOGOUT_BUTTON);
                wait_for_login_form(&page);
            }
        }
    }
    assert!(failures.is_empty(), "a reload right after logout did not show the login form:\n{}", failures.join("\n"));
    assert_session_cookie_is_http_only(&page);
}

/// 20 cycles where `location.reload()` runs in the same script as the click on "Log out", or a
/// few milliseconds after it: the logout request and the reload race.
fn reload_racing_the_logout_click_twenty_times(kind: StoreKind) {
    let host = Host::start(kind);
    let browser = Browser::launch();
    let page = browser.new_page();
    open(&page, &host.members());
    let mut failures = Vec::new();
    for cycle in 1..=20u64 {
        log_in(&page, ADMIN);
        let delay_ms = [0, 0, 1, 3, 5][(cycle % 5) as usize];
        let reload = if delay_ms == 0 {
            "location.reload();".to_owned()
        } else {
            format!("setTimeout(() => location.reload(), {delay_ms});")
        };
        let before = page.navigations();
        let js = format!("document.querySelector({}).click(); {reload} true", js_string(LOGOUT_BUTTON));
        assert_eq!(page.eval(&js), json!(true));
        page.wait_for_navigation(before, WAIT);
        wait_for_runnel(&page);
        let after = shown(&page);
        if after != Shown::LoginForm {
            failures.push(format!("cycle {cycle} (reload {delay_ms} ms after the click): {after:?}"));
            if after == Shown::LoggedIn {
                page.click(LOGOUT_BUTTON);
                wait_for_login_form(&page);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "a reload racing the logout click showed the user still logged in:\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_reload_right_after_logout_shows_the_login_form_in_twenty_cycles_in_memory() {
    reload_right_after_logout_twenty_times(StoreKind::Memory);
}

#[test]
fn a_reload_right_after_logout_shows_the_login_form_in_twenty_cycles_on_redis() {
    reload_right_after_logout_twenty_times(StoreKind::Redis);
}

#[test]
fn a_reload_racing_the_logout_click_shows_the_login_form_in_twenty_cycles_in_memory() {
    reload_racing_the_logout_click_twenty_times(StoreKind::Memory);
}

#[test]
fn a_reload_racing_the_logout_click_shows_the_login_form_in_twenty_cycles_on_redis() {
    reload_racing_the_logout_click_twenty_times(StoreKind::Redis);
}
