//! Scripts calling HTTP services, against a real service on a free loopback port: JSON in and
//! out, deny by default (hosts, private addresses, redirects to other hosts), the timeout, the
//! size cap and the per-run call budget, streamed answers chunk by chunk (also through the Rust
//! API, which sees the first event before the service has sent the last), and the secrets file:
//! read by scripts, re-read when it changes, usable in a header, served by no route.

use std::time::Duration;

use runnel::config::{AllowedHost, HttpSettings, Settings, StoreSettings};
use runnel::services::{Http, Request};

use crate::both_stores;
use crate::client::Session;
use crate::support::http_service::HttpService;
use crate::support::{RedisServer, ScriptDir, StoreKind, TestApp};

both_stores!(a_script_gets_json_and_posts_json_with_a_header_from_a_secret);

/// A host serving `dir` that may call `service` (a loopback address, so private ones are
/// allowed), with `change` applied to its settings.
fn host(dir: &ScriptDir, service: &HttpService, change: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = dir.settings(false);
    settings.http =
        HttpSettings { allow: vec![allowed(&service.host())], allow_private: true, ..HttpSettings::default() };
    change(&mut settings);
    TestApp::spawn(settings)
}

fn allowed(host_port: &str) -> AllowedHost {
    let (host, port) = host_port.rsplit_once(':').unwrap();
    AllowedHost { scheme: None, host: host.to_owned(), port: Some(port.parse().unwrap()) }
}

/// The page's text with askama's escapes undone, to compare with what the script wrote.
fn unescaped(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn page_of(app: &TestApp, path: &str) -> String {
    unescaped(&Session::new(app).get(path).await.body)
}

async fn a_script_gets_json_and_posts_json_with_a_header_from_a_secret(kind: StoreKind) {
    let service = HttpService::start();
    let script = format!(
        r#"let answer = http_get("{greeting}");
text(`got ${{answer.status}} ${{answer.ok}}: ${{answer.json.greeting}} x${{answer.json.count}} ${{answer.json.tags[1]}}`);
let auth = #{{ Authorization: "Bearer " + secrets.api_key }};
let sent = http_post("{echo}", #{{ item: "tea", qty: 2 }}, #{{ headers: auth, query: #{{ page: 2 }} }});
text(`echo ${{sent.json.method}} ${{sent.json.content_type}} ${{sent.json.body}} [${{sent.json.authorization}}] ?${{sent.json.query}} via ${{sent.headers["x-service"]}}`);
let plain = http_post("{echo}", "just text");
text(`plain ${{plain.json.content_type}} ${{plain.json.body}}`);
"#,
        greeting = service.url("/greeting"),
        echo = service.url("/echo"),
    );
    let dir = ScriptDir::with(&[("call.rhai", &script), ("secrets.toml", "api_key = \"k-123\"\n")]);
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let app = host(&dir, &service, |settings| {
        if let Some(redis) = &redis {
            settings.store = StoreSettings::Redis { url: redis.url(), timeout: Duration::from_millis(500) };
        }
    });
    let page = page_of(&app, "/call").await;
    assert!(!page.contains("rn-script-error"), "{page}");
    assert!(page.contains("got 200 true: hello x3 b"), "{page}");
    assert!(
        page.contains(r#"echo POST application/json {"item":"tea","qty":2} [Bearer k-123] ?page=2 via echo"#),
        "{page}"
    );
    assert!(page.contains("plain text/plain; charset=utf-8 just text"), "{page}");
}

#[tokio::test]
async fn a_host_that_is_not_allowed_is_an_error_at_the_script_line() {
    let service = HttpService::start();
    let script = format!(
        "text(\"before\");\nlet answer = http_get(\"http://localhost:{}/greeting\");\ntext(\"after\");\n",
        service.port
    );
    let dir = ScriptDir::with(&[
        ("call.rhai", &script),
        ("nothing.rhai", &format!("http_get(\"{}\");", service.url("/greeting"))),
    ]);
    let app = host(&dir, &service, |_| {});
    let page = page_of(&app, "/call").await;
    assert!(page.contains("Error in call.rhai, line 2"), "{page}");
    let message = format!("http_get: `localhost:{}` is not an allowed host: add it to `allow`", service.port);
    assert!(page.contains(&message), "{page}");
    assert!(page.contains("before") && !page.contains(">after<"), "the run stops at the call");
    // With no [http] table at all, every host is refused.
    let closed = TestApp::spawn(dir.settings(false));
    let page = page_of(&closed, "/nothing").await;
    assert!(page.contains(&format!("`{}` is not an allowed host", service.host())), "{page}");
}

#[tokio::test]
async fn loopback_addresses_are_refused_unless_private_addresses_are_allowed_also_after_dns() {
    let service = HttpService::start();
    let by_address = format!("http_get(\"{}\");", service.url("/greeting"));
    let by_name = format!("http_get(\"http://localhost:{}/greeting\");", service.port);
    let dir = ScriptDir::with(&[("address.rhai", &by_address), ("name.rhai", &by_name)]);
    let localhost = allowed(&format!("localhost:{}", service.port));
    let app = host(&dir, &service, |s| {
        s.http.allow.push(localhost.clone());
        s.http.allow_private = false;
    });
    let page = page_of(&app, "/address").await;
    assert!(page.contains("`127.0.0.1` is a loopback address (127.0.0.1); calls to such addresses are refused unless [http] allow_private = true"), "{page}");
    // The name is allowed, but what it resolves to is checked before connecting.
    let page = page_of(&app, "/name").await;
    assert!(page.contains("`localhost` is a loopback address"), "{page}");
}

#[tokio::test]
async fn a_redirect_on_the_same_host_is_followed_and_one_to_another_host_is_refused() {
    let service = HttpService::start();
    let here = format!(
        "let a = http_get(\"{}\");\ntext(`${{a.json.greeting}} from ${{a.url}}`);",
        service.url("/redirect-here")
    );
    let away = format!("text(\"start\");\nhttp_get(\"{}\");", service.url("/redirect-away"));
    let dir = ScriptDir::with(&[("here.rhai", &here), ("away.rhai", &away)]);
    // `localhost` is allowed too: the redirect is refused for leaving the host, not for the list.
    let localhost = allowed(&format!("localhost:{}", service.port));
    let app = host(&dir, &service, |s| s.http.allow.push(localhost.clone()));
    let page = page_of(&app, "/here").await;
    assert!(page.contains(&format!("hello from {}", service.url("/greeting"))), "{page}");
    let page = page_of(&app, "/away").await;
    assert!(page.contains("Error in away.rhai, line 2"), "{page}");
    assert!(page.contains("the answer redirects to `localhost`, another host"), "{page}");
}

#[tokio::test]
async fn a_slow_answer_times_out_and_a_large_one_is_refused() {
    let service = HttpService::start();
    let slow = format!("http_get(\"{}\", #{{ timeout_ms: 200 }});", service.url("/slow"));
    let big = format!("http_get(\"{}\");", service.url("/big"));
    let dir = ScriptDir::with(&[("slow.rhai", &slow), ("big.rhai", &big)]);
    let app = host(&dir, &service, |s| s.http.max_response_bytes = 1000);
    let started = std::time::Instant::now();
    let page = page_of(&app, "/slow").await;
    assert!(page.contains("http_get: no complete answer within 200 ms"), "{page}");
    assert!(started.elapsed() < Duration::from_secs(3), "the run does not wait for the slow service");
    let page = page_of(&app, "/big").await;
    assert!(page.contains("http_get: the answer is larger than 1000 bytes ([http] max_response_bytes)"), "{page}");
}

#[tokio::test]
async fn a_run_makes_at_most_its_budget_of_calls_and_the_next_run_starts_afresh() {
    let service = HttpService::start();
    let script = format!("for i in 1..=3 {{ http_get(\"{}\"); text(`call ${{i}}`); }}", service.url("/greeting"));
    let dir = ScriptDir::with(&[("many.rhai", &script)]);
    let app = host(&dir, &service, |s| s.http.max_calls_per_run = 2);
    for _ in 0..2 {
        let page = page_of(&app, "/many").await;
        assert!(page.contains("call 1") && page.contains("call 2") && !page.contains("call 3"), "{page}");
        assert!(page.contains("this run already made 2 HTTP calls, the most one run may make"), "{page}");
    }
}

#[tokio::test]
async fn streamed_events_and_chunked_text_reach_the_script_chunk_by_chunk() {
    let service = HttpService::start();
    let script = format!(
        "let n = http_stream(\"{events}\", #{{}}, |chunk| text(`event: ${{chunk}}`));\ntext(`${{n}} events`);\n\
         let pieces = http_stream(\"{text}\");\ntext(`text: ${{pieces.reduce(|sum, p| sum + p, \"\")}}`);\n",
        events = service.url("/events"),
        text = service.url("/text"),
    );
    let dir = ScriptDir::with(&[("stream.rhai", &script)]);
    let app = host(&dir, &service, |_| {});
    // The held-back events may go at once here; the Rust API test below holds them.
    service.release_events();
    service.release_events();
    let page = page_of(&app, "/stream").await;
    assert!(!page.contains("rn-script-error"), "{page}");
    let first = page.find("event: first").expect("the first event is drawn");
    let second = page.find("event: second").expect("the second event is drawn");
    assert!(first < second && page.contains("event: [DONE]") && page.contains("3 events"), "{page}");
    assert!(page.contains("text: Hello, world"), "{page}");
}

#[test]
fn the_rust_stream_api_hands_over_the_first_event_before_the_service_sends_the_last() {
    let service = HttpService::start();
    let settings =
        HttpSettings { allow: vec![allowed(&service.host())], allow_private: true, ..HttpSettings::default() };
    let http = Http::new(settings);
    let mut chunks = http.stream(Request::get(service.url("/events"))).expect("the stream starts");
    assert_eq!(chunks.status, 200);
    let first = chunks.next().expect("a first chunk").expect("no error");
    // The service holds `second` back until it is released: this chunk arrived on its own.
    assert_eq!(first.data, "first");
    service.release_events();
    assert_eq!(chunks.next().unwrap().unwrap().data, "second");
    service.release_events();
    assert_eq!(chunks.next().unwrap().unwrap().data, "[DONE]");
    assert!(chunks.next().is_none(), "the stream ends with the answer");
}

#[tokio::test]
async fn secrets_are_read_from_the_file_and_a_change_on_disk_is_seen_by_the_next_run() {
    let script = "text(`key ${secrets.api_key}, db user ${secrets.db.user}, port ${secrets.db.port}`);\n\
                  text(`has key ${secrets.contains(\"api_key\")}, other ${secrets.get(\"other\", \"none\")}`);\n\
                  text(`shown as ${secrets}`);\n\
                  text(secrets.nope);\n";
    let dir = ScriptDir::with(&[
        ("secret.rhai", script),
        ("secrets.toml", "api_key = \"k-1\"\n[db]\nuser = \"ann\"\nport = 5432\npassword = \"pw-9\"\n"),
    ]);
    let app = TestApp::spawn(dir.settings(false));
    let page = page_of(&app, "/secret").await;
    assert!(page.contains("key k-1, db user ann, port 5432"), "{page}");
    assert!(page.contains("has key true, other none"), "{page}");
    assert!(page.contains("shown as secrets(api_key, db)"), "printing the table shows names only: {page}");
    assert!(page.contains("Error in secret.rhai, line 4"), "{page}");
    assert!(page.contains("there is no secret `nope`; the names here are: api_key, db"), "{page}");
    assert!(!page.contains("pw-9"), "a value the script did not write is not in the page");
    dir.save("secrets.toml", "api_key = \"k-2\"\n[db]\nuser = \"bob\"\nport = 6543\n");
    let page = page_of(&app, "/secret").await;
    assert!(page.contains("key k-2, db user bob, port 6543"), "the next run reads the changed file: {page}");
}

#[tokio::test]
async fn a_saved_secrets_file_tells_open_pages_to_rerun() {
    let dir = ScriptDir::with(&[
        ("secret.rhai", "text(secrets.get(\"motto\", \"none\"));"),
        ("secrets.toml", "motto = \"a\"\n"),
    ]);
    let app = TestApp::spawn(dir.settings(true));
    let session = Session::new(&app);
    let mut live = session.client.get(app.url("/_live/secret")).send().await.unwrap();
    assert!(stream_contains(&mut live, "connected").await);
    dir.save("secrets.toml", "motto = \"b\"\n");
    assert!(stream_contains(&mut live, "event: rerun").await, "the page is told to rerun");
    assert!(session.get("/secret").await.body.contains(">b<"));
}

/// Reads an event stream until `wanted` shows up (within 5 s).
async fn stream_contains(response: &mut reqwest::Response, wanted: &str) -> bool {
    crate::live::stream_contains(response, wanted, Duration::from_secs(5)).await
}

#[tokio::test]
async fn the_secrets_file_is_served_by_no_route() {
    let dir =
        ScriptDir::with(&[("home.rhai", "title(\"home\");"), ("secrets.toml", "api_key = \"never-served-42\"\n")]);
    let app = TestApp::spawn(dir.settings(false));
    let session = Session::new(&app);
    let paths = [
        "/secrets.toml",
        "/secrets",
        "/static/secrets.toml",
        "/static/..%2Fsecrets.toml",
        "/static/%2e%2e/secrets.toml",
        "/home/secrets.toml",
        "/data/secrets.toml",
    ];
    for path in paths {
        let answer = session.get(path).await;
        assert_ne!(answer.status, 200, "{path} answers");
        assert!(!answer.body.contains("never-served-42"), "{path} shows the secret");
    }
    assert!(!session.get("/home").await.body.contains("never-served-42"));
}
