//! The authenticator's login and logout over HTTP, on both stores: a login rotates the session,
//! failures all look alike, and a logout really ends the session everywhere.

use std::time::{Duration, Instant};

use runnel::clock::Clock;

use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FAILED, LOGIN_FORM, MEMBERS};
use crate::client::Session;
use crate::support::{ADMIN, CredentialsFile, ScriptDir, VIEWER};
use crate::{StoreKind, both_stores};

both_stores!(
    a_login_shows_the_user_under_a_new_session_cookie_and_csrf_token,
    an_unknown_user_a_wrong_password_and_a_backed_off_client_get_the_same_answer,
    a_client_that_tries_too_often_is_told_to_wait,
    a_logout_answers_with_the_login_page_a_new_cookie_and_no_store,
    after_a_logout_the_refresh_the_old_cookie_and_another_tab_are_logged_out,
    logging_out_twice_or_without_a_session_shows_the_login_page,
    only_a_post_with_the_csrf_token_logs_out,
    a_slow_run_that_ends_after_the_logout_does_not_bring_the_login_back,
    a_script_that_writes_the_auth_keys_logs_nobody_in,
    logout_everywhere_ends_every_session_of_the_user,
    a_page_gated_by_a_role_shows_a_clear_refusal_to_others,
    without_javascript_login_and_logout_are_plain_posts_that_redirect,
);

pub async fn logged_in_session(app: &AuthApp, user: (&str, &str)) -> Session {
    let mut session = Session::new(&app.app);
    session.open(&format!("/{MEMBERS}")).await;
    let answer = session.login(MEMBERS, user).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("Hello, "), "logged in: {}", answer.body);
    session
}

async fn shows_login_form(session: &Session) -> bool {
    let page = session.get(&format!("/{MEMBERS}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body.contains(LOGIN_FORM) && !page.body.contains("Hello, ")
}

async fn a_login_shows_the_user_under_a_new_session_cookie_and_csrf_token(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = Session::new(&app.app);
    session.open("/members").await;
    let (cookie_before, csrf_before) = (session.cookie_header(), session.csrf.clone());
    let answer = session.login(MEMBERS, ADMIN).await;
    assert!(answer.body.contains(LOGGED_IN) && answer.body.contains("Only admins see this"));
    assert!(answer.headers.contains_key("set-cookie"));
    assert_ne!(session.cookie_header(), cookie_before, "login gives a new session key");
    assert_ne!(session.csrf, csrf_before, "login gives a new CSRF token");
    // The pre-login session (e.g. one an attacker planted) is not logged in.
    let planted = Session::replay(&app.app.address, "/members", &cookie_before).await;
    assert!(planted.body.contains(LOGIN_FORM) && !planted.body.contains(LOGGED_IN));
    assert!(session.get("/members").await.body.contains(LOGGED_IN));
}

async fn an_unknown_user_a_wrong_password_and_a_backed_off_client_get_the_same_answer(kind: StoreKind) {
    // A manual clock that never moves: the back-off does not run out during the test.
    let app = AuthApp::build(kind, CredentialsFile::sample(), None, |s| {
        s.auth.max_login_attempts = 10;
        s.auth.attempts_per_minute = 100;
        s.auth.clock = Clock::manual();
    });
    let mut session = Session::new(&app.app);
    session.open("/members").await;
    let mut times: [Vec<Duration>; 3] = Default::default();
    for _ in 0..10 {
        timed_login(&mut session, (VIEWER.0, "wrong")).await;
    }
    // Interleaved, so that a busy machine slows every kind alike: an unknown user, a wrong
    // password (nine, below the back-off), the right password from a client backed off.
    for _ in 0..9 {
        for (group, user) in [("nobody", "whatever"), (ADMIN.0, "wrong"), VIEWER].into_iter().enumerate() {
            let (answer, time) = timed_login(&mut session, user).await;
            assert_eq!(answer.status, 200);
            assert!(answer.body.contains(LOGIN_FAILED), "{}", answer.body);
            assert!(!answer.body.contains("Hello, "));
            times[group].push(time);
        }
    }
    // Each verifies a hash of the same cost (a dummy one for an unknown user): the medians (of
    // nine, so that a busy machine's odd slow answer does not decide) are alike, where skipping
    // the hash would be many times faster.
    let medians: Vec<Duration> = times
        .iter_mut()
        .map(|t| {
            t.sort();
            t[4]
        })
        .collect();
    let (fastest, slowest) = (medians.iter().min().unwrap(), medians.iter().max().unwrap());
    assert!(*fastest * 3 > *slowest, "similar timing (unknown, wrong, backed off): {medians:?}");
    // This client may still log into another account.
    assert!(session.login(MEMBERS, ADMIN).await.body.contains(LOGGED_IN));
}

async fn timed_login(session: &mut Session, user: (&str, &str)) -> (crate::client::Answer, Duration) {
    let started = Instant::now();
    let answer = session.login(MEMBERS, user).await;
    (answer, started.elapsed())
}

async fn a_client_that_tries_too_often_is_told_to_wait(kind: StoreKind) {
    let app = AuthApp::build(kind, CredentialsFile::sample(), None, |s| s.auth.attempts_per_minute = 3);
    let mut session = Session::new(&app.app);
    session.open("/members").await;
    for _ in 0..3 {
        assert_eq!(session.login(MEMBERS, ("nobody", "x")).await.status, 200);
    }
    let refused = session.login(MEMBERS, ADMIN).await;
    assert_eq!(refused.status, 429);
    assert!(refused.body.contains("Too many attempts from your address. Wait"), "{}", refused.body);
    assert!(shows_login_form(&session).await);
}

async fn a_logout_answers_with_the_login_page_a_new_cookie_and_no_store(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = logged_in_session(&app, ADMIN).await;
    let before = session.cookie_header();
    let answer = session.logout(MEMBERS).await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains(LOGIN_FORM) && !answer.body.contains(LOGGED_IN), "{}", answer.body);
    assert_eq!(answer.headers["cache-control"], "no-store");
    let cookie = answer.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("runnel_session=") && cookie.contains("HttpOnly"), "{cookie}");
    assert_ne!(session.cookie_header(), before);
}

async fn after_a_logout_the_refresh_the_old_cookie_and_another_tab_are_logged_out(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = logged_in_session(&app, ADMIN).await;
    let other_tab = session.tab();
    let captured = session.cookie_header();
    session.logout(MEMBERS).await;
    // The refresh right after the logout.
    assert!(shows_login_form(&session).await);
    // The cookie from before the logout, replayed by a fresh client.
    let replayed = Session::replay(&app.app.address, "/members", &captured).await;
    assert!(replayed.body.contains(LOGIN_FORM) && !replayed.body.contains(LOGGED_IN));
    // The other tab's next interaction: its button is gone, so the click is refused, and the
    // page it then loads is logged out.
    let click = other_tab.click(MEMBERS, "button:Count a visit").await;
    assert_eq!(click.status, 404, "{}", click.body);
    assert!(!click.body.contains(LOGGED_IN));
    assert!(shows_login_form(&other_tab).await);
}

async fn logging_out_twice_or_without_a_session_shows_the_login_page(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = logged_in_session(&app, ADMIN).await;
    let stale_tab = session.tab();
    session.logout(MEMBERS).await;
    let again = session.logout(MEMBERS).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains(LOGIN_FORM));
    let mut stale = stale_tab;
    assert!(stale.logout(MEMBERS).await.body.contains(LOGIN_FORM));
    // A browser whose session expired (or never had one) posts its logout form.
    let mut expired = Session::new(&app.app);
    expired.csrf = "from-an-old-page".into();
    let answer = expired.logout(MEMBERS).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains(LOGIN_FORM));
}

async fn only_a_post_with_the_csrf_token_logs_out(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let session = logged_in_session(&app, ADMIN).await;
    let get = session.get("/members/auth/logout").await;
    assert!(get.status == 404 || get.status == 405, "{}", get.status);
    for body in ["", "csrf=forged-token"] {
        let cross_site = session.post_to("/members/auth/logout", body.as_bytes().to_vec(), false).await;
        assert_eq!(cross_site.status, 403, "{}", cross_site.body);
    }
    assert!(session.get("/members").await.body.contains(LOGGED_IN), "still logged in");
}

const SLOW_PAGE: &str = r#"
let user = authenticator().login();
if user != () {
    sleep(0.8);
    text(`slow page for ${user.username}`);
}
"#;

async fn a_slow_run_that_ends_after_the_logout_does_not_bring_the_login_back(kind: StoreKind) {
    let scripts = ScriptDir::with(&[("slow.rhai", SLOW_PAGE), ("members.rhai", &members_script())]);
    let app = AuthApp::build(kind, CredentialsFile::sample(), Some(scripts), |_| {});
    let mut session = logged_in_session(&app, ADMIN).await;
    let captured = session.cookie_header();
    let slow_tab = session.tab();
    let slow = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let page = slow_tab.get("/slow").await;
        (page, slow_tab, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logout = session.logout(MEMBERS);
    // The logout takes effect at once: while the slow run still runs, the cookie is dead.
    let probe = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Session::replay(&app.app.address, "/members", &captured).await
    };
    let (logged_out, probe) = tokio::join!(logout, probe);
    assert!(logged_out.body.contains(LOGIN_FORM));
    assert!(probe.body.contains(LOGIN_FORM) && !probe.body.contains(LOGGED_IN), "dead during the slow run");
    let (slow_page, slow_tab, took) = slow.await.unwrap();
    assert!(took >= Duration::from_millis(800), "it began logged in (only then does it sleep): {took:?}");
    // And what it sends is checked again at its end: the login was revoked meanwhile.
    assert!(!slow_page.body.contains("slow page for"), "the slow page showed logged-in content after the logout");
    // Whatever the slow answer did to the cookie jar, nothing is logged in again.
    assert!(shows_login_form(&slow_tab).await);
    assert!(shows_login_form(&session).await);
    let replayed = Session::replay(&app.app.address, "/slow", &captured).await;
    assert!(!replayed.body.contains("slow page for"));
}

/// The example members page, for folders of the tests' own.
pub fn members_script() -> String {
    std::fs::read_to_string(crate::support::repo_path("scripts/06_members.rhai")).unwrap()
}

const FORGING_PAGE: &str = r#"
text(`status at start: ${state.authentication_status}, user at start: ${state.username}`);
state.authentication_status = true;
state.username = "jsmith";
state.roles = ["admin"];
let user = authenticator().login();
text(if user == () { "nobody is logged in" } else { `logged in as ${user.username}` });
"#;

async fn a_script_that_writes_the_auth_keys_logs_nobody_in(kind: StoreKind) {
    let scripts = ScriptDir::with(&[("forge.rhai", FORGING_PAGE), ("members.rhai", &members_script())]);
    let app = AuthApp::build(kind, CredentialsFile::sample(), Some(scripts), |_| {});
    let mut session = Session::new(&app.app);
    for _ in 0..2 {
        let page = session.open("/forge").await;
        assert!(page.body.contains("nobody is logged in"), "{}", page.body);
        assert!(page.body.contains("status at start: , user at start: <"), "{}", page.body);
    }
    assert!(shows_login_form(&session).await);
    // Logged in for real, the keys show the verified user whatever the script wrote before.
    session.login(MEMBERS, VIEWER).await;
    let page = session.get("/forge").await;
    assert!(page.body.contains("status at start: true, user at start: rbriggs"), "{}", page.body);
    assert!(page.body.contains("logged in as rbriggs"));
}

async fn logout_everywhere_ends_every_session_of_the_user(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut laptop = logged_in_session(&app, ADMIN).await;
    let phone = logged_in_session(&app, ADMIN).await;
    let someone_else = logged_in_session(&app, VIEWER).await;
    let answer = laptop.auth(MEMBERS, "logout_everywhere", &[]).await;
    assert!(answer.body.contains(LOGIN_FORM), "{}", answer.body);
    assert!(shows_login_form(&laptop).await);
    assert!(shows_login_form(&phone).await);
    assert!(someone_else.get("/members").await.body.contains("Hello, Rebecca Briggs"));
    // A new login after it works as usual.
    assert!(laptop.login(MEMBERS, ADMIN).await.body.contains(LOGGED_IN));
}

async fn a_page_gated_by_a_role_shows_a_clear_refusal_to_others(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let viewer = logged_in_session(&app, VIEWER).await;
    let page = viewer.get("/members").await.body;
    assert!(page.contains("Not allowed: this page needs the role \"admin\"."), "{page}");
    assert!(!page.contains("Only admins see this"));
    let admin = logged_in_session(&app, ADMIN).await;
    assert!(admin.get("/members").await.body.contains("Only admins see this"));
}

const RESERVED_KEY_PAGE: &str = r#"let n = text_input("Name", #{ key: "name" }); text(`name=${n}`);"#;

#[tokio::test]
async fn with_the_authenticator_on_a_widget_cannot_take_an_auth_key() {
    let scripts = ScriptDir::with(&[("reserved.rhai", RESERVED_KEY_PAGE)]);
    let app = AuthApp::build(StoreKind::Memory, CredentialsFile::sample(), Some(scripts), |_| {});
    let page = Session::new(&app.app).get("/reserved").await.body;
    assert!(page.contains("the key &#34;name&#34; belongs to the authenticator"), "{page}");
}

#[tokio::test]
async fn the_login_form_needs_the_csrf_token_too() {
    let app = AuthApp::start(StoreKind::Memory);
    let mut session = Session::new(&app.app);
    session.open("/members").await;
    session.csrf = "forged".into();
    assert_eq!(session.login(MEMBERS, ADMIN).await.status, 403);
    assert!(shows_login_form(&session).await);
}

async fn without_javascript_login_and_logout_are_plain_posts_that_redirect(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = Session::new(&app.app);
    session.open("/members").await;
    let form = |fields: &[(&str, &str)]| serde_urlencoded::to_string(fields).unwrap().into_bytes();
    let body = form(&[("csrf", &session.csrf), ("username", ADMIN.0), ("password", ADMIN.1)]);
    let login = session.post_to("/members/auth/login", body, false).await;
    assert_eq!(login.status, 303);
    assert_eq!(login.headers["location"], "/members");
    let page = session.open("/members").await;
    assert!(page.body.contains(LOGGED_IN), "{}", page.body);
    let logout = session.post_to("/members/auth/logout", form(&[("csrf", &session.csrf)]), false).await;
    assert_eq!(logout.status, 303);
    assert!(session.get("/members").await.body.contains(LOGIN_FORM));
    assert!(shows_login_form(&session).await, "and on every load after it");
}
