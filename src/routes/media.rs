//! Data-folder media under per-session URLs: `GET /media/{token}/{name}` answers the file, or
//! one byte range of it (`Range: bytes=a-b`, `a-` or `-n`: 206 with `Content-Range`; 416 for a
//! range that is malformed, lists several ranges, or starts past the end). The body is read in
//! chunks on blocking threads, so a long video never sits in memory whole.

use actix_identity::Identity;
use actix_session::Session;
use actix_web::http::header::{ACCEPT_RANGES, CACHE_CONTROL, CONTENT_RANGE, RANGE};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

use super::AppState;
use super::browser::HttpSession;
use crate::datasource::{MediaFile, read_range};
use crate::error::AppError;

/// Bytes read from the file per chunk of the body.
const CHUNK: u64 = 256 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/media/{token}/{name:.+}", web::get().to(media));
}

async fn media(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    session: Session,
    identity: Option<Identity>,
    app: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (token, name) = path.into_inner();
    let session = HttpSession::new(&req, session, identity, &app);
    let file = app.host.media_file(&session, &token, &name).await?;
    let range = match req.headers().get(RANGE) {
        Some(value) => Some(parse_range(value.to_str().unwrap_or_default(), file.len)?),
        None => None,
    };
    let (start, end) = range.unwrap_or((0, file.len));
    let mut answer = if range.is_some() { HttpResponse::PartialContent() } else { HttpResponse::Ok() };
    if range.is_some() {
        answer.insert_header((CONTENT_RANGE, format!("bytes {start}-{}/{}", end.saturating_sub(1), file.len)));
    }
    Ok(answer
        .content_type(file.mime)
        .insert_header((ACCEPT_RANGES, "bytes"))
        // The URL is good for this session only; it must not be kept by shared caches.
        .insert_header((CACHE_CONTROL, "private, max-age=300"))
        .no_chunking(end - start)
        .streaming(body(file, start, end)))
}

/// The bytes `start..end` of the file, one chunk at a time.
fn body(
    file: MediaFile,
    start: u64,
    end: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + 'static {
    let path = std::sync::Arc::new(file.path);
    futures_util::stream::unfold(start, move |at| {
        let path = path.clone();
        async move {
            if at >= end {
                return None;
            }
            let until = (at + CHUNK).min(end);
            let chunk = web::block(move || read_range(&path, at, until)).await;
            // An error ends the body early; the client sees a short answer and may retry.
            let chunk = match chunk {
                Ok(Ok(bytes)) if bytes.len() as u64 == until - at => Ok(Bytes::from(bytes)),
                Ok(Ok(_)) => Err(std::io::Error::other("the media file shrank while it was sent")),
                Ok(Err(e)) => Err(e),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            Some((chunk, until))
        }
    })
}

/// One range of a `Range` header as `start..end` (end exclusive) of a file of `len` bytes.
pub fn parse_range(header: &str, len: u64) -> Result<(u64, u64), AppError> {
    let bad = || AppError::RangeNotSatisfiable(len);
    let spec = header.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    if spec.contains(',') {
        return Err(bad());
    }
    let (first, last) = spec.split_once('-').ok_or_else(bad)?;
    let number = |text: &str| text.trim().parse::<u64>().map_err(|_| bad());
    let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
        // `-n`: the last n bytes.
        (true, false) => {
            let n = number(last)?;
            if n == 0 {
                return Err(bad());
            }
            (len.saturating_sub(n), len)
        }
        (false, true) => (number(first)?, len),
        (false, false) => {
            let (a, b) = (number(first)?, number(last)?);
            if b < a {
                return Err(bad());
            }
            (a, b.saturating_add(1).min(len))
        }
        (true, true) => return Err(bad()),
    };
    if start >= len {
        return Err(bad());
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_has_them() {
        assert_eq!(parse_range("bytes=0-99", 1000).ok(), Some((0, 100)));
        assert_eq!(parse_range("bytes=900-", 1000).ok(), Some((900, 1000)));
        assert_eq!(parse_range("bytes=-100", 1000).ok(), Some((900, 1000)));
        assert_eq!(parse_range("bytes=990-5000", 1000).ok(), Some((990, 1000)));
        assert_eq!(parse_range("bytes=-5000", 1000).ok(), Some((0, 1000)));
    }

    #[test]
    fn ranges_that_cannot_be_answered_are_refused() {
        for header in ["bytes=1000-", "bytes=5-2", "bytes=a-b", "items=0-1", "bytes=0-1,5-6", "bytes=-", "bytes=-0"] {
            assert!(matches!(parse_range(header, 1000), Err(AppError::RangeNotSatisfiable(1000))), "{header}");
        }
    }
}
