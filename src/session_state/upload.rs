//! Uploaded files: the checks a file passes before it becomes a `file_uploader` value (its
//! type by name *and* by content, its size, how many), and the value kept for it.
//!
//! A file's value is a JSON object `{name, size, type, bytes}` (bytes in base64) kept in the
//! widget's record, so uploads live server-side with the session in either store and go when
//! the widget is cleared, not drawn, or the session is reset. The name is only a display name:
//! nothing here or elsewhere writes an upload to the file system.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// One file part of a multipart event, as the browser sent it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadedFile {
    /// The browser's file name (a display name only).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The value a browser sends to remove the uploaded files (the Clear button).
pub const CLEAR: &str = "clear";

/// The longest display name kept; longer names are cut.
const MAX_NAME_CHARS: usize = 200;

/// Checks the files of an event against the widget's spec and returns its new value:
/// `null` (no file), one file object, or an array of them when `multiple`.
pub fn parse_files(
    types: &[String],
    multiple: bool,
    max_size: u64,
    raw: &[String],
    files: &[UploadedFile],
) -> Result<Value, String> {
    if raw.iter().any(|r| r == CLEAR) || files.is_empty() {
        return Ok(if multiple { Value::Array(Vec::new()) } else { Value::Null });
    }
    if !multiple && files.len() > 1 {
        return Err(format!("this uploader takes one file, got {}", files.len()));
    }
    let values = files.iter().map(|f| file_value(types, max_size, f)).collect::<Result<Vec<_>, _>>()?;
    Ok(if multiple { Value::Array(values) } else { values.into_iter().next().unwrap_or(Value::Null) })
}

fn file_value(types: &[String], max_size: u64, file: &UploadedFile) -> Result<Value, String> {
    let name = display_name(&file.name);
    let size = file.bytes.len() as u64;
    if size > max_size {
        return Err(format!("{name:?} is {size} bytes; this uploader takes files of at most {max_size} bytes"));
    }
    let extension = extension_of(&name).ok_or_else(|| format!("{name:?} has no file extension"))?;
    if !types.is_empty() && !types.contains(&extension) {
        return Err(format!("{name:?} is not one of the accepted types ({})", types.join(", ")));
    }
    let mime = content_type(&extension, &file.bytes)?;
    Ok(json!({ "name": name, "size": size, "type": mime, "bytes": STANDARD.encode(&file.bytes) }))
}

/// The browser's name without any folder part or control characters, cut to a sane length.
fn display_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    if clean.is_empty() { "upload".to_owned() } else { clean }
}

/// The lower-case extension of a name, if it has one.
pub fn extension_of(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// The media type of a file whose content matches its extension; a mismatch is an error.
/// Text types must be valid UTF-8 without NUL bytes; binary types must carry their magic bytes.
pub fn content_type(extension: &str, bytes: &[u8]) -> Result<&'static str, String> {
    let text = |mime: &'static str| {
        let valid = std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0);
        if valid { Ok(mime) } else { Err(format!("the content of this .{extension} file is not UTF-8 text")) }
    };
    let magic = |check: fn(&[u8]) -> bool, mime: &'static str| {
        if check(bytes) { Ok(mime) } else { Err(format!("the content of this .{extension} file is not {extension}")) }
    };
    match extension {
        "csv" => text("text/csv"),
        "tsv" => text("text/tab-separated-values"),
        "txt" => text("text/plain"),
        "json" => text("application/json"),
        "png" => magic(infer::image::is_png, "image/png"),
        "jpg" | "jpeg" => magic(infer::image::is_jpeg, "image/jpeg"),
        "gif" => magic(infer::image::is_gif, "image/gif"),
        "webp" => magic(infer::image::is_webp, "image/webp"),
        "pdf" => magic(infer::archive::is_pdf, "application/pdf"),
        "parquet" => magic(is_parquet, "application/vnd.apache.parquet"),
        other => Err(format!("files of type .{other} cannot be uploaded")),
    }
}

/// The file types `file_uploader` can check by content.
pub const CHECKED_TYPES: &[&str] =
    &["csv", "tsv", "txt", "json", "png", "jpg", "jpeg", "gif", "webp", "pdf", "parquet"];

fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1")
}

/// Whether a stored value has the shape of a file value (or of no file).
pub fn is_file_value(value: &Value, multiple: bool) -> bool {
    match value {
        Value::Null => !multiple,
        Value::Array(items) => multiple && items.iter().all(is_one_file),
        one => !multiple && is_one_file(one),
    }
}

fn is_one_file(value: &Value) -> bool {
    let Some(map) = value.as_object() else { return false };
    ["name", "type", "bytes"].iter().all(|k| map.get(*k).is_some_and(Value::is_string))
        && map.get("size").is_some_and(Value::is_u64)
}

/// The bytes a stored file value holds (0 for anything else).
pub fn stored_size(value: &Value) -> u64 {
    match value {
        Value::Array(items) => items.iter().map(stored_size).sum(),
        Value::Object(map) if is_one_file(value) => map.get("size").and_then(Value::as_u64).unwrap_or(0),
        _ => 0,
    }
}

/// Decodes the bytes of a stored file value.
pub fn bytes_of(file: &Map<String, Value>) -> Option<Vec<u8>> {
    STANDARD.decode(file.get("bytes")?.as_str()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> UploadedFile {
        UploadedFile { name: name.into(), bytes: bytes.to_vec() }
    }

    #[test]
    fn a_csv_is_kept_with_its_name_size_and_type() {
        let types = vec!["csv".to_owned()];
        let value = parse_files(&types, false, 100, &[], &[file("a.csv", b"x,y\n1,2\n")]).unwrap();
        assert_eq!(value["name"], "a.csv");
        assert_eq!(value["size"], 8);
        assert_eq!(value["type"], "text/csv");
        assert_eq!(bytes_of(value.as_object().unwrap()).unwrap(), b"x,y\n1,2\n");
    }

    #[test]
    fn a_folder_in_the_name_is_dropped() {
        let value = parse_files(&[], false, 100, &[], &[file("../../etc/passwd.csv", b"a\n")]).unwrap();
        assert_eq!(value["name"], "passwd.csv");
        let value = parse_files(&[], false, 100, &[], &[file("..\\..\\x.csv", b"a\n")]).unwrap();
        assert_eq!(value["name"], "x.csv");
    }

    #[test]
    fn content_must_match_the_extension() {
        assert!(content_type("png", b"x,y\n1,2\n").is_err());
        assert!(content_type("csv", &[0x89, b'P', b'N', b'G', 0, 0xff]).is_err());
        assert_eq!(content_type("png", b"\x89PNG\r\n\x1a\n rest").unwrap(), "image/png");
        assert!(content_type("exe", b"MZ").is_err());
    }

    #[test]
    fn wrong_type_too_big_and_too_many_are_refused() {
        let types = vec!["csv".to_owned()];
        assert!(parse_files(&types, false, 100, &[], &[file("a.txt", b"a")]).is_err());
        assert!(parse_files(&types, false, 3, &[], &[file("a.csv", b"abcd")]).is_err());
        assert!(parse_files(&types, false, 100, &[], &[file("a.csv", b"a"), file("b.csv", b"b")]).is_err());
        let two = parse_files(&types, true, 100, &[], &[file("a.csv", b"a"), file("b.csv", b"b")]).unwrap();
        assert_eq!(stored_size(&two), 2);
    }

    #[test]
    fn clear_or_no_file_empties_the_widget() {
        let clear = [CLEAR.to_owned()];
        assert_eq!(parse_files(&[], false, 9, &clear, &[file("a.csv", b"a")]).unwrap(), Value::Null);
        assert_eq!(parse_files(&[], true, 9, &[], &[]).unwrap(), Value::Array(vec![]));
    }
}
