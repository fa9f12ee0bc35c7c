//! A streamed response read as it arrives: server-sent events (`text/event-stream`, one chunk
//! per event) or any other body as text chunks (UTF-8 kept whole across network reads).
//! [`ChunkStream`] hands the chunks to a blocking caller (a script's run) one by one while the
//! runtime keeps reading; dropping it stops the download.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

use super::http::HttpError;

/// One piece of a streamed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The event's data (its `data:` lines joined by newlines), or a piece of a text body.
    pub data: String,
    /// The event's `event:` name (server-sent events only).
    pub event: Option<String>,
    /// The event's `id:` (server-sent events only).
    pub id: Option<String>,
}

impl Chunk {
    fn text(data: String) -> Self {
        Self { data, event: None, id: None }
    }
}

/// Turns the bytes of a body, as they arrive, into chunks.
pub enum Decoder {
    Events(EventParser),
    Text(TextDecoder),
}

impl Decoder {
    /// Server-sent events for `text/event-stream`, text pieces for anything else.
    pub fn for_content_type(content_type: Option<&str>) -> Self {
        let is_events = content_type.is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("text/event-stream"));
        if is_events { Self::Events(EventParser::default()) } else { Self::Text(TextDecoder::default()) }
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Chunk> {
        match self {
            Self::Events(parser) => parser.feed(bytes),
            Self::Text(decoder) => decoder.feed(bytes).map(Chunk::text).into_iter().collect(),
        }
    }

    /// What is left when the body ends (an event without its closing blank line is dropped,
    /// as the SSE standard says).
    pub fn finish(&mut self) -> Option<Chunk> {
        match self {
            Self::Events(_) => None,
            Self::Text(decoder) => decoder.finish().map(Chunk::text),
        }
    }
}

/// UTF-8 text from bytes split anywhere: an incomplete character waits for the next read.
#[derive(Default)]
pub struct TextDecoder {
    pending: Vec<u8>,
}

impl TextDecoder {
    pub fn feed(&mut self, bytes: &[u8]) -> Option<String> {
        self.pending.extend_from_slice(bytes);
        let complete = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // An error at the very end may be a character cut in two: keep its bytes.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let rest = self.pending.split_off(complete);
        let text = String::from_utf8_lossy(&std::mem::replace(&mut self.pending, rest)).into_owned();
        (!text.is_empty()).then_some(text)
    }

    pub fn finish(&mut self) -> Option<String> {
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned();
        (!text.is_empty()).then_some(text)
    }
}

/// The server-sent events format: `field: value` lines, an event ends at a blank line.
#[derive(Default)]
pub struct EventParser {
    text: TextDecoder,
    /// The start of a line whose end has not arrived yet.
    line: String,
    /// The last read ended in `\r`: a `\n` starting the next one belongs to that line end.
    after_cr: bool,
    data: Option<String>,
    event: Option<String>,
    id: Option<String>,
}

impl EventParser {
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Chunk> {
        let Some(text) = self.text.feed(bytes) else { return Vec::new() };
        let mut events = Vec::new();
        for c in text.chars() {
            let after_cr = std::mem::replace(&mut self.after_cr, c == '\r');
            match c {
                '\n' if after_cr => {}
                '\r' | '\n' => events.extend(self.end_line()),
                c => self.line.push(c),
            }
        }
        events
    }

    /// Applies one complete line; a blank one ends the event.
    fn end_line(&mut self) -> Option<Chunk> {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            let data = self.data.take();
            let (event, id) = (self.event.take(), self.id.clone());
            return data.map(|data| Chunk { data, event, id });
        }
        let (field, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "event" => self.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            // Comments (`: …`), `retry` and unknown fields change nothing here.
            _ => {}
        }
        None
    }
}

/// What the reading task sends: a chunk, the end, or why it stopped.
pub(super) type Piece = Result<Option<Chunk>, HttpError>;

/// The chunks of a streamed response, in order, each as soon as it has arrived. Iterating
/// blocks the calling thread (never call it on an async worker). The whole stream is bounded by
/// the call's timeout and the response size cap; dropping the stream ends the download.
pub struct ChunkStream {
    pub(super) pieces: Receiver<Piece>,
    pub(super) until: Instant,
    pub(super) timeout_ms: u128,
    pub(super) task: tokio::task::AbortHandle,
    pub(super) done: bool,
    /// The response's status code.
    pub status: u16,
}

impl Iterator for ChunkStream {
    type Item = Result<Chunk, HttpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let waited = self.pieces.recv_timeout(self.until.saturating_duration_since(Instant::now()));
        let item = match waited {
            Ok(Ok(Some(chunk))) => return Some(Ok(chunk)),
            Ok(Ok(None)) => None,
            Ok(Err(error)) => Some(Err(error)),
            Err(RecvTimeoutError::Timeout) => Some(Err(HttpError::Timeout(self.timeout_ms))),
            Err(RecvTimeoutError::Disconnected) => Some(Err(HttpError::Failed("the download stopped".into()))),
        };
        self.done = true;
        self.task.abort();
        item
    }
}

impl Drop for ChunkStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(pieces: &[&[u8]]) -> Vec<Chunk> {
        let mut decoder = Decoder::for_content_type(Some("text/event-stream; charset=utf-8"));
        pieces.iter().flat_map(|p| decoder.feed(p)).collect()
    }

    #[test]
    fn events_end_at_a_blank_line_whatever_the_line_ends_and_the_reads() {
        let got =
            events(&[b"data: one\r", b"\n\r\ndata: tw", b"o\ndata: lines\n", b"\nevent: done\nid: 7\ndata:x\n\n"]);
        let data: Vec<&str> = got.iter().map(|c| c.data.as_str()).collect();
        assert_eq!(data, ["one", "two\nlines", "x"]);
        assert_eq!((got[2].event.as_deref(), got[2].id.as_deref()), (Some("done"), Some("7")));
    }

    #[test]
    fn comments_and_unfinished_events_give_no_chunk() {
        let mut decoder = Decoder::for_content_type(Some("text/event-stream"));
        assert!(decoder.feed(b": keep-alive\n\nretry: 10\n\ndata: cut").is_empty());
        assert_eq!(decoder.finish(), None);
    }

    #[test]
    fn text_chunks_keep_a_character_split_between_reads_whole() {
        let mut decoder = Decoder::for_content_type(Some("text/plain"));
        let euro = "€".as_bytes();
        assert_eq!(decoder.feed(&[b'a', euro[0]]), vec![Chunk::text("a".into())]);
        assert_eq!(decoder.feed(&euro[1..]), vec![Chunk::text("€".into())]);
        assert_eq!(decoder.feed(&[0xff, b'b']), vec![Chunk::text("\u{fffd}b".into())]);
    }
}
