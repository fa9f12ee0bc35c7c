//! The chart types and their options, read from the SVG they draw: one mark per value with a
//! tooltip, labels that fit, legends where asked, thinned large series with a note, and clear
//! errors for options a chart cannot use.

use std::time::Duration;

use runnel::config::ScriptLimits;
use scraper::{ElementRef, Html, Selector};

use super::{error_message, html_of, run_ok};
use runnel::harness::AppTest;

const SALES: &str = r#"let sales = [
    #{ month: "Jan", region: "North", revenue: 10 }, #{ month: "Jan", region: "South", revenue: 30 },
    #{ month: "Feb", region: "North", revenue: 20 }, #{ month: "Feb", region: "South", revenue: 20 },
    #{ month: "Mar", region: "North", revenue: 5 },  #{ month: "Mar", region: "North", revenue: 7 },
];"#;

/// The rendered page of `script`, parsed.
fn drawn(script: &str) -> Html {
    Html::parse_fragment(&html_of(run_ok(script).page()))
}

/// The rendered page of a script that builds a large data set (slow in a debug build).
fn drawn_large(script: &str) -> Html {
    let limits = ScriptLimits { max_run_time: Duration::from_secs(120), ..ScriptLimits::default() };
    let app = AppTest::with_limits(script, limits);
    assert!(app.page().error.is_none(), "the script failed: {:?}", app.page().error);
    Html::parse_fragment(&html_of(app.page()))
}

fn all<'a>(doc: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn attr(el: &ElementRef, name: &str) -> f64 {
    el.value().attr(name).unwrap_or_else(|| panic!("no {name}")).parse().unwrap()
}

/// The tooltip of a mark: the text of its `<title>` child.
fn tip(el: &ElementRef) -> String {
    el.children()
        .filter_map(ElementRef::wrap)
        .find(|c| c.value().name() == "title")
        .map(|t| t.text().collect())
        .unwrap_or_else(|| panic!("a mark without a tooltip: {}", el.html()))
}

fn tips(doc: &Html, css: &str) -> Vec<String> {
    all(doc, css).iter().map(tip).collect()
}

fn texts(doc: &Html, css: &str) -> Vec<String> {
    all(doc, css).iter().map(|t| t.text().collect()).collect()
}

fn failure(script: &str) -> String {
    error_message(&AppTest::from_source(script))
}

#[test]
fn bars_stack_by_default_and_each_bar_has_a_tooltip_with_its_sum() {
    let doc = drawn(&format!(r#"{SALES} bar_chart(sales, #{{ x: "month", y: "revenue", color: "region" }});"#));
    assert_eq!(tips(&doc, "rect.rn-bar.rn-s0"), ["North · Jan: 10", "North · Feb: 20", "North · Mar: 12"]);
    assert_eq!(tips(&doc, "rect.rn-bar.rn-s1"), ["South · Jan: 30", "South · Feb: 20"]);
    let (north, south) = (&all(&doc, "rect.rn-bar.rn-s0")[0], &all(&doc, "rect.rn-bar.rn-s1")[0]);
    assert_eq!(attr(south, "x"), attr(north, "x"), "one column per month");
    assert!((attr(south, "y") + attr(south, "height") - attr(north, "y")).abs() < 0.2, "South sits on North");
}

#[test]
fn grouped_bars_stand_side_by_side_and_normalized_bars_fill_to_one_hundred_percent() {
    let grouped =
        drawn(&format!(r#"{SALES} bar_chart(sales, #{{ x: "month", y: "revenue", color: "region", stack: false }});"#));
    let (north, south) = (&all(&grouped, "rect.rn-bar.rn-s0")[0], &all(&grouped, "rect.rn-bar.rn-s1")[0]);
    assert!(attr(south, "x") > attr(north, "x") + attr(north, "width") - 0.2, "side by side");
    assert_eq!(attr(south, "y") + attr(south, "height"), attr(north, "y") + attr(north, "height"), "one base line");

    let normalized = drawn(&format!(
        r#"{SALES} bar_chart(sales, #{{ x: "month", y: "revenue", color: "region", stack: "normalize", y_format: "percent" }});"#
    ));
    assert_eq!(tips(&normalized, "rect.rn-bar.rn-s1")[0], "South · Jan: 30 (75.0%)");
    let ticks = texts(&normalized, ".rn-axis-y text");
    assert_eq!(ticks.first().map(String::as_str), Some("0%"));
    assert_eq!(ticks.last().map(String::as_str), Some("100%"));
}

#[test]
fn horizontal_bars_list_every_category_down_the_left_and_grow_with_them() {
    let doc = drawn(
        r#"let rows = []; for i in 0..30 { rows.push(#{ team: `Team number ${i}`, score: i + 1 }); }
           bar_chart(rows, #{ x: "team", y: "score", horizontal: true });"#,
    );
    let svg = &all(&doc, "svg.rn-chart")[0];
    assert_eq!(svg.value().attr("viewBox"), Some("0 0 640 730"), "30 rows of 22 px and the axes");
    assert_eq!(texts(&doc, ".rn-axis-y text").len(), 30, "every category is labelled");
    let bars = all(&doc, "rect.rn-bar");
    assert_eq!(bars.len(), 30);
    let (first, last) = (&bars[0], &bars[29]);
    assert!(attr(last, "y") > attr(first, "y"), "the first category on top");
    assert!((attr(last, "width") / attr(first, "width") - 30.0).abs() < 0.5, "lengths follow the values");
    assert_eq!(attr(first, "x"), attr(last, "x"), "all start at the same axis");
}

#[test]
fn crowded_category_labels_turn_and_long_ones_keep_their_full_text_in_a_tooltip() {
    let doc = drawn(
        r#"let rows = []; for i in 0..24 { rows.push(#{ name: `A rather long product name ${i}`, n: i }); }
           bar_chart(rows, #{ x: "name", y: "n" });"#,
    );
    let labels = all(&doc, ".rn-axis-x text");
    assert_eq!(labels.len(), 24, "no label is dropped");
    for (i, label) in labels.iter().enumerate() {
        assert!(label.value().attr("transform").is_some_and(|t| t.starts_with("rotate(-")), "turned");
        assert_eq!(tip(label), format!("A rather long product name {i}"));
        let shown: String = label.text().filter(|t| !t.starts_with("A rather long product name ")).collect();
        assert_eq!(shown, "A rather long produ…");
    }
}

#[test]
fn too_many_categories_to_label_are_labelled_every_nth_with_a_note() {
    let doc = drawn(
        r#"let rows = []; for i in 0..400 { rows.push(#{ k: `k${i}`, n: i }); } bar_chart(rows, #{ x: "k", y: "n" });"#,
    );
    let labels = texts(&doc, ".rn-axis-x text").len();
    assert!(labels < 400 && labels > 20, "{labels} labels");
    let note: String = all(&doc, "figcaption.rn-chart-note")[0].text().collect();
    assert!(note.starts_with("Every ") && note.contains("label of k is written"), "{note}");
    assert_eq!(all(&doc, "rect.rn-bar").len(), 400, "every bar is drawn, with its name in its tooltip");
}

#[test]
fn lines_take_a_dashed_secondary_style_a_fixed_range_and_titles() {
    let doc = drawn(
        r#"let rows = []; for i in 0..10 { rows.push(#{ t: i, actual: i * 2, plan: i * 2 + 1 }); }
           line_chart(rows, #{ x: "t", y: ["actual", "plan"], dashed: ["plan"], y_range: [0, 50],
                               x_label: "Week", y_label: "Orders", legend: "bottom" });"#,
    );
    let plan = &all(&doc, "polyline.rn-s1")[0];
    assert_eq!(plan.value().attr("class"), Some("rn-series rn-line rn-s1 rn-dashed"));
    assert_eq!(plan.value().attr("stroke-dasharray"), Some("6 4"));
    assert_eq!(all(&doc, "rect.rn-legend-key.rn-dashed").len(), 1, "the legend shows the style");
    assert_eq!(texts(&doc, ".rn-axis-y text"), ["0", "10", "20", "30", "40", "50"]);
    assert_eq!(all(&doc, "clipPath").len(), 1, "marks outside a fixed range are clipped");
    assert_eq!(texts(&doc, ".rn-axis-title"), ["Week", "Orders"]);
    assert_eq!(tips(&doc, "circle.rn-point.rn-s0")[3], "actual · 3: 6", "a tooltip per value");
    let key_y = attr(&all(&doc, "rect.rn-legend-key")[0], "y");
    let axis_title_y = attr(&all(&doc, ".rn-axis-title")[0], "y");
    assert!(key_y > axis_title_y, "the legend is below the chart");
}

#[test]
fn areas_stack_by_default_and_overlap_when_asked() {
    let script = |stack: &str| {
        format!(
            r#"let rows = [#{{ t: 0, a: 1, b: 2 }}, #{{ t: 1, a: 3, b: 1 }}];
               area_chart(rows, #{{ x: "t", y: ["a", "b"]{stack} }});"#
        )
    };
    let stacked = drawn(&script(""));
    assert_eq!(tips(&stacked, "circle.rn-point.rn-s1"), ["b · 0: 3", "b · 1: 4"], "b on top of a");
    let overlapping = drawn(&script(", stack: false"));
    assert_eq!(tips(&overlapping, "circle.rn-point.rn-s1"), ["b · 0: 2", "b · 1: 1"]);
    assert_eq!(all(&overlapping, "polygon.rn-area").len(), 2);
}

#[test]
fn scatter_dots_are_sized_and_shaded_by_columns_with_a_colour_ramp() {
    let doc = drawn(
        r#"let rows = [#{ x: 1, y: 2, age: 20, n: 1 }, #{ x: 2, y: 3, age: 60, n: 100 }, #{ x: 3, y: 1, age: 40, n: 50 }];
           scatter_chart(rows, #{ x: "x", y: "y", color: "age", size: "n" });"#,
    );
    let dots = all(&doc, "circle.rn-dot.rn-shaded");
    assert_eq!(dots.len(), 3);
    assert_eq!(dots[0].value().attr("fill"), Some("#440154"), "the lowest value is dark violet");
    assert_eq!(dots[1].value().attr("fill"), Some("#fde725"), "the highest is yellow");
    assert!(attr(&dots[1], "r") > attr(&dots[2], "r") && attr(&dots[2], "r") > attr(&dots[0], "r"));
    assert_eq!(tip(&dots[1]), "y · 2, 3; size 100; colour 60");
    assert_eq!(all(&doc, "rect.rn-legend-ramp").len(), 1);
    assert_eq!(texts(&doc, ".rn-legend-name"), ["20", "60"]);
}

#[test]
fn a_histogram_counts_every_value_in_its_bins() {
    let doc = drawn(
        r#"let v = []; for i in 0..100 { v.push(#{ x: i % 10, g: if i < 30 { "a" } else { "b" } }); } histogram(v, #{ x: "x", bins: 5, color: "g" });"#,
    );
    let bars = tips(&doc, "rect.rn-bar");
    let total: f64 = bars.iter().map(|t| t.rsplit(": ").next().unwrap().parse::<f64>().unwrap()).sum();
    assert_eq!(total, 100.0, "{bars:?}");
    assert!(bars.contains(&"a · 0 to 1.8: 6".to_string()), "{bars:?}");
    assert_eq!(texts(&doc, ".rn-axis-title"), ["x", "count"]);
}

#[test]
fn pies_and_donuts_show_each_slice_with_its_share() {
    let doc = drawn(&format!(
        r#"{SALES} pie_chart(sales, #{{ names: "region", values: "revenue" }});
           pie_chart(sales, #{{ names: "month", values: "revenue", hole: 0.5, legend: "right" }});"#
    ));
    let pies = all(&doc, "svg.rn-chart-pie");
    let slice = Selector::parse("path.rn-slice").unwrap();
    let pie_tips: Vec<String> = pies[0].select(&slice).map(|s| tip(&s)).collect();
    assert_eq!(pie_tips, ["North: 42 (45.7%)", "South: 50 (54.3%)"]);
    let donut = pies[1];
    let slices: Vec<_> = donut.select(&slice).collect();
    assert_eq!(slices.len(), 3);
    assert_eq!(slices[0].value().attr("d").unwrap().matches('A').count(), 2, "a ring: outer and inner arc");
    let names: Vec<String> =
        donut.select(&Selector::parse(".rn-legend-name").unwrap()).map(|t| t.text().collect()).collect();
    assert_eq!(names, ["Jan 43%", "Feb 43%", "Mar 13%"]);
}

#[test]
fn a_pie_of_many_names_folds_the_smallest_into_other() {
    let doc = drawn(
        r#"let r = []; for i in 0..12 { r.push(#{ k: `k${i}`, v: i + 1 }); } pie_chart(r, #{ names: "k", values: "v" });"#,
    );
    let slices = tips(&doc, "path.rn-slice");
    assert_eq!(slices.len(), 8);
    assert!(slices[7].starts_with("Other: 15 "), "{slices:?}");
    assert!(texts(&doc, "figcaption.rn-chart-note")[0].contains("5 smallest slices"));
}

#[test]
fn a_heatmap_shades_each_cell_and_sums_repeated_cells() {
    let doc = drawn(
        r#"let r = [#{ d: "Mon", h: 9, n: 1 }, #{ d: "Mon", h: 10, n: 4 }, #{ d: "Tue", h: 9, n: 2 }, #{ d: "Tue", h: 9, n: 6 }];
           heatmap(r, #{ x: "h", y: "d", value: "n" });"#,
    );
    assert_eq!(tips(&doc, "rect.rn-cell"), ["9 · Mon: 1", "10 · Mon: 4", "9 · Tue: 8"]);
    let fills: Vec<_> = all(&doc, "rect.rn-cell").iter().map(|c| c.value().attr("fill").unwrap().to_owned()).collect();
    assert_eq!((fills[0].as_str(), fills[2].as_str()), ("#440154", "#fde725"));
    assert_eq!(texts(&doc, ".rn-axis-x text"), ["9", "10"]);
    assert_eq!(texts(&doc, ".rn-axis-y text"), ["Mon", "Tue"]);
}

#[test]
fn a_box_chart_summarizes_each_group_and_marks_its_outliers() {
    let doc = drawn(
        r#"let r = []; for i in 1..=9 { r.push(#{ g: "a", v: i }); } r.push(#{ g: "a", v: 100 });
           for i in 0..5 { r.push(#{ g: "b", v: i * 2 }); }
           box_chart(r, #{ x: "g", y: "v" });"#,
    );
    assert_eq!(
        tips(&doc, "rect.rn-box"),
        [
            "a: median 5.5, quartiles 3.25 to 7.75, whiskers 1 to 9 (10 values)",
            "b: median 4, quartiles 2 to 6, whiskers 0 to 8 (5 values)"
        ]
    );
    assert_eq!(tips(&doc, "circle.rn-outlier"), ["a: outlier 100"]);
    assert_eq!(all(&doc, "line.rn-median").len(), 2);
}

#[test]
fn the_legend_goes_where_it_is_asked_or_nowhere() {
    let keys = |legend: &str| {
        let doc = drawn(&format!(
            r#"{SALES} line_chart(sales, #{{ x: "month", y: "revenue", color: "region", legend: "{legend}" }});"#
        ));
        all(&doc, "rect.rn-legend-key").iter().map(|k| (attr(k, "x"), attr(k, "y"))).collect::<Vec<_>>()
    };
    assert!(keys("none").is_empty());
    let right = keys("right");
    assert!(right.iter().all(|(x, _)| *x > 480.0) && right[0].0 == right[1].0, "a column at the right: {right:?}");
    let top = keys("top");
    assert!(top.iter().all(|(_, y)| *y < 30.0) && top[0].1 == top[1].1, "a row on top: {top:?}");
}

#[test]
fn a_long_line_is_drawn_as_the_extremes_of_each_pixel_column_with_a_note() {
    let doc = drawn_large(
        r#"let t = []; let v = []; for i in 0..20000 { t.push(i); v.push((i * 7919) % 1000); } line_chart(#{ t: t, v: v }, #{ x: "t" });"#,
    );
    let points = all(&doc, "polyline.rn-line")[0].value().attr("points").unwrap().split(' ').count();
    assert!(points <= 4 * 560 && points > 500, "{points} points drawn");
    assert!(all(&doc, "circle.rn-point").is_empty(), "no hover points on a long line");
    let note: String = all(&doc, "figcaption.rn-chart-note")[0].text().collect();
    assert!(note.starts_with("20,000 points are drawn as the first, last, lowest and highest point"), "{note}");
}

#[test]
fn many_dots_are_binned_with_their_counts_in_the_tooltips() {
    let doc = drawn_large(
        r#"let a = []; let b = []; for i in 0..20000 { a.push(i % 100); b.push(i / 200); } scatter_chart(#{ a: a, b: b }, #{ x: "a", y: "b" });"#,
    );
    let dots = tips(&doc, "circle.rn-dot");
    assert!(dots.len() < 20_000);
    let counted: u32 = dots
        .iter()
        .map(|t| t.split("mean of ").nth(1).unwrap().split(' ').next().unwrap().parse::<u32>().unwrap())
        .sum();
    assert_eq!(counted, 20_000, "every point is in a bin");
    assert!(texts(&doc, "figcaption.rn-chart-note")[0].starts_with("20,000 points are binned into "));
}

#[test]
fn every_mark_of_every_chart_type_has_a_tooltip() {
    let doc = drawn(&format!(
        r#"{SALES} bar_chart(sales, #{{ x: "month", y: "revenue", color: "region" }});
           line_chart(sales, #{{ x: "month", y: "revenue", color: "region" }});
           area_chart(sales, #{{ x: "month", y: "revenue", color: "region" }});
           scatter_chart(sales, #{{ x: "revenue", y: "revenue" }});
           histogram(sales, #{{ x: "revenue" }});
           pie_chart(sales, #{{ names: "region", values: "revenue" }});
           heatmap(sales, #{{ x: "month", y: "region", value: "revenue" }});
           box_chart(sales, #{{ x: "region", y: "revenue" }});"#
    ));
    assert_eq!(all(&doc, "svg.rn-chart").len(), 8);
    let marks = all(&doc, ".rn-series, .rn-point, .rn-cell");
    assert!(marks.len() > 40);
    for mark in marks {
        assert!(!tip(&mark).is_empty());
    }
}

#[test]
fn options_a_chart_cannot_use_are_clear_errors() {
    let cases = [
        (r#"bar_chart(sales, #{ x: "month", stack: "sideways" });"#, "option `stack` is true, false"),
        (r#"line_chart(sales, #{ x: "month", stack: true });"#, "unknown option `stack`"),
        (r#"line_chart(sales, #{ legend: "left" });"#, "option `legend` is \"top\""),
        (r#"line_chart(sales, #{ y_range: [5, 1] });"#, "option `y_range` is [low, high]"),
        (r#"bar_chart(sales, #{ x: "month", x_range: [0, 1] });"#, "unknown option `x_range`"),
        (r#"line_chart(sales, #{ x: "month", x_range: [0, 1] });"#, "needs a numeric `x`"),
        (r#"line_chart(sales, #{ x: "month", y_format: "money" });"#, "option `y_format` is"),
        (r#"line_chart(sales, #{ x: "month", dashed: ["West"] });"#, "`dashed` names `West`, which is not a series"),
        (r#"histogram(sales, #{ x: "month" });"#, "a histogram counts numbers"),
        (r#"histogram(sales, #{ x: "revenue", bins: 0 });"#, "option `bins` is 1 to 500"),
        (r#"pie_chart(sales, #{ values: "revenue" });"#, "needs option `names`"),
        (r#"pie_chart([#{ k: "a", v: -1 }], #{ names: "k", values: "v" });"#, "cannot be negative"),
        (r#"pie_chart(sales, #{ names: "region", hole: 1.5 });"#, "option `hole` is a share"),
        (r#"heatmap(sales, #{ x: "month" });"#, "needs options `x` and `y`"),
        (r#"box_chart(sales, #{ x: "region", y: "profit" });"#, "no field `profit`"),
        (r#"scatter_chart(sales, #{ x: "revenue", y: "revenue", size: -3 });"#, "option `size` is a field name"),
    ];
    for (call, message) in cases {
        let got = failure(&format!("{SALES} {call}"));
        assert!(got.contains(message), "{call}: {got}");
    }
}

#[test]
fn script_text_in_every_chart_type_stays_escaped() {
    let html = html_of(
        run_ok(
            r#"let x = "<img src=x onerror=alert(1)>"; let y = "</svg><script>alert(2)</script>";
               let rows = [#{ k: x, g: y, v: 1 }, #{ k: y, g: x, v: 2 }];
               pie_chart(rows, #{ names: "k", values: "v", title: x });
               heatmap(rows, #{ x: "k", y: "g", value: "v" });
               box_chart(rows, #{ x: "k", y: "v", color: "g" });
               histogram(rows, #{ x: "v", color: "k", x_label: y });
               bar_chart(rows, #{ x: "k", y: "v", color: "g", horizontal: true });"#,
        )
        .page(),
    );
    assert!(!html.contains("<img") && !html.contains("<script"), "{html}");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("&amp;lt;"), "escaped twice");
}

#[test]
fn the_chart_gallery_example_draws_every_chart_type_and_a_map() {
    let doc = drawn(include_str!("../../../scripts/09_charts.rhai"));
    for kind in ["bar", "line", "area", "scatter", "histogram", "pie", "heatmap", "box"] {
        assert!(!all(&doc, &format!("svg.rn-chart-{kind}")).is_empty(), "no {kind} chart");
    }
    assert_eq!(all(&doc, "svg.rn-map circle.rn-map-point").len(), 9, "a map with a point per store");
}
