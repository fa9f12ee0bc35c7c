//! Text and layout polish through the harness: markdown extras, highlighted code, markdown in
//! labels and help, metrics without a delta, `space`, `popover` and column options.

use runnel::page::{ContainerKind, Element, Gap, RowLayout, SpaceSize, VerticalAlign};

use super::{container_kinds, error_message, html_of, markup_of, run_ok};

fn error_of(source: &str) -> String {
    error_message(&runnel::harness::AppTest::from_source(source))
}

#[test]
fn an_indented_markdown_string_is_a_heading_and_a_paragraph() {
    let app = run_ok("markdown(`\n    ### Hello :wave:\n    Some :red[red] text\n    `);");
    let html = html_of(app.page());
    assert!(html.contains("<h3>Hello 👋</h3>"), "{html}");
    assert!(html.contains("<p>Some <span class=\"rn-color-red\">red</span> text</p>"), "{html}");
    assert!(!html.contains("<pre"), "not a code block: {html}");
}

#[test]
fn captions_and_html_are_sanitized_markup() {
    let app = run_ok(r#"caption("*small* print"); html("<b>ok</b><script>alert(1)</script><p onclick=x()>p</p>");"#);
    let html = markup_of(app.page());
    assert!(html.contains("<div class=\"rn-caption\"><p><em>small</em> print</p>"), "{html}");
    assert!(html.contains("<b>ok</b><p>p</p>"), "{html}");
    assert!(!html.contains("<script") && !html.contains("onclick"), "{html}");
}

#[test]
fn latex_draws_one_display_formula_from_a_back_tick_string() {
    let app = run_ok(r#"latex(`\frac{a}{b} = \sqrt{c}`); latex("x^2");"#);
    let formulas: Vec<&String> = app
        .page()
        .main()
        .iter()
        .filter_map(|e| if let Element::Markdown(html) = e { Some(html) } else { None })
        .collect();
    assert_eq!(formulas.len(), 2);
    assert!(formulas[0].contains("display=\"block\"") && formulas[0].contains("<mfrac>"), "{}", formulas[0]);
    assert!(formulas[0].contains("<msqrt>"), "{}", formulas[0]);
    assert!(markup_of(app.page()).contains(r#"<div class="rn-markdown"><math"#));
}

#[test]
fn code_is_highlighted_with_line_numbers_and_wrapping_on_request() {
    let app =
        run_ok(r#"code("let x = 1; // note", "js", #{ line_numbers: true, wrap_lines: true }); code("plain <b>");"#);
    let html = markup_of(app.page());
    assert!(html.contains("<pre class=\"rn-code rn-line-numbers rn-wrap-lines\" data-language=\"js\">"), "{html}");
    assert!(html.contains("rn-hl-comment"), "{html}");
    let plain = "<pre class=\"rn-code\" data-language=\"\"><code><span class=\"rn-code-line\"><span class=\"rn-hl-text rn-hl-plain\">plain &lt;b&gt;</span></span></code></pre>";
    assert!(html.contains(plain), "{html}");
    let Some(Element::Code(block)) = app.page().main().first() else { panic!("a code block first") };
    assert_eq!(block.code, "let x = 1; // note");
}

#[test]
fn code_options_are_checked() {
    assert!(error_of(r#"code("x", "py", #{ language: "rust" });"#).contains("language once"));
    assert!(error_of(r#"code("x", #{ numbers: true });"#).contains("numbers"));
    assert!(error_of(r#"code("x", #{ line_numbers: "yes" });"#).contains("line_numbers"));
}

#[test]
fn labels_and_help_take_inline_markdown_and_the_label_stays_the_identity() {
    let app = run_ok(r#"let v = checkbox("**Bold** :star:", #{ help: "see `docs` <img src=x onerror=alert(1)>" });"#);
    let widget = app.page().widget("**Bold** :star:").expect("found by its label as written");
    assert_eq!(widget.label_html, "<strong>Bold</strong> ⭐");
    assert_eq!(widget.help.as_deref(), Some("see <code>docs</code>"));
    let html = html_of(app.page());
    assert!(html.contains("<strong>Bold</strong> ⭐</span>"), "{html}");
    assert!(!html.contains("onerror"), "{html}");
}

#[test]
fn a_metric_with_an_empty_or_null_delta_has_no_delta() {
    let app =
        run_ok(r#"metric("a", 1, #{ delta: "" }); metric("b", 2, #{ delta: () }); metric("c", 3, #{ delta: 0 });"#);
    let deltas: Vec<Option<String>> = app
        .page()
        .main()
        .iter()
        .filter_map(|e| match e {
            Element::Metric { delta, .. } => Some(delta.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, vec![None, None, Some("0".to_owned())]);
    let html = html_of(app.page());
    assert_eq!(html.matches("rn-metric-delta").count(), 1, "{html}");
}

#[test]
fn space_takes_a_named_size_or_pixels() {
    let app = run_ok(r#"space(); space("large"); space(30);"#);
    let sizes: Vec<&Element> = app.page().main().iter().collect();
    assert_eq!(
        sizes,
        vec![
            &Element::Space(SpaceSize::Small),
            &Element::Space(SpaceSize::Large),
            &Element::Space(SpaceSize::Pixels(30))
        ]
    );
    let html = html_of(app.page());
    assert!(html.contains("<svg width=\"1\" height=\"30\"></svg>"), "{html}");
    assert!(!html.contains("style="), "{html}");
    assert!(error_of(r#"space("huge");"#).contains("\"small\""));
    assert!(error_of("space(-1);").contains("pixels"));
}

#[test]
fn columns_take_a_gap_and_a_vertical_alignment() {
    let app = run_ok(r#"let c = columns([2, 1], #{ gap: "large", vertical_alignment: "bottom" }); c[0].text("x");"#);
    let layout = RowLayout { gap: Gap::Large, align: VerticalAlign::Bottom };
    assert_eq!(container_kinds(app.page())[0], &ContainerKind::Columns(layout));
    assert!(html_of(app.page()).contains("class=\"rn-columns rn-gap-large rn-align-bottom\""));
    assert!(error_of(r#"columns(2, #{ gap: "huge" });"#).contains("gap"));
    assert!(error_of(r#"columns(2, #{ vertical_alignment: "middle" });"#).contains("vertical_alignment"));
    assert!(error_of(r#"columns(2, #{ border: true });"#).contains("border"));
}

#[test]
fn a_popover_is_a_container_behind_a_button() {
    let app = run_ok(r#"let p = popover("Filters", #{ help: "More" }); p.text("inside");"#);
    let html = markup_of(app.page());
    assert!(
        html.contains("<details class=\"rn-popover\" data-popover=\"2\"><summary title=\"More\">Filters</summary><div class=\"rn-popover-body\"><div class=\"rn-text\">inside</div>"),
        "{html}"
    );
    assert!(error_of(r#"popover("x", #{ icon: "y" });"#).contains("icon"));
}
