//! Chat elements through the harness: `chat_input` hands its message to exactly one run and is
//! drawn empty, `chat_message` containers with their looks and avatars, `write_stream` from an
//! array and from a function, and the errors for bad sources and options.

use runnel::config::ScriptLimits;
use runnel::harness::AppTest;
use runnel::page::{ChatLook, ContainerKind, Control, Element};
use runnel::session_state::EventError;
use serde_json::{Value, json};

use super::{container_kinds, error_message, html_of, run_ok, texts_in};

fn error_of(source: &str) -> String {
    error_message(&AppTest::from_source(source))
}

fn shows(app: &AppTest, text: &str) -> bool {
    app.page().texts().iter().any(|t| t == text)
}

const ECHO: &str = r#"
let m = chat_input("Say", #{ key: "msg", max_chars: 10 });
text(if m == () { "no message" } else { `got ${m}` });
if button("Other") { text("clicked"); }
"#;

#[test]
fn a_message_reaches_exactly_one_run_and_the_field_is_drawn_empty() {
    let mut app = run_ok(ECHO);
    assert!(shows(&app, "no message"));
    app.set("Say", &["hello"]).unwrap();
    assert!(shows(&app, "got hello"), "{:?}", app.page().texts());
    assert_eq!(app.state("msg"), Some(&json!("hello")), "the key mirrors the message in its run");
    let Control::Chat { placeholder, max_chars, pinned } = &app.page().widget("Say").unwrap().control else {
        panic!("a chat input")
    };
    assert_eq!((placeholder.as_str(), *max_chars, *pinned), ("Say", 10, true));
    assert!(html_of(app.page()).contains("value=\"\" placeholder=\"Say\""), "the field is empty again");
    app.run();
    assert!(shows(&app, "no message"), "the next run gets ()");
    assert_eq!(app.state("msg"), Some(&Value::Null));
    app.set("Say", &["again"]).unwrap();
    app.click("Other");
    assert!(shows(&app, "clicked") && shows(&app, "no message"), "another widget's event sends no message");
}

#[test]
fn a_message_whose_run_failed_before_the_chat_input_is_not_delivered_later() {
    let mut app = run_ok(
        r#"if checkbox("Fail") { throw "boom"; }
           let m = chat_input("Say");
           text(if m == () { "no message" } else { `got ${m}` });"#,
    );
    app.set("Fail", &["true"]).unwrap();
    app.send("chat_input:Say", &["lost"]).unwrap();
    assert!(app.page().error.is_some(), "the run failed before the chat input");
    app.send("checkbox:Fail", &["false"]).unwrap();
    assert!(shows(&app, "no message"), "{:?}", app.page().texts());
}

#[test]
fn a_message_over_the_limit_is_refused_and_a_blank_one_is_no_message() {
    let mut app = run_ok(ECHO);
    app.set("Say", &["hello"]).unwrap();
    let before = app.data().clone();
    let refused = app.set("Say", &["more than ten"]);
    assert!(matches!(refused, Err(EventError::InvalidValue { .. })), "{refused:?}");
    assert_eq!(app.data(), &before, "a refused message changes nothing");
    app.set("Say", &["   "]).unwrap();
    assert!(shows(&app, "no message"));
    // Without max_chars a cap still holds.
    let mut open = run_ok(r#"let m = chat_input("Say"); text(`${m}`);"#);
    let long = "x".repeat(20_001);
    assert!(matches!(open.set("Say", &[&long]), Err(EventError::InvalidValue { .. })));
}

#[test]
fn a_chat_input_in_a_container_is_not_pinned_and_options_are_checked() {
    let app = run_ok(r#"let c = container(); c.chat_input("Inside"); chat_input();"#);
    let pinned = |label: &str| match &app.page().widget(label).unwrap().control {
        Control::Chat { pinned, .. } => *pinned,
        _ => panic!("a chat input"),
    };
    assert!(!pinned("Inside"));
    assert!(pinned("Your message"), "Streamlit's placeholder when none is given");
    let html = html_of(app.page());
    assert_eq!(html.matches("rn-chat-pinned").count(), 1, "{html}");
    assert!(error_of(r#"chat_input("a", #{ max_chars: 0 });"#).contains("between 1 and 20000"));
    assert!(error_of(r#"chat_input("a", #{ value: "x" });"#).contains("unknown option `value`"));
    let in_form = error_of("let f = form(\"f\");\nf.chat_input(\"a\");");
    assert!(in_form.contains("cannot be used inside the form"), "{in_form}");
}

#[test]
fn chat_messages_have_the_usual_looks_and_avatars_and_hold_markdown() {
    let app = run_ok(
        r#"chat_message("user").markdown("**hi**");
           chat_message("assistant").write("hello");
           chat_message("human"); chat_message("ai");
           chat_message("bob"); chat_message("user", #{ avatar: "🦊" });"#,
    );
    let looks: Vec<(ChatLook, String)> = container_kinds(app.page())
        .into_iter()
        .map(|k| match k {
            ContainerKind::ChatMessage { look, avatar, .. } => (*look, avatar.clone()),
            other => panic!("a chat message, not {other:?}"),
        })
        .collect();
    let expected = [
        (ChatLook::User, "🧑"),
        (ChatLook::Assistant, "🤖"),
        (ChatLook::User, "🧑"),
        (ChatLook::Assistant, "🤖"),
        (ChatLook::Other, "B"),
        (ChatLook::User, "🦊"),
    ];
    assert_eq!(looks, expected.map(|(l, a)| (l, a.to_owned())));
    let Some(Element::Container(first)) = app.page().main().first() else { panic!("a container first") };
    assert!(
        matches!(app.page().containers[*first].children.first(), Some(Element::Markdown(h)) if h.contains("<strong>hi</strong>"))
    );
    let html = html_of(app.page());
    assert!(html.contains("rn-chat-message rn-chat-user"), "{html}");
    assert!(html.contains("role=\"img\" aria-label=\"bob\">B</div>"), "{html}");
    assert!(error_of(r#"chat_message("user", #{ avatar: "a very long avatar" });"#).contains("option `avatar`"));
    assert!(error_of(r#"chat_message("user", #{ name: "x" });"#).contains("unknown option `name`"));
    assert!(error_of(r#"chat_message(" ");"#).contains("needs a role"));
}

#[test]
fn write_stream_shows_an_array_of_chunks_in_one_element_and_returns_the_whole_text() {
    let app = run_ok(r#"let t = write_stream(["Hel", "lo ", "**you** ", 42]); text(`whole: ${t}`);"#);
    assert_eq!(app.page().main().len(), 2, "one markdown element, then the text");
    assert!(
        matches!(&app.page().main()[0], Element::Markdown(h) if h == "<p>Hello <strong>you</strong> 42</p>\n"),
        "{:?}",
        app.page().main()[0]
    );
    assert!(shows(&app, "whole: Hello **you** 42"));
}

#[test]
fn write_stream_calls_a_function_until_it_returns_nothing() {
    let app = run_ok(
        r#"let words = ["one", "two", "three"];
           let i = 0;
           let next = || { if i >= words.len() { return (); } i += 1; words[i - 1] + " " };
           let bubble = chat_message("assistant");
           let t = bubble.write_stream(next);
           text(`whole: ${t}|`);"#,
    );
    assert!(shows(&app, "whole: one two three |"), "{:?}", app.page().texts());
    let Some(Element::Container(id)) = app.page().main().first() else { panic!("the message first") };
    assert_eq!(texts_in(app.page(), *id), vec!["<p>one two three</p>\n".to_owned()]);
}

#[test]
fn bad_sources_and_endless_functions_are_errors_at_their_line() {
    assert!(error_of("write_stream(42);").contains("write_stream takes an array of chunks"));
    assert!(error_of(r#"write_stream([#{ a: 1 }]);"#).contains("a chunk is text, not map"));
    let limits = ScriptLimits { max_array_size: 10, ..ScriptLimits::default() };
    let endless = AppTest::with_limits("text(\"start\");\nwrite_stream(|| \"x\");", limits);
    let error = endless.page().error.clone().expect("an error");
    assert_eq!(error.line, Some(2));
    assert!(error.message.contains("more than 10 chunks"), "{}", error.message);
    let not_allowed = error_of(r#"write_stream(http_stream_open("http://example.com/chat"));"#);
    assert!(not_allowed.contains("`example.com` is not an allowed host"), "{not_allowed}");
    assert!(error_of(r#"http_stream_open("http://example.com", #{ field: "a..b" });"#).contains("option `field`"));
    assert!(error_of(r#"http_stream_open("http://example.com", #{ fields: "a" });"#).contains("unknown option"));
}
