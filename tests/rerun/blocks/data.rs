//! Data elements: tables, data frames (paged and sorted on the server), metrics, JSON, progress, downloads.

use std::collections::BTreeMap;

use base64::Engine as _;
use runnel::harness::AppTest;
use runnel::page::{DeltaTone, Element, SortOrder};

use super::{error_message, html_of, run_ok};

const ROWS: &str =
    r#"let rows = []; for i in 0..45 { rows.push(#{ id: i, name: `n${44 - i}`, score: (i * 7) % 10 }); }"#;

fn frame(app: &AppTest) -> &runnel::page::DataFrame {
    app.page()
        .walk()
        .into_iter()
        .find_map(|e| match e {
            Element::DataFrame(df) => Some(&**df),
            _ => None,
        })
        .expect("a data frame on the page")
}

#[test]
fn a_table_shows_every_row_and_a_map_of_columns_works_too() {
    let app =
        run_ok(r#"table([#{ a: 1, b: "x" }, #{ a: 2, c: true }]); table(#{ k: [1, 2, 3], v: ["a", "b", "c"] });"#);
    let tables: Vec<_> = app.page().walk().into_iter().filter(|e| matches!(e, Element::Table(_))).collect();
    let Element::Table(table) = tables[0] else { unreachable!() };
    let (columns, rows) = (&table.columns, &table.rows);
    assert_eq!(columns, &["a", "b", "c"]);
    assert_eq!(rows[1], vec!["2", "", "true"]);
    let Element::Table(table) = tables[1] else { unreachable!() };
    let (columns, rows) = (&table.columns, &table.rows);
    assert_eq!((columns.len(), rows.len()), (2, 3));
}

#[test]
fn tables_charts_maps_frames_and_vega_lite_read_the_scripts_rows_in_place_and_leave_them_as_they_were() {
    let app = run_ok(
        r#"let rows = [#{ x: 1, y: 2.5 }, #{ x: 2, y: 3.5 }];
        table(rows);
        line_chart(rows, #{ x: "x", y: "y" });
        map(rows, #{ lat: "y", lon: "x" });
        dataframe(rows);
        vega_lite_chart(rows, #{ mark: "point", encoding: #{ x: #{ field: "x" }, y: #{ field: "y" } } });
        rows.push(#{ x: 3, y: 1.0 });
        const FIXED = [#{ x: 1, y: 1.0 }];
        table(FIXED);
        text(`${rows.len()} rows, the second y ${rows[1].y}, ${FIXED.len()} fixed`);"#,
    );
    let elements = app.page().walk();
    let tables: Vec<_> = elements.iter().filter(|e| matches!(e, Element::Table(_))).collect();
    let Element::Table(table) = tables[0] else { unreachable!() };
    let (columns, rows) = (&table.columns, &table.rows);
    assert_eq!((columns.as_slice(), rows.len()), (["x".to_owned(), "y".to_owned()].as_slice(), 2));
    assert_eq!(rows[1], vec!["2", "3.5"]);
    assert!(matches!(tables[1], Element::Table(t) if t.rows.len() == 1), "a constant's rows too");
    assert!(elements.iter().any(|e| matches!(e, Element::Chart(_))));
    assert!(elements.iter().any(|e| matches!(e, Element::Map(_))));
    assert!(
        matches!(elements.iter().find_map(|e| match e { Element::DataFrame(df) => Some(df), _ => None }), Some(df) if df.total_rows == 2)
    );
    let vega = elements.iter().find_map(|e| match e {
        Element::VegaLite(chart) => Some(chart.spec.as_str()),
        _ => None,
    });
    let values = r#""values":[{"x":1,"y":2.5},{"x":2,"y":3.5}]"#;
    assert!(vega.is_some_and(|spec| spec.contains(values)), "the Vega-Lite chart has the two rows: {vega:?}");
    let html = html_of(app.page());
    assert!(html.contains("3 rows, the second y 3.5, 1 fixed"), "the script's own rows are unchanged: {html}");
}

#[test]
fn a_dataframe_shows_one_page_and_links_to_the_next() {
    let app = run_ok(&format!("{ROWS} dataframe(rows, #{{ page_size: 20 }});"));
    let df = frame(&app);
    assert_eq!((df.page, df.pages, df.total_rows, df.rows.len()), (1, 3, 45, 20));
    assert_eq!(df.next_href.as_deref(), Some("?df.page=2"));
    assert!(df.prev_href.is_none());
    let html = html_of(app.page());
    assert!(html.contains("Page 1 of 3"));
    assert!(html.contains("href=\"?df.sort=id\""), "a header sorts by its column");
}

#[test]
fn a_dataframe_sorts_and_pages_from_the_query_on_the_server() {
    let mut app = run_ok(&format!("{ROWS} dataframe(rows, #{{ page_size: 20 }});"));
    let query = [("df.sort", "score"), ("df.desc", "1"), ("df.page", "3"), ("other", "kept")];
    app.set_query(query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>());
    app.run();
    let df = frame(&app);
    assert_eq!(df.page, 3);
    assert_eq!(df.rows.len(), 5);
    let score = df.columns.iter().position(|c| c.label == "score").unwrap();
    assert_eq!(df.columns[score].sorted, Some(SortOrder::Descending));
    assert!(df.rows.iter().all(|r| r[score] == "0"), "the lowest scores come last: {:?}", df.rows);
    assert_eq!(df.prev_href.as_deref(), Some("?df.desc=1&df.page=2&df.sort=score&other=kept"));
    assert!(df.columns[score].href.contains("df.sort=score") && !df.columns[score].href.contains("desc"));
}

#[test]
fn a_dataframe_ignores_a_bad_query() {
    let mut app = run_ok(&format!("{ROWS} dataframe(rows);"));
    let query = [("df.sort", "<script>"), ("df.page", "999999999999")];
    app.set_query(query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect());
    app.run();
    let df = frame(&app);
    assert_eq!(df.page, df.pages);
    assert!(df.columns.iter().all(|c| c.sorted.is_none()));
}

#[test]
fn a_metric_colours_its_delta_as_asked() {
    let app = run_ok(
        r#"metric("A", 1, #{ delta: "5%" }); metric("B", 1, #{ delta: "-5%" });
           metric("C", 1, #{ delta: "5%", delta_color: "inverse" }); metric("D", 1, #{ delta: -2, delta_color: "off" });"#,
    );
    let tones: Vec<_> = app
        .page()
        .walk()
        .into_iter()
        .filter_map(|e| match e {
            Element::Metric { rising, tone, .. } => Some((*rising, *tone)),
            _ => None,
        })
        .collect();
    assert_eq!(
        tones,
        vec![(true, DeltaTone::Good), (false, DeltaTone::Bad), (true, DeltaTone::Bad), (false, DeltaTone::Off)]
    );
    let bad = AppTest::from_source(r#"metric("A", 1, #{ delta: 1, delta_color: "red" });"#);
    assert!(error_message(&bad).contains("delta_color"));
}

#[test]
fn json_shows_the_value_pretty_printed() {
    let app = run_ok(r#"json(#{ a: [1, 2], b: "x" });"#);
    assert!(app.page().texts().iter().any(|t| t.contains("\"a\": [") && t.contains("\"b\": \"x\"")));
}

#[test]
fn progress_takes_a_percentage_or_a_fraction() {
    let app = run_ok(r#"progress(40, "Loading"); progress(0.75);"#);
    let values: Vec<u8> = app
        .page()
        .walk()
        .into_iter()
        .filter_map(|e| match e {
            Element::Progress { percent, .. } => Some(*percent),
            _ => None,
        })
        .collect();
    assert_eq!(values, vec![40, 75]);
    assert!(
        html_of(app.page()).contains("<progress max=\"100\" value=\"40\" aria-label=\"Loading\" role=\"progressbar\"")
    );
    assert!(error_message(&AppTest::from_source("progress(101);")).contains("0..=100"));
}

fn download_of(app: &AppTest) -> (String, Vec<u8>) {
    let d = app
        .page()
        .walk()
        .into_iter()
        .find_map(|e| match e {
            Element::Download(d) => Some(d.clone()),
            _ => None,
        })
        .unwrap();
    let (_, b64) = d.href.split_once("base64,").unwrap();
    (d.file_name.clone(), base64::engine::general_purpose::STANDARD.decode(b64).unwrap())
}

#[test]
fn a_download_button_offers_rows_as_csv_and_values_as_json() {
    let app =
        run_ok(r#"download_button("CSV", [#{ a: 1, b: "x,y" }, #{ a: 2, b: "z" }], #{ file_name: "rows.csv" });"#);
    let (name, bytes) = download_of(&app);
    assert_eq!(name, "rows.csv");
    assert_eq!(String::from_utf8(bytes).unwrap(), "a,b\n1,\"x,y\"\n2,z\n");
    assert!(html_of(app.page()).contains("download=\"rows.csv\""));
    let app = run_ok(r#"download_button("JSON", #{ total: 3 }, #{ file_name: "t.json" });"#);
    let (_, bytes) = download_of(&app);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(), serde_json::json!({ "total": 3 }));
}

#[test]
fn a_download_cannot_be_a_page_that_runs_script() {
    let app = AppTest::from_source(r#"download_button("x", "<script>alert(1)</script>", #{ mime: "text/html" });"#);
    assert!(error_message(&app).contains("mime must be one of"));
}
