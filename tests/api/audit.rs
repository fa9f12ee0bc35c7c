//! The audit log: every security event is logged with the username and the client address,
//! and nothing secret (password, cookie, CSRF token, login token, hash) is ever logged.

use std::io::Write;
use std::sync::{Arc, Mutex};

use std::time::Duration;

use runnel::clock::Clock;

use crate::StoreKind;
use crate::auth::logged_in_session;
use crate::auth_support::{AuthApp, MEMBERS};
use crate::client::Session;
use crate::support::{ADMIN, CredentialsFile, VIEWER};

/// Everything logged in this test binary from the moment the test installs it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn install() -> Self {
        let captured = Self::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            // The host's own filter at debug, without the test's HTTP client (which logs the
            // cookies it keeps).
            .with_env_filter(runnel::telemetry::filter("debug,cookie_store=warn,reqwest=warn,hyper_util=warn"))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the only subscriber of this test binary");
        captured
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_audit_log_records_every_security_event_and_never_a_secret() {
    let log = Captured::install();
    let app = AuthApp::build(StoreKind::Redis, CredentialsFile::sample(), None, |s| s.auth.max_login_attempts = 2);
    let mut secrets: Vec<String> = vec![
        ADMIN.1.into(),
        VIEWER.1.into(),
        "wrong-password-1".into(),
        "new-password-99".into(),
        "new-password-77".into(),
    ];

    let mut session = Session::new(&app.app);
    session.open("/members").await;
    secrets.push(session.csrf.clone());
    session.login(MEMBERS, (VIEWER.0, "wrong-password-1")).await;
    session.login(MEMBERS, (VIEWER.0, "wrong-password-1")).await; // backs this client off rbriggs
    session.login(MEMBERS, ADMIN).await;
    secrets.extend([session.csrf.clone(), session.cookie_header()]);
    let reset =
        [("password", ADMIN.1), ("new_password", "new-password-99"), ("new_password_repeat", "new-password-99")];
    session.auth(MEMBERS, "reset_password", &reset).await;
    let details = [("first_name", "John"), ("last_name", "Smith"), ("email", "john@example.com")];
    session.auth(MEMBERS, "update_user_details", &details).await;
    session.logout(MEMBERS).await;
    session.login(MEMBERS, ("jsmith", "new-password-99")).await;
    secrets.push(session.cookie_header());
    session.auth(MEMBERS, "logout_everywhere", &[]).await;
    // A remembered return rotates the token; the old token used again is a theft.
    let mut laptop = Session::new(&app.app);
    laptop.open(&format!("/{MEMBERS}")).await;
    laptop.login(MEMBERS, ("jsmith", "new-password-99")).await;
    let stolen = laptop.remember_cookie().expect("a remember cookie");
    let returned = laptop.reopened();
    returned.get(&format!("/{MEMBERS}")).await;
    Session::with_remember_cookie(&app.app.address, &stolen).get(&format!("/{MEMBERS}")).await;
    secrets.extend([stolen, returned.remember_cookie().unwrap_or_default(), returned.cookie_header()]);
    let fields = [
        ("first_name", "Mel"),
        ("last_name", "Elsby"),
        ("email", "melsby@example.com"),
        ("username", "melsby"),
        ("new_password", "new-password-99"),
        ("new_password_repeat", "new-password-99"),
    ];
    session.auth(MEMBERS, "register_user", &fields).await;
    session.auth(MEMBERS, "forgot_password", &[("username", "melsby")]).await;

    // The example page delivers the reset code through its own log line (a demo's email):
    // that line is the script's, and the code appears in no other.
    let text = log.text();
    let marker = "the reset code of melsby is ";
    let delivery = text.lines().find(|l| l.contains(marker)).expect("the script delivered a reset code");
    assert!(delivery.contains("runnel::script"), "{delivery}");
    let code = delivery[delivery.find(marker).unwrap() + marker.len()..].split(' ').next().unwrap().to_owned();
    let reset = |code: &str| {
        let fields = [
            ("username", "melsby".to_owned()),
            ("code", code.to_owned()),
            ("new_password", "new-password-77".to_owned()),
            ("new_password_repeat", "new-password-77".to_owned()),
        ];
        serde_urlencoded::to_string(fields).unwrap()
    };
    for code in ["wrong-code-123", code.as_str()] {
        let body = format!("csrf={}&{}", session.csrf, reset(code));
        let answer =
            session.post_to(&format!("/{MEMBERS}/auth/reset_password_with_code"), body.into_bytes(), true).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    secrets.extend(sessions_are_ended(&app).await);
    let text = log.text();
    assert!(text.lines().filter(|l| l.contains(&code)).count() == 1, "the code is only in the delivery");
    for (event, user) in [
        ("login_failed", "rbriggs"),
        ("backed_off", "rbriggs"),
        ("login_succeeded", "jsmith"),
        ("password_reset", "jsmith"),
        ("details_updated", "jsmith"),
        ("logged_out", "jsmith"),
        ("logged_out_everywhere", "jsmith"),
        ("remembered_login", "jsmith"),
        ("remember_token_reused", "jsmith"),
        ("registered", "melsby"),
        ("password_forgotten", "melsby"),
        ("reset_code_refused", "melsby"),
        ("password_reset", "melsby"),
        ("session_ended", "melsby"),
        ("sessions_ended", "melsby"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("event=\"{event}\"")) && l.contains(&format!("username=\"{user}\"")));
        let line = line.unwrap_or_else(|| panic!("no {event} event for {user} in:\n{text}"));
        assert!(line.contains("client=\"127.0.0.1\"") && line.contains("runnel::audit"), "{line}");
    }
    login_deadlines_are_audited(&log).await;
    secrets.extend(second_factor_is_audited(&log).await);
    let credentials = app.credentials.text();
    let hashes = credentials.lines().filter_map(|l| l.trim().strip_prefix("password: ")).map(|h| h.trim_matches('\''));
    secrets.extend(hashes.map(str::to_owned));
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        // A cookie header is `name=value`: look for the value.
        let secret = secret.split_once('=').map_or(secret.as_str(), |(_, v)| v);
        let leak = text.lines().find(|l| l.contains(secret));
        assert!(leak.is_none(), "a secret reached the log: {secret} in {leak:?}");
    }
    assert!(!text.contains("$argon2") && !text.contains("$2b$"), "no hash in the log");
}

/// On the example sessions page, melsby ends one of two sessions with its "End" button, then
/// jsmith (an admin) ends all of melsby's. Returns the cookies used (secrets for the log check).
async fn sessions_are_ended(app: &AuthApp) -> Vec<String> {
    let mut browsers = Vec::new();
    for _ in 0..2 {
        let mut browser = Session::new(&app.app);
        browser.open("/sessions").await;
        assert!(browser.login("sessions", ("melsby", "new-password-77")).await.body.contains("Where you are"));
        browsers.push(browser);
    }
    let page = browsers[1].get("/sessions").await.body;
    let ids: Vec<String> = page
        .split("button:key:end_")
        .skip(1)
        .map(|p| p.chars().take_while(char::is_ascii_alphanumeric).collect::<String>())
        .fold(Vec::new(), |mut ids, id| {
            if !ids.contains(&id) {
                ids.push(id);
            }
            ids
        });
    assert_eq!(ids.len(), 2, "{page}");
    browsers[1].click("sessions", &format!("button:key:end_{}", ids[1])).await;
    let mut admin = Session::new(&app.app);
    admin.open("/sessions").await;
    admin.login("sessions", ("jsmith", "new-password-99")).await;
    admin.send("sessions", "text_input:key:who", &["melsby"]).await;
    let answer = admin.click("sessions", "button:End all their sessions").await;
    assert!(answer.body.contains("Ended 1 sessions of melsby."), "{}", answer.body);
    browsers.iter().chain([&admin]).map(Session::cookie_header).collect()
}

/// An idle timeout and an absolute lifetime, reached on a clock the test moves, are audited when
/// the next request finds them (remember-me off, or it would log the browser in again).
async fn login_deadlines_are_audited(log: &Captured) {
    let clock = Clock::manual();
    let app = AuthApp::build(StoreKind::Memory, CredentialsFile::with_expiry_days(0), None, |s| {
        s.auth.idle_timeout = Duration::from_secs(120);
        s.auth.absolute_timeout = Some(Duration::from_secs(300));
        s.auth.clock = clock.clone();
    });
    let idle = logged_in_session(&app, ADMIN).await;
    let active = logged_in_session(&app, VIEWER).await;
    for hundreds_of_seconds in 1..=3 {
        clock.advance(Duration::from_secs(100));
        active.get(&format!("/{MEMBERS}")).await;
        if hundreds_of_seconds == 2 {
            // 200 s without a request: past the idle timeout, within the absolute lifetime.
            idle.get(&format!("/{MEMBERS}")).await;
        }
    }
    let text = log.text();
    for (event, user) in [("login_idle_timeout", "jsmith"), ("login_expired", "rbriggs")] {
        let found = text
            .lines()
            .any(|l| l.contains(&format!("event=\"{event}\"")) && l.contains(&format!("username=\"{user}\"")));
        assert!(found, "no {event} event for {user}");
    }
}

/// Enrolment, the code step (wrong, right, recovery) and turning TOTP off are audited; returns
/// the secrets they involved (the TOTP secret, the recovery codes), which the caller checks the
/// log for.
async fn second_factor_is_audited(log: &Captured) -> Vec<String> {
    let clock = Clock::manual();
    let manual = clock.clone();
    let app = AuthApp::build(StoreKind::Memory, CredentialsFile::sample(), None, |s| s.auth.clock = manual);
    let code = |secret: &str| {
        let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
        let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
        totp.generate(clock.now_ms() / 1000).to_string()
    };
    let mut session = logged_in_session(&app, VIEWER).await;
    let started = session.auth(MEMBERS, "enroll_totp", &[]).await;
    let marker = "enter this key by hand: <code>";
    let secret = started.body.split(marker).nth(1).and_then(|s| s.split('<').next()).expect("a secret").to_owned();
    let confirmed = session.auth(MEMBERS, "confirm_totp", &[("code", &code(&secret))]).await;
    let list = confirmed.body.split("rn-recovery-codes").nth(1).expect("the recovery codes").split("</ul>").next();
    let codes: Vec<String> =
        list.unwrap_or_default().split("<code>").skip(1).filter_map(|c| c.split('<').next()).map(Into::into).collect();
    assert_eq!(codes.len(), 10, "{}", confirmed.body);
    let mut next = Session::new(&app.app);
    next.open(&format!("/{MEMBERS}")).await;
    next.login(MEMBERS, VIEWER).await;
    next.auth(MEMBERS, "login_code", &[("code", "000000")]).await;
    clock.advance(Duration::from_secs(30));
    let done = next.auth(MEMBERS, "login_code", &[("code", &code(&secret))]).await;
    assert!(done.body.contains("Hello, Rebecca Briggs"), "{}", done.body);
    let mut third = Session::new(&app.app);
    third.open(&format!("/{MEMBERS}")).await;
    third.login(MEMBERS, VIEWER).await;
    assert!(third.auth(MEMBERS, "login_code", &[("code", &codes[0])]).await.body.contains("Hello, Rebecca Briggs"));
    next.auth(MEMBERS, "disable_totp", &[("code_or_password", VIEWER.1)]).await;
    let text = log.text();
    let events =
        ["second_factor_pending", "second_factor_failed", "totp_enabled", "recovery_code_used", "totp_disabled"];
    for event in events {
        let found = text.lines().any(|l| {
            l.contains(&format!("event=\"{event}\""))
                && l.contains("username=\"rbriggs\"")
                && l.contains("client=\"127.0.0.1\"")
        });
        assert!(found, "no {event} event for rbriggs");
    }
    let grouped = codes.iter().cloned();
    let plain = codes.iter().map(|c| c.replace('-', ""));
    std::iter::once(secret).chain(grouped).chain(plain).collect()
}
