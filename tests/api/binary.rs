//! The real `runnel` binary serving on a free port, its log read line by line as a log
//! collector reads it from a pipe; killed on drop.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Binary {
    pub child: Child,
    pub address: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Binary {
    /// Starts `runnel run --port 0 --no-watch <args>` and waits for the line that says where
    /// it serves.
    pub fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_runnel"))
            .args(["run", "--port", "0", "--no-watch"])
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .env_remove("RUST_LOG")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        for output in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(output).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        let mut binary = Self { child, address: String::new(), lines };
        let serving = binary.wait_for_line(|line| line.contains("serving") && line.contains("http://"));
        let start = serving.find("http://").unwrap();
        let address: String = serving[start..].chars().take_while(|c| !c.is_whitespace() && *c != '"').collect();
        binary.address = address;
        binary
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Every line logged so far.
    pub fn log(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits (at most 20 s) for a log line that `wanted` accepts, and returns it.
    pub fn wait_for_line(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(line) = self.lines.lock().unwrap().iter().find(|l| wanted(l)) {
                return line.clone();
            }
            assert!(Instant::now() < deadline, "no such log line in: {:#?}", self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
