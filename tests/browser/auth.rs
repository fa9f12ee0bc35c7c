//! Logout in real headless Chromium (DESIGN.md, invariant 3, "Logout is real"): after the
//! authenticator's "Log out", a reload (even one that races the logout click), the back button,
//! another tab of the same browser and a replay of the old session cookie in a fresh browser
//! context all see a logged-out user. Every scenario runs on the in-memory store and on a
//! private Redis.

use std::time::{Duration, Instant};

use crate::support::chromium::{Browser, Page, Request};
use crate::support::{self, ADMIN, CredentialsFile, RedisServer, StoreKind, TestApp};
use crate::{WAIT, js_string, wait_for_runnel};
use serde_json::{Value, json};

/// The session cookie of the default settings (no `--secure-cookie`).
const SESSION_COOKIE: &str = runnel::startup::SessionCookie::PLAIN_NAME;
const LOGIN_FORM: &str = "form[data-widget='auth:login']";
const USERNAME: &str = "#auth-login-username";
const PASSWORD: &str = "#auth-login-password";
const LOGIN_BUTTON: &str = "form[data-widget='auth:login'] button[type='submit']";
pub(crate) const LOGOUT_BUTTON: &str = "form[data-widget='auth:logout'] button[type='submit']";
pub(crate) const COUNT_VISIT: &str = "form[data-widget='button:Count a visit'] button";
const HELLO: &str = "Hello, John Smith";

/// One host with the authenticator on, serving `scripts/`, on the chosen store.
struct Host {
    app: TestApp,
    _credentials: CredentialsFile,
    _redis: Option<RedisServer>,
}

impl Host {
    fn start(kind: StoreKind) -> Self {
        Self::start_with(kind, &support::repo_path("scripts"))
    }

    /// A host serving the scripts in `scripts` (one of them `members.rhai`).
    fn start_with(kind: StoreKind, scripts: &std::path::Path) -> Self {
        let credentials = CredentialsFile::sample();
        let redis = (kind == StoreKind::Redis).then(RedisServer::start);
        let settings = support::auth_settings(scripts, &credentials, kind, redis.as_ref());
        Self { app: TestApp::spawn(settings), _credentials: credentials, _redis: redis }
    }

    fn members(&self) -> String {
        self.app.url("/members")
    }
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
pub(crate) fn wait_for(page: &Page, what: &str, js_condition: &str) {
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

pub(crate) fn wait_for_login_form(page: &Page) {
    let js = format!(
        "!!document.querySelector({}) && !document.getElementById('runnel-root').textContent.includes({})",
        js_string(LOGIN_FORM),
        js_string(HELLO)
    );
    wait_for(page, "the login form", &js);
}

pub(crate) fn wait_for_hello(page: &Page) {
    let js = format!(
        "[...document.querySelectorAll('h2.rn-header')].some(h => h.textContent.trim() === {})",
        js_string(HELLO)
    );
    wait_for(page, "\"Hello, John Smith\"", &js);
}

/// Opens `url` (a full page load) and waits for the page's scripts.
pub(crate) fn open(page: &Page, url: &str) {
    page.navigate(url);
    wait_for_runnel(page);
}

/// Types the user's name and password into the login form, clicks "Login" and waits for "Hello".
pub(crate) fn log_in(page: &Page, (username, password): (&str, &str)) {
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

/// The session cookie the browser sends to `url`, as CDP reports it (HttpOnly included).
fn session_cookie_for(page: &Page, url: &str) -> Value {
    let cookies = page.cookies_for(url);
    cookies
        .into_iter()
        .find(|c| c["name"] == json!(SESSION_COOKIE))
        .unwrap_or_else(|| panic!("the browser holds no {SESSION_COOKIE} cookie for {url}"))
}

/// The session cookie the browser sends to the tab's current URL.
fn session_cookie(page: &Page) -> Value {
    session_cookie_for(page, &page.url())
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

/// A `#[test]` on the in-memory store and one on a private Redis, from one scenario.
macro_rules! on_both_stores {
    ($scenario:ident => $memory:ident, $redis:ident) => {
        #[test]
        fn $memory() {
            $scenario(StoreKind::Memory);
        }

        #[test]
        fn $redis() {
            $scenario(StoreKind::Redis);
        }
    };
}

/// A host on `kind`, a browser, and a tab open on the members page.
fn members_page(kind: StoreKind) -> (Host, Browser, Page) {
    let host = Host::start(kind);
    let browser = Browser::launch();
    let page = browser.new_page();
    open(&page, &host.members());
    (host, browser, page)
}

// ---- a. Reload right after logout ---------------------------------------------------------

/// The logout form's post, as its URL ends.
const LOGOUT_POST: &str = "/members/auth/logout";

/// What the browser reported of one logout cycle: the logout's post and the reload's page
/// request. CDP reports a page's fetch from its document, so a post whose document the reload
/// replaced at once may be missing (the server's log shows it arrived all the same).
struct Cycle {
    logout: Option<Request>,
    reload: Request,
}

impl Cycle {
    /// Reads the cycle from the tab's requests (recorded since the cycle began).
    fn of(page: &Page, members: &str) -> Cycle {
        let requests = page.requests();
        let logout = requests.iter().find(|r| r.method == "POST" && r.url.ends_with(LOGOUT_POST)).cloned();
        let reload = requests.iter().find(|r| r.method == "GET" && r.url == members).cloned();
        let reload =
            reload.unwrap_or_else(|| panic!("the reload sent no request for the page; the tab sent {requests:#?}"));
        Cycle { logout, reload }
    }

    /// When the logout's answer (and its new session cookie) reached the page, if it did.
    fn logout_answered(&self) -> Option<f64> {
        self.logout.as_ref().and_then(|logout| logout.answered)
    }

    /// The reload's request left the browser after the logout's answer had reached it.
    fn reload_followed_the_logout_answer(&self) -> bool {
        self.logout_answered().is_some_and(|answered| answered < self.reload.sent)
    }

    /// The order of events, in milliseconds after the logout's post was issued.
    fn timeline(&self) -> String {
        let Some(logout) = &self.logout else {
            return "the page reported no logout post before the reload replaced it".to_owned();
        };
        let ms = |t: Option<f64>| t.map_or("never".to_owned(), |t| format!("{:.1} ms", (t - logout.sent) * 1e3));
        format!(
            "logout post: answered {} (status {:?}), ended {} (canceled: {}); reload: sent {}, answered {}",
            ms(logout.answered),
            logout.status,
            ms(logout.ended),
            logout.canceled,
            ms(Some(self.reload.sent)),
            ms(self.reload.answered),
        )
    }
}

/// 20 fresh login → logout → reload cycles in one tab: a real mouse click on "Log out", and the
/// reload sent by CDP the moment the logout's answer has reached the browser, before the page has
/// even shown it. Every reload shows the login form. (A reload sent before the logout's post
/// reached the server races it: `a_reload_racing_the_logout_click_...` covers that.)
fn reload_right_after_logout_twenty_times(kind: StoreKind) {
    let (host, _browser, page) = members_page(kind);
    page.watch_network();
    for cycle in 1..=20 {
        // Each login is typed into the login form that the previous cycle's reload showed.
        log_in(&page, ADMIN);
        assert_session_cookie_is_http_only(&page);
        page.forget_requests();
        page.click(LOGOUT_BUTTON);
        let logout = page.wait_for_request("POST", LOGOUT_POST, WAIT);
        assert_eq!(logout.status, Some(200), "cycle {cycle}: the logout was not answered: {logout:?}");
        page.reload();
        wait_for_runnel(&page);
        let steps = Cycle::of(&page, &host.members());
        assert!(steps.reload_followed_the_logout_answer(), "cycle {cycle}: {}", steps.timeline());
        let after = shown(&page);
        assert_eq!(
            after,
            Shown::LoginForm,
            "cycle {cycle}: a reload after the logout's answer is not logged out ({})",
            steps.timeline()
        );
    }
    assert_session_cookie_is_http_only(&page);
}

/// 20 cycles where `location.reload()` runs in the same script as the click on "Log out", or a
/// few milliseconds after it: the logout's post and the reload's request race to the server.
/// The reloaded page may be logged in only if its request left before the logout's answer came
/// back (the server may have answered it first), and then only if the next reload shows the
/// login form, or the browser gave the logout's post up unanswered (the navigation cancelled it).
fn reload_racing_the_logout_click_twenty_times(kind: StoreKind) {
    let (host, _browser, page) = members_page(kind);
    page.watch_network();
    let mut raced = 0;
    for cycle in 1..=20u64 {
        log_in(&page, ADMIN);
        page.forget_requests();
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
        let steps = Cycle::of(&page, &host.members());
        let context = format!("cycle {cycle} (reload {delay_ms} ms after the click): {after:?}; {}", steps.timeline());
        match after {
            Shown::LoginForm => {}
            Shown::LoggedIn => {
                raced += 1;
                assert!(!steps.reload_followed_the_logout_answer(), "logged in after the logout's answer: {context}");
                page.forget_requests();
                page.reload();
                wait_for_runnel(&page);
                let next = shown(&page);
                eprintln!("{context}; the next reload shows {next:?}");
                if next == Shown::LoggedIn {
                    // The browser dropped the logout's post with the page it came from; had the
                    // server received it, the login would be over.
                    assert!(
                        steps.logout_answered().is_none(),
                        "the logout was answered, yet the next reload is logged in: {context}"
                    );
                    page.click(LOGOUT_BUTTON);
                    wait_for_login_form(&page);
                } else {
                    assert_eq!(next, Shown::LoginForm, "{context}");
                }
            }
            Shown::Other(_) => panic!("neither the login form nor the logged-in page: {context}"),
        }
    }
    eprintln!("{raced} of 20 reloads reached the server before the logout and showed the page still logged in");
}

on_both_stores!(reload_right_after_logout_twenty_times => a_reload_right_after_logout_shows_the_login_form_in_twenty_cycles_in_memory, a_reload_right_after_logout_shows_the_login_form_in_twenty_cycles_on_redis);

on_both_stores!(reload_racing_the_logout_click_twenty_times => a_reload_racing_the_logout_click_shows_the_login_form_in_twenty_cycles_in_memory, a_reload_racing_the_logout_click_shows_the_login_form_in_twenty_cycles_on_redis);

/// The CSRF token of the page's login form, and the one a fresh render for the session cookie
/// the browser holds now carries: they differ when the page belongs to another session.
fn csrf_of_page_and_of_the_current_session(page: &Page) -> (String, String) {
    let js = format!(
        "(async () => {{ const form = document.querySelector({form}); \
         const mine = form ? form.querySelector('input[name=csrf]').value : ''; \
         const res = await fetch(location.pathname, {{ headers: {{ 'X-Runnel-Fragment': '1' }}, cache: 'no-store' }}); \
         const doc = new DOMParser().parseFromString(await res.text(), 'text/html'); \
         const fresh = doc.querySelector('input[name=csrf]')?.value ?? ''; return [mine, fresh]; }})()",
        form = js_string(LOGIN_FORM)
    );
    let v = page.eval(&js);
    (v[0].as_str().unwrap_or_default().to_owned(), v[1].as_str().unwrap_or_default().to_owned())
}

/// A members page whose first run after a logout is slow (a second), like a dashboard
/// that does real work: the answer to "Log out" takes a while after the server has ended the
/// old session.
const SLOW_AFTER_LOGOUT: &str = r#"title("Members");
let auth = authenticator();
let user = auth.login(#{ fields: #{ "Form name": "Members login" } });
if user == () {
    if "slow_after_logout" in state && state.slow_after_logout {
        state.slow_after_logout = false;
        sleep(1.0);
    }
    stop();
}
state.slow_after_logout = true;
auth.logout(#{ button_name: "Log out", location: "sidebar" });
header(`Hello, ${user.name}`);
"#;

/// Tab 1 clicks "Log out"; while the server's (slow) rerun after the logout is still running,
/// tab 2 of the same browser loads the page with the old cookie and gets the login form; then
/// tab 1's answer arrives and sets its session cookie. The login form tab 2 shows must accept a
/// login: it must belong to the session whose cookie the browser keeps. (A reload right after
/// the click on "Log out" races the same way by chance: `a_reload_right_after_logout_...` hit it
/// in about one cycle in five before the fix; the login then failed with the CSRF error.)
fn log_in_on_a_page_loaded_while_the_logout_answer_was_on_its_way(kind: StoreKind) {
    let scripts = support::ScriptDir::with(&[("members.rhai", SLOW_AFTER_LOGOUT)]);
    let host = Host::start_with(kind, &scripts.path);
    let browser = Browser::launch();
    let (tab1, tab2) = (browser.new_page(), browser.new_page());
    open(&tab1, &host.members());
    log_in(&tab1, ADMIN);
    open(&tab2, &host.members());
    wait_for_hello(&tab2);

    tab1.click(LOGOUT_BUTTON);
    // Well inside the second the server spends in the rerun after the logout.
    std::thread::sleep(Duration::from_millis(300));
    open(&tab2, &host.members());
    assert_eq!(shown(&tab2), Shown::LoginForm, "a page loaded after the server's logout is logged in");
    wait_for_login_form(&tab1);

    let (on_page, of_session) = csrf_of_page_and_of_the_current_session(&tab2);
    assert_eq!(
        on_page, of_session,
        "tab 2's login form carries the CSRF token of a session the browser no longer holds (the logout's answer \
         replaced the session cookie that tab 2's page load had set), so logging in on it fails"
    );
    log_in(&tab2, ADMIN);
}

on_both_stores!(log_in_on_a_page_loaded_while_the_logout_answer_was_on_its_way => logging_in_on_a_page_loaded_while_the_logout_answer_was_on_its_way_works_in_memory, logging_in_on_a_page_loaded_while_the_logout_answer_was_on_its_way_works_on_redis);

// ---- b. The back button after logout ------------------------------------------------------

/// Logged in at /members?view=1 (entry A, a full page load) and at /members?view=2 (entry B), the
/// user logs out in B. The back button to A, then an interaction there and a reload, must never
/// show the logged-in page from a new request. A page restored whole from the back/forward
/// cache (no request at all) is told apart by a marker set in A's document.
fn back_button_after_logout(kind: StoreKind) {
    let (host, _browser, page) = members_page(kind);
    log_in(&page, ADMIN);
    let entry_a = host.app.url("/members?view=1");
    open(&page, &entry_a);
    wait_for_hello(&page);
    page.eval("window.__document = 'A'");
    open(&page, &host.app.url("/members?view=2"));
    wait_for_hello(&page);
    page.click(LOGOUT_BUTTON);
    wait_for_login_form(&page);

    page.go_back();
    assert_eq!(page.url(), entry_a, "the back button did not go back to the logged-in entry");
    let restored = page.eval("window.__document === 'A'") == json!(true);
    let after_back = shown(&page);
    if restored {
        // Restored from the back/forward cache: no request was made; anything shown is stale.
        eprintln!("back: restored from the back/forward cache, showing {after_back:?}");
    } else {
        assert_eq!(after_back, Shown::LoginForm, "the back button showed a new render that is not logged out");
    }

    // Any interaction: the visit button if the stale page has one, else the login form is
    // already there. Either way no logged-in content may come from the server.
    if after_back == Shown::LoggedIn {
        let visits_before = visits(&page);
        page.click(COUNT_VISIT);
        // Refused (the page is out of date), then shown as it is now.
        wait_for_login_form(&page);
        assert_eq!(visits(&page), None, "the page still shows visits after logout (before: {visits_before:?})");
    }
    page.reload();
    wait_for_runnel(&page);
    assert_eq!(shown(&page), Shown::LoginForm, "a reload after the back button is not logged out");

    // Further back (the entry where the login happened in place) is logged out too.
    page.go_back();
    assert_eq!(page.url(), host.members(), "the back button did not go back to the login entry");
    let shown_now = shown(&page);
    assert_eq!(shown_now, Shown::LoginForm, "the first entry, loaded again, is not logged out");
    page.eval("history.forward()");
    page.wait_until(&format!("location.href === {}", js_string(&entry_a)), WAIT);
    page.wait_until("document.readyState === 'complete'", WAIT);
    wait_for_runnel(&page);
    assert_eq!(shown(&page), Shown::LoginForm, "history.forward() to a logged-in entry is not logged out");
}

on_both_stores!(back_button_after_logout => the_back_button_after_logout_never_shows_the_member_page_from_a_new_request_in_memory, the_back_button_after_logout_never_shows_the_member_page_from_a_new_request_on_redis);

// ---- c. Another tab ------------------------------------------------------------------------

/// Two tabs of one browser (one cookie jar), both logged in; the user logs out in tab 1. Tab 2's
/// next click ("Count a visit") counts nothing, says clearly in a toast that the page is out of
/// date, and tab 2 then shows the login form, updated in place; after a reload too.
fn another_tab_after_logout(kind: StoreKind) {
    let host = Host::start(kind);
    let browser = Browser::launch();
    let (tab1, tab2) = (browser.new_page(), browser.new_page());
    open(&tab1, &host.members());
    log_in(&tab1, ADMIN);
    open(&tab2, &host.members());
    wait_for_hello(&tab2);
    tab2.click(COUNT_VISIT);
    wait_for(&tab2, "one visit", "document.querySelector('.rn-metric-value')?.textContent.trim() === '1'");

    tab1.click(LOGOUT_BUTTON);
    wait_for_login_form(&tab1);

    tab2.eval("window.__document = 'stale'");
    // Every render of tab 2 from now on: a visit counted after the logout would show "2".
    tab2.eval(
        "window.__visits = []; new MutationObserver(() => { \
         const m = document.querySelector('.rn-metric-value'); if (m) window.__visits.push(m.textContent.trim()); \
         }).observe(document.getElementById('runnel-root'), { subtree: true, childList: true, characterData: true }); 0",
    );
    tab2.click(COUNT_VISIT);
    // The click is refused with a toast, and the page then shows itself as it is now: logged out.
    wait_for(&tab2, "an error toast in tab 2", "document.getElementById('runnel-toast')?.hidden === false");
    let text = toast(&tab2).unwrap_or_default();
    let clear = text.contains("out of date") && text.to_lowercase().contains("reload the page");
    assert!(clear, "the toast does not say that the page is out of date and what to do: {text:?}");
    assert!(!text.contains('<'), "the toast shows markup: {text:?}");
    wait_for_login_form(&tab2);
    assert_eq!(tab2.eval("window.__document"), json!("stale"), "tab 2 was reloaded instead of updated in place");
    let seen = tab2.eval("window.__visits");
    assert!(
        seen.as_array().unwrap().iter().all(|v| v == "1"),
        "tab 2 showed another visit count after the logout: {seen}"
    );

    tab2.reload();
    wait_for_runnel(&tab2);
    assert_eq!(shown(&tab2), Shown::LoginForm, "tab 2 after a reload is not logged out");
    tab1.reload();
    wait_for_runnel(&tab1);
    assert_eq!(shown(&tab1), Shown::LoginForm, "tab 1 after a reload is not logged out");
}

on_both_stores!(another_tab_after_logout => another_tab_is_logged_out_at_its_next_click_in_memory, another_tab_is_logged_out_at_its_next_click_on_redis);

// ---- d. Replaying the old session cookie ----------------------------------------------------

/// The session cookie from before the logout, set in a fresh browser context (its own cookie
/// jar), logs in nobody once the user has logged out; before the logout it did (the control).
fn old_cookie_replayed_after_logout(kind: StoreKind) {
    let (host, browser, page) = members_page(kind);
    log_in(&page, ADMIN);
    let old = session_cookie(&page);
    assert_eq!(old["httpOnly"], json!(true));

    // Control: the cookie alone carries the login into another context while it is live.
    let control = browser.new_page_in(&browser.new_context());
    control.navigate("about:blank");
    control.set_cookie(&old);
    open(&control, &host.members());
    assert_eq!(shown(&control), Shown::LoggedIn, "the replayed cookie did not carry a live login (broken test?)");

    page.click(LOGOUT_BUTTON);
    wait_for_login_form(&page);
    let new = session_cookie(&page);
    assert_ne!(new["value"], old["value"], "the logout did not replace the session cookie");

    let replay = browser.new_page_in(&browser.new_context());
    replay.set_cookie(&old);
    let sent = session_cookie_for(&replay, &host.members());
    assert_eq!(sent["value"], old["value"], "the fresh context does not hold the old cookie");
    open(&replay, &host.members());
    assert_eq!(shown(&replay), Shown::LoginForm, "the old session cookie still logs the user in");

    // The context that used the old cookie while it was live is logged out at its next request.
    control.reload();
    wait_for_runnel(&control);
    assert_eq!(shown(&control), Shown::LoginForm, "the context holding the old cookie is still logged in");
}

on_both_stores!(old_cookie_replayed_after_logout => the_old_session_cookie_replayed_in_a_fresh_browser_after_logout_shows_the_login_form_in_memory, the_old_session_cookie_replayed_in_a_fresh_browser_after_logout_shows_the_login_form_on_redis);
