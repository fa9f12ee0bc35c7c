//! Graceful shutdown of the real binary at SIGTERM: while it drains, `/readyz` says 503, a
//! request on a kept-alive connection that was idle is answered (and told to close) and live
//! pages are told to reconnect; then new connections are refused, the run in flight finishes,
//! and the process exits within its timeout.

use std::time::{Duration, Instant};

use crate::binary::Binary;
use crate::support::ScriptDir;

const SLOW: &str = r#"print("slow run started"); sleep(2.0); title("slow done");"#;
const COUNTER: &str = r#"title("counter");"#;

/// One TCP connection, used for one request after another (HTTP/1.1 keep-alive).
struct KeptAlive {
    stream: std::io::BufReader<std::net::TcpStream>,
}

impl KeptAlive {
    fn open(address: &str) -> Self {
        let stream = std::net::TcpStream::connect(address.trim_start_matches("http://")).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Self { stream: std::io::BufReader::new(stream) }
    }

    /// Sends a GET and reads its whole answer (head and body, by its Content-Length).
    fn get(&mut self, path: &str) -> String {
        use std::io::{BufRead, Read, Write};
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n\r\n");
        self.stream.get_mut().write_all(request.as_bytes()).unwrap();
        let mut head = String::new();
        loop {
            let mut line = String::new();
            assert!(self.stream.read_line(&mut line).unwrap() > 0, "the connection was closed: {head}");
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let length = head
            .lines()
            .find_map(|l| l.to_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
            .expect("a Content-Length");
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).unwrap();
        head
    }
}

// Multi-threaded: the slow request must go on while the test waits for a log line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_and_kept_alive_requests_tells_live_pages_and_exits_in_time() {
    let dir = ScriptDir::with(&[("slow.rhai", SLOW), ("counter.rhai", COUNTER)]);
    let mut server =
        Binary::start(&[dir.path.to_str().unwrap(), "--shutdown-timeout-secs", "5", "--shutdown-drain-ms", "1500"]);
    // A connection that is kept alive and idle when the signal comes.
    let mut kept_alive = KeptAlive::open(&server.address);
    assert!(kept_alive.get("/counter").starts_with("HTTP/1.1 200"));
    let mut live = reqwest::Client::new().get(server.url("/_live/counter")).send().await.unwrap();
    assert!(String::from_utf8_lossy(&live.chunk().await.unwrap().unwrap()).contains("connected"));
    let slow = tokio::spawn(reqwest::Client::new().get(server.url("/slow")).send());
    server.wait_for_line(|line| line.contains("slow run started"));

    let signalled = Instant::now();
    crate::outage::signal(&server.child.id().to_string(), "TERM");
    server.wait_for_line(|line| line.contains("shutting down"));
    let ready = reqwest::Client::new().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "the load balancer is told to stop sending here");

    let mut heard = String::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(5), live.chunk()).await.unwrap().unwrap() {
        heard.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(heard.contains("event: reconnect"), "the live page is told to reconnect, then the stream ends: {heard}");

    let on_idle_connection = kept_alive.get("/counter");
    assert!(on_idle_connection.starts_with("HTTP/1.1 200"), "the same connection is answered: {on_idle_connection}");
    assert!(on_idle_connection.to_lowercase().contains("connection: close"), "and told to close: {on_idle_connection}");

    server.wait_for_line(|line| line.contains("no longer accepting"));
    let fresh = reqwest::Client::new().get(server.url("/counter")).send().await;
    assert!(fresh.is_err(), "a new connection is not accepted while shutting down");

    let slow = slow.await.unwrap().expect("the run in flight is answered");
    assert_eq!(slow.status(), 200);
    assert!(slow.text().await.unwrap().contains("slow done"));

    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < Duration::from_secs(8), "still running {:?} after SIGTERM", signalled.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
    assert!(server.log().iter().any(|line| line.contains("stopped")));
}
