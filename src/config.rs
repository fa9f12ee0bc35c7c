//! Settings: command-line flags, `RUNNEL_*` environment variables and an optional `runnel.toml`.
//! This is the only module that reads them; everything else receives a [`Settings`].
//!
//! Precedence, highest first: flag, environment variable, file, built-in default.

pub mod http;
pub mod redis_url;
pub mod theme;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine as _;
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

use crate::base_path::BasePath;
use crate::clock::Clock;
use crate::failure::{Failure, redacted_url};
pub use http::{AllowedHost, HttpSettings};

/// Runnel: Rhai dashboards, rerun on every interaction and rendered on the server.
#[derive(Debug, Parser)]
#[command(name = "runnel", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboards in a folder (or a single script) over HTTP.
    Run(Box<RunArgs>),
    /// Compile every script and print each error as `file:line:col: message`.
    Check {
        /// A folder of `.rhai` scripts or a single script.
        #[arg(default_value = "scripts")]
        path: PathBuf,
    },
    /// Read a password from standard input and print its argon2id hash for the credentials file.
    HashPassword,
    /// Manage the sessions of a running deployment.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Write Rhai definition files for the script API, for the Rhai language server.
    Definitions {
        /// Where to write the `*.d.rhai` files.
        #[arg(default_value = "scripts/.definitions")]
        dir: PathBuf,
        /// The scripts folder whose `lib/` modules are described too.
        #[arg(long, default_value = "scripts")]
        scripts: PathBuf,
    },
    /// Write the sales explorer's large example dataset: the same rows every time.
    SampleData {
        /// How many orders (rows) to write.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// The CSV file to write.
        #[arg(default_value = "data/sales_1m.csv")]
        out: PathBuf,
    },
}

/// `runnel sessions …`.
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// End every session and remember-me token of a user, on every instance: recorded in the
    /// revocation file (running servers read it within moments) and, with `--redis-url`, in Redis.
    End(EndSessionsArgs),
}

/// Flags of `runnel sessions end`: the same files and store as the deployment's `runnel run`.
#[derive(Debug, Args)]
pub struct EndSessionsArgs {
    /// The user whose sessions end.
    pub username: String,
    /// The deployment's credentials file. [default: credentials.yaml, when it exists]
    #[arg(long, env = "RUNNEL_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// The deployment's revocation record. [default: beside the credentials file]
    #[arg(long, env = "RUNNEL_REVOCATIONS")]
    pub revocations: Option<PathBuf>,
    /// The deployment's Redis: the user's logins end there at once too.
    #[arg(long, env = "RUNNEL_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Redis connection timeout, in milliseconds. [default: 1000]
    #[arg(long, env = "RUNNEL_REDIS_TIMEOUT_MS", default_value_t = 1000)]
    pub redis_timeout_ms: u64,
}

impl EndSessionsArgs {
    /// The credentials file, as `runnel run` finds it.
    pub fn credentials_file(&self) -> Option<PathBuf> {
        credentials_path(self.credentials.clone())
    }

    /// The Redis store, when a URL is given.
    pub fn store(&self) -> Option<StoreSettings> {
        let url = self.redis_url.clone().filter(|url| !url.is_empty())?;
        Some(StoreSettings::Redis { url, timeout: Duration::from_millis(self.redis_timeout_ms) })
    }
}

/// Flags of `runnel run`. Every one can also come from a `RUNNEL_*` variable or `runnel.toml`.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// A folder of `.rhai` scripts, or a single script. [default: scripts]
    pub path: Option<PathBuf>,
    /// Settings file (TOML) with the same names as the flags, in snake_case, and the SQL
    /// connections (`[connections.NAME]` tables) and HTTP calls (`[http]`), both set only there.
    /// A file named here must exist.
    /// [default: runnel.toml, when it exists]
    #[arg(long, env = "RUNNEL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on. [default: 127.0.0.1]
    #[arg(long, env = "RUNNEL_BIND")]
    pub bind: Option<IpAddr>,
    /// Port to listen on (0 picks a free one). [default: 8501]
    #[arg(long, env = "RUNNEL_PORT")]
    pub port: Option<u16>,
    /// Redis URL: redis://host:port/db, a cluster redis+cluster://host:port,host:port,… or a
    /// Sentinel-managed primary redis+sentinel://host:port,host:port/primary-name. Without it,
    /// sessions live in this process's memory.
    #[arg(long, env = "RUNNEL_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Key that signs session cookies: at least 64 bytes, base64-encoded. Share it between
    /// instances. Without it a random key is made at start (sessions end on restart).
    #[arg(long, env = "RUNNEL_SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,
    /// Idle lifetime of a session, in seconds. [default: 86400]
    #[arg(long, env = "RUNNEL_SESSION_TTL_SECS")]
    pub session_ttl_secs: Option<u64>,
    /// Mark the session cookie `Secure` (serve over HTTPS). [default: false]
    #[arg(long, env = "RUNNEL_SECURE_COOKIE")]
    pub secure_cookie: Option<bool>,
    /// Most Rhai operations one script run may take. [default: 5000000]
    #[arg(long, env = "RUNNEL_MAX_OPERATIONS")]
    pub max_operations: Option<u64>,
    /// Wall-clock limit of one script run, in milliseconds. [default: 3000]
    #[arg(long, env = "RUNNEL_MAX_RUN_MS")]
    pub max_run_ms: Option<u64>,
    /// Wall-clock limit of one `cache` loader filling a missing entry, in milliseconds; not
    /// counted against the run's limit. [default: 60000]
    #[arg(long, env = "RUNNEL_MAX_LOAD_MS")]
    pub max_load_ms: Option<u64>,
    /// Most rows one data frame may hold. [default: 10000000]
    #[arg(long, env = "RUNNEL_MAX_FRAME_ROWS")]
    pub max_frame_rows: Option<usize>,
    /// Most bytes one data frame may take. [default: 1073741824]
    #[arg(long, env = "RUNNEL_MAX_FRAME_BYTES")]
    pub max_frame_bytes: Option<usize>,
    /// Most bytes the shared data cache keeps. [default: 2147483648]
    #[arg(long, env = "RUNNEL_MAX_CACHE_BYTES")]
    pub max_cache_bytes: Option<usize>,
    /// Largest accepted request body, in bytes. [default: 65536]
    #[arg(long, env = "RUNNEL_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest uploaded file, in bytes. [default: 10485760]
    #[arg(long, env = "RUNNEL_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<usize>,
    /// Most bytes of uploaded files one session keeps, in all. [default: 20971520]
    #[arg(long, env = "RUNNEL_MAX_SESSION_UPLOAD_BYTES")]
    pub max_session_upload_bytes: Option<usize>,
    /// Redis connection and pool wait timeout, in milliseconds. [default: 1000]
    #[arg(long, env = "RUNNEL_REDIS_TIMEOUT_MS")]
    pub redis_timeout_ms: Option<u64>,
    /// HTTP worker threads. [default: number of cores]
    #[arg(long, env = "RUNNEL_WORKERS")]
    pub workers: Option<usize>,
    /// Read-only folder that `read_csv`/`read_json` read from. [default: `data` next to the scripts]
    #[arg(long, env = "RUNNEL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The secrets file scripts read as `secrets` (TOML; never served). [default: secrets.toml
    /// in the scripts folder]
    #[arg(long, env = "RUNNEL_SECRETS")]
    pub secrets: Option<PathBuf>,
    /// Do not watch the scripts for changes (production).
    #[arg(long, env = "RUNNEL_NO_WATCH")]
    pub no_watch: bool,
    /// Credentials file (Streamlit-Authenticator's config.yaml layout) for `authenticator()`.
    /// [default: credentials.yaml, when it exists]
    #[arg(long, env = "RUNNEL_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// The durable record of revocations (logouts that must survive a store restore); its
    /// folder must be writable and shared by all instances. [default: beside the credentials
    /// file, `<credentials>.revocations.json`]
    #[arg(long, env = "RUNNEL_REVOCATIONS")]
    pub revocations: Option<PathBuf>,
    /// Failed logins of one account from one client before that client is slowed down by an
    /// exponential back-off (1 s, 2 s, 4 s, …); a client across all accounts gets four times
    /// as many. [default: 5]
    #[arg(long, env = "RUNNEL_MAX_LOGIN_ATTEMPTS")]
    pub max_login_attempts: Option<u32>,
    /// The longest back-off after failed logins, in seconds. [default: 900]
    #[arg(long, env = "RUNNEL_LOCKOUT_SECS")]
    pub lockout_secs: Option<u64>,
    /// How long a password reset code from `forgot_password` stays valid, in seconds. [default: 900]
    #[arg(long, env = "RUNNEL_RESET_CODE_SECS")]
    pub reset_code_secs: Option<u64>,
    /// Registration says that a username or email is taken (by default a taken and a free
    /// username get the same answer, so that registration cannot list accounts).
    #[arg(long, env = "RUNNEL_REVEAL_TAKEN_USERNAMES")]
    pub reveal_taken_usernames: bool,
    /// A login ends after this many seconds without a request. [default: 86400]
    #[arg(long, env = "RUNNEL_LOGIN_IDLE_SECS")]
    pub login_idle_secs: Option<u64>,
    /// A login ends this many seconds after it began. [default: cookie.expiry_days, or 1 day]
    #[arg(long, env = "RUNNEL_LOGIN_MAX_AGE_SECS")]
    pub login_max_age_secs: Option<u64>,
    /// The longest a remember-me token lives, in days, whatever `cookie.expiry_days` asks. [default: 30]
    #[arg(long, env = "RUNNEL_REMEMBER_MAX_DAYS")]
    pub remember_max_days: Option<f64>,
    /// Auth form posts (login, registration, recovery) per client address and minute. [default: 30]
    #[arg(long, env = "RUNNEL_AUTH_ATTEMPTS_PER_MINUTE")]
    pub auth_attempts_per_minute: Option<u32>,
    /// Origins allowed to embed the pages in a frame, comma-separated (`https://intranet.example`,
    /// `'self'`). [default: none, no page can be framed]
    #[arg(long, env = "RUNNEL_FRAME_ANCESTORS", value_delimiter = ',')]
    pub frame_ancestors: Option<Vec<String>>,
    /// Reverse proxies whose `X-Forwarded-For`/`-Proto` are believed, comma-separated IPs or CIDRs
    /// (`127.0.0.1,10.0.0.0/8`). [default: none, forwarded headers are ignored]
    #[arg(long, env = "RUNNEL_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<String>>,
    /// Serve everything under this path prefix (`/apps/sales`), as a reverse proxy forwards it:
    /// pages, static files, `/_live`, `/healthz`, `/readyz`, `/metrics`; cookies are scoped to
    /// it. Starts with `/`, no trailing `/`. [default: none, served at the root]
    #[arg(long, env = "RUNNEL_BASE_PATH")]
    pub base_path: Option<String>,
    /// Sessions one client address may start per minute (a visitor who only looks starts none).
    /// [default: 60]
    #[arg(long, env = "RUNNEL_NEW_SESSIONS_PER_MINUTE")]
    pub new_sessions_per_minute: Option<u32>,
    /// The role whose holders may end every session of another user from a script
    /// (`auth.end_sessions(username)`). [default: admin]
    #[arg(long, env = "RUNNEL_ADMIN_ROLE")]
    pub admin_role: Option<String>,
    /// The longest a request waits for the session store, its session's lock included, before
    /// it answers 503 with Retry-After (nothing applied). Script run time does not count.
    /// [default: 3000]
    #[arg(long, env = "RUNNEL_MAX_WAIT_MS")]
    pub max_wait_ms: Option<u64>,
    /// Turns on `GET /metrics` (Prometheus text format) for scrapers that send
    /// `Authorization: Bearer <token>`; at least 16 characters. [default: none, /metrics is off]
    #[arg(long, env = "RUNNEL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// At SIGTERM or Ctrl-C: how long in-flight requests may take to finish before the process
    /// exits anyway, in seconds. [default: 10]
    #[arg(long, env = "RUNNEL_SHUTDOWN_TIMEOUT_SECS")]
    pub shutdown_timeout_secs: Option<u64>,
    /// At SIGTERM, how long to go on answering (every answer closing its connection, `/readyz`
    /// saying 503) before new connections are refused, in milliseconds: the time a load
    /// balancer needs to stop sending here. [default: 1000]
    #[arg(long, env = "RUNNEL_SHUTDOWN_DRAIN_MS")]
    pub shutdown_drain_ms: Option<u64>,
    /// Log format: `json` (one object per line, for log collectors) or `pretty` (for people;
    /// coloured only on a terminal). [default: pretty on a terminal, json otherwise]
    #[arg(long, env = "RUNNEL_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The values read from `runnel.toml`; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    path: Option<PathBuf>,
    bind: Option<IpAddr>,
    port: Option<u16>,
    redis_url: Option<String>,
    session_key: Option<String>,
    session_ttl_secs: Option<u64>,
    secure_cookie: Option<bool>,
    max_operations: Option<u64>,
    max_run_ms: Option<u64>,
    max_load_ms: Option<u64>,
    max_frame_rows: Option<usize>,
    max_frame_bytes: Option<usize>,
    max_cache_bytes: Option<usize>,
    max_body_bytes: Option<usize>,
    max_upload_bytes: Option<usize>,
    max_session_upload_bytes: Option<usize>,
    redis_timeout_ms: Option<u64>,
    workers: Option<usize>,
    no_watch: Option<bool>,
    credentials: Option<PathBuf>,
    revocations: Option<PathBuf>,
    max_login_attempts: Option<u32>,
    lockout_secs: Option<u64>,
    reset_code_secs: Option<u64>,
    reveal_taken_usernames: Option<bool>,
    login_idle_secs: Option<u64>,
    login_max_age_secs: Option<u64>,
    remember_max_days: Option<f64>,
    auth_attempts_per_minute: Option<u32>,
    data_dir: Option<PathBuf>,
    secrets: Option<PathBuf>,
    frame_ancestors: Option<Vec<String>>,
    trusted_proxies: Option<Vec<String>>,
    base_path: Option<String>,
    new_sessions_per_minute: Option<u32>,
    admin_role: Option<String>,
    log_format: Option<LogFormat>,
    max_wait_ms: Option<u64>,
    metrics_token: Option<String>,
    shutdown_timeout_secs: Option<u64>,
    shutdown_drain_ms: Option<u64>,
    /// `[connections.NAME]` tables: the databases scripts open with `connection("NAME")`.
    #[serde(default)]
    connections: BTreeMap<String, ConnectionFile>,
    /// The `[http]` table: the hosts scripts may call and the bounds of each call.
    #[serde(default)]
    http: http::HttpFile,
    /// The `[media]` table: caps of images, audio and video, image hosts, the map tile server.
    #[serde(default)]
    media: MediaFile,
    /// `[theme]`: colours and font, as Streamlit's `config.toml` has them.
    theme: Option<theme::ThemeFile>,
}

/// The `[media]` table of `runnel.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaFile {
    max_inline_bytes: Option<usize>,
    max_file_bytes: Option<u64>,
    image_hosts: Option<Vec<String>>,
    tile_url: Option<String>,
}

/// Caps and sources of images, audio, video and maps (`[media]` in `runnel.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSettings {
    /// Largest image sent inside the page as a `data:` URL: script pixels, and data-folder
    /// images up to this size (larger ones get a per-session URL).
    pub max_inline_bytes: usize,
    /// Largest data-folder file served as an image, audio or video.
    pub max_file_bytes: u64,
    /// Hosts whose `https://` images `image(url)` may show; none by default.
    pub image_hosts: Vec<String>,
    /// A tile server URL with `{z}`, `{x}` and `{y}` drawn under map points; `None` draws the
    /// country shapes that ship with Runnel (works offline).
    pub tile_url: Option<String>,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self { max_inline_bytes: 512 * 1024, max_file_bytes: 64 << 20, image_hosts: Vec::new(), tile_url: None }
    }
}

/// The `[media]` table, checked: positive caps, bare host names, an https tile URL template.
fn media_settings(file: MediaFile) -> anyhow::Result<MediaSettings> {
    let defaults = MediaSettings::default();
    let max_inline_bytes = file.max_inline_bytes.unwrap_or(defaults.max_inline_bytes);
    let max_file_bytes = file.max_file_bytes.unwrap_or(defaults.max_file_bytes);
    if max_inline_bytes == 0 || max_file_bytes == 0 {
        anyhow::bail!("[media] max_inline_bytes and max_file_bytes must be positive");
    }
    let image_hosts = file.image_hosts.unwrap_or_default();
    for host in &image_hosts {
        let bare = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !bare {
            anyhow::bail!("[media] image_hosts takes host names like images.example.com, not {host:?}");
        }
    }
    if let Some(url) = &file.tile_url {
        let template = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
        if !url.starts_with("https://") || !template || url.contains(['"', '<', '>', ' ']) {
            anyhow::bail!("[media] tile_url must be an https:// URL with {{z}}, {{x}} and {{y}}, not {url:?}");
        }
    }
    Ok(MediaSettings {
        max_inline_bytes,
        max_file_bytes,
        image_hosts: image_hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect(),
        tile_url: file.tile_url,
    })
}

/// One `[connections.NAME]` table of `runnel.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectionFile {
    url: Option<SecretUrl>,
    url_env: Option<String>,
    writable: Option<bool>,
    timeout_ms: Option<u64>,
    pool_size: Option<u32>,
}

/// A database URL: it may hold a password, so it is never printed (`Debug` shows it redacted).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL itself, for the database driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redacted_url(&self.0))
    }
}

/// A database that scripts query with `connection(name).query(...)`.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    pub name: String,
    /// `sqlite:FILE` (a file in the data folder) or `postgres://…`.
    pub url: SecretUrl,
    /// Writes are refused unless this is set.
    pub writable: bool,
    /// The longest one statement may run (and the longest a query waits for a connection).
    pub timeout: Duration,
    /// Most open connections to this database, per host instance.
    pub pool_size: u32,
}

impl ConnectionSettings {
    /// Default statement timeout.
    pub const TIMEOUT: Duration = Duration::from_secs(5);
    /// Default pool size.
    pub const POOL_SIZE: u32 = 5;

    /// A read-only connection with the default timeout and pool size.
    pub fn new(name: &str, url: &str) -> Self {
        Self {
            name: name.to_owned(),
            url: SecretUrl::new(url),
            writable: false,
            timeout: Self::TIMEOUT,
            pool_size: Self::POOL_SIZE,
        }
    }
}

/// Limits that bound one script run (the sandbox).
#[derive(Debug, Clone)]
pub struct ScriptLimits {
    pub max_operations: u64,
    pub max_run_time: Duration,
    /// How long one `cache` loader may take to fill a missing entry (on top of the run's time).
    pub max_load_time: Duration,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// How many times `rerun()` may restart one interaction.
    pub max_reruns: usize,
    /// Most rows one data frame may hold (frames live outside the array and map limits).
    pub max_frame_rows: usize,
    /// Most bytes one data frame may take (estimated from its buffers).
    pub max_frame_bytes: usize,
    /// Most bytes the shared data cache keeps (frames by their estimate, other values by their JSON size).
    pub max_cache_bytes: usize,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        Self {
            max_operations: 5_000_000,
            max_run_time: Duration::from_millis(3000),
            max_load_time: Duration::from_secs(60),
            max_call_levels: 64,
            max_expr_depth: 64,
            max_string_size: 1 << 20,
            max_array_size: 100_000,
            max_map_size: 10_000,
            max_reruns: 8,
            max_frame_rows: 10_000_000,
            max_frame_bytes: 1 << 30,
            max_cache_bytes: 2 << 30,
        }
    }
}

/// How the authenticator behaves.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Failed logins of one account from one client before that client backs off (1 s, then
    /// doubling); one client across all accounts gets four times as many.
    pub max_login_attempts: u32,
    /// The longest back-off.
    pub lockout: Duration,
    /// How long a password reset code stays valid.
    pub reset_code_lifetime: Duration,
    /// Registration tells a taken username (or email) apart from a free one.
    pub reveal_taken_usernames: bool,
    /// A login ends after this long without a request.
    pub idle_timeout: Duration,
    /// A login ends this long after it began, however active (`None`: from the file's
    /// `cookie.expiry_days`, or one day when that is 0).
    pub absolute_timeout: Option<Duration>,
    /// The longest a remember-me token lives, whatever the file's `cookie.expiry_days` asks.
    pub remember_cap: Duration,
    /// Auth form posts per client address and minute.
    pub attempts_per_minute: u32,
    /// Password hashes computed at once (each takes ~19 MiB).
    pub hash_concurrency: usize,
    /// The clock login deadlines are read from (tests move a manual one).
    pub clock: Clock,
    /// The revocation record (`None`: beside the credentials file).
    pub revocations: Option<PathBuf>,
    /// The role whose holders may end every session of another user (`auth.end_sessions`).
    pub admin_role: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            max_login_attempts: 5,
            lockout: Duration::from_secs(900),
            reset_code_lifetime: Duration::from_secs(900),
            reveal_taken_usernames: false,
            idle_timeout: Duration::from_secs(86_400),
            absolute_timeout: None,
            remember_cap: Duration::from_secs(30 * 86_400),
            attempts_per_minute: 30,
            hash_concurrency: 2,
            clock: Clock::System,
            revocations: None,
            admin_role: "admin".to_owned(),
        }
    }
}

/// The longest a request waits for the store (its session's lock included) by default.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3);

/// Timing of the per-session lock, the same for both stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockTiming {
    /// How long an event waits for the events before it in the same session.
    pub wait: Duration,
    /// How long a Redis lock outlives a holder that stopped renewing it (a crashed instance).
    /// A live holder renews it every `lease / 4`, however long its run takes.
    pub lease: Duration,
}

impl Default for LockTiming {
    fn default() -> Self {
        Self { wait: DEFAULT_MAX_WAIT, lease: Duration::from_secs(2) }
    }
}

impl LockTiming {
    /// How often a live holder renews its lease.
    pub fn heartbeat(&self) -> Duration {
        (self.lease / 4).max(Duration::from_millis(10))
    }
}

/// Where sessions are kept.
#[derive(Debug, Clone)]
pub enum StoreSettings {
    Memory,
    Redis { url: String, timeout: Duration },
}

/// Everything the host needs to start, resolved and validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub scripts: PathBuf,
    /// The read-only data folder of `read_csv` and `read_json`.
    pub data_dir: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    pub store: StoreSettings,
    /// Cookie-signing key; `None` means "make one at start and warn".
    pub session_key: Option<Vec<u8>>,
    pub session_ttl: Duration,
    /// How long an event waits for its session's lock, and the lease of a Redis lock.
    pub session_lock: LockTiming,
    /// The longest one request waits for the store in all (lock and commands).
    pub max_wait: Duration,
    pub secure_cookie: bool,
    pub limits: ScriptLimits,
    pub max_body_bytes: usize,
    /// Largest uploaded file, and most upload bytes one session keeps.
    pub uploads: UploadLimits,
    pub workers: Option<usize>,
    /// Watch the scripts and push changes to open browsers.
    pub watch: bool,
    /// The credentials file; `None` turns the authenticator off.
    pub credentials: Option<PathBuf>,
    pub auth: AuthSettings,
    /// Who may frame the pages and whose forwarded headers are believed.
    pub web: WebSettings,
    /// `None`: pretty on a terminal, JSON otherwise.
    pub log_format: Option<LogFormat>,
    /// The bearer token of `/metrics`; `None` turns it off.
    pub metrics_token: Option<String>,
    /// How long a graceful shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
    /// How long a shutdown goes on answering before it refuses new connections.
    pub shutdown_drain: Duration,
    /// The databases scripts may query (`[connections.NAME]` in `runnel.toml`).
    pub connections: Vec<ConnectionSettings>,
    /// The hosts scripts may call over HTTP, and the bounds of each call (`[http]`).
    pub http: HttpSettings,
    /// The secrets file scripts read as `secrets` (it need not exist).
    pub secrets: PathBuf,
    /// Caps of images, audio and video; image hosts; the map tile server.
    pub media: MediaSettings,
    /// Colours and font over the built-in themes (`[theme]` in `runnel.toml`).
    pub theme: theme::Theme,
}

/// The settings of the HTTP edge: embedding and reverse proxies.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// CSP `frame-ancestors` sources; empty means `'none'`.
    pub frame_ancestors: Vec<String>,
    /// Peers whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Sessions one client address may start per minute.
    pub new_sessions_per_minute: u32,
    /// The path prefix every route and URL carries (the root by default).
    pub base_path: BasePath,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            frame_ancestors: Vec::new(),
            trusted_proxies: Vec::new(),
            new_sessions_per_minute: 60,
            base_path: BasePath::root(),
        }
    }
}

impl Settings {
    /// Settings for tests and benchmarks: port 0, in-memory store, the given scripts.
    pub fn for_tests(scripts: impl Into<PathBuf>) -> Self {
        let scripts = scripts.into();
        Self {
            data_dir: default_data_dir(&scripts),
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            store: StoreSettings::Memory,
            session_key: Some(vec![7; 64]),
            session_ttl: Duration::from_secs(3600),
            session_lock: LockTiming::default(),
            max_wait: DEFAULT_MAX_WAIT,
            secure_cookie: false,
            limits: ScriptLimits::default(),
            max_body_bytes: 64 * 1024,
            uploads: UploadLimits::default(),
            workers: Some(2),
            watch: false,
            credentials: None,
            auth: AuthSettings::default(),
            web: WebSettings::default(),
            log_format: None,
            metrics_token: None,
            shutdown_timeout: Duration::from_secs(10),
            shutdown_drain: Duration::from_millis(1000),
            connections: Vec::new(),
            http: HttpSettings::default(),
            secrets: default_secrets(&scripts),
            scripts,
            media: MediaSettings::default(),
            theme: theme::Theme::default(),
        }
    }

    /// Merges flags and environment (already in `args`) over the file over the defaults.
    pub fn from_run_args(args: RunArgs) -> anyhow::Result<Self> {
        let file = read_file_settings(args.config.as_deref())?;
        let defaults = ScriptLimits::default();
        let redis_timeout = args.redis_timeout_ms.or(file.redis_timeout_ms).unwrap_or(1000);
        let store = match args.redis_url.or(file.redis_url) {
            Some(url) if !url.is_empty() => {
                StoreSettings::Redis { url: checked_redis_url(url)?, timeout: Duration::from_millis(redis_timeout) }
            }
            _ => StoreSettings::Memory,
        };
        let session_key = match args.session_key.or(file.session_key) {
            Some(text) => Some(decode_session_key(&text)?),
            None => None,
        };
        let max_run_ms = args.max_run_ms.or(file.max_run_ms);
        let max_wait = max_wait(args.max_wait_ms.or(file.max_wait_ms))?;
        let auth = AuthSettings::default();
        let scripts = args.path.or(file.path).unwrap_or_else(|| "scripts".into());
        let web = WebSettings {
            frame_ancestors: frame_ancestors(args.frame_ancestors.or(file.frame_ancestors).unwrap_or_default())?,
            trusted_proxies: trusted_proxies(args.trusted_proxies.or(file.trusted_proxies).unwrap_or_default())?,
            new_sessions_per_minute: positive(
                "new_sessions_per_minute",
                args.new_sessions_per_minute.or(file.new_sessions_per_minute).unwrap_or(60),
            )?,
            base_path: base_path(args.base_path.or(file.base_path))?,
        };
        Ok(Self {
            data_dir: args.data_dir.or(file.data_dir).unwrap_or_else(|| default_data_dir(&scripts)),
            secrets: args.secrets.or(file.secrets).unwrap_or_else(|| default_secrets(&scripts)),
            scripts,
            bind: args.bind.or(file.bind).unwrap_or(IpAddr::from([127, 0, 0, 1])),
            port: args.port.or(file.port).unwrap_or(8501),
            store,
            session_key,
            session_ttl: Duration::from_secs(args.session_ttl_secs.or(file.session_ttl_secs).unwrap_or(86_400)),
            session_lock: LockTiming { wait: max_wait, ..LockTiming::default() },
            max_wait,
            secure_cookie: args.secure_cookie.or(file.secure_cookie).unwrap_or(false),
            limits: ScriptLimits {
                max_operations: args.max_operations.or(file.max_operations).unwrap_or(defaults.max_operations),
                max_run_time: max_run_ms.map_or(defaults.max_run_time, Duration::from_millis),
                max_load_time: args
                    .max_load_ms
                    .or(file.max_load_ms)
                    .map_or(defaults.max_load_time, Duration::from_millis),
                max_frame_rows: args.max_frame_rows.or(file.max_frame_rows).unwrap_or(defaults.max_frame_rows),
                max_frame_bytes: args.max_frame_bytes.or(file.max_frame_bytes).unwrap_or(defaults.max_frame_bytes),
                max_cache_bytes: args.max_cache_bytes.or(file.max_cache_bytes).unwrap_or(defaults.max_cache_bytes),
                ..defaults
            },
            max_body_bytes: args.max_body_bytes.or(file.max_body_bytes).unwrap_or(64 * 1024),
            uploads: UploadLimits {
                max_file_bytes: args
                    .max_upload_bytes
                    .or(file.max_upload_bytes)
                    .unwrap_or(UploadLimits::default().max_file_bytes),
                max_session_bytes: args
                    .max_session_upload_bytes
                    .or(file.max_session_upload_bytes)
                    .unwrap_or(UploadLimits::default().max_session_bytes),
            },
            workers: args.workers.or(file.workers),
            watch: !(args.no_watch || file.no_watch.unwrap_or(false)),
            credentials: credentials_path(args.credentials.or(file.credentials)),
            auth: AuthSettings {
                max_login_attempts: args
                    .max_login_attempts
                    .or(file.max_login_attempts)
                    .unwrap_or(auth.max_login_attempts),
                lockout: secs(args.lockout_secs.or(file.lockout_secs)).unwrap_or(auth.lockout),
                reset_code_lifetime: reset_code_lifetime(args.reset_code_secs.or(file.reset_code_secs))?
                    .unwrap_or(auth.reset_code_lifetime),
                reveal_taken_usernames: args.reveal_taken_usernames || file.reveal_taken_usernames.unwrap_or(false),
                idle_timeout: secs(args.login_idle_secs.or(file.login_idle_secs)).unwrap_or(auth.idle_timeout),
                absolute_timeout: secs(args.login_max_age_secs.or(file.login_max_age_secs)),
                remember_cap: days(args.remember_max_days.or(file.remember_max_days)).unwrap_or(auth.remember_cap),
                attempts_per_minute: args
                    .auth_attempts_per_minute
                    .or(file.auth_attempts_per_minute)
                    .unwrap_or(auth.attempts_per_minute),
                hash_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
                clock: Clock::System,
                revocations: args.revocations.or(file.revocations),
                admin_role: admin_role(args.admin_role.or(file.admin_role))?.unwrap_or(auth.admin_role),
            },
            web,
            log_format: args.log_format.or(file.log_format),
            metrics_token: metrics_token(args.metrics_token.or(file.metrics_token))?,
            shutdown_timeout: Duration::from_secs(
                args.shutdown_timeout_secs.or(file.shutdown_timeout_secs).unwrap_or(10),
            ),
            shutdown_drain: Duration::from_millis(args.shutdown_drain_ms.or(file.shutdown_drain_ms).unwrap_or(1000)),
            connections: connections(file.connections, &|var| std::env::var(var).ok())?,
            http: HttpSettings::from_file(file.http)?,
            media: media_settings(file.media)?,
            theme: theme::Theme::from_file(file.theme.unwrap_or_default())
                .map_err(|problem| Failure::new(problem, "fix the [theme] table in runnel.toml (README \"Theme\")"))?,
        })
    }
}

/// The `[connections.NAME]` tables, checked: a name scripts can write, one URL (from the file or
/// from the environment variable `url_env` names) of a supported kind, a timeout and a pool size
/// that can work. `env` reads a variable (the process environment, or a test's map).
fn connections(
    tables: BTreeMap<String, ConnectionFile>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<ConnectionSettings>> {
    tables.into_iter().map(|(name, table)| connection(name, table, env)).collect()
}

fn connection(
    name: String,
    table: ConnectionFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<ConnectionSettings> {
    const ADVICE: &str = "fix the [connections.NAME] table in runnel.toml (README \"SQL connections\")";
    let fail =
        |problem: String| -> anyhow::Error { Failure::new(format!("connection `{name}`: {problem}"), ADVICE).into() };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(fail("a connection name takes letters, digits, `_` and `-` only".into()));
    }
    let url = match (table.url, table.url_env) {
        (Some(url), None) => url,
        (None, Some(var)) => match env(&var).filter(|url| !url.trim().is_empty()) {
            Some(url) => SecretUrl::new(url.trim()),
            None => return Err(fail(format!("the environment variable {var} (url_env) is not set"))),
        },
        (Some(_), Some(_)) => return Err(fail("give either `url` or `url_env`, not both".into())),
        (None, None) => return Err(fail("it needs a `url` (or `url_env`, the variable that holds it)".into())),
    };
    let scheme = url.expose().split(':').next().unwrap_or_default().to_ascii_lowercase();
    if !matches!(scheme.as_str(), "sqlite" | "postgres" | "postgresql") {
        return Err(fail(format!("the URL's scheme {scheme:?} is not supported: use sqlite:FILE or postgres://…")));
    }
    let timeout = match table.timeout_ms {
        Some(0) => return Err(fail("timeout_ms must be at least 1".into())),
        other => other.map_or(ConnectionSettings::TIMEOUT, Duration::from_millis),
    };
    let pool_size = table.pool_size.unwrap_or(ConnectionSettings::POOL_SIZE);
    if !(1..=1000).contains(&pool_size) {
        return Err(fail(format!("pool_size must be between 1 and 1000, not {pool_size}")));
    }
    Ok(ConnectionSettings { name, url, writable: table.writable.unwrap_or(false), timeout, pool_size })
}

/// A count that must be at least one (zero would refuse everybody, which is never meant).
fn positive(name: &str, value: u32) -> anyhow::Result<u32> {
    if value == 0 {
        bail!("{name} must be at least 1");
    }
    Ok(value)
}

/// A configured admin role must name a role (an empty one would match nobody, silently).
fn admin_role(role: Option<String>) -> anyhow::Result<Option<String>> {
    match role.map(|r| r.trim().to_owned()) {
        Some(role) if role.is_empty() => bail!("admin_role must name a role, e.g. admin"),
        other => Ok(other),
    }
}

/// Checks each `frame-ancestors` source: `'self'`, a scheme (`https:`) or an origin
/// (`https://host[:port]`, the host may start with `*.`). Anything else could break out of the
/// policy (`;`, spaces, quotes) and is refused.
fn frame_ancestors(sources: Vec<String>) -> anyhow::Result<Vec<String>> {
    let sources: Vec<String> = sources.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    for source in &sources {
        if !is_frame_source(source) {
            bail!(
                "frame_ancestors: {source:?} is not 'self', a scheme like https: or an origin like https://host:port"
            );
        }
    }
    Ok(sources)
}

fn is_frame_source(source: &str) -> bool {
    if source == "'self'" {
        return true;
    }
    let host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    match source.split_once("://") {
        Some((scheme, host)) => {
            let host = host.strip_prefix("*.").unwrap_or(host);
            matches!(scheme, "http" | "https") && !host.is_empty() && host.chars().all(host_char)
        }
        None => matches!(source, "http:" | "https:"),
    }
}

/// Parses each trusted proxy as an IP address or a CIDR range.
fn trusted_proxies(entries: Vec<String>) -> anyhow::Result<Vec<ipnet::IpNet>> {
    entries
        .iter()
        .map(|entry| entry.trim())
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(ipnet::IpNet::from))
                .with_context(|| format!("trusted_proxies: {entry:?} is not an IP address or a CIDR range"))
        })
        .collect()
}

/// The base path, or what is wrong with it and how to write it.
fn base_path(text: Option<String>) -> anyhow::Result<BasePath> {
    let text = text.unwrap_or_default();
    BasePath::parse(&text).map_err(|problem| {
        Failure::new(problem, "write it like /apps/sales in --base-path, RUNNEL_BASE_PATH or base_path in runnel.toml")
            .into()
    })
}

/// A reset code's lifetime: a code that is void at once would make recovery impossible.
fn reset_code_lifetime(value: Option<u64>) -> anyhow::Result<Option<Duration>> {
    match value {
        Some(0) => bail!("reset_code_secs must be at least 1 (a reset code that expires at once cannot be used)"),
        other => Ok(secs(other)),
    }
}

/// A metrics token long enough not to be guessed; an empty one means none.
fn metrics_token(token: Option<String>) -> anyhow::Result<Option<String>> {
    match token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
        Some(token) if token.len() < 16 || !token.is_ascii() => {
            bail!("metrics_token must be at least 16 ASCII characters (e.g. `openssl rand -hex 24`)")
        }
        other => Ok(other),
    }
}

/// The bound on store waits: zero would refuse every request.
fn max_wait(value: Option<u64>) -> anyhow::Result<Duration> {
    match value {
        Some(0) => bail!("max_wait_ms must be at least 1 (with 0 every request would be refused)"),
        other => Ok(other.map_or(DEFAULT_MAX_WAIT, Duration::from_millis)),
    }
}

fn secs(value: Option<u64>) -> Option<Duration> {
    value.map(Duration::from_secs)
}

/// Days as a duration; a negative or absurd number of days is clamped (to none, or ~95 years).
fn days(value: Option<f64>) -> Option<Duration> {
    value.map(|d| Duration::from_secs_f64((d * 86_400.0).clamp(0.0, 3.0e9)))
}

/// The configured credentials file, else `credentials.yaml` when there is one.
fn credentials_path(configured: Option<PathBuf>) -> Option<PathBuf> {
    configured.or_else(|| Some(PathBuf::from("credentials.yaml")).filter(|p| p.is_file()))
}

/// `data/` next to the scripts folder (or next to the folder of a single script).
fn default_data_dir(scripts: &Path) -> PathBuf {
    let folder = if scripts.extension().is_some_and(|e| e == "rhai") { scripts.parent() } else { Some(scripts) };
    folder.and_then(Path::parent).unwrap_or(Path::new("")).join("data")
}

/// `secrets.toml` in the scripts folder (or in the folder of a single script).
fn default_secrets(scripts: &Path) -> PathBuf {
    let folder = if scripts.extension().is_some_and(|e| e == "rhai") { scripts.parent() } else { Some(scripts) };
    folder.unwrap_or(Path::new("")).join("secrets.toml")
}

/// The settings file: the one named (which must exist), else `runnel.toml` if there is one.
fn read_file_settings(named: Option<&Path>) -> anyhow::Result<FileSettings> {
    let path = named.unwrap_or(Path::new("runnel.toml"));
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && named.is_none() => return Ok(FileSettings::default()),
        Err(err) => {
            return Err(Failure::new(
                format!("cannot read the settings file {}: {err}", path.display()),
                "make it readable by the user runnel runs as, or name another file with --config (RUNNEL_CONFIG)",
            )
            .into());
        }
    };
    toml::from_str(&text).map_err(|err| settings_file_error(path, &text, &err).into())
}

fn settings_file_error(path: &Path, text: &str, err: &toml::de::Error) -> Failure {
    let line = err.span().map_or(1, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    Failure::new(
        format!("the settings file {} is not valid at line {line}: {}", path.display(), err.message()),
        "fix that line: the settings are the flags' names in snake_case (`runnel run --help` lists them)",
    )
}

/// A Redis URL that the client can use; the message never shows its password.
fn checked_redis_url(url: String) -> anyhow::Result<String> {
    match redis_url::RedisTarget::parse(&url) {
        Ok(_) => Ok(url),
        Err(err) => Err(Failure::new(
            format!("the Redis URL {} is not valid: {err}", redacted_url(&url)),
            "write it as redis://[:password@]host:port/db, redis+cluster://host:port,host:port,… or \
             redis+sentinel://host:port,host:port/primary-name in --redis-url or RUNNEL_REDIS_URL",
        )
        .into()),
    }
}

/// Decodes a base64 session key and insists on the 64 bytes that cookie signing needs.
pub fn decode_session_key(text: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .context("the session key must be base64 (e.g. `openssl rand -base64 64`)")?;
    if bytes.len() < 64 {
        bail!("the session key must be at least 64 bytes, got {}", bytes.len());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_role_comes_from_a_flag_or_the_file_and_an_empty_one_is_refused() {
        let file = std::env::temp_dir().join(format!("runnel-admin-role-{}.toml", std::process::id()));
        std::fs::write(&file, "").unwrap();
        let path = file.to_str().unwrap();
        let cli = Cli::try_parse_from(["runnel", "run", "--admin-role", "ops", "--config", path]).unwrap();
        let Command::Run(args) = cli.command else { panic!("not a run") };
        assert_eq!(Settings::from_run_args(*args).unwrap().auth.admin_role, "ops");
        let defaults = RunArgs { config: Some(file.clone()), ..RunArgs::default() };
        assert_eq!(Settings::from_run_args(defaults).unwrap().auth.admin_role, "admin");
        let empty = RunArgs { config: Some(file.clone()), admin_role: Some(" ".into()), ..RunArgs::default() };
        let message = Settings::from_run_args(empty).err().unwrap().to_string();
        let _ = std::fs::remove_file(&file);
        assert!(message.contains("admin_role"), "{message}");
    }

    fn connections_from(text: &str, env: &[(&str, &str)]) -> anyhow::Result<Vec<ConnectionSettings>> {
        let file: FileSettings = toml::from_str(text)?;
        let env: BTreeMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        connections(file.connections, &|var| env.get(var).cloned())
    }

    #[test]
    fn connections_come_from_the_file_with_their_url_from_the_file_or_the_environment() {
        let text = "[connections.shop]\nurl = \"sqlite:shop.sqlite\"\n\
                    [connections.warehouse]\nurl_env = \"WAREHOUSE_URL\"\nwritable = true\ntimeout_ms = 800\npool_size = 2\n";
        let env = [("WAREHOUSE_URL", "postgres://app:s3cret@db.internal/warehouse")];
        let found = connections_from(text, &env).unwrap();
        assert_eq!(found.len(), 2);
        let (shop, warehouse) = (&found[0], &found[1]);
        assert_eq!(
            (shop.name.as_str(), shop.writable, shop.timeout, shop.pool_size),
            ("shop", false, ConnectionSettings::TIMEOUT, 5)
        );
        assert_eq!(warehouse.url.expose(), "postgres://app:s3cret@db.internal/warehouse");
        assert_eq!((warehouse.writable, warehouse.timeout, warehouse.pool_size), (true, Duration::from_millis(800), 2));
        let shown = format!("{found:?}");
        assert!(!shown.contains("s3cret"), "the password is never printed: {shown}");
    }

    #[test]
    fn a_bad_connection_table_is_one_clear_line_without_the_url() {
        let cases = [
            (
                "[connections.a]\nurl_env = \"MISSING_URL\"\n",
                "the environment variable MISSING_URL (url_env) is not set",
            ),
            ("[connections.a]\nurl = \"mysql://root:pw@h/db\"\n", "scheme \"mysql\" is not supported"),
            ("[connections.a]\n", "it needs a `url`"),
            ("[connections.a]\nurl = \"sqlite:a.db\"\nurl_env = \"X\"\n", "not both"),
            ("[connections.a]\nurl = \"sqlite:a.db\"\npool_size = 0\n", "pool_size must be between 1 and 1000"),
            ("[connections.a]\nurl = \"sqlite:a.db\"\ntimeout_ms = 0\n", "timeout_ms must be at least 1"),
            ("[connections.\"a b\"]\nurl = \"sqlite:a.db\"\n", "letters, digits"),
        ];
        for (text, expected) in cases {
            let message = connections_from(text, &[]).unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
            assert!(!message.contains("pw@") && !message.contains('\n'), "{message}");
        }
        assert!(connections_from("[connections.a]\nurl = \"sqlite:a.db\"\nwritabel = true\n", &[]).is_err());
    }

    #[test]
    fn a_short_session_key_is_refused() {
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        assert!(decode_session_key(&short).is_err());
        let long = base64::engine::general_purpose::STANDARD.encode([1u8; 64]);
        assert_eq!(decode_session_key(&long).unwrap().len(), 64);
    }

    #[test]
    fn frame_ancestors_take_origins_and_refuse_anything_that_could_break_the_policy() {
        let good = ["'self'", "https:", "https://intranet.example", "https://*.example.com:8443"];
        assert_eq!(frame_ancestors(good.map(String::from).to_vec()).unwrap().len(), 4);
        for bad in ["*", "'none'; script-src *", "https://a.example b", "'unsafe-inline'", "ftp://x", "example.com"] {
            assert!(frame_ancestors(vec![bad.to_owned()]).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let proxies = trusted_proxies(vec!["127.0.0.1".into(), "10.0.0.0/8".into(), "::1".into()]).unwrap();
        assert!(proxies[0].contains(&IpAddr::from([127, 0, 0, 1])));
        assert!(proxies[1].contains(&IpAddr::from([10, 1, 2, 3])));
        assert!(!proxies[1].contains(&IpAddr::from([11, 0, 0, 1])));
        assert!(trusted_proxies(vec!["10.0.0.0/33".into()]).is_err());
        assert!(trusted_proxies(vec!["proxy.local".into()]).is_err());
    }

    #[test]
    fn list_settings_come_from_the_file_or_a_comma_separated_flag() {
        let dir = std::env::temp_dir().join(format!("runnel-cfg-web-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("runnel.toml");
        std::fs::write(&file, "trusted_proxies = [\"10.0.0.0/8\"]\nframe_ancestors = [\"'self'\"]\n").unwrap();
        let settings = Settings::from_run_args(RunArgs { config: Some(file.clone()), ..RunArgs::default() }).unwrap();
        assert_eq!(settings.web.frame_ancestors, vec!["'self'"]);
        assert_eq!(settings.web.trusted_proxies.len(), 1);
        let cli = Cli::try_parse_from(["runnel", "run", "--trusted-proxies", "127.0.0.1,::1"]).unwrap();
        let Command::Run(args) = cli.command else { panic!("not a run") };
        assert_eq!(args.trusted_proxies.as_deref().map(<[String]>::len), Some(2));
    }

    #[test]
    fn a_theme_table_is_read_and_a_bad_colour_stops_the_start() {
        let dir = std::env::temp_dir().join(format!("runnel-cfg-theme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("runnel.toml");
        std::fs::write(&file, "[theme]\nprimaryColor = \"#1f77b4\"\nfont = \"monospace\"\n").unwrap();
        let settings = Settings::from_run_args(RunArgs { config: Some(file.clone()), ..RunArgs::default() }).unwrap();
        assert_eq!(settings.theme.primary_color.as_deref(), Some("#1f77b4"));
        assert!(settings.theme.css().contains("--rn-font: ui-monospace"));
        std::fs::write(&file, "[theme]\nbackgroundColor = \"url(evil)\"\n").unwrap();
        let message =
            Settings::from_run_args(RunArgs { config: Some(file), ..RunArgs::default() }).err().unwrap().to_string();
        assert!(message.contains("backgroundColor"), "{message}");
    }

    #[test]
    fn the_base_path_comes_from_a_flag_or_the_file_and_a_malformed_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("runnel-cfg-base-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("runnel.toml");
        std::fs::write(&file, "base_path = \"/apps/sales\"\n").unwrap();
        let settings = Settings::from_run_args(RunArgs { config: Some(file.clone()), ..RunArgs::default() }).unwrap();
        assert_eq!(settings.web.base_path.as_str(), "/apps/sales");
        let cli = Cli::try_parse_from(["runnel", "run", "--base-path", "/bi", "--config", file.to_str().unwrap()]);
        let Command::Run(args) = cli.unwrap().command else { panic!("not a run") };
        assert_eq!(Settings::from_run_args(*args).unwrap().web.base_path.as_str(), "/bi");
        let trailing = RunArgs { config: Some(file), base_path: Some("/apps/".into()), ..RunArgs::default() };
        let message = Settings::from_run_args(trailing).err().unwrap().to_string();
        assert!(message.contains("must not end with `/`"), "{message}");
    }

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let dir = std::env::temp_dir().join(format!("runnel-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("runnel.toml");
        std::fs::write(&file, "port = 9000\nmax_run_ms = 500\nmax_load_ms = 90000\n").unwrap();
        let args = RunArgs { config: Some(file.clone()), port: Some(9100), ..RunArgs::default() };
        let settings = Settings::from_run_args(args).unwrap();
        assert_eq!(settings.port, 9100);
        assert_eq!(settings.limits.max_run_time, Duration::from_millis(500));
        assert_eq!(settings.limits.max_load_time, Duration::from_secs(90));
        assert!(matches!(settings.store, StoreSettings::Memory));
        let args = RunArgs { config: Some(file), ..RunArgs::default() };
        assert_eq!(Settings::from_run_args(args).unwrap().port, 9000);
    }

    #[test]
    fn recovery_settings_come_from_flags_or_the_file_and_a_zero_code_lifetime_is_an_error() {
        let dir = std::env::temp_dir().join(format!("runnel-cfg-recovery-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("runnel.toml");
        std::fs::write(&file, "reset_code_secs = 300\nreveal_taken_usernames = true\n").unwrap();
        let settings = Settings::from_run_args(RunArgs { config: Some(file.clone()), ..RunArgs::default() }).unwrap();
        assert_eq!(settings.auth.reset_code_lifetime, Duration::from_secs(300));
        assert!(settings.auth.reveal_taken_usernames);
        let defaults = Settings::from_run_args(RunArgs::default()).unwrap();
        assert_eq!(defaults.auth.reset_code_lifetime, Duration::from_secs(900));
        assert!(!defaults.auth.reveal_taken_usernames);
        let zero = RunArgs { config: Some(file), reset_code_secs: Some(0), ..RunArgs::default() };
        assert!(Settings::from_run_args(zero).is_err());
    }

    #[test]
    fn operations_settings_come_from_the_file_and_bad_values_are_refused() {
        let dir = std::env::temp_dir().join(format!("runnel-cfg-ops-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("runnel.toml");
        std::fs::write(
            &file,
            "max_wait_ms = 1500\nlog_format = \"json\"\nmetrics_token = \"0123456789abcdef0123\"\n\
             shutdown_timeout_secs = 20\nshutdown_drain_ms = 250\n",
        )
        .unwrap();
        let settings = Settings::from_run_args(RunArgs { config: Some(file.clone()), ..RunArgs::default() }).unwrap();
        assert_eq!(settings.max_wait, Duration::from_millis(1500));
        assert_eq!(settings.session_lock.wait, Duration::from_millis(1500), "the lock waits no longer than the bound");
        assert_eq!(settings.log_format, Some(LogFormat::Json));
        assert_eq!(settings.metrics_token.as_deref(), Some("0123456789abcdef0123"));
        assert_eq!(
            (settings.shutdown_timeout, settings.shutdown_drain),
            (Duration::from_secs(20), Duration::from_millis(250))
        );
        let short_token =
            RunArgs { config: Some(file.clone()), metrics_token: Some("short".into()), ..RunArgs::default() };
        assert!(Settings::from_run_args(short_token).is_err());
        let no_wait = RunArgs { config: Some(file), max_wait_ms: Some(0), ..RunArgs::default() };
        assert!(Settings::from_run_args(no_wait).is_err());
    }
}

/// Caps on uploaded files (`file_uploader`): per file, and per session in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    pub max_file_bytes: usize,
    pub max_session_bytes: usize,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self { max_file_bytes: 10 * 1024 * 1024, max_session_bytes: 20 * 1024 * 1024 }
    }
}
