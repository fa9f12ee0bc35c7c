//! Reading untrusted request bodies and query strings: a size cap, strict UTF-8 and strict
//! percent-decoding. A bad body is refused whole; nothing half-parsed reaches the handlers.

use std::collections::BTreeMap;

use actix_web::web;
use futures_util::StreamExt;

use crate::config::UploadLimits;
use crate::error::AppError;
use crate::host::EventPost;
use crate::session_state::{Event, UploadedFile};

/// Most parts one multipart event may have (fields and files).
const MAX_PARTS: usize = 64;

/// Reads the body up to `limit` bytes; more is a 413 without reading the rest.
pub async fn read_body(mut payload: web::Payload, declared: Option<usize>, limit: usize) -> Result<Vec<u8>, AppError> {
    if declared.is_some_and(|len| len > limit) {
        return Err(AppError::PayloadTooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("The request body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Decodes `application/x-www-form-urlencoded` strictly: invalid UTF-8 is an error.
pub fn parse_pairs(raw: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let text = std::str::from_utf8(raw).map_err(|_| AppError::BadRequest("The request is not valid UTF-8.".into()))?;
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

fn decode(raw: &str) -> Result<String, AppError> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| AppError::BadRequest("The request is not valid UTF-8.".into()))
}

/// Query parameters; a repeated name keeps its last value.
pub fn parse_query(raw: &str) -> Result<BTreeMap<String, String>, AppError> {
    Ok(parse_pairs(raw.as_bytes())?.into_iter().collect())
}

/// An event form: `csrf`, `widget`, an optional `event_id` and any number of `value` fields;
/// a form's submit also has `v:{widget id}` fields for the widgets inside the form.
pub fn parse_event(raw: &[u8]) -> Result<EventPost, AppError> {
    event_of(parse_pairs(raw)?)
}

fn event_of(pairs: Vec<(String, String)>) -> Result<EventPost, AppError> {
    let (mut csrf, mut widget, mut values, mut id) = (None, None, Vec::new(), None);
    let mut fields = BTreeMap::<String, Vec<String>>::new();
    for (name, value) in pairs {
        match name.as_str() {
            "csrf" => csrf = Some(value),
            "widget" => widget = Some(value),
            "value" => values.push(value),
            "event_id" => id = Some(checked_event_id(value)?),
            _ => {
                if let Some(id) = name.strip_prefix("v:") {
                    fields.entry(id.to_owned()).or_default().push(value);
                }
            }
        }
    }
    let widget = widget.ok_or_else(|| AppError::BadRequest("The event names no widget.".into()))?;
    Ok(EventPost { csrf, event: Event { widget, values, fields: fields.into_iter().collect(), id, files: Vec::new() } })
}

/// Reads a `multipart/form-data` event (a `file_uploader`'s form): the same fields as
/// [`parse_event`] plus file parts. Each file is capped at `limits.max_file_bytes` while it is
/// read; text fields share the `text_limit`. Nothing is written to disk: files stay in memory
/// and their names are kept only as display names.
pub async fn read_multipart(
    headers: &actix_web::http::header::HeaderMap,
    payload: web::Payload,
    limits: UploadLimits,
    text_limit: usize,
) -> Result<EventPost, AppError> {
    let mut multipart = actix_multipart::Multipart::new(headers, payload);
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    let (mut parts, mut text_bytes) = (0, 0);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(bad_multipart)?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(AppError::BadRequest(format!("The form has more than {MAX_PARTS} parts.")));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad_multipart)?;
            bytes.extend_from_slice(&chunk);
            if file_name.is_some() && bytes.len() > limits.max_file_bytes {
                let shown = file_name.as_deref().unwrap_or_default();
                return Err(AppError::UploadTooLarge(format!(
                    "The file {shown:?} is larger than the {} bytes this server accepts per file.",
                    limits.max_file_bytes
                )));
            }
            if file_name.is_none() && text_bytes + bytes.len() > text_limit {
                return Err(AppError::PayloadTooLarge(text_limit));
            }
        }
        match file_name {
            // A file input with nothing chosen still sends an empty part without a name.
            Some(file) if file.is_empty() && bytes.is_empty() => {}
            Some(file) if name == "file" => files.push(UploadedFile { name: file, bytes }),
            Some(_) => return Err(AppError::BadRequest(format!("Unexpected file field {name:?}."))),
            None => {
                text_bytes += bytes.len();
                let value = String::from_utf8(bytes)
                    .map_err(|_| AppError::BadRequest("The request is not valid UTF-8.".into()))?;
                pairs.push((name, value));
            }
        }
    }
    let mut post = event_of(pairs)?;
    post.event.files = files;
    Ok(post)
}

fn bad_multipart(e: actix_multipart::MultipartError) -> AppError {
    AppError::BadRequest(format!("The multipart form could not be read: {e}"))
}

/// An event id is 8 to 64 letters, digits or dashes (the page's script makes a random one).
fn checked_event_id(id: String) -> Result<String, AppError> {
    let valid = (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid { Ok(id) } else { Err(AppError::BadRequest("The event id is malformed.".into())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_plus_and_percent_escapes() {
        let pairs = parse_pairs(b"widget=text_input%3AName&value=a+b%C3%A9").unwrap();
        assert_eq!(pairs[0], ("widget".into(), "text_input:Name".into()));
        assert_eq!(pairs[1].1, "a bé");
    }

    #[test]
    fn invalid_utf8_raw_or_escaped_is_refused() {
        assert!(parse_pairs(b"value=\xff").is_err());
        assert!(parse_pairs(b"value=%FF").is_err());
    }

    #[test]
    fn an_event_id_is_kept_and_a_malformed_one_is_refused() {
        let post = parse_event(b"csrf=x&widget=button%3AGo&event_id=3f2a-77b1-9c").unwrap();
        assert_eq!(post.event.id.as_deref(), Some("3f2a-77b1-9c"));
        assert!(parse_event(b"csrf=x&widget=button%3AGo&event_id=short").is_err());
        assert!(parse_event(b"csrf=x&widget=button%3AGo&event_id=has+spaces+in+it").is_err());
    }

    #[test]
    fn an_event_without_a_widget_is_refused() {
        assert!(parse_event(b"csrf=x&value=1").is_err());
    }
}
