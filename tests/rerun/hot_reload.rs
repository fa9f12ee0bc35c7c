//! The file watcher on the real file system: every editor save style recompiles the script
//! once and announces it; editor temp files are ignored; a broken save keeps the last good
//! program serving.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::support::ScriptDir;
use runnel::config::ScriptLimits;
use runnel::hot_reload::{Reloads, Scripts, Watcher};
use runnel::script::library::Library;
use runnel::script::registry::Change;
use runnel::script::{PageName, Registry, Runner};
use tokio::sync::broadcast::Receiver;

struct Folder {
    dir: ScriptDir,
    registry: Arc<Registry>,
    changes: Receiver<Change>,
    _watcher: Watcher,
}

impl Folder {
    fn with(files: &[(&str, &str)]) -> Self {
        let dir = ScriptDir::with(files);
        let runner = runner_for(&dir.path);
        let registry = Arc::new(Registry::load(runner.engine(), &dir.path).unwrap());
        let reloads = Reloads::default();
        let changes = reloads.subscribe();
        let watcher = Watcher::start(&dir.path, scripts(&registry, &runner), reloads).unwrap();
        Self { dir, registry, changes, _watcher: watcher }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.file(name)
    }

    fn source_of(&self, page: &str) -> String {
        self.registry.get(page).expect("the page exists").source.clone()
    }

    /// Waits for the next announced change (bounded).
    async fn next_change(&mut self) -> Change {
        tokio::time::timeout(Duration::from_secs(5), self.changes.recv())
            .await
            .expect("a change is announced within 5 s")
            .unwrap()
    }

    /// Asserts that nothing is announced for a little while.
    async fn assert_quiet(&mut self) {
        let outcome = tokio::time::timeout(Duration::from_millis(300), self.changes.recv()).await;
        assert!(outcome.is_err(), "unexpected change: {outcome:?}");
    }
}

/// A runner whose `import` reads the `lib/` folder of `scripts`.
fn runner_for(scripts: &Path) -> Runner {
    Runner::new(ScriptLimits::default()).with_library(Arc::new(Library::for_scripts(scripts)))
}

fn scripts(registry: &Arc<Registry>, runner: &Runner) -> Scripts {
    Scripts {
        registry: registry.clone(),
        engine: runner.shared_engine(),
        library: runner.library().clone(),
        secrets: None,
    }
}

fn page(name: &str) -> PageName {
    PageName::parse(name).unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn an_in_place_write_recompiles_the_script() {
    let mut folder = Folder::with(&[("demo.rhai", "title(\"one\");")]);
    let before = folder.registry.get("demo").unwrap();
    write(&folder.path("demo.rhai"), "title(\"two\");");
    assert_eq!(folder.next_change().await, Change::Updated(page("demo")));
    assert_eq!(folder.source_of("demo"), "title(\"two\");");
    let after = folder.registry.get("demo").unwrap();
    assert!(!Arc::ptr_eq(&before, &after));
    assert!(Arc::ptr_eq(&after, &folder.registry.get("demo").unwrap()), "compiled once, shared by every request");
}

#[tokio::test]
async fn an_atomic_save_renamed_over_the_script_is_picked_up() {
    let mut folder = Folder::with(&[("demo.rhai", "title(\"one\");")]);
    let temp = folder.path(".demo.rhai.tmp-4821");
    write(&temp, "title(\"atomic\");");
    std::fs::rename(&temp, folder.path("demo.rhai")).unwrap();
    assert_eq!(folder.next_change().await, Change::Updated(page("demo")));
    assert_eq!(folder.source_of("demo"), "title(\"atomic\");");
    folder.assert_quiet().await;
}

#[tokio::test]
async fn a_vim_style_save_with_a_backup_rename_is_picked_up() {
    let mut folder = Folder::with(&[("demo.rhai", "title(\"one\");")]);
    let backup = folder.path("demo.rhai~");
    std::fs::rename(folder.path("demo.rhai"), &backup).unwrap();
    write(&folder.path("demo.rhai"), "title(\"vim\");");
    std::fs::remove_file(&backup).unwrap();
    // The page may briefly be seen as removed and added again; it must end up updated.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while folder.registry.get("demo").map(|s| s.source.clone()) != Some("title(\"vim\");".into()) {
        assert!(tokio::time::Instant::now() < deadline, "the vim save was not picked up");
        folder.next_change().await;
    }
}

#[tokio::test]
async fn a_new_script_becomes_a_page_and_a_deleted_one_goes_away() {
    let mut folder = Folder::with(&[("a.rhai", "title(\"a\");")]);
    write(&folder.path("b.rhai"), "title(\"b\");");
    assert_eq!(folder.next_change().await, Change::Added(page("b")));
    assert_eq!(folder.registry.names(), vec![page("a"), page("b")]);
    std::fs::remove_file(folder.path("a.rhai")).unwrap();
    assert_eq!(folder.next_change().await, Change::Removed(page("a")));
    assert_eq!(folder.registry.names(), vec![page("b")]);
}

#[tokio::test]
async fn a_renamed_script_moves_to_its_new_name() {
    let mut folder = Folder::with(&[("old.rhai", "title(\"x\");")]);
    std::fs::rename(folder.path("old.rhai"), folder.path("new.rhai")).unwrap();
    let mut seen = vec![folder.next_change().await, folder.next_change().await];
    seen.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(seen, vec![Change::Added(page("new")), Change::Removed(page("old"))]);
    assert_eq!(folder.registry.names(), vec![page("new")]);
}

#[tokio::test]
async fn editor_temp_and_backup_files_are_ignored() {
    let mut folder = Folder::with(&[("demo.rhai", "title(\"one\");")]);
    for name in ["demo.rhai~", ".demo.rhai.swp", "#demo.rhai#", ".#demo.rhai", "4913", "demo.rhai.bak", "notes.txt"] {
        write(&folder.path(name), "this is not rhai (");
    }
    folder.assert_quiet().await;
    assert_eq!(folder.registry.names(), vec![page("demo")]);
}

#[tokio::test]
async fn a_broken_save_keeps_the_last_good_program_until_the_next_good_save() {
    let mut folder = Folder::with(&[("demo.rhai", "title(\"good\");")]);
    write(&folder.path("demo.rhai"), "title(\"good\");\nlet x = ;\n");
    assert_eq!(folder.next_change().await, Change::Updated(page("demo")));
    let script = folder.registry.get("demo").unwrap();
    assert!(script.program.is_ok(), "the last good program keeps serving");
    let error = script.pending_error.clone().expect("the compile error is kept to show");
    assert_eq!(error.line, Some(2));
    assert_eq!(error.source_line.as_deref(), Some("let x = ;"));
    write(&folder.path("demo.rhai"), "title(\"fixed\");");
    assert_eq!(folder.next_change().await, Change::Updated(page("demo")));
    let script = folder.registry.get("demo").unwrap();
    assert!(script.pending_error.is_none());
    assert_eq!(script.source, "title(\"fixed\");");
}

#[tokio::test]
async fn a_folder_given_by_a_relative_path_still_sees_deletes() {
    let mut folder = Folder::with(&[("a.rhai", "title(\"a\");"), ("b.rhai", "title(\"b\");")]);
    let cwd = std::env::current_dir().unwrap();
    let relative = pathdiff(&folder.dir.path, &cwd);
    let runner = runner_for(&relative);
    let registry = Arc::new(Registry::load(runner.engine(), &relative).unwrap());
    let reloads = Reloads::default();
    folder.changes = reloads.subscribe();
    let _watcher = Watcher::start(&relative, scripts(&registry, &runner), reloads).unwrap();
    std::fs::remove_file(folder.path("a.rhai")).unwrap();
    assert_eq!(folder.next_change().await, Change::Removed(page("a")));
    assert_eq!(registry.names(), vec![page("b")]);
}

/// `target` relative to `base` (both absolute), through `..` as needed.
fn pathdiff(target: &Path, base: &Path) -> PathBuf {
    let (target, base) = (target.canonicalize().unwrap(), base.canonicalize().unwrap());
    let common = target.components().zip(base.components()).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in base.components().skip(common) {
        out.push("..");
    }
    for part in target.components().skip(common) {
        out.push(part);
    }
    out
}

/// A scripts folder with a `lib/` of two modules (`base`, and `mid` that imports it) and three
/// pages: one importing `base`, one importing `mid`, one importing nothing.
fn folder_with_modules() -> ScriptDir {
    let dir = ScriptDir::with(&[
        ("direct.rhai", "import \"base\" as b;\ntitle(b::greeting());"),
        ("indirect.rhai", "import \"mid\" as m;\ntitle(m::shout());"),
        ("plain.rhai", "title(\"plain\");"),
    ]);
    std::fs::create_dir_all(dir.file("lib")).unwrap();
    dir.save("lib/base.rhai", "fn greeting() { \"hello v1\" }");
    dir.save("lib/mid.rhai", "import \"base\" as b;\nfn shout() { b::greeting() + \"!\" }");
    dir
}

#[tokio::test]
async fn a_saved_module_reruns_every_page_that_imports_it_and_no_other() {
    let dir = folder_with_modules();
    let runner = runner_for(&dir.path);
    let registry = Arc::new(Registry::load(runner.engine(), &dir.path).unwrap());
    assert_eq!(registry.names(), vec![page("direct"), page("indirect"), page("plain")], "lib/ files are not pages");
    let run = |name: &str| {
        let output = runner.run(&registry.get(name).unwrap(), &Default::default(), Default::default()).unwrap();
        format!("{:?}", output.page.containers[0].children)
    };
    assert!(run("indirect").contains("hello v1!"));
    let reloads = Reloads::default();
    let mut changes = reloads.subscribe();
    let _watcher = Watcher::start(&dir.path, scripts(&registry, &runner), reloads).unwrap();

    dir.save("lib/base.rhai", "fn greeting() { \"hello v2\" }");
    let mut rerun = std::collections::BTreeSet::new();
    while rerun.len() < 2 {
        let change = tokio::time::timeout(Duration::from_secs(5), changes.recv()).await.expect("announced").unwrap();
        let Change::Updated(name) = change else { panic!("unexpected {change:?}") };
        rerun.insert(name.to_string());
    }
    assert_eq!(rerun, ["direct", "indirect"].map(str::to_owned).into(), "both importers rerun");
    let quiet = tokio::time::timeout(Duration::from_millis(300), changes.recv()).await;
    assert!(quiet.is_err(), "the page that imports nothing is not rerun: {quiet:?}");
    assert!(run("direct").contains("hello v2"), "the next run reads the saved module");
    assert!(run("indirect").contains("hello v2!"));
}

#[tokio::test]
async fn a_save_that_changes_the_order_or_the_default_page_reorders_the_navigation() {
    let mut folder = Folder::with(&[("a.rhai", "title(\"a\");"), ("b.rhai", "title(\"b\");")]);
    assert_eq!(folder.registry.default_page().unwrap().name, page("a"));
    write(&folder.path("b.rhai"), "//! order: 1\n//! default: true\ntitle(\"b\");");
    assert_eq!(folder.next_change().await, Change::Updated(page("b")));
    assert_eq!(folder.registry.names(), vec![page("b"), page("a")]);
    assert_eq!(folder.registry.default_page().unwrap().name, page("b"));
}
