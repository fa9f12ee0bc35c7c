//! The `runnel` command line: `check` reports compile errors as `file:line:col: message`.

use std::process::Command;

fn runnel(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runnel")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap()
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
    ] {
        assert!(all.contains(expected), "definitions lack {expected}");
    }
    assert!(!all.contains("EvalAltResult"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn hash_password_prints_an_argon2id_hash_of_the_password_on_stdin() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnel"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a passphrase with spaces\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    let verdict = runnel::auth::password::verify_now("a passphrase with spaces", &hash);
    assert_eq!(verdict, runnel::auth::password::Verdict::Match { rehash: false });
}

#[test]
fn a_credentials_file_with_a_plaintext_password_stops_the_start_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("runnel-cli-plain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.yaml");
    std::fs::write(&file, "credentials:\n  usernames:\n    ann:\n      email: a@x.org\n      password: abc123\n")
        .unwrap();
    let out = runnel(&["run", "--port", "0", "--no-watch", "--credentials", file.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("\"ann\"") && stderr.contains("runnel hash-password"), "{stderr}");
}
