//! Three `runnel` processes sharing a private `redis-server`, behind a real nginx running the
//! shipped `deploy/nginx/runnel.conf`, served under a base path: a login, clicks spread over
//! the instances, exact counts, a logout that holds on every instance; the live stream passes
//! nginx at once; and the host sees the test's client address, not nginx's.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::auth_support::{LOGGED_IN, LOGIN_FORM, MEMBERS};
use crate::binary::Binary;
use crate::client::Session;
use crate::support::nginx::Nginx;
use crate::support::{ADMIN, CredentialsFile, RedisServer};

const PREFIX: &str = "/apps/sales";
const INCREMENT: &str = "button:Increment";
/// Auth form posts one client may make per minute on one instance.
const AUTH_POSTS_PER_MINUTE: u32 = 3;

/// Clients of the test, each from a loopback address of its own (nginx listens on 127.0.0.1
/// and reaches the instances from 127.0.0.1, the only trusted proxy).
const VIEWER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 4));
const GREEDY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
const MODEST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 3));

/// nginx in front of three instances over one Redis; stopped in reverse order on drop.
struct Deployment {
    nginx: Nginx,
    instances: Vec<Binary>,
    _credentials: CredentialsFile,
    _redis: RedisServer,
}

impl Deployment {
    fn start() -> Self {
        let redis = RedisServer::start();
        let credentials = CredentialsFile::sample();
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        let attempts = AUTH_POSTS_PER_MINUTE.to_string();
        let args = [
            "scripts",
            "--redis-url",
            &redis.url(),
            "--session-key",
            &key,
            "--credentials",
            credentials.path.to_str().unwrap(),
            "--trusted-proxies",
            "127.0.0.1",
            "--base-path",
            PREFIX,
            "--auth-attempts-per-minute",
            &attempts,
            "--log-format",
            "json",
        ];
        let instances: Vec<Binary> = (0..3).map(|_| Binary::start(&args)).collect();
        let ports: Vec<u16> = instances.iter().map(|i| port_of(&i.address)).collect();
        let nginx = Nginx::start(&ports).unwrap_or_else(|e| panic!("{e}"));
        Self { nginx, instances, _credentials: credentials, _redis: redis }
    }

    /// A browser at the deployment's public address, connecting from `address`.
    fn browser(&self, address: IpAddr) -> Session {
        Session::from_address(&self.nginx.url(PREFIX), address)
    }

    /// Which instance logged the request `id` (nginx's `$request_id`, echoed in the answer).
    fn instance_that_served(&self, id: &str) -> usize {
        let wanted = format!("\"request_id\":\"{id}\"");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.instances.iter().position(|i| i.log().iter().any(|l| l.contains(&wanted)));
            if let Some(instance) = found {
                return instance;
            }
            assert!(Instant::now() < deadline, "no instance logged request {id}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every audit line that the instances logged.
    fn audit_lines(&self) -> Vec<String> {
        let lines = self.instances.iter().flat_map(|i| i.log());
        lines.filter(|l| l.contains("runnel::audit")).collect()
    }
}

fn port_of(address: &str) -> u16 {
    address.rsplit(':').next().and_then(|p| p.parse().ok()).expect("an address with a port")
}

fn request_id(answer: &crate::client::Answer) -> String {
    answer.headers["x-request-id"].to_str().expect("a request id").to_owned()
}

#[tokio::test]
async fn a_login_clicks_over_three_instances_and_a_logout_through_nginx_hold_everywhere() {
    let deployment = Deployment::start();
    let mut browser = deployment.browser(VIEWER);
    let form = browser.open(&format!("/{MEMBERS}")).await;
    assert_eq!(form.status, 200, "{}", deployment.nginx.error_log());
    assert!(form.body.contains(LOGIN_FORM));
    let login = browser.login(MEMBERS, ADMIN).await;
    assert!(login.status == 200 && login.body.contains(LOGGED_IN), "{}", login.body);

    browser.open("/counter").await;
    let mut served_by = std::collections::BTreeSet::new();
    for _ in 0..12 {
        let click = browser.click("counter", INCREMENT).await;
        assert_eq!(click.status, 200, "{}", click.body);
        served_by.insert(deployment.instance_that_served(&request_id(&click)));
    }
    assert!(served_by.len() > 1, "nginx spread the clicks over the instances: {served_by:?}");
    let origin = deployment.nginx.url("");
    let same_origin = browser.click_with_headers("counter", INCREMENT, &[("origin", &origin)]).await;
    assert_eq!(same_origin.status, 200, "nginx's address is the host's own origin: {}", same_origin.body);
    for _ in 0..3 {
        assert_eq!(browser.count().await, "13", "every instance shows the exact count");
    }

    assert_eq!(browser.logout(MEMBERS).await.status, 200);
    let mut reloaded_on = std::collections::BTreeSet::new();
    for _ in 0..6 {
        let reload = browser.get(&format!("/{MEMBERS}")).await;
        assert!(reload.body.contains(LOGIN_FORM) && !reload.body.contains(LOGGED_IN), "{}", reload.body);
        reloaded_on.insert(deployment.instance_that_served(&request_id(&reload)));
    }
    assert!(reloaded_on.len() > 1, "logged out on more than one instance: {reloaded_on:?}");
}

#[tokio::test]
async fn the_live_stream_passes_nginx_at_once_and_uncompressed() {
    let deployment = Deployment::start();
    let client = reqwest::Client::builder().local_address(VIEWER).build().unwrap();
    let started = Instant::now();
    let mut live = client
        .get(deployment.nginx.url(&format!("{PREFIX}/_live/counter")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200, "{}", deployment.nginx.error_log());
    assert!(live.headers().get("content-encoding").is_none(), "an event stream is never compressed");
    // At once: well before the first keep-alive comment (15 s) could push a buffer out.
    let hello = tokio::time::timeout(Duration::from_secs(5), live.chunk()).await;
    let hello = hello.expect("the hello frame within 5 s, not held in a buffer").unwrap().unwrap();
    assert!(String::from_utf8_lossy(&hello).contains(": connected"));
    assert!(started.elapsed() < Duration::from_secs(5));

    let script = client
        .get(deployment.nginx.url(&format!("{PREFIX}/static/runnel.js")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(script.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
}

#[tokio::test]
async fn the_instances_see_each_client_behind_nginx_by_its_own_address() {
    let deployment = Deployment::start();
    let wrong = [("username", ADMIN.0), ("password", "not the password")];
    let mut greedy = deployment.browser(GREEDY);
    greedy.open(&format!("/{MEMBERS}")).await;
    let mut statuses = Vec::new();
    // More posts than three instances allow one client in a minute, wherever nginx sends them.
    for _ in 0..=3 * AUTH_POSTS_PER_MINUTE {
        statuses.push(greedy.auth_with_headers(MEMBERS, "login", &wrong, &[]).await.status.as_u16());
    }
    assert!(statuses.contains(&429), "the greedy client is limited: {statuses:?}");

    let mut modest = deployment.browser(MODEST);
    modest.open(&format!("/{MEMBERS}")).await;
    let login = modest.login(MEMBERS, ADMIN).await;
    assert!(login.status == 200 && login.body.contains(LOGGED_IN), "another client is limited apart: {}", login.body);

    let audit = deployment.audit_lines();
    let names = |client: &str| audit.iter().any(|l| l.contains(&format!("\"client\":\"{client}\"")));
    assert!(names("127.0.0.2") && names("127.0.0.3"), "the audit log names the clients: {audit:#?}");
    assert!(!names("127.0.0.1"), "never nginx's address: {audit:#?}");
}

#[tokio::test]
async fn a_body_the_size_of_an_upload_reaches_the_host_through_nginx() {
    let deployment = Deployment::start();
    let mut browser = deployment.browser(VIEWER);
    browser.open("/counter").await;
    // Over the host's form cap (64 KiB) but within an upload's (20 MiB): nginx passes it on
    // (its default cap is 1 MiB) and the host itself refuses it, with its own answer.
    let body = vec![b'a'; 15 * 1024 * 1024];
    let answer = browser.post_raw("counter", body, true).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.headers.contains_key("x-request-id") && !answer.body.contains("nginx"), "{}", answer.body);
}

/// The proxy tests pick nginx's port a moment before it starts: a port another server took
/// meanwhile must be noticed (that server answers there), and another port tried.
#[test]
fn nginx_on_a_port_another_server_holds_is_refused_not_mistaken_for_it() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let held = holder.local_addr().expect("its address").port();
    holder.set_nonblocking(true).expect("a non-blocking listener");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answering = std::thread::spawn({
        let done = done.clone();
        move || {
            // Answers like a server that is not nginx until told to stop (at most 30 s).
            let deadline = Instant::now() + Duration::from_secs(30);
            while !done.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                match holder.accept() {
                    Ok((mut stream, _)) => {
                        let _ = std::io::Write::write_all(&mut stream, b"HTTP/1.0 200 OK\r\nServer: other\r\n\r\n");
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
    });
    let binary = crate::support::nginx::binary().expect("nginx is installed (dev/test installs it)");
    let taken = Nginx::start_on(&binary, &[1, 2, 3], held);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    answering.join().expect("the holder stops");
    let error = taken.err().expect("nginx on a held port is refused, though the port answers");
    assert!(error.contains("Address already in use"), "nginx said why: {error}");
}
