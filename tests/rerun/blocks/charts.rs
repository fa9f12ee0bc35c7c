//! Charts: series by colour field or by several y fields, drawn as escaped SVG at the column's width.
//! The other chart types and options are in `chart_types`.

use runnel::harness::AppTest;
use runnel::page::{Chart, ChartKind, Element};

use super::{error_message, html_of, run_ok};

const SALES: &str = r#"let data = [
    #{ month: "Jan", region: "North", revenue: 10, units: 3 },
    #{ month: "Jan", region: "South", revenue: 7, units: 2 },
    #{ month: "Feb", region: "North", revenue: 12, units: 4 },
    #{ month: "Feb", region: "South", revenue: 9, units: 1 },
    #{ month: "Mar", region: "North", revenue: 15, units: 5 },
];"#;

fn charts(app: &AppTest) -> Vec<&Chart> {
    app.page()
        .walk()
        .into_iter()
        .filter_map(|e| match e {
            Element::Chart(c) => Some(&**c),
            _ => None,
        })
        .collect()
}

#[test]
fn a_line_chart_splits_series_by_the_colour_field() {
    let app = run_ok(&format!(r#"{SALES} line_chart(data, #{{ x: "month", y: "revenue", color: "region" }});"#));
    let chart = charts(&app)[0];
    assert_eq!(chart.kind, ChartKind::Line);
    assert_eq!(chart.categories.as_deref(), Some(&["Jan".to_string(), "Feb".into(), "Mar".into()][..]));
    let names: Vec<_> = chart.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["North", "South"]);
    assert_eq!(chart.series[0].points, vec![(0.0, 10.0), (1.0, 12.0), (2.0, 15.0)]);
    assert_eq!(chart.series[1].points, vec![(0.0, 7.0), (1.0, 9.0)]);
}

/// The `points` attribute of the `n`-th element with the class `class`, as pixel pairs.
fn points_of<'a>(html: &'a str, class: &str, n: usize) -> Vec<&'a str> {
    let element = html.split(&format!("class=\"{class}\"")).nth(n + 1).expect(class);
    let points = element.split("points=\"").nth(1).unwrap().split('"').next().unwrap();
    points.split_whitespace().collect()
}

#[test]
fn the_chart_svg_holds_its_series_points_axes_legend_and_a_description() {
    let app = run_ok(&format!(r#"{SALES} line_chart(data, #{{ x: "month", y: "revenue", color: "region" }});"#));
    let html = html_of(app.page());
    assert!(html.contains("role=\"img\" aria-labelledby=\"rn-chart-0-title rn-chart-0-desc\""));
    assert!(html.contains("viewBox=\"0 0 640 300\" width=\"100%\""));
    assert_eq!(html.matches("<svg").count(), 1, "plotters' own root is replaced by ours");
    assert!(html.contains("<desc id=\"rn-chart-0-desc\">2 series: North (3 points), South (2 points)."));
    // One polyline per series, in the series' theme class, with one vertex per point.
    assert_eq!(html.matches("class=\"rn-series rn-line rn-s0\"").count(), 1);
    assert_eq!(html.matches("class=\"rn-series rn-line rn-s1\"").count(), 1);
    assert_eq!(points_of(&html, "rn-series rn-line rn-s0", 0).len(), 3, "North has 3 points");
    assert_eq!(points_of(&html, "rn-series rn-line rn-s1", 0).len(), 2, "South has 2 points");
    assert!(!html.contains("#0102") && !html.contains("#0103"), "every sentinel colour is themed");
    assert!(!html.contains("#000000"), "text and axes follow the theme's text colour");
    // A legend: one key per series and its name.
    assert!(html.contains("class=\"rn-legend-key rn-s0\"") && html.contains("class=\"rn-legend-key rn-s1\""));
    for tick in [">Jan<", ">Feb<", ">Mar<", ">6<", ">16<", ">North<", ">South<", ">month<", ">revenue<"] {
        assert!(html.contains(tick), "no text {tick} in {html}");
    }
}

#[test]
fn several_y_fields_are_several_series_and_each_kind_draws_its_marks() {
    let app = run_ok(&format!(
        r#"{SALES} bar_chart(data, #{{ x: "month", y: ["revenue", "units"] }});
           scatter_chart(data, #{{ x: "units", y: "revenue" }});
           area_chart(#{{ t: [1, 2, 3], v: [2, 4, 3] }}, #{{ x: "t" }});"#
    ));
    let all = charts(&app);
    assert_eq!(all[0].series.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["revenue", "units"]);
    assert_eq!(all[1].categories, None, "numeric x stays numeric");
    assert_eq!(all[2].series[0].name, "v", "without y every numeric field is drawn");
    let html = html_of(app.page());
    // Bars: one per month and field (the rows of a month add up), stacked in the month's band.
    assert_eq!(html.matches("class=\"rn-series rn-bar rn-s0\"").count(), 3);
    assert_eq!(html.matches("class=\"rn-series rn-bar rn-s1\"").count(), 3);
    assert_eq!(html.matches("class=\"rn-series rn-dot rn-s0\"").count(), 5, "one dot per row");
    assert_eq!(html.matches("class=\"rn-series rn-area rn-s0\"").count(), 1);
    assert_eq!(points_of(&html, "rn-series rn-line rn-s0", 0).len(), 3, "the area's edge");
    assert_eq!(html.matches("<svg").count(), 3);
    for tick in [">1<", ">2<", ">3<", ">t<", ">units<"] {
        assert!(html.contains(tick), "no text {tick}");
    }
}

#[test]
fn chart_labels_are_escaped_in_the_svg() {
    let app = run_ok(
        r#"let x = "<img src=x onerror=alert(1)>";
           let rows = [#{ k: x, v: 1, s: x }, #{ k: "b", v: 2, s: "</svg><script>alert(1)</script>" }];
           bar_chart(rows, #{ x: "k", y: "v", color: "s", title: x });"#,
    );
    let html = html_of(app.page());
    assert!(!html.contains("<img") && !html.contains("<script"), "{html}");
    assert!(html.contains("<title id=\"rn-chart-0-title\">&lt;img src=x onerror=alert(1)&gt;</title>"));
    // The category tick and the legend are shortened, with the full text in their tooltips,
    // and escaped once, not twice.
    assert!(
        html.contains("<title>&lt;img src=x onerror=alert(1)&gt;</title>&lt;img src=x onerror=…</text>"),
        "the category label: {html}"
    );
    assert!(
        html.contains(
            "<title>&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>&lt;/svg&gt;&lt;script&gt;alert(1)&lt;…</text>"
        ),
        "the legend name"
    );
    assert!(!html.contains("&amp;lt;"), "escaped twice: {html}");
    assert!(!html.contains("></text>"), "no empty tick labels between the categories");
}

#[test]
fn a_chart_of_a_missing_field_is_a_clear_error() {
    let app = AppTest::from_source(&format!(r#"{SALES} line_chart(data, #{{ x: "month", y: "profit" }});"#));
    assert!(error_message(&app).contains("no field `profit`"));
}

#[test]
fn a_chart_in_a_narrow_column_is_drawn_narrower_so_its_text_stays_legible() {
    let app = run_ok(&format!(
        r#"{SALES} let c = columns([3, 1]); c[1].bar_chart(data, #{{ x: "month", y: "units" }}); bar_chart(data);"#
    ));
    let all = charts(&app);
    assert_eq!((all[0].width, all[1].width), (360.0, 640.0));
    assert!(html_of(app.page()).contains("viewBox=\"0 0 360 300\""));
}
