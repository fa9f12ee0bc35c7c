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
    ] {
        assert!(all.contains(expected), "definitions lack {expected}");
    }
    assert!(!all.contains("EvalAltResult"));
    std::fs::remove_dir_all(dir).unwrap();
}
