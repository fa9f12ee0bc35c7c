//! Data for scripts: `read_csv`, `read_parquet`, `read_json` and `read_ndjson` from the data
//! folder (data frames), and `cache(key, ttl_seconds, Fn("loader"), args)`, shared by all
//! sessions and reruns and loaded once. Reads run inside the run, which is already on a
//! blocking thread.

use std::path::Path;
use std::time::Duration;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, Map, NativeCallContext, Position};

use super::context;
use super::deadline::Loading;
use super::options::{Options, error};
use crate::datasource::{self, DataSources, FileStamp, Lookup};
use crate::frame::{self, Caps, Frame, ReadOptions};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// A reader of one file kind: the resolved path and the script's options (a bad option is the
/// outer error) -> a frame, or why the file could not be read.
type Reader = fn(&Path, &Options, Caps) -> Res<Result<Frame, String>>;
/// The option names a reader takes.
type Allowed = &'static [&'static str];

pub fn register(engine: &mut Engine, caps: Caps) {
    let readers: [(&str, Reader, Allowed); 3] = [
        ("read_csv", read_csv, &["separator", "header", "columns", "parse_dates"]),
        ("read_parquet", read_parquet, &["columns"]),
        ("read_ndjson", read_ndjson, &["columns"]),
    ];
    for (name, reader, allowed) in readers {
        engine.register_fn(name, move |ctx: NativeCallContext, file: ImmutableString| {
            read_frame(ctx.call_position(), &file, Map::new(), caps, (reader, allowed))
        });
        engine.register_fn(name, move |ctx: NativeCallContext, file: ImmutableString, opts: Map| {
            read_frame(ctx.call_position(), &file, opts, caps, (reader, allowed))
        });
    }
    // An uploaded file (a `file_uploader` value) is read from its bytes, never from disk.
    engine.register_fn("read_csv", move |ctx: NativeCallContext, file: Map| {
        read_upload(ctx.call_position(), &file, Map::new(), caps, UploadKind::Csv)
    });
    engine.register_fn("read_csv", move |ctx: NativeCallContext, file: Map, opts: Map| {
        read_upload(ctx.call_position(), &file, opts, caps, UploadKind::Csv)
    });
    engine.register_fn("read_parquet", move |ctx: NativeCallContext, file: Map| {
        read_upload(ctx.call_position(), &file, Map::new(), caps, UploadKind::Parquet)
    });
    engine.register_fn("read_parquet", move |ctx: NativeCallContext, file: Map, opts: Map| {
        read_upload(ctx.call_position(), &file, opts, caps, UploadKind::Parquet)
    });
    engine.register_fn("read_json", move |ctx: NativeCallContext, name: ImmutableString| {
        read_json_value(ctx.call_position(), &name, caps)
    });
    engine.register_fn("read_json", move |ctx: NativeCallContext, name: ImmutableString, opts: Map| {
        read_frame(ctx.call_position(), &name, opts, caps, (read_json, &["columns"]))
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

/// The real path of a data file, noted for the cache entry being built (if any).
fn data_file(pos: Position, name: &str) -> Res<std::path::PathBuf> {
    let dir = sources()?.dir.clone();
    let path = datasource::resolve(&dir, name).map_err(|m| error(format!("{name}: {m}"), pos))?;
    let stamp = FileStamp::of(&path).map_err(|e| error(format!("{name}: cannot read the file: {e}"), pos))?;
    context::with(|c| c.file_reads.push(stamp))?;
    Ok(path)
}

fn read_frame(pos: Position, name: &str, opts: Map, caps: Caps, (reader, allowed): (Reader, Allowed)) -> Res<Frame> {
    let path = data_file(pos, name)?;
    reader(&path, &Options::new(opts, pos, allowed)?, caps)?.map_err(|message| error(format!("{name}: {message}"), pos))
}

#[derive(Clone, Copy)]
enum UploadKind {
    Csv,
    Parquet,
}

fn read_upload(pos: Position, file: &Map, opts: Map, caps: Caps, kind: UploadKind) -> Res<Frame> {
    let (name, bytes) = super::uploads::file_bytes(file, pos)?;
    let read = match kind {
        UploadKind::Csv => {
            let opts = Options::new(opts, pos, &["separator", "header", "columns", "parse_dates"])?;
            csv_options(&opts)?.and_then(|options| frame::read_csv_bytes(bytes, &options, caps))
        }
        UploadKind::Parquet => {
            let opts = Options::new(opts, pos, &["columns"])?;
            frame::read_parquet_bytes(bytes, opts.strings("columns")?.as_deref(), caps)
        }
    };
    read.map_err(|message| error(format!("{name}: {message}"), pos))
}

fn read_csv(path: &Path, opts: &Options, caps: Caps) -> Res<Result<Frame, String>> {
    Ok(csv_options(opts)?.and_then(|options| frame::read_csv(path, &options, caps)))
}

/// `read_csv`'s options; a bad separator is the inner error (a message at the call).
fn csv_options(opts: &Options) -> Res<Result<ReadOptions, String>> {
    let defaults = ReadOptions::default();
    let separator = match opts.string("separator")? {
        None => defaults.separator,
        Some(s) if s.len() == 1 && s.is_ascii() => s.as_bytes()[0],
        Some(s) => return Ok(Err(format!("option `separator` must be one ASCII character, not {s:?}"))),
    };
    let options = ReadOptions {
        separator,
        has_header: opts.bool("header", defaults.has_header)?,
        columns: opts.strings("columns")?,
        parse_dates: opts.bool("parse_dates", defaults.parse_dates)?,
    };
    Ok(Ok(options))
}

fn read_parquet(path: &Path, opts: &Options, caps: Caps) -> Res<Result<Frame, String>> {
    Ok(frame::read_parquet(path, opts.strings("columns")?.as_deref(), caps))
}

fn read_json(path: &Path, opts: &Options, caps: Caps) -> Res<Result<Frame, String>> {
    Ok(frame::read_json(path, opts.strings("columns")?.as_deref(), caps))
}

fn read_ndjson(path: &Path, opts: &Options, caps: Caps) -> Res<Result<Frame, String>> {
    Ok(frame::read_ndjson(path, opts.strings("columns")?.as_deref(), caps))
}

/// `read_json(name)`: a file holding an array of objects is a table and becomes a frame; any
/// other JSON (a settings object, a list of numbers) is returned as script values, as before.
fn read_json_value(pos: Position, name: &str, caps: Caps) -> Res<Dynamic> {
    let path = data_file(pos, name)?;
    let fail = |message: String| error(format!("{name}: {message}"), pos);
    if datasource::holds_json_table(&path).map_err(fail)? {
        return frame::read_json(&path, None, caps).map(Dynamic::from).map_err(fail);
    }
    datasource::read_json(&path).map(|(value, _)| value).map_err(fail)
}

/// Returns the cached value of `loader(args)` under `key` and the arguments, running the
/// loader only on a miss, once for all runs that miss at the same time (the others wait for
/// it). Waiting and loading count against `max_load_ms`, not the run's time. Entries built
/// from data files go when one of the files changes.
fn cache(ctx: &NativeCallContext, key: &str, ttl: f64, loader: FnPtr, args: Array) -> Res<Dynamic> {
    let pos = ctx.call_position();
    let args_json = super::convert::to_json(&Dynamic::from_array(args.clone()), pos)?;
    let full_key = format!("{key}\u{1f}{loader}\u{1f}{args_json}", loader = loader.fn_name());
    let sources = sources()?;
    let loading = Loading::start();
    let wait = loading.remaining().unwrap_or_default();
    let _claim = match sources.cache.lookup(&full_key, wait) {
        Lookup::Hit(value) => return Ok(value),
        Lookup::Miss(claim) => claim,
    };
    let mark = context::with(|c| c.file_reads.len())?;
    let value: Dynamic = loader.call_within_context(ctx, args)?;
    let bytes = cached_size(&value, pos)?;
    let files = context::with(|c| c.file_reads[mark..].to_vec())?;
    let ttl = (ttl > 0.0).then(|| Duration::from_secs_f64(ttl.min(1e9)));
    sources.cache.insert(full_key, value.clone(), ttl, files, bytes);
    Ok(value)
}

/// The size a cached value is counted with: a frame's estimate, or plain data's JSON length.
fn cached_size(value: &Dynamic, pos: Position) -> Res<usize> {
    if let Some(frame) = value.read_lock::<Frame>() {
        return Ok(frame.estimated_bytes());
    }
    match super::convert::to_json(value, pos) {
        Ok(json) => Ok(json.to_string().len()),
        Err(_) => {
            Err(error("cache() keeps data frames and plain data only (numbers, strings, arrays, maps)".into(), pos))
        }
    }
}
