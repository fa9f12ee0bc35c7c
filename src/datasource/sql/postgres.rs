//! PostgreSQL: a lazy pool whose sessions are read-only unless writable and carry the statement
//! timeout, and one statement run in a transaction of its own (`BEGIN READ ONLY` and a
//! `SET LOCAL statement_timeout` each time, so that nothing a statement sets outlives it), its
//! rows decoded into typed columns.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::postgres::{
    PgConnectOptions, PgPool, PgPoolOptions, PgRow, PgSslMode, PgTypeInfo, PgTypeKind, PgValueFormat,
};
use sqlx::{AssertSqlSafe, Column, Executor, Postgres, Row, SqlSafeStr, Statement as _, TypeInfo, ValueRef};

use super::table::{Cell, Table};
use super::{QueryError, Refusal, Statement, bind};
use crate::config::ConnectionSettings;
use crate::frame::{Caps, Values};

/// A pool that connects when first used.
pub fn pool(settings: &ConnectionSettings) -> Result<PgPool, String> {
    let options = PgConnectOptions::from_str(settings.url.expose())
        .map_err(|err| format!("the PostgreSQL URL is not valid: {err}"))?;
    if matches!(options.get_ssl_mode(), PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull) {
        return Err("the URL asks for TLS (sslmode), which this build of Runnel does not include: \
                    reach the database over a private network or a local socket"
            .to_owned());
    }
    let mut session = vec![("statement_timeout", settings.timeout.as_millis().to_string())];
    if !settings.writable {
        session.push(("default_transaction_read_only", "on".to_owned()));
    }
    let options = options.options(session).application_name("runnel");
    Ok(PgPoolOptions::new()
        .max_connections(settings.pool_size)
        .min_connections(0)
        .acquire_timeout(settings.timeout)
        .idle_timeout(std::time::Duration::from_secs(300))
        .connect_lazy_with(options))
}

/// What a SQLSTATE code means for the script's author.
pub fn refusal(code: &str) -> Refusal {
    match code {
        "57014" => Refusal::Timeout,
        "25006" => Refusal::ReadOnly,
        _ => Refusal::Other,
    }
}

/// The transaction every statement runs in.
fn begin(statement: &Statement) -> String {
    let access = if statement.writable { "READ WRITE" } else { "READ ONLY" };
    format!("BEGIN {access}; SET LOCAL statement_timeout = {}", statement.timeout.as_millis())
}

pub async fn query(pool: PgPool, statement: Statement, caps: Caps) -> Result<Table, QueryError> {
    let mut tx = pool.begin_with(AssertSqlSafe(begin(&statement))).await?;
    let prepared = (&mut *tx).prepare(AssertSqlSafe(statement.sql.clone()).into_sql_str()).await?;
    let kinds: Vec<Kind> =
        prepared.columns().iter().map(|c| Kind::of(c.name(), c.type_info())).collect::<Result<_, _>>()?;
    let names = prepared.columns().iter().map(|c| c.name().to_owned());
    let mut table = Table::new(names.zip(kinds.iter().map(Kind::empty)).collect(), caps);
    {
        let mut rows = bind(prepared.query(), &statement.params).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            table.push(cells(&row, &kinds)?)?;
        }
    }
    end(tx, &statement).await?;
    Ok(table)
}

pub async fn execute(pool: PgPool, statement: Statement) -> Result<u64, QueryError> {
    let mut tx = pool.begin_with(AssertSqlSafe(begin(&statement))).await?;
    let done = bind(sqlx::query(AssertSqlSafe(statement.sql.clone())), &statement.params).execute(&mut *tx).await?;
    end(tx, &statement).await?;
    Ok(done.rows_affected())
}

/// A writable connection keeps what the statement did; a read-only one has nothing to keep.
async fn end(tx: sqlx::Transaction<'_, Postgres>, statement: &Statement) -> Result<(), sqlx::Error> {
    if statement.writable { tx.commit().await } else { tx.rollback().await }
}

/// How a column's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Text,
    /// Text read from the value's bytes (enums, JSON, JSONB).
    RawText,
    Uuid,
    Date,
    Timestamp,
    TimestampTz,
    Void,
}

impl Kind {
    fn of(name: &str, info: &PgTypeInfo) -> Result<Self, String> {
        if matches!(info.kind(), PgTypeKind::Enum(_)) {
            return Ok(Kind::RawText);
        }
        Ok(match info.name() {
            "BOOL" => Kind::Bool,
            "INT2" => Kind::Int2,
            "INT4" => Kind::Int4,
            "INT8" => Kind::Int8,
            "FLOAT4" => Kind::Float4,
            "FLOAT8" => Kind::Float8,
            "NUMERIC" => Kind::Numeric,
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "UNKNOWN" => Kind::Text,
            "JSON" | "JSONB" => Kind::RawText,
            "UUID" => Kind::Uuid,
            "DATE" => Kind::Date,
            "TIMESTAMP" => Kind::Timestamp,
            "TIMESTAMPTZ" => Kind::TimestampTz,
            "VOID" => Kind::Void,
            other => {
                return Err(format!(
                    "column `{name}` has the type {other}, which a frame cannot hold: cast it in the query \
                     (e.g. {name}::text or {name}::float8)"
                ));
            }
        })
    }

    /// An empty column of this kind.
    fn empty(&self) -> Values {
        match self {
            Kind::Bool => Values::Bool(Vec::new()),
            Kind::Int2 | Kind::Int4 | Kind::Int8 => Values::Int(Vec::new()),
            Kind::Float4 | Kind::Float8 | Kind::Numeric => Values::Float(Vec::new()),
            Kind::Text | Kind::RawText | Kind::Uuid => Values::Text(Vec::new()),
            Kind::Date => Values::Date(Vec::new()),
            Kind::Timestamp | Kind::TimestampTz => Values::Timestamp(Vec::new()),
            Kind::Void => Values::Null(0),
        }
    }
}

fn cells(row: &PgRow, kinds: &[Kind]) -> Result<Vec<Cell>, sqlx::Error> {
    kinds.iter().enumerate().map(|(i, kind)| cell(row, i, *kind)).collect()
}

fn cell(row: &PgRow, i: usize, kind: Kind) -> Result<Cell, sqlx::Error> {
    let get = |cell: Option<Cell>| cell.unwrap_or(Cell::Null);
    Ok(match kind {
        Kind::Bool => get(row.try_get::<Option<bool>, _>(i)?.map(Cell::Bool)),
        Kind::Int2 => get(row.try_get::<Option<i16>, _>(i)?.map(|v| Cell::Int(v.into()))),
        Kind::Int4 => get(row.try_get::<Option<i32>, _>(i)?.map(|v| Cell::Int(v.into()))),
        Kind::Int8 => get(row.try_get::<Option<i64>, _>(i)?.map(Cell::Int)),
        Kind::Float4 => get(row.try_get::<Option<f32>, _>(i)?.map(|v| Cell::Float(v.into()))),
        Kind::Float8 => get(row.try_get::<Option<f64>, _>(i)?.map(Cell::Float)),
        Kind::Text => get(row.try_get::<Option<String>, _>(i)?.map(Cell::Text)),
        Kind::Date => get(row.try_get::<Option<NaiveDate>, _>(i)?.map(Cell::Date)),
        Kind::Timestamp => get(row.try_get::<Option<NaiveDateTime>, _>(i)?.map(Cell::Timestamp)),
        Kind::TimestampTz => get(row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(|t| Cell::Timestamp(t.naive_utc()))),
        Kind::Void => Cell::Null,
        Kind::Numeric | Kind::RawText | Kind::Uuid => raw(row, i, kind)?,
    })
}

/// A value read from its wire bytes: types the driver decodes only with features we leave out.
fn raw(row: &PgRow, i: usize, kind: Kind) -> Result<Cell, sqlx::Error> {
    let value = row.try_get_raw(i)?;
    if value.is_null() {
        return Ok(Cell::Null);
    }
    let undecodable = |source: String| sqlx::Error::ColumnDecode { index: i.to_string(), source: source.into() };
    if value.format() == PgValueFormat::Text {
        let text = value.as_str().map_err(|e| undecodable(e.to_string()))?;
        return Ok(match kind {
            Kind::Numeric => Cell::Float(text.parse().map_err(|_| undecodable(format!("{text:?} is not a number")))?),
            _ => Cell::Text(text.to_owned()),
        });
    }
    let bytes = value.as_bytes().map_err(|e| undecodable(e.to_string()))?;
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    Ok(match kind {
        Kind::Numeric => Cell::Float(numeric(bytes).ok_or_else(|| undecodable("a malformed NUMERIC".into()))?),
        Kind::Uuid if bytes.len() == 16 => Cell::Text(uuid(bytes)),
        // JSONB's binary form is a version byte (1) before the text.
        _ if row.column(i).type_info().name() == "JSONB" => Cell::Text(text(bytes.get(1..).unwrap_or_default())),
        _ => Cell::Text(text(bytes)),
    })
}

/// A NUMERIC in PostgreSQL's binary form (digit count, weight, sign, scale, then base-10000
/// digits) as the nearest float.
fn numeric(bytes: &[u8]) -> Option<f64> {
    let word = |i: usize| bytes.get(2 * i..2 * i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let (count, weight, sign) = (usize::from(word(0)?), word(1)? as i16, word(2)?);
    match sign {
        0xC000 => return Some(f64::NAN),
        0xD000 => return Some(f64::INFINITY),
        0xF000 => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    if count == 0 {
        return Some(0.0);
    }
    let mut text = String::with_capacity(4 * count + 8);
    if sign == 0x4000 {
        text.push('-');
    }
    for i in 0..count {
        text.push_str(&format!("{:04}", word(4 + i)?));
    }
    // The digits read as one whole number, scaled back by the weight of the last digit.
    let exponent = 4 * (i32::from(weight) - count as i32 + 1);
    text.push_str(&format!("e{exponent}"));
    text.parse().ok()
}

fn uuid(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(words: &[u16]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    #[test]
    fn numerics_in_binary_form_become_the_nearest_float() {
        // 12345.678 = 1|2345|6780 with weight 1.
        assert_eq!(numeric(&binary(&[3, 1, 0, 3, 1, 2345, 6780])), Some(12345.678));
        // -0.05 = 500 with weight -1.
        assert_eq!(numeric(&binary(&[1, (-1_i16) as u16, 0x4000, 2, 500])), Some(-0.05));
        assert_eq!(numeric(&binary(&[0, 0, 0, 0])), Some(0.0));
        assert!(numeric(&binary(&[0, 0, 0xC000, 0])).unwrap().is_nan());
        assert_eq!(numeric(&[0, 1]), None, "a truncated value is refused");
    }
}
