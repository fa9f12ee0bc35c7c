//! Layout containers: columns, tabs, expanders, placeholders, nesting limits and the page config.

use runnel::page::ContainerKind;

use super::{container_kinds, error_message, html_of, run_ok, texts_in};

#[test]
fn columns_make_one_row_with_a_container_per_column() {
    let app = run_ok(r#"let c = columns(3); c[0].text("a"); c[2].text("c"); text("after");"#);
    let page = app.page();
    let kinds = container_kinds(page);
    assert_eq!(kinds[0], &ContainerKind::Columns(Default::default()));
    assert_eq!(kinds.iter().filter(|k| matches!(k, ContainerKind::Column { .. })).count(), 3);
    assert_eq!(texts_in(page, 3), vec!["a"]);
    assert_eq!(texts_in(page, 5), vec!["c"]);
    let html = html_of(page);
    assert_eq!(html.matches("class=\"rn-column rn-share-33\"").count(), 3);
    assert!(
        html.find(">a<").unwrap() < html.find(">c<").unwrap()
            && html.find(">c<").unwrap() < html.find(">after<").unwrap()
    );
}

#[test]
fn columns_with_widths_share_the_row_in_proportion() {
    let app = run_ok(r#"let c = columns([3, 1]); c[1].text("narrow");"#);
    let kinds = container_kinds(app.page());
    assert_eq!(kinds[1], &ContainerKind::Column { weight: 3.0, share: 0.75 });
    assert_eq!(kinds[2], &ContainerKind::Column { weight: 1.0, share: 0.25 });
    let html = html_of(app.page());
    assert!(html.contains("class=\"rn-column rn-share-75\"") && html.contains("class=\"rn-column rn-share-25\""));
    assert!(!html.contains("style="), "the Content-Security-Policy allows no style attributes");
}

#[test]
fn zero_or_negative_columns_are_a_clear_error() {
    assert!(error_message(&runnel::harness::AppTest::from_source("columns(0);")).contains("between 1 and"));
    assert!(error_message(&runnel::harness::AppTest::from_source("columns([1, -2]);")).contains("positive"));
}

#[test]
fn tabs_render_a_label_and_a_panel_per_tab_with_the_first_one_selected() {
    let app = run_ok(r#"let t = tabs(["One", "Two"]); t[0].text("first"); t[1].text("second");"#);
    let html = html_of(app.page());
    assert_eq!(html.matches("class=\"rn-tab-label\"").count(), 2);
    assert_eq!(html.matches("role=\"tabpanel\"").count(), 2);
    assert_eq!(html.matches(" checked>").count(), 1, "only the first tab is selected");
    assert!(html.find(">One<").unwrap() < html.find("first").unwrap());
    assert!(html.find(">Two<").unwrap() < html.find("second").unwrap());
}

#[test]
fn an_expander_is_a_details_element_open_only_when_asked() {
    let app = run_ok(r#"expander("Closed").text("x"); expander("Open", #{ expanded: true }).text("y");"#);
    let html = html_of(app.page());
    assert!(html.contains("<summary>Closed</summary>"));
    assert_eq!(html.matches("<details").count(), 2);
    assert_eq!(html.matches(" open>").count(), 1);
}

#[test]
fn writing_into_an_empty_placeholder_replaces_what_it_showed() {
    let app = run_ok(r#"let p = empty(); p.text("loading"); text("below"); p.success("done");"#);
    let page = app.page();
    let texts = page.texts();
    assert!(!texts.contains(&"loading".to_string()), "{texts:?}");
    let html = html_of(page);
    assert!(html.find("done").unwrap() < html.find("below").unwrap(), "the placeholder keeps its place");
}

#[test]
fn a_placeholder_can_be_cleared() {
    let app = run_ok(r#"let p = empty(); p.text("gone"); p.clear();"#);
    assert!(!app.page().texts().contains(&"gone".to_string()));
}

#[test]
fn containers_nest_but_only_as_deep_as_the_limit() {
    let app = run_ok(r#"let c = columns(2); let e = c[0].expander("More"); e.tabs(["A"])[0].text("deep");"#);
    assert!(app.page().texts().contains(&"deep".to_string()));
    let app = runnel::harness::AppTest::from_source("let c = container(); loop { c = c.expander(\"x\"); }");
    assert!(error_message(&app).contains("nest at most"));
}

#[test]
fn page_config_sets_the_title_icon_and_wide_layout() {
    let app = run_ok(r#"page_config(#{ title: "Report", icon: "📈", layout: "wide" });"#);
    let config = &app.page().config;
    assert_eq!(config.title.as_deref(), Some("Report"));
    assert!(config.wide);
    assert!(html_of(app.page()).contains("rn-main rn-wide"));
    let app = runnel::harness::AppTest::from_source(r#"page_config(#{ layout: "huge" });"#);
    assert!(error_message(&app).contains("wide"));
}
