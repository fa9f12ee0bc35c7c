//! Widget semantics through the headless harness: a script runs with given widget values and
//! the page tree is inspected, with no HTTP and no store.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use runnel::config::ScriptLimits;
use runnel::harness::AppTest;
use runnel::page::{Control, Element};
use runnel::session_state::EventError;
use serde_json::json;

fn error_of(app: &AppTest) -> runnel::page::ScriptError {
    app.page().error.clone().expect("the page shows an error")
}

#[test]
fn the_same_state_and_the_same_event_give_the_same_page() {
    let script = r#"let n = slider("N", 0, 10); if button("Go") { state.total = state.get("total", 0) + n; } text(`${state.get("total", 0)}`);"#;
    let mut a = AppTest::from_source(script);
    let mut b = AppTest::from_source(script);
    for app in [&mut a, &mut b] {
        app.set("N", &["4"]).unwrap();
        app.click("Go");
    }
    assert_eq!(a.page(), b.page());
    assert_eq!(a.data(), b.data());
}

#[test]
fn a_button_is_true_for_exactly_one_run() {
    let mut app = AppTest::from_source(r#"if button("Go") { text("pressed"); }"#);
    assert!(!app.page().texts().contains(&"pressed".to_string()));
    app.click("Go");
    assert!(app.page().texts().contains(&"pressed".to_string()));
    app.run();
    assert!(!app.page().texts().contains(&"pressed".to_string()));
}

#[test]
fn a_widget_not_drawn_in_a_run_loses_its_value() {
    let mut app = AppTest::from_source(
        r#"let show = checkbox("Show");
           if show { let v = slider("V", 0, 10, #{ key: "v" }); text(`v=${v}`); }"#,
    );
    app.set("Show", &["true"]).unwrap();
    app.set("V", &["7"]).unwrap();
    assert!(app.page().texts().contains(&"v=7".to_string()));
    assert_eq!(app.state("v"), Some(&json!(7)));
    app.set("Show", &["false"]).unwrap();
    assert_eq!(app.state("v"), None, "a keyed widget's state goes with it");
    app.set("Show", &["true"]).unwrap();
    assert!(app.page().texts().contains(&"v=0".to_string()), "it comes back with its default");
}

#[test]
fn a_keyed_widget_is_mirrored_in_state_and_state_can_set_it() {
    let mut app = AppTest::from_source(
        r#"if button("Max") { state.speed = 10; }
           let s = slider("Speed", 0, 10, #{ key: "speed", value: 3 });
           text(`speed=${s}`);"#,
    );
    assert_eq!(app.state("speed"), Some(&json!(3)));
    app.click("Max");
    // The button ran after the slider was drawn; the next run picks the new state up.
    app.run();
    assert!(app.page().texts().contains(&"speed=10".to_string()));
}

#[test]
fn a_callback_runs_before_the_rerun_and_sees_the_new_value() {
    let mut app = AppTest::from_source(
        r#"fn changed(label) { state.log = `${label}:${state.name}`; }
           text_input("Name", #{ key: "name", on_change: Fn("changed"), args: ["cb"] });
           text(state.get("log", "none"));"#,
    );
    app.set("Name", &["Ada"]).unwrap();
    assert!(app.page().texts().contains(&"cb:Ada".to_string()));
}

#[test]
fn state_is_visible_inside_script_functions() {
    let mut app = AppTest::from_source(
        r#"fn bump() { state.count += 1; }
           if !("count" in state) { state.count = 0; }
           if button("Add") { bump(); }
           text(`count=${state.count}`);"#,
    );
    app.click("Add");
    app.click("Add");
    assert!(app.page().texts().contains(&"count=2".to_string()));
    assert_eq!(app.state("count"), Some(&json!(2)));
}

#[test]
fn two_widgets_with_the_same_id_are_an_error_at_the_second_one() {
    let app = AppTest::from_source("button(\"Go\");\ntitle(\"kept\");\nbutton(\"Go\");\n");
    let err = error_of(&app);
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("unique `key`"), "{}", err.message);
    assert!(app.page().texts().contains(&"kept".to_string()), "elements before the error stay");
}

#[test]
fn the_same_label_with_different_keys_is_two_widgets() {
    let app = AppTest::from_source(r#"button("Go", #{ key: "a" }); button("Go", #{ key: "b" });"#);
    assert!(app.page().error.is_none());
    assert_eq!(app.page().widgets().len(), 2);
}

#[test]
fn a_runtime_error_names_its_line_column_and_source_line() {
    let app = AppTest::from_source("title(\"Before\");\nlet x = 1;\nlet y = x + missing_fn(2);\n");
    let err = error_of(&app);
    assert_eq!(err.line, Some(3));
    assert!(err.column.is_some());
    assert_eq!(err.source_line.as_deref(), Some("let y = x + missing_fn(2);"));
    assert!(err.message.contains("missing_fn"), "{}", err.message);
    assert!(app.page().texts().contains(&"Before".to_string()));
}

#[test]
fn an_error_inside_a_script_function_points_inside_the_function() {
    let app = AppTest::from_source("fn f() {\n    throw \"boom\";\n}\nf();\n");
    let err = error_of(&app);
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("boom"));
}

#[test]
fn an_endless_loop_is_stopped_by_the_operations_limit() {
    let limits = ScriptLimits { max_operations: 100_000, ..ScriptLimits::default() };
    let app = AppTest::with_limits("title(\"t\");\nloop { }\n", limits);
    assert!(error_of(&app).message.contains("max_operations"));
}

#[test]
fn a_slow_script_is_stopped_by_the_wall_clock_limit() {
    let limits = ScriptLimits { max_run_time: Duration::from_millis(200), ..ScriptLimits::default() };
    let started = Instant::now();
    let app = AppTest::with_limits("sleep(30);\n", limits);
    assert!(started.elapsed() < Duration::from_secs(5), "sleep must not outlive the deadline");
    assert!(error_of(&app).message.contains("max_run_ms"));
}

#[test]
fn deep_recursion_big_strings_import_and_eval_are_refused() {
    let deep = AppTest::from_source("fn f(n) { f(n + 1) }\nf(0);\n");
    assert!(error_of(&deep).message.contains("call depth"), "{}", error_of(&deep).message);
    let big = AppTest::from_source("let s = \"x\";\nloop { s += s; }\n");
    assert!(error_of(&big).message.contains("limit"), "{}", error_of(&big).message);
    let import = AppTest::from_source("import \"os\" as os;\n");
    assert!(import.page().error.is_some());
    let eval = AppTest::from_source("eval(\"1\");\n");
    assert!(eval.page().error.is_some());
}

#[test]
fn rerun_restarts_the_script_and_stop_ends_it_quietly() {
    let mut app = AppTest::from_source(
        r#"if button("Once") { state.flag = true; rerun(); }
           text(`flag=${state.get("flag", false)}`);
           stop();
           text("never shown");"#,
    );
    app.click("Once");
    let texts = app.page().texts();
    assert!(texts.contains(&"flag=true".to_string()));
    assert!(!texts.contains(&"never shown".to_string()));
    assert!(app.page().error.is_none());
}

#[test]
fn rerun_in_every_run_is_bounded() {
    let app = AppTest::from_source("rerun();\n");
    assert!(error_of(&app).message.contains("rerun()"));
}

#[test]
fn query_parameters_can_be_read_and_written() {
    let mut app = AppTest::from_source(
        r#"let q = query_params(); text(`tab=${q.get("tab") ?? "none"}`);
           if button("Go") { set_query_params(#{ tab: "b" }); }"#,
    );
    app.set_query(BTreeMap::from([("tab".to_string(), "a".to_string())]));
    app.run();
    assert!(app.page().texts().contains(&"tab=a".to_string()));
    app.click("Go");
    assert_eq!(app.query().get("tab").map(String::as_str), Some("b"));
}

#[test]
fn the_sidebar_is_a_container_with_the_same_functions() {
    let app = AppTest::from_source(r#"let s = sidebar(); s.title("Side"); let c = s.container(); c.button("Inner");"#);
    assert!(matches!(app.page().sidebar()[0], Element::Title(ref t) if t == "Side"));
    assert!(matches!(app.page().sidebar()[1], Element::Container(_)));
    assert!(app.page().widget("Inner").is_some());
}

#[test]
fn every_input_returns_its_value_and_refuses_values_outside_its_domain() {
    let mut app = AppTest::from_source(
        r#"
        text(`c=${checkbox("C")}`);
        text(`t=${toggle("T", #{ value: true })}`);
        text(`r=${radio("R", ["a", "b"])}`);
        text(`s=${selectbox("S", [1, 2, 3], #{ index: 2 })}`);
        text(`m=${multiselect("M", ["x", "y", "z"])}`);
        text(`i=${slider("I", 0, 100, #{ value: 50 })}`);
        text(`f=${slider("F", 0.0, 1.0, #{ value: 0.5 })}`);
        text(`ti=${text_input("TI", #{ max_chars: 5 })}`);
        text(`ta=${text_area("TA")}`);
        text(`n=${number_input("N", #{ min: 0, max: 9 })}`);
        "#,
    );
    let texts = app.page().texts();
    for expected in ["c=false", "t=true", "r=a", "s=3", "m=[]", "i=50", "f=0.5", "ti=", "ta=", "n=0"] {
        assert!(texts.contains(&expected.to_string()), "missing {expected} in {texts:?}");
    }
    for (label, good, shown) in [
        ("C", &["false", "true"][..], "c=true"),
        ("R", &["1"], "r=b"),
        ("S", &["0"], "s=1"),
        ("M", &["2", "0"], "m=[\"x\", \"z\"]"),
        ("I", &["99"], "i=99"),
        ("F", &["0.25"], "f=0.25"),
        ("TI", &["hello"], "ti=hello"),
        ("TA", &["two\nlines"], "ta=two\nlines"),
        ("N", &["9"], "n=9"),
    ] {
        app.set(label, good).unwrap();
        assert!(app.page().texts().contains(&shown.to_string()), "{label}: {:?}", app.page().texts());
    }
    let before = app.data().clone();
    for (label, bad) in [
        ("C", "maybe"),
        ("R", "2"),
        ("S", "a"),
        ("M", "7"),
        ("I", "101"),
        ("I", "1.5"),
        ("F", "NaN"),
        ("F", "2"),
        ("TI", "toolong"),
        ("N", "-1"),
    ] {
        let outcome = app.set(label, &[bad]);
        assert!(matches!(outcome, Err(EventError::InvalidValue { .. })), "{label}={bad} was accepted");
    }
    assert_eq!(app.data(), &before, "refused values change nothing");
    assert!(matches!(app.send("slider:Nope", &["1"]), Err(EventError::UnknownWidget(_))));
}

#[test]
fn the_drawn_control_shows_the_current_value() {
    let mut app = AppTest::from_source(r#"slider("I", 0, 10, #{ step: 2 }); selectbox("S", ["a", "b"]);"#);
    app.set("I", &["6"]).unwrap();
    app.set("S", &["1"]).unwrap();
    assert!(
        matches!(&app.page().widget("I").unwrap().control, Control::Range { value, step, .. } if value == "6" && step == "2")
    );
    let Control::Choice { options, .. } = &app.page().widget("S").unwrap().control else { panic!("a choice") };
    assert!(options[1].selected && !options[0].selected);
}

#[test]
fn write_shows_maps_as_json_and_strings_as_markdown() {
    let app = AppTest::from_source(r#"write(#{ a: 1 }); write("**b**"); write(42);"#);
    let main = app.page().main();
    assert!(matches!(&main[0], Element::Json(j) if j.contains("\"a\": 1")));
    assert!(matches!(&main[1], Element::Markdown(m) if m.contains("<strong>b</strong>")));
    assert!(matches!(&main[2], Element::Text(t) if t == "42"));
}

#[test]
fn an_unknown_option_is_a_clear_error() {
    let app = AppTest::from_source("slider(\"S\", 0, 10, #{ vlaue: 3 });\n");
    assert!(error_of(&app).message.contains("unknown option `vlaue`"));
}

#[test]
fn the_sales_example_filters_its_rows_and_stops_when_none_match() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/03_sales.rhai")).unwrap();
    let mut app = AppTest::from_source(&source);
    assert!(app.page().error.is_none(), "{:?}", app.page().error);
    let rows = |app: &AppTest| {
        app.page().walk().into_iter().find_map(|e| match e {
            Element::Table(table) => Some(table.rows.len()),
            _ => None,
        })
    };
    assert_eq!(rows(&app), Some(10));
    app.set("Product", &["1"]).unwrap();
    assert_eq!(rows(&app), Some(4), "only widgets");
    app.set("Minimum units", &["200"]).unwrap();
    assert!(app.page().texts().iter().any(|t| t.contains("No sales match")));
    assert_eq!(rows(&app), None, "stop() ends the run before the table");
    assert!(app.page().error.is_none());
}
