//! Recovery and registration that nobody can abuse, on both stores: a reset code works once,
//! only for its user and only within its lifetime; asking for one changes nothing and looks
//! the same for any username; registration looks the same for a taken and a free username;
//! failed logins back off one client (exponentially) and never the account's owner elsewhere.

use std::net::IpAddr;
use std::time::Duration;

use runnel::clock::Clock;
use runnel::config::Settings;

use crate::accounts::registration;
use crate::auth::{logged_in_session, members_script};
use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FAILED, LOGIN_FORM, MEMBERS, REGISTRATION_RECEIVED};
use crate::client::{Answer, Session};
use crate::support::{ADMIN, CredentialsFile, ScriptDir, VIEWER};
use crate::{StoreKind, both_stores};

both_stores!(
    a_reset_code_changes_the_password_once_and_ends_the_users_sessions,
    two_uses_of_one_code_at_once_reset_the_password_once,
    asking_for_a_reset_code_changes_nothing,
    a_reset_code_does_not_work_after_its_lifetime,
    a_reset_code_works_only_for_the_user_it_was_issued_to,
    wrong_reset_codes_back_the_client_off,
    forgot_password_shows_the_same_page_for_an_unknown_and_a_known_user,
    registration_of_a_taken_and_a_free_username_gets_the_same_answer,
    with_the_operators_consent_registration_says_a_username_is_taken,
    failures_from_one_client_back_it_off_while_the_owner_logs_in_from_another,
    the_back_off_doubles_with_each_further_failure,
    a_client_that_fails_across_many_accounts_backs_off_for_all_of_them,
);

/// A page whose script shows the reset code it is given, standing in for an email.
const RECOVERY_PAGE: &str = r#"
let auth = authenticator();
let forgot = auth.forgot_password();
if forgot != () { text(`delivered code: ${forgot.code}.`); }
if auth.reset_password_with_code() { text("password reset done"); }
let user = auth.login();
if user != () { text(`logged in as ${user.username}`); }
"#;
const RECOVERY: &str = "recovery";

struct RecoveryApp {
    app: AuthApp,
    clock: Clock,
}

impl RecoveryApp {
    fn start(kind: StoreKind, tweak: impl FnOnce(&mut Settings)) -> Self {
        let clock = Clock::manual();
        let members = members_script();
        let scripts = ScriptDir::with(&[("recovery.rhai", RECOVERY_PAGE), ("members.rhai", &members)]);
        let manual = clock.clone();
        let app = AuthApp::build(kind, CredentialsFile::sample(), Some(scripts), |s| {
            s.auth.clock = manual;
            tweak(s);
        });
        Self { app, clock }
    }

    async fn visitor(&self) -> Session {
        let mut session = Session::new(&self.app.app);
        session.open(&format!("/{RECOVERY}")).await;
        session
    }
}

/// Asks for a reset code for `username`; returns the code the script was given.
async fn code_for(session: &mut Session, username: &str) -> Option<String> {
    let answer = session.auth(RECOVERY, "forgot_password", &[("username", username)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let marker = "delivered code: ";
    let start = answer.body.find(marker)? + marker.len();
    Some(answer.body[start..].split('.').next()?.to_owned())
}

async fn reset(session: &mut Session, username: &str, code: &str, password: &str) -> Answer {
    let fields =
        [("username", username), ("code", code), ("new_password", password), ("new_password_repeat", password)];
    session.auth(RECOVERY, "reset_password_with_code", &fields).await
}

fn was_reset(answer: &Answer) -> bool {
    answer.status == 200 && answer.body.contains("password reset done")
}

async fn logs_in(session: &mut Session, user: (&str, &str)) -> bool {
    session.login(RECOVERY, user).await.body.contains(&format!("logged in as {}", user.0))
}

async fn a_reset_code_changes_the_password_once_and_ends_the_users_sessions(kind: StoreKind) {
    let recovery = RecoveryApp::start(kind, |_| {});
    let old_session = logged_in_session(&recovery.app, VIEWER).await;
    let mut session = recovery.visitor().await;
    let code = code_for(&mut session, VIEWER.0).await.expect("the script is given a code for a real user");
    assert!(code.len() >= 20 && code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
    assert!(!recovery.app.credentials.text().contains(&code), "the code is not in the credentials file");
    assert!(was_reset(&reset(&mut session, VIEWER.0, &code, "a new password 1").await));
    assert!(old_session.get(&format!("/{MEMBERS}")).await.body.contains(LOGIN_FORM), "the user's sessions ended");
    let twice = reset(&mut session, VIEWER.0, &code, "a new password 2").await;
    assert!(!was_reset(&twice) && twice.body.contains("This reset code is not valid"), "{}", twice.body);
    assert!(!logs_in(&mut session, VIEWER).await, "the old password is gone");
    assert!(!logs_in(&mut session, (VIEWER.0, "a new password 2")).await, "the second use changed nothing");
    assert!(logs_in(&mut session, (VIEWER.0, "a new password 1")).await);
}

async fn two_uses_of_one_code_at_once_reset_the_password_once(kind: StoreKind) {
    let recovery = RecoveryApp::start(kind, |_| {});
    let (mut first, mut second) = (recovery.visitor().await, recovery.visitor().await);
    let code = code_for(&mut first, VIEWER.0).await.expect("a code");
    let (a, b) = tokio::join!(
        reset(&mut first, VIEWER.0, &code, "first of two 1"),
        reset(&mut second, VIEWER.0, &code, "second of two 2"),
    );
    assert_eq!([was_reset(&a), was_reset(&b)].iter().filter(|done| **done).count(), 1, "one use wins");
    let winner = if was_reset(&a) { "first of two 1" } else { "second of two 2" };
    let mut session = recovery.visitor().await;
    assert!(logs_in(&mut session, (VIEWER.0, winner)).await);
}

async fn asking_for_a_reset_code_changes_nothing(kind: StoreKind) {
    let recovery = RecoveryApp::start(kind, |_| {});
    let owner = logged_in_session(&recovery.app, VIEWER).await;
    let file = recovery.app.credentials.text();
    let mut stranger = recovery.visitor().await;
    for _ in 0..3 {
        code_for(&mut stranger, VIEWER.0).await.expect("a code");
    }
    assert_eq!(recovery.app.credentials.text(), file, "the password is unchanged");
    assert!(owner.get(&format!("/{MEMBERS}")).await.body.contains("Hello, Rebecca Briggs"), "the owner is logged in");
    let mut elsewhere = recovery.visitor().await;
    assert!(logs_in(&mut elsewhere, VIEWER).await, "the password still works");
}

async fn a_reset_code_does_not_work_after_its_lifetime(kind: StoreKind) {
    let recovery = RecoveryApp::start(kind, |s| s.auth.reset_code_lifetime = Duration::from_secs(600));
    let mut session = recovery.visitor().await;
    let expired = code_for(&mut session, VIEWER.0).await.expect("a code");
    recovery.clock.advance(Duration::from_secs(600));
    assert!(!was_reset(&reset(&mut session, VIEWER.0, &expired, "too late 1234").await), "void after 10 minutes");
    assert!(!logs_in(&mut session, (VIEWER.0, "too late 1234")).await);
    let in_time = code_for(&mut session, VIEWER.0).await.expect("a code");
    recovery.clock.advance(Duration::from_secs(599));
    assert!(was_reset(&reset(&mut session, VIEWER.0, &in_time, "reset in time 1").await), "valid for 10 minutes");
    assert!(logs_in(&mut session, (VIEWER.0, "reset in time 1")).await);
}

async fn a_reset_code_works_only_for_the_user_it_was_issued_to(kind: StoreKind) {
    let recovery = RecoveryApp::start(kind, |_| {});
    let mut session = recovery.visitor().await;
    let code = code_for(&mut session, VIEWER.0).await.expect("a code");
    let foreign = reset(&mut session, ADMIN.0, &code, "taken over 123").await;
    assert!(!was_reset(&foreign) && foreign.body.contains("This reset code is not valid"), "{}", foreign.body);
    assert!(!logs_in(&mut session, (ADMIN.0, "taken over 123")).await);
    let mut other = recovery.visitor().await;
    assert!(logs_in(&mut other, ADMIN).await, "the admin's password is unchanged");
    assert!(was_reset(&reset(&mut session, VIEWER.0, &code, "mine again 12").await), "still good for its user");
}

async fn wrong_reset_codes_back_the_client_off(kind: StoreKind) {
    let recovery = RecoveryApp::start(kind, |s| s.auth.max_login_attempts = 3);
    let mut session = recovery.visitor().await;
    let code = code_for(&mut session, VIEWER.0).await.expect("a code");
    for guess in ["guess1", "guess2", "guess3"] {
        assert!(!was_reset(&reset(&mut session, VIEWER.0, guess, "guessed pass 1").await));
    }
    let refused = reset(&mut session, VIEWER.0, &code, "right code 123").await;
    assert!(!was_reset(&refused) && refused.body.contains("This reset code is not valid"), "backed off");
    recovery.clock.advance(Duration::from_secs(1));
    assert!(was_reset(&reset(&mut session, VIEWER.0, &code, "right code 123").await), "after the back-off");
}

/// The page of `session` after a post, with its CSRF token taken out.
fn without_csrf(answer: &Answer, csrf: &str) -> String {
    answer.body.replace(csrf, "CSRF")
}

async fn forgot_password_shows_the_same_page_for_an_unknown_and_a_known_user(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let (mut first, mut second) = (Session::new(&app.app), Session::new(&app.app));
    first.open(&format!("/{MEMBERS}")).await;
    second.open(&format!("/{MEMBERS}")).await;
    let unknown = first.auth(MEMBERS, "forgot_password", &[("username", "nobody")]).await;
    let known = second.auth(MEMBERS, "forgot_password", &[("username", VIEWER.0)]).await;
    assert!(unknown.status == 200 && known.status == 200);
    assert!(known.body.contains("If that account exists, its owner will be contacted."), "{}", known.body);
    assert_eq!(without_csrf(&unknown, &first.csrf), without_csrf(&known, &second.csrf), "the same page");
}

async fn registration_of_a_taken_and_a_free_username_gets_the_same_answer(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let (mut first, mut second) = (Session::new(&app.app), Session::new(&app.app));
    first.open(&format!("/{MEMBERS}")).await;
    second.open(&format!("/{MEMBERS}")).await;
    let taken = registration("melsby@example.com", "jsmith", "long enough", "long enough");
    let taken = first.auth(MEMBERS, "register_user", &taken).await;
    let free = registration("melsby@example.com", "melsby", "long enough", "long enough");
    let free = second.auth(MEMBERS, "register_user", &free).await;
    assert!(taken.status == 200 && free.status == 200);
    assert!(free.body.contains(REGISTRATION_RECEIVED), "{}", free.body);
    assert_eq!(without_csrf(&taken, &first.csrf), without_csrf(&free, &second.csrf), "the same page");
    assert!(logs_in_at_members(&mut first, ("melsby", "long enough")).await, "the free username was registered");
    let mut third = Session::new(&app.app);
    third.open(&format!("/{MEMBERS}")).await;
    assert!(logs_in_at_members(&mut third, ADMIN).await, "the taken username is untouched");
}

async fn logs_in_at_members(session: &mut Session, user: (&str, &str)) -> bool {
    session.login(MEMBERS, user).await.body.contains("Hello, ")
}

async fn with_the_operators_consent_registration_says_a_username_is_taken(kind: StoreKind) {
    let app = AuthApp::build(kind, CredentialsFile::sample(), None, |s| s.auth.reveal_taken_usernames = true);
    let mut session = Session::new(&app.app);
    session.open(&format!("/{MEMBERS}")).await;
    let taken = registration("melsby@example.com", "jsmith", "long enough", "long enough");
    let answer = session.auth(MEMBERS, "register_user", &taken).await;
    assert!(answer.body.contains("This username is taken."), "{}", answer.body);
    let free = registration("melsby@example.com", "melsby", "long enough", "long enough");
    assert!(session.auth(MEMBERS, "register_user", &free).await.body.contains(REGISTRATION_RECEIVED));
}

/// An app behind a trusted proxy (this test), so that each request can name its client.
fn behind_proxy(kind: StoreKind, clock: &Clock, free: u32) -> AuthApp {
    let clock = clock.clone();
    AuthApp::build(kind, CredentialsFile::sample(), None, |s| {
        s.web.trusted_proxies = vec!["127.0.0.1/32".parse().expect("a range")];
        s.auth.clock = clock;
        s.auth.max_login_attempts = free;
    })
}

/// A login of `user` from `client`, on the members page.
async fn login_from(session: &Session, client: IpAddr, (username, password): (&str, &str)) -> Answer {
    let fields = [("username", username), ("password", password)];
    let forwarded = client.to_string();
    session.auth_with_headers(MEMBERS, "login", &fields, &[("x-forwarded-for", &forwarded)]).await
}

async fn failures_from_one_client_back_it_off_while_the_owner_logs_in_from_another(kind: StoreKind) {
    let clock = Clock::manual();
    let app = behind_proxy(kind, &clock, 5);
    let (attacker, owner) = (IpAddr::from([203, 0, 113, 7]), IpAddr::from([198, 51, 100, 2]));
    let mut guesser = Session::new(&app.app);
    guesser.open(&format!("/{MEMBERS}")).await;
    for n in 0..12 {
        let answer = login_from(&guesser, attacker, (ADMIN.0, &format!("guess {n}"))).await;
        assert_eq!(answer.status, 200);
        assert!(answer.body.contains(LOGIN_FAILED), "{}", answer.body);
    }
    let backed_off = login_from(&guesser, attacker, ADMIN).await;
    assert!(backed_off.body.contains(LOGIN_FAILED), "even the right password waits: {}", backed_off.body);
    let mut laptop = Session::new(&app.app);
    laptop.open(&format!("/{MEMBERS}")).await;
    assert!(login_from(&laptop, owner, ADMIN).await.body.contains(LOGGED_IN), "the owner logs in elsewhere");
}

async fn the_back_off_doubles_with_each_further_failure(kind: StoreKind) {
    let clock = Clock::manual();
    let app = behind_proxy(kind, &clock, 2);
    let client = IpAddr::from([203, 0, 113, 9]);
    let mut session = Session::new(&app.app);
    session.open(&format!("/{MEMBERS}")).await;
    login_from(&session, client, (VIEWER.0, "wrong")).await;
    // After the second failure the client waits 1 s, then 2 s, then 4 s.
    for wait_ms in [1000, 2000, 4000] {
        login_from(&session, client, (VIEWER.0, "wrong")).await;
        clock.advance(Duration::from_millis(wait_ms - 1));
        let early = login_from(&session, client, VIEWER).await;
        assert!(early.body.contains(LOGIN_FAILED), "backed off for {wait_ms} ms: {}", early.body);
        clock.advance(Duration::from_millis(1));
    }
    let on_time = login_from(&session, client, VIEWER).await;
    assert!(on_time.body.contains("Hello, Rebecca Briggs"), "{}", on_time.body);
}

async fn a_client_that_fails_across_many_accounts_backs_off_for_all_of_them(kind: StoreKind) {
    let clock = Clock::manual();
    // Two free failures per account and client, so eight per client across accounts.
    let app = behind_proxy(kind, &clock, 2);
    let (sprayer, owner) = (IpAddr::from([203, 0, 113, 11]), IpAddr::from([198, 51, 100, 3]));
    let mut session = Session::new(&app.app);
    session.open(&format!("/{MEMBERS}")).await;
    for n in 0..8 {
        login_from(&session, sprayer, (&format!("user{n}"), "password1")).await;
    }
    let refused = login_from(&session, sprayer, ADMIN).await;
    assert!(refused.body.contains(LOGIN_FAILED), "an account it never tried waits too: {}", refused.body);
    let mut laptop = Session::new(&app.app);
    laptop.open(&format!("/{MEMBERS}")).await;
    assert!(login_from(&laptop, owner, ADMIN).await.body.contains(LOGGED_IN), "other clients are not slowed");
    clock.advance(Duration::from_secs(1));
    assert!(login_from(&session, sprayer, ADMIN).await.body.contains(LOGGED_IN), "after the back-off");
}
