//! `file_uploader(label, #{ type, accept_multiple_files, max_size })`: files sent in a plain
//! multipart form (or by the page's script with FormData), checked on the server by
//! `session_state` (type by name and content, size, count). The script gets `()` or a file map
//! `#{ name, size, type, bytes }` (an array of them with `accept_multiple_files`); `read_csv`
//! and `read_parquet` take such a map.

use rhai::{Array, Blob, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};
use serde_json::Value;

use super::input::{COMMON, Widget};
use super::options::{Options, error};
use super::{context, placed};
use crate::page::{ContainerId, Control, FileShown, WidgetKind};
use crate::session_state::{CHECKED_TYPES, WidgetSpec, bytes_of};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// The per-widget cap when `max_size` is not given; the server's own cap applies as well.
const DEFAULT_MAX_SIZE: u64 = 200 * 1024 * 1024;

pub fn register(engine: &mut Engine) {
    placed!(engine, "file_uploader", |t, p, l: ImmutableString| uploader(t, p, l, Map::new()), (label: ImmutableString));
    placed!(engine, "file_uploader", uploader, (label: ImmutableString, opts: Map));
}

fn uploader(target: ContainerId, pos: Position, label: ImmutableString, opts: Map) -> Res<Dynamic> {
    let opts = Options::new(opts, pos, &[COMMON, &["type", "accept_multiple_files", "max_size"]].concat())?;
    let types = match opts.raw("type") {
        Some(one) if one.is_string() => vec![one.to_string()],
        _ => opts.strings("type")?.unwrap_or_default(),
    };
    let types: Vec<String> = types.iter().map(|t| t.trim_start_matches('.').to_ascii_lowercase()).collect();
    if let Some(unknown) = types.iter().find(|t| !CHECKED_TYPES.contains(&t.as_str())) {
        let known = CHECKED_TYPES.join(", ");
        return Err(opts.fail(format!("option `type`: .{unknown} files cannot be checked; use some of {known}")));
    }
    let multiple = opts.bool("accept_multiple_files", false)?;
    let max_size = match opts.int("max_size")? {
        None => DEFAULT_MAX_SIZE,
        Some(n) => u64::try_from(n)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| opts.fail(format!("option `max_size` must be a positive number of bytes, not {n}")))?,
    };
    if let Some(form) = context::with(|c| c.page.containers[target].form.clone())? {
        let message =
            format!("file_uploader() cannot be used inside the form {form:?}: its files are sent on their own");
        return Err(error(message, pos));
    }
    let accept = types.iter().map(|t| format!(".{t}")).collect::<Vec<_>>().join(",");
    let default = if multiple { Value::Array(Vec::new()) } else { Value::Null };
    let spec = WidgetSpec::Files { types, multiple, max_size };
    let widget = Widget { target, pos, kind: WidgetKind::FileUploader, label: &label, opts: &opts, spec, default };
    let value = widget.draw(|v| Control::Files { accept: accept.clone(), multiple, files: shown(v) })?;
    Ok(script_value(&value))
}

fn shown(value: &Value) -> Vec<FileShown> {
    let one = |v: &Value| Some(FileShown { name: v.get("name")?.as_str()?.to_owned(), size: v.get("size")?.as_u64()? });
    match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// The value the script sees: `()`, a file map, or an array of file maps.
fn script_value(value: &Value) -> Dynamic {
    match value {
        Value::Array(items) => Dynamic::from_array(items.iter().map(script_value).collect::<Array>()),
        Value::Object(file) => {
            let mut map = Map::new();
            for key in ["name", "type"] {
                let text = file.get(key).and_then(Value::as_str).unwrap_or_default();
                map.insert(key.into(), Dynamic::from(text.to_owned()));
            }
            let size = file.get("size").and_then(Value::as_u64).unwrap_or(0);
            map.insert("size".into(), Dynamic::from(i64::try_from(size).unwrap_or(i64::MAX)));
            map.insert("bytes".into(), Dynamic::from_blob(bytes_of(file).unwrap_or_default() as Blob));
            Dynamic::from_map(map)
        }
        _ => Dynamic::UNIT,
    }
}

/// The bytes and name of an uploaded file map, for the readers (`read_csv(file)`).
pub fn file_bytes(file: &Map, pos: Position) -> Res<(String, Blob)> {
    let name = file.get("name").map(ToString::to_string).unwrap_or_else(|| "upload".to_owned());
    let bytes = file.get("bytes").and_then(|b| b.clone().try_cast::<Blob>());
    let bytes = bytes.ok_or_else(|| error(format!("{name:?} is not an uploaded file (it has no `bytes`)"), pos))?;
    Ok((name, bytes))
}
