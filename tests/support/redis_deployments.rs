//! Private Redis deployments for the cluster tests: a 3-primary, 3-replica Redis Cluster and a
//! Sentinel-managed primary (one replica, three sentinels), all `redis-server` processes on free
//! loopback ports with short failure timeouts, driven with `redis-cli`, killed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::{free_port, spawn_redis};

/// How long a deployment may take to form, and a failover to finish.
const FORM: Duration = Duration::from_secs(30);
/// The primary's name in the Sentinel setup.
pub const PRIMARY_NAME: &str = "mymaster";

/// One `redis-server` process (a node or a sentinel).
struct Process {
    port: u16,
    child: Option<Child>,
}

impl Process {
    /// Starts `redis-server` with the arguments `args` makes for a free port (see
    /// [`spawn_redis`]: a port another test took meanwhile is given up for another).
    fn start(args: impl FnMut(u16) -> Vec<String>) -> Self {
        let (port, child) = spawn_redis(args)
            .unwrap_or_else(|e| panic!("{e} (apt-get install redis-server redis-tools, or run dev/test)"));
        Self { port, child: Some(child) }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A folder of its own for the nodes' files, removed on drop.
struct Folder(PathBuf);

impl Folder {
    fn new(kind: &str) -> Self {
        let path = std::env::temp_dir().join(format!("runnel-{kind}-{}-{}", std::process::id(), free_port()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a folder for the Redis nodes");
        Self(path)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A Redis Cluster of three primaries, each with one replica. Fields drop in order: the
/// processes before their folder.
pub struct RedisCluster {
    nodes: Vec<Process>,
    _folder: Folder,
}

impl RedisCluster {
    /// Starts six nodes and joins them with `redis-cli --cluster create … --cluster-replicas 1`;
    /// returns once every slot is served and every replica is in sync.
    pub fn start() -> Self {
        let folder = Folder::new("cluster");
        let nodes: Vec<Process> = (0..6)
            .map(|_| {
                Process::start(|port| {
                    let bus = std::iter::repeat_with(free_port).take(3).find(|&bus| bus != port).expect("a bus port");
                    cluster_node_args(port, bus, &folder)
                })
            })
            .collect();
        let mut create = vec!["--cluster".to_owned(), "create".to_owned()];
        create.extend(nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)));
        create.extend(["--cluster-replicas", "1", "--cluster-yes"].map(String::from));
        let made = Command::new("redis-cli").args(&create).stdin(Stdio::null()).output().expect("redis-cli runs");
        assert!(made.status.success(), "redis-cli --cluster create failed: {}", String::from_utf8_lossy(&made.stdout));
        let cluster = Self { nodes, _folder: folder };
        await_condition("the cluster serves every slot with a replica in sync for each primary", || {
            cluster.is_healthy()
        });
        cluster
    }

    /// `redis+cluster://` with three of the nodes as seeds.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self.nodes.iter().take(3).map(|n| format!("127.0.0.1:{}", n.port)).collect();
        format!("redis+cluster://{}", seeds.join(","))
    }

    /// The ports of the primaries that serve slots now, as a live node sees the cluster.
    pub fn primaries(&self) -> Vec<u16> {
        self.topology().into_iter().filter(|n| n.primary && n.has_slots && !n.failed).map(|n| n.port).collect()
    }

    /// How many keys matching `pattern` the node on `port` holds.
    pub fn keys_on(&self, port: u16, pattern: &str) -> usize {
        cli(port, &["--scan", "--pattern", pattern]).lines().filter(|line| !line.is_empty()).count()
    }

    /// Kills the node on `port` (SIGKILL: no goodbye to the cluster).
    pub fn kill(&mut self, port: u16) {
        self.nodes.iter_mut().filter(|n| n.port == port).for_each(Process::kill);
    }

    /// Waits until a replica has taken over from the killed primary on `port` and the cluster
    /// serves every slot again; how long that took.
    pub fn await_failover_from(&self, port: u16) -> Duration {
        let started = Instant::now();
        await_condition("a replica takes over the killed primary's slots", || {
            !self.primaries().contains(&port) && self.live().all(|n| cluster_info(n.port).contains("cluster_state:ok"))
        });
        started.elapsed()
    }

    fn live(&self) -> impl Iterator<Item = &Process> {
        self.nodes.iter().filter(|n| n.child.is_some())
    }

    fn is_healthy(&self) -> bool {
        let nodes = self.topology();
        let replicas_in_sync = nodes.iter().filter(|n| !n.primary).all(|n| replica_in_sync(n.port));
        nodes.len() == 6
            && nodes.iter().filter(|n| n.primary && n.has_slots).count() == 3
            && nodes.iter().filter(|n| !n.primary).count() == 3
            && replicas_in_sync
            && self.nodes.iter().all(|n| cluster_info(n.port).contains("cluster_state:ok"))
    }

    /// `CLUSTER NODES` as one live node sees it.
    fn topology(&self) -> Vec<Member> {
        let Some(node) = self.live().next() else { return Vec::new() };
        cli(node.port, &["CLUSTER", "NODES"]).lines().filter_map(Member::parse).collect()
    }
}

/// One line of `CLUSTER NODES`.
struct Member {
    port: u16,
    primary: bool,
    failed: bool,
    has_slots: bool,
}

impl Member {
    fn parse(line: &str) -> Option<Self> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let address = fields.get(1)?.split('@').next()?;
        let port = address.rsplit_once(':')?.1.parse().ok()?;
        let flags = fields.get(2)?;
        Some(Self {
            port,
            primary: flags.contains("master"),
            failed: flags.contains("fail"),
            has_slots: fields.len() > 8,
        })
    }
}

fn cluster_node_args(port: u16, bus: u16, folder: &Folder) -> Vec<String> {
    let mut args: Vec<String> = vec!["--port".into(), port.to_string(), "--cluster-port".into(), bus.to_string()];
    args.extend(
        [
            "--bind",
            "127.0.0.1",
            "--cluster-enabled",
            "yes",
            "--cluster-node-timeout",
            "1000",
            "--cluster-replica-validity-factor",
            "0",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        .map(String::from),
    );
    args.extend(["--dir".into(), folder.file(""), "--cluster-config-file".into(), format!("nodes-{port}.conf")]);
    args
}

/// A primary with one replica, watched by three sentinels (quorum 2) that fail it over after a
/// second of silence.
pub struct SentinelSetup {
    pub primary_port: u16,
    pub replica_port: u16,
    sentinels: Vec<Process>,
    /// The first primary, then its replica.
    nodes: Vec<Process>,
    _folder: Folder,
}

impl SentinelSetup {
    pub fn start() -> Self {
        let folder = Folder::new("sentinel");
        let node = |extra: &[String]| {
            Process::start(|port| {
                let mut args: Vec<String> = vec!["--port".into(), port.to_string()];
                args.extend(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"].map(String::from));
                // A replica's full sync writes its snapshot here, not into the working directory.
                args.extend(["--dir".into(), folder.file(""), "--dbfilename".into(), format!("dump-{port}.rdb")]);
                args.extend(extra.iter().cloned());
                args
            })
        };
        let primary = node(&[]);
        let primary_port = primary.port;
        let replica = node(&["--replicaof".into(), "127.0.0.1".into(), primary_port.to_string()]);
        let replica_port = replica.port;
        await_condition("the replica is in sync", || replica_in_sync(replica_port));
        let sentinels = (0..3)
            .map(|_| {
                Process::start(|port| {
                    let config = folder.file(&format!("sentinel-{port}.conf"));
                    std::fs::write(&config, sentinel_config(port, primary_port, &folder))
                        .expect("a sentinel config file");
                    vec![config, "--sentinel".into()]
                })
            })
            .collect();
        let setup = Self { primary_port, replica_port, sentinels, nodes: vec![primary, replica], _folder: folder };
        await_condition("every sentinel knows the primary, its replica and the other sentinels", || {
            setup.sentinels.iter().all(|s| {
                let replicas = cli(s.port, &["SENTINEL", "REPLICAS", PRIMARY_NAME]);
                let sentinels = cli(s.port, &["SENTINEL", "SENTINELS", PRIMARY_NAME]);
                replicas.contains(&replica_port.to_string()) && sentinels.matches("127.0.0.1").count() == 2
            })
        });
        setup
    }

    /// `redis+sentinel://` naming the three sentinels and the primary.
    pub fn url(&self) -> String {
        let sentinels: Vec<String> = self.sentinels.iter().map(|s| format!("127.0.0.1:{}", s.port)).collect();
        format!("redis+sentinel://{}/{PRIMARY_NAME}", sentinels.join(","))
    }

    /// The port of the primary that the sentinels name now.
    pub fn current_primary(&self) -> u16 {
        let answer = cli(self.sentinels[0].port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", PRIMARY_NAME]);
        answer.lines().nth(1).and_then(|p| p.trim().parse().ok()).unwrap_or(0)
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) the replica's process.
    pub fn pause_replica(&self, paused: bool) {
        let pid = self.nodes[1].child.as_ref().expect("the replica runs").id().to_string();
        let signal = if paused { "-STOP" } else { "-CONT" };
        assert!(Command::new("kill").args([signal, &pid]).status().expect("kill runs").success());
    }

    /// `SENTINEL FAILOVER`, then waits until the replica is the primary; how long that took.
    pub fn fail_over(&self) -> Duration {
        let started = Instant::now();
        let answer = cli(self.sentinels[0].port, &["SENTINEL", "FAILOVER", PRIMARY_NAME]);
        assert_eq!(answer, "OK", "SENTINEL FAILOVER");
        await_condition("the replica becomes the primary", || {
            self.current_primary() == self.replica_port && cli(self.replica_port, &["ROLE"]).starts_with("master")
        });
        started.elapsed()
    }
}

fn sentinel_config(port: u16, primary: u16, folder: &Folder) -> String {
    format!(
        "port {port}\nbind 127.0.0.1\ndir {dir}\n\
         sentinel monitor {PRIMARY_NAME} 127.0.0.1 {primary} 2\n\
         sentinel down-after-milliseconds {PRIMARY_NAME} 1000\n\
         sentinel failover-timeout {PRIMARY_NAME} 5000\n",
        dir = folder.file(""),
    )
}

/// `redis-cli -p port args…`, its output trimmed (empty when the node does not answer).
fn cli(port: u16, args: &[&str]) -> String {
    Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn cluster_info(port: u16) -> String {
    cli(port, &["CLUSTER", "INFO"])
}

fn replica_in_sync(port: u16) -> bool {
    cli(port, &["INFO", "replication"]).contains("master_link_status:up")
}

/// Polls `condition` every 50 ms; panics naming it after [`FORM`].
fn await_condition(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + FORM;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not within {FORM:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
