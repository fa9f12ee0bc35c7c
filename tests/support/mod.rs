//! Test helpers: a real server on port 0 (in-memory store or a private Redis), a cookie-keeping
//! client with intent-named methods, and a private `redis-server` that tests can stop and start.

#![allow(dead_code)]

pub mod chromium;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use runnel::auth::Credentials;
use runnel::config::{Settings, StoreSettings};
use runnel::session_store::Store;
use runnel::startup::Application;

/// Which store a test app uses; the same suite runs on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Memory,
    Redis,
}

/// A private `redis-server` on a free port, never the machine's own.
pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
}

impl RedisServer {
    pub fn start() -> Self {
        let port = free_port();
        let mut server = Self { port, child: None };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts it again on the same port (after `stop`).
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        self.child = Some(child);
        wait_for_port(self.port);
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
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start on port {port}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A fresh scripts folder of its own, removed on drop.
pub struct ScriptDir {
    pub path: PathBuf,
}

impl ScriptDir {
    pub fn with(files: &[(&str, &str)]) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("runnel-scripts-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        for (name, source) in files {
            std::fs::write(path.join(name), source).unwrap();
        }
        Self { path }
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// An in-place save (truncate and write), like most editors' default.
    pub fn save(&self, name: &str, source: &str) {
        std::fs::write(self.file(name), source).unwrap();
    }

    /// An atomic save: a hidden temp file renamed over the script.
    pub fn save_atomically(&self, name: &str, source: &str) {
        let tmp = self.file(&format!(".{name}.tmp"));
        std::fs::write(&tmp, source).unwrap();
        std::fs::rename(&tmp, self.file(name)).unwrap();
    }

    /// Test settings serving this folder, watching it or not.
    pub fn settings(&self, watch: bool) -> Settings {
        let mut settings = Settings::for_tests(&self.path);
        settings.watch = watch;
        settings
    }

    /// A test app serving this folder with the watcher on.
    pub fn spawn_watched(&self) -> TestApp {
        TestApp::spawn(self.settings(true))
    }
}

impl Drop for ScriptDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A running host on its own thread and actix system.
pub struct TestApp {
    pub address: String,
    pub store: Store,
    /// The app's credentials file, when the authenticator is on (tests await its reloads).
    pub credentials: Option<std::sync::Arc<Credentials>>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    /// Serves `scripts/` with the given settings tweak.
    pub fn spawn(settings: Settings) -> Self {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(settings).expect("the app builds");
                tx.send((app.port(), app.handle(), app.store(), app.credentials())).unwrap();
                app.run_until_stopped().await.unwrap();
            });
        });
        let (port, handle, store, credentials) = rx.recv_timeout(Duration::from_secs(20)).expect("the app starts");
        Self { address: format!("http://127.0.0.1:{port}"), store, credentials, handle, thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || futures_executor(handle.stop(false)));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn futures_executor(fut: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(fut);
}

/// Settings for a test app on port 0 serving `dir`, with the given store.
pub fn settings(dir: &str, store: StoreKind, redis: Option<&RedisServer>) -> Settings {
    let mut settings = Settings::for_tests(repo_path(dir));
    if store == StoreKind::Redis {
        let redis = redis.expect("a Redis test needs a RedisServer");
        settings.store = StoreSettings::Redis { url: redis.url(), timeout: Duration::from_millis(500) };
    }
    settings
}

/// The demo users of the sample credentials file (`credentials.yaml`).
pub const ADMIN: (&str, &str) = ("jsmith", "runnel-demo-1");
pub const VIEWER: (&str, &str) = ("rbriggs", "runnel-demo-2");

/// A private copy of the sample credentials file in a folder of its own (tests write to it).
pub struct CredentialsFile {
    pub path: PathBuf,
}

impl CredentialsFile {
    pub fn sample() -> Self {
        Self::from_text(&std::fs::read_to_string(repo_path("credentials.yaml")).unwrap())
    }

    pub fn from_text(text: &str) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("runnel-credentials-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials.yaml");
        std::fs::write(&path, text).unwrap();
        Self { path }
    }

    /// The sample with another `cookie.expiry_days`.
    pub fn with_expiry_days(days: u32) -> Self {
        let text = std::fs::read_to_string(repo_path("credentials.yaml")).unwrap();
        Self::from_text(&text.replace("expiry_days: 30", &format!("expiry_days: {days}")))
    }

    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.path).unwrap()
    }

    pub fn write(&self, text: &str) {
        std::fs::write(&self.path, text).unwrap();
    }
}

impl Drop for CredentialsFile {
    fn drop(&mut self) {
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Settings for a test app serving `scripts` with the authenticator on.
pub fn auth_settings(
    scripts: &std::path::Path,
    credentials: &CredentialsFile,
    kind: StoreKind,
    redis: Option<&RedisServer>,
) -> Settings {
    let mut settings = Settings::for_tests(scripts);
    settings.credentials = Some(credentials.path.clone());
    if kind == StoreKind::Redis {
        let redis = redis.expect("a Redis test needs a RedisServer");
        settings.store = StoreSettings::Redis { url: redis.url(), timeout: Duration::from_millis(500) };
    }
    settings
}
