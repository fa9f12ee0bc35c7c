//! Checks that keep DESIGN.md's picture true: which module may use which (the dependency
//! direction runs one way, so there are no import cycles), and no `unwrap`/`expect` in the
//! code that serves requests. Test code (after `#[cfg(test)]`, and `tests.rs` files) is exempt.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may use. Lower layers first; `sync` (the lock
/// policy) is usable by all.
const ALLOWED: &[(&str, &[&str])] = &[
    ("clock", &[]),
    ("metrics", &[]),
    ("failure", &[]),
    ("base_path", &[]),
    ("config", &["clock", "failure", "base_path"]),
    ("sync", &[]),
    ("page", &[]),
    ("markup", &[]),
    ("render", &["page"]),
    ("session_state", &["page"]),
    ("frame", &[]),
    ("datasource", &["sync", "metrics", "frame", "config", "failure"]),
    ("services", &["config", "sync"]),
    ("widgets", &["frame", "datasource", "services", "page", "session_state", "config", "sync", "markup"]),
    ("script", &["widgets", "frame", "datasource", "services", "page", "session_state", "config", "sync", "metrics"]),
    ("session_store", &["session_state", "config", "sync", "metrics", "base_path"]),
    ("auth", &["session_store", "session_state", "config", "sync", "clock", "metrics"]),
    ("request_id", &[]),
    ("error", &["render", "request_id", "session_state", "session_store", "metrics", "base_path"]),
    ("hot_reload", &["script"]),
    ("harness", &["script", "page", "session_state", "config"]),
    (
        "host",
        &[
            "auth",
            "base_path",
            "config",
            "datasource",
            "error",
            "metrics",
            "page",
            "render",
            "script",
            "session_state",
            "session_store",
            "sync",
        ],
    ),
    (
        "routes",
        &[
            "host",
            "auth",
            "datasource",
            "error",
            "hot_reload",
            "script",
            "session_state",
            "session_store",
            "page",
            "render",
            "request_id",
            "config",
            "metrics",
            "base_path",
        ],
    ),
    (
        "startup",
        &[
            "host",
            "routes",
            "auth",
            "config",
            "datasource",
            "error",
            "failure",
            "page",
            "hot_reload",
            "services",
            "script",
            "session_store",
            "base_path",
        ],
    ),
    ("password_prompt", &["failure"]),
    ("check", &["script", "config"]),
    ("admin", &["auth", "config", "session_store", "clock"]),
    ("definitions", &["script", "widgets", "config"]),
    ("telemetry", &["config"]),
    ("sample", &[]),
];

/// Modules that serve requests: a panic there would end a request with no answer.
const REQUEST_PATHS: &[&str] = &[
    "auth",
    "base_path",
    "datasource",
    "error",
    "frame",
    "host",
    "metrics",
    "page",
    "render",
    "request_id",
    "routes",
    "script",
    "session_state",
    "services",
    "session_store",
    "widgets",
];

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files of a top-level module (`src/x.rs` and everything under `src/x/`).
fn files_of(module: &str) -> Vec<PathBuf> {
    let mut files = vec![];
    let single = src().join(format!("{module}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let mut folders = vec![src().join(module)];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The lines of a file that are not test code, with comments dropped.
fn code_lines(path: &Path) -> Vec<String> {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return vec![];
    }
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .take_while(|line| line.trim() != "#[cfg(test)]")
        .map(|line| line.split("//").next().unwrap_or_default().to_owned())
        .collect()
}

/// The top-level modules a module's code names as `crate::x`.
fn uses_of(module: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in files_of(module).iter().flat_map(|f| code_lines(f)) {
        for (i, _) in line.match_indices("crate::") {
            let rest = &line[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && name != module {
                used.insert(name);
            }
        }
    }
    used
}

#[test]
fn every_module_is_in_the_layer_list() {
    let listed: BTreeSet<&str> = ALLOWED.iter().map(|(m, _)| *m).collect();
    let entries = std::fs::read_dir(src()).unwrap();
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if ["lib", "main", "architecture"].contains(&name.as_str()) {
            continue;
        }
        assert!(listed.contains(name.as_str()), "src/{name} is not in architecture.rs's ALLOWED list");
    }
}

#[test]
fn modules_use_only_the_layers_below_them() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = vec![];
    for (module, may_use) in &allowed {
        for used in uses_of(module) {
            if !may_use.contains(&used.as_str()) {
                wrong.push(format!("{module} uses {used}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against DESIGN.md's dependency direction: {wrong:?}");
}

#[test]
fn the_allowed_list_itself_has_no_cycle() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    // Depth-first search from every module; a module met again on the current path is a cycle.
    fn visit<'a>(m: &'a str, graph: &BTreeMap<&'a str, &'a [&'a str]>, path: &mut Vec<&'a str>) {
        assert!(!path.contains(&m), "import cycle: {path:?} -> {m}");
        path.push(m);
        for next in graph.get(m).copied().unwrap_or_default() {
            visit(next, graph, path);
        }
        path.pop();
    }
    for module in allowed.keys() {
        visit(module, &allowed, &mut vec![]);
    }
}

#[test]
fn request_paths_have_no_unwrap_or_expect() {
    let mut found = vec![];
    for module in REQUEST_PATHS {
        for file in files_of(module) {
            for (n, line) in code_lines(&file).iter().enumerate() {
                if line.contains(".unwrap()") || line.contains(".expect(") {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "a panic on a request path: {found:#?}");
}
