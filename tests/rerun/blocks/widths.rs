//! `use_container_width` and `width` on charts, maps, images, Vega-Lite charts and tables, read
//! from the HTML they render: the class and `width` attribute that size them without a `style`
//! attribute, the drawing width of a fixed chart, and clear errors at the line for bad values.

use runnel::harness::AppTest;
use scraper::{ElementRef, Html, Selector};

use super::{DataDir, error_message, html_of};

const ROWS: &str = r#"let rows = [#{ city: "Oslo", lat: 59.9, lon: 10.7, people: 7 },
                         #{ city: "Rome", lat: 41.9, lon: 12.5, people: 28 }];"#;

/// Every chart function with the options it needs.
const CHARTS: [(&str, &str); 8] = [
    ("line_chart", r#"x: "city", y: "people""#),
    ("area_chart", r#"x: "city", y: "people""#),
    ("bar_chart", r#"x: "city", y: "people""#),
    ("scatter_chart", r#"x: "lat", y: "people""#),
    ("histogram", r#"x: "people""#),
    ("box_chart", r#"y: "people""#),
    ("heatmap", r#"x: "city", y: "city""#),
    ("pie_chart", r#"names: "city", values: "people""#),
];

/// Runs the rows and `script` over an empty data folder (images need one) and parses the page.
fn run(script: &str) -> AppTest {
    let dir = DataDir::with(&[]);
    AppTest::with_data_dir(&format!("{ROWS}\n{script}"), dir.path())
}

fn drawn(script: &str) -> Html {
    let app = run(script);
    assert!(app.page().error.is_none(), "{script} failed: {:?}", app.page().error);
    Html::parse_fragment(&html_of(app.page()))
}

fn one<'a>(doc: &'a Html, css: &str) -> ElementRef<'a> {
    let found: Vec<_> = doc.select(&Selector::parse(css).unwrap()).collect();
    assert_eq!(found.len(), 1, "one `{css}` in {}", doc.html());
    found[0]
}

fn class_of(el: ElementRef) -> String {
    el.value().attr("class").unwrap_or_default().to_owned()
}

/// The message and line of the error a script stops with.
fn failure(script: &str) -> (String, Option<usize>) {
    let app = run(script);
    let line = app.page().error.as_ref().and_then(|e| e.line);
    (error_message(&app), line)
}

#[test]
fn every_chart_stretches_by_default_and_takes_a_width_in_pixels_or_its_own_width() {
    for (function, opts) in CHARTS {
        let doc = drawn(&format!("{function}(rows, #{{ {opts} }});"));
        assert!(class_of(one(&doc, "figure.rn-chart-wrap")).contains("rn-w-stretch"), "{function} stretches");
        assert_eq!(one(&doc, "svg.rn-chart").value().attr("width"), Some("100%"), "{function}");

        let doc = drawn(&format!("{function}(rows, #{{ {opts}, width: 300 }});"));
        assert!(class_of(one(&doc, "figure.rn-chart-wrap")).contains("rn-w-fixed"), "{function} is fixed");
        let svg = one(&doc, "svg.rn-chart");
        assert_eq!(svg.value().attr("width"), Some("300"), "{function} is 300 px wide");
        let view = svg.value().attr("viewBox").unwrap();
        assert!(view.starts_with("0 0 300 "), "{function} is drawn 300 wide, so its text keeps its size: {view}");

        let doc = drawn(&format!("{function}(rows, #{{ {opts}, use_container_width: false }});"));
        assert!(class_of(one(&doc, "figure.rn-chart-wrap")).contains("rn-w-content"), "{function}: own width");
        assert_eq!(one(&doc, "svg.rn-chart").value().attr("width"), Some("640"), "{function}: its drawing's width");

        let doc = drawn(&format!("{function}(rows, #{{ {opts}, use_container_width: true, width: \"stretch\" }});"));
        assert_eq!(one(&doc, "svg.rn-chart").value().attr("width"), Some("100%"), "{function}");
    }
}

#[test]
fn a_map_an_image_and_a_vega_lite_chart_take_the_same_widths() {
    let doc = drawn("map(rows);");
    assert!(class_of(one(&doc, "figure.rn-map-wrap")).contains("rn-w-stretch"));
    assert_eq!(one(&doc, "svg.rn-map").value().attr("width"), None, "the stylesheet stretches it");
    let doc = drawn("map(rows, #{ width: 300 });");
    assert!(class_of(one(&doc, "figure.rn-map-wrap")).contains("rn-w-fixed"));
    assert_eq!(one(&doc, "svg.rn-map").value().attr("width"), Some("300"));

    let doc = drawn("image([[0.0, 1.0], [1.0, 0.0]]);");
    assert!(class_of(one(&doc, "figure.rn-image")).contains("rn-w-content"), "an image keeps its own size");
    assert_eq!(one(&doc, "img").value().attr("width"), None);
    let doc = drawn("image([[0.0, 1.0], [1.0, 0.0]], #{ width: 120 });");
    assert_eq!(one(&doc, "img").value().attr("width"), Some("120"));
    let doc = drawn("image([[0.0, 1.0], [1.0, 0.0]], #{ use_container_width: true });");
    assert!(class_of(one(&doc, "figure.rn-image")).contains("rn-w-stretch"));

    let spec = r#"#{ mark: "bar", encoding: #{ x: #{ field: "city" }, y: #{ field: "people" } } }"#;
    let doc = drawn(&format!("vega_lite_chart(rows, {spec});"));
    let figure = one(&doc, "figure.rn-vega");
    assert!(class_of(figure).contains("rn-w-stretch"));
    assert!(figure.value().attr("data-spec").unwrap().contains(r#""width":"container""#));
    let doc = drawn(&format!("vega_lite_chart(rows, {spec}, #{{ width: 300 }});"));
    assert!(class_of(one(&doc, "figure.rn-vega")).contains("rn-w-fixed"));
    assert_eq!(one(&doc, "figure.rn-vega > svg.rn-sizer").value().attr("width"), Some("300"));
    let doc = drawn(&format!("vega_lite_chart(rows, {spec}, #{{ use_container_width: false }});"));
    let spec_text = one(&doc, "figure.rn-vega").value().attr("data-spec").unwrap().to_owned();
    assert!(!spec_text.contains("width"), "its own width is the spec's: {spec_text}");
    let doc = drawn(&format!(
        "let spec = {spec}; spec.data = #{{ values: rows }}; vega_lite_chart((), spec, #{{ width: 250 }});"
    ));
    assert_eq!(one(&doc, "svg.rn-sizer").value().attr("width"), Some("250"), "data may be in the spec");
}

#[test]
fn tables_and_data_frames_stretch_by_default_and_take_a_width() {
    let doc = drawn("table(rows); dataframe(rows);");
    assert!(class_of(one(&doc, "div.rn-table-box")).contains("rn-w-stretch"));
    assert!(class_of(one(&doc, "div.rn-dataframe")).contains("rn-w-stretch"));
    assert!(doc.select(&Selector::parse("svg.rn-sizer").unwrap()).next().is_none(), "no sizer when stretched");

    let doc = drawn("table(rows, #{ width: 300 }); dataframe(rows, #{ width: 320, page_size: 5 });");
    assert_eq!(one(&doc, "div.rn-table-box.rn-w-fixed > svg.rn-sizer").value().attr("width"), Some("300"));
    assert_eq!(one(&doc, "div.rn-dataframe.rn-w-fixed > svg.rn-sizer").value().attr("width"), Some("320"));
    assert_eq!(one(&doc, "div.rn-table-box tbody").children().count(), 2, "the rows are all there");

    let doc = drawn("table(rows, #{ use_container_width: false }); dataframe(rows, #{ width: \"content\" });");
    assert!(class_of(one(&doc, "div.rn-table-box")).contains("rn-w-content"));
    assert!(class_of(one(&doc, "div.rn-dataframe")).contains("rn-w-content"));
}

#[test]
fn a_width_the_element_cannot_take_is_an_error_at_its_line() {
    let cases = [
        (
            "bar_chart(rows, #{ x: \"city\", width: \"wide\" });",
            "`width` is a whole number of pixels, \"stretch\" or \"content\"",
        ),
        ("line_chart(rows, #{ width: 12.5 });", "`width` is a whole number of pixels"),
        ("pie_chart(rows, #{ names: \"city\", width: 60 });", "`width` is 120 to 4000 pixels here, not 60"),
        ("map(rows, #{ width: 5000 });", "`width` is 120 to 4000 pixels here, not 5000"),
        ("image([[0.0]], #{ width: 0 });", "`width` is 1 to 4000 pixels here, not 0"),
        ("table(rows, #{ width: -3 });", "`width` is 1 to 4000 pixels here, not -3"),
        ("dataframe(rows, #{ use_container_width: \"yes\" });", "`use_container_width` must be true or false"),
        ("scatter_chart(rows, #{ use_container_width: true, width: 300 });", "contradict each other"),
        ("table(rows, #{ use_container_width: false, width: \"stretch\" });", "contradict each other"),
        ("table(rows, #{ height: 300 });", "unknown option `height`"),
        ("vega_lite_chart(rows, #{ mark: \"bar\" }, #{ widht: 3 });", "unknown option `widht`"),
    ];
    for (call, expected) in cases {
        let (message, line) = failure(&format!("text(\"before\");\n{call}"));
        assert!(message.contains(expected), "{call}: {message}");
        assert_eq!(line, Some(4), "{call}: the error names its line");
    }
}
