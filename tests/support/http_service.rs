//! A small HTTP service on a free loopback port, for the tests of scripts' HTTP calls: JSON
//! answers, an echo of what a call sent, redirects, a slow and a large answer, a stream of
//! server-sent events whose later events wait until the test releases them (also as a language
//! model's answer: `/chat`), a stream of time-stamped ticks (for the streaming benchmark), and
//! the click benchmark's floor: a page whose button only fetches the next count (`/floor`).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tokio::sync::Semaphore;

/// The running service, stopped on drop.
pub struct HttpService {
    pub port: u16,
    /// Each permit lets the event stream send its next held-back event.
    release: Arc<Semaphore>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpService {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let release = Arc::new(Semaphore::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = web::Data::new(Service { port, release: release.clone() });
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || App::new().app_data(shared.clone()).configure(routes))
                    .workers(1)
                    .listen(listener)
                    .unwrap()
                    .run();
                tx.send(server.handle()).unwrap();
                server.await.unwrap();
            });
        });
        let handle = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Self { port, release, handle, thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `127.0.0.1:PORT`, as `[http] allow` names it.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Lets the event stream (`/events`) go on with its held-back events.
    pub fn release_events(&self) {
        self.release.add_permits(1);
    }
}

impl Drop for HttpService {
    fn drop(&mut self) {
        super::server::stop_server(&self.handle, self.thread.take());
    }
}

struct Service {
    port: u16,
    release: Arc<Semaphore>,
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/greeting", web::get().to(greeting))
        .route("/echo", web::to(echo))
        .route("/redirect-here", web::get().to(redirect_here))
        .route("/redirect-away", web::get().to(redirect_away))
        .route("/slow", web::get().to(slow))
        .route("/big", web::get().to(big))
        .route("/events", web::get().to(events))
        .route("/text", web::get().to(text_stream))
        .route("/chat", web::to(chat_events))
        .route("/ticks", web::get().to(ticks))
        .route("/floor", web::get().to(floor_page))
        .route("/floor/event", web::post().to(floor_event));
}

async fn greeting() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "greeting": "hello", "count": 3, "tags": ["a", "b"] }))
}

/// What the call sent: method, query, body, its content type and its Authorization header.
async fn echo(request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    HttpResponse::Ok().insert_header(("x-service", "echo")).json(serde_json::json!({
        "method": request.method().as_str(),
        "query": request.query_string(),
        "body": String::from_utf8_lossy(&body),
        "content_type": header("content-type"),
        "authorization": header("authorization"),
    }))
}

async fn redirect_here() -> HttpResponse {
    HttpResponse::Found().insert_header(("location", "/greeting")).finish()
}

/// To the same service under another name (`localhost`): another host, so it is refused.
async fn redirect_away(service: web::Data<Service>) -> HttpResponse {
    let location = format!("http://localhost:{}/greeting", service.port);
    HttpResponse::Found().insert_header(("location", location)).finish()
}

async fn slow() -> HttpResponse {
    tokio::time::sleep(Duration::from_secs(5)).await;
    HttpResponse::Ok().body("too late")
}

async fn big() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("x".repeat(64 * 1024))
}

/// `data: first` at once; `second` and `[DONE]` each wait for a release by the test.
async fn events(service: web::Data<Service>) -> HttpResponse {
    let release = service.release.clone();
    let steps = ["data: first\n\n", "data: second\n\n", "data: [DONE]\n\n"];
    let stream = futures_util::stream::unfold(0, move |step| {
        let release = release.clone();
        async move {
            let event = *steps.get(step)?;
            if step > 0 {
                release.acquire().await.ok()?.forget();
            }
            Some((Ok::<_, actix_web::Error>(web::Bytes::from(event)), step + 1))
        }
    });
    HttpResponse::Ok().content_type("text/event-stream").streaming(stream)
}

/// A chunked text answer in three pieces.
async fn text_stream() -> HttpResponse {
    let pieces = ["Hello", ", ", "world"].map(|p| Ok::<_, actix_web::Error>(web::Bytes::from(p)));
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").streaming(futures_util::stream::iter(pieces))
}

/// A chat answer as OpenAI's API streams it: a role, then tokens in JSON events, then
/// `[DONE]`. The first token comes at once; each later one waits for a release by the test.
async fn chat_events(service: web::Data<Service>) -> HttpResponse {
    let release = service.release.clone();
    let token =
        |text: &str| format!("data: {}\n\n", serde_json::json!({ "choices": [{ "delta": { "content": text } }] }));
    let mut steps =
        vec![format!("data: {}\n\n", serde_json::json!({ "choices": [{ "delta": { "role": "assistant" } }] }))];
    steps.extend(["Streamed ", "tokens ", "arrive."].map(token));
    steps.push("data: [DONE]\n\n".to_owned());
    let stream = futures_util::stream::unfold(0, move |step| {
        let (release, steps) = (release.clone(), steps.clone());
        async move {
            let event = steps.get(step)?.clone();
            // The role and the first token at once, every later token when released.
            if (2..steps.len() - 1).contains(&step) {
                release.acquire().await.ok()?.forget();
            }
            Some((Ok::<_, actix_web::Error>(web::Bytes::from(event)), step + 1))
        }
    });
    HttpResponse::Ok().content_type("text/event-stream").streaming(stream)
}

/// `tick 0 at <ms> ` … `tick N-1 at <ms> `: `n` chunks (default 40, at most 1,000), `every`
/// milliseconds apart (default 50), each stamped with the Unix time it was sent in ms.
async fn ticks(query: web::Query<std::collections::HashMap<String, u64>>) -> HttpResponse {
    let n = query.get("n").copied().unwrap_or(40).min(1_000);
    let every = Duration::from_millis(query.get("every").copied().unwrap_or(50).min(1_000));
    let stream = futures_util::stream::unfold(0, move |i| async move {
        if i == n {
            return None;
        }
        if i > 0 {
            tokio::time::sleep(every).await;
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let chunk = format!("tick {i} at {} ", now.as_millis());
        Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), i + 1))
    });
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").streaming(stream)
}

/// The least a page can do to answer a click over HTTP: its button POSTs the count it shows,
/// and the answer (the next count, a few bytes) is written into the page. Same classes and
/// button as a Runnel page (`Count` metric, `rerun N` caption), so the click benchmark measures
/// it unchanged: what any page that waits for a fetch gets from the browser.
async fn floor_page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(FLOOR_PAGE)
}

/// The count after the one the page sent (`count=N`).
async fn floor_event(body: String) -> HttpResponse {
    let shown: u64 = body.strip_prefix("count=").and_then(|n| n.parse().ok()).unwrap_or(0);
    HttpResponse::Ok().content_type("text/plain").body((shown + 1).to_string())
}

const FLOOR_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>floor</title></head><body>
<form data-widget="button:Increment" onsubmit="return false"><button type="button">Increment</button></form>
<div class="rn-metric"><div class="rn-metric-label">Count</div><div class="rn-metric-value">0</div></div>
<p class="rn-caption">rerun 0</p>
<script>
  window.Runnel = {};
  const value = document.querySelector(".rn-metric-value");
  document.querySelector("button").addEventListener("click", async () => {
    const res = await fetch("/floor/event", { method: "POST", body: "count=" + value.textContent });
    const next = await res.text();
    value.textContent = next;
    document.querySelector(".rn-caption").textContent = "rerun " + next;
  });
</script>
</body></html>
"#;
