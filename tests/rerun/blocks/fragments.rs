//! Fragments and dialogs: a widget inside one reruns only its function, the rest of the page and
//! its widgets stay as they were; `rerun()` inside one runs the whole page; a dialog's close
//! is a full rerun.

use runnel::harness::AppTest;
use runnel::page::{ContainerKind, Element, Page};

use super::{error_message, html_of, run_ok};

/// A page that counts its full runs outside a fragment whose button counts its own clicks.
const PANEL: &str = r#"
    state.full = state.get("full", 0) + 1;
    text(`full runs: ${state.full}`);
    let speed = slider("Speed", 0, 10, #{ value: 3 });
    fn panel() {
        if button("Add") { state.adds = state.get("adds", 0) + 1; }
        let name = text_input("Name");
        text(`adds: ${state.get("adds", 0)}, name: ${name}`);
        if button("Everything") { rerun(); }
    }
    fragment(Fn("panel"));
    text("after");
"#;

fn fragment_shell(page: &Page) -> Option<(usize, &runnel::page::FragmentShell)> {
    page.containers.iter().enumerate().find_map(|(id, c)| match &c.kind {
        ContainerKind::Fragment(shell) => Some((id, &**shell)),
        _ => None,
    })
}

fn texts(page: &Page) -> Vec<String> {
    page.texts()
}

#[test]
fn free_calls_inside_a_fragment_draw_into_its_container_in_place() {
    let app = run_ok(PANEL);
    let page = app.page();
    let (id, shell) = fragment_shell(page).expect("the page holds a fragment");
    assert_eq!((shell.id.as_str(), shell.every_ms), ("panel", None));
    let inside: Vec<String> = page.containers[id].children.iter().filter_map(Element::text).collect();
    assert_eq!(inside, vec!["adds: 0, name: "]);
    assert_eq!(texts(page), vec!["full runs: 1", "adds: 0, name: ", "after"]);
    let record = app.data().fragment("test", "panel").expect("the fragment is recorded");
    assert_eq!(record.path, "m.2");
    assert_eq!(app.data().pages["test"]["button:Add"].fragment.as_deref(), Some("panel"));
    assert_eq!(app.data().pages["test"]["slider:Speed"].fragment, None);
    assert!(html_of(page).contains(r#"class="rn-fragment" data-fragment="panel""#));
}

#[test]
fn a_widget_inside_a_fragment_reruns_only_the_fragment() {
    let mut app = run_ok(PANEL);
    app.set("Speed", &["7"]).unwrap();
    assert_eq!(app.state("full"), Some(&2.into()));
    let part = app.click_in_fragment("Add").clone();
    assert_eq!(texts(&part), vec!["adds: 1, name: "], "only the fragment was drawn");
    app.set_in_fragment("Name", &["Ada"]).unwrap();
    assert_eq!(texts(app.part().unwrap()), vec!["adds: 1, name: Ada"]);
    assert_eq!(app.state("full"), Some(&2.into()), "the code outside the fragment did not run");
    assert_eq!(app.data().pages["test"]["slider:Speed"].value, serde_json::json!(7), "outside widgets keep values");
    assert_eq!(app.data().pages["test"]["text_input:Name"].value, serde_json::json!("Ada"));
    let page = app.run();
    assert_eq!(page.texts(), vec!["full runs: 3", "adds: 1, name: Ada", "after"]);
}

#[test]
fn rerun_inside_a_fragment_runs_the_whole_page() {
    let mut app = run_ok(PANEL);
    let page = app.click_in_fragment("Everything").clone();
    assert!(app.part().is_none(), "the answer is a whole page");
    assert_eq!(page.texts(), vec!["full runs: 2", "adds: 0, name: ", "after"]);
}

#[test]
fn a_timed_fragment_reruns_alone_and_shows_new_output() {
    let mut app = run_ok(
        r#"
        state.full = state.get("full", 0) + 1;
        fn clock() { state.ticks = state.get("ticks", 0) + 1; text(`tick ${state.ticks}`); }
        fragment(Fn("clock"), #{ run_every: 0.5 });
        "#,
    );
    let (_, shell) = fragment_shell(app.page()).unwrap();
    assert_eq!(shell.every_ms, Some(500));
    assert!(html_of(app.page()).contains(r#"data-every="500""#));
    assert_eq!(texts(app.rerun_fragment("clock")), vec!["tick 2"]);
    assert_eq!(texts(app.rerun_fragment("clock")), vec!["tick 3"]);
    assert_eq!(app.state("full"), Some(&1.into()));
}

#[test]
fn a_closure_without_captures_is_a_fragment_and_a_curried_one_is_an_error() {
    let app = run_ok(r#"fragment(|| { text("inside"); });"#);
    let (id, _) = fragment_shell(app.page()).unwrap();
    assert_eq!(app.page().containers[id].children.len(), 1);
    let curried = AppTest::from_source(r#"let n = 1; fragment(|| { text(`${n}`); });"#);
    assert!(error_message(&curried).contains("cannot capture"), "{}", error_message(&curried));
}

#[test]
fn bad_fragment_options_and_nesting_are_errors_at_their_line() {
    let fast = AppTest::from_source(r#"fn f() {} fragment(Fn("f"), #{ run_every: 0.1 });"#);
    assert!(error_message(&fast).contains("run_every"));
    let unknown = AppTest::from_source(r#"fn f() {} fragment(Fn("f"), #{ every: 1 });"#);
    assert!(error_message(&unknown).contains("every"));
    let nested = AppTest::from_source(r#"fn g() {} fn f() { fragment(Fn("g")); } fragment(Fn("f"));"#);
    assert!(error_message(&nested).contains("cannot nest"));
    let in_form = AppTest::from_source(r#"fn f() {} let f1 = form("x"); f1.fragment(Fn("f"));"#);
    assert!(error_message(&in_form).contains("form"));
}

#[test]
fn a_page_may_draw_only_so_many_fragments() {
    let app = AppTest::from_source(r#"fn f() {} for i in 0..40 { fragment(Fn("f")); }"#);
    assert!(error_message(&app).contains("at most 16"));
    let ids = run_ok(r#"fn f() {} fragment(Fn("f")); fragment(Fn("f"));"#).data().fragments["test"].clone();
    assert_eq!(ids.keys().cloned().collect::<Vec<_>>(), vec!["f", "f#2"]);
}

/// A page with a button that opens a dialog whose form is sent with a script `rerun()`.
const DIALOG: &str = r#"
    state.full = state.get("full", 0) + 1;
    fn vote() {
        let pick = radio("Pick", ["A", "B"]);
        text(`picked ${pick}`);
        if button("Submit") { state.vote = pick; rerun(); }
    }
    if button("Vote") { dialog("Cast your vote", Fn("vote"), #{ width: "large" }); }
    text(`vote: ${state.get("vote", "none")}`);
"#;

#[test]
fn a_dialog_opens_reruns_alone_and_closes_by_the_script() {
    let mut app = run_ok(DIALOG);
    app.click("Vote");
    let (_, shell) = fragment_shell(app.page()).expect("the dialog is open");
    let look = shell.dialog.clone().expect("a dialog");
    assert_eq!((look.title.as_str(), look.large), ("Cast your vote", true));
    let html = html_of(app.page());
    assert!(html.contains(r#"role="dialog" aria-modal="true""#), "{html}");
    assert!(html.contains(r#"value="dialog:vote""#), "the dialog has a close button");
    app.set_in_fragment("Pick", &["1"]).unwrap();
    assert_eq!(texts(app.part().unwrap()), vec!["picked B"]);
    assert_eq!(app.state("full"), Some(&2.into()), "the dialog's widget reran only the dialog");
    let page = app.click_in_fragment("Submit").clone();
    assert!(fragment_shell(&page).is_none(), "rerun() closed the dialog");
    assert_eq!(page.texts(), vec!["vote: B"]);
}

#[test]
fn closing_a_dialog_is_a_full_rerun_without_it() {
    let mut app = run_ok(DIALOG);
    app.click("Vote");
    let page = app.send("dialog:vote", &["true"]).unwrap().clone();
    assert!(fragment_shell(&page).is_none());
    assert_eq!(app.state("full"), Some(&3.into()));
}

#[test]
fn only_one_dialog_may_be_open() {
    let app = AppTest::from_source(r#"fn d() {} dialog("One", Fn("d")); dialog("Two", Fn("d"));"#);
    assert!(error_message(&app).contains("one dialog"));
    let wide = AppTest::from_source(r#"fn d() {} dialog("One", Fn("d"), #{ width: "huge" });"#);
    assert!(error_message(&wide).contains("width"));
}

#[test]
fn an_error_inside_a_fragment_rerun_shows_inside_the_fragment() {
    let mut app = run_ok(
        r#"
        fn panel() { if button("Break") { throw "broken on purpose"; } text("fine"); }
        fragment(Fn("panel"));
        "#,
    );
    let part = app.click_in_fragment("Break").clone();
    let alert = part.walk().into_iter().find_map(|e| match e {
        Element::Alert { body, .. } => Some(body.clone()),
        _ => None,
    });
    assert!(alert.expect("an error alert in the fragment").contains("broken on purpose"));
    assert!(app.data().pages["test"].contains_key("button:Break"), "the fragment's widgets are kept");
}
