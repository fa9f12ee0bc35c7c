//! Charts as Chromium lays them out: every category label of a crowded bar chart is there and
//! no two overlap (checked on their turned outlines, not their bounding boxes), and the chart
//! with its labels stays inside its column, in the light and the dark theme.

use serde_json::{Value, json};

use crate::support::chromium::Page;
use crate::support::{ScriptDir, TestApp};
use crate::wait_for_runnel;

const CATEGORIES: usize = 24;

fn bars_script() -> String {
    format!(
        r#"let rows = [];
           for i in 0..{CATEGORIES} {{ rows.push(#{{ product: `Product with a long name ${{i}}`, units: 10 + i }}); }}
           let c = columns(2);
           c[0].bar_chart(rows, #{{ x: "product", y: "units" }});
           c[1].text("The next column");"#
    )
}

/// The labels of the chart's category axis, each as the four corners of its turned outline
/// in page pixels, its full name, and the column's and the chart's boxes.
const LAYOUT: &str = r#"(() => {
  const svg = document.querySelector('svg.rn-chart');
  const column = svg.closest('.rn-column').getBoundingClientRect();
  const chart = svg.getBoundingClientRect();
  const labels = [...svg.querySelectorAll('.rn-axis-x text')].map(t => {
    const b = t.getBBox(), m = t.getScreenCTM();
    const corner = (x, y) => { const p = new DOMPoint(x, y).matrixTransform(m); return [p.x, p.y]; };
    const title = t.querySelector('title');
    return {
      name: title ? title.textContent : t.textContent,
      corners: [corner(b.x, b.y), corner(b.x + b.width, b.y), corner(b.x + b.width, b.y + b.height), corner(b.x, b.y + b.height)],
      box: t.getBoundingClientRect().toJSON(),
    };
  });
  const bar = svg.querySelector('rect.rn-bar');
  return { column: column.toJSON(), chart: chart.toJSON(), labels, barFill: getComputedStyle(bar).fill,
           textFill: getComputedStyle(svg.querySelector('.rn-tick')).fill,
           background: getComputedStyle(document.body).backgroundColor };
})()"#;

/// Whether two convex outlines overlap (separating axis test; touching is not overlapping).
fn overlap(a: &[[f64; 2]], b: &[[f64; 2]]) -> bool {
    for shape in [a, b] {
        for i in 0..shape.len() {
            let (p, q) = (shape[i], shape[(i + 1) % shape.len()]);
            let axis = [q[1] - p[1], p[0] - q[0]];
            let project = |s: &[[f64; 2]]| {
                s.iter()
                    .map(|c| c[0] * axis[0] + c[1] * axis[1])
                    .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
            };
            let ((a0, a1), (b0, b1)) = (project(a), project(b));
            let slack = 0.5 * (axis[0].hypot(axis[1]));
            if a1 <= b0 + slack || b1 <= a0 + slack {
                return false;
            }
        }
    }
    true
}

fn corners(label: &Value) -> Vec<[f64; 2]> {
    label["corners"].as_array().unwrap().iter().map(|c| [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()]).collect()
}

/// sRGB relative luminance of `rgb(r, g, b)`.
fn luminance(css: &Value) -> f64 {
    let text = css.as_str().unwrap();
    let parts: Vec<f64> =
        text.trim_start_matches("rgb(").trim_end_matches(')').split(',').map(|p| p.trim().parse().unwrap()).collect();
    let linear = |c: f64| {
        let c = c / 255.0;
        if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * linear(parts[0]) + 0.7152 * linear(parts[1]) + 0.0722 * linear(parts[2])
}

fn contrast(a: &Value, b: &Value) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

fn check_layout(page: &Page, theme: &str) {
    let layout = page.eval(LAYOUT);
    let labels = layout["labels"].as_array().unwrap();
    let names: Vec<&str> = labels.iter().map(|l| l["name"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..CATEGORIES).map(|i| format!("Product with a long name {i}")).collect();
    assert_eq!(names, expected, "{theme}: every category label is there, in order");
    for pair in labels.windows(2) {
        assert!(!overlap(&corners(&pair[0]), &corners(&pair[1])), "{theme}: labels overlap: {pair:?}");
    }
    let column = &layout["column"];
    let inside = |b: &Value| {
        b["left"].as_f64().unwrap() >= column["left"].as_f64().unwrap() - 0.5
            && b["right"].as_f64().unwrap() <= column["right"].as_f64().unwrap() + 0.5
    };
    assert!(inside(&layout["chart"]), "{theme}: the chart leaves its column: {layout}");
    for label in labels {
        assert!(inside(&label["box"]), "{theme}: a label leaves the column: {label} in {column}");
    }
    let background = &layout["background"];
    assert!(contrast(&layout["textFill"], background) >= 4.5, "{theme}: tick labels are hard to read: {layout}");
    assert!(contrast(&layout["barFill"], background) >= 3.0, "{theme}: bars are hard to see: {layout}");
}

#[test]
fn every_category_label_of_a_crowded_bar_chart_shows_without_overlap_inside_its_column_in_both_themes() {
    let scripts = ScriptDir::with(&[("bars.rhai", &bars_script())]);
    let app = TestApp::spawn(scripts.settings(false));
    let browser = crate::support::chromium::Browser::launch();
    let page = browser.new_page();
    page.navigate(&app.url("/bars"));
    wait_for_runnel(&page);
    page.eval("document.documentElement.dataset.theme = 'light'");
    check_layout(&page, "light");
    assert_eq!(page.eval(&format!("{LAYOUT}.barFill")), json!("rgb(0, 114, 178)"), "Okabe–Ito blue");
    page.eval("document.documentElement.dataset.theme = 'dark'");
    check_layout(&page, "dark");
    assert_eq!(page.eval(&format!("{LAYOUT}.barFill")), json!("rgb(86, 180, 233)"), "sky blue in the dark");
}
