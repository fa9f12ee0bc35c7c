//! Calling HTTP services from scripts (README "Calling HTTP services"):
//! `http_get(url, #{ headers, query, timeout_ms })` and `http_post(url, body, #{ … })` answer
//! `#{ status, ok, url, headers, text, json }`; `http_stream(url, #{ method, body, … })` reads a
//! streamed answer (server-sent events or chunked text) into an array of chunks, or calls a
//! function with each chunk as it arrives. Every call counts against the run's budget and the
//! run's remaining time; a refused or failed call is an error at the script line.
//! `http_stream_open(url, #{ …, field })` opens a streamed answer as a [`TokenStream`] for
//! `write_stream`: one token per event (or text piece), `data: [DONE]` ends it, and `field`
//! picks the token out of JSON events (`"choices.0.delta.content"`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, Map, NativeCallContext, Position};

use super::context;
use super::options::{Options, error};
use super::{convert, deadline};
use crate::services::{Body, ChunkStream, HttpError, Method, Request, Response, Services};

type Res<T> = Result<T, Box<EvalAltResult>>;

const CALL_OPTIONS: &[&str] = &["headers", "query", "timeout_ms"];
const STREAM_OPTIONS: &[&str] = &["method", "body", "headers", "query", "timeout_ms"];
const OPEN_OPTIONS: &[&str] = &["method", "body", "headers", "query", "timeout_ms", "field"];

pub fn register(engine: &mut Engine) {
    engine.register_fn("http_get", |ctx: NativeCallContext, url: ImmutableString| {
        get(ctx.call_position(), &url, Map::new())
    });
    engine.register_fn("http_get", |ctx: NativeCallContext, url: ImmutableString, opts: Map| {
        get(ctx.call_position(), &url, opts)
    });
    engine.register_fn("http_post", |ctx: NativeCallContext, url: ImmutableString, body: Dynamic| {
        post(ctx.call_position(), &url, body, Map::new())
    });
    engine.register_fn("http_post", |ctx: NativeCallContext, url: ImmutableString, body: Dynamic, opts: Map| {
        post(ctx.call_position(), &url, body, opts)
    });
    engine.register_fn("http_stream", |ctx: NativeCallContext, url: ImmutableString| {
        collect(ctx.call_position(), &url, Map::new())
    });
    engine.register_fn("http_stream", |ctx: NativeCallContext, url: ImmutableString, opts: Map| {
        collect(ctx.call_position(), &url, opts)
    });
    engine.register_fn("http_stream", |ctx: NativeCallContext, url: ImmutableString, opts: Map, each: FnPtr| {
        each_chunk(&ctx, &url, opts, &each)
    });
    engine.register_type_with_name::<TokenStream>("TokenStream");
    engine.register_fn("http_stream_open", |ctx: NativeCallContext, url: ImmutableString| {
        open(ctx.call_position(), &url, Map::new())
    });
    engine.register_fn("http_stream_open", |ctx: NativeCallContext, url: ImmutableString, opts: Map| {
        open(ctx.call_position(), &url, opts)
    });
}

fn get(pos: Position, url: &str, opts: Map) -> Res<Map> {
    let opts = Options::new(opts, pos, CALL_OPTIONS)?;
    let request = request(&opts, Method::GET, url, None)?;
    let response = call(pos, "http_get", |services| services.http.send(request))?;
    Ok(answer(response))
}

fn post(pos: Position, url: &str, body: Dynamic, opts: Map) -> Res<Map> {
    let opts = Options::new(opts, pos, CALL_OPTIONS)?;
    let body = body_of(&body, pos)?;
    let request = request(&opts, Method::POST, url, body)?;
    let response = call(pos, "http_post", |services| services.http.send(request))?;
    Ok(answer(response))
}

/// `http_stream(url, opts)`: every chunk, once the answer is complete.
fn collect(pos: Position, url: &str, opts: Map) -> Res<Array> {
    let request = stream_request(pos, url, opts)?;
    let chunks = call(pos, "http_stream", |services| services.http.stream(request))?;
    chunks.map(|chunk| chunk.map(|c| Dynamic::from(c.data)).map_err(|e| failed("http_stream", &e, pos))).collect()
}

/// `http_stream(url, opts, |chunk| …)`: calls the function with each chunk as it arrives (what
/// it draws shows at once in a watched run); answers how many chunks there were.
fn each_chunk(ctx: &NativeCallContext, url: &str, opts: Map, each: &FnPtr) -> Res<i64> {
    let pos = ctx.call_position();
    let request = stream_request(pos, url, opts)?;
    let chunks = call(pos, "http_stream", |services| services.http.stream(request))?;
    let mut count = 0;
    for chunk in chunks {
        let chunk = chunk.map_err(|e| failed("http_stream", &e, pos))?;
        let _ = each.call_within_context::<Dynamic>(ctx, (chunk.data,))?;
        // What the function drew with this chunk is shown while the next one is awaited.
        super::live::flush(pos)?;
        count += 1;
    }
    Ok(count)
}

fn stream_request(pos: Position, url: &str, opts: Map) -> Res<Request> {
    stream_request_of(&Options::new(opts, pos, STREAM_OPTIONS)?, pos, url)
}

fn stream_request_of(opts: &Options, pos: Position, url: &str) -> Res<Request> {
    let method = match opts.string("method")?.map(|m| m.to_ascii_uppercase()).as_deref() {
        None | Some("GET") => Method::GET,
        Some("POST") => Method::POST,
        Some(other) => return Err(opts.fail(format!("option `method` is \"GET\" or \"POST\", not {other:?}"))),
    };
    let body = opts.raw("body").map(|b| body_of(b, pos)).transpose()?.flatten();
    if body.is_some() && method == Method::GET {
        return Err(opts.fail("a `body` is sent with method: \"POST\"".into()));
    }
    request(opts, method, url, body)
}

/// A streamed answer being read, token by token, by `write_stream`. Cloning shares it.
#[derive(Clone)]
pub struct TokenStream {
    chunks: Arc<Mutex<Option<ChunkStream>>>,
    /// The path of the token inside JSON events (`["choices", "0", "delta", "content"]`).
    field: Option<Arc<[String]>>,
}

/// `http_stream_open(url, opts)`: makes the call (from the run's budget) and checks its status;
/// the body is read by whoever takes the tokens.
fn open(pos: Position, url: &str, opts: Map) -> Res<TokenStream> {
    let opts = Options::new(opts, pos, OPEN_OPTIONS)?;
    let field = match opts.string("field")? {
        Some(path) if path.split('.').any(str::is_empty) => {
            return Err(
                opts.fail(format!("option `field` is a path such as \"choices.0.delta.content\", not {path:?}"))
            );
        }
        Some(path) => Some(path.split('.').map(str::to_owned).collect()),
        None => None,
    };
    let request = stream_request_of(&opts, pos, url)?;
    let chunks = call(pos, "http_stream_open", |services| services.http.stream(request))?;
    if !(200..300).contains(&chunks.status) {
        return Err(error(format!("http_stream_open: the service answered with status {}", chunks.status), pos));
    }
    Ok(TokenStream { chunks: Arc::new(Mutex::new(Some(chunks))), field })
}

impl TokenStream {
    /// The next token, waiting for it; `None` once the answer ended (or sent `[DONE]`).
    /// Events without the `field` (a role, a finish reason) give no token and are passed over.
    pub(super) fn next_token(&self, pos: Position) -> Res<Option<String>> {
        let mut chunks = self.chunks.lock().map_err(|_| error("write_stream: the stream broke".into(), pos))?;
        while let Some(stream) = chunks.as_mut() {
            let data = match stream.next() {
                Some(Ok(chunk)) => chunk.data,
                Some(Err(e)) => return Err(failed("write_stream", &e, pos)),
                None => break,
            };
            if data.trim() == "[DONE]" {
                break;
            }
            match self.pick(&data, pos)? {
                Some(token) if !token.is_empty() => return Ok(Some(token)),
                _ => {}
            }
        }
        // Dropping the stream ends the download.
        *chunks = None;
        Ok(None)
    }

    /// The token of one event: the whole data, or the `field` of its JSON.
    fn pick(&self, data: &str, pos: Position) -> Res<Option<String>> {
        let Some(path) = &self.field else { return Ok(Some(data.to_owned())) };
        let json: serde_json::Value = serde_json::from_str(data).map_err(|_| {
            let start: String = data.chars().take(40).collect();
            error(format!("write_stream: an event is not JSON, so it has no `{}`: {start:?}", path.join(".")), pos)
        })?;
        let found = path.iter().try_fold(&json, |value, step| match value {
            serde_json::Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
            other => other.get(step.as_str()),
        });
        Ok(match found {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(text)) => Some(text.clone()),
            Some(other) => Some(other.to_string()),
        })
    }
}

/// Takes a call from the run's budget, then makes it without holding the run's context (a
/// call takes time, and a chunk's function draws into the page).
fn call<T>(pos: Position, name: &str, make: impl FnOnce(&Services) -> Result<T, HttpError>) -> Res<T> {
    let services: Arc<Services> = context::try_with(|c| match c.services.as_mut() {
        Some(run) => run.call().map_err(|e| failed(name, &e, pos)),
        None => Err(error(format!("{name}: HTTP calls are not available in this run"), pos)),
    })?;
    make(&services).map_err(|e| failed(name, &e, pos))
}

fn failed(name: &str, e: &HttpError, pos: Position) -> Box<EvalAltResult> {
    error(format!("{name}: {e}"), pos)
}

/// The request of a call, with the options every call takes.
fn request(opts: &Options, method: Method, url: &str, body: Option<Body>) -> Res<Request> {
    let timeout = match opts.int("timeout_ms")? {
        Some(ms) if ms < 1 => return Err(opts.fail(format!("option `timeout_ms` must be at least 1, not {ms}"))),
        Some(ms) => Some(Duration::from_millis(ms.unsigned_abs())),
        None => None,
    };
    // A call never outlasts the run's own time limit.
    let timeout = match (timeout, deadline::remaining()) {
        (Some(asked), Some(left)) => Some(asked.min(left)),
        (asked, left) => asked.or(left),
    };
    Ok(Request {
        method,
        url: url.to_owned(),
        headers: pairs(opts, "headers")?,
        query: pairs(opts, "query")?,
        body,
        timeout,
    })
}

/// A map option of names to text (numbers and booleans are written out).
fn pairs(opts: &Options, name: &str) -> Res<Vec<(String, String)>> {
    let Some(map) = opts.map(name)? else { return Ok(Vec::new()) };
    map.into_iter()
        .map(|(key, value)| {
            if value.is_string() || value.is_int() || value.is_float() || value.is_bool() {
                Ok((key.to_string(), convert::display(&value)))
            } else {
                let kind = value.type_name();
                Err(opts.fail(format!("option `{name}`: the value of `{key}` must be text or a number, not {kind}")))
            }
        })
        .collect()
}

/// Text is sent as text; a map, an array, a number or a boolean as JSON; `()` sends no body.
fn body_of(body: &Dynamic, pos: Position) -> Res<Option<Body>> {
    if body.is_unit() {
        Ok(None)
    } else if body.is_string() {
        Ok(Some(Body::Text(convert::display(body))))
    } else {
        let json = rhai::serde::from_dynamic::<serde_json::Value>(body)
            .map_err(|_| error(format!("a body is text, a map or an array, not {}", body.type_name()), pos))?;
        Ok(Some(Body::Json(json)))
    }
}

/// The answer as scripts see it: `json` is the parsed body, or `()` when it is not JSON.
fn answer(response: Response) -> Map {
    let text = String::from_utf8_lossy(&response.body).into_owned();
    let json = serde_json::from_str::<serde_json::Value>(&text).map_or(Dynamic::UNIT, |v| convert::to_dynamic(&v));
    let headers: Map = response.headers.into_iter().map(|(name, value)| (name.into(), Dynamic::from(value))).collect();
    let mut map = Map::new();
    map.insert("status".into(), Dynamic::from(i64::from(response.status)));
    map.insert("ok".into(), Dynamic::from((200..300).contains(&response.status)));
    map.insert("url".into(), Dynamic::from(response.url));
    map.insert("headers".into(), Dynamic::from(headers));
    map.insert("text".into(), Dynamic::from(text));
    map.insert("json".into(), json);
    map
}
