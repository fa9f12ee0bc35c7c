//! Minimal synchronous Chrome DevTools Protocol client driving headless Chromium in tests.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// Upper bound for one CDP round trip, and for a navigation's load.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Tabs in the background run at full speed: tests drive several tabs at once.
const FLAGS: &str = "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --disable-background-timer-throttling --disable-renderer-backgrounding \
    --disable-backgrounding-occluded-windows --remote-debugging-port=0";

/// Events seen per CDP session (one per page).
#[derive(Default)]
struct SessionState {
    dialogs: u64,
    loads: u64,
    /// Main-frame navigations committed (including back/forward-cache restores).
    navigations: u64,
    /// The tab's HTTP requests in the order the browser issued them (see `Page::watch_network`).
    requests: Vec<Request>,
}

/// One HTTP request of a tab as the browser saw it (CDP `Network` events). Times are seconds on
/// the browser's monotonic clock, comparable between the requests of one browser.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub url: String,
    /// When the browser issued the request (before it went out on the wire).
    pub sent: f64,
    /// When the answer's headers reached the page, its cookies taken in; None if they never did.
    pub answered: Option<f64>,
    pub status: Option<u64>,
    /// When it finished or failed; `canceled` when the browser gave it up (e.g. a navigation).
    pub ended: Option<f64>,
    pub canceled: bool,
    id: String,
}

impl SessionState {
    /// Records one `Network.*` event of this tab.
    fn record_network(&mut self, method: &str, params: &Value) {
        let id = params["requestId"].as_str().unwrap_or_default();
        let at = params["timestamp"].as_f64().unwrap_or_default();
        if method == "Network.requestWillBeSent" {
            self.requests.push(Request {
                method: params["request"]["method"].as_str().unwrap_or_default().to_owned(),
                url: params["request"]["url"].as_str().unwrap_or_default().to_owned(),
                sent: at,
                answered: None,
                status: None,
                ended: None,
                canceled: false,
                id: id.to_owned(),
            });
            return;
        }
        let Some(request) = self.requests.iter_mut().rev().find(|r| r.id == id) else { return };
        match method {
            "Network.responseReceived" => {
                request.answered = Some(at);
                request.status = params["response"]["status"].as_u64();
            }
            "Network.loadingFinished" => request.ended = Some(at),
            "Network.loadingFailed" => {
                request.ended = Some(at);
                request.canceled = params["canceled"].as_bool().unwrap_or(false);
            }
            _ => {}
        }
    }
}

/// The single websocket to the browser endpoint, shared by all pages.
struct Conn {
    ws: RefCell<WebSocket<TcpStream>>,
    next_id: Cell<u64>,
    sessions: RefCell<HashMap<String, SessionState>>,
}

impl Conn {
    /// Sends a command without waiting; write errors surface on the next read.
    fn write(&self, method: &str, params: Value, session: Option<&str>) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let _ = self.ws.borrow_mut().send(Message::text(msg.to_string()));
        id
    }

    /// Reads one message, recording events; None when the short socket read timeout expires.
    fn pump(&self, deadline: Instant, what: &str) -> Option<Value> {
        if Instant::now() > deadline {
            panic!("CDP: timed out waiting for {what}");
        }
        let read = self.ws.borrow_mut().read();
        let text = match read {
            Ok(Message::Text(t)) => t,
            Ok(_) => return None,
            Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None;
            }
            Err(e) => panic!("CDP: websocket error while waiting for {what}: {e}"),
        };
        let v: Value = serde_json::from_str(&text).expect("CDP: invalid JSON from browser");
        if let (None, Some(session)) = (v.get("id"), v["sessionId"].as_str()) {
            let mut sessions = self.sessions.borrow_mut();
            let state = sessions.entry(session.to_string()).or_default();
            match v["method"].as_str() {
                Some("Page.loadEventFired") => state.loads += 1,
                Some("Page.frameNavigated") if v["params"]["frame"].get("parentId").is_none() => {
                    state.navigations += 1;
                }
                Some(network) if network.starts_with("Network.") => state.record_network(network, &v["params"]),
                Some("Page.javascriptDialogOpening") => {
                    state.dialogs += 1;
                    // Dismiss it (accept beforeunload so navigations proceed); reply is ignored.
                    let params = json!({ "accept": v["params"]["type"] == "beforeunload" });
                    drop(sessions);
                    self.write("Page.handleJavaScriptDialog", params, Some(session));
                }
                _ => {}
            }
        }
        Some(v)
    }

    /// Sends a command and waits for its result; Err carries the protocol error.
    fn call(&self, method: &str, params: Value, session: Option<&str>) -> Result<Value, String> {
        let id = self.write(method, params, session);
        let (deadline, what) = (Instant::now() + CALL_TIMEOUT, format!("the reply to {method}"));
        loop {
            let Some(v) = self.pump(deadline, &what) else {
                continue;
            };
            if v["id"].as_u64() == Some(id) {
                if let Some(err) = v.get("error") {
                    return Err(format!("{method} failed: {err}"));
                }
                return Ok(v.get("result").cloned().unwrap_or(Value::Null));
            }
        }
    }

    fn send(&self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.call(method, params, session).unwrap_or_else(|e| panic!("CDP: {e}"))
    }
}

/// A headless Chromium process (killed on drop) plus its DevTools connection.
pub struct Browser {
    child: Child,
    dir: PathBuf,
    conn: Rc<Conn>,
}

impl Browser {
    /// Launches `$RUNNEL_CHROMIUM` (default `/usr/bin/chromium`) with a fresh profile.
    pub fn launch() -> Browser {
        Self::launch_with(&[])
    }

    /// Like `launch`, with more command-line flags (a benchmark that compares browser settings).
    pub fn launch_with(extra_flags: &[&str]) -> Browser {
        let exe = std::env::var("RUNNEL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if !std::path::Path::new(&exe).exists() {
            panic!("chromium not found at {exe}: run `apt-get install chromium` (or set RUNNEL_CHROMIUM)");
        }
        // Fresh temp dir: <tmp>/runnel-chromium-<pid>-<n>/{profile/,stderr.log}.
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("runnel-chromium-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (profile, log_path) = (dir.join("profile"), dir.join("stderr.log"));
        std::fs::create_dir_all(&profile).expect("create chromium temp dir");
        let log = std::fs::File::create(&log_path).expect("create chromium log file");
        let mut child = Command::new(&exe)
            .args(FLAGS.split_whitespace())
            .args(extra_flags)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {exe}: {e} (apt-get install chromium?)"));
        // DevToolsActivePort: first line = port, second line = browser websocket path.
        let port_file = profile.join("DevToolsActivePort");
        // Bounds, not waits: on a quiet machine Chromium starts in well under a second, but a
        // machine busy compiling can take many seconds.
        let deadline = Instant::now() + Duration::from_secs(60);
        let (port, path) = loop {
            let content = std::fs::read_to_string(&port_file).unwrap_or_default();
            if let [port, path, ..] = content.lines().collect::<Vec<_>>()[..] {
                break (port.trim().parse::<u16>().expect("bad port"), path.trim().to_string());
            }
            let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
            if let Ok(Some(status)) = child.try_wait() {
                panic!("chromium exited early ({status}); stderr:\n{}", log());
            }
            if Instant::now() > deadline {
                let _ = (child.kill(), child.wait());
                panic!("chromium wrote no DevToolsActivePort within 60 s; stderr:\n{}", log());
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to DevTools port");
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream.set_nodelay(true).unwrap();
        let (ws, _) = tungstenite::client(format!("ws://127.0.0.1:{port}{path}"), stream)
            .unwrap_or_else(|e| panic!("CDP websocket handshake failed: {e}"));
        // Short read timeout from now on so every wait can check its own deadline.
        ws.get_ref().set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let (ws, next_id, sessions) = (RefCell::new(ws), Cell::new(0), RefCell::default());
        let conn = Rc::new(Conn { ws, next_id, sessions });
        Browser { child, dir, conn }
    }

    /// Opens a fresh tab (about:blank), attached through a flattened session.
    pub fn new_page(&self) -> Page {
        self.open_page(json!({ "url": "about:blank" }))
    }

    /// A new browser context: like an incognito window, with a cookie jar of its own.
    pub fn new_context(&self) -> String {
        let created = self.conn.send("Target.createBrowserContext", json!({}), None);
        created["browserContextId"].as_str().expect("browserContextId").to_string()
    }

    /// Opens a fresh tab (about:blank) in the browser context `context` (see `new_context`).
    pub fn new_page_in(&self, context: &str) -> Page {
        self.open_page(json!({ "url": "about:blank", "browserContextId": context }))
    }

    fn open_page(&self, params: Value) -> Page {
        let created = self.conn.send("Target.createTarget", params, None);
        let target_id = created["targetId"].as_str().expect("targetId").to_string();
        let params = json!({ "targetId": target_id, "flatten": true });
        let attached = self.conn.send("Target.attachToTarget", params, None);
        let session = attached["sessionId"].as_str().expect("sessionId").to_string();
        self.conn.sessions.borrow_mut().entry(session.clone()).or_default();
        self.conn.send("Page.enable", json!({}), Some(&session));
        Page { conn: self.conn.clone(), session, target_id }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely first (lets the renderer processes exit), then kill.
        self.conn.write("Browser.close", json!({}), None);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = (self.child.kill(), self.child.wait());
        for _ in 0..5 {
            if std::fs::remove_dir_all(&self.dir).is_ok() || !self.dir.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// One browser tab.
pub struct Page {
    conn: Rc<Conn>,
    session: String,
    target_id: String,
}

impl Page {
    fn send(&self, method: &str, params: Value) -> Value {
        self.conn.send(method, params, Some(&self.session))
    }

    fn state<T>(&self, f: impl Fn(&SessionState) -> T) -> T {
        f(&self.conn.sessions.borrow()[&self.session])
    }

    /// Navigates, then waits for the load event and `document.readyState == "complete"`.
    pub fn navigate(&self, url: &str) {
        let loads_before = self.state(|s| s.loads);
        let res = self.send("Page.navigate", json!({ "url": url }));
        if let Some(err) = res["errorText"].as_str() {
            panic!("navigation to {url} failed: {err}");
        }
        let deadline = Instant::now() + CALL_TIMEOUT;
        // Only cross-document navigations have a loaderId (and a load event).
        if res.get("loaderId").is_some() {
            while self.state(|s| s.loads) == loads_before {
                self.conn.pump(deadline, &format!("the load event of {url}"));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        self.wait_until("document.readyState === 'complete'", left);
    }

    fn try_eval(&self, js: &str) -> Result<Value, String> {
        let params = json!({ "expression": js, "returnByValue": true, "awaitPromise": true });
        let res = self.conn.call("Runtime.evaluate", params, Some(&self.session))?;
        if let Some(ex) = res.get("exceptionDetails") {
            let desc = ex["exception"]["description"].as_str().or(ex["text"].as_str());
            return Err(format!("JS exception in `{js}`: {}", desc.unwrap_or("?")));
        }
        Ok(res["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// Reloads the tab, then waits like `navigate`.
    pub fn reload(&self) {
        let loads_before = self.state(|s| s.loads);
        self.send("Page.reload", json!({}));
        let deadline = Instant::now() + CALL_TIMEOUT;
        while self.state(|s| s.loads) == loads_before {
            self.conn.pump(deadline, "the load event of a reload");
        }
        let left = deadline.saturating_duration_since(Instant::now());
        self.wait_until("document.readyState === 'complete'", left);
    }

    /// Waits (bounded) for a navigation that something else started, e.g. `location.reload()`
    /// in an `eval`: until `navigations_before` is passed and the new document is complete.
    pub fn wait_for_navigation(&self, navigations_before: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.state(|s| s.navigations) == navigations_before {
            self.conn.pump(deadline, "a navigation");
        }
        let left = deadline.saturating_duration_since(Instant::now());
        self.wait_until("document.readyState === 'complete'", left);
    }

    /// From now on, records the tab's HTTP requests (CDP `Network.enable`); see `requests`.
    pub fn watch_network(&self) {
        self.send("Network.enable", json!({}));
    }

    /// The requests recorded since `watch_network` (or the last `forget_requests`), in the order
    /// the browser issued them.
    pub fn requests(&self) -> Vec<Request> {
        self.eval("0"); // a round trip processes every event the browser sent before it
        self.state(|s| s.requests.clone())
    }

    /// Forgets the requests recorded so far.
    pub fn forget_requests(&self) {
        self.eval("0");
        if let Some(state) = self.conn.sessions.borrow_mut().get_mut(&self.session) {
            state.requests.clear();
        }
    }

    /// Waits (bounded) until a `method` request whose URL ends with `url_end` has been answered
    /// or has failed, and returns it.
    pub fn wait_for_request(&self, method: &str, url_end: &str, timeout: Duration) -> Request {
        let deadline = Instant::now() + timeout;
        let what = format!("the answer to {method} …{url_end}");
        loop {
            let found = self.state(|s| {
                let mut matching = s.requests.iter().filter(|r| r.method == method && r.url.ends_with(url_end));
                matching.find(|r| r.answered.is_some() || r.ended.is_some()).cloned()
            });
            if let Some(request) = found {
                return request;
            }
            self.conn.pump(deadline, &what);
        }
    }

    /// Main-frame navigations committed so far (see `wait_for_navigation`).
    pub fn navigations(&self) -> u64 {
        self.eval("0"); // a round trip processes every event the browser sent before it
        self.state(|s| s.navigations)
    }

    /// The browser's back button: goes one entry back in the tab's history and waits until that
    /// document is shown (loaded anew, or restored from the back/forward cache).
    pub fn go_back(&self) {
        let history = self.send("Page.getNavigationHistory", json!({}));
        let current = history["currentIndex"].as_u64().expect("currentIndex") as usize;
        assert!(current > 0, "go_back: there is no earlier history entry");
        let entry = history["entries"][current - 1]["id"].as_i64().expect("entry id");
        let before = self.navigations();
        self.send("Page.navigateToHistoryEntry", json!({ "entryId": entry }));
        self.wait_for_navigation(before, CALL_TIMEOUT);
    }

    /// The URLs of the tab's history entries and the index of the current one.
    pub fn history(&self) -> (Vec<String>, usize) {
        let history = self.send("Page.getNavigationHistory", json!({}));
        let urls = history["entries"].as_array().expect("entries").iter();
        let urls = urls.map(|e| e["url"].as_str().unwrap_or_default().to_string()).collect();
        (urls, history["currentIndex"].as_u64().expect("currentIndex") as usize)
    }

    /// The cookies the browser would send to `url`, HttpOnly ones included (CDP
    /// `Network.getCookies`), as CDP `Cookie` objects.
    pub fn cookies_for(&self, url: &str) -> Vec<Value> {
        let res = self.send("Network.getCookies", json!({ "urls": [url] }));
        res["cookies"].as_array().cloned().unwrap_or_default()
    }

    /// Sets `cookie` (a CDP `Cookie` object, e.g. from `cookies`) in this tab's cookie jar.
    pub fn set_cookie(&self, cookie: &Value) {
        let mut params = json!({});
        for field in ["name", "value", "domain", "path", "secure", "httpOnly", "sameSite"] {
            if let Some(v) = cookie.get(field) {
                params[field] = v.clone();
            }
        }
        if cookie["session"] != json!(true) {
            params["expires"] = cookie["expires"].clone();
        }
        self.send("Network.setCookie", params);
    }

    /// From the next navigation on, records every Content-Security-Policy violation of the
    /// tab's documents (CDP injects the listener, so the page's own policy does not stop it).
    pub fn watch_csp_violations(&self) {
        let listener = "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', \
                        e => window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));";
        self.send("Page.addScriptToEvaluateOnNewDocument", json!({ "source": listener }));
    }

    /// The violations recorded in the current document (see `watch_csp_violations`).
    pub fn csp_violations(&self) -> Vec<String> {
        let seen = self.eval("window.__cspViolations ?? ['the violation listener is not installed']");
        serde_json::from_value(seen).unwrap_or_else(|e| panic!("violations are strings: {e}"))
    }

    /// Evaluates `js` (promises awaited) and returns its JSON value (`null` for undefined).
    pub fn eval(&self, js: &str) -> Value {
        self.try_eval(js).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Polls `js_condition` every 20 ms until truthy; errors (e.g. mid-navigation) count as false.
    pub fn wait_until(&self, js_condition: &str, timeout: Duration) {
        let (deadline, js) = (Instant::now() + timeout, format!("!!({js_condition})"));
        let mut last_err = String::new(); // reported on timeout
        loop {
            match self.try_eval(&js) {
                Ok(Value::Bool(true)) => return,
                Ok(_) => {}
                Err(e) => last_err = format!(" (last error: {e})"),
            }
            if Instant::now() > deadline {
                panic!("timed out after {timeout:?} waiting for `{js_condition}`{last_err}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs `body` with `e` = first match of `css_selector`; null if nothing matches.
    fn on_element(&self, css_selector: &str, body: &str) -> Value {
        let sel = serde_json::to_string(css_selector).unwrap();
        self.eval(&format!("(() => {{ const e = document.querySelector({sel}); if (!e) return null; {body} }})()"))
    }

    /// Real mouse click at the center of the first element matching `css_selector`.
    /// As a person does, it first brings the tab to the front: a background tab's input and
    /// timers can lag by seconds.
    pub fn click(&self, css_selector: &str) {
        self.bring_to_front();
        let js = "e.scrollIntoView({block: 'center', inline: 'center'}); \
                  const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];";
        let pos = self.on_element(css_selector, js);
        let (Some(x), Some(y)) = (pos[0].as_f64(), pos[1].as_f64()) else {
            panic!("click: no element matches `{css_selector}`");
        };
        for ty in ["mouseMoved", "mousePressed", "mouseReleased"] {
            let mut p = json!({ "type": ty, "x": x, "y": y });
            if ty != "mouseMoved" {
                p["button"] = json!("left");
                p["clickCount"] = json!(1);
            }
            self.send("Input.dispatchMouseEvent", p);
        }
    }

    /// Brings the tab to the front (makes it the visible one), as clicking into it would.
    pub fn bring_to_front(&self) {
        self.send("Page.bringToFront", json!({}));
    }

    /// Focuses the first element matching `css_selector` (panics if none), in front like `click`.
    pub fn focus(&self, css_selector: &str) {
        self.bring_to_front();
        if self.on_element(css_selector, "e.focus(); return true;").is_null() {
            panic!("focus: no element matches `{css_selector}`");
        }
    }

    /// Inserts `text` into the focused element (like an IME commit: fires `input` events).
    pub fn type_text(&self, text: &str) {
        self.send("Input.insertText", json!({ "text": text }));
    }

    /// Presses and releases Enter; in a focused input this triggers implicit form submission.
    pub fn press_enter(&self) {
        let key = json!({ "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13 });
        let (mut down, mut up) = (key.clone(), key);
        down["type"] = json!("keyDown");
        down["text"] = json!("\r");
        up["type"] = json!("keyUp");
        self.send("Input.dispatchKeyEvent", down);
        self.send("Input.dispatchKeyEvent", up);
    }

    /// Presses and releases Escape (closes a dialog).
    pub fn press_escape(&self) {
        let key = json!({ "key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27 });
        let (mut down, mut up) = (key.clone(), key);
        down["type"] = json!("keyDown");
        up["type"] = json!("keyUp");
        self.send("Input.dispatchKeyEvent", down);
        self.send("Input.dispatchKeyEvent", up);
    }

    /// Enables/disables page scripts (`eval` keeps working either way).
    pub fn set_javascript_enabled(&self, enabled: bool) {
        self.send("Emulation.setScriptExecutionDisabled", json!({ "value": !enabled }));
    }

    /// Emulates a screen of `width` x `height` CSS pixels (a laptop, a phone).
    pub fn set_viewport(&self, width: u32, height: u32) {
        let metrics = json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false });
        self.send("Emulation.setDeviceMetricsOverride", metrics);
    }

    /// `textContent` of the first match, or "" if nothing matches.
    pub fn text(&self, css_selector: &str) -> String {
        let v = self.on_element(css_selector, "return e.textContent;");
        v.as_str().unwrap_or_default().to_string()
    }

    /// Current URL of the tab.
    pub fn url(&self) -> String {
        self.eval("location.href").as_str().unwrap_or_default().to_string()
    }

    /// Number of JavaScript dialogs (alert/confirm/prompt/beforeunload) seen; all are dismissed.
    pub fn on_dialog_count(&self) -> u64 {
        self.eval("0"); // a round trip processes every event the browser sent before it
        self.state(|s| s.dialogs)
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // Best effort: close the tab without waiting for the reply.
        self.conn.write("Target.closeTarget", json!({ "targetId": self.target_id }), None);
    }
}
