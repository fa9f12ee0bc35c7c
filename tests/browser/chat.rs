//! Chat apps in real Chromium: a viewer sends messages with Enter and with the send button, the
//! field is empty again and stays at the bottom of the page, and an answer streamed by a local
//! service shows its tokens in the page before the answer is complete.

use std::time::Duration;

use runnel::config::{AllowedHost, HttpSettings};

use crate::support::chromium::{Browser, Page};
use crate::support::http_service::HttpService;
use crate::support::{ScriptDir, TestApp};
use crate::{WAIT, js_string, wait_for_runnel};

const FIELD: &str = "form.rn-chat_input input[name=value]";

/// A chat whose assistant answers "You said <message>" at once.
const ECHO: &str = r#"
if !("messages" in state) { state.messages = []; }
for m in state.messages { chat_message(m.role).markdown(m.content); }
let prompt = chat_input("Say something");
if prompt != () {
    chat_message("user").markdown(prompt);
    let answer = chat_message("assistant").write_stream(["You ", "said ", prompt]);
    state.messages = state.messages + [#{ role: "user", content: prompt }, #{ role: "assistant", content: answer }];
}
"#;

/// The text of the last assistant message.
fn last_answer(page: &Page) -> String {
    let js =
        "[...document.querySelectorAll('.rn-chat-assistant .rn-chat-body')].map(e => e.textContent.trim()).pop() || ''";
    page.eval(js).as_str().unwrap_or_default().to_owned()
}

fn wait_for_answer(page: &Page, text: &str) {
    let js = format!(
        "[...document.querySelectorAll('.rn-chat-assistant .rn-chat-body')].some(e => e.textContent.includes({}))",
        js_string(text)
    );
    page.wait_until(&js, WAIT);
}

#[test]
fn a_viewer_sends_messages_and_the_field_is_empty_again_at_the_bottom_of_the_page() {
    let dir = ScriptDir::with(&[("chat.rhai", ECHO)]);
    let app = TestApp::spawn(dir.settings(false));
    let browser = Browser::launch();
    let page = browser.new_page();
    page.watch_csp_violations();
    page.navigate(&app.url("/chat"));
    wait_for_runnel(&page);
    page.focus(FIELD);
    page.type_text("hello");
    page.press_enter();
    wait_for_answer(&page, "You said hello");
    assert_eq!(page.eval(&format!("document.querySelector({}).value", js_string(FIELD))), "");
    page.focus(FIELD);
    page.type_text("second");
    page.click("form.rn-chat_input button.rn-chat-send");
    wait_for_answer(&page, "You said second");
    assert_eq!(last_answer(&page), "You said second");
    let messages = page.eval("document.querySelectorAll('.rn-chat-message').length");
    assert_eq!(messages, 4, "each message once");
    // Drawn before the newest messages, shown below them, at the bottom of the window.
    let placed = page.eval(
        "(() => { const f = document.querySelector('form.rn-chat_input').getBoundingClientRect(); \
         const last = [...document.querySelectorAll('.rn-chat-message')].pop().getBoundingClientRect(); \
         return f.top >= last.bottom && Math.abs(window.innerHeight - f.bottom) < 2; })()",
    );
    assert_eq!(placed, true, "the chat input is pinned below the messages");
    assert_eq!(page.csp_violations(), Vec::<String>::new());
}

#[test]
fn a_streamed_answer_shows_its_tokens_before_it_is_complete() {
    let service = HttpService::start();
    let script = format!(
        r#"// A chat keeps its history from the first look on (a session that stored nothing yet
// answers its first event whole; one with state streams).
if !("answers" in state) {{ state.answers = []; }}
let prompt = chat_input("Ask");
if prompt != () {{
    chat_message("user").markdown(prompt);
    let stream = http_stream_open("{url}", #{{ field: "choices.0.delta.content" }});
    state.answers = state.answers + [chat_message("assistant").write_stream(stream)];
}}"#,
        url = service.url("/chat")
    );
    let dir = ScriptDir::with(&[("ask.rhai", &script)]);
    let mut settings = dir.settings(false);
    let allow = vec![AllowedHost { scheme: None, host: "127.0.0.1".into(), port: Some(service.port) }];
    settings.http = HttpSettings { allow, allow_private: true, timeout: WAIT, ..HttpSettings::default() };
    // The run waits for the test's releases: give it the time a busy machine needs.
    settings.limits.max_run_time = WAIT + Duration::from_secs(10);
    let app = TestApp::spawn(settings);
    let browser = Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/ask"));
    wait_for_runnel(&page);
    page.focus(FIELD);
    page.type_text("hi");
    page.press_enter();
    // The service holds each later token until the page has shown the ones before it.
    wait_for_answer(&page, "Streamed");
    assert!(!last_answer(&page).contains("tokens"), "{}", last_answer(&page));
    service.release_events();
    wait_for_answer(&page, "Streamed tokens");
    assert!(!last_answer(&page).contains("arrive"), "{}", last_answer(&page));
    service.release_events();
    wait_for_answer(&page, "Streamed tokens arrive.");
}

/// A chat whose answer comes from a host the configuration does not allow.
const NOT_ALLOWED: &str = r#"
if !("asked" in state) { state.asked = 0; }
let prompt = chat_input("Ask");
if prompt != () {
    state.asked += 1;
    chat_message("user").markdown(prompt);
    chat_message("assistant").write_stream(http_stream_open("http://127.0.0.1:9/answer"));
}
"#;

#[test]
fn a_call_to_a_host_that_is_not_allowed_shows_a_clear_error_in_the_page() {
    let dir = ScriptDir::with(&[("ask.rhai", NOT_ALLOWED)]);
    let app = TestApp::spawn(dir.settings(false));
    let browser = Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/ask"));
    wait_for_runnel(&page);

    page.focus(FIELD);
    page.type_text("hello");
    page.press_enter();
    page.wait_until("!!document.querySelector('.rn-script-error')", WAIT);

    let error = page.text(".rn-script-error");
    assert!(error.contains("is not an allowed host"), "the page names the refusal: {error}");
    assert!(error.contains("[http]"), "and where to allow it: {error}");
}
