//! Headers and cookies (issue 9, point 5): the security headers of pages and fragments, the
//! logout's Clear-Site-Data, the `__Host-` cookie, forwarded headers believed only from a
//! trusted proxy, and writes refused when they come from another origin.

use reqwest::header::HeaderMap;

use crate::auth::logged_in_session;
use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FORM, MEMBERS};
use crate::client::{Answer, Session};
use crate::support::csrf_in;
use crate::support::{self, ADMIN, CredentialsFile, TestApp};
use crate::{StoreKind, both_stores, start};

both_stores!(
    every_security_header_is_on_a_page_and_on_a_fragment,
    a_logout_tells_the_browser_to_clear_its_cache_and_storage_but_not_cookies,
    with_a_secure_cookie_the_session_cookie_is_host_prefixed_and_still_works,
    a_cross_origin_click_with_a_valid_csrf_token_is_refused_and_changes_nothing,
    a_cross_origin_login_with_valid_credentials_is_refused,
    same_origin_and_header_less_clicks_work,
    forwarded_addresses_count_only_from_a_trusted_proxy,
    the_forwarded_scheme_counts_only_from_a_trusted_proxy,
);

const INCREMENT: &str = "button:Increment";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

fn assert_security_headers(answer: &Answer) {
    let headers = &answer.headers;
    let policy = header(headers, "content-security-policy");
    let script_src = policy.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap_or_default();
    assert_eq!(script_src, "script-src 'self'", "{policy}");
    for directive in ["style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
        assert!(policy.split(';').any(|d| d.trim() == directive), "{directive} is missing from {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(headers, "referrer-policy"), "same-origin");
    assert_eq!(header(headers, "cross-origin-opener-policy"), "same-origin");
    let permissions = header(headers, "permissions-policy");
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{feature} is not off in {permissions}");
    }
    let vary: Vec<&str> = headers.get_all("vary").iter().map(|v| v.to_str().unwrap()).collect();
    assert!(vary.iter().any(|v| v.split(',').any(|name| name.trim() == "Cookie")), "{vary:?}");
}

async fn every_security_header_is_on_a_page_and_on_a_fragment(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let page = session.open("/counter").await;
    assert_eq!(page.status, 200);
    assert_security_headers(&page);
    let fragment = session.click("counter", INCREMENT).await;
    assert_eq!(fragment.status, 200, "{}", fragment.body);
    assert_security_headers(&fragment);
    let missing = session.get("/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert_security_headers(&missing);
    let script = session.get("/static/runnel.js").await;
    assert_eq!(header(&script.headers, "x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn the_pages_may_be_framed_only_by_the_configured_origins() {
    let mut settings = support::settings("scripts", StoreKind::Memory, None);
    settings.web.frame_ancestors = vec!["https://intranet.example".into(), "'self'".into()];
    let app = TestApp::spawn(settings);
    let page = Session::new(&app).get("/hello").await;
    let policy = header(&page.headers, "content-security-policy");
    assert!(policy.ends_with("frame-ancestors https://intranet.example 'self'"), "{policy}");
}

#[tokio::test]
async fn the_page_markup_has_no_inline_script_style_or_handler() {
    let running = start(StoreKind::Memory);
    let session = Session::new(&running.app);
    for path in ["/hello", "/counter", "/sales", "/explorer", "/demo"] {
        let page = session.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        let html = scraper::Html::parse_document(&page.body);
        for element in html.tree.values().filter_map(scraper::node::Node::as_element) {
            let inline_script = element.name() == "script" && element.attr("src").is_none();
            assert!(!inline_script && element.name() != "style", "{path} has an inline <{}>", element.name());
            for (name, _) in element.attrs() {
                assert!(name != "style" && !name.starts_with("on"), "{path}: <{} {name}=…>", element.name());
            }
        }
    }
}

async fn a_logout_tells_the_browser_to_clear_its_cache_and_storage_but_not_cookies(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = logged_in_session(&app, ADMIN).await;
    let login = session.get(&format!("/{MEMBERS}")).await;
    assert!(login.headers.get("clear-site-data").is_none(), "only a logout clears site data");
    let logout = session.logout(MEMBERS).await;
    assert_eq!(logout.status, 200, "{}", logout.body);
    assert_eq!(header(&logout.headers, "clear-site-data"), "\"cache\", \"storage\"");
    assert!(logout.headers.get("set-cookie").is_some(), "the logged-out session cookie is still set");

    let mut session = logged_in_session(&app, ADMIN).await;
    let everywhere = session.auth(MEMBERS, "logout_everywhere", &[]).await;
    assert_eq!(everywhere.status, 200, "{}", everywhere.body);
    assert_eq!(header(&everywhere.headers, "clear-site-data"), "\"cache\", \"storage\"");
}

async fn with_a_secure_cookie_the_session_cookie_is_host_prefixed_and_still_works(kind: StoreKind) {
    let redis = (kind == StoreKind::Redis).then(support::RedisServer::start);
    let mut settings = support::settings("scripts", kind, redis.as_ref());
    settings.secure_cookie = true;
    let app = TestApp::spawn(settings);
    // The test client speaks plain HTTP, so it carries the (Secure) cookie by hand.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(app.url("/counter")).send().await.unwrap();
    let set_cookies: Vec<String> =
        page.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let mut names: Vec<&str> = set_cookies.iter().filter_map(|c| c.split('=').next()).collect();
    names.sort_unstable();
    assert_eq!(names, ["__Host-runnel_session", "__Host-runnel_visitor"], "{set_cookies:?}");
    for set_cookie in &set_cookies {
        for attribute in ["Secure", "Path=/", "HttpOnly"] {
            assert!(set_cookie.split("; ").any(|a| a == attribute), "{attribute} is missing: {set_cookie}");
        }
        assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    }
    let session_cookie = set_cookies.iter().find(|c| c.starts_with("__Host-runnel_session=")).unwrap();
    let cookie = session_cookie.split(';').next().unwrap().to_owned();
    let csrf = csrf_in(&page.text().await.unwrap()).unwrap();
    let form = [("csrf", csrf.as_str()), ("widget", INCREMENT), ("value", "true")];
    let click = client.post(app.url("/counter/event")).header("cookie", &cookie).form(&form).send().await.unwrap();
    assert!(click.status().is_redirection(), "{}", click.status());
    let again = client.get(app.url("/counter")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(crate::client::metric_value(&again.text().await.unwrap()), "1");
}

async fn a_cross_origin_click_with_a_valid_csrf_token_is_refused_and_changes_nothing(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    session.open("/counter").await;
    let forged = session.click_with_headers("counter", INCREMENT, &[("origin", "http://evil.example")]).await;
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("sent from another site"), "{}", forged.body);
    let fetched = session.click_with_headers("counter", INCREMENT, &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(fetched.status, 403);
    let sibling = session.click_with_headers("counter", INCREMENT, &[("sec-fetch-site", "same-site")]).await;
    assert_eq!(sibling.status, 403);
    assert_eq!(session.count().await, "0");
}

async fn a_cross_origin_login_with_valid_credentials_is_refused(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = Session::new(&app.app);
    session.open(&format!("/{MEMBERS}")).await;
    let (username, password) = ADMIN;
    let fields = [("username", username), ("password", password)];
    let forged = session.auth_with_headers(MEMBERS, "login", &fields, &[("origin", "https://evil.example")]).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let page = session.get(&format!("/{MEMBERS}")).await;
    assert!(page.body.contains(LOGIN_FORM) && !page.body.contains(LOGGED_IN), "the forged login took effect");
}

async fn same_origin_and_header_less_clicks_work(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    session.open("/counter").await;
    let origin = running.app.address.clone();
    let same = session.click_with_headers("counter", INCREMENT, &[("origin", &origin)]).await;
    assert_eq!(same.status, 200, "{}", same.body);
    let fetched = session.click_with_headers("counter", INCREMENT, &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(fetched.status, 200, "{}", fetched.body);
    let typed = session.click_with_headers("counter", INCREMENT, &[("sec-fetch-site", "none")]).await;
    assert_eq!(typed.status, 200, "{}", typed.body);
    let bare = session.click("counter", INCREMENT).await;
    assert_eq!(bare.status, 200, "{}", bare.body);
    assert_eq!(session.count().await, "4");
    let no_token = session.post_raw("counter", b"widget=button%3AIncrement&value=true".to_vec(), true).await;
    assert_eq!(no_token.status, 403, "the CSRF token is still required");
}

/// An auth app allowing two auth posts per client address and minute, whose peer (the test,
/// on 127.0.0.1) is a trusted proxy or not.
fn rate_limited_app(kind: StoreKind, proxy_trusted: bool) -> AuthApp {
    AuthApp::build(kind, CredentialsFile::sample(), None, |settings| {
        settings.auth.attempts_per_minute = 2;
        if proxy_trusted {
            settings.web.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        }
    })
}

async fn failed_login_from(session: &Session, client: &str) -> u16 {
    let fields = [("username", "nobody"), ("password", "x")];
    session.auth_with_headers(MEMBERS, "login", &fields, &[("x-forwarded-for", client)]).await.status.as_u16()
}

async fn forwarded_addresses_count_only_from_a_trusted_proxy(kind: StoreKind) {
    let direct = rate_limited_app(kind, false);
    let mut session = Session::new(&direct.app);
    session.open(&format!("/{MEMBERS}")).await;
    assert_eq!([failed_login_from(&session, "1.1.1.1").await, failed_login_from(&session, "1.1.1.1").await], [200; 2]);
    assert_eq!(failed_login_from(&session, "2.2.2.2").await, 429, "a forged X-Forwarded-For escaped the limit");

    let proxied = rate_limited_app(kind, true);
    let mut session = Session::new(&proxied.app);
    session.open(&format!("/{MEMBERS}")).await;
    assert_eq!([failed_login_from(&session, "1.1.1.1").await, failed_login_from(&session, "1.1.1.1").await], [200; 2]);
    assert_eq!(failed_login_from(&session, "1.1.1.1").await, 429);
    assert_eq!(failed_login_from(&session, "2.2.2.2").await, 200, "another client behind the proxy is limited apart");
}

async fn the_forwarded_scheme_counts_only_from_a_trusted_proxy(kind: StoreKind) {
    for trusted in [false, true] {
        let redis = (kind == StoreKind::Redis).then(support::RedisServer::start);
        let mut settings = support::settings("scripts", kind, redis.as_ref());
        if trusted {
            settings.web.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        }
        let app = TestApp::spawn(settings);
        let https = [("x-forwarded-proto", "https")];
        let page = reqwest::Client::new().get(app.url("/counter")).header(https[0].0, https[0].1).send().await.unwrap();
        let secure = header(page.headers(), "set-cookie").split("; ").any(|a| a == "Secure");
        assert_eq!(secure, trusted, "the session cookie is Secure only over HTTPS a trusted proxy reports");

        let mut session = Session::new(&app);
        session.open("/counter").await;
        let https_origin = app.address.replace("http://", "https://");
        let headers = [("x-forwarded-proto", "https"), ("origin", https_origin.as_str())];
        let click = session.click_with_headers("counter", INCREMENT, &headers).await;
        assert_eq!(click.status == 200, trusted, "an https Origin is this host's own only behind a trusted proxy");
    }
}
