//! A login or logout resets the session, on both stores: the next person on the same browser
//! sees nothing of the last one, a value planted before a login never reaches the logged-in
//! session, and only the `state` keys a script names in `keep` survive.

use crate::auth_support::AuthApp;
use crate::client::{Answer, Session};
use crate::support::{ADMIN, CredentialsFile, ScriptDir, VIEWER};
use crate::{StoreKind, both_stores};

both_stores!(
    two_users_in_turn_on_one_browser_see_nothing_of_each_other,
    logout_everywhere_resets_the_session_too,
    a_value_planted_before_the_login_never_appears_after_the_victim_logs_in,
    keep_keeps_exactly_the_named_keys_across_logout_and_across_login,
    a_bad_keep_option_is_an_error_at_its_line,
);

const DESK: &str = "desk";

/// A keyed theme, an unkeyed slider, a note a logged-in user writes and one an anonymous
/// visitor plants; login and logout keep the `state` keys in `KEEP`.
const DESK_PAGE: &str = r#"
let keep = KEEP;
let auth = authenticator();
let theme = selectbox("Theme", ["light", "dark"], #{ key: "theme" });
let volume = slider("Volume", 0, 10);
let user = auth.login(#{ keep: keep, fields: #{ "Form name": "Desk login" } });
if user == () {
    if button("Plant a note") { state.planted = "from before the login"; }
} else {
    if button("Write a note") { state.note = `private note of ${user.username}`; }
    text(`Hello, ${user.name}`);
    auth.logout(#{ keep: keep });
    auth.logout_everywhere(#{ keep: keep });
}
text(`desk: theme=${theme} volume=${volume} note=${state.get("note", "none")} planted=${state.get("planted", "none")}`);
"#;

/// What a first visit shows.
const DEFAULTS: &str = "theme=light volume=0 note=none planted=none";

/// An app serving the desk page that keeps `keep` (a Rhai array).
fn desk_app(kind: StoreKind, keep: &str) -> AuthApp {
    let scripts = ScriptDir::with(&[("desk.rhai", &DESK_PAGE.replace("KEEP", keep))]);
    AuthApp::build(kind, CredentialsFile::sample(), Some(scripts), |_| {})
}

/// The desk's summary line in a page or fragment.
fn summary(answer: &Answer) -> &str {
    let marker = "desk: ";
    let start = answer.body.find(marker).expect("the desk's summary line") + marker.len();
    answer.body[start..].split('<').next().unwrap_or_default()
}

async fn log_in(session: &mut Session, user: (&str, &str)) -> Answer {
    let answer = session.login(DESK, user).await;
    assert!(answer.body.contains("Hello, "), "logged in: {}", answer.body);
    answer
}

/// Writes a note, moves the slider to 7 and picks the dark theme.
async fn leave_traces(session: &Session) {
    for (widget, value) in [("button:Write a note", "true"), ("slider:Volume", "7"), ("selectbox:key:theme", "1")] {
        assert_eq!(session.send(DESK, widget, &[value]).await.status, 200);
    }
}

async fn two_users_in_turn_on_one_browser_see_nothing_of_each_other(kind: StoreKind) {
    let app = desk_app(kind, "[]");
    let mut browser = Session::new(&app.app);
    browser.open("/desk").await;
    log_in(&mut browser, ADMIN).await;
    leave_traces(&browser).await;
    let written = browser.get("/desk").await;
    assert_eq!(summary(&written), "theme=dark volume=7 note=private note of jsmith planted=none");

    let logged_out = browser.logout(DESK).await;
    assert_eq!(summary(&logged_out), DEFAULTS, "the logout's answer is drawn as a first visit");
    assert_eq!(summary(&browser.get("/desk").await), DEFAULTS, "and so is the next request");
    let next_user = log_in(&mut browser, VIEWER).await;
    assert!(next_user.body.contains("Hello, Rebecca Briggs"));
    assert_eq!(summary(&next_user), DEFAULTS);
    assert_eq!(summary(&browser.get("/desk").await), DEFAULTS);
    assert!(!browser.get("/desk").await.body.contains("jsmith"));
}

async fn logout_everywhere_resets_the_session_too(kind: StoreKind) {
    let app = desk_app(kind, "[]");
    let mut browser = Session::new(&app.app);
    browser.open("/desk").await;
    log_in(&mut browser, ADMIN).await;
    leave_traces(&browser).await;
    let logged_out = browser.auth(DESK, "logout_everywhere", &[]).await;
    assert_eq!(summary(&logged_out), DEFAULTS);
    log_in(&mut browser, VIEWER).await;
    assert_eq!(summary(&browser.get("/desk").await), DEFAULTS);
}

/// The victim's browser, carrying the session cookie an attacker planted in it.
fn browser_with_cookie(app: &AuthApp, cookie: &str) -> Session {
    let victim = Session::new(&app.app);
    let url = app.app.address.parse().expect("the app's address is a URL");
    for pair in cookie.split("; ") {
        victim.jar.add_cookie_str(pair, &url);
    }
    victim
}

async fn a_value_planted_before_the_login_never_appears_after_the_victim_logs_in(kind: StoreKind) {
    let app = desk_app(kind, "[]");
    let mut attacker = Session::new(&app.app);
    attacker.open("/desk").await;
    for (widget, value) in [("button:Plant a note", "true"), ("slider:Volume", "3")] {
        assert_eq!(attacker.send(DESK, widget, &[value]).await.status, 200);
    }
    let planted = attacker.get("/desk").await;
    assert_eq!(summary(&planted), "theme=light volume=3 note=none planted=from before the login");

    let mut victim = browser_with_cookie(&app, &attacker.cookie_header());
    assert_eq!(summary(&victim.open("/desk").await), summary(&planted), "the victim's browser uses that session");
    let logged_in = log_in(&mut victim, VIEWER).await;
    assert_eq!(summary(&logged_in), DEFAULTS);
    assert_eq!(summary(&victim.get("/desk").await), DEFAULTS);
}

async fn keep_keeps_exactly_the_named_keys_across_logout_and_across_login(kind: StoreKind) {
    let app = desk_app(kind, r#"["theme", "planted"]"#);
    let mut browser = Session::new(&app.app);
    browser.open("/desk").await;
    log_in(&mut browser, ADMIN).await;
    leave_traces(&browser).await;
    let logged_out = browser.logout(DESK).await;
    assert_eq!(summary(&logged_out), "theme=dark volume=0 note=none planted=none");

    assert_eq!(browser.send(DESK, "button:Plant a note", &["true"]).await.status, 200);
    assert_eq!(browser.send(DESK, "slider:Volume", &["4"]).await.status, 200);
    let logged_in = log_in(&mut browser, VIEWER).await;
    assert_eq!(summary(&logged_in), "theme=dark volume=0 note=none planted=from before the login");
    assert_eq!(summary(&browser.get("/desk").await), summary(&logged_in));
}

async fn a_bad_keep_option_is_an_error_at_its_line(kind: StoreKind) {
    let bad = [
        (r#""theme""#, "option `keep` must be an array of strings, not string"),
        (r#"["theme", 3]"#, "option `keep` must be an array of strings, not an array holding i64"),
        (r#"["roles"]"#, "option `keep` cannot name &#34;roles&#34;: the auth keys always come from the login"),
    ];
    for (keep, message) in bad {
        let app = desk_app(kind, keep);
        let page = Session::new(&app.app).get("/desk").await;
        assert!(page.body.contains("Error in desk.rhai, line 6"), "{keep}: {}", page.body);
        assert!(page.body.contains(message), "{keep}: {}", page.body);
    }
}
