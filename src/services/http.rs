//! HTTP calls from scripts, deny by default: only hosts in `[http] allow`, never a private
//! address unless allowed (checked on the resolved addresses, and the connection goes to the
//! address that was checked, so DNS rebinding cannot slip past), redirects only on the same
//! host, a timeout, a size cap and no proxy. Calls run on a small runtime of their own; the
//! caller (a script's blocking thread) waits for the result without holding an async worker.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub use reqwest12::Method;
use reqwest12::dns::{Addrs, Name, Resolve, Resolving};
use reqwest12::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest12::{Url, redirect};
use tokio::runtime::{Builder, Runtime};

use super::address;
use super::stream::{ChunkStream, Decoder, Piece};
use crate::config::HttpSettings;

/// How many redirects one call follows (all on the same host).
const MAX_REDIRECTS: usize = 5;

/// Why a call failed, in words a script author can act on. Never holds a header value, a body
/// or a URL's query (either may carry a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    BadRequest(String),
    #[error("`{0}` is not an allowed host: add it to `allow` in the [http] table of runnel.toml")]
    NotAllowed(String),
    #[error("`{host}` is {kind} ({ip}); calls to such addresses are refused unless [http] allow_private = true")]
    PrivateAddress { host: String, ip: IpAddr, kind: &'static str },
    #[error("the answer redirects to `{0}`, another host: redirects are followed on the same host only")]
    RedirectRefused(String),
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("no complete answer within {0} ms")]
    Timeout(u128),
    #[error("the answer is larger than {0} bytes ([http] max_response_bytes)")]
    TooBig(usize),
    #[error("this run already made {0} HTTP calls, the most one run may make ([http] max_calls_per_run)")]
    Budget(u32),
    #[error("{0}")]
    Failed(String),
}

/// A body to send.
#[derive(Debug, Clone)]
pub enum Body {
    /// Sent with `Content-Type: application/json` (unless the headers name another type).
    Json(serde_json::Value),
    /// Sent with `Content-Type: text/plain; charset=utf-8` (unless the headers name another type).
    Text(String),
}

/// One call. `Debug` shows no header values: they may hold secrets.
#[derive(Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Added to the URL's query, encoded.
    pub query: Vec<(String, String)>,
    pub body: Option<Body>,
    /// Asks for less than the configured timeout (never more).
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Request").field("method", &self.method).field("headers", &names).finish_non_exhaustive()
    }
}

impl Request {
    pub fn get(url: impl Into<String>) -> Self {
        Self { method: Method::GET, url: url.into(), headers: Vec::new(), query: Vec::new(), body: None, timeout: None }
    }
}

/// A complete answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Where the answer came from, after redirects.
    pub url: String,
    /// Lowercase names; a repeated header's values joined by `, `.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The client scripts call through, with its settings. Cheap to share.
pub struct Http {
    settings: Arc<HttpSettings>,
    /// Made at the first call: most hosts never call anything.
    client: OnceLock<Result<(Runtime, reqwest12::Client), String>>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        // A runtime cannot be dropped inside another one's context.
        if let Some(Ok((runtime, _))) = self.client.take() {
            runtime.shutdown_background();
        }
    }
}

impl Http {
    pub fn new(settings: HttpSettings) -> Self {
        Self { settings: Arc::new(settings), client: OnceLock::new() }
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// Makes the call and reads the whole answer. Blocks the calling thread.
    pub fn send(&self, request: Request) -> Result<Response, HttpError> {
        let timeout = self.timeout(&request);
        let max_bytes = self.settings.max_response_bytes;
        let (runtime, call) = self.start(request, timeout)?;
        let work = async move {
            let mut response = call.send().await.map_err(|e| failure(&e, timeout))?;
            let (status, url, headers) = head_of(&response);
            let mut body = Vec::new();
            while let Some(bytes) = response.chunk().await.map_err(|e| failure(&e, timeout))? {
                if body.len() + bytes.len() > max_bytes {
                    return Err(HttpError::TooBig(max_bytes));
                }
                body.extend_from_slice(&bytes);
            }
            Ok(Response { status, url, headers, body })
        };
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let task = runtime.spawn(async move {
            let _ = sender.send(work.await);
        });
        let result = receiver.recv_timeout(timeout).unwrap_or(Err(HttpError::Timeout(timeout.as_millis())));
        task.abort();
        result
    }

    /// Makes the call and hands back its chunks as they arrive (see [`ChunkStream`]); the
    /// timeout and the size cap bound the whole stream. Blocks until the answer's head is in.
    pub fn stream(&self, request: Request) -> Result<ChunkStream, HttpError> {
        let timeout = self.timeout(&request);
        let until = Instant::now() + timeout;
        let max_bytes = self.settings.max_response_bytes;
        let (runtime, call) = self.start(request, timeout)?;
        let (head_sender, head) = std::sync::mpsc::sync_channel::<Result<u16, HttpError>>(1);
        // Unbounded, so the task never blocks its runtime; the size cap bounds what it holds.
        let (sender, pieces) = std::sync::mpsc::channel::<Piece>();
        let task = runtime.spawn(async move {
            let mut response = match call.send().await {
                Ok(response) => response,
                Err(e) => return drop(head_sender.send(Err(failure(&e, timeout)))),
            };
            let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let _ = head_sender.send(Ok(response.status().as_u16()));
            let mut decoder = Decoder::for_content_type(content_type.as_deref());
            let mut read = 0;
            loop {
                let chunks = match response.chunk().await {
                    Ok(Some(bytes)) if read + bytes.len() > max_bytes => Err(HttpError::TooBig(max_bytes)),
                    Ok(Some(bytes)) => {
                        read += bytes.len();
                        Ok(decoder.feed(&bytes))
                    }
                    Ok(None) => {
                        let last = decoder.finish().map(|chunk| Ok(Some(chunk)));
                        for piece in last.into_iter().chain([Ok(None)]) {
                            let _ = sender.send(piece);
                        }
                        return;
                    }
                    Err(e) => Err(failure(&e, timeout)),
                };
                match chunks {
                    // A send fails when the reader is gone: nobody wants the rest.
                    Ok(chunks) => {
                        if chunks.into_iter().any(|chunk| sender.send(Ok(Some(chunk))).is_err()) {
                            return;
                        }
                    }
                    Err(error) => return drop(sender.send(Err(error))),
                }
            }
        });
        let status = match head.recv_timeout(timeout) {
            Ok(Ok(status)) => status,
            Ok(Err(error)) => return Err(error),
            Err(_) => {
                task.abort();
                return Err(HttpError::Timeout(timeout.as_millis()));
            }
        };
        Ok(ChunkStream {
            pieces,
            until,
            timeout_ms: timeout.as_millis(),
            task: task.abort_handle(),
            done: false,
            status,
        })
    }

    /// The call's timeout: the configured one, or less if the request asks.
    fn timeout(&self, request: &Request) -> Duration {
        request
            .timeout
            .map_or(self.settings.timeout, |asked| asked.min(self.settings.timeout))
            .max(Duration::from_millis(1))
    }

    /// Checks the request and builds it; the caller sends it inside the runtime, whose timer
    /// its timeout uses (nothing is sent before the checks pass).
    fn start(&self, request: Request, timeout: Duration) -> Result<(&Runtime, reqwest12::RequestBuilder), HttpError> {
        let mut url = self.checked_url(&request.url)?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        let (runtime, client) = self.client()?;
        let mut builder = client.request(request.method, url).timeout(timeout).headers(headers(&request.headers)?);
        let has_type = request.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        builder = match request.body {
            None => builder,
            Some(Body::Json(value)) if !has_type => {
                builder.header(CONTENT_TYPE, "application/json").body(value.to_string())
            }
            Some(Body::Json(value)) => builder.body(value.to_string()),
            Some(Body::Text(text)) if !has_type => builder.header(CONTENT_TYPE, "text/plain; charset=utf-8").body(text),
            Some(Body::Text(text)) => builder.body(text),
        };
        Ok((runtime, builder))
    }

    /// The URL, if its host is allowed and (for an address written in the URL) may be called.
    /// A host name's addresses are checked when it is resolved ([`CheckedResolver`]).
    fn checked_url(&self, text: &str) -> Result<Url, HttpError> {
        let url = Url::parse(text).map_err(|e| HttpError::BadRequest(format!("the URL is not valid: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(HttpError::BadRequest(format!("the URL's scheme {:?} is not http or https", url.scheme())));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(HttpError::BadRequest("put credentials in a header, not in the URL".into()));
        }
        check_url(&url, &self.settings)?;
        Ok(url)
    }

    fn client(&self) -> Result<(&Runtime, &reqwest12::Client), HttpError> {
        match self.client.get_or_init(|| build_client(self.settings.clone())) {
            Ok((runtime, client)) => Ok((runtime, client)),
            Err(problem) => Err(HttpError::Failed(problem.clone())),
        }
    }
}

/// The host of `url` is allowed, and an address written in it may be called.
fn check_url(url: &Url, settings: &HttpSettings) -> Result<(), HttpError> {
    let (host, ip) = match url.host() {
        Some(url::Host::Domain(domain)) => (domain.to_ascii_lowercase(), None),
        Some(url::Host::Ipv4(v4)) => (v4.to_string(), Some(IpAddr::V4(v4))),
        Some(url::Host::Ipv6(v6)) => (v6.to_string(), Some(IpAddr::V6(v6))),
        None => return Err(HttpError::BadRequest("the URL has no host".into())),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    if !settings.admits(url.scheme(), &host, port) {
        let shown = if url.port().is_some() { format!("{host}:{port}") } else { host };
        return Err(HttpError::NotAllowed(shown));
    }
    if let Some(ip) = ip
        && let Some(kind) = address::refusal(ip, settings.allow_private)
    {
        return Err(HttpError::PrivateAddress { host, ip, kind });
    }
    Ok(())
}

fn build_client(settings: Arc<HttpSettings>) -> Result<(Runtime, reqwest12::Client), String> {
    let runtime = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("runnel-http")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
    let policy_settings = settings.clone();
    let policy = redirect::Policy::custom(move |attempt| {
        let first = attempt.previous().first().and_then(Url::host_str).map(str::to_owned);
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(HttpError::TooManyRedirects);
        }
        let to = attempt.url().host_str().unwrap_or_default().to_owned();
        if first.as_deref() != Some(to.as_str()) {
            return attempt.error(HttpError::RedirectRefused(to));
        }
        match check_url(attempt.url(), &policy_settings) {
            Ok(()) => attempt.follow(),
            Err(error) => attempt.error(error),
        }
    });
    // The client (and its connection pool) belongs to the runtime it was made in.
    let _inside = runtime.enter();
    let client = reqwest12::Client::builder()
        .no_proxy()
        .redirect(policy)
        .dns_resolver(Arc::new(CheckedResolver { allow_private: settings.allow_private }))
        .connect_timeout(settings.timeout)
        .user_agent(concat!("runnel/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    drop(_inside);
    Ok((runtime, client))
}

/// Resolves a host name and keeps only the addresses calls may reach: the connection is made
/// to one of those, never to a second answer of the DNS.
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.iter().copied().filter(|a| address::refusal(a.ip(), allow_private).is_none()).collect();
            match found.first() {
                Some(first) if allowed.is_empty() => {
                    let kind = address::refusal(first.ip(), allow_private).unwrap_or("refused");
                    Err(Box::new(HttpError::PrivateAddress { host, ip: first.ip(), kind }) as _)
                }
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// The script's headers, checked (a bad name or value is named, its value never shown).
fn headers(pairs: &[(String, String)]) -> Result<HeaderMap, HttpError> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| HttpError::BadRequest(format!("{name:?} is not a header name")))?;
        if matches!(header.as_str(), "host" | "content-length" | "transfer-encoding" | "connection") {
            return Err(HttpError::BadRequest(format!("the header `{name}` is set by the host, not by scripts")));
        }
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            HttpError::BadRequest(format!("the value of header `{name}` has characters a header cannot hold"))
        })?;
        value.set_sensitive(true);
        map.append(header, value);
    }
    Ok(map)
}

fn head_of(response: &reqwest12::Response) -> (u16, String, Vec<(String, String)>) {
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.iter_mut().find(|(n, _)| n == name.as_str()) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(&value);
            }
            None => headers.push((name.as_str().to_owned(), value)),
        }
    }
    (response.status().as_u16(), response.url().to_string(), headers)
}

/// A client error as one of ours: the checks' own errors come back out of reqwest's chain;
/// anything else is its message without the URL.
fn failure(error: &reqwest12::Error, timeout: Duration) -> HttpError {
    let mut source = Some(error as &(dyn std::error::Error + 'static));
    while let Some(cause) = source {
        if let Some(ours) = cause.downcast_ref::<HttpError>() {
            return ours.clone();
        }
        source = cause.source();
    }
    if error.is_timeout() {
        return HttpError::Timeout(timeout.as_millis());
    }
    // reqwest's own message names the URL, whose query may hold a key.
    let top = error.to_string();
    let mut message = top.split(" for url (").next().unwrap_or_default().to_owned();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        message = format!("{message}: {inner}");
        cause = inner.source();
    }
    HttpError::Failed(message)
}
