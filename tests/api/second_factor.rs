//! The second factor (TOTP) over HTTP, on both stores. The tests read the secret off the
//! enrolment page, as a person would type it into an app, and make real codes from it with the
//! `totp-rs` crate at the host's manual clock: enrolment takes effect only after a right code,
//! the password alone no longer logs in, a code works once, wrong codes back the client off,
//! a recovery code works once, the password step expires, and TOTP can be turned off again.

use std::time::Duration;

use runnel::clock::Clock;
use runnel::config::Settings;
use totp_rs::{Algorithm, Builder, Secret};

use crate::auth::members_script;
use crate::auth_support::{AuthApp, LOGIN_FAILED};
use crate::client::{Answer, Session};
use crate::support::{ADMIN, CredentialsFile, ScriptDir, VIEWER};
use crate::{StoreKind, both_stores};

both_stores!(
    enrolment_takes_effect_only_after_a_right_code_and_shows_the_recovery_codes_once,
    a_user_with_totp_is_logged_in_only_after_the_password_and_a_code,
    wrong_codes_are_refused_and_back_the_client_off,
    a_code_that_was_used_once_is_refused_the_second_time,
    one_code_posted_twice_at_once_logs_in_once,
    a_recovery_code_logs_in_once,
    the_password_step_expires_after_five_minutes,
    a_password_changed_meanwhile_voids_the_password_step,
    turning_totp_off_needs_a_current_code_or_the_password,
    a_wrong_password_gets_the_same_answer_with_and_without_totp,
    a_code_step_without_a_right_password_or_a_login_is_refused,
    a_bad_enroll_totp_option_is_an_error_at_its_line,
    without_javascript_the_setup_and_the_code_step_are_plain_posts_that_redirect,
);

const PAGE: &str = "second";
const SCRIPT: &str = r#"
let auth = authenticator();
let user = auth.login();
if user != () {
    text(`logged in as ${user.username}`);
    if auth.enroll_totp(#{ issuer: "Runnel tests" }) { text("totp is on"); } else { text("totp is off"); }
}
"#;
const CODE_FIELD: &str = "name=\"code\"";
const CODE_FAILED: &str = "Login failed: the code is incorrect or was used already";
const TIMED_OUT: &str = "The login timed out: enter your username and password again.";
const STEP: Duration = Duration::from_secs(30);

struct TotpApp {
    app: AuthApp,
    clock: Clock,
}

impl TotpApp {
    fn start(kind: StoreKind) -> Self {
        Self::with(kind, |_| {})
    }

    fn with(kind: StoreKind, tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::serving(kind, SCRIPT, tweak)
    }

    /// The app with `script` as the page.
    fn serving(kind: StoreKind, script: &str, tweak: impl FnOnce(&mut Settings)) -> Self {
        let clock = Clock::manual();
        let scripts = ScriptDir::with(&[("second.rhai", script), ("members.rhai", &members_script())]);
        let manual = clock.clone();
        let app = AuthApp::build(kind, CredentialsFile::sample(), Some(scripts), |s| {
            s.auth.clock = manual;
            tweak(s);
        });
        Self { app, clock }
    }

    async fn visitor(&self) -> Session {
        let mut session = Session::new(&self.app.app);
        session.open(&format!("/{PAGE}")).await;
        session
    }

    /// A session logged in with the password alone (a user without TOTP).
    async fn logged_in(&self, user: (&str, &str)) -> Session {
        let mut session = self.visitor().await;
        assert!(is_logged_in(&session.login(PAGE, user).await, user.0));
        session
    }

    /// Turns TOTP on for the user of `session`; returns the secret and the recovery codes.
    async fn enrol(&self, session: &mut Session) -> (String, Vec<String>) {
        let secret = begin(session).await;
        let answer = confirm(session, &self.code(&secret)).await;
        assert!(answer.body.contains("totp is on"), "{}", answer.body);
        (secret, recovery_codes(&answer.body))
    }

    /// The code an authenticator app shows now, made from the secret with the crate.
    fn code(&self, secret: &str) -> String {
        let secret = Secret::try_from_base32(secret).expect("the page shows base32");
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(30)
            .with_secret(secret)
            .build()
            .expect("an RFC 6238 secret");
        totp.generate(self.clock.now_ms() / 1000).to_string()
    }

    /// A new browser that enters `user`'s password: the login waits for the code.
    async fn past_the_password(&self, user: (&str, &str)) -> Session {
        let mut session = self.visitor().await;
        let answer = session.login(PAGE, user).await;
        assert!(waits_for_code(&answer), "{}", answer.body);
        session
    }

    fn credentials(&self) -> String {
        self.app.credentials.text()
    }
}

async fn begin(session: &mut Session) -> String {
    let answer = session.auth(PAGE, "enroll_totp", &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    secret_on(&answer.body).expect("the enrolment shows the secret")
}

async fn confirm(session: &mut Session, code: &str) -> Answer {
    session.auth(PAGE, "confirm_totp", &[("code", code)]).await
}

async fn enter_code(session: &mut Session, code: &str) -> Answer {
    session.auth(PAGE, "login_code", &[("code", code)]).await
}

fn is_logged_in(answer: &Answer, username: &str) -> bool {
    answer.status == 200 && answer.body.contains(&format!("logged in as {username}"))
}

fn waits_for_code(answer: &Answer) -> bool {
    answer.status == 200 && answer.body.contains(CODE_FIELD) && !answer.body.contains("logged in as")
}

fn secret_on(html: &str) -> Option<String> {
    let marker = "enter this key by hand: <code>";
    let start = html.find(marker)? + marker.len();
    Some(html[start..].split('<').next()?.to_owned())
}

fn recovery_codes(html: &str) -> Vec<String> {
    let Some(list) = html.split("class=\"rn-recovery-codes\">").nth(1) else { return Vec::new() };
    let list = list.split("</ul>").next().unwrap_or_default();
    list.split("<code>").skip(1).filter_map(|c| c.split("</code>").next()).map(str::to_owned).collect()
}

async fn enrolment_takes_effect_only_after_a_right_code_and_shows_the_recovery_codes_once(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let mut session = totp.logged_in(ADMIN).await;
    let started = session.auth(PAGE, "enroll_totp", &[]).await;
    let secret = secret_on(&started.body).expect("the secret, for typing in by hand");
    assert!(started.body.contains("<svg class=\"rn-qr\"") && started.body.contains("totp is off"));
    assert!(!started.body.contains(&format!("value=\"{secret}\"")), "the secret is in no form field");
    assert!(!totp.credentials().contains(&secret), "not in the file before it is confirmed");
    let wrong = confirm(&mut session, "000000").await;
    assert!(wrong.body.contains("That code is not right") && wrong.body.contains("totp is off"), "{}", wrong.body);
    assert!(!totp.credentials().contains("totp:"), "a wrong code turns nothing on");
    assert_eq!(secret_on(&wrong.body).as_deref(), Some(secret.as_str()), "the same enrolment goes on");
    let right = confirm(&mut session, &totp.code(&secret)).await;
    assert!(right.body.contains("totp is on"), "{}", right.body);
    let codes = recovery_codes(&right.body);
    assert_eq!(codes.len(), 10, "{}", right.body);
    let file = totp.credentials();
    assert!(file.contains("totp:") && file.contains(&secret), "{file}");
    assert!(codes.iter().all(|code| !file.contains(code.as_str())), "the file keeps only hashes");
    assert_eq!(file.matches("- $argon2id$").count(), 10, "{file}");
    let again = session.get(&format!("/{PAGE}")).await;
    assert!(again.body.contains("totp is on") && !again.body.contains(&codes[0]), "shown once");
}

async fn a_user_with_totp_is_logged_in_only_after_the_password_and_a_code(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let (secret, _) = totp.enrol(&mut totp.logged_in(VIEWER).await).await;
    totp.clock.advance(STEP);
    let mut session = totp.visitor().await;
    let planted = session.cookie_header();
    assert!(waits_for_code(&session.login(PAGE, VIEWER).await));
    assert!(session.remember_cookie().is_none(), "no remember-me before the second factor");
    let fixated = Session::replay(&totp.app.app.address, &format!("/{PAGE}"), &planted).await;
    assert!(!fixated.body.contains(CODE_FIELD), "the password step moved the session to a new key");
    let reloaded = session.get(&format!("/{PAGE}")).await;
    assert!(waits_for_code(&reloaded), "still not logged in: {}", reloaded.body);
    let (cookies, csrf) = (session.cookie_header(), session.csrf.clone());
    let answer = enter_code(&mut session, &totp.code(&secret)).await;
    assert!(is_logged_in(&answer, VIEWER.0), "{}", answer.body);
    assert_ne!(session.csrf, csrf, "a new CSRF token");
    assert!(session.remember_cookie().is_some(), "remember-me after the second factor");
    let replayed = Session::replay(&totp.app.app.address, &format!("/{PAGE}"), &cookies).await;
    assert!(!replayed.body.contains("logged in as"), "the cookie from before the code is dead");
}

async fn wrong_codes_are_refused_and_back_the_client_off(kind: StoreKind) {
    let totp = TotpApp::with(kind, |s| s.auth.max_login_attempts = 3);
    let (secret, _) = totp.enrol(&mut totp.logged_in(VIEWER).await).await;
    totp.clock.advance(STEP);
    let mut session = totp.past_the_password(VIEWER).await;
    for wrong in ["000000", "123456", "999999"] {
        let answer = enter_code(&mut session, wrong).await;
        assert!(answer.body.contains(CODE_FAILED) && waits_for_code(&answer), "{}", answer.body);
    }
    let backed_off = enter_code(&mut session, &totp.code(&secret)).await;
    assert!(backed_off.body.contains(CODE_FAILED), "the right code waits out the back-off: {}", backed_off.body);
    let mut again = totp.past_the_password(VIEWER).await;
    let still = enter_code(&mut again, &totp.code(&secret)).await;
    assert!(still.body.contains(CODE_FAILED), "a right password does not clear it: {}", still.body);
    totp.clock.advance(Duration::from_secs(1));
    assert!(is_logged_in(&enter_code(&mut session, &totp.code(&secret)).await, VIEWER.0), "after the back-off");
}

async fn a_code_that_was_used_once_is_refused_the_second_time(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let (secret, _) = totp.enrol(&mut totp.logged_in(VIEWER).await).await;
    let mut first = totp.past_the_password(VIEWER).await;
    let same_step = enter_code(&mut first, &totp.code(&secret)).await;
    assert!(same_step.body.contains(CODE_FAILED), "the enrolment used this step's code: {}", same_step.body);
    totp.clock.advance(STEP);
    let code = totp.code(&secret);
    assert!(is_logged_in(&enter_code(&mut first, &code).await, VIEWER.0));
    let mut second = totp.past_the_password(VIEWER).await;
    let replay = enter_code(&mut second, &code).await;
    assert!(replay.body.contains(CODE_FAILED) && waits_for_code(&replay), "{}", replay.body);
    totp.clock.advance(STEP);
    assert!(is_logged_in(&enter_code(&mut second, &totp.code(&secret)).await, VIEWER.0), "the next step's code");
}

async fn one_code_posted_twice_at_once_logs_in_once(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let (secret, codes) = totp.enrol(&mut totp.logged_in(VIEWER).await).await;
    totp.clock.advance(STEP);
    for code in [totp.code(&secret), codes[0].clone()] {
        let (mut first, mut second) = (totp.past_the_password(VIEWER).await, totp.past_the_password(VIEWER).await);
        let (a, b) = tokio::join!(enter_code(&mut first, &code), enter_code(&mut second, &code));
        let logged_in = [&a, &b].iter().filter(|answer| is_logged_in(answer, VIEWER.0)).count();
        assert_eq!(logged_in, 1, "{code}: one of the two posts wins");
    }
}

async fn a_recovery_code_logs_in_once(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let (_, codes) = totp.enrol(&mut totp.logged_in(VIEWER).await).await;
    let mut first = totp.past_the_password(VIEWER).await;
    let typed = codes[3].to_uppercase();
    assert!(is_logged_in(&enter_code(&mut first, &typed).await, VIEWER.0), "in any case");
    assert_eq!(totp.credentials().matches("- $argon2id$").count(), 9, "used up in the file");
    let mut second = totp.past_the_password(VIEWER).await;
    let again = enter_code(&mut second, &codes[3]).await;
    assert!(again.body.contains(CODE_FAILED), "{}", again.body);
    assert!(is_logged_in(&enter_code(&mut second, &codes[4]).await, VIEWER.0), "another code still works");
}

async fn the_password_step_expires_after_five_minutes(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let (secret, _) = totp.enrol(&mut totp.logged_in(VIEWER).await).await;
    let mut late = totp.past_the_password(VIEWER).await;
    totp.clock.advance(Duration::from_secs(270));
    let mut in_time = totp.past_the_password(VIEWER).await;
    totp.clock.advance(Duration::from_secs(30));
    let expired = enter_code(&mut late, &totp.code(&secret)).await;
    assert!(expired.body.contains(TIMED_OUT) && !expired.body.contains(CODE_FIELD), "{}", expired.body);
    assert!(expired.body.contains("name=\"password\""), "the password form again");
    assert!(is_logged_in(&enter_code(&mut in_time, &totp.code(&secret)).await, VIEWER.0), "within 5 minutes");
}

async fn a_password_changed_meanwhile_voids_the_password_step(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let (secret, _) = totp.enrol(&mut totp.logged_in(VIEWER).await).await;
    totp.clock.advance(STEP);
    let mut session = totp.past_the_password(VIEWER).await;
    let file = totp.credentials();
    let hash_of = |user: &str| {
        let entry = file.split(&format!("    {user}:")).nth(1).unwrap();
        entry.split("password: ").nth(1).unwrap().lines().next().unwrap().to_owned()
    };
    // An admin sets another password for rbriggs (here: jsmith's hash).
    totp.app.edit_credentials(&file.replace(&hash_of(VIEWER.0), &hash_of(ADMIN.0))).await;
    let answer = enter_code(&mut session, &totp.code(&secret)).await;
    assert!(answer.body.contains(TIMED_OUT) && !answer.body.contains("logged in as"), "{}", answer.body);
}

async fn turning_totp_off_needs_a_current_code_or_the_password(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let mut session = totp.logged_in(VIEWER).await;
    let (secret, _) = totp.enrol(&mut session).await;
    let refused = session.auth(PAGE, "disable_totp", &[("code_or_password", "not the password")]).await;
    assert!(refused.body.contains("nothing was changed") && refused.body.contains("totp is on"), "{}", refused.body);
    assert!(totp.credentials().contains("totp:"));
    let by_password = session.auth(PAGE, "disable_totp", &[("code_or_password", VIEWER.1)]).await;
    assert!(by_password.body.contains("totp is off"), "{}", by_password.body);
    assert!(!totp.credentials().contains("totp:") && !totp.credentials().contains(&secret));
    let (secret, _) = totp.enrol(&mut session).await;
    totp.clock.advance(STEP);
    let by_code = session.auth(PAGE, "disable_totp", &[("code_or_password", &totp.code(&secret))]).await;
    assert!(by_code.body.contains("totp is off"), "{}", by_code.body);
    assert!(totp.logged_in(VIEWER).await.get(&format!("/{PAGE}")).await.body.contains("totp is off"));
}

async fn a_wrong_password_gets_the_same_answer_with_and_without_totp(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    totp.enrol(&mut totp.logged_in(ADMIN).await).await;
    let (mut with, mut without) = (totp.visitor().await, totp.visitor().await);
    let with_totp = with.login(PAGE, (ADMIN.0, "wrong password")).await;
    let without_totp = without.login(PAGE, (VIEWER.0, "wrong password")).await;
    assert!(with_totp.body.contains(LOGIN_FAILED), "{}", with_totp.body);
    let (a, b) = (with_totp.body.replace(&with.csrf, "CSRF"), without_totp.body.replace(&without.csrf, "CSRF"));
    assert_eq!(a, b, "the same page");
}

async fn a_code_step_without_a_right_password_or_a_login_is_refused(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let mut stranger = totp.visitor().await;
    let undrawn = enter_code(&mut stranger, "123456").await;
    assert!(undrawn.status.is_client_error(), "the code form was never drawn: {}", undrawn.status);
    let enrol = stranger.auth(PAGE, "enroll_totp", &[]).await;
    assert!(enrol.status.is_client_error(), "nobody is logged in: {}", enrol.status);
    assert!(!totp.credentials().contains("totp:"), "nothing changed");
}

async fn a_bad_enroll_totp_option_is_an_error_at_its_line(kind: StoreKind) {
    let bad = [
        (r#"#{ issuer: "" }"#, "option `issuer` must be a name of 1 to 64 characters"),
        (r#"#{ issuer: 42 }"#, "option `issuer`"),
        (r#"#{ isuer: "Acme" }"#, "unknown option `isuer`"),
    ];
    for (opts, message) in bad {
        let script = format!(
            "let auth = authenticator();\nlet user = auth.login();\nif user != () {{ auth.enroll_totp({opts}); }}\n"
        );
        let totp = TotpApp::serving(kind, &script, |_| {});
        let page = totp.visitor().await.login(PAGE, VIEWER).await;
        assert!(page.body.contains("line 3") && page.body.contains(message), "{opts}: {}", page.body);
    }
}

/// A plain form post (no JavaScript), answered by a redirect whose page shows the result once.
async fn post_plain(session: &mut Session, action: &str, fields: &[(&str, &str)]) -> Answer {
    let mut form = vec![("csrf", session.csrf.as_str())];
    form.extend_from_slice(fields);
    let body = serde_urlencoded::to_string(&form).unwrap().into_bytes();
    let posted = session.post_to(&format!("/{PAGE}/auth/{action}"), body, false).await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    assert_eq!(posted.headers["location"], format!("/{PAGE}"));
    session.open(&format!("/{PAGE}")).await
}

async fn without_javascript_the_setup_and_the_code_step_are_plain_posts_that_redirect(kind: StoreKind) {
    let totp = TotpApp::start(kind);
    let mut session = totp.visitor().await;
    assert!(is_logged_in(
        &post_plain(&mut session, "login", &[("username", VIEWER.0), ("password", VIEWER.1)]).await,
        VIEWER.0
    ));
    let started = post_plain(&mut session, "enroll_totp", &[]).await;
    let secret = secret_on(&started.body).expect("the secret");
    let confirmed = post_plain(&mut session, "confirm_totp", &[("code", &totp.code(&secret))]).await;
    let codes = recovery_codes(&confirmed.body);
    assert_eq!(codes.len(), 10, "{}", confirmed.body);
    assert!(!session.open(&format!("/{PAGE}")).await.body.contains(&codes[0]), "shown by one page load only");
    totp.clock.advance(STEP);
    let mut browser = totp.visitor().await;
    let asked = post_plain(&mut browser, "login", &[("username", VIEWER.0), ("password", VIEWER.1)]).await;
    assert!(waits_for_code(&asked), "{}", asked.body);
    let done = post_plain(&mut browser, "login_code", &[("code", &totp.code(&secret))]).await;
    assert!(is_logged_in(&done, VIEWER.0), "{}", done.body);
}
