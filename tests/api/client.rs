//! A browser session as the tests drive it: a cookie jar, the CSRF token, intent-named calls.

use reqwest::{Client, StatusCode};

use crate::support::{self, RedisServer, StoreKind, TestApp, csrf_in};
pub use crate::support::{digest, have_in};

/// A test app with the Redis server it uses (if any), kept alive together.
pub struct Running {
    pub app: TestApp,
    pub redis: Option<RedisServer>,
}

pub fn start(kind: StoreKind) -> Running {
    start_with("scripts", kind)
}

pub fn start_with(dir: &str, kind: StoreKind) -> Running {
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let app = TestApp::spawn(support::settings(dir, kind, redis.as_ref()));
    Running { app, redis }
}

pub struct Session {
    pub client: Client,
    pub base: String,
    pub csrf: String,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
}

pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Session {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.address)
    }

    pub fn at(base: &str) -> Self {
        Self::with_jar(base, std::sync::Arc::default())
    }

    /// A client sharing `jar` with others: another tab of the same browser.
    pub fn with_jar(base: &str, jar: std::sync::Arc<reqwest::cookie::Jar>) -> Self {
        Self::browser(base, jar, "runnel-tests")
    }

    /// A fresh browser that names itself `user_agent`.
    pub fn with_user_agent(base: &str, user_agent: &str) -> Self {
        Self::browser(base, std::sync::Arc::default(), user_agent)
    }

    /// A fresh browser whose connections come from `address` (a loopback address other than
    /// 127.0.0.1: another client than the proxy in front of the host).
    pub fn from_address(base: &str, address: std::net::IpAddr) -> Self {
        Self::browser_at(base, std::sync::Arc::default(), "runnel-tests", Some(address))
    }

    fn browser(base: &str, jar: std::sync::Arc<reqwest::cookie::Jar>, user_agent: &str) -> Self {
        Self::browser_at(base, jar, user_agent, None)
    }

    fn browser_at(
        base: &str,
        jar: std::sync::Arc<reqwest::cookie::Jar>,
        user_agent: &str,
        address: Option<std::net::IpAddr>,
    ) -> Self {
        let client = Client::builder()
            .local_address(address)
            .user_agent(user_agent)
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap();
        Self { client, base: base.to_owned(), csrf: String::new(), jar }
    }

    /// Another tab of this browser: the same cookies, the CSRF token this tab has seen.
    pub fn tab(&self) -> Self {
        let mut tab = Self::with_jar(&self.base, self.jar.clone());
        tab.csrf = self.csrf.clone();
        tab
    }

    /// The Cookie header this browser sends now (to replay it elsewhere later).
    pub fn cookie_header(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().unwrap();
        self.jar.cookies(&url).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    }

    /// The value (`series:token`) of this browser's remember-me cookie, if it has one.
    pub fn remember_cookie(&self) -> Option<String> {
        let header = self.cookie_header();
        let found = header.split("; ").find_map(|c| c.strip_prefix("runnel_remember="));
        found.map(str::to_owned)
    }

    /// This browser closed and opened again: a new cookie jar that holds only the remember-me
    /// cookie (browser-session cookies end with the browser).
    pub fn reopened(&self) -> Self {
        Self::with_remember_cookie(&self.base, self.remember_cookie().as_deref().unwrap_or_default())
    }

    /// A browser whose only cookie is the remember-me cookie `value` (a stolen copy of one).
    pub fn with_remember_cookie(base: &str, value: &str) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        jar.add_cookie_str(&format!("runnel_remember={value}; Path=/"), &base.parse().unwrap());
        Self::with_jar(base, jar)
    }

    /// A fresh client that sends exactly `cookie` (a replay of a captured cookie).
    pub async fn replay(base: &str, path: &str, cookie: &str) -> Answer {
        let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let response = client.get(format!("{base}{path}")).header("cookie", cookie).send().await.unwrap();
        Answer::read(response).await
    }

    /// Posts an auth form of `page` (fragment answer); a new CSRF token in the answer is kept.
    pub async fn auth(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&form).unwrap();
        let answer = self.post_to(&format!("/{page}/auth/{action}"), body.into_bytes(), true).await;
        if let Some(token) = csrf_in(&answer.body) {
            self.csrf = token;
        }
        answer
    }

    pub async fn login(&mut self, page: &str, (username, password): (&str, &str)) -> Answer {
        self.auth(page, "login", &[("username", username), ("password", password)]).await
    }

    pub async fn logout(&mut self, page: &str) -> Answer {
        self.auth(page, "logout", &[]).await
    }

    /// A POST to any path of the host with a form body.
    pub async fn post_to(&self, path: &str, body: Vec<u8>, fragment: bool) -> Answer {
        self.post_with_headers(path, body, fragment, &[]).await
    }

    /// A POST with extra request headers (an `Origin`, a proxy's `X-Forwarded-For`).
    pub async fn post_with_headers(
        &self,
        path: &str,
        body: Vec<u8>,
        fragment: bool,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if fragment {
            request = request.header("X-Runnel-Fragment", "1");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Answer::read(request.send().await.unwrap()).await
    }

    /// Clicks a widget as the page's script does, with extra request headers.
    pub async fn click_with_headers(&self, page: &str, widget: &str, headers: &[(&str, &str)]) -> Answer {
        let form = [("csrf", self.csrf.as_str()), ("widget", widget), ("value", "true")];
        let body = serde_urlencoded::to_string(form).unwrap();
        self.post_with_headers(&format!("/{page}/event"), body.into_bytes(), true, headers).await
    }

    /// Posts an auth form with extra request headers; the CSRF token is not updated.
    pub async fn auth_with_headers(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&form).unwrap();
        self.post_with_headers(&format!("/{page}/auth/{action}"), body.into_bytes(), true, headers).await
    }

    /// Opens a page (a full document) and remembers its CSRF token.
    pub async fn open(&mut self, path: &str) -> Answer {
        let answer = self.get(path).await;
        if let Some(token) = csrf_in(&answer.body) {
            self.csrf = token;
        }
        answer
    }

    pub async fn get(&self, path: &str) -> Answer {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        Answer::read(response).await
    }

    /// A GET with extra request headers.
    pub async fn get_with_headers(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Answer::read(request.send().await.unwrap()).await
    }

    /// Loads a page the way the page's script reruns it (fragment answer).
    pub async fn get_fragment(&self, path: &str) -> Answer {
        let request = self.client.get(format!("{}{path}", self.base)).header("X-Runnel-Fragment", "1");
        Answer::read(request.send().await.unwrap()).await
    }

    /// Clicks a widget the way the page's script does (fragment answer).
    pub async fn click(&self, page: &str, widget: &str) -> Answer {
        self.send(page, widget, &["true"]).await
    }

    pub async fn send(&self, page: &str, widget: &str, values: &[&str]) -> Answer {
        let mut form = vec![("csrf", self.csrf.as_str()), ("widget", widget)];
        form.extend(values.iter().map(|v| ("value", *v)));
        let body = serde_urlencoded::to_string(&form).unwrap();
        self.post_raw(page, body.into_bytes(), true).await
    }

    pub async fn post_raw(&self, page: &str, body: Vec<u8>, fragment: bool) -> Answer {
        self.post_to(&format!("/{page}/event"), body, fragment).await
    }

    /// The count the counter page shows now.
    pub async fn count(&self) -> String {
        self.count_on("/counter").await
    }

    /// The metric a page shows now.
    pub async fn count_on(&self, path: &str) -> String {
        let page = self.get(path).await;
        metric_value(&page.body)
    }
}

impl Answer {
    async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Self { status, body, headers }
    }
}

pub fn metric_value(html: &str) -> String {
    let marker = "rn-metric-value\">";
    let start = html.find(marker).map(|i| i + marker.len()).expect("a metric on the page");
    html[start..].split('<').next().unwrap().to_owned()
}
