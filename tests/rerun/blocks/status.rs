//! Status elements: spinner, status containers and their update, progress bars and their
//! handles, toasts and exceptions: their structure, in-place changes, errors, escaping, and
//! what a watched run shows while it goes (the snapshots of progressive output).

use std::sync::Arc;
use std::time::Duration;

use runnel::harness::AppTest;
use runnel::page::{Celebration, ContainerKind, Element, MAIN, Page, StatusState};
use runnel::render::patch::{Op, Patch};
use runnel::widgets::live;

use super::{container_kinds, error_message, html_of, markup_of, render_context, run_ok};

fn progress_bars(page: &Page) -> Vec<(u8, String)> {
    let bars = page.walk().into_iter().filter_map(|e| match e {
        Element::Progress { percent, text } => Some((*percent, text.clone())),
        _ => None,
    });
    bars.collect()
}

fn spinners(page: &Page) -> usize {
    page.walk().into_iter().filter(|e| matches!(e, Element::Spinner { .. })).count()
}

fn statuses(page: &Page) -> Vec<(String, StatusState, bool)> {
    let kinds = container_kinds(page).into_iter().filter_map(|k| match k {
        ContainerKind::Status { label, state, expanded } => Some((label.clone(), *state, *expanded)),
        _ => None,
    });
    kinds.collect()
}

/// The page's error: its message and line.
fn error_at(source: &str) -> (String, Option<usize>) {
    let app = AppTest::from_source(source);
    let error = app.page().error.clone().expect("the page shows an error");
    (error.message, error.line)
}

#[test]
fn a_spinner_is_gone_after_its_function_which_answers_and_keeps_what_it_drew() {
    let app = run_ok(r#"let v = spinner("Working", || { text("inside"); 42 }); text(`got ${v}`);"#);
    assert_eq!(spinners(app.page()), 0);
    assert_eq!(app.page().texts(), vec!["inside", "got 42"]);
    // The function draws into the spinner's container through a copy of it (Rhai locks the
    // container a method is called on while the call lasts).
    let nested = run_ok(
        r#"let c = container(); let inner = c; text("below");
           let v = c.spinner("Outer", || spinner("Inner", || { inner.text("in c"); 5 }) + 1); c.text(v);"#,
    );
    assert_eq!(spinners(nested.page()), 0);
    assert_eq!(nested.page().texts(), vec!["in c", "6", "below"]);
}

#[test]
fn an_error_inside_a_spinner_shows_and_leaves_no_spinner() {
    let app =
        AppTest::from_source("text(\"before\");\nspinner(\"Working\", || { text(\"inside\"); throw \"boom\"; });");
    assert!(error_message(&app).contains("boom"), "{:?}", app.page().error);
    assert_eq!(spinners(app.page()), 0);
    assert_eq!(app.page().texts(), vec!["before", "inside"]);
}

#[test]
fn spinner_options_are_checked() {
    let (message, line) = error_at("text(1);\nspinner(\"x\", #{ show_tme: true }, || 1);");
    assert!(message.contains("unknown option `show_tme`"), "{message}");
    assert_eq!(line, Some(2));
    assert!(error_at(r#"spinner("x", #{ show_time: "yes" }, || 1);"#).0.contains("true or false"));
}

#[test]
fn a_status_is_a_container_with_a_state_icon_a_label_and_a_fold() {
    let app = run_ok(
        r#"let s = status("Loading **data**"); s.text("step 1"); status("Done", #{ state: "complete", expanded: true });"#,
    );
    let shown = statuses(app.page());
    assert_eq!(shown[0], ("Loading <strong>data</strong>".to_owned(), StatusState::Running, false));
    assert_eq!(shown[1], ("Done".to_owned(), StatusState::Complete, true));
    let html = markup_of(app.page());
    assert!(html.contains(r#"<details class="rn-status rn-status-running">"#), "{html}");
    assert!(html.contains(r#"<details class="rn-status rn-status-complete" open>"#), "{html}");
    assert_eq!(html.matches(r#"role="status""#).count(), 2, "each state icon is announced");
    assert!(html.contains("Running:") && html.contains("Complete:"));
    assert!(html.find("Loading").unwrap() < html.find("step 1").unwrap());
}

#[test]
fn update_changes_a_status_in_place_and_keeps_its_children() {
    let app = run_ok(
        r#"let s = status("Working", #{ expanded: true }); s.text("a");
           s.update(#{ label: "Finished", state: "error" }); s.text("b"); s.update(#{ expanded: false });"#,
    );
    assert_eq!(statuses(app.page()), vec![("Finished".to_owned(), StatusState::Error, false)]);
    assert_eq!(app.page().texts(), vec!["a", "b"]);
}

#[test]
fn a_bad_status_call_is_an_error_at_its_line() {
    let (message, line) = error_at("text(1);\ncontainer().update(#{ state: \"complete\" });");
    assert!(message.contains("only on a container made by status"), "{message}");
    assert_eq!(line, Some(2));
    let (message, line) = error_at("let s = status(\"x\");\ns.update(#{ colour: \"red\" });");
    assert!(message.contains("unknown option `colour`"), "{message}");
    assert_eq!(line, Some(2));
    let (message, _) = error_at("status(\"x\", #{ state: \"done\" });");
    assert!(message.contains("\"running\", \"complete\", \"error\""), "{message}");
    let (message, _) = error_at("status(\"x\", #{ expanded: \"yes\" });");
    assert!(message.contains("true or false"), "{message}");
}

#[test]
fn a_progress_handle_updates_the_same_bar_in_place() {
    let app = run_ok(
        r#"let bar = progress(0, "Starting"); text("after");
           for i in 1..=4 { bar.progress(i * 25, `Step ${i}`); }
           let half = progress(0.1); half.progress(0.5);"#,
    );
    assert_eq!(progress_bars(app.page()), vec![(100, "Step 4".to_owned()), (50, String::new())]);
    assert_eq!(app.page().main().len(), 3, "no bar was added by an update");
    let html = markup_of(app.page());
    assert!(html.contains(r#"role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="100""#), "{html}");
}

#[test]
fn a_progress_value_out_of_range_or_of_another_type_is_an_error_that_changes_nothing() {
    for bad in ["101", "-1", "1.5", "\"half\"", "[50]"] {
        let (message, _) = error_at(&format!("progress({bad});"));
        assert!(message.contains("0..=100 or 0.0..=1.0"), "{bad}: {message}");
    }
    let app = AppTest::from_source("let bar = progress(30, \"kept\");\nbar.progress(200, \"lost\");");
    assert!(error_message(&app).contains("not 200"));
    assert_eq!(app.page().error.as_ref().unwrap().line, Some(2));
    assert_eq!(progress_bars(app.page()), vec![(30, "kept".to_owned())]);
}

#[test]
fn a_handle_of_a_bar_drawn_over_is_a_clear_error() {
    let (message, line) =
        error_at("let ph = empty(); let bar = ph.progress(10);\nph.text(\"gone\");\nbar.progress(20);");
    assert!(message.contains("no longer on the page"), "{message}");
    assert_eq!(line, Some(3));
}

#[test]
fn a_toast_is_a_fixed_notification_and_at_most_three_show_at_once() {
    let app = run_ok(r#"toast("Saved **ok**", #{ icon: "✅" }); text("page");"#);
    let html = markup_of(app.page());
    assert!(html.contains(r#"<div class="rn-toast rn-toast-0" role="status" aria-live="polite">"#), "{html}");
    assert!(html.contains("✅") && html.contains("<strong>ok</strong>"));
    let many = run_ok(r#"for t in ["one", "two", "three", "four"] { toast(t); }"#);
    let toasts: Vec<(String, usize)> = many
        .page()
        .main()
        .iter()
        .filter_map(|e| if let Element::Toast(t) = e { Some((t.body.clone(), t.slot)) } else { None })
        .collect();
    let expected = [("two", 1), ("three", 2), ("four", 0)].map(|(t, s)| (t.to_owned(), s));
    assert_eq!(toasts, expected, "the newest takes the oldest one's place");
}

/// What a browser showing `page` holds: the list it sends with its next event.
fn shown_as(page: &Page, ctx: &runnel::render::RenderContext) -> runnel::render::Have {
    let frame = runnel::render::patch::frame_hash(page, &[], ctx);
    runnel::render::Have::parse(&runnel::render::patch::listing(page, ctx, frame)).expect("a page's listing parses")
}

fn celebrations(page: &Page) -> Vec<Celebration> {
    page.main()
        .iter()
        .filter_map(|e| if let Element::Celebration { kind, .. } = e { Some(*kind) } else { None })
        .collect()
}

#[test]
fn balloons_and_snow_are_one_animation_each_over_the_page_hidden_from_screen_readers() {
    let app = run_ok(r#"balloons(); snow(); balloons(); text("page");"#);
    assert_eq!(celebrations(app.page()), [Celebration::Balloons, Celebration::Snow], "a second call adds nothing");
    let html = markup_of(app.page());
    let start = html.find(r#"<div class="rn-celebration rn-balloons" data-rn-replay=""#).expect("the balloons");
    let balloons = &html[start..start + html[start..].find("</div>").expect("their end")];
    assert!(balloons.ends_with(&format!(r#"" aria-hidden="true">{}"#, "<span>🎈</span>".repeat(12))), "{balloons}");
    assert!(html.contains(r#"<div class="rn-celebration rn-snow" data-rn-replay=""#), "{html}");
    assert!(html.contains("<span>❄</span>"), "{html}");
    assert!(!html.contains("style="), "no inline style: the page's policy forbids it");
}

#[test]
fn every_click_that_celebrates_sends_the_balloons_anew_and_a_run_without_it_takes_them_away() {
    let mut app = run_ok(r#"if button("Celebrate") { balloons(); } text("end");"#);
    let media_key = Default::default();
    let ctx = render_context(&media_key);
    let have_of = |page: &Page| shown_as(page, &ctx);
    let sent = |patch: &Patch| -> String {
        let html = patch.ops.iter().filter_map(|op| match op {
            Op::Replace { html, .. } | Op::Append { html, .. } => Some(html.as_str()),
            Op::Truncate { .. } => None,
        });
        html.collect()
    };
    let mut shown = app.page().clone();
    for click in 1..=2 {
        let clicked = app.click("Celebrate").clone();
        let patch = Patch::between(&have_of(&shown), &clicked, &[], &ctx);
        assert!(sent(&patch).contains("rn-celebration rn-balloons"), "click {click} plays them: {:?}", patch.ops);
        shown = clicked;
    }
    let after = app.run().clone();
    assert!(celebrations(&after).is_empty());
    let patch = Patch::between(&have_of(&shown), &after, &[], &ctx);
    assert!(!sent(&patch).contains("rn-celebration") && !patch.ops.is_empty(), "{:?}", patch.ops);
}

#[test]
fn toast_options_are_checked() {
    assert!(error_at(r#"toast("x", #{ colour: "red" });"#).0.contains("unknown option `colour`"));
    assert!(error_at(r#"toast("x", #{ icon: "far too long an icon" });"#).0.contains("emoji"));
}

#[test]
fn exception_shows_what_catch_gives_with_its_line_when_known() {
    let app = run_ok(
        "try {\n  let x = [1][5];\n} catch (err) {\n  exception(err);\n}\ntry { throw \"boom\"; } catch (e) { exception(e); }\nexception(\"plain\");",
    );
    let shown: Vec<_> = app
        .page()
        .main()
        .iter()
        .filter_map(|e| if let Element::Exception(x) = e { Some((x.message.clone(), x.line)) } else { None })
        .collect();
    assert_eq!(shown.len(), 3);
    assert!(shown[0].0.contains("out of bounds"), "{:?}", shown[0]);
    assert_eq!(shown[0].1, Some(2));
    assert_eq!(shown[1], ("boom".to_owned(), None));
    assert_eq!(shown[2], ("plain".to_owned(), None));
    let html = markup_of(app.page());
    assert!(html.contains(r#"<div class="rn-alert rn-error rn-exception" role="alert">"#));
    assert!(html.contains("Error at line 2"), "{html}");
}

#[test]
fn script_text_in_status_elements_stays_inert() {
    let xss = r#"<script>alert(1)</script><img src=x onerror=alert(1)>"#;
    let source = format!(
        r#"let x = "{}"; toast(x, #{{ icon: "<b>" }}); status(x).update(#{{ label: x }}); exception(x);
           exception(#{{ message: x, line: 1 }}); spinner(x, || 1); progress(5, x);"#,
        xss.replace('"', "\\\"")
    );
    let html = html_of(run_ok(&source).page());
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"), "{html}");
    assert!(html.contains("&#60;script&#62;alert(1)"), "the exception shows the text, escaped");
}

/// Runs `source` as a watched run and answers every snapshot sent while it ran, with the final page.
fn watched(source: &str) -> (Vec<Page>, Page) {
    let (sender, mut receiver) = live::channel();
    // Every snapshot, awaited as it comes, until the run's end drops the sender.
    let collector = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
        runtime.block_on(async move {
            let mut seen = Vec::new();
            while let Ok(Ok(())) = tokio::time::timeout(Duration::from_secs(20), receiver.changed()).await {
                seen.extend(receiver.borrow_and_update().as_ref().map(|s| s.page.clone()));
            }
            seen
        })
    });
    let watching = live::Watching::install(sender);
    let app = run_ok(source);
    drop(watching);
    (collector.join().expect("the collector"), app.page().clone())
}

#[test]
fn a_watched_run_shows_the_spinner_while_its_function_runs_and_not_after() {
    let (seen, last) = watched(
        r#"spinner("Working", #{ show_time: true }, || { text("inside"); sleep(0.3); }); text("after"); sleep(0.3);"#,
    );
    let during = seen.iter().position(|p| spinners(p) == 1 && p.texts().contains(&"inside".to_owned()));
    let during = during.expect("a snapshot with the spinner");
    assert!(seen[during..].iter().any(|p| spinners(p) == 0), "a later snapshot without it");
    let snapshot = html_of(&seen[during]);
    assert!(snapshot.contains(r#"<div data-rn-id="m.0""#) && snapshot.contains("rn-spinner"), "{snapshot}");
    assert!(snapshot.contains(r#"<span class="rn-spinner-time" aria-hidden="true">"#), "{snapshot}");
    assert_eq!(spinners(&last), 0);
}

#[test]
fn a_watched_run_shows_a_bar_between_its_start_and_its_end_and_patches_only_the_bar() {
    let (seen, last) =
        watched(r#"title("Job"); let bar = progress(0); for i in 1..=4 { sleep(0.15); bar.progress(i * 25); }"#);
    let between = seen.iter().find(|p| progress_bars(p).first().is_some_and(|(v, _)| (1..100).contains(v)));
    let between = between.expect("a snapshot with an intermediate value");
    let media_key = Default::default();
    let ctx = render_context(&media_key);
    let patch = Patch::between(&shown_as(between, &ctx), &last, &[], &ctx);
    assert!(
        matches!(patch.ops.as_slice(), [Op::Replace { id, html }] if id == "m.1" && html.contains("value=\"100\""))
    );
}

#[test]
fn a_watched_run_shows_a_status_update_in_place() {
    let (seen, last) =
        watched(r#"let s = status("Working"); sleep(0.2); s.update(#{ state: "complete" }); sleep(0.2);"#);
    let states: Vec<StatusState> = seen.iter().filter_map(|p| statuses(p).first().map(|s| s.1)).collect();
    assert!(states.contains(&StatusState::Running) && states.contains(&StatusState::Complete), "{states:?}");
    assert_eq!(last.containers[MAIN].children.len(), 1);
}

#[test]
fn a_watched_runs_snapshots_share_its_big_table_instead_of_copying_the_rows() {
    let (seen, last) = watched(
        r#"let rows = []; for i in 0..2000 { rows.push(#{ i: i, square: i * i }); } table(rows);
           for step in 0..3 { sleep(0.05); text(`step ${step}`); }"#,
    );
    let table = |page: &Page| {
        page.walk().into_iter().find_map(|e| match e {
            Element::Table(table) => Some(table.clone()),
            _ => None,
        })
    };
    let drawn = table(&last).expect("the run drew the table");
    assert_eq!(drawn.rows.len(), 2000);
    let snapshots: Vec<_> = seen.iter().filter_map(table).collect();
    // The collector sees at least one snapshot after the table (the watch keeps only the newest).
    assert!(!snapshots.is_empty(), "no snapshot held the table");
    assert!(snapshots.iter().all(|t| Arc::ptr_eq(t, &drawn)), "every snapshot holds the run's own rows");
}
