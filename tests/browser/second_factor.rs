//! The second factor in real headless Chromium, on both stores: a person logs in with the
//! password, sets up TOTP by reading the key off the page (the QR code is inline SVG and breaks
//! no Content-Security-Policy rule), types the app's code, sees the recovery codes, logs out,
//! and logs in again with the password and then a code typed into the page's code field.

use std::time::Duration;

use runnel::clock::Clock;
use totp_rs::{Algorithm, Builder, Secret};

use crate::support::chromium::{Browser, Page};
use crate::support::{self, CredentialsFile, RedisServer, ScriptDir, StoreKind, TestApp, VIEWER};
use crate::{WAIT, js_string, wait_for_runnel};

const SCRIPT: &str = r#"
let auth = authenticator();
let user = auth.login();
if user != () {
    header(`Welcome, ${user.name}`);
    auth.enroll_totp(#{ issuer: "Runnel browser test" });
    auth.logout();
}
"#;
const WELCOME: &str = "Welcome, Rebecca Briggs";

struct Host {
    app: TestApp,
    clock: Clock,
    _credentials: CredentialsFile,
    _scripts: ScriptDir,
    _redis: Option<RedisServer>,
}

impl Host {
    fn start(kind: StoreKind) -> Self {
        let scripts = ScriptDir::with(&[("secure.rhai", SCRIPT)]);
        let credentials = CredentialsFile::sample();
        let redis = (kind == StoreKind::Redis).then(RedisServer::start);
        let mut settings = support::auth_settings(&scripts.path, &credentials, kind, redis.as_ref());
        let clock = Clock::manual();
        settings.auth.clock = clock.clone();
        Self { app: TestApp::spawn(settings), clock, _credentials: credentials, _scripts: scripts, _redis: redis }
    }

    /// The code an authenticator app with `secret` shows at the host's clock.
    fn code(&self, secret: &str) -> String {
        let secret = Secret::try_from_base32(secret).expect("the page shows base32");
        let totp = Builder::new().with_algorithm(Algorithm::SHA1).with_secret(secret).build().expect("a secret");
        totp.generate(self.clock.now_ms() / 1000).to_string()
    }
}

fn wait_for(page: &Page, js_condition: &str) {
    page.wait_until(js_condition, WAIT);
}

fn wait_for_text(page: &Page, text: &str) {
    wait_for(page, &format!("document.getElementById('runnel-root').textContent.includes({})", js_string(text)));
}

fn type_into(page: &Page, selector: &str, text: &str) {
    page.focus(selector);
    page.type_text(text);
}

fn log_in_with_password(page: &Page) {
    wait_for(page, "!!document.querySelector('#auth-login-password')");
    type_into(page, "#auth-login-username", VIEWER.0);
    type_into(page, "#auth-login-password", VIEWER.1);
    page.click("form[data-widget='auth:login'] button[type='submit']");
}

/// Sets TOTP up as a person does; returns the key typed into the app.
fn set_up_totp(host: &Host, page: &Page) -> String {
    page.click("form[data-widget='auth:enroll_totp'] button[type='submit']");
    wait_for(page, "!!document.querySelector('.rn-totp-qr svg path')");
    let secret = page.text(".rn-totp-secret code");
    type_into(page, "#auth-confirm_totp-code", &host.code(&secret));
    page.click("form[data-widget='auth:confirm_totp'] button[type='submit']");
    wait_for(page, "document.querySelectorAll('.rn-recovery-codes li').length === 10");
    // The next code: the one the enrolment took is used up.
    host.clock.advance(Duration::from_secs(30));
    secret
}

fn logs_in_with_password_and_code(kind: StoreKind) {
    let host = Host::start(kind);
    let browser = Browser::launch();
    let page = browser.new_page();
    page.watch_csp_violations();
    page.navigate(&host.app.url("/secure"));
    wait_for_runnel(&page);
    log_in_with_password(&page);
    wait_for_text(&page, WELCOME);
    let secret = set_up_totp(&host, &page);
    assert_eq!(page.csp_violations(), Vec::<String>::new(), "the QR code and the codes pass the CSP");
    page.click("form[data-widget='auth:logout'] button[type='submit']");
    wait_for(&page, "!!document.querySelector('#auth-login-password')");

    log_in_with_password(&page);
    wait_for(&page, "!!document.querySelector('#auth-login_code-code')");
    assert!(!page.text("#runnel-root").contains(WELCOME), "the password alone logs nobody in");
    type_into(&page, "#auth-login_code-code", &host.code(&secret));
    page.click("form[data-widget='auth:login_code'] button[type='submit']");
    wait_for_text(&page, WELCOME);
    page.reload();
    wait_for_runnel(&page);
    wait_for_text(&page, WELCOME);
    assert_eq!(page.csp_violations(), Vec::<String>::new());
}

#[test]
fn a_person_sets_up_totp_and_logs_in_with_password_and_code_on_memory() {
    logs_in_with_password_and_code(StoreKind::Memory);
}

#[test]
fn a_person_sets_up_totp_and_logs_in_with_password_and_code_on_redis() {
    logs_in_with_password_and_code(StoreKind::Redis);
}
