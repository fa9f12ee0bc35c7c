//! A running host on port 0 (its own thread and actix system) and a private `redis-server` on a
//! free port: the one implementation that the tests and the benchmarks share.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use runnel::auth::{Credentials, Revocations};
use runnel::config::Settings;
use runnel::session_store::Store;
use runnel::startup::Application;

/// Upper bound for a host, a `redis-server` or an nginx to start listening.
pub const START: Duration = Duration::from_secs(20);

/// A running host on its own thread and actix system, stopped on drop.
pub struct TestApp {
    pub address: String,
    pub store: Store,
    /// The app's credentials file, when the authenticator is on (tests await its reloads).
    pub credentials: Option<std::sync::Arc<Credentials>>,
    /// The app's revocation record, when the authenticator is on (tests await its reloads).
    pub revocations: Option<std::sync::Arc<Revocations>>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    /// Builds the host from `settings` (port 0 unless they say otherwise) and starts it.
    pub fn spawn(settings: Settings) -> Self {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(settings).expect("the app builds");
                let files = (app.credentials(), app.revocations());
                tx.send((app.port(), app.handle(), app.store(), files)).expect("the spawner waits");
                app.run_until_stopped().await.expect("the server runs");
            });
        });
        let (port, handle, store, (credentials, revocations)) = rx.recv_timeout(START).expect("the app starts");
        let address = format!("http://127.0.0.1:{port}");
        Self { address, store, credentials, revocations, handle, thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        stop_server(&self.handle, self.thread.take());
    }
}

/// A private `redis-server` on a free port, never the machine's own (6379); killed on drop.
pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
    /// Where `SAVE` writes its snapshot and a restart reads it back; `None` keeps nothing on disk.
    dump_dir: Option<PathBuf>,
}

impl RedisServer {
    /// Starts one, or panics with how to install it.
    pub fn start() -> Self {
        Self::try_start().unwrap_or_else(|e| panic!("{e} (apt-get install redis-server, or run dev/test)"))
    }

    /// Starts one, or says why it could not.
    pub fn try_start() -> Result<Self, String> {
        Self::launch(None)
    }

    /// One whose `SAVE` writes a snapshot (`dump.rdb`) to a private folder, which a
    /// [`restart`](Self::restart) loads back: a store restored from a snapshot. Never saves by itself.
    pub fn start_with_snapshots() -> Self {
        static FOLDERS: AtomicUsize = AtomicUsize::new(0);
        let n = FOLDERS.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("runnel-redis-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder for the Redis snapshot");
        Self::launch(Some(dir)).unwrap_or_else(|e| panic!("{e} (apt-get install redis-server, or run dev/test)"))
    }

    fn launch(dump_dir: Option<PathBuf>) -> Result<Self, String> {
        let (port, child) = spawn_redis(|port| redis_args(port, dump_dir.as_deref()))?;
        Ok(Self { port, child: Some(child), dump_dir })
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The process id of the running server.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the private redis-server runs").id()
    }

    /// Starts it again on the same port (after `stop`).
    pub fn restart(&mut self) {
        let args = redis_args(self.port, self.dump_dir.as_deref());
        self.child = Some(spawn_redis_on(self.port, &args).unwrap_or_else(|e| panic!("{e}")));
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = &self.dump_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A port that was free a moment ago (never 6379, the machine's own Redis).
pub fn free_port() -> u16 {
    let port = || TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::iter::repeat_with(port).take(3).find(|&p| p != 6379).expect("a free port other than 6379")
}

/// How many ports [`on_a_free_port`] tries before it gives up.
const PORT_TRIES: usize = 5;

/// `start(port)` on a port that was free a moment ago. Another test may take that port between
/// the pick and the start (and its server would then answer there), so `start` must check that
/// its own server answers; a port lost that way is given up for another, a few times.
pub fn on_a_free_port<T>(mut start: impl FnMut(u16) -> Result<T, String>) -> Result<T, String> {
    let mut why = String::from("no port tried");
    for _ in 0..PORT_TRIES {
        match start(free_port()) {
            Ok(started) => return Ok(started),
            Err(e) => why = e,
        }
    }
    Err(why)
}

/// A `redis-server` with the arguments `args` makes for a port, on a free port (see
/// [`on_a_free_port`]); the server there must report this process's id.
pub fn spawn_redis(mut args: impl FnMut(u16) -> Vec<String>) -> Result<(u16, Child), String> {
    on_a_free_port(|port| spawn_redis_on(port, &args(port)).map(|child| (port, child)))
}

/// Starts `redis-server args` (which name `port`) and waits until it answers on `port` as
/// itself; an error when it exits first (the port is taken) or does not answer in time.
pub fn spawn_redis_on(port: u16, args: &[String]) -> Result<Child, String> {
    let mut child = Command::new("redis-server")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start redis-server: {e}"))?;
    let deadline = Instant::now() + START;
    while redis_process_id(port) != Some(child.id()) {
        let exited = child.try_wait().ok().flatten().is_some();
        if exited || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("redis-server did not start on port {port} (taken, or too slow)"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(child)
}

/// The process id that the Redis server on `port` reports (`INFO server`), if one answers there.
fn redis_process_id(port: u16) -> Option<u32> {
    const MAX_ANSWER: usize = 64 * 1024;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream.write_all(b"INFO server\r\n").ok()?;
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    while answer.len() < MAX_ANSWER {
        let text = String::from_utf8_lossy(&answer);
        let pid = text.split_once("process_id:").and_then(|(_, rest)| rest.split_once("\r\n"));
        if let Some((pid, _)) = pid {
            return pid.trim().parse().ok();
        }
        let read = stream.read(&mut chunk).ok().filter(|&n| n > 0)?;
        answer.extend_from_slice(&chunk[..read]);
    }
    None
}

fn redis_args(port: u16, dump_dir: Option<&Path>) -> Vec<String> {
    let mut args: Vec<String> =
        ["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            .map(String::from)
            .into();
    if let Some(dir) = dump_dir {
        args.extend(["--dir".into(), dir.to_string_lossy().into_owned(), "--dbfilename".into(), "dump.rdb".into()]);
    }
    args
}

/// Polls every 10 ms until something listens on `port`; false after `within`, or as soon as
/// `still_starting` says the process gave up.
pub fn wait_for_port(port: u16, within: Duration, mut still_starting: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline || !still_starting() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Stops a server a test started and waits for its thread. Not graceful: a graceful stop would
/// wait for every kept-alive client connection. The stop runs on a thread of its own, because a
/// drop inside a tokio test cannot start another runtime.
pub fn stop_server(handle: &actix_web::dev::ServerHandle, thread: Option<std::thread::JoinHandle<()>>) {
    let stop = handle.stop(false);
    std::thread::spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
            runtime.block_on(stop);
        }
    });
    if let Some(thread) = thread {
        let _ = thread.join();
    }
}
