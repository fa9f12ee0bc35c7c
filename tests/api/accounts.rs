//! The authenticator's account forms and its bookkeeping, on both stores: registration,
//! password change, username recovery (password recovery is in `recovery`), details, edits of the
//! credentials file, legacy bcrypt hashes and login timeouts (remember-me cookies: `rotation`).

use runnel::clock::Clock;
use std::time::Duration;

use crate::auth::{logged_in_session, members_script};
use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FORM, MEMBERS, REGISTRATION_RECEIVED};
use crate::client::Session;
use crate::support::{ADMIN, CredentialsFile, ScriptDir, VIEWER};
use crate::{StoreKind, both_stores};

both_stores!(
    a_pre_authorized_email_registers_once_and_the_new_user_logs_in,
    a_long_password_works_and_an_absurdly_long_one_is_refused_before_hashing,
    registration_refuses_weak_or_mismatched_passwords_with_a_reason,
    a_password_change_ends_the_other_sessions_and_keeps_this_one,
    a_forgotten_username_is_given_to_the_script_and_details_can_be_updated,
    editing_the_credentials_file_ends_the_sessions_of_a_removed_user_or_a_changed_password,
    a_bcrypt_password_logs_in_and_is_replaced_by_argon2id,
    a_login_ends_after_the_idle_timeout_and_after_its_absolute_lifetime,
);

async fn page(session: &Session) -> String {
    session.get(&format!("/{MEMBERS}")).await.body
}

pub fn registration<'a>(
    email: &'a str,
    username: &'a str,
    password: &'a str,
    repeat: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("first_name", "Mel"),
        ("last_name", "Elsby"),
        ("email", email),
        ("username", username),
        ("new_password", password),
        ("new_password_repeat", repeat),
    ]
}

async fn a_pre_authorized_email_registers_once_and_the_new_user_logs_in(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = Session::new(&app.app);
    session.open("/members").await;
    let stranger =
        session.auth(MEMBERS, "register_user", &registration("x@example.org", "x", "long enough", "long enough")).await;
    assert!(stranger.body.contains("not pre-authorized"), "{}", stranger.body);
    let fields = registration("melsby@example.com", "melsby", "a good password", "a good password");
    let answer = session.auth(MEMBERS, "register_user", &fields).await;
    assert!(answer.body.contains(REGISTRATION_RECEIVED), "{}", answer.body);
    let file = app.credentials.text();
    assert!(file.contains("melsby:") && file.contains("$argon2id$"), "{file}");
    let again = session
        .auth(
            MEMBERS,
            "register_user",
            &registration("melsby@example.com", "mel2", "a good password", "a good password"),
        )
        .await;
    assert!(again.body.contains("not pre-authorized"), "the pre-authorization is used up: {}", again.body);
    let answer = session.login(MEMBERS, ("melsby", "a good password")).await;
    assert!(answer.body.contains("Hello, Mel Elsby"), "{}", answer.body);
}

async fn a_long_password_works_and_an_absurdly_long_one_is_refused_before_hashing(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = Session::new(&app.app);
    session.open("/members").await;
    let long = "ä-long-passphrase-".repeat(6);
    assert!(long.chars().count() >= 100);
    let fields = registration("melsby@example.com", "melsby", &long, &long);
    assert!(session.auth(MEMBERS, "register_user", &fields).await.body.contains(REGISTRATION_RECEIVED));
    let truncated = &long[..long.len() - 1];
    assert!(session.login(MEMBERS, ("melsby", truncated)).await.body.contains("Login failed"), "nothing is truncated");
    let absurd = "x".repeat(5000);
    let refused = session.login(MEMBERS, ("melsby", &absurd)).await;
    assert!(refused.body.contains("Passwords are at most 1024 bytes long."), "{}", refused.body);
    assert!(session.login(MEMBERS, ("melsby", &long)).await.body.contains("Hello, Mel Elsby"));
}

async fn registration_refuses_weak_or_mismatched_passwords_with_a_reason(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = Session::new(&app.app);
    session.open("/members").await;
    let short =
        session.auth(MEMBERS, "register_user", &registration("melsby@example.com", "melsby", "short", "short")).await;
    assert!(short.body.contains("at least 8 characters"), "{}", short.body);
    let mismatch = registration("melsby@example.com", "melsby", "long enough 1", "long enough 2");
    assert!(session.auth(MEMBERS, "register_user", &mismatch).await.body.contains("do not match"));
    assert!(!app.credentials.text().contains("melsby@example.com\n    "), "nothing was written");
}

async fn a_password_change_ends_the_other_sessions_and_keeps_this_one(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut laptop = logged_in_session(&app, ADMIN).await;
    let phone = logged_in_session(&app, ADMIN).await;
    let wrong = [("password", "not it"), ("new_password", "brand new pass"), ("new_password_repeat", "brand new pass")];
    assert!(laptop.auth(MEMBERS, "reset_password", &wrong).await.body.contains("current password is incorrect"));
    let right = [("password", ADMIN.1), ("new_password", "brand new pass"), ("new_password_repeat", "brand new pass")];
    let answer = laptop.auth(MEMBERS, "reset_password", &right).await;
    assert!(answer.body.contains("Your password was changed."), "{}", answer.body);
    assert!(page(&laptop).await.contains(LOGGED_IN), "this session stays");
    assert!(page(&phone).await.contains(LOGIN_FORM), "the other session ended");
    let mut fresh = Session::new(&app.app);
    fresh.open("/members").await;
    assert!(fresh.login(MEMBERS, ADMIN).await.body.contains("Login failed"));
    assert!(fresh.login(MEMBERS, ("jsmith", "brand new pass")).await.body.contains(LOGGED_IN));
}

const ACCOUNT_PAGE: &str = r#"
let auth = authenticator();
let found = auth.forgot_username();
if found != () { text(`found username: ${found.username}`); }
let user = auth.login();
if user != () {
    if auth.update_user_details() { text("details updated"); }
    text(`name: ${user.name}, email: ${user.email}`);
}
"#;

async fn a_forgotten_username_is_given_to_the_script_and_details_can_be_updated(kind: StoreKind) {
    let scripts = ScriptDir::with(&[("account.rhai", ACCOUNT_PAGE), ("members.rhai", &members_script())]);
    let app = AuthApp::build(kind, CredentialsFile::sample(), Some(scripts), |_| {});
    let mut session = Session::new(&app.app);
    session.open("/account").await;
    let found = session.auth("account", "forgot_username", &[("email", "RBriggs@example.com")]).await;
    assert!(found.body.contains("found username: rbriggs"), "{}", found.body);
    let unknown = session.auth("account", "forgot_username", &[("email", "who@example.com")]).await;
    assert!(!unknown.body.contains("found username") && unknown.body.contains("If that account exists"));
    session.login("account", VIEWER).await;
    let taken = [("first_name", "Becky"), ("last_name", "Briggs"), ("email", "jsmith@example.com")];
    assert!(session.auth("account", "update_user_details", &taken).await.body.contains("already registered"));
    let fields = [("first_name", "Becky"), ("last_name", "Briggs"), ("email", "becky@example.com")];
    let answer = session.auth("account", "update_user_details", &fields).await;
    assert!(answer.body.contains("details updated"), "{}", answer.body);
    assert!(answer.body.contains("name: Becky Briggs, email: becky@example.com"), "{}", answer.body);
    assert!(app.credentials.text().contains("becky@example.com"));
}

async fn editing_the_credentials_file_ends_the_sessions_of_a_removed_user_or_a_changed_password(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let viewer = logged_in_session(&app, VIEWER).await;
    let admin = logged_in_session(&app, ADMIN).await;
    let original = app.credentials.text();
    // Remove rbriggs: everything from her name to the next user or section.
    let start = original.find("    rbriggs:").unwrap();
    let end = original.find("pre-authorized:").unwrap();
    app.edit_credentials(&format!("{}{}", &original[..start], &original[end..])).await;
    assert!(page(&viewer).await.contains(LOGIN_FORM), "a removed user is logged out");
    assert!(page(&admin).await.contains(LOGGED_IN));
    // Give jsmith another password hash (rbriggs's): his session ends too.
    let text = app.credentials.text();
    let hash = |t: &str, user: &str| {
        let from = t.find(&format!("    {user}:")).unwrap();
        let line = t[from..].lines().find(|l| l.trim_start().starts_with("password:")).unwrap().to_owned();
        line.trim_start().trim_start_matches("password: ").to_owned()
    };
    let replaced = text.replace(&hash(&text, "jsmith"), &hash(&original, "rbriggs"));
    app.edit_credentials(&replaced).await;
    assert!(page(&admin).await.contains(LOGIN_FORM), "a changed password logs the user out");
}

async fn a_bcrypt_password_logs_in_and_is_replaced_by_argon2id(kind: StoreKind) {
    let sample = std::fs::read_to_string(crate::support::repo_path("credentials.yaml")).unwrap();
    let bcrypt = bcrypt::hash("legacy-pass", 4).unwrap();
    let start = sample.find("password: $argon2id").unwrap();
    let end = start + sample[start..].find('\n').unwrap();
    let credentials =
        CredentialsFile::from_text(&format!("{}password: '{bcrypt}'{}", &sample[..start], &sample[end..]));
    let app = AuthApp::build(kind, credentials, None, |_| {});
    let session = logged_in_session(&app, ("jsmith", "legacy-pass")).await;
    assert!(page(&session).await.contains(LOGGED_IN));
    let file = app.credentials.text();
    assert!(!file.contains(&bcrypt), "the bcrypt hash was replaced");
    assert_eq!(file.matches("$argon2id$v=19$m=19456,t=2,p=1$").count(), 2, "{file}");
    assert!(page(&session).await.contains(LOGGED_IN), "the session made before the rehash stays");
    assert!(page(&logged_in_session(&app, ("jsmith", "legacy-pass")).await).await.contains(LOGGED_IN));
}

async fn a_login_ends_after_the_idle_timeout_and_after_its_absolute_lifetime(kind: StoreKind) {
    // The host reads login deadlines from a clock the test moves: no waiting for a timeout.
    // Without remember-me (0 days): a remembered browser is logged in again after a timeout,
    // under a new session, by design (see `rotation`).
    let clock = Clock::manual();
    let idle = AuthApp::build(kind, CredentialsFile::with_expiry_days(0), None, |s| {
        s.auth.idle_timeout = Duration::from_secs(120);
        s.auth.clock = clock.clone();
    });
    let session = logged_in_session(&idle, ADMIN).await;
    for _ in 0..3 {
        clock.advance(Duration::from_secs(100));
        assert!(page(&session).await.contains(LOGGED_IN), "each use within the idle timeout keeps it alive");
    }
    clock.advance(Duration::from_secs(121));
    assert!(page(&session).await.contains(LOGIN_FORM), "idle for longer than the timeout");

    let clock = Clock::manual();
    let capped = AuthApp::build(kind, CredentialsFile::with_expiry_days(0), None, |s| {
        s.auth.absolute_timeout = Some(Duration::from_secs(300));
        s.auth.clock = clock.clone();
    });
    let session = logged_in_session(&capped, ADMIN).await;
    // Active all along (a request every minute, well inside the idle timeout of a day), it
    // still ends five minutes after the login.
    for _ in 0..4 {
        clock.advance(Duration::from_secs(60));
        assert!(page(&session).await.contains(LOGGED_IN));
    }
    clock.advance(Duration::from_secs(61));
    assert!(page(&session).await.contains(LOGIN_FORM), "past the absolute lifetime");
}
