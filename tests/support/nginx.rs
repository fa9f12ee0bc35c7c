//! A private nginx (Debian's package) in front of host instances, on a free loopback port,
//! serving the shipped `deploy/nginx/runnel.conf` with only its upstream addresses and its
//! listening port replaced. Everything it writes (pid, logs, temp files) stays in a folder of
//! its own; killed on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::{START, on_a_free_port};

/// The shipped configuration, relative to the repository.
pub const SHIPPED: &str = "deploy/nginx/runnel.conf";

pub struct Nginx {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    /// Starts nginx on a free port in front of the instances listening on `upstreams`, or says
    /// why it could not. A port another process took between the pick and the start is given
    /// up for another (a few times): the server that answers must be this nginx.
    pub fn start(upstreams: &[u16]) -> Result<Self, String> {
        let binary = binary().ok_or("nginx is not installed (apt-get install nginx, or run dev/test)")?;
        on_a_free_port(|port| Self::start_on(&binary, upstreams, port))
    }

    /// Starts nginx on `port`; an error when another server holds it (then nginx exits).
    pub fn start_on(binary: &Path, upstreams: &[u16], port: u16) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("runnel-nginx-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("a folder for nginx: {e}"))?;
        let shipped = std::fs::read_to_string(super::repo_path(SHIPPED)).map_err(|e| format!("{SHIPPED}: {e}"))?;
        let write = |name: &str, text: String| std::fs::write(dir.join(name), text).map_err(|e| e.to_string());
        write("runnel.conf", site_config(&shipped, upstreams, port))?;
        write("nginx.conf", main_config(&dir))?;
        let child = Command::new(binary)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start nginx: {e}"))?;
        let mut nginx = Self { port, child, dir };
        let deadline = Instant::now() + START;
        while !answers_as_nginx(port) {
            let exited = nginx.child.try_wait().ok().flatten().is_some();
            if exited || Instant::now() > deadline {
                return Err(format!("nginx did not start on port {port}: {}", nginx.error_log()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(nginx)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What nginx logged (errors and warnings).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the server on `port` answers as nginx (its `Server` header), not as another process
/// that took the port first.
fn answers_as_nginx(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(b"HEAD /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").is_err() {
        return false;
    }
    // HTTP/1.0: nginx closes the connection after the head.
    let mut head = Vec::new();
    let _ = stream.take(4096).read_to_end(&mut head);
    String::from_utf8_lossy(&head).to_ascii_lowercase().contains("\r\nserver: nginx")
}

/// nginx from the PATH, else where Debian puts it (/usr/sbin is not on every user's PATH).
pub fn binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|p| p.join("nginx")).find(|p| p.is_file()))
        .unwrap_or_default();
    on_path.or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|p| p.is_file()))
}

/// The shipped file with its three upstream servers replaced by `upstreams` and its `listen`
/// by the loopback port; panics if the shipped file no longer has what is replaced.
pub fn site_config(shipped: &str, upstreams: &[u16], port: u16) -> String {
    let mut text = shipped.to_owned();
    for (i, upstream) in upstreams.iter().enumerate() {
        let name = format!("server runnel{}:8501", i + 1);
        assert!(text.contains(&name), "{SHIPPED} lost its upstream `{name}`");
        text = text.replace(&name, &format!("server 127.0.0.1:{upstream}"));
    }
    assert!(!text.contains("server runnel"), "{SHIPPED} has more upstreams than instances were started");
    assert!(text.contains("listen 80;"), "{SHIPPED} lost its `listen 80;`");
    text.replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
}

/// The main file around the site: one process in the foreground, everything under `dir`.
fn main_config(dir: &Path) -> String {
    let dir = dir.display();
    // nginx started by root hands its work to `nobody`, which could not write the temp files.
    let user = if running_as_root() { "user root;\n" } else { "" };
    format!(
        "{user}daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n\
         access_log off;\n\
         client_body_temp_path {dir}/client_body;\nproxy_temp_path {dir}/proxy;\n\
         fastcgi_temp_path {dir}/fastcgi;\nuwsgi_temp_path {dir}/uwsgi;\nscgi_temp_path {dir}/scgi;\n\
         include {dir}/runnel.conf;\n}}\n"
    )
}

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("Uid:")).is_some_and(|ids| ids.split_whitespace().next() == Some("0"))
}
