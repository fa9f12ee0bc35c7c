//! SQLite: a file in the data folder (a relative name that cannot leave it), opened read-only
//! (`mode=ro` and `query_only`) unless writable, with ATTACH turned off so that no statement
//! reaches another file, and a progress handler that interrupts a statement at its timeout.

use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use chrono::{NaiveDate, NaiveDateTime};
use futures_util::TryStreamExt;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Column, Executor, Row, SqlSafeStr, Sqlite, Statement as _, TypeInfo, ValueRef};

use super::table::{Cell, Table};
use super::{QueryError, Refusal, Statement, bind};
use crate::config::ConnectionSettings;
use crate::frame::{Caps, Values};

/// A pool on the file the URL names inside `data_dir`; it opens the file when first used. A
/// file that is not there yet is only a warning now (another scripts folder may be served
/// with the same settings): each query checks the file again.
pub fn pool(settings: &ConnectionSettings, data_dir: &Path) -> Result<(SqlitePool, SqliteFile), String> {
    let file = SqliteFile::named(settings, data_dir)?;
    match file.check() {
        Ok(()) => {}
        Err(problem) if !data_dir.join(&file.name).exists() => {
            tracing::warn!(connection = %settings.name, "{problem}: its queries fail until it is there");
        }
        Err(problem) => return Err(problem),
    }
    let mut options = SqliteConnectOptions::new()
        .filename(data_dir.join(&file.name))
        .read_only(!settings.writable)
        .create_if_missing(settings.writable)
        .busy_timeout(settings.timeout);
    if !settings.writable {
        options = options.pragma("query_only", "ON");
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(settings.pool_size)
        .acquire_timeout(settings.timeout)
        .after_connect(|conn, _| Box::pin(forbid_attach(conn)))
        .connect_lazy_with(options);
    Ok((pool, file))
}

/// The file of `sqlite:NAME`: NAME is relative to the data folder and may not leave it (no
/// `..`, no absolute path, no symlink out). A read-only database must exist; a writable one is
/// created on first use.
pub struct SqliteFile {
    name: String,
    dir: PathBuf,
    writable: bool,
}

impl SqliteFile {
    /// The name in the URL, if it has the shape of a file inside the data folder.
    fn named(settings: &ConnectionSettings, data_dir: &Path) -> Result<Self, String> {
        let url = settings.url.expose();
        let name = url["sqlite:".len()..].trim_start_matches("//");
        if name.contains('?') {
            return Err("a SQLite URL takes no options (`?…`): use `writable`, `timeout_ms` and `pool_size`".to_owned());
        }
        let relative = Path::new(name);
        if name.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!(
                "{name:?} is not a file name inside the data folder (write sqlite:FILE, with no `..` and no absolute path)"
            ));
        }
        Ok(Self { name: name.to_owned(), dir: data_dir.to_owned(), writable: settings.writable })
    }

    /// Whether the file is inside the data folder now (or, for a writable one, could be made there).
    pub fn check(&self) -> Result<(), String> {
        let path = self.dir.join(&self.name);
        if !self.writable || path.exists() || path.is_symlink() {
            return crate::datasource::resolve(&self.dir, &self.name).map(drop);
        }
        let relative = Path::new(&self.name);
        let parent = relative.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let base = self.dir.canonicalize().map_err(|_| "the data folder does not exist".to_owned())?;
        let folder = base.join(parent).canonicalize();
        match folder {
            Ok(folder) if folder.starts_with(&base) => Ok(()),
            Ok(_) => Err(format!("{:?} leads out of the data folder", self.name)),
            Err(_) => Err(format!("there is no folder for {:?} in the data folder", self.name)),
        }
    }
}

/// No `ATTACH` (nor `VACUUM`, which attaches): a statement reads and writes only its own file.
async fn forbid_attach(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the locked handle is a live connection that no other thread uses meanwhile, and
    // sqlite3_limit only sets a number on it.
    unsafe {
        libsqlite3_sys::sqlite3_limit(handle.as_raw_handle().as_ptr(), libsqlite3_sys::SQLITE_LIMIT_ATTACHED, 0);
    }
    Ok(())
}

/// What an SQLite result code means for the script's author.
pub fn refusal(code: &str) -> Refusal {
    // The primary code is the low byte of an extended one.
    match code.parse::<i32>().map(|c| c & 0xff) {
        Ok(libsqlite3_sys::SQLITE_INTERRUPT) => Refusal::Timeout,
        Ok(libsqlite3_sys::SQLITE_READONLY) => Refusal::ReadOnly,
        _ => Refusal::Other,
    }
}

/// A connection whose statements stop at `statement.timeout` from now.
async fn connection(
    pool: &SqlitePool,
    statement: &Statement,
) -> Result<sqlx::pool::PoolConnection<Sqlite>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let deadline = Instant::now() + statement.timeout;
    conn.lock_handle().await?.set_progress_handler(1_000, move || Instant::now() < deadline);
    Ok(conn)
}

pub async fn query(pool: SqlitePool, statement: Statement, caps: Caps) -> Result<Table, QueryError> {
    let mut conn = connection(&pool, &statement).await?;
    let prepared = (&mut *conn).prepare(AssertSqlSafe(statement.sql.clone()).into_sql_str()).await?;
    let declared: Vec<String> = prepared.columns().iter().map(|c| c.type_info().name().to_owned()).collect();
    let names = prepared.columns().iter().map(|c| c.name().to_owned());
    let mut table = Table::new(names.zip(declared.iter().map(|d| empty(d))).collect(), caps);
    {
        let mut rows = bind(prepared.query(), &statement.params).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let cells = (0..declared.len()).map(|i| cell(&row, i, &declared[i])).collect::<Result<Vec<_>, _>>()?;
            table.push(cells)?;
        }
    }
    Ok(table)
}

pub async fn execute(pool: SqlitePool, statement: Statement) -> Result<u64, QueryError> {
    let mut conn = connection(&pool, &statement).await?;
    let query = bind(sqlx::query(AssertSqlSafe(statement.sql.clone())), &statement.params);
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

/// An empty column of a declared type (`Null` when the values will tell).
fn empty(declared: &str) -> Values {
    match declared {
        "BOOLEAN" => Values::Bool(Vec::new()),
        "DATE" => Values::Date(Vec::new()),
        "DATETIME" => Values::Timestamp(Vec::new()),
        "INTEGER" => Values::Int(Vec::new()),
        "REAL" => Values::Float(Vec::new()),
        "TEXT" => Values::Text(Vec::new()),
        _ => Values::Null(0),
    }
}

/// A cell by its column's declared type where that says more than SQLite stores (booleans,
/// dates, date-times), else by the value's own storage class.
fn cell(row: &SqliteRow, i: usize, declared: &str) -> Result<Cell, QueryError> {
    let value = row.try_get_raw(i)?;
    if value.is_null() {
        return Ok(Cell::Null);
    }
    let storage = value.type_info().name().to_owned();
    let declared_cell = match declared {
        "BOOLEAN" if storage == "INTEGER" => row.try_get_unchecked::<i64, _>(i).ok().map(|v| Cell::Bool(v != 0)),
        "DATE" => row.try_get_unchecked::<NaiveDate, _>(i).ok().map(Cell::Date),
        "DATETIME" => row.try_get_unchecked::<NaiveDateTime, _>(i).ok().map(Cell::Timestamp),
        _ => None,
    };
    if let Some(cell) = declared_cell {
        return Ok(cell);
    }
    Ok(match storage.as_str() {
        "INTEGER" => Cell::Int(row.try_get_unchecked(i)?),
        "REAL" => Cell::Float(row.try_get_unchecked(i)?),
        "TEXT" => Cell::Text(row.try_get_unchecked(i)?),
        _ => {
            let name = row.column(i).name();
            return Err(QueryError::Plain(format!(
                "column `{name}` holds binary data (BLOB), which a frame cannot hold: select hex({name}) or length({name})"
            )));
        }
    })
}
