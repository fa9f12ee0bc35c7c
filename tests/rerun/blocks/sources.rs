//! Data files from the sandboxed data folder (CSV, JSON) and the cache shared by sessions and reruns.

use std::path::PathBuf;

use runnel::config::ScriptLimits;
use runnel::harness::AppTest;
use runnel::script::Runner;
use serde_json::json;

use super::{DataDir, error_message};

const CSV: &str = "city,people,share,note\nOslo,709000,0.13,\nBergen,291000,0.05,west coast\n";

#[test]
fn read_csv_gives_rows_with_numbers_as_numbers() {
    let dir = DataDir::with(&[("cities.csv", CSV)]);
    let app = AppTest::with_data_dir(
        r#"let rows = read_csv("cities.csv");
           state.total = rows[0].people + rows[1].people;
           state.share = rows[0].share;
           state.note = rows[0].note;
           state.city = rows[1].city;"#,
        dir.path(),
    );
    assert!(app.page().error.is_none(), "{:?}", app.page().error);
    assert_eq!(app.state("total"), Some(&json!(1_000_000)));
    assert_eq!(app.state("share"), Some(&json!(0.13)));
    assert_eq!(app.state("note"), Some(&json!(null)), "an empty cell is ()");
    assert_eq!(app.state("city"), Some(&json!("Bergen")));
}

#[test]
fn read_json_gives_maps_and_arrays() {
    let dir = DataDir::with(&[("config.json", r#"{ "goal": 12.5, "teams": ["a", "b"] }"#)]);
    let app = AppTest::with_data_dir(
        r#"let c = read_json("config.json"); state.n = c.teams.len(); state.goal = c.goal;"#,
        dir.path(),
    );
    assert_eq!(app.state("n"), Some(&json!(2)));
    assert_eq!(app.state("goal"), Some(&json!(12.5)));
}

#[test]
fn names_that_leave_the_data_folder_are_refused_with_a_clear_error() {
    let dir = DataDir::with(&[("ok.csv", CSV)]);
    std::fs::write(dir.0.join("secret.csv"), "a\n1\n").unwrap();
    std::os::unix::fs::symlink(dir.0.join("secret.csv"), dir.path().join("link.csv")).unwrap();
    for (name, expected) in [
        ("../secret.csv", "not a file name inside the data folder"),
        ("/etc/passwd", "not a file name inside the data folder"),
        ("sub/../../secret.csv", "not a file name inside the data folder"),
        ("link.csv", "leads out of the data folder"),
        ("missing.csv", "there is no file"),
    ] {
        let app = AppTest::with_data_dir(&format!("read_csv({name:?});"), dir.path());
        let message = error_message(&app);
        assert!(message.contains(expected), "{name}: {message}");
    }
}

const LOADER: &str = r#"
    fn load(name) { state.loads = state.get("loads", 0) + 1; read_csv(name) }
    let rows = cache("cities", 600, Fn("load"), ["cities.csv"]);
    text(`rows=${rows.len()} loads=${state.get("loads", 0)}`);
"#;

fn shown(app: &AppTest) -> String {
    app.page().texts().into_iter().find(|t| t.starts_with("rows=")).unwrap_or_else(|| format!("{:?}", app.page().error))
}

#[test]
fn a_cached_load_runs_once_for_all_sessions_and_reruns() {
    let dir = DataDir::with(&[("cities.csv", CSV)]);
    let runner = Runner::new(ScriptLimits::default()).with_data_dir(dir.path());
    let mut first = AppTest::with_runner(LOADER, runner.clone());
    assert_eq!(shown(&first), "rows=2 loads=1");
    first.run();
    assert_eq!(shown(&first), "rows=2 loads=1", "a rerun hits the cache");
    let second = AppTest::with_runner(LOADER, runner.clone());
    assert_eq!(shown(&second), "rows=2 loads=0", "another session hits the cache too");
    assert_eq!(runner.sources().cache.len(), 1);
}

/// A loader slower than the run's own limit (a large file): 150 ms of `sleep` in a run allowed 50 ms.
const SLOW_LOADER: &str = r#"
    fn load() { state.loads = state.get("loads", 0) + 1; sleep(0.15); 42 }
    let value = cache("slow", 0, Fn("load"));
    text(`value=${value} loads=${state.get("loads", 0)}`);
"#;

fn slow_limits() -> ScriptLimits {
    ScriptLimits { max_run_time: std::time::Duration::from_millis(50), ..ScriptLimits::default() }
}

fn value_shown(app: &AppTest) -> String {
    app.page()
        .texts()
        .into_iter()
        .find(|t| t.starts_with("value="))
        .unwrap_or_else(|| format!("{:?}", app.page().error))
}

#[test]
fn a_cache_load_longer_than_the_run_limit_fills_the_cache_and_reruns_hit_it() {
    let mut app = AppTest::with_limits(SLOW_LOADER, slow_limits());
    assert_eq!(value_shown(&app), "value=42 loads=1", "the load has its own limit (max_load_ms)");
    app.run();
    assert_eq!(value_shown(&app), "value=42 loads=1", "the rerun takes the cached value within 50 ms");
}

#[test]
fn sessions_that_miss_at_the_same_moment_wait_for_one_load() {
    let runner = Runner::new(slow_limits());
    let start = std::sync::Barrier::new(2);
    let shown: Vec<String> = std::thread::scope(|s| {
        let open = || {
            start.wait();
            value_shown(&AppTest::with_runner(SLOW_LOADER, runner.clone()))
        };
        let sessions = [s.spawn(open), s.spawn(open)];
        sessions.into_iter().map(|session| session.join().unwrap()).collect()
    });
    let mut shown = shown;
    shown.sort();
    assert_eq!(shown, ["value=42 loads=0", "value=42 loads=1"], "one session loaded, the other waited for it");
}

#[test]
fn a_cache_load_past_max_load_ms_stops_with_an_error_naming_it_and_keeps_nothing() {
    let limits = ScriptLimits { max_load_time: std::time::Duration::from_millis(50), ..ScriptLimits::default() };
    let runner = Runner::new(limits);
    let mut app = AppTest::with_runner(SLOW_LOADER, runner.clone());
    let message = error_message(&app);
    assert!(message.contains("cache loader") && message.contains("limit `max_load_ms`"), "{message}");
    assert_eq!(app.page().error.as_ref().unwrap().line, Some(3), "at the cache() call");
    assert!(runner.sources().cache.is_empty(), "a stopped load is not kept");
    app.run();
    assert!(error_message(&app).contains("max_load_ms"), "the next run tries again");
}

#[test]
fn a_cache_entry_built_from_a_file_is_dropped_when_the_file_changes() {
    let dir = DataDir::with(&[("cities.csv", CSV)]);
    let mut app = AppTest::with_data_dir(LOADER, dir.path());
    assert_eq!(shown(&app), "rows=2 loads=1");
    std::fs::write(dir.path().join("cities.csv"), format!("{CSV}Trondheim,212000,0.04,\n")).unwrap();
    app.run();
    assert_eq!(shown(&app), "rows=3 loads=2");
}

#[test]
fn different_arguments_are_different_cache_entries() {
    let dir = DataDir::with(&[("a.csv", "x\n1\n"), ("b.csv", "x\n1\n2\n")]);
    let app = AppTest::with_data_dir(
        r#"fn load(name) { read_csv(name) }
           text(`${cache("f", 60, Fn("load"), ["a.csv"]).len()} ${cache("f", 60, Fn("load"), ["b.csv"]).len()}`);"#,
        dir.path(),
    );
    assert!(app.page().texts().contains(&"1 2".to_string()), "{:?}", app.page());
}

#[test]
fn the_data_folder_defaults_to_data_next_to_the_scripts_and_a_flag_overrides_it() {
    use runnel::config::{RunArgs, Settings};
    assert_eq!(Settings::for_tests("/srv/app/scripts").data_dir, PathBuf::from("/srv/app/data"));
    assert_eq!(Settings::for_tests("/srv/app/scripts/one.rhai").data_dir, PathBuf::from("/srv/app/data"));
    let args = RunArgs { data_dir: Some("/srv/shared".into()), ..RunArgs::default() };
    assert_eq!(Settings::from_run_args(args).unwrap().data_dir, PathBuf::from("/srv/shared"));
}
