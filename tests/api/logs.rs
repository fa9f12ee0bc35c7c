//! Logs and request ids, read from the real binary's piped output: JSON lines by default when
//! the output is not a terminal, never a colour code, and every line of a request carrying its
//! id, which the answer echoes and an error page shows.

use crate::binary::Binary;
use crate::support::ScriptDir;

const GREETING: &str = r#"print("drawing the greeting"); title("Hello");"#;

async fn get_with_id(url: &str, id: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(id) = id {
        request = request.header("X-Request-Id", id);
    }
    request.send().await.unwrap()
}

fn request_id_of(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"].to_str().unwrap().to_owned()
}

/// The log lines that name `id`, once the request's "answered" line is there.
fn lines_of(server: &Binary, id: &str) -> Vec<String> {
    server.wait_for_line(|line| line.contains(id) && line.contains("answered"));
    server.log().into_iter().filter(|line| line.contains(id)).collect()
}

#[tokio::test]
async fn a_proxys_request_id_is_echoed_and_on_every_json_log_line_of_its_request() {
    let dir = ScriptDir::with(&[("greeting.rhai", GREETING)]);
    let server = Binary::start(&[dir.path.to_str().unwrap(), "--trusted-proxies", "127.0.0.1"]);
    let answer = get_with_id(&server.url("/greeting"), Some("proxy-req-0001")).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(request_id_of(&answer), "proxy-req-0001");
    let lines = lines_of(&server, "proxy-req-0001");
    assert!(lines.iter().any(|l| l.contains("drawing the greeting")), "the script's print carries the id: {lines:#?}");
    // Every line the request logged: those after the log's start and before its answer line,
    // between which only this request ran.
    let log = server.log();
    let first = log.iter().position(|l| l.contains("drawing the greeting")).unwrap();
    let answered = log.iter().position(|l| l.contains("proxy-req-0001") && l.contains("answered")).unwrap();
    for line in &log[first..=answered] {
        assert!(line.contains("\"request_id\":\"proxy-req-0001\""), "a line of the request without its id: {line}");
    }
    for line in &log {
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(parsed["timestamp"].is_string() && parsed["level"].is_string(), "{line}");
        assert!(!line.contains('\u{1b}'), "a colour code in a piped log: {line}");
    }
}

#[tokio::test]
async fn a_request_without_an_id_gets_a_fresh_one_in_the_answer_and_the_log() {
    let dir = ScriptDir::with(&[("greeting.rhai", GREETING)]);
    let server = Binary::start(&[dir.path.to_str().unwrap(), "--log-format", "json"]);
    let first = request_id_of(&get_with_id(&server.url("/greeting"), None).await);
    let second = request_id_of(&get_with_id(&server.url("/greeting"), None).await);
    assert_ne!(first, second);
    assert!(first.len() >= 16 && first.chars().all(|c| c.is_ascii_alphanumeric()), "{first}");
    let lines = lines_of(&server, &first);
    assert!(lines.iter().any(|l| l.contains("drawing the greeting")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("\"status\":200") && l.contains("\"path\":\"/greeting\"")), "{lines:#?}");
}

#[tokio::test]
async fn an_id_from_an_untrusted_client_or_a_malformed_one_is_replaced() {
    let dir = ScriptDir::with(&[("greeting.rhai", GREETING)]);
    let untrusting = Binary::start(&[dir.path.to_str().unwrap()]);
    let answer = get_with_id(&untrusting.url("/greeting"), Some("client-chosen-id")).await;
    assert_ne!(request_id_of(&answer), "client-chosen-id", "only a trusted proxy names the request");
    let trusting = Binary::start(&[dir.path.to_str().unwrap(), "--trusted-proxies", "127.0.0.1"]);
    for forged in ["two words", "<b>html</b>", &"x".repeat(65)] {
        let answer = get_with_id(&trusting.url("/greeting"), Some(forged)).await;
        let id = request_id_of(&answer);
        assert!(id != forged && id.chars().all(|c| c.is_ascii_alphanumeric()), "{forged:?} became {id:?}");
    }
}

#[tokio::test]
async fn an_error_page_shows_the_request_id() {
    let dir = ScriptDir::with(&[("greeting.rhai", GREETING)]);
    let server = Binary::start(&[dir.path.to_str().unwrap(), "--trusted-proxies", "127.0.0.1"]);
    let answer = get_with_id(&server.url("/no-such-page"), Some("lost-page-42")).await;
    assert_eq!(answer.status(), 404);
    assert_eq!(request_id_of(&answer), "lost-page-42");
    let page = answer.text().await.unwrap();
    assert!(page.contains("<h1>Page not found</h1>") && page.contains("<code>lost-page-42</code>"), "{page}");
    lines_of(&server, "lost-page-42");
    // A refusal by a middleware (a form posted from another site) names its request too.
    let refused = reqwest::Client::new()
        .post(server.url("/greeting/event"))
        .header("X-Request-Id", "cross-site-7")
        .header("Origin", "https://elsewhere.example")
        .form(&[("widget", "button:Go"), ("value", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(request_id_of(&refused), "cross-site-7");
    assert!(refused.text().await.unwrap().contains("<code>cross-site-7</code>"));
}

#[tokio::test]
async fn pretty_logs_to_a_pipe_have_no_colour_codes_and_name_the_request() {
    let dir = ScriptDir::with(&[("greeting.rhai", GREETING)]);
    let server = Binary::start(&[dir.path.to_str().unwrap(), "--log-format", "pretty"]);
    let id = request_id_of(&get_with_id(&server.url("/greeting"), None).await);
    let lines = lines_of(&server, &id);
    assert!(lines.iter().any(|l| l.contains(&format!("request_id={id}")) && l.contains("drawing the greeting")));
    assert!(server.log().iter().all(|l| !l.contains('\u{1b}')), "{:#?}", server.log());
    assert!(server.log().iter().all(|l| !l.starts_with('{')), "pretty, not JSON");
}

#[test]
fn on_a_terminal_the_default_log_is_pretty_and_coloured() {
    use std::io::Read;
    let dir = ScriptDir::with(&[("greeting.rhai", GREETING)]);
    let command = format!("{} run --port 0 --no-watch {}", env!("CARGO_BIN_EXE_runnel"), dir.path.display());
    let mut terminal = std::process::Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("util-linux `script` runs commands on a pseudo-terminal");
    let mut stdout = terminal.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buffer) {
            if tx.send(String::from_utf8_lossy(&buffer[..n]).into_owned()).is_err() {
                break;
            }
        }
    });
    let mut screen = String::new();
    while !screen.contains("serving") {
        screen.push_str(&rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the server starts"));
    }
    let _ = terminal.kill();
    let _ = terminal.wait();
    assert!(screen.contains('\u{1b}'), "colours on a terminal: {screen:?}");
    assert!(!screen.contains("{\"timestamp\""), "pretty, not JSON, on a terminal: {screen:?}");
}
