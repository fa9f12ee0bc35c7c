//! The `runnel` command line: `check` reports compile errors as `file:line:col: message`; a
//! start that cannot go on says what failed and what to do in two lines, with no backtrace.

use std::process::{Command, Stdio};
use std::time::Duration;

fn runnel(args: &[&str]) -> std::process::Output {
    runnel_with_input(args, b"")
}

#[test]
fn check_passes_on_the_example_dashboards() {
    let out = runnel(&["check", "scripts"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty());
}

#[test]
fn check_prints_each_error_at_its_file_line_and_column_and_fails() {
    let out = runnel(&["check", "tests/fixtures"]);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = stdout.lines().find(|l| l.contains("broken.rhai")).expect("broken.rhai is reported");
    assert!(line.starts_with("tests/fixtures/broken.rhai:2:9: "), "{line}");
    assert_eq!(stdout.lines().count(), 1, "only the broken script fails: {stdout}");
}

#[test]
fn help_documents_the_commands_and_the_flags() {
    let top = String::from_utf8(runnel(&["--help"]).stdout).unwrap();
    assert!(top.contains("run") && top.contains("check"));
    let run = String::from_utf8(runnel(&["run", "--help"]).stdout).unwrap();
    for flag in ["--bind", "--port", "--redis-url", "--session-key", "--max-operations", "--max-run-ms", "RUNNEL_PORT"]
    {
        assert!(run.contains(flag), "run --help lacks {flag}");
    }
}

#[test]
fn definitions_describe_the_whole_script_api_for_editors() {
    let dir = std::env::temp_dir().join(format!("runnel-defs-{}", std::process::id()));
    let out = runnel(&["definitions", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let all: String =
        std::fs::read_dir(&dir).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    for expected in [
        "const state: State;",
        "fn slider(label: string, min: int, max: int, opts: map)",
        "fn button(container: Container, label: string)",
        "fn sidebar(",
        "fn rerun(",
        "fn markdown(text: string)",
        "fn date_input(label: string, opts: map)",
        "fn time_input(label: string, opts: map)",
        "fn datetime_input(label: string, opts: map)",
        "fn color_picker(label: string, opts: map)",
        "fn select_slider(label: string, options: array, opts: map)",
        "fn pills(label: string, options: array, opts: map)",
        "fn segmented_control(label: string, options: array, opts: map)",
        "fn feedback(options: string, opts: map)",
        "fn link_button(label: string, url: string, opts: map)",
        "fn page_link(page: string, options: map)",
        "fn page_link(container: Container, page: string)",
        "fn switch_page(page: string)",
        "fn file_uploader(label: string, opts: map)",
        "fn fragment(function: Fn, opts: map)",
        "fn dialog(title: string, function: Fn)",
    ] {
        assert!(all.contains(expected), "definitions lack {expected}");
    }
    assert!(!all.contains("EvalAltResult"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn hash_password_hashes_exactly_the_first_line_of_a_pipe() {
    let out = runnel_with_input(&["hash-password"], b"a passphrase with spaces\nnot part of it\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    let verdict = runnel::auth::password::verify_now("a passphrase with spaces", &hash);
    assert_eq!(verdict, runnel::auth::password::Verdict::Match { rehash: false });
}

#[test]
fn hash_password_with_an_empty_pipe_says_how_to_give_the_password() {
    let out = runnel_with_input(&["hash-password"], b"");
    assert_clear_failure(&out, &["no password", "printf"]);
}

#[test]
fn a_credentials_file_with_a_plaintext_password_stops_the_start_with_a_clear_message() {
    let file = TempFile::new(
        "config.yaml",
        "credentials:\n  usernames:\n    ann:\n      email: a@x.org\n      password: abc123\n",
    );
    let out = runnel(&["run", "--port", "0", "--no-watch", "--credentials", file.path()]);
    assert_clear_failure(&out, &["\"ann\"", "runnel hash-password", "--credentials"]);
}

#[test]
fn a_credentials_file_that_is_not_yaml_stops_the_start_in_two_lines() {
    let file = TempFile::new("config.yaml", "credentials: [unclosed\n  usernames: {\n");
    let out = runnel(&["run", "--port", "0", "--no-watch", "--credentials", file.path()]);
    assert_clear_failure(&out, &["credentials file", "config.yaml", "--credentials"]);
}

#[test]
fn a_missing_credentials_file_stops_the_start_in_two_lines() {
    let out = runnel(&["run", "--port", "0", "--no-watch", "--credentials", "/nonexistent/credentials.yaml"]);
    assert_clear_failure(&out, &["/nonexistent/credentials.yaml", "--credentials"]);
}

#[test]
fn a_taken_port_stops_the_start_in_two_lines_that_say_what_to_do() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = runnel(&["run", "--port", &port, "--no-watch"]);
    assert_clear_failure(&out, &["already in use", &port, "--port"]);
}

#[test]
fn a_malformed_base_path_stops_the_start_in_two_lines() {
    for bad in ["apps/sales", "/apps/sales/", "/apps/../sales", "/apps sales"] {
        let out = runnel(&["run", "--port", "0", "--no-watch", "--base-path", bad]);
        assert_clear_failure(&out, &["base_path", "--base-path"]);
    }
}

#[test]
fn a_settings_file_that_cannot_be_read_stops_the_start_in_two_lines() {
    let out = runnel(&["run", "--config", "/nonexistent/runnel.toml", "--no-watch"]);
    assert_clear_failure(&out, &["cannot read the settings file /nonexistent/runnel.toml", "--config"]);
    // A folder where the file should be cannot be read either (the tests run as root, so file
    // permissions would not stop them).
    let out = runnel(&["run", "--config", env!("CARGO_MANIFEST_DIR"), "--no-watch"]);
    assert_clear_failure(&out, &["cannot read the settings file", "--config"]);
}

#[test]
fn a_settings_file_with_a_bad_line_names_the_line() {
    let file = TempFile::new("runnel.toml", "port = 8600\nprot = 8601\n");
    let out = runnel(&["run", "--config", file.path(), "--no-watch"]);
    assert_clear_failure(&out, &["line 2", "prot", "snake_case"]);
}

#[test]
fn a_connection_that_cannot_be_used_stops_the_start_in_two_lines_without_its_password() {
    let cases = [
        (
            "[connections.shop]\nurl_env = \"RUNNEL_TEST_NO_SUCH_VARIABLE\"\n",
            "environment variable RUNNEL_TEST_NO_SUCH_VARIABLE",
        ),
        ("[connections.shop]\nurl = \"mysql://root:hunter2@db/shop\"\n", "scheme \"mysql\" is not supported"),
        ("[connections.shop]\nurl = \"sqlite:../secret.sqlite\"\n", "not a file name inside the data folder"),
        ("[connections.shop]\nurl = \"postgres://app:hunter2@db/shop?sslmode=require\"\n", "TLS"),
    ];
    for (text, expected) in cases {
        let file = TempFile::new("runnel.toml", text);
        let out = runnel(&["run", "--port", "0", "--config", file.path(), "--no-watch"]);
        assert_clear_failure(&out, &["connection `shop`", expected, "[connections.NAME]"]);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));
    }
}

#[test]
fn a_bad_redis_url_stops_the_start_in_two_lines_and_never_shows_its_password() {
    for url in [
        "http://127.0.0.1:6379/",
        "redis://:hunter2@[::1/",
        "redis+cluster://:hunter2@10.0.0.1:7000,,10.0.0.2:7000",
        "redis+sentinel://:hunter2@10.0.0.1:26379",
    ] {
        let out = runnel(&["run", "--port", "0", "--no-watch", "--redis-url", url]);
        assert_clear_failure(
            &out,
            &["Redis URL", "redis://[:password@]host:port/db", "redis+cluster://", "redis+sentinel://"],
        );
        assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"), "the password was shown");
    }
}

#[test]
fn an_unknown_flag_is_refused_in_two_lines() {
    let out = runnel(&["run", "--prot", "8600"]);
    assert_eq!(out.status.code(), Some(2));
    assert_clear_failure(&out, &["--prot"]);
}

#[test]
fn hash_password_on_a_terminal_prompts_twice_without_echo() {
    let password = "Tr0ub4dor&3 horse";
    let mut terminal = Terminal::run(&format!("{} hash-password", env!("CARGO_BIN_EXE_runnel")));
    terminal.wait_for("Password: ");
    terminal.type_line_unechoed(password);
    terminal.wait_for("Repeat it: ");
    terminal.type_line_unechoed(password);
    let (status, screen) = terminal.finish();
    assert!(status.success(), "{screen}");
    assert!(!screen.contains("Tr0ub4dor"), "the password was echoed: {screen}");
    let hash = screen.lines().map(str::trim).find(|l| l.starts_with("$argon2id$")).expect("a hash is printed");
    let verdict = runnel::auth::password::verify_now(password, hash);
    assert_eq!(verdict, runnel::auth::password::Verdict::Match { rehash: false });
}

#[test]
fn hash_password_on_a_terminal_refuses_two_different_passwords() {
    let mut terminal = Terminal::run(&format!("{} hash-password", env!("CARGO_BIN_EXE_runnel")));
    terminal.wait_for("Password: ");
    terminal.type_line_unechoed("first-password");
    terminal.wait_for("Repeat it: ");
    terminal.type_line_unechoed("other-password");
    let (status, screen) = terminal.finish();
    assert!(!status.success());
    assert!(screen.contains("the two passwords differ") && screen.contains("hint: run `runnel hash-password` again"));
    assert!(!screen.contains("first-password") && !screen.contains("other-password"), "{screen}");
}

/// Runs `runnel` with `RUST_BACKTRACE=1`, as many environments set it.
fn runnel_with_input(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnel"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// A failed command: a non-zero exit, two lines on stderr (what failed, then a hint) that
/// contain each of `says`, and no backtrace or panic.
fn assert_clear_failure(out: &std::process::Output, says: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it succeeded: {stderr}");
    assert_eq!(stderr.lines().count(), 2, "two lines: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.lines().nth(1).unwrap().starts_with("  hint: "), "{stderr}");
    for forbidden in ["backtrace", "panicked", "stack backtrace"] {
        assert!(!stderr.to_lowercase().contains(forbidden), "{forbidden}: {stderr}");
    }
    for expected in says {
        assert!(stderr.contains(expected), "lacks {expected:?}: {stderr}");
    }
}

/// A file of its own in a fresh folder, removed on drop.
struct TempFile {
    dir: std::path::PathBuf,
    path: String,
}

impl TempFile {
    fn new(name: &str, text: &str) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("runnel-cli-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
        let path = dir.join(name).to_string_lossy().into_owned();
        Self { dir, path }
    }

    fn path(&self) -> &str {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A command on a real pseudo-terminal (util-linux `script`), typed into as a person would.
struct Terminal {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: std::sync::mpsc::Receiver<Vec<u8>>,
    screen: String,
    /// The terminal's device, printed by `tty` first, to read its echo setting.
    device: Option<String>,
}

impl Terminal {
    fn run(command: &str) -> Self {
        let mut child = Command::new("script")
            .args(["-qefc", &format!("tty; exec {command}"), "/dev/null"])
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("util-linux `script` runs commands on a pseudo-terminal");
        let (tx, output) = std::sync::mpsc::channel();
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = std::io::Read::read(&mut stdout, &mut buffer) {
                if tx.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let input = child.stdin.take().unwrap();
        Self { child, input, output, screen: String::new(), device: None }
    }

    fn wait_for(&mut self, text: &str) {
        while !self.screen.contains(text) {
            let chunk = self.output.recv_timeout(Duration::from_secs(20));
            let chunk = chunk.unwrap_or_else(|_| panic!("{text:?} never showed: {}", self.screen));
            self.screen.push_str(&String::from_utf8_lossy(&chunk));
        }
        if self.device.is_none() {
            self.device = self.screen.lines().map(str::trim).find(|l| l.starts_with("/dev/")).map(str::to_owned);
        }
    }

    /// Types a line once the program has turned the terminal's echo off.
    fn type_line_unechoed(&mut self, line: &str) {
        use std::io::Write;
        let device = self.device.clone().expect("the terminal's device was printed");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let settings = Command::new("stty").args(["-F", &device, "-a"]).output().unwrap();
            let settings = String::from_utf8_lossy(&settings.stdout);
            if settings.split_whitespace().any(|flag| flag == "-echo") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "echo was never turned off: {settings}");
        }
        self.input.write_all(format!("{line}\n").as_bytes()).unwrap();
        self.input.flush().unwrap();
    }

    fn finish(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().unwrap();
        while let Ok(chunk) = self.output.recv_timeout(Duration::from_secs(5)) {
            self.screen.push_str(&String::from_utf8_lossy(&chunk));
        }
        (status, self.screen)
    }
}

/// A scripts folder with a `lib/` of modules, for `check` and `definitions`.
fn folder_with_modules(tag: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("runnel-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

#[test]
fn check_covers_modules_and_the_imports_of_pages() {
    let dir = folder_with_modules(
        "check",
        &[
            ("good.rhai", "import \"fmt\" as f;\ntitle(f::money(3));"),
            ("missing.rhai", "let x = 1;\n  import \"nope\" as n;"),
            ("outside.rhai", "import \"../good\" as g;"),
            ("lib/fmt.rhai", "//! Money formatting.\nfn money(x) { `$${x}` }"),
            ("lib/broken.rhai", "fn oops( { }"),
        ],
    );
    let out = runnel(&["check", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let reported = |file: &str| stdout.lines().find(|l| l.contains(file)).unwrap_or_else(|| panic!("{file}: {stdout}"));
    assert!(reported("missing.rhai").ends_with("missing.rhai:2:3: there is no module \"nope\" in `lib/`"), "{stdout}");
    assert!(reported("outside.rhai").contains("module names are"));
    assert!(reported("lib/broken.rhai").contains("broken.rhai:1:"), "a module's compile error: {stdout}");
    assert!(!stdout.contains("good.rhai") && !stdout.contains("fmt.rhai"), "{stdout}");
    assert_eq!(stdout.lines().count(), 3);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn definitions_describe_the_modules_of_lib_too() {
    let scripts = folder_with_modules("defs", &[("page.rhai", "title(\"x\");"), ("lib/fmt.rhai", "fn money(x) { x }")]);
    let dir = scripts.join(".definitions");
    let out = runnel(&["definitions", dir.to_str().unwrap(), "--scripts", scripts.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let module = std::fs::read_to_string(dir.join("fmt.d.rhai")).expect("a definition file for the module");
    assert!(module.contains("module fmt;") && module.contains("fn money(x: ?)"), "{module}");
    std::fs::remove_dir_all(scripts).unwrap();
}

#[test]
fn sample_data_writes_the_same_orders_every_time() {
    let dir = std::env::temp_dir().join(format!("runnel-sample-cli-{}", std::process::id()));
    let (a, b) = (dir.join("a.csv"), dir.join("b.csv"));
    for file in [&a, &b] {
        let out = runnel(&["sample-data", "--rows", "1000", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let text = std::fs::read_to_string(&a).unwrap();
    assert_eq!(text, std::fs::read_to_string(&b).unwrap());
    assert_eq!(text.lines().count(), 1001);
    assert!(text.starts_with("date,month,region,product,channel,units,unit_price,revenue\n2024-01-01,2024-01,"));
    std::fs::remove_dir_all(dir).unwrap();
}
