//! Chat apps over HTTP on both stores: a message sent (with and without JavaScript) reaches one
//! run and joins the history kept in `state`; a message over the limit is refused with a 4xx
//! and changes nothing; an answer streamed from a local service (server-sent events with JSON
//! tokens) is shown whole; a service on a host that is not allowed is a clear error in the page;
//! the chat example (`scripts/12_chat.rhai`) answers and keeps its history.

use std::time::Duration;

use runnel::config::{AllowedHost, HttpSettings, StoreSettings};

use crate::both_stores;
use crate::client::Session;
use crate::support::http_service::HttpService;
use crate::support::{RedisServer, ScriptDir, StoreKind, TestApp};

both_stores!(
    a_chat_round_trip_keeps_the_history_and_delivers_each_message_once,
    a_message_over_the_limit_is_refused_and_changes_nothing,
    an_answer_streamed_by_a_service_is_shown_whole_in_the_assistant_message,
);

/// A chat whose assistant streams "You said <message>" from an array.
const CHAT: &str = r#"
if !("messages" in state) { state.messages = []; }
for m in state.messages { chat_message(m.role).markdown(m.content); }
let prompt = chat_input("Say something", #{ max_chars: 20 });
if prompt != () {
    let messages = state.messages;
    messages.push(#{ role: "user", content: prompt });
    chat_message("user").markdown(prompt);
    let answer = chat_message("assistant").write_stream(["You ", "said ", prompt]);
    messages.push(#{ role: "assistant", content: answer });
    state.messages = messages;
}
text(`messages: ${state.messages.len()}`);
"#;

const INPUT: &str = "chat_input:Say something";

/// A host serving `files`, on the given store, that may call `service` (if any).
fn host(
    files: &[(&str, &str)],
    kind: StoreKind,
    service: Option<&HttpService>,
) -> (TestApp, ScriptDir, Option<RedisServer>) {
    let dir = ScriptDir::with(files);
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let mut settings = dir.settings(false);
    if let Some(redis) = &redis {
        settings.store = StoreSettings::Redis { url: redis.url(), timeout: Duration::from_millis(500) };
    }
    if let Some(service) = service {
        let port = Some(service.port);
        let allow = vec![AllowedHost { scheme: None, host: "127.0.0.1".into(), port }];
        settings.http = HttpSettings { allow, allow_private: true, ..HttpSettings::default() };
    }
    (TestApp::spawn(settings), dir, redis)
}

fn count_of(body: &str) -> String {
    let start = body.find("messages: ").expect("the page shows the count");
    body[start..].split('<').next().unwrap_or_default().to_owned()
}

async fn a_chat_round_trip_keeps_the_history_and_delivers_each_message_once(kind: StoreKind) {
    let (app, _dir, _redis) = host(&[("chat.rhai", CHAT)], kind, None);
    let mut session = Session::new(&app);
    let first = session.open("/chat").await;
    assert!(first.body.contains("rn-chat_input rn-chat-pinned"), "{}", first.body);
    let answer = session.send("chat", INPUT, &["hello"]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("rn-chat-user"), "{}", answer.body);
    assert!(answer.body.contains("<p>You said hello</p>"), "{}", answer.body);
    assert_eq!(count_of(&answer.body), "messages: 2");
    // A rerun shows the history, and the message is not sent again.
    let again = session.get("/chat").await;
    assert_eq!(count_of(&again.body), "messages: 2");
    assert_eq!(again.body.matches("You said hello").count(), 1, "{}", again.body);
    // Without JavaScript: a plain form post, answered by a redirect to the page.
    let body = format!("csrf={}&widget=chat_input%3ASay+something&value=again", session.csrf);
    let posted = session.post_raw("chat", body.into_bytes(), false).await;
    assert_eq!(posted.status, 303);
    let shown = session.get("/chat").await;
    assert!(shown.body.contains("<p>You said again</p>"), "{}", shown.body);
    assert_eq!(count_of(&session.get("/chat").await.body), "messages: 4");
}

async fn a_message_over_the_limit_is_refused_and_changes_nothing(kind: StoreKind) {
    let (app, _dir, _redis) = host(&[("chat.rhai", CHAT)], kind, None);
    let mut session = Session::new(&app);
    session.open("/chat").await;
    assert_eq!(session.send("chat", INPUT, &["first"]).await.status, 200);
    let refused = session.send("chat", INPUT, &["a message of more than twenty characters"]).await;
    assert!(refused.status.is_client_error(), "answered {}", refused.status);
    assert!(refused.body.contains("the message is longer than 20 characters"), "{}", refused.body);
    let after = session.get("/chat").await;
    assert_eq!(count_of(&after.body), "messages: 2", "the history is unchanged");
    assert!(!after.body.contains("more than twenty"), "{}", after.body);
}

async fn an_answer_streamed_by_a_service_is_shown_whole_in_the_assistant_message(kind: StoreKind) {
    let service = HttpService::start();
    let script = format!(
        r#"let prompt = chat_input("Ask");
if prompt != () {{
    chat_message("user").markdown(prompt);
    let stream = http_stream_open("{url}", #{{ method: "POST", body: #{{ prompt: prompt }}, field: "choices.0.delta.content" }});
    let answer = chat_message("assistant").write_stream(stream);
    text(`whole: ${{answer}}`);
}}"#,
        url = service.url("/chat")
    );
    let (app, _dir, _redis) = host(&[("ask.rhai", &script)], kind, Some(&service));
    let mut session = Session::new(&app);
    session.open("/ask").await;
    service.release_events();
    service.release_events();
    let answer = session.send("ask", "chat_input:Ask", &["hi"]).await;
    assert_eq!(answer.status, 200);
    assert!(!answer.body.contains("rn-script-error"), "{}", answer.body);
    assert!(answer.body.contains("<p>Streamed tokens arrive.</p>"), "{}", answer.body);
    assert!(answer.body.contains("whole: Streamed tokens arrive."), "{}", answer.body);
}

#[tokio::test]
async fn a_stream_from_a_host_that_is_not_allowed_is_a_clear_error_in_the_page() {
    let service = HttpService::start();
    let script = format!(
        "chat_message(\"user\").markdown(\"hi\");\nlet answer = write_stream(http_stream_open(\"http://localhost:{}/chat\"));\n",
        service.port
    );
    let (app, _dir, _redis) = host(&[("ask.rhai", &script)], StoreKind::Memory, Some(&service));
    let page = Session::new(&app).get("/ask").await.body;
    assert!(page.contains("Error in ask.rhai, line 2"), "{page}");
    let message = format!("http_stream_open: `localhost:{}` is not an allowed host", service.port);
    assert!(page.contains(&message), "{page}");
    assert!(page.contains("rn-chat-user"), "what was drawn before the error stays");
}

#[tokio::test]
async fn the_chat_example_answers_a_message_and_keeps_the_history() {
    let running = crate::client::start(StoreKind::Memory);
    let mut session = Session::new(&running.app);
    let page = session.open("/chat").await;
    assert!(!page.body.contains("rn-script-error"), "{}", page.body);
    assert!(page.body.contains("Type a message below"), "{}", page.body);
    let answer = session.send("chat", "chat_input:Say something", &["hello there"]).await;
    assert_eq!(answer.status, 200);
    assert!(!answer.body.contains("rn-script-error"), "{}", answer.body);
    assert!(answer.body.contains("You said: <em>hello there</em>."), "{}", answer.body);
    let again = session.get("/chat").await;
    assert_eq!(again.body.matches("rn-chat-message").count(), 2, "the history, once: {}", again.body);
}
