//! Text and layout in real Chromium, measured by bounding boxes: long words in columns stay in
//! their column, charts centre in the centred layout and fit their column, in the light and the
//! dark theme, on a laptop and a phone; markdown extras and highlighted code look as meant.

use serde_json::{Value, json};

use crate::support::chromium::Page;
use crate::support::{self, StoreKind};
use crate::wait_for_runnel;

/// Opens the layout fixture in the given theme (`runnel-theme` is what the theme button stores).
fn open_layout(page: &Page, app: &support::TestApp, theme: &str) {
    page.navigate(&app.url("/text_layout"));
    page.eval(&format!("localStorage.setItem('runnel-theme', '{theme}')"));
    page.navigate(&app.url("/text_layout"));
    wait_for_runnel(page);
    assert_eq!(page.eval("document.documentElement.dataset.theme"), json!(theme));
}

/// The bounding box `[left, right, top, bottom]` of the element that `js` evaluates to.
fn rect(page: &Page, js: &str) -> [f64; 4] {
    let value = page.eval(&format!(
        "(() => {{ const r = ({js}).getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; }})()"
    ));
    let numbers: Vec<f64> = value.as_array().expect("a box").iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect();
    [numbers[0], numbers[1], numbers[2], numbers[3]]
}

/// The union of the boxes of every line of text inside the element (a Range over its text):
/// what is actually painted, also when it overflows its box.
fn text_rect(page: &Page, js: &str) -> [f64; 4] {
    let value = page.eval(&format!(
        "(() => {{ const range = document.createRange(); range.selectNodeContents({js}); \
         const r = range.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; }})()"
    ));
    let numbers: Vec<f64> = value.as_array().expect("a box").iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect();
    [numbers[0], numbers[1], numbers[2], numbers[3]]
}

const FIRST_ROW: &str = "document.querySelector('.rn-main .rn-columns')";

fn column(i: usize) -> String {
    format!("{FIRST_ROW}.children[{i}]")
}

/// Two boxes share no area: one is left of, or above, the other (columns stack on a phone).
fn disjoint(a: [f64; 4], b: [f64; 4]) -> bool {
    a[1] <= b[0] + 0.5 || b[1] <= a[0] + 0.5 || a[3] <= b[2] + 0.5 || b[3] <= a[2] + 0.5
}

fn assert_long_words_stay_in_their_column(page: &Page) {
    let (left, right) = (rect(page, &column(0)), rect(page, &column(1)));
    assert!(disjoint(left, right), "the columns do not overlap: {left:?} {right:?}");
    for (i, element) in [(0, ".rn-markdown"), (0, ".rn-title"), (1, ".rn-markdown"), (1, ".rn-caption")] {
        let col = rect(page, &column(i));
        let text = text_rect(page, &format!("{}.querySelector('{element}')", column(i)));
        assert!(
            text[0] >= col[0] - 0.5 && text[1] <= col[1] + 0.5,
            "the text of {element} in column {i} ({text:?}) stays inside its column ({col:?})"
        );
    }
    let left_text = text_rect(page, &format!("{}.querySelector('.rn-markdown')", column(0)));
    let right_text = text_rect(page, &format!("{}.querySelector('.rn-markdown')", column(1)));
    assert!(disjoint(left_text, right_text), "no overlap between the columns' texts: {left_text:?} {right_text:?}");
}

fn assert_charts_are_placed(page: &Page) {
    let title = rect(page, "document.querySelector('.rn-main .rn-title')");
    let chart = rect(page, "document.querySelector('.rn-main > .rn-chart-wrap')");
    let (title_centre, chart_centre) = ((title[0] + title[1]) / 2.0, (chart[0] + chart[1]) / 2.0);
    assert!((title_centre - chart_centre).abs() <= 1.0, "the chart is centred like the title: {chart:?} vs {title:?}");
    assert!((chart[0] - title[0]).abs() <= 1.0, "the chart lines up with the text: {chart:?} vs {title:?}");
    let holder = "document.querySelectorAll('.rn-main .rn-columns')[1].children[0]";
    let column = rect(page, holder);
    let inner = rect(page, &format!("{holder}.querySelector('svg.rn-chart')"));
    assert!(
        inner[0] >= column[0] - 0.5 && inner[1] <= column[1] + 0.5,
        "the chart fits its column: {inner:?} in {column:?}"
    );
}

#[test]
fn long_words_wrap_inside_their_columns_and_charts_centre_in_both_themes() {
    let app = support::TestApp::spawn(support::settings("tests/fixtures", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    for (width, height) in [(1280, 900), (390, 844)] {
        page.set_viewport(width, height);
        for theme in ["light", "dark"] {
            open_layout(&page, &app, theme);
            assert_long_words_stay_in_their_column(&page);
            assert_charts_are_placed(&page);
        }
    }
}

#[test]
fn a_metric_without_a_delta_shows_no_arrow() {
    let app = support::TestApp::spawn(support::settings("tests/fixtures", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    open_layout(&page, &app, "light");
    let deltas = page.eval(
        "[...document.querySelectorAll('.rn-metric')].map(m => m.querySelector('.rn-metric-delta')?.textContent.trim() ?? null)",
    );
    assert_eq!(deltas, json!([null, null, "▼ -3"]));
}

#[test]
fn markdown_extras_and_highlighted_code_differ_between_the_themes() {
    let app = support::TestApp::spawn(support::settings("tests/fixtures", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    let colours = "['.rn-color-red', '.rn-badge-blue', 'pre.rn-code .rn-hl-storage', 'pre.rn-code .rn-hl-comment'] \
                   .map(s => getComputedStyle(document.querySelector(s)).color)";
    open_layout(&page, &app, "light");
    let markdown = "document.querySelectorAll('.rn-main > .rn-markdown')[0]";
    assert!(
        page.eval(&format!("{markdown}.querySelector('p').textContent")).as_str().unwrap().starts_with("Indented ⭐")
    );
    assert_eq!(page.eval(&format!("{markdown}.querySelectorAll('pre').length")), json!(0), "not a code block");
    assert_eq!(page.eval(&format!("{markdown}.querySelector('math msup') !== null")), json!(true));
    assert_eq!(page.eval("document.querySelectorAll('pre.rn-code .rn-code-line').length"), json!(3));
    let numbers = "getComputedStyle(document.querySelector('pre.rn-code .rn-code-line'), '::before').content";
    assert_eq!(page.eval(numbers), json!("counter(rn-code-line)"));
    let light = page.eval(colours);
    open_layout(&page, &app, "dark");
    let dark = page.eval(colours);
    let (light, dark) = (light.as_array().unwrap(), dark.as_array().unwrap());
    let plain = page.eval("getComputedStyle(document.querySelector('.rn-main .rn-markdown p')).color");
    for (l, d) in light.iter().zip(dark) {
        assert_ne!(l, d, "each colour has a dark variant");
        assert_ne!(d, &plain, "and differs from plain text");
    }
    assert!(light.iter().all(|c| c != &Value::Null));
}

#[test]
fn the_configured_theme_colours_the_page_in_light_and_dark() {
    let mut settings = support::settings("tests/fixtures", StoreKind::Memory, None);
    settings.theme = runnel::config::theme::Theme {
        primary_color: Some("#268bd2".into()),
        background_color: Some("#fdf6e3".into()),
        text_color: Some("#073642".into()),
        ..Default::default()
    };
    let app = support::TestApp::spawn(settings);
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    for theme in ["light", "dark"] {
        open_layout(&page, &app, theme);
        assert_eq!(page.eval("getComputedStyle(document.body).backgroundColor"), json!("rgb(253, 246, 227)"));
        assert_eq!(page.eval("getComputedStyle(document.body).color"), json!("rgb(7, 54, 66)"));
        let accent = "getComputedStyle(document.documentElement).getPropertyValue('--rn-accent').trim()";
        assert_eq!(page.eval(accent), json!("#268bd2"));
    }
}
