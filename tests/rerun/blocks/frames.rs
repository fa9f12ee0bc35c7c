//! Data frames through the headless harness: reading files into frames, the operations, the
//! caps, and clear errors at the script's line for bad input.

use runnel::config::ScriptLimits;
use runnel::harness::AppTest;
use runnel::script::Runner;
use serde_json::json;

use super::{DataDir, error_message};

const SALES: &str = "\
date,region,product,units,price,paid,note
2024-01-02,West,Widgets,12,2.5,true,
2024-01-02,East,Gadgets,3,10.0,false,rush
2024-02-10,West,Gadgets,7,10.0,true,
2024-02-11,North,Widgets,20,2.5,true,
2024-03-05,West,Widgets,1,2.5,false,late
";

/// Runs `source` over a data folder holding `sales.csv` and the given files.
fn run(source: &str, files: &[(&str, &str)]) -> (AppTest, DataDir) {
    let mut all = vec![("sales.csv", SALES)];
    all.extend_from_slice(files);
    let dir = DataDir::with(&all);
    (AppTest::with_data_dir(source, dir.path()), dir)
}

/// Runs `source` and returns `state.out`, insisting that the run had no error.
fn out(source: &str) -> serde_json::Value {
    let (app, _dir) = run(source, &[]);
    assert!(app.page().error.is_none(), "the script failed: {:?}", app.page().error);
    app.state("out").cloned().unwrap_or(json!(null))
}

/// Runs `source` with other limits over the sales folder plus `files`.
fn run_with(source: &str, limits: ScriptLimits, files: &[(&str, &str)]) -> AppTest {
    let mut all = vec![("sales.csv", SALES)];
    all.extend_from_slice(files);
    let dir = DataDir::with(&all);
    let runner = Runner::new(limits).with_data_dir(dir.path());
    let app = AppTest::with_runner(source, runner);
    drop(dir);
    app
}

// ---- 1. Engine, host type, caps ----

fn wide_csv(rows: usize) -> String {
    let mut csv = String::from("a,b,c,d,e\n");
    for i in 0..rows {
        csv.push_str(&format!("{i},{},{},x{i},{}\n", i * 2, i as f64 / 2.0, i % 2 == 0));
    }
    csv
}

#[test]
fn a_frame_holds_far_more_cells_than_a_script_map_may() {
    // 5,000 rows of 5 columns: 25,000 cells, where script maps stop at 10,000 entries in all.
    let csv = wide_csv(5_000);
    let (app, _dir) =
        run(r#"let df = read_csv("wide.csv"); state.out = [df.len(), df.columns().len()];"#, &[("wide.csv", &csv)]);
    assert!(app.page().error.is_none(), "{:?}", app.page().error);
    assert_eq!(app.state("out"), Some(&json!([5000, 5])));
}

#[test]
fn a_frame_past_its_row_cap_is_a_clear_error_at_the_line_and_earlier_elements_stay() {
    let limits = ScriptLimits { max_frame_rows: 100, ..ScriptLimits::default() };
    let csv = wide_csv(101);
    let app = run_with("text(\"before\");\nlet df = read_csv(\"wide.csv\");", limits, &[("wide.csv", &csv)]);
    let error = app.page().error.clone().expect("an error");
    assert!(error.message.contains("more than the 100 a frame may hold (max_frame_rows)"), "{}", error.message);
    assert_eq!(error.line, Some(2));
    assert!(app.page().texts().contains(&"before".to_string()));
}

#[test]
fn a_frame_past_its_byte_cap_is_a_clear_error_also_when_an_operation_makes_it() {
    let limits = ScriptLimits { max_frame_bytes: 64 * 1024, ..ScriptLimits::default() };
    let csv = wide_csv(1_000);
    let app = run_with(
        "let df = read_csv(\"wide.csv\");\ntext(`rows=${df.len()}`);\nlet big = df.join(df.select([\"e\"]), \"e\");",
        limits,
        &[("wide.csv", &csv)],
    );
    let error = app.page().error.clone().expect("an error");
    assert!(error.message.contains("a frame may hold (max_frame_bytes)"), "{}", error.message);
    assert_eq!(error.line, Some(3));
    assert!(app.page().texts().contains(&"rows=1000".to_string()));
}

#[test]
fn the_frame_caps_come_from_runnel_toml() {
    let dir = DataDir::with(&[]);
    let file = dir.0.join("runnel.toml");
    std::fs::write(&file, "max_frame_rows = 5000\nmax_frame_bytes = 1048576\nmax_cache_bytes = 2097152\n").unwrap();
    let args = runnel::config::RunArgs { config: Some(file), ..runnel::config::RunArgs::default() };
    let limits = runnel::config::Settings::from_run_args(args).unwrap().limits;
    assert_eq!((limits.max_frame_rows, limits.max_frame_bytes, limits.max_cache_bytes), (5000, 1 << 20, 2 << 20));
}

// ---- 2. Reading ----

#[test]
fn read_csv_keeps_the_column_order_and_the_types() {
    let got = out(r#"let df = read_csv("sales.csv"); state.out = #{ columns: df.columns(), types: df.dtypes() };"#);
    assert_eq!(got["columns"], json!(["date", "region", "product", "units", "price", "paid", "note"]));
    assert_eq!(got["types"], json!(["date", "str", "str", "i64", "f64", "bool", "str"]));
}

#[test]
fn cells_reach_scripts_as_numbers_booleans_text_and_unit_for_null() {
    let got = out(
        r#"let row = read_csv("sales.csv")[1]; state.out = [row.date, row.units, row.price, row.paid, row.note, read_csv("sales.csv")[0].note];"#,
    );
    assert_eq!(got, json!(["2024-01-02", 3, 10.0, false, "rush", null]));
}

#[test]
fn date_times_are_parsed_and_date_parsing_can_be_turned_off() {
    let csv = "at,n\n2024-01-02 10:30:00,1\n2024-01-03 11:00:00,2\n";
    let (app, _dir) = run(
        r#"state.out = [read_csv("times.csv").dtypes()[0], read_csv("times.csv", #{ parse_dates: false }).dtypes()[0]];"#,
        &[("times.csv", csv)],
    );
    assert_eq!(app.state("out"), Some(&json!(["datetime[μs]", "str"])));
}

#[test]
fn read_csv_takes_a_separator_no_header_and_the_columns_to_keep() {
    let (app, _dir) = run(
        r#"let a = read_csv("semi.csv", #{ separator: ";" });
           let b = read_csv("bare.csv", #{ header: false });
           let c = read_csv("sales.csv", #{ columns: ["units", "region"] });
           state.out = [a.columns(), a[0].y, b.columns(), b.len(), c.columns()];"#,
        &[("semi.csv", "x;y\n1;hello\n"), ("bare.csv", "1,2\n3,4\n")],
    );
    assert!(app.page().error.is_none(), "{:?}", app.page().error);
    assert_eq!(app.state("out"), Some(&json!([["x", "y"], "hello", ["column_1", "column_2"], 2, ["units", "region"]])));
}

#[test]
fn an_unknown_read_option_is_refused() {
    let (app, _dir) = run(r#"read_csv("sales.csv", #{ sep: ";" });"#, &[]);
    assert!(error_message(&app).contains("unknown option `sep`"), "{}", error_message(&app));
}

#[test]
fn json_ndjson_and_parquet_files_become_frames() {
    let rows = r#"[{"city": "Oslo", "people": 709000}, {"city": "Bergen", "people": 291000}]"#;
    let lines = "{\"city\": \"Oslo\", \"people\": 709000}\n{\"city\": \"Bergen\", \"people\": 291000}\n";
    let (app, dir) = run("", &[("cities.json", rows), ("cities.ndjson", lines)]);
    drop(app);
    let parquet = {
        let frame = runnel::frame::from_rows(
            &vec![rhai::Dynamic::from_map(
                [("city".into(), "Oslo".into()), ("people".into(), 709000_i64.into())].into_iter().collect(),
            )],
            runnel::frame::Caps::default(),
        )
        .unwrap();
        runnel::frame::to_parquet(&frame).unwrap()
    };
    std::fs::write(dir.path().join("cities.parquet"), parquet).unwrap();
    let app = AppTest::with_data_dir(
        r#"let j = read_json("cities.json"); let n = read_ndjson("cities.ndjson"); let p = read_parquet("cities.parquet");
           state.out = [j.columns(), j[1].people, n.len(), n[0].city, p.columns(), p[0].people];"#,
        dir.path(),
    );
    assert!(app.page().error.is_none(), "{:?}", app.page().error);
    assert_eq!(app.state("out"), Some(&json!([["city", "people"], 291000, 2, "Oslo", ["city", "people"], 709000])));
}

#[test]
fn rows_and_frames_convert_both_ways() {
    let got = out(r#"let df = frame([#{ b: 1, a: "x" }, #{ b: 2.5, a: "y", c: true }]);
           state.out = [df.columns(), df.dtypes(), read_csv("sales.csv").to_rows(2).len(), df.to_rows()];"#);
    assert_eq!(got[0], json!(["a", "b", "c"]), "a script map's keys come sorted; a frame keeps that order");
    assert_eq!(got[1], json!(["str", "f64", "bool"]));
    assert_eq!(got[2], json!(2));
    assert_eq!(got[3], json!([{ "a": "x", "b": 1.0, "c": null }, { "a": "y", "b": 2.5, "c": true }]));
}

// ---- 3. Operations ----

#[test]
fn filter_takes_comparisons_combined_with_and_or_and_not() {
    let got = out(r#"let df = read_csv("sales.csv");
           state.out = [
             df.filter(col("region") == "West" & col("units") > 5).column("units"),
             df.filter(col("region") == "North" | col("units") < 2).column("units"),
             df.filter(!(col("region") == "West")).column("region"),
             df.filter(col("units") >= 7 & col("paid")).len(),
           ];"#);
    assert_eq!(got, json!([[12, 7], [20, 1], ["East", "North"], 3]));
}

#[test]
fn filter_takes_is_in_null_checks_and_string_contains() {
    let got = out(r#"let df = read_csv("sales.csv");
           state.out = [
             df.filter(col("region").is_in(["East", "North"])).column("units"),
             df.filter(col("note").is_null()).len(),
             df.filter(col("note").is_not_null()).column("note"),
             df.filter(col("product").contains("adg")).len(),
             df.filter(col("units").is_in([1, 3])).column("units"),
           ];"#);
    assert_eq!(got, json!([[3, 20], 3, ["rush", "late"], 2, [3, 1]]));
}

#[test]
fn a_function_of_a_row_still_filters_as_arrays_did() {
    let got = out(r#"state.out = read_csv("sales.csv").filter(|r| r.units > 10).column("units");"#);
    assert_eq!(got, json!([12, 20]));
}

#[test]
fn select_sort_head_tail_and_slice() {
    let got = out(r#"let df = read_csv("sales.csv");
           state.out = [
             df.select(["units", "region"]).columns(),
             df.sort("units").column("units"),
             df.sort(["region", "units"], [false, true]).column("units"),
             df.sort("units", true).head(2).column("units"),
             df.tail(2).column("units"),
             df.slice(1, 2).column("units"),
             df.head().len(),
           ];"#);
    assert_eq!(got, json!([["units", "region"], [1, 3, 7, 12, 20], [3, 20, 12, 7, 1], [20, 12], [20, 1], [3, 7], 5]));
}

#[test]
fn group_by_aggregates_in_the_order_groups_first_appear() {
    let got = out(r#"let g = read_csv("sales.csv").group_by("region").agg([
             col("units").sum().alias("sum"), col("units").mean().alias("mean"), col("units").median().alias("median"),
             col("units").min().alias("min"), col("units").max().alias("max"), col("units").count().alias("count"),
             col("product").n_unique().alias("products"), col("units").first().alias("first"), col("units").last().alias("last"),
           ]);
           state.out = g.to_rows();"#);
    assert_eq!(
        got[0],
        json!({"region": "West", "sum": 20, "mean": 20.0 / 3.0, "median": 7.0, "min": 1, "max": 12, "count": 3, "products": 2, "first": 12, "last": 1})
    );
    assert_eq!(got[1]["region"], json!("East"));
    assert_eq!(got[2]["sum"], json!(20));
}

#[test]
fn with_column_computes_from_columns() {
    let got = out(r#"let df = read_csv("sales.csv").with_column("revenue", col("units") * col("price"));
           state.out = [df.columns()[-1], df.column("revenue"), df.with_column("half", col("units") / 2.0 + 1).column("half")[0]];"#);
    assert_eq!(got, json!(["revenue", [30.0, 30.0, 70.0, 50.0, 2.5], 7.0]));
}

#[test]
fn join_inner_and_left() {
    let got = out(r#"let df = read_csv("sales.csv");
           let managers = frame([#{ region: "West", manager: "Ada" }, #{ region: "East", manager: "Bo" }]);
           state.out = [
             df.join(managers, "region").len(),
             df.join(managers, "region", "left").column("manager"),
           ];"#);
    assert_eq!(got, json!([4, ["Ada", "Bo", "Ada", null, "Ada"]]));
}

#[test]
fn unique_describe_column_len_columns_item_and_sql() {
    let got = out(r#"let df = read_csv("sales.csv");
           let stats = df.describe();
           state.out = [
             df.unique("region").column("region"),
             df.select(["region"]).unique().len(),
             stats.column("statistic"),
             stats.column("units")[2],
             df.select([col("units").sum()]).item(),
             sql(#{ sales: df }, "SELECT region, SUM(units) AS units FROM sales GROUP BY region ORDER BY units DESC, region").to_rows(),
           ];"#);
    assert_eq!(got[0], json!(["West", "East", "North"]));
    assert_eq!(got[1], json!(3));
    assert_eq!(got[2], json!(["count", "null_count", "mean", "std", "min", "median", "max"]));
    assert_eq!(got[3], json!(8.6));
    assert_eq!(got[4], json!(43));
    assert_eq!(
        got[5],
        json!([{"region": "North", "units": 20}, {"region": "West", "units": 20}, {"region": "East", "units": 3}])
    );
}

#[test]
fn sql_cannot_read_files_by_itself() {
    let (app, _dir) = run(r#"text("before"); sql(#{}, "SELECT * FROM read_csv('/etc/passwd')");"#, &[]);
    assert!(error_message(&app).contains("`read_csv(…)` is not allowed"), "{}", error_message(&app));
    assert!(app.page().texts().contains(&"before".to_string()));
}

#[test]
fn a_frame_is_iterated_and_indexed_like_the_rows_it_replaced() {
    let got = out(r#"let df = read_csv("sales.csv"); let total = 0;
           for r in df { total += r.units; }
           state.out = [total, df[-1].units, df.is_empty(), `${df}`];"#);
    assert_eq!(
        got,
        json!([43, 1, false, "DataFrame(5 rows × 7 columns: date, region, product, units, price, paid, note)"])
    );
}

// ---- 8. Bad input: a clear error at the script's line, earlier elements kept ----

fn fails_at_line_two(second_line: &str, files: &[(&str, &str)]) -> String {
    let (app, _dir) = run(&format!("text(\"before\");\n{second_line}\ntext(\"after\");"), files);
    let error = app.page().error.clone().unwrap_or_else(|| panic!("no error for {second_line}"));
    assert_eq!(error.line, Some(2), "{second_line}: {error:?}");
    let texts = app.page().texts();
    assert!(texts.contains(&"before".to_string()) && !texts.contains(&"after".to_string()), "{texts:?}");
    error.message
}

#[test]
fn a_missing_file_is_a_clear_error_at_its_line() {
    let message = fails_at_line_two(r#"let df = read_csv("nope.csv");"#, &[]);
    assert!(message.contains("there is no file \"nope.csv\""), "{message}");
}

#[test]
fn a_malformed_csv_row_is_a_clear_error_at_its_line() {
    let bad = "a,b\n1,2\n3,4,5,6\n";
    let message = fails_at_line_two(r#"let df = read_csv("bad.csv");"#, &[("bad.csv", bad)]);
    assert!(message.starts_with("bad.csv: bad CSV:"), "{message}");
    assert!(!message.contains("runnel-data-"), "no server path in the message: {message}");
}

#[test]
fn an_unknown_column_is_a_clear_error_naming_the_columns_there_are() {
    for call in [
        r#"read_csv("sales.csv").filter(col("regoin") == "West");"#,
        r#"read_csv("sales.csv").sort("regoin");"#,
        r#"read_csv("sales.csv").select(["regoin"]);"#,
        r#"read_csv("sales.csv").group_by("regoin").agg([col("units").sum()]);"#,
        r#"read_csv("sales.csv").column("regoin");"#,
    ] {
        let message = fails_at_line_two(call, &[]);
        assert!(message.contains("regoin"), "{call}: {message}");
    }
    let message = fails_at_line_two(r#"read_csv("sales.csv").sort("regoin");"#, &[]);
    assert!(message.contains("unknown column `regoin`; the frame has: date, region"), "{message}");
}

#[test]
fn a_type_mismatch_in_a_filter_is_a_clear_error() {
    let message = fails_at_line_two(r#"read_csv("sales.csv").filter(col("units") > "ten");"#, &[]);
    assert!(message.contains("cannot compare"), "{message}");
    let message = fails_at_line_two(r#"read_csv("sales.csv").filter(col("units") + 1);"#, &[]);
    assert!(message.contains("filter needs a condition"), "{message}");
}

#[test]
fn an_oversized_result_is_a_clear_error() {
    let message =
        fails_at_line_two(r#"let rows = read_csv("wide.csv").to_rows();"#, &[("wide.csv", &wide_csv(100_001))]);
    assert!(message.contains("use to_rows(limit)"), "{message}");
}

// ---- 4. Every data element takes a frame ----

fn elements(app: &AppTest) -> Vec<runnel::page::Element> {
    assert!(app.page().error.is_none(), "the script failed: {:?}", app.page().error);
    app.page().walk().into_iter().cloned().collect()
}

#[test]
fn write_of_a_frame_draws_a_data_frame_and_table_shows_its_rows_in_column_order() {
    use runnel::page::Element;
    let (app, _dir) =
        run(r#"let df = read_csv("sales.csv"); write(df); table(df.select(["units", "region"]).head(2));"#, &[]);
    let shown = elements(&app);
    let Element::DataFrame(df) = &shown[0] else { panic!("write drew {:?}", shown[0]) };
    let labels: Vec<&str> = df.columns.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["date", "region", "product", "units", "price", "paid", "note"]);
    assert_eq!((df.total_rows, df.rows[0][0].as_str(), df.rows[0][3].as_str()), (5, "2024-01-02", "12"));
    let Element::Table(table) = &shown[1] else { panic!("table drew {:?}", shown[1]) };
    let (columns, rows) = (&table.columns, &table.rows);
    assert_eq!(columns, &["units", "region"]);
    assert_eq!(rows, &[vec!["12", "West"], vec!["3", "East"]]);
}

#[test]
fn a_frame_in_a_dataframe_is_sorted_and_paged_on_the_server_with_formats_and_labels() {
    use runnel::page::{Element, SortOrder};
    let dir = DataDir::with(&[("sales.csv", SALES)]);
    let mut app = AppTest::with_data_dir(
        r#"dataframe(read_csv("sales.csv").with_column("share", col("units") / 43.0), #{ key: "o", page_size: 2,
             columns: ["date", "units", "share", "price"],
             format: #{ date: "date:DD.MM.YYYY", share: "percent:1", price: "number:2" }, labels: #{ units: "Units" } });"#,
        dir.path(),
    );
    app.set_query(
        [("o.sort".to_string(), "units".to_string()), ("o.desc".into(), "1".into()), ("o.page".into(), "2".into())]
            .into(),
    );
    app.run();
    let shown = elements(&app);
    let Element::DataFrame(df) = &shown[0] else { panic!("{:?}", shown[0]) };
    let labels: Vec<&str> = df.columns.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["date", "Units", "share", "price"]);
    assert_eq!(df.columns[1].sorted, Some(SortOrder::Descending));
    assert!(df.columns[1].numeric && !df.columns[0].numeric);
    assert_eq!((df.page, df.pages, df.total_rows), (2, 3, 5));
    assert_eq!(
        df.rows,
        [["10.02.2024", "7", "16.3%", "10.00"], ["02.01.2024", "3", "7.0%", "10.00"]]
            .map(|r| r.map(String::from).to_vec())
    );
}

#[test]
fn a_format_or_label_for_a_missing_column_is_an_error() {
    let (app, _dir) = run(r#"dataframe(read_csv("sales.csv"), #{ format: #{ revenue: "number" } });"#, &[]);
    assert!(
        error_message(&app).contains("option `format` names `revenue`, which is not a column"),
        "{}",
        error_message(&app)
    );
    let (app, _dir) = run(r#"dataframe(read_csv("sales.csv"), #{ format: #{ units: "money" } });"#, &[]);
    assert!(error_message(&app).contains("is not one of number"), "{}", error_message(&app));
}

#[test]
fn a_metric_takes_a_one_row_frame_as_value_and_delta() {
    use runnel::page::Element;
    let (app, _dir) = run(
        r#"let df = read_csv("sales.csv");
           metric("Units", df.select([col("units").sum(), (col("units").max() - col("units").min()).alias("spread")]));"#,
        &[],
    );
    let shown = elements(&app);
    let Element::Metric { value, delta, .. } = &shown[0] else { panic!("{:?}", shown[0]) };
    assert_eq!((value.as_str(), delta.as_deref()), ("43", Some("19")));
    let (app, _dir) = run(r#"metric("Units", read_csv("sales.csv"));"#, &[]);
    assert!(error_message(&app).contains("metric takes a frame of one row"), "{}", error_message(&app));
}

#[test]
fn charts_take_a_frame_with_x_y_and_colour_by_column() {
    use runnel::page::Element;
    let (app, _dir) = run(
        r#"let g = read_csv("sales.csv").group_by(["region", "product"]).agg([col("units").sum()]);
           bar_chart(g, #{ x: "region", y: "units", color: "product" });
           line_chart(read_csv("sales.csv"), #{ y: ["units", "price"] });"#,
        &[],
    );
    let shown = elements(&app);
    let Element::Chart(bar) = &shown[0] else { panic!("{:?}", shown[0]) };
    assert_eq!(bar.categories.as_deref(), Some(&["West".to_string(), "East".into(), "North".into()][..]));
    let names: Vec<&str> = bar.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Widgets", "Gadgets"]);
    assert_eq!(bar.series[0].points, [(0.0, 13.0), (2.0, 20.0)]);
    let Element::Chart(line) = &shown[1] else { panic!("{:?}", shown[1]) };
    assert_eq!(line.series.len(), 2);
    assert_eq!(line.series[0].points.len(), 5);
}

#[test]
fn a_download_button_offers_a_frame_as_csv_json_or_parquet() {
    use base64::Engine as _;
    use runnel::page::Element;
    let (app, _dir) = run(
        r#"let df = read_csv("sales.csv").select(["region", "units"]).head(2);
           download_button("csv", df); download_button("json", df, #{ file_name: "s.json" });
           download_button("parquet", df, #{ file_name: "s.parquet" });"#,
        &[],
    );
    let files: Vec<(String, String, Vec<u8>)> = elements(&app)
        .into_iter()
        .filter_map(|e| match e {
            Element::Download(d) => {
                let (_, data) = d.href.split_once(";base64,")?;
                Some((
                    d.file_name.clone(),
                    d.mime.clone(),
                    base64::engine::general_purpose::STANDARD.decode(data).ok()?,
                ))
            }
            _ => None,
        })
        .collect();
    assert_eq!((files[0].0.as_str(), files[0].1.as_str()), ("data.csv", "text/csv"));
    assert_eq!(String::from_utf8_lossy(&files[0].2), "region,units\nWest,12\nEast,3\n");
    assert_eq!(files[1].1, "application/json");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&files[1].2).unwrap(),
        json!([{"region": "West", "units": 12}, {"region": "East", "units": 3}])
    );
    assert_eq!((files[2].1.as_str(), &files[2].2[..4]), ("application/vnd.apache.parquet", &b"PAR1"[..]));
}

// ---- 6. The cache holds frames, bounded by bytes ----

#[test]
fn the_cache_keeps_a_frame_counted_by_its_size_and_drops_it_when_the_file_changes() {
    let dir = DataDir::with(&[("sales.csv", SALES)]);
    let runner = Runner::new(ScriptLimits::default()).with_data_dir(dir.path());
    let script = r#"fn load(name) { state.loads = state.get("loads", 0) + 1; read_csv(name) }
                    let df = cache("sales", 0, Fn("load"), ["sales.csv"]);
                    text(`rows=${df.len()} loads=${state.get("loads", 0)}`);"#;
    let mut app = AppTest::with_runner(script, runner.clone());
    assert!(app.page().texts().contains(&"rows=5 loads=1".to_string()), "{:?}", app.page());
    let bytes = runner.sources().cache.bytes();
    assert!(bytes > 100 && bytes < 10_000, "a 5-row frame is counted by its buffers: {bytes}");
    app.run();
    assert!(app.page().texts().contains(&"rows=5 loads=1".to_string()), "a rerun hits the cache");
    std::fs::write(dir.path().join("sales.csv"), format!("{SALES}2024-03-06,East,Gizmos,2,68.75,true,\n")).unwrap();
    app.run();
    assert!(app.page().texts().contains(&"rows=6 loads=2".to_string()), "{:?}", app.page().texts());
}

#[test]
fn frames_larger_than_the_cache_bytes_push_out_the_least_recently_used() {
    let csv = wide_csv(2_000);
    let dir = DataDir::with(&[("a.csv", &csv), ("b.csv", &csv)]);
    let probe = Runner::new(ScriptLimits::default()).with_data_dir(dir.path());
    AppTest::with_runner(r#"fn load(n) { read_csv(n) } cache("a", 0, Fn("load"), ["a.csv"]);"#, probe.clone());
    let one = probe.sources().cache.bytes();
    let limits = ScriptLimits { max_cache_bytes: one + one / 2, ..ScriptLimits::default() };
    let runner = Runner::new(limits).with_data_dir(dir.path());
    let script =
        r#"fn load(n) { read_csv(n) } cache("a", 0, Fn("load"), ["a.csv"]); cache("b", 0, Fn("load"), ["b.csv"]);"#;
    AppTest::with_runner(script, runner.clone());
    assert_eq!(runner.sources().cache.len(), 1, "two frames do not fit in one and a half");
    assert_eq!(runner.sources().cache.bytes(), one);
}

#[test]
fn a_missing_data_folder_is_an_error_that_does_not_show_its_path() {
    let app = AppTest::with_data_dir(r#"read_csv("sales.csv");"#, "/nonexistent/runnel-data");
    let message = error_message(&app);
    assert!(message.contains("the data folder does not exist"), "{message}");
    assert!(!message.contains("/nonexistent"), "no server path: {message}");
}
