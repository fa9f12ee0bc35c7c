//! Forms: their widgets are fields of one form, and a submit brings the values together in one run.

use runnel::harness::AppTest;
use runnel::session_state::EventError;
use serde_json::json;

use super::{error_message, html_of, run_ok};

const FORM: &str = r#"
    let f = form("order");
    let qty = f.slider("Quantity", 1, 10, #{ key: "qty" });
    let name = f.text_input("Name");
    let sent = f.form_submit_button("Send");
    if sent { state.orders = state.get("orders", 0) + 1; }
    text(`qty=${qty} name=${name} orders=${state.get("orders", 0)}`);
"#;

fn shown(app: &AppTest) -> String {
    app.page().texts().into_iter().find(|t| t.starts_with("qty=")).unwrap()
}

#[test]
fn widgets_in_a_form_are_fields_of_one_form_with_a_submit_button() {
    let app = run_ok(FORM);
    let html = html_of(app.page());
    assert_eq!(html.matches("<form").count(), 1, "one form for all its widgets: {html}");
    assert!(html.contains("class=\"rn-form\""));
    assert!(html.contains("name=\"v:slider:key:qty\""));
    assert!(html.contains("name=\"v:text_input:Name\""));
    assert!(html.contains("<button type=\"submit\" name=\"widget\" value=\"form_submit_button:Send\""));
}

#[test]
fn a_widget_in_a_form_does_not_rerun_the_script_on_its_own() {
    let mut app = run_ok(FORM);
    let refused = app.set("Quantity", &["5"]);
    assert!(matches!(refused, Err(EventError::InvalidValue { .. })), "{refused:?}");
    assert_eq!(shown(&app), "qty=1 name= orders=0");
}

#[test]
fn a_submit_brings_all_values_of_the_form_together_in_one_run() {
    let mut app = run_ok(FORM);
    app.submit("Send", &[("Quantity", &["7"]), ("Name", &["Ada"])]).unwrap();
    assert_eq!(shown(&app), "qty=7 name=Ada orders=1");
    assert_eq!(app.state("qty"), Some(&json!(7)));
    app.run();
    assert_eq!(shown(&app), "qty=7 name=Ada orders=1", "the submit is pressed for one run only");
}

#[test]
fn a_bad_value_in_a_submit_changes_nothing() {
    let mut app = run_ok(FORM);
    let before = app.data().clone();
    let refused = app.submit("Send", &[("Name", &["Ada"]), ("Quantity", &["11"])]);
    assert!(matches!(refused, Err(EventError::InvalidValue { .. })));
    assert_eq!(app.data(), &before);
}

#[test]
fn only_the_submit_button_of_a_form_may_have_a_callback() {
    let app = AppTest::from_source(r#"fn cb() {} let f = form("f"); f.slider("S", 0, 9, #{ on_change: Fn("cb") });"#);
    assert!(error_message(&app).contains("only form_submit_button() may have a callback"));
    let mut app = run_ok(
        r#"fn sent(who) { state.log = `sent by ${who}`; }
           let f = form("f"); f.text_input("Who", #{ key: "who" });
           f.form_submit_button("Go", #{ on_click: Fn("sent"), args: ["form"] });
           text(state.get("log", "-"));"#,
    );
    app.submit("Go", &[("Who", &["me"])]).unwrap();
    assert!(app.page().texts().contains(&"sent by form".to_string()));
}

#[test]
fn forms_are_used_as_in_streamlit() {
    let no_form = AppTest::from_source(r#"form_submit_button("Send");"#);
    assert!(error_message(&no_form).contains("inside a form"));
    let button = AppTest::from_source(r#"let f = form("f"); f.button("Go");"#);
    assert!(error_message(&button).contains("form_submit_button"));
    let nested = AppTest::from_source(r#"let f = form("f"); f.form("g");"#);
    assert!(error_message(&nested).contains("cannot nest"));
}

#[test]
fn a_multiselect_in_a_form_can_be_emptied_by_a_submit() {
    let mut app = run_ok(
        r#"let f = form("f"); let m = f.multiselect("M", ["a", "b"], #{ "default": ["a"] });
           f.form_submit_button("Save"); text(`m=${m}`);"#,
    );
    assert!(html_of(app.page()).contains("<input type=\"hidden\" name=\"v:multiselect:M\" value=\"\">"));
    app.submit("Save", &[("M", &[""])]).unwrap();
    assert!(app.page().texts().contains(&"m=[]".to_string()), "{:?}", app.page().texts());
}
