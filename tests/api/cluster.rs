//! The host on a Redis Cluster and on a Sentinel-managed primary (issue 15, point 8): logins,
//! clicks, the sessions list and logouts work; under load, a primary's failover loses no
//! acknowledged click, never shows a user another user's page or login, and the host recovers
//! by itself within a bounded time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use runnel::config::StoreSettings;

use crate::client::{Session, metric_value};
use crate::support::redis_deployments::{RedisCluster, SentinelSetup};
use crate::support::{self, ADMIN, CredentialsFile, ScriptDir, StoreKind, TestApp, VIEWER};

const PAGE: &str = "app";

/// A page behind a login with a counter, a tag of the session's own and the user's sessions.
const APP_PAGE: &str = r#"
title("Cluster");
let auth = authenticator();
let user = auth.login(#{ fields: #{ "Form name": "Members login" } });
if user == () { stop(); }
text(`Hello, ${user.name}`);
auth.logout(#{ button_name: "Log out" });
let tag = text_input("Tag", #{ key: "tag" });
if !("count" in state) { state.count = 0; }
if button("Increment") { state.count += 1; }
metric("Count", state.count);
text(`tag=${tag}|`);
text(`sessions=${auth.sessions().len()}|`);
"#;

/// A page open to everybody: a click starts a session.
const OPEN_PAGE: &str = r#"
if !("count" in state) { state.count = 0; }
if button("Increment") { state.count += 1; }
metric("Count", state.count);
"#;

/// The names the page greets the two demo users with.
const NAMES: [&str; 2] = ["John Smith", "Rebecca Briggs"];

/// Host instances serving the test page on one Redis deployment, with their files.
struct Hosts {
    instances: Vec<TestApp>,
    _scripts: ScriptDir,
    _credentials: CredentialsFile,
}

impl Hosts {
    fn on(url: &str, instances: usize) -> Self {
        let scripts = ScriptDir::with(&[("app.rhai", APP_PAGE), ("open.rhai", OPEN_PAGE)]);
        let credentials = CredentialsFile::sample();
        let instances = (0..instances)
            .map(|_| {
                let mut settings = support::auth_settings(&scripts.path, &credentials, StoreKind::Memory, None);
                settings.watch = false;
                settings.store = StoreSettings::Redis { url: url.to_owned(), timeout: Duration::from_millis(500) };
                TestApp::spawn(settings)
            })
            .collect();
        Self { instances, _scripts: scripts, _credentials: credentials }
    }

    /// A browser of user number `n % 2`, logged in on instance `n % instances`, with its tag typed.
    async fn logged_in(&self, n: usize) -> Visitor {
        let app = &self.instances[n % self.instances.len()];
        let (user, name) = if n.is_multiple_of(2) { (ADMIN, NAMES[0]) } else { (VIEWER, NAMES[1]) };
        let mut session = Session::new(app);
        session.open(&format!("/{PAGE}")).await;
        let answer = session.login(PAGE, user).await;
        assert!(answer.body.contains(&format!("Hello, {name}")), "logged in: {}", answer.body);
        let tag = format!("visitor-{n}");
        let typed = session.send(PAGE, "text_input:key:tag", &[&tag]).await;
        assert_eq!(typed.status, 200, "{}", typed.body);
        Visitor { session, name, tag, acked: 0, failed: 0 }
    }
}

/// One browser clicking: how many clicks were answered 200 (acknowledged) and how many 503.
struct Visitor {
    session: Session,
    name: &'static str,
    tag: String,
    acked: u64,
    failed: u64,
}

impl Visitor {
    /// Clicks once. An acknowledged click's page must be this visitor's own (name, tag) and
    /// count every acknowledged click so far, plus at most the failed ones (whose outcome a
    /// 503 leaves open).
    async fn click(&mut self) -> bool {
        let answer = self.session.click(PAGE, "button:Increment").await;
        match answer.status.as_u16() {
            200 => {
                self.acked += 1;
                self.assert_own_page(&answer.body);
                true
            }
            503 => {
                assert!(answer.headers.contains_key("retry-after"), "a 503 says when to retry");
                self.failed += 1;
                false
            }
            status => panic!("a click answered {status}: {}", answer.body),
        }
    }

    fn assert_own_page(&self, body: &str) {
        assert!(body.contains(&format!("Hello, {}", self.name)), "{}'s own login: {body}", self.name);
        let others = NAMES.iter().filter(|n| **n != self.name);
        assert!(others.into_iter().all(|other| !body.contains(other)), "another user's name: {body}");
        assert!(body.contains(&format!("tag={}|", self.tag)), "{}'s own tag: {body}", self.tag);
        let count: u64 = metric_value(body).parse().expect("a count");
        assert!(
            (self.acked..=self.acked + self.failed).contains(&count),
            "{}: count {count} with {} acknowledged and {} failed clicks",
            self.tag,
            self.acked,
            self.failed
        );
    }

    /// The page as a reload shows it, checked as after a click.
    async fn assert_page_intact(&self) {
        let page = self.session.get(&format!("/{PAGE}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        self.assert_own_page(&page.body);
    }
}

/// Visitors clicking concurrently until stopped; each one's acknowledged clicks are visible
/// while they run.
struct Load {
    stop: Arc<AtomicBool>,
    acked: Vec<Arc<AtomicU64>>,
    tasks: Vec<tokio::task::JoinHandle<Visitor>>,
}

impl Load {
    fn start(visitors: Vec<Visitor>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let acked: Vec<Arc<AtomicU64>> = visitors.iter().map(|_| Arc::default()).collect();
        let tasks = visitors
            .into_iter()
            .zip(&acked)
            .map(|(mut visitor, acked)| {
                let (stop, acked) = (stop.clone(), acked.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        if visitor.click().await {
                            acked.store(visitor.acked, Ordering::Relaxed);
                        } else {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                    visitor
                })
            })
            .collect();
        Self { stop, acked, tasks }
    }

    fn acked(&self) -> Vec<u64> {
        self.acked.iter().map(|a| a.load(Ordering::Relaxed)).collect()
    }

    /// Waits until every visitor has `more` acknowledged clicks beyond `since`; how long it took.
    async fn await_progress(&self, since: &[u64], more: u64, within: Duration) -> Duration {
        let started = Instant::now();
        while !self.acked().iter().zip(since).all(|(now, then)| *now >= then + more) {
            assert!(started.elapsed() < within, "no progress for every visitor within {within:?}: {:?}", self.acked());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        started.elapsed()
    }

    async fn finish(self) -> Vec<Visitor> {
        self.stop.store(true, Ordering::Relaxed);
        let mut visitors = Vec::new();
        for task in self.tasks {
            visitors.push(task.await.expect("a visitor's clicks never panic"));
        }
        visitors
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_a_cluster_logins_clicks_the_sessions_list_and_logouts_work_and_counts_cover_every_primary() {
    let cluster = tokio::task::block_in_place(RedisCluster::start);
    let hosts = Hosts::on(&cluster.url(), 2);
    let mut laptop = hosts.logged_in(0).await;
    let mut phone = hosts.logged_in(2).await;
    let mut other = hosts.logged_in(1).await;
    for visitor in [&mut laptop, &mut phone, &mut other] {
        for _ in 0..3 {
            assert!(visitor.click().await, "a click on a healthy cluster is acknowledged");
        }
        visitor.assert_page_intact().await;
    }
    let listed = laptop.session.get(&format!("/{PAGE}")).await.body;
    assert!(listed.contains("sessions=2|"), "jsmith's two browsers, not rbriggs's: {listed}");

    // Visitors who click without logging in have sessions too: enough that most primaries hold some.
    for n in 0..12 {
        let mut visitor = Session::new(&hosts.instances[n % 2]);
        visitor.open("/open").await;
        assert_eq!(visitor.click("open", "button:Increment").await.status, 200);
    }
    let per_primary: Vec<usize> =
        cluster.primaries().into_iter().map(|port| cluster.keys_on(port, "runnel:session:*")).collect();
    assert!(per_primary.iter().filter(|&&n| n > 0).count() >= 2, "sessions spread over the primaries: {per_primary:?}");
    let counted = hosts.instances[0].store.session_count().await.expect("a count");
    assert_eq!(counted as usize, per_primary.iter().sum::<usize>(), "the count covers every primary");

    let answer = laptop.session.logout(PAGE).await;
    assert!(answer.body.contains("Members login"), "logged out: {}", answer.body);
    let after = laptop.session.get(&format!("/{PAGE}")).await.body;
    assert!(after.contains("Members login") && !after.contains("Hello, "), "{after}");
    phone.assert_page_intact().await;
    let listed = phone.session.get(&format!("/{PAGE}")).await.body;
    assert!(listed.contains("sessions=1|"), "the laptop's session ended: {listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_a_primary_under_load_loses_no_acknowledged_click_and_the_host_recovers_by_itself() {
    let mut cluster = tokio::task::block_in_place(RedisCluster::start);
    let hosts = Hosts::on(&cluster.url(), 2);
    let mut visitors = Vec::new();
    for n in 0..8 {
        visitors.push(hosts.logged_in(n).await);
    }
    let load = Load::start(visitors);
    load.await_progress(&[0; 8], 3, Duration::from_secs(20)).await;

    // The primary that holds the most session data goes down with no warning.
    let victim =
        cluster.primaries().into_iter().max_by_key(|&port| cluster.keys_on(port, "runnel:data:*")).expect("a primary");
    assert!(cluster.keys_on(victim, "runnel:data:*") > 0, "the victim holds sessions");
    let killed = Instant::now();
    cluster.kill(victim);
    let failover = tokio::task::block_in_place(|| cluster.await_failover_from(victim));
    load.await_progress(&load.acked(), 3, Duration::from_secs(20)).await;
    let recovered = killed.elapsed();
    eprintln!("failover took {failover:?}; every visitor clicked again within {recovered:?} of the kill");

    let visitors = load.finish().await;
    for visitor in &visitors {
        visitor.assert_page_intact().await;
    }
    let failed: u64 = visitors.iter().map(|v| v.failed).sum();
    let acked: u64 = visitors.iter().map(|v| v.acked).sum();
    eprintln!("{acked} acknowledged clicks, {failed} answered 503 during the failover");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn through_sentinel_the_host_follows_a_failover_under_load_and_loses_no_acknowledged_click() {
    let sentinel = tokio::task::block_in_place(SentinelSetup::start);
    assert_eq!(sentinel.current_primary(), sentinel.primary_port);
    let hosts = Hosts::on(&sentinel.url(), 2);
    let mut visitors = Vec::new();
    for n in 0..4 {
        visitors.push(hosts.logged_in(n).await);
    }
    let load = Load::start(visitors);
    load.await_progress(&[0; 4], 3, Duration::from_secs(20)).await;

    let started = Instant::now();
    let failover = tokio::task::block_in_place(|| sentinel.fail_over());
    load.await_progress(&load.acked(), 3, Duration::from_secs(20)).await;
    eprintln!("Sentinel failover took {failover:?}; every visitor clicked again within {:?}", started.elapsed());
    assert_eq!(sentinel.current_primary(), sentinel.replica_port);

    for visitor in load.finish().await {
        visitor.assert_page_intact().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paused_replica_delays_a_click_by_the_bounded_replica_wait_and_no_more() {
    let sentinel = tokio::task::block_in_place(SentinelSetup::start);
    let hosts = Hosts::on(&sentinel.url(), 1);
    let mut visitor = hosts.logged_in(0).await;
    assert!(visitor.click().await);

    sentinel.pause_replica(true);
    let started = Instant::now();
    let acknowledged = visitor.click().await;
    let took = started.elapsed();
    sentinel.pause_replica(false);
    assert!(acknowledged, "without a replica's acknowledgement the click is still answered");
    assert!(took >= Duration::from_millis(200), "the save waited for the replica (WAIT 1 200): {took:?}");
    assert!(took < Duration::from_secs(3), "but only the bounded wait: {took:?}");
    assert!(visitor.click().await);
    visitor.assert_page_intact().await;
}

/// The deployments above start a dozen `redis-server`s on ports picked a moment before, while
/// other tests start theirs: a port taken meanwhile must be noticed, not shared.
#[test]
fn a_redis_server_on_a_port_another_server_holds_is_refused_not_mistaken_for_it() {
    let other = support::RedisServer::start();
    let args = ["--port", &other.port.to_string(), "--bind", "127.0.0.1", "--save", ""].map(String::from);
    let taken = support::server::spawn_redis_on(other.port, &args);
    assert!(taken.is_err(), "a second server on a held port is refused, though the port answers");

    // The first try is made to land on the held port, as if another test had taken the pick.
    let mut first_try = true;
    let (port, mut child) = support::server::spawn_redis(|pick| {
        let port = if std::mem::take(&mut first_try) { other.port } else { pick };
        ["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""].map(String::from).into()
    })
    .expect("the second pick is free");
    assert_ne!(port, other.port, "the held port was given up for another");
    let _ = child.kill();
    let _ = child.wait();
}
