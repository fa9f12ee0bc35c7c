//! Reading untrusted request bodies and query strings: a size cap, strict UTF-8 and strict
//! percent-decoding. A bad body is refused whole; nothing half-parsed reaches the handlers.

use std::collections::BTreeMap;

use actix_web::web;
use futures_util::StreamExt;

use crate::error::AppError;
use crate::host::EventPost;
use crate::session_state::Event;

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
    let (mut csrf, mut widget, mut values, mut id) = (None, None, Vec::new(), None);
    let mut fields = BTreeMap::<String, Vec<String>>::new();
    for (name, value) in parse_pairs(raw)? {
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
    Ok(EventPost { csrf, event: Event { widget, values, fields: fields.into_iter().collect(), id } })
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
