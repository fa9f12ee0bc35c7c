//! The host on its own thread and actix system for the benchmarks, and reading a page's CSRF
//! token: shared by `runnel_bench` and `login_timing`.

use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use runnel::config::Settings;
use runnel::session_store::Store;
use runnel::startup::Application;

pub struct TestServer {
    pub base: String,
    pub store: Store,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn spawn(settings: Settings) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build_with_listener(settings, listener).expect("the app builds");
                tx.send((app.port(), app.handle(), app.store())).expect("the bench waits");
                app.run_until_stopped().await.expect("the server runs");
            });
        });
        let (port, handle, store) = rx.recv_timeout(Duration::from_secs(30)).expect("the app starts");
        Self { base: format!("http://127.0.0.1:{port}"), store, handle, thread: Some(thread) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let stop = self.handle.stop(true);
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
            rt.block_on(stop);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}
