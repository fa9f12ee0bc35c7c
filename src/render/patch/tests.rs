use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;
use crate::harness::AppTest;
use crate::page::{AlertKind, Chart, ChartKind, Series, TableView};

static NO_MEDIA: crate::page::MediaKey = crate::page::MediaKey::unkeyed();

fn ctx() -> RenderContext<'static> {
    RenderContext { page: "demo", csrf: "token", action: "/demo/event".to_owned(), base: "", media_key: &NO_MEDIA }
}

fn chart() -> Element {
    let mut chart = Chart::new(0, 600.0, ChartKind::Line);
    chart.x_label = "x".to_owned();
    chart.y_label = "y".to_owned();
    chart.series = vec![Series { points: vec![(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)], ..Series::new("y".to_owned()) }];
    Element::Chart(Arc::new(chart))
}

/// A title, a count, a chart, and an expander holding a text and a plain container with one text.
fn dashboard(count: u32) -> Page {
    let mut page = Page::new();
    page.push(MAIN, Element::Title("Demo".to_owned()));
    page.push(MAIN, Element::Text(format!("Count: {count}")));
    page.push(MAIN, chart());
    let expander =
        page.open(MAIN, ContainerKind::Expander { label: "More".to_owned(), expanded: false }).expect("shallow");
    page.push(expander, Element::Text("inside".to_owned()));
    let inner = page.open_container(expander).expect("shallow");
    page.push(inner, Element::Caption("deep".to_owned()));
    page.push(SIDEBAR, Element::Alert { kind: AlertKind::Info, body: "side".to_owned() });
    page
}

/// What the browser would send after showing `page`.
fn have_of(page: &Page) -> Have {
    let ctx = ctx();
    Have::parse(&listing(page, &ctx, frame_hash(page, &[], &ctx))).expect("a page's own listing parses")
}

fn patch(have: &Have, page: &Page) -> Patch {
    Patch::between(have, page, &[], &ctx())
}

#[test]
fn the_same_page_needs_no_operations_and_keeps_its_version() {
    let page = dashboard(1);
    let have = have_of(&page);
    let patch = patch(&have, &page);
    assert_eq!(patch.ops, vec![]);
    assert_eq!(patch.frame, None);
    assert_eq!(patch.version, patch.base, "the page after the patch is the page before it");
}

#[test]
fn a_changed_leaf_is_one_replace_and_nothing_else_is_rendered() {
    let patch = patch(&have_of(&dashboard(1)), &dashboard(2));
    let [Op::Replace { id, html }] = patch.ops.as_slice() else { panic!("one replace: {:?}", patch.ops) };
    assert_eq!(id, "m.1");
    assert!(html.starts_with(r#"<div data-rn-id="m.1" data-rn-h=""#), "{html}");
    assert!(html.contains("Count: 2"));
    assert_ne!(patch.version, patch.base);
    assert_eq!(patch.version, digest(&listing(&dashboard(2), &ctx(), frame_hash(&dashboard(2), &[], &ctx()))));
}

#[test]
fn a_change_deep_inside_containers_replaces_only_that_element() {
    let mut page = dashboard(1);
    let have = have_of(&page);
    page.containers[3].children[0] = Element::Caption("deeper".to_owned());
    let ops = patch(&have, &page).ops;
    assert!(
        matches!(ops.as_slice(), [Op::Replace { id, html }] if id == "m.3.1.0" && html.contains("deeper")),
        "{ops:?}"
    );
}

#[test]
fn new_trailing_children_are_appended_and_gone_ones_truncated() {
    let mut longer = dashboard(1);
    longer.push(MAIN, Element::Divider);
    longer.push(MAIN, Element::Caption("end".to_owned()));
    let ops = patch(&have_of(&dashboard(1)), &longer).ops;
    let [Op::Append { slot, html }] = ops.as_slice() else { panic!("one append: {ops:?}") };
    assert_eq!(slot, "m");
    assert!(html.contains(r#"data-rn-id="m.4""#) && html.contains(r#"data-rn-id="m.5""#), "{html}");
    assert!(!html.contains(r#"data-rn-id="m.3""#), "children the browser holds are not sent again");

    let ops = patch(&have_of(&longer), &dashboard(1)).ops;
    assert_eq!(ops, vec![Op::Truncate { slot: "m".to_owned(), count: 4 }]);
}

#[test]
fn a_changed_container_shell_replaces_the_container_with_its_children() {
    let mut page = dashboard(1);
    let have = have_of(&page);
    page.containers[2].kind = ContainerKind::Expander { label: "Less".to_owned(), expanded: true };
    let ops = patch(&have, &page).ops;
    let [Op::Replace { id, html }] = ops.as_slice() else { panic!("one replace: {ops:?}") };
    assert_eq!(id, "m.3");
    assert!(html.starts_with("<details") && html.contains("Less") && html.contains("deep"), "{html}");
}

#[test]
fn a_changed_frame_sends_the_whole_fragment() {
    let mut page = dashboard(1);
    let have = have_of(&page);
    page.config.title = Some("New title".to_owned());
    let patch = patch(&have, &page);
    assert_eq!(patch.ops, vec![]);
    let frame = patch.frame.expect("the frame changed");
    assert!(frame.contains("New title") && frame.contains("Count: 1"));
}

#[test]
fn a_script_error_always_sends_the_whole_fragment() {
    let mut page = dashboard(1);
    page.error = Some(crate::page::ScriptError {
        script: "demo".to_owned(),
        line: None,
        column: None,
        message: "boom".to_owned(),
        source_line: None,
        caret: None,
    });
    let patch = patch(&have_of(&page), &page);
    assert!(patch.frame.is_some_and(|f| f.contains("boom")));
}

#[test]
fn a_malformed_or_oversized_have_is_refused() {
    let good = "00000000000000ff;m.0:0000000000000001,s.0:0000000000000002";
    assert!(Have::parse(good).is_some());
    assert!(Have::parse("00000000000000ff;").is_some(), "an empty page");
    assert!(Have::parse(&format!("{good};{}", digest("token"))).is_some(), "with the forms' token");
    assert!(Have::parse(&format!("{good};")).is_some(), "a page without forms");
    for bad in [
        "",
        "garbage",
        "00000000000000ff",
        "ff;m.0:0000000000000001",
        "00000000000000ff;m.0:1",
        "00000000000000ff;m.0:000000000000000g",
        "00000000000000ff;x.0:0000000000000001",
        "00000000000000ff;m..0:0000000000000001",
        "00000000000000ff;m.0:0000000000000001,m.0:0000000000000001",
        "00000000000000ff;m.0=0000000000000001",
        "00000000000000ff;m.0:0000000000000001;xyz",
        "00000000000000ff;m.0:0000000000000001;0123456789",
        "00000000000000ff;m.0:0000000000000001;abcdef01;00",
    ] {
        assert_eq!(Have::parse(bad), None, "{bad:?}");
    }
    let huge = format!("00000000000000ff;{}", "m.0:0000000000000001,".repeat(1000));
    assert_eq!(Have::parse(&huge), None, "longer than {MAX_HAVE_BYTES} bytes");
}

#[test]
fn a_have_with_a_gap_gets_the_missing_children_appended() {
    let page = dashboard(1);
    let ctx = ctx();
    let frame = frame_hash(&page, &[], &ctx);
    let have = Have::parse(&format!("{frame:016x};m.0:{:016x}", element_hash(&page, &page.main()[0], &ctx, false)))
        .expect("well formed");
    let ops = patch(&have, &page).ops;
    let [Op::Append { slot: side, .. }, Op::Append { slot, html }] = ops.as_slice() else { panic!("{ops:?}") };
    assert_eq!((side.as_str(), slot.as_str()), ("s", "m"));
    assert!(html.contains(r#"data-rn-id="m.1""#) && !html.contains(r#"data-rn-id="m.0""#), "{html}");
}

/// Collects `<frame>;<id>:<h>,…` from rendered HTML the way `static/runnel.js` does from the DOM.
fn have_in_html(html: &str) -> String {
    let doc = scraper::Html::parse_fragment(html);
    let frame = scraper::Selector::parse("[data-rn-frame]").expect("selector");
    let elements = scraper::Selector::parse("[data-rn-id]").expect("selector");
    let frame = doc.select(&frame).next().and_then(|e| e.attr("data-rn-frame")).unwrap_or_default();
    let list: Vec<String> = doc
        .select(&elements)
        .map(|e| format!("{}:{}", e.attr("data-rn-id").unwrap_or_default(), e.attr("data-rn-h").unwrap_or_default()))
        .collect();
    format!("{frame};{}", list.join(","))
}

#[test]
fn the_rendered_fragment_carries_the_listing_in_document_order() {
    let page = dashboard(3);
    let ctx = ctx();
    let html = fragment(&page, &[], &ctx);
    assert_eq!(have_in_html(&html), listing(&page, &ctx, frame_hash(&page, &[], &ctx)));
}

/// The example dashboards and the test fixtures, rendered through the real runner.
fn rendered_scripts() -> Vec<(String, Page)> {
    let mut pages = Vec::new();
    for dir in ["scripts", "tests/fixtures", "tests/fixtures/inputs"] {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for path in entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "rhai")) {
            let Ok(source) = std::fs::read_to_string(&path) else { continue };
            if source.contains("sleep(") {
                continue; // slow fixtures
            }
            let app = AppTest::with_data_dir(&source, "data");
            pages.push((path.display().to_string(), app.page().clone()));
        }
    }
    let every = AppTest::with_data_dir(EVERY_KIND, "data").page().clone();
    assert_eq!(every.error, None, "the script that draws every kind runs to its end");
    pages.push(("every kind".to_owned(), every));
    pages
}

/// Draws the element and container kinds the examples may not.
const EVERY_KIND: &str = r#"
title("t"); header("h"); subheader("s"); text("x"); markdown("**m**"); caption("c");
code("let a = 1;"); divider(); json(#{ a: 1 }); success("ok"); info("i"); warning("w"); error("e");
metric("m", 1); progress(50, "half"); link_button("Docs", "https://example.com");
page_link("https://example.com", #{ label: "Out" });
download_button("Get", "abc", #{ file_name: "a.txt" });
let rows = [#{ x: 1, y: 2 }, #{ x: 2, y: 3 }];
table(rows); dataframe(rows); line_chart(rows, #{ x: "x", y: "y" }); bar_chart(rows, #{ x: "x", y: "y" });
let cols = columns(2); cols[0].text("left"); cols[1].button("b");
let tabs = tabs(["A", "B"]); tabs[0].text("a"); tabs[1].checkbox("cb");
let ex = expander("E"); ex.text("in");
let ph = empty(); ph.text("one"); ph.text("two");
let f = form("f"); f.text_input("name"); f.form_submit_button("Send");
let c = container(); c.slider("s", 0, 10);
sidebar().selectbox("pick", ["a", "b"]);
let said = chat_message("user"); said.markdown("hi"); chat_message("bob").write_stream(["a", "b"]);
chat_input("Say"); c.chat_input("Inside");
let st = status("Job"); st.text("step"); st.update(#{ state: "complete" });
toast("Saved", #{ icon: "✅" }); exception("bad"); balloons(); snow();
"#;

fn kind_name(el: &Element) -> String {
    match serde_json::to_value(el) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(serde_json::Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

#[test]
fn every_element_renders_one_root_tag() {
    let ctx = ctx();
    let mut kinds = BTreeSet::new();
    for (name, page) in rendered_scripts() {
        for id in 0..page.containers.len() {
            let in_form = page.containers[id].form.is_some();
            for (i, el) in page.containers[id].children.iter().enumerate() {
                kinds.insert(kind_name(el));
                let html = element(&page, el, &format!("m.{i}"), &ctx, in_form);
                let doc = scraper::Html::parse_fragment(&html);
                let top = doc.root_element();
                let tags = top.children().filter(|n| n.value().is_element()).count();
                let text: String = top.children().filter_map(|n| n.value().as_text().map(|t| t.to_string())).collect();
                assert_eq!(tags, 1, "{name}: {} renders {tags} root tags: {html}", kind_name(el));
                assert!(text.trim().is_empty(), "{name}: text outside the root: {text:?}");
                assert!(html.contains(&format!(r#"data-rn-id="m.{i}""#)), "{name}: {html}");
            }
        }
        let html = fragment(&page, &[], &ctx);
        assert_eq!(have_in_html(&html), listing(&page, &ctx, frame_hash(&page, &[], &ctx)), "{name}");
    }
    let every = ["Title", "Header", "Subheader", "Text", "Markdown", "Caption", "Code", "Divider", "Json", "Alert"]
        .into_iter()
        .chain(["Metric", "Table", "DataFrame", "Progress", "Download", "PageLink", "Chart", "Widget"])
        .chain(["LinkButton", "AuthForm", "Container", "Toast", "Exception", "Celebration"]);
    let missing: Vec<&str> = every.filter(|k| !kinds.contains(*k)).collect();
    assert!(missing.is_empty() || missing == ["AuthForm"], "kinds no script drew: {missing:?}");
}

#[test]
fn an_unchanged_chart_is_drawn_once() {
    let Element::Chart(chart) = chart() else { unreachable!() };
    let first = super::super::chart_cache::cached_svg(&chart);
    let again = super::super::chart_cache::cached_svg(&chart);
    assert!(std::sync::Arc::ptr_eq(&first, &again), "the second render comes from the cache");
}

#[test]
fn a_new_query_resends_the_forms_that_post_it_and_nothing_else() {
    let mut page = dashboard(1);
    page.push(
        MAIN,
        Element::Widget(crate::page::WidgetView {
            id: "button:Go".to_owned(),
            kind: crate::page::WidgetKind::Button,
            label: "Go".to_owned(),
            label_html: "Go".to_owned(),
            help: None,
            disabled: false,
            label_visibility: crate::page::LabelVisibility::Visible,
            control: crate::page::Control::Button { look: "secondary" },
        }),
    );
    let have = have_of(&page);
    let sorted = RenderContext { action: "/demo/event?t.sort=x".to_owned(), ..ctx() };
    let patch = Patch::between(&have, &page, &[], &sorted);
    let ops = patch.ops;
    assert!(
        matches!(ops.as_slice(), [Op::Replace { id, html }] if id == "m.4" && html.contains("t.sort=x")),
        "{ops:?}"
    );
}

#[test]
fn forms_holding_another_csrf_token_get_the_whole_fragment() {
    let page = dashboard(1);
    let ctx = ctx();
    let list = listing(&page, &ctx, frame_hash(&page, &[], &ctx));
    let current = Have::parse(&format!("{list};{}", digest("token"))).expect("well formed");
    let patch = Patch::between(&current, &page, &[], &ctx);
    assert_eq!((patch.frame, patch.ops.len()), (None, 0), "the token is the session's");
    assert_eq!(patch.base, digest(&list), "the base is the digest of the list, without the token");
    let stale = Have::parse(&format!("{list};{}", digest("old token"))).expect("well formed");
    assert!(Patch::between(&stale, &page, &[], &ctx).frame.is_some(), "all forms are drawn again");
}

#[test]
fn a_changed_width_changes_the_element_hash_and_its_html() {
    let stretched = chart();
    let Element::Chart(mut fixed) = chart() else { unreachable!() };
    Arc::make_mut(&mut fixed).shown_width = crate::page::Width::Pixels(300);
    let fixed = Element::Chart(fixed);
    let (page, ctx) = (Page::new(), ctx());
    let hash = |el: &Element| element_hash(&page, el, &ctx, false);
    assert_ne!(hash(&stretched), hash(&fixed), "a width change is a replace, not a skipped element");
    let table =
        |width| Element::Table(Arc::new(TableView { columns: vec!["a".into()], rows: vec![vec!["1".into()]], width }));
    let (wide, narrow) = (table(crate::page::Width::Stretch), table(crate::page::Width::Pixels(300)));
    assert_ne!(hash(&wide), hash(&narrow));
    assert_ne!(element(&page, &wide, "m.0", &ctx, false), element(&page, &narrow, "m.0", &ctx, false));
}
