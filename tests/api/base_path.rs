//! `--base-path /apps/sales`: every route answers under the prefix and nothing outside it; every
//! URL the host writes (links, form actions, assets, the live stream, redirects, the
//! `X-Runnel-Location` and `X-Runnel-Url` headers, error pages) carries it; the cookies are
//! scoped to it, so two apps under different prefixes on one host keep their sessions apart.

use runnel::base_path::BasePath;
use runnel::config::Settings;

use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FORM, MEMBERS};
use crate::both_stores;
use crate::client::Session;
use crate::multipage::app_pages;
use crate::support::{self, ADMIN, CredentialsFile, RedisServer, StoreKind, TestApp};

const PREFIX: &str = "/apps/sales";
const INCREMENT: &str = "button:Increment";

both_stores!(
    every_route_answers_under_the_prefix_and_nothing_outside_it,
    every_url_a_page_writes_carries_the_prefix,
    a_click_under_the_prefix_counts_and_its_cookie_is_scoped_to_the_prefix,
    login_and_logout_under_the_prefix_hold_on_reload,
    switch_page_and_page_links_carry_the_prefix,
    two_apps_under_different_prefixes_on_one_host_keep_their_sessions_apart,
);

fn under(prefix: &str) -> impl FnOnce(&mut Settings) {
    let base = BasePath::parse(prefix).expect("a valid prefix");
    move |settings| settings.web.base_path = base
}

/// The example scripts served under `prefix`, with the store `kind`.
fn app_under(prefix: &str, kind: StoreKind, redis: Option<&RedisServer>) -> TestApp {
    let mut settings = support::settings("scripts", kind, redis);
    under(prefix)(&mut settings);
    TestApp::spawn(settings)
}

/// A browser whose paths are relative to the app's prefix (`/counter` is `/apps/sales/counter`).
fn browser(app: &TestApp) -> Session {
    Session::at(&app.url(PREFIX))
}

/// Every URL of an attribute (`href="`, `src="`, `action="`, …) that starts with `/`.
fn site_urls<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let marker = format!("{attribute}=\"/");
    html.match_indices(&marker).map(|(i, _)| html[i + marker.len() - 1..].split('"').next().unwrap_or("")).collect()
}

async fn every_route_answers_under_the_prefix_and_nothing_outside_it(kind: StoreKind) {
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let app = app_under(PREFIX, kind, redis.as_ref());
    let session = browser(&app);
    for bare in ["", "/"] {
        let index = session.get(bare).await;
        assert_eq!(index.status, 302, "{PREFIX}{bare}");
        assert_eq!(index.headers["location"], format!("{PREFIX}/hello"), "the default page, under the prefix");
    }
    assert_eq!(session.get("/counter").await.status, 200);
    for path in ["/healthz", "/readyz", "/static/runnel.js", "/static/runnel.css"] {
        assert_eq!(session.get(path).await.status, 200, "{PREFIX}{path}");
    }
    let outside = Session::new(&app);
    for path in ["/", "/counter", "/healthz", "/static/runnel.js", "/apps/salesman/counter", "/apps/counter"] {
        assert_eq!(outside.get(path).await.status, 404, "{path} is outside the prefix");
    }
    let missing = session.get("/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains(&format!("href=\"{PREFIX}/static/runnel.css\"")), "{}", missing.body);
    assert!(missing.body.contains(&format!("href=\"{PREFIX}/\">Back to the dashboard")), "{}", missing.body);
}

async fn every_url_a_page_writes_carries_the_prefix(kind: StoreKind) {
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let app = app_under(PREFIX, kind, redis.as_ref());
    let page = browser(&app).get("/counter").await.body;
    let urls: Vec<&str> = ["href", "src", "action"].iter().flat_map(|a| site_urls(&page, a)).collect();
    assert!(urls.len() >= 8, "assets, navigation and forms: {urls:?}");
    for url in &urls {
        assert!(url.starts_with(&format!("{PREFIX}/")), "{url} lacks the prefix in {page}");
    }
    assert!(urls.contains(&"/apps/sales/counter/event"), "the widgets post under the prefix: {urls:?}");
    assert!(page.contains(&format!("data-base=\"{PREFIX}\"")), "runnel.js opens /_live under the prefix");
    let mut live = browser(&app).client.get(app.url(&format!("{PREFIX}/_live/counter"))).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let hello = live.chunk().await.unwrap().expect("the hello frame");
    assert!(String::from_utf8_lossy(&hello).contains(": connected"));
}

async fn a_click_under_the_prefix_counts_and_its_cookie_is_scoped_to_the_prefix(kind: StoreKind) {
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let app = app_under(PREFIX, kind, redis.as_ref());
    let mut session = browser(&app);
    let page = session.open("/counter").await;
    let cookie = page.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("runnel_session=") && cookie.contains("Path=/apps/sales"), "{cookie}");
    for _ in 0..3 {
        assert_eq!(session.click("counter", INCREMENT).await.status, 200);
    }
    assert_eq!(session.count().await, "3");
    let form = [("csrf", session.csrf.as_str()), ("widget", INCREMENT), ("value", "true")];
    let plain = session.post_raw("counter", serde_urlencoded::to_string(form).unwrap().into_bytes(), false).await;
    assert_eq!(plain.status, 303, "without JavaScript a post is redirected");
    assert_eq!(plain.headers["location"], "/apps/sales/counter");
    assert_eq!(session.count().await, "4");
}

async fn login_and_logout_under_the_prefix_hold_on_reload(kind: StoreKind) {
    let app = AuthApp::build(kind, CredentialsFile::sample(), None, under(PREFIX));
    let mut session = browser(&app.app);
    let form = session.open(&format!("/{MEMBERS}")).await.body;
    assert!(form.contains(LOGIN_FORM) && form.contains("action=\"/apps/sales/members/auth/login\""), "{form}");
    assert_eq!(session.login(MEMBERS, ADMIN).await.status, 200);
    assert!(session.get(&format!("/{MEMBERS}")).await.body.contains(LOGGED_IN), "the login holds on reload");
    let old_cookie = session.cookie_header();
    assert_eq!(session.logout(MEMBERS).await.status, 200);
    let reload = session.get(&format!("/{MEMBERS}")).await.body;
    assert!(reload.contains(LOGIN_FORM) && !reload.contains(LOGGED_IN), "logged out on reload: {reload}");
    let replay = Session::replay(&session.base, &format!("/{MEMBERS}"), &old_cookie).await;
    assert!(!replay.body.contains(LOGGED_IN), "the old cookie is dead");
}

async fn switch_page_and_page_links_carry_the_prefix(kind: StoreKind) {
    let app = AuthApp::build(kind, CredentialsFile::sample(), Some(app_pages()), under(PREFIX));
    let mut session = browser(&app.app);
    let home = session.open("/home").await.body;
    assert!(home.contains("class=\"rn-page-link\" href=\"/apps/sales/report\">"), "{home}");
    assert!(home.contains("href=\"https://example.com/docs\""), "a web address is left alone");
    assert!(home.contains("class=\"rn-nav-link\" href=\"/apps/sales/report\""), "the navigation too");
    let load = session.get("/jump").await;
    assert_eq!(load.status, 303);
    assert_eq!(load.headers["location"], "/apps/sales/report");
    let fragment = session.click("home", "button:Go to report").await;
    assert_eq!(fragment.headers["x-runnel-location"], "/apps/sales/report", "runnel.js follows this header");
}

/// Two apps on one host name (127.0.0.1; cookies ignore the port), one browser: with cookies
/// scoped to each prefix, neither app's session cookie replaces the other's.
async fn two_apps_under_different_prefixes_on_one_host_keep_their_sessions_apart(kind: StoreKind) {
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let (sales, hr) = (app_under("/sales", kind, redis.as_ref()), app_under("/hr", kind, redis.as_ref()));
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let mut in_sales = Session::with_jar(&sales.url("/sales"), jar.clone());
    let mut in_hr = Session::with_jar(&hr.url("/hr"), jar);
    in_sales.open("/counter").await;
    in_sales.click("counter", INCREMENT).await;
    in_sales.click("counter", INCREMENT).await;
    in_hr.open("/counter").await;
    in_hr.click("counter", INCREMENT).await;
    assert_eq!(in_sales.count().await, "2", "the other app's cookie did not replace this one's");
    assert_eq!(in_hr.count().await, "1");
}

#[tokio::test]
async fn secure_cookies_under_a_prefix_are_secure_prefixed_and_scoped_to_it() {
    let mut settings = support::settings("scripts", StoreKind::Memory, None);
    settings.secure_cookie = true;
    under(PREFIX)(&mut settings);
    let app = TestApp::spawn(settings);
    let page = reqwest::Client::new().get(app.url("/apps/sales/counter")).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    // `__Host-` demands `Path=/`; under a prefix the name is `__Secure-`.
    assert!(cookie.starts_with("__Secure-runnel_session="), "{cookie}");
    assert!(cookie.contains("Path=/apps/sales") && cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn metrics_answer_under_the_prefix_with_routes_named_without_it() {
    const TOKEN: &str = "scrape-token-0123456789abcdef";
    let mut settings = support::settings("scripts", StoreKind::Memory, None);
    settings.metrics_token = Some(TOKEN.into());
    under(PREFIX)(&mut settings);
    let app = TestApp::spawn(settings);
    let session = browser(&app);
    assert_eq!(session.get("/counter").await.status, 200);
    let scrape = session.client.get(app.url("/apps/sales/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(scrape.status(), 200);
    let text = scrape.text().await.unwrap();
    assert!(text.contains("route=\"/{page}\""), "{text}");
    assert!(!text.contains("route=\"/apps/sales"), "the series do not depend on the prefix");
}
