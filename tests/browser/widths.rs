//! `use_container_width` and `width` as Chromium lays them out: a stretched chart (and image)
//! fills its column, a chart, map, table, data frame and Vega-Lite chart of `width: 300` are 300
//! pixels wide at the column's left edge, in the light and the dark theme, with and without
//! JavaScript, and without a Content-Security-Policy violation.

use serde_json::{Value, json};

use crate::support::chromium::{Browser, Page};
use crate::support::{ScriptDir, TestApp};
use crate::{WAIT, wait_for_runnel};

const SCRIPT: &str = r#"
let rows = [];
for i in 0..12 { rows.push(#{ month: `Month ${i}`, units: 10 + i * 3, lat: 40.0 + i, lon: i * 2.0 }); }
let c = columns([2, 1]);
c[0].line_chart(rows, #{ x: "month", y: "units", use_container_width: true });
c[0].bar_chart(rows, #{ x: "month", y: "units", width: 300 });
c[0].map(rows, #{ width: 300 });
c[0].table(rows, #{ width: 300 });
c[0].dataframe(rows, #{ width: 300, page_size: 5 });
c[0].image([[0.0, 1.0], [1.0, 0.0]], #{ use_container_width: true });
c[0].vega_lite_chart(rows, #{ mark: "bar", encoding: #{ x: #{ field: "month", type: "nominal" },
                                                      y: #{ field: "units", type: "quantitative" } } }, #{ width: 300 });
c[1].text("The next column");
"#;

/// The column's box and the box of each sized element, by name.
const BOXES: &str = r#"(() => {
  const box = css => { const el = document.querySelector(css); return el ? el.getBoundingClientRect().toJSON() : null; };
  return {
    column: box('.rn-column'),
    stretched: box('.rn-chart-wrap.rn-w-stretch svg.rn-chart'),
    chart: box('.rn-chart-wrap.rn-w-fixed svg.rn-chart'),
    map: box('.rn-map-wrap.rn-w-fixed svg.rn-map'),
    table: box('.rn-table-box.rn-w-fixed .rn-table-wrap'),
    dataframe: box('.rn-dataframe.rn-w-fixed .rn-table-wrap'),
    pager: box('.rn-dataframe.rn-w-fixed .rn-pager'),
    image: box('.rn-image.rn-w-stretch img'),
    vega: box('.rn-vega.rn-w-fixed .rn-vega-view'),
  };
})()"#;

fn num(b: &Value, side: &str) -> f64 {
    b[side].as_f64().unwrap_or_else(|| panic!("no {side} in {b}"))
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1.0
}

fn check(page: &Page, case: &str, with_vega: bool) {
    let boxes = page.eval(BOXES);
    let column = &boxes["column"];
    let (left, width) = (num(column, "left"), num(column, "width"));
    assert!(width > 400.0, "{case}: the column is wide enough to tell 300 px from stretched: {boxes}");
    for name in ["stretched", "image"] {
        let b = &boxes[name];
        assert!(near(num(b, "width"), width) && near(num(b, "left"), left), "{case}: {name} fills its column: {boxes}");
    }
    let mut fixed = vec!["chart", "map", "table", "dataframe", "pager"];
    if with_vega {
        fixed.push("vega");
    }
    for name in fixed {
        let b = &boxes[name];
        assert!(near(num(b, "width"), 300.0), "{case}: {name} is 300 px wide: {b}");
        assert!(near(num(b, "left"), left), "{case}: {name} starts at the column's left edge: {b} in {column}");
    }
}

#[test]
fn stretched_elements_fill_their_column_and_fixed_ones_are_300_px_in_both_themes_without_javascript_too() {
    let scripts = ScriptDir::with(&[("widths.rhai", SCRIPT)]);
    let app = TestApp::spawn(scripts.settings(false));
    let browser = Browser::launch();
    let page = browser.new_page();
    page.set_viewport(1280, 900);
    page.watch_csp_violations();
    page.navigate(&app.url("/widths"));
    wait_for_runnel(&page);
    page.wait_until("document.querySelector('.rn-vega.rn-vega-ready .rn-vega-view svg') !== null", WAIT);
    for theme in ["light", "dark"] {
        page.eval(&format!("document.documentElement.dataset.theme = '{theme}'"));
        check(&page, theme, true);
    }
    let drawn = page.eval("document.querySelector('.rn-vega-view svg').getBoundingClientRect().width");
    assert!(drawn.as_f64().unwrap() <= 301.0, "the Vega-Lite chart is drawn inside its 300 px: {drawn}");
    assert_eq!(page.csp_violations(), Vec::<String>::new(), "widths need no style attribute");

    let plain = browser.new_page();
    plain.set_viewport(1280, 900);
    plain.set_javascript_enabled(false);
    plain.navigate(&app.url("/widths"));
    assert_eq!(plain.eval("typeof window.Runnel"), json!("undefined"), "JavaScript is off");
    check(&plain, "without JavaScript", false);
}
