//! SQL for scripts: `connection(name)` opens a database configured in `runnel.toml`; its
//! `query(sql, params, #{ ttl })` returns a data frame (parameters bound, never spliced into
//! the text; with `ttl` the result is shared by all sessions for that many seconds) and
//! `execute(sql, params)` the number of rows a write changed. Queries run inside the run,
//! which is already on a blocking thread; the driver's own work happens on the SQL runtime.

use std::time::Duration;

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, NativeCallContext, Position};

use super::context;
use super::options::{Options, error};
use crate::datasource::{Connection, DataSources, Param};
use crate::frame::{Caps, Frame};

type Res<T> = Result<T, Box<EvalAltResult>>;

pub fn register(engine: &mut Engine, caps: Caps) {
    engine.register_type_with_name::<Connection>("SqlConnection");
    engine.register_fn("connection", |ctx: NativeCallContext, name: ImmutableString| {
        sources()?.connections.get(&name).map_err(|message| error(message, ctx.call_position()))
    });
    // Only the name: the URL is never a script's to see.
    engine.register_fn("to_string", |c: &mut Connection| format!("SqlConnection({})", c.name()));
    engine.register_fn("to_debug", |c: &mut Connection| format!("SqlConnection({})", c.name()));
    engine.register_fn("name", |c: &mut Connection| c.name().to_owned());
    engine.register_fn("query", move |ctx: NativeCallContext, c: &mut Connection, sql: ImmutableString| {
        query(ctx.call_position(), c, &sql, Array::new(), Map::new(), caps)
    });
    engine.register_fn(
        "query",
        move |ctx: NativeCallContext, c: &mut Connection, sql: ImmutableString, params: Array| {
            query(ctx.call_position(), c, &sql, params, Map::new(), caps)
        },
    );
    engine.register_fn("query", move |ctx: NativeCallContext, c: &mut Connection, sql: ImmutableString, opts: Map| {
        query(ctx.call_position(), c, &sql, Array::new(), opts, caps)
    });
    engine.register_fn(
        "query",
        move |ctx: NativeCallContext, c: &mut Connection, sql: ImmutableString, params: Array, opts: Map| {
            query(ctx.call_position(), c, &sql, params, opts, caps)
        },
    );
    engine.register_fn("execute", |ctx: NativeCallContext, c: &mut Connection, sql: ImmutableString| {
        execute(ctx.call_position(), c, &sql, Array::new())
    });
    engine.register_fn("execute", |ctx: NativeCallContext, c: &mut Connection, sql: ImmutableString, params: Array| {
        execute(ctx.call_position(), c, &sql, params)
    });
}

fn sources() -> Res<std::sync::Arc<DataSources>> {
    context::with(|c| c.sources.clone())?.ok_or_else(|| "no data sources are configured for this run".into())
}

/// Where a connection's cached results are kept: every key of it starts so.
fn cache_prefix(connection: &Connection) -> String {
    format!("\u{0}sql\u{1f}{}\u{1f}", connection.name())
}

fn query(pos: Position, connection: &Connection, sql: &str, params: Array, opts: Map, caps: Caps) -> Res<Frame> {
    let opts = Options::new(opts, pos, &["ttl"])?;
    let ttl = ttl(&opts)?;
    let params = bound(&params, pos)?;
    let sources = sources()?;
    // The ttl is part of the key: the same query asked with another ttl keeps its own entry.
    let key = format!("{}{sql}\u{1f}{params:?}\u{1f}{ttl:?}", cache_prefix(connection));
    if ttl.is_some()
        && let Some(frame) = sources.cache.get(&key).and_then(|v| v.try_cast::<Frame>())
    {
        return Ok(frame);
    }
    let frame = connection.query(sql, params, caps).map_err(|m| failed(connection, m, pos))?;
    if let Some(ttl) = ttl {
        let bytes = frame.estimated_bytes();
        sources.cache.insert(key, Dynamic::from(frame.clone()), Some(ttl), Vec::new(), bytes);
    }
    Ok(frame)
}

/// A write also drops this instance's cached results of the connection: they may be stale.
fn execute(pos: Position, connection: &Connection, sql: &str, params: Array) -> Res<i64> {
    let params = bound(&params, pos)?;
    let changed = connection.execute(sql, params).map_err(|m| failed(connection, m, pos))?;
    sources()?.cache.remove_prefix(&cache_prefix(connection));
    Ok(i64::try_from(changed).unwrap_or(i64::MAX))
}

fn failed(connection: &Connection, message: String, pos: Position) -> Box<EvalAltResult> {
    error(format!("connection `{}`: {message}", connection.name()), pos)
}

/// `ttl`: seconds (whole or not) to share the result; absent or 0 means not cached.
fn ttl(opts: &Options) -> Res<Option<Duration>> {
    match opts.float("ttl")? {
        None => Ok(None),
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            Ok((seconds > 0.0).then(|| Duration::from_secs_f64(seconds.min(1e9))))
        }
        Some(seconds) => Err(opts.fail(format!("option `ttl` is a number of seconds, 0 or more, not {seconds}"))),
    }
}

/// The script's parameters as values to bind: `()`, numbers, booleans and text (a date as ISO
/// text; cast it in SQL, e.g. `$1::date`).
fn bound(params: &Array, pos: Position) -> Res<Vec<Param>> {
    params
        .iter()
        .enumerate()
        .map(|(i, value)| {
            if value.is_unit() {
                Ok(Param::Null)
            } else if let Ok(v) = value.as_int() {
                Ok(Param::Int(v))
            } else if let Ok(v) = value.as_float() {
                Ok(Param::Float(v))
            } else if let Ok(v) = value.as_bool() {
                Ok(Param::Bool(v))
            } else if value.is_string() || value.is_char() {
                Ok(Param::Text(value.to_string()))
            } else {
                let message = format!(
                    "parameter {} is {}: a parameter is a number, text, true/false or () (bind each value of a list \
                     as its own parameter)",
                    i + 1,
                    value.type_name()
                );
                Err(error(message, pos))
            }
        })
        .collect()
}
