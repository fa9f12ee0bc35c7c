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
        "fn page_link(page: string, options: map)",
        "fn page_link(container: Container, page: string)",
        "fn switch_page(page: string)",
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
