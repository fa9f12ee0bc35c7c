//! Data for scripts: `read_csv(name)` and `read_json(name)` from the data folder, and
//! `cache(key, ttl_seconds, Fn("loader"), args)`, shared by all sessions and reruns. Reads run
//! inside the run, which is already on a blocking thread.

use std::time::Duration;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, NativeCallContext, Position};

use super::context;
use super::options::error;
use crate::datasource::{self, DataSources, FileStamp};

type Res<T> = Result<T, Box<EvalAltResult>>;

pub fn register(engine: &mut Engine) {
    engine.register_fn("read_csv", |ctx: NativeCallContext, name: ImmutableString| {
        read(ctx.call_position(), &name, datasource::read_csv).map(Dynamic::from_array)
    });
    engine.register_fn("read_json", |ctx: NativeCallContext, name: ImmutableString| {
        read(ctx.call_position(), &name, datasource::read_json)
    });
    engine.register_fn("cache", |ctx: NativeCallContext, key: ImmutableString, ttl: i64, loader: FnPtr| {
        cache(&ctx, &key, ttl as f64, loader, Array::new())
    });
    engine.register_fn(
        "cache",
        |ctx: NativeCallContext, key: ImmutableString, ttl: i64, loader: FnPtr, args: Array| {
            cache(&ctx, &key, ttl as f64, loader, args)
        },
    );
    engine.register_fn(
        "cache",
        |ctx: NativeCallContext, key: ImmutableString, ttl: f64, loader: FnPtr, args: Array| {
            cache(&ctx, &key, ttl, loader, args)
        },
    );
    engine.register_fn("cache_clear", || sources().map(|s| s.cache.clear()));
}

fn sources() -> Res<std::sync::Arc<DataSources>> {
    context::with(|c| c.sources.clone())?.ok_or_else(|| "no data folder is configured for this run".into())
}

/// Reads one file of the data folder and notes it for the cache entry being built (if any).
fn read<T>(pos: Position, name: &str, reader: fn(&std::path::Path) -> Result<(T, FileStamp), String>) -> Res<T> {
    let dir = sources()?.dir.clone();
    let fail = |message: String| error(format!("{name}: {message}"), pos);
    let path = datasource::resolve(&dir, name).map_err(fail)?;
    let (value, stamp) = reader(&path).map_err(fail)?;
    context::with(|c| c.file_reads.push(stamp))?;
    Ok(value)
}

/// Returns the cached value of `loader(args)` under `key` and the arguments, running the
/// loader only on a miss. Entries built from data files go when one of the files changes.
fn cache(ctx: &NativeCallContext, key: &str, ttl: f64, loader: FnPtr, args: Array) -> Res<Dynamic> {
    let pos = ctx.call_position();
    let args_json = super::convert::to_json(&Dynamic::from_array(args.clone()), pos)?;
    let full_key = format!("{key}\u{1f}{loader}\u{1f}{args_json}", loader = loader.fn_name());
    let sources = sources()?;
    if let Some(value) = sources.cache.get(&full_key) {
        return Ok(value);
    }
    let mark = context::with(|c| c.file_reads.len())?;
    let value: Dynamic = loader.call_within_context(ctx, args)?;
    if super::convert::to_json(&value, pos).is_err() {
        return Err(error("cache() keeps plain data only (numbers, strings, arrays, maps)".into(), pos));
    }
    let files = context::with(|c| c.file_reads[mark..].to_vec())?;
    let ttl = (ttl > 0.0).then(|| Duration::from_secs_f64(ttl.min(1e9)));
    sources.cache.insert(full_key, value.clone(), ttl, files);
    Ok(value)
}
