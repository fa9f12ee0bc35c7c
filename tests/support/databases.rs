//! Real databases for the SQL tests: a schema of its own in the machine's PostgreSQL (database
//! `test`, dropped with the value), and SQLite files. Each step runs on a thread of its own
//! with its own small runtime, so that async tests and plain ones can both call it.

use std::path::Path;

use sqlx::{AssertSqlSafe, Connection};

/// The machine's PostgreSQL, as the tests reach it (`RUNNEL_TEST_POSTGRES` overrides it).
pub fn postgres_server() -> String {
    std::env::var("RUNNEL_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Runs `sql` (several statements may follow each other) in PostgreSQL at `url`.
pub fn postgres_sql(url: &str, sql: &str) {
    try_postgres_sql(url, sql).expect("the machine's PostgreSQL runs the setup SQL");
}

fn try_postgres_sql(url: &str, sql: &str) -> Result<(), String> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    on_own_runtime(async move {
        let mut conn = sqlx::PgConnection::connect(&url).await.map_err(|e| e.to_string())?;
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await.map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// Runs `sql` in the SQLite file `path` (made if missing).
pub fn sqlite_sql(path: &Path, sql: &str) {
    let (path, sql) = (path.to_owned(), sql.to_owned());
    let done = on_own_runtime(async move {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.map_err(|e| e.to_string())?;
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await.map_err(|e| e.to_string())?;
        Ok(())
    });
    done.expect("the SQLite file runs the setup SQL");
}

fn on_own_runtime(work: impl std::future::Future<Output = Result<(), String>> + Send + 'static) -> Result<(), String> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        runtime.block_on(work)
    })
    .join()
    .unwrap_or_else(|_| Err("the database step panicked".to_owned()))
}

/// A schema of its own in PostgreSQL's `test` database, dropped when this value is.
pub struct PgSchema {
    pub name: String,
}

impl PgSchema {
    /// A new schema with `setup` run inside it.
    pub fn with(setup: &str) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("runnel_test_{}_{n}_{nanos}", std::process::id());
        postgres_sql(&postgres_server(), &format!("CREATE SCHEMA {name}; SET search_path TO {name}; {setup}"));
        Self { name }
    }

    /// A URL whose sessions work inside this schema.
    pub fn url(&self) -> String {
        let server = postgres_server();
        let joiner = if server.contains('?') { '&' } else { '?' };
        format!("{server}{joiner}options=-c%20search_path%3D{}", self.name)
    }

    /// The same URL with a password in it (trust authentication ignores it): a secret that
    /// must never be shown.
    pub fn url_with_password(&self, password: &str) -> String {
        self.url().replacen("://postgres@", &format!("://postgres:{password}@"), 1)
    }

    /// Runs `sql` inside the schema.
    pub fn sql(&self, sql: &str) {
        postgres_sql(&postgres_server(), &format!("SET search_path TO {}; {sql}", self.name));
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // Never a panic here: a failing test is unwinding through it.
        let _ = try_postgres_sql(&postgres_server(), &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}
