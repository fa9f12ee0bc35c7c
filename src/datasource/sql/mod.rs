//! SQL connections configured in `runnel.toml` (`[connections.NAME]`): a bounded pool per
//! database, read-only unless configured writable, every statement under a timeout, rows read
//! into a frame within the frame caps. Scripts only name a connection: its URL and password
//! stay here and never reach a page or the log.

mod postgres;
mod runtime;
mod sqlite;
mod table;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::ConnectionSettings;
use crate::failure::Failure;
use crate::frame::{Caps, Frame};
use runtime::SqlRuntime;

/// A value bound to a `$1`/`?` placeholder: never spliced into the SQL text.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// Binds the parameters to a query's placeholders in order, for either database.
fn bind<'q, DB>(
    mut query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    params: &[Param],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    for<'a> Option<String>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> f64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> bool: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    for param in params {
        query = match param {
            Param::Null => query.bind(None::<String>),
            Param::Int(i) => query.bind(*i),
            Param::Float(f) => query.bind(*f),
            Param::Bool(b) => query.bind(*b),
            Param::Text(text) => query.bind(text.clone()),
        };
    }
    query
}

/// The configured databases, by name.
#[derive(Default)]
pub struct Connections {
    databases: BTreeMap<String, Connection>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.databases.keys()).finish()
    }
}

impl Connections {
    /// The pools of `settings` (no database is contacted yet: an unreachable one is an error
    /// of the queries, not of the start). A SQLite file is looked for in `data_dir`.
    pub fn open(settings: &[ConnectionSettings], data_dir: &Path) -> anyhow::Result<Self> {
        if settings.is_empty() {
            return Ok(Self::default());
        }
        let runtime = Arc::new(SqlRuntime::start()?);
        // The pools' upkeep tasks belong to the SQL runtime.
        let _inside = runtime.handle().enter();
        let mut databases = BTreeMap::new();
        for settings in settings {
            let pool = Pool::open(settings, data_dir).map_err(|problem| {
                let problem = Secrets::of(settings, data_dir).scrub(&problem);
                Failure::new(
                    format!("connection `{}`: {problem}", settings.name),
                    "fix the [connections.NAME] table in runnel.toml (README \"SQL connections\")",
                )
            })?;
            let database = Database {
                name: settings.name.clone(),
                pool,
                writable: settings.writable,
                timeout: settings.timeout,
                secrets: Secrets::of(settings, data_dir),
                runtime: runtime.clone(),
            };
            databases.insert(settings.name.clone(), Connection(Arc::new(database)));
        }
        Ok(Self { databases })
    }

    /// The connection called `name`, or an error that lists the configured names.
    pub fn get(&self, name: &str) -> Result<Connection, String> {
        if let Some(connection) = self.databases.get(name) {
            return Ok(connection.clone());
        }
        if self.databases.is_empty() {
            return Err(format!(
                "there is no connection named {name:?}: none is configured (add a [connections.{name}] table to runnel.toml)"
            ));
        }
        let names: Vec<&str> = self.databases.keys().map(String::as_str).collect();
        Err(format!("there is no connection named {name:?}; the configured ones are: {}", names.join(", ")))
    }
}

/// One configured database, as scripts hold it (cloning it shares the pool).
#[derive(Clone)]
pub struct Connection(Arc<Database>);

struct Database {
    name: String,
    pool: Pool,
    writable: bool,
    timeout: Duration,
    secrets: Secrets,
    runtime: Arc<SqlRuntime>,
}

enum Pool {
    Sqlite(sqlx::SqlitePool, sqlite::SqliteFile),
    Postgres(sqlx::PgPool),
}

impl Pool {
    fn open(settings: &ConnectionSettings, data_dir: &Path) -> Result<Self, String> {
        let url = settings.url.expose();
        if url.to_ascii_lowercase().starts_with("sqlite:") {
            let (pool, file) = sqlite::pool(settings, data_dir)?;
            Ok(Pool::Sqlite(pool, file))
        } else {
            Ok(Pool::Postgres(postgres::pool(settings)?))
        }
    }
}

/// One statement as a script asked for it.
#[derive(Debug, Clone)]
struct Statement {
    sql: String,
    params: Vec<Param>,
    writable: bool,
    timeout: Duration,
}

/// Why a statement failed: the driver's error, or ours (a cap, a type a frame cannot hold).
#[derive(Debug)]
enum QueryError {
    Sql(sqlx::Error),
    Plain(String),
}

impl From<sqlx::Error> for QueryError {
    fn from(err: sqlx::Error) -> Self {
        QueryError::Sql(err)
    }
}

impl From<String> for QueryError {
    fn from(message: String) -> Self {
        QueryError::Plain(message)
    }
}

impl Connection {
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The rows of `sql` with `params` bound, as a frame within `caps`.
    pub fn query(&self, sql: &str, params: Vec<Param>, caps: Caps) -> Result<Frame, String> {
        let statement = self.statement(sql, params);
        let table = match &self.0.pool {
            Pool::Sqlite(pool, file) => {
                file.check()?;
                self.wait(sqlite::query(pool.clone(), statement, caps))
            }
            Pool::Postgres(pool) => self.wait(postgres::query(pool.clone(), statement, caps)),
        }?;
        table.into_frame()
    }

    /// Runs `sql` with `params` bound for its effect; the number of rows it changed.
    pub fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64, String> {
        let statement = self.statement(sql, params);
        match &self.0.pool {
            Pool::Sqlite(pool, file) => {
                file.check()?;
                self.wait(sqlite::execute(pool.clone(), statement))
            }
            Pool::Postgres(pool) => self.wait(postgres::execute(pool.clone(), statement)),
        }
    }

    fn statement(&self, sql: &str, params: Vec<Param>) -> Statement {
        Statement { sql: sql.to_owned(), params, writable: self.0.writable, timeout: self.0.timeout }
    }

    /// Runs `work` on the SQL runtime and waits for it: at most the time to get a connection
    /// and the statement's own timeout (each `timeout`), plus a little for the answer.
    fn wait<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, QueryError>> + Send + 'static,
    ) -> Result<T, String> {
        let started = std::time::Instant::now();
        let bound = self.0.timeout * 2 + Duration::from_millis(500);
        // The timer is made inside the task, on the SQL runtime (this thread may have none).
        let timed = async move { tokio::time::timeout(bound, work).await };
        let outcome = self.0.runtime.wait(timed, bound + Duration::from_secs(1));
        let result = match outcome {
            Some(Ok(result)) => result.map_err(|err| self.explain(err)),
            _ => Err(format!("the query did not finish within {} s (timeout_ms)", bound.as_secs_f64())),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(_) => tracing::debug!(connection = %self.0.name, elapsed_ms, "query done"),
            Err(message) => tracing::warn!(connection = %self.0.name, elapsed_ms, error = %message, "query failed"),
        }
        result
    }

    /// A failure as the script's author reads it, with no URL, password or server path in it.
    fn explain(&self, err: QueryError) -> String {
        let text = match err {
            QueryError::Plain(text) => text,
            QueryError::Sql(err) => self.describe(err),
        };
        self.0.secrets.scrub(&text)
    }

    fn describe(&self, err: sqlx::Error) -> String {
        let timeout = self.0.timeout.as_secs_f64();
        match err {
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                let kind = match &self.0.pool {
                    Pool::Sqlite(..) => sqlite::refusal(&code),
                    Pool::Postgres(_) => postgres::refusal(&code),
                };
                match kind {
                    Refusal::Timeout => {
                        format!("the query ran longer than the connection's timeout of {timeout} s (timeout_ms)")
                    }
                    Refusal::ReadOnly => format!(
                        "the connection is read-only, so the database refused to write ({}); set `writable = true` \
                         in its [connections.{}] table to allow writes",
                        db.message(),
                        self.0.name
                    ),
                    Refusal::Other => format!("the database refused the query: {}", db.message()),
                }
            }
            sqlx::Error::PoolTimedOut => {
                format!("cannot reach the database: no connection within {timeout} s (timeout_ms)")
            }
            sqlx::Error::Io(err) => format!("cannot reach the database: {err}"),
            sqlx::Error::PoolClosed => "the connection is closed (the server is shutting down)".to_owned(),
            other => format!("the query failed: {other}"),
        }
    }
}

/// What kind of refusal a database error code means.
enum Refusal {
    Timeout,
    ReadOnly,
    Other,
}

/// Text that must never reach a page or the log (the URL, its password, the server's path to
/// a SQLite file), with what to show instead.
#[derive(Debug, Clone, Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn of(settings: &ConnectionSettings, data_dir: &Path) -> Self {
        let url = settings.url.expose();
        let mut secrets = vec![(url.to_owned(), "the connection's URL".to_owned())];
        if let Some(password) = password_of(url) {
            let decoded = percent_encoding::percent_decode_str(&password).decode_utf8_lossy().into_owned();
            secrets.push((password, "***".to_owned()));
            secrets.push((decoded, "***".to_owned()));
        }
        for dir in [data_dir.to_path_buf(), data_dir.canonicalize().unwrap_or_default()] {
            let dir = dir.display().to_string();
            if !dir.is_empty() {
                secrets.push((format!("{dir}/"), String::new()));
            }
        }
        secrets.retain(|(secret, _)| secret.len() >= 3);
        // Longest first, so that the URL goes before the password inside it.
        secrets.sort_by_key(|(secret, _)| std::cmp::Reverse(secret.len()));
        Self(secrets)
    }

    fn scrub(&self, text: &str) -> String {
        self.0.iter().fold(text.to_owned(), |text, (secret, instead)| text.replace(secret.as_str(), instead))
    }
}

/// The password of `scheme://user:password@host/…`, if the URL has one.
fn password_of(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let credentials = &authority[..authority.rfind('@')?];
    let (_, password) = credentials.split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_and_the_url_are_scrubbed_from_messages() {
        let settings = ConnectionSettings::new("shop", "postgres://app:p%40ss@db.internal:5432/shop");
        let secrets = Secrets::of(&settings, Path::new("/srv/runnel/data"));
        let said =
            "failed for postgres://app:p%40ss@db.internal:5432/shop with p@ss and p%40ss at /srv/runnel/data/x.db";
        let scrubbed = secrets.scrub(said);
        assert!(!scrubbed.contains("p@ss") && !scrubbed.contains("p%40ss") && !scrubbed.contains("/srv"), "{scrubbed}");
        assert!(scrubbed.contains("the connection's URL") && scrubbed.contains("x.db"), "{scrubbed}");
    }

    #[test]
    fn an_unknown_name_lists_the_configured_ones() {
        let none = Connections::default().get("shop").err().unwrap();
        assert!(none.contains("none is configured") && none.contains("[connections.shop]"), "{none}");
    }
}
