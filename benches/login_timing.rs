//! Login timing: how long a failed login takes for an unknown user, a wrong password and the
//! right password from a client that must back off (they must look alike), and a full login +
//! logout, over HTTP against the in-memory store. Run: `cargo bench --bench login_timing`
//! (release build). The host sits "behind a proxy" (this bench) so that each kind of attempt
//! comes from its own client address; a manual clock keeps the back-off from running out.

use std::time::{Duration, Instant};

use runnel::clock::Clock;
use runnel::config::Settings;

#[path = "../tests/support/mod.rs"]
mod support;

use support::{CredentialsFile, TestApp, csrf_in};

const ROUNDS: usize = 30;

fn main() {
    let credentials = CredentialsFile::sample();
    let mut settings = Settings::for_tests(support::repo_path("scripts"));
    settings.credentials = Some(credentials.path.clone());
    settings.auth.max_login_attempts = 3;
    settings.auth.attempts_per_minute = 100_000;
    settings.auth.clock = Clock::manual();
    settings.web.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let server = TestApp::spawn(settings);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(measure(&server.address));
}

async fn measure(base: &str) {
    let client = Client::open(base).await;
    let backed_off = "203.0.113.1";
    for _ in 0..3 {
        client.login_from(backed_off, "rbriggs", "wrong").await; // backs this client off rbriggs
    }
    let mut samples: [Vec<Duration>; 4] = Default::default();
    for round in 0..ROUNDS {
        // Two failures per address, below any back-off.
        let guesser = format!("198.51.100.{round}");
        samples[0].push(client.login_from(&guesser, "nobody", "whatever").await);
        samples[1].push(client.login_from(&guesser, "jsmith", "wrong").await);
        samples[2].push(client.login_from(backed_off, "rbriggs", "runnel-demo-2").await);
        let fresh = Client::open(base).await;
        let started = Instant::now();
        fresh.login("jsmith", "runnel-demo-1").await;
        fresh.post("logout", &[]).await;
        samples[3].push(started.elapsed());
    }
    println!("login timing over HTTP, in-memory store, {ROUNDS} interleaved rounds (release build)");
    let mut medians = Vec::new();
    for (name, times) in
        ["unknown user", "wrong password", "backed off", "login + logout"].iter().zip(samples.iter_mut())
    {
        times.sort();
        let (p50, p90) = (times[times.len() / 2], times[times.len() * 9 / 10]);
        println!("  {name:<16} p50 {:>7.2} ms   p90 {:>7.2} ms", ms(p50), ms(p90));
        medians.push(p50);
    }
    let failures = &medians[..3];
    let ratio = ms(*failures.iter().max().unwrap()) / ms(*failures.iter().min().unwrap());
    println!("  slowest / fastest failure median: {ratio:.2}x");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Client {
    http: reqwest::Client,
    base: String,
    csrf: std::sync::Mutex<String>,
}

impl Client {
    async fn open(base: &str) -> Self {
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let page = http.get(format!("{base}/members")).send().await.unwrap().text().await.unwrap();
        Self { http, base: base.to_owned(), csrf: std::sync::Mutex::new(csrf_in(&page).expect("a form on the page")) }
    }

    async fn login(&self, username: &str, password: &str) -> Duration {
        self.login_from("127.0.0.1", username, password).await
    }

    async fn login_from(&self, client: &str, username: &str, password: &str) -> Duration {
        let started = Instant::now();
        self.post_from(client, "login", &[("username", username), ("password", password)]).await;
        started.elapsed()
    }

    async fn post(&self, action: &str, fields: &[(&str, &str)]) {
        self.post_from("127.0.0.1", action, fields).await
    }

    async fn post_from(&self, client: &str, action: &str, fields: &[(&str, &str)]) {
        let csrf = self.csrf.lock().unwrap().clone();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&form).unwrap();
        let response = self
            .http
            .post(format!("{}/members/auth/{action}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Runnel-Fragment", "1")
            .header("X-Forwarded-For", client)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let page = response.text().await.unwrap();
        *self.csrf.lock().unwrap() = csrf_in(&page).expect("a form on the page");
    }
}
