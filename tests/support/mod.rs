//! Helpers shared by the three test binaries (api, rerun, browser) and the benchmarks: a real
//! host on port 0 and a private `redis-server` (`server`), headless Chromium (`chromium`),
//! private scripts folders and credentials files, and settings for either store.

#![allow(dead_code)]

pub mod chromium;
pub mod databases;
pub mod http_service;
pub mod nginx;
pub mod redis_deployments;
pub mod server;

use std::path::PathBuf;
use std::time::Duration;

use runnel::config::{Settings, StoreSettings};

pub use server::{RedisServer, TestApp};

/// Which store a test app uses; the same suite runs on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Memory,
    Redis,
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

/// The CSRF token a page carries in its forms.
pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_owned())
}

/// `<frame>;<id>:<hash>,…` collected from HTML in document order, as the page's script sends it
/// in `X-Runnel-Have`.
pub fn have_in(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let frame = scraper::Selector::parse("[data-rn-frame]").unwrap();
    let elements = scraper::Selector::parse("[data-rn-id]").unwrap();
    let frame = doc.select(&frame).next().and_then(|e| e.attr("data-rn-frame")).expect("a frame hash");
    let list: Vec<String> = doc
        .select(&elements)
        .map(|e| format!("{}:{}", e.attr("data-rn-id").unwrap(), e.attr("data-rn-h").unwrap()))
        .collect();
    format!("{frame};{}", list.join(","))
}

/// FNV-1a over a Have list, 32 bits as hex: the digest `static/runnel.js` compares with.
pub fn digest(have: &str) -> String {
    let hash = have.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    format!("{hash:08x}")
}
