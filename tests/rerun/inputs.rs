//! The inputs beyond the basic set (dates, times, colours, range sliders, option buttons,
//! feedback, passwords, number formats, empty choices) through the headless harness: what the
//! script receives, what a bad value does, and options that are errors at their line.

use chrono::{Datelike, NaiveDate};
use runnel::harness::AppTest;
use runnel::page::{ChoiceLook, Control, Element, LabelVisibility};
use runnel::session_state::EventError;
use serde_json::json;

fn texts(app: &AppTest) -> Vec<String> {
    app.page().texts()
}

fn shows(app: &AppTest, text: &str) -> bool {
    texts(app).iter().any(|t| t == text)
}

/// Sets a widget to a value it must refuse, and checks that nothing changed.
fn refuses(app: &mut AppTest, label: &str, values: &[&str]) {
    let before = app.data().clone();
    let refused = app.set(label, values);
    assert!(matches!(refused, Err(EventError::InvalidValue { .. })), "{label} refuses {values:?}");
    assert_eq!(app.data(), &before, "a refused value changes nothing");
}

fn error_line(source: &str) -> (Option<usize>, String) {
    let app = AppTest::from_source(source);
    let error = app.page().error.clone().expect("the page shows an error");
    (error.line, error.message)
}

#[test]
fn a_date_input_returns_an_iso_date_within_its_bounds() {
    let mut app = AppTest::from_source(
        r#"let d = date_input("Day", #{ value: "2024-05-01", min_value: "2024-01-01", max_value: "2024-12-31", key: "day" });
           text(`day=${d}`);"#,
    );
    assert!(shows(&app, "day=2024-05-01"));
    app.set("Day", &["2024-06-15"]).unwrap();
    assert!(shows(&app, "day=2024-06-15"));
    assert_eq!(app.state("day"), Some(&json!("2024-06-15")));
    refuses(&mut app, "Day", &["2025-01-01"]);
    refuses(&mut app, "Day", &["2024-02-30"]);
    refuses(&mut app, "Day", &["15/06/2024"]);
}

#[test]
fn a_date_input_defaults_to_today_with_bounds_ten_years_either_side() {
    let app = AppTest::from_source(r#"text(date_input("Day"));"#);
    let today = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive();
    assert!(shows(&app, &today.to_string()));
    let Control::Temporal { input, min, max, .. } = &app.page().widget("Day").unwrap().control else {
        panic!("a date")
    };
    assert_eq!(*input, "date");
    let years_on = |n: i32| NaiveDate::from_ymd_opt(today.year() + n, today.month(), today.day().min(28)).unwrap();
    assert_eq!(min.as_deref().map(|m| &m[..4]), Some(years_on(-10).format("%Y").to_string().as_str()));
    assert_eq!(max.as_deref().map(|m| &m[..4]), Some(years_on(10).format("%Y").to_string().as_str()));
}

#[test]
fn a_date_range_returns_two_dates_in_order() {
    let mut app = AppTest::from_source(
        r#"let r = date_input("Trip", #{ value: ["2024-05-01", "2024-05-07"] });
           text(`${r[0]}..${r[1]}`);"#,
    );
    assert!(shows(&app, "2024-05-01..2024-05-07"));
    app.set("Trip", &["2024-06-01", "2024-06-30"]).unwrap();
    assert!(shows(&app, "2024-06-01..2024-06-30"));
    refuses(&mut app, "Trip", &["2024-06-30", "2024-06-01"]);
    refuses(&mut app, "Trip", &["2024-06-30"]);
}

#[test]
fn a_date_input_without_a_value_returns_nothing_until_one_is_picked() {
    let mut app =
        AppTest::from_source(r#"let d = date_input("Day", #{ value: () }); text(if d == () { "no day" } else { d });"#);
    assert!(shows(&app, "no day"));
    app.set("Day", &["2024-05-01"]).unwrap();
    assert!(shows(&app, "2024-05-01"));
    app.set("Day", &[""]).unwrap();
    assert!(shows(&app, "no day"), "clearing the field gives nothing again");
}

#[test]
fn a_date_is_written_beside_the_picker_in_its_format() {
    let app = AppTest::from_source(r#"date_input("Day", #{ value: "2024-05-01", format: "DD.MM.YYYY" });"#);
    let Control::Temporal { shown, .. } = &app.page().widget("Day").unwrap().control else { panic!("a date") };
    assert_eq!(shown, "01.05.2024");
    let (line, message) = error_line("text(\"a\");\ndate_input(\"Day\", #{ format: \"%d/%m\" });");
    assert_eq!(line, Some(2));
    assert!(message.contains("format"), "{message}");
}

#[test]
fn a_time_input_keeps_to_its_step() {
    let mut app = AppTest::from_source(r#"text(time_input("Start", #{ value: "09:30" }));"#);
    assert!(shows(&app, "09:30"));
    let Control::Temporal { step, .. } = &app.page().widget("Start").unwrap().control else { panic!("a time") };
    assert_eq!(step.as_deref(), Some("900"), "the step is 15 minutes unless given");
    app.set("Start", &["10:45"]).unwrap();
    assert!(shows(&app, "10:45"));
    refuses(&mut app, "Start", &["10:50"]);
    refuses(&mut app, "Start", &["25:00"]);
    let (line, message) = error_line("let a = 1;\ntime_input(\"T\", #{ step: 30 });");
    assert_eq!(line, Some(2));
    assert!(message.contains("step"), "{message}");
}

#[test]
fn a_datetime_input_returns_date_and_time_within_its_bounds() {
    let mut app = AppTest::from_source(
        r#"text(datetime_input("At", #{ value: "2024-05-01T09:00", max_value: "2024-12-31T00:00", step: 3600 }));"#,
    );
    assert!(shows(&app, "2024-05-01T09:00"), "{:?}", texts(&app));
    refuses(&mut app, "At", &["2024-05-01T09:30"]);
    app.set("At", &["2024-05-02T10:00"]).unwrap();
    assert!(shows(&app, "2024-05-02T10:00"));
    refuses(&mut app, "At", &["2025-01-01T10:00"]);
}

#[test]
fn a_colour_picker_returns_lower_case_hex() {
    let mut app = AppTest::from_source(r#"text(color_picker("Colour"));"#);
    assert!(shows(&app, "#000000"));
    app.set("Colour", &["#FF8800"]).unwrap();
    assert!(shows(&app, "#ff8800"));
    refuses(&mut app, "Colour", &["red"]);
    refuses(&mut app, "Colour", &["#ff88"]);
}

#[test]
fn a_two_value_slider_has_two_handles_and_returns_the_range() {
    let mut app = AppTest::from_source(
        r#"let r = slider("Price", 0, 100, #{ value: [20, 80] }); text(`${r[0]}-${r[1]}`);
           let f = slider("Ratio", 0.0, 1.0, #{ value: [0.25, 0.75] }); text(`${f[0]}-${f[1]}`);"#,
    );
    assert!(shows(&app, "20-80"));
    let Control::Range { value, high, .. } = &app.page().widget("Price").unwrap().control else { panic!("a slider") };
    assert_eq!((value.as_str(), high.as_deref()), ("20", Some("80")));
    app.set("Price", &["10", "90"]).unwrap();
    assert!(shows(&app, "10-90"));
    refuses(&mut app, "Price", &["90", "10"]);
    refuses(&mut app, "Price", &["10", "101"]);
    app.set("Ratio", &["0.5", "0.5"]).unwrap();
    assert!(shows(&app, "0.5-0.5"));
    let (line, _) = error_line("let a = 1;\nslider(\"S\", 0, 10, #{ value: [1, 2, 3] });");
    assert_eq!(line, Some(2));
}

#[test]
fn a_select_slider_picks_one_option_or_a_range_of_them() {
    let sizes = r#"["S", "M", "L", "XL"]"#;
    let mut app = AppTest::from_source(&format!(
        r#"text(select_slider("Size", {sizes}, #{{ value: "M" }}));
           let r = select_slider("Sizes", {sizes}, #{{ value: ["M", "XL"] }}); text(`${{r[0]}} to ${{r[1]}}`);"#
    ));
    assert!(shows(&app, "M") && shows(&app, "M to XL"));
    let Control::Range { labels, .. } = &app.page().widget("Size").unwrap().control else { panic!("a slider") };
    assert_eq!(labels, &["S", "M", "L", "XL"]);
    app.set("Size", &["3"]).unwrap();
    assert!(shows(&app, "XL"));
    app.set("Sizes", &["0", "2"]).unwrap();
    assert!(shows(&app, "S to L"));
    refuses(&mut app, "Sizes", &["2", "0"]);
    refuses(&mut app, "Size", &["4"]);
    let (line, _) = error_line("let a = 1;\nselect_slider(\"S\", [\"a\"], #{ value: \"b\" });");
    assert_eq!(line, Some(2));
}

#[test]
fn pills_choose_one_option_or_nothing_and_several_in_multi_mode() {
    let mut app = AppTest::from_source(
        r#"let p = pills("Topic", ["News", "Sport"]); text(if p == () { "none" } else { p });
           let m = segmented_control("Days", ["Mon", "Tue", "Wed"], #{ selection_mode: "multi", "default": ["Tue"] });
           text(`days=${m}`);"#,
    );
    assert!(shows(&app, "none"));
    app.set("Topic", &["", "1"]).unwrap();
    assert!(shows(&app, "Sport"));
    app.set("Topic", &[""]).unwrap();
    assert!(shows(&app, "none"), "an empty choice is nothing chosen");
    assert!(shows(&app, r#"days=["Tue"]"#), "{:?}", texts(&app));
    app.set("Days", &["", "0", "2"]).unwrap();
    assert!(shows(&app, r#"days=["Mon", "Wed"]"#));
    refuses(&mut app, "Days", &["", "3"]);
    let look = |label: &str| match &app.page().widget(label).unwrap().control {
        Control::Choice { look, multiple, .. } => (*look, *multiple),
        _ => panic!("a choice"),
    };
    assert_eq!(look("Topic"), (ChoiceLook::Pills, false));
    assert_eq!(look("Days"), (ChoiceLook::Segmented, true));
    let (line, _) = error_line("let a = 1;\npills(\"P\", [\"a\"], #{ selection_mode: \"many\" });");
    assert_eq!(line, Some(2));
}

#[test]
fn feedback_returns_the_index_of_the_face_or_star_and_thumbs_up_is_one() {
    let mut app = AppTest::from_source(
        r#"let t = feedback("thumbs", #{ key: "t" }); text(`thumbs=${t}`);
           let s = feedback("stars", #{ "default": 2 }); text(`stars=${s}`);"#,
    );
    assert!(shows(&app, "thumbs=") && shows(&app, "stars=2"), "{:?}", texts(&app));
    app.set("Feedback (thumbs)", &["", "0"]).unwrap();
    assert!(shows(&app, "thumbs=1"), "the first button is thumbs up");
    app.set("Feedback (stars)", &["", "4"]).unwrap();
    assert!(shows(&app, "stars=4"));
    refuses(&mut app, "Feedback (stars)", &["5"]);
    let widget = app.page().widget("Feedback (stars)").unwrap();
    assert_eq!(widget.label_visibility, LabelVisibility::Collapsed);
    let (line, _) = error_line("let a = 1;\nfeedback(\"hearts\");");
    assert_eq!(line, Some(2));
}

#[test]
fn a_password_reaches_the_script_but_never_the_page() {
    let mut app =
        AppTest::from_source(r#"let p = text_input("Secret", #{ type: "password" }); text(`length=${p.len()}`);"#);
    app.set("Secret", &["hunter2"]).unwrap();
    assert!(shows(&app, "length=7"));
    let Control::Text { value, input, autocomplete, .. } = &app.page().widget("Secret").unwrap().control else {
        panic!("a text input")
    };
    assert_eq!((value.as_str(), *input, autocomplete.as_str()), ("", "password", "new-password"));
    let app = AppTest::from_source(r#"text_input("Email", #{ autocomplete: "email" });"#);
    let Control::Text { autocomplete, .. } = &app.page().widget("Email").unwrap().control else { panic!("text") };
    assert_eq!(autocomplete, "email");
    let (line, _) = error_line("let a = 1;\ntext_input(\"T\", #{ type: \"secret\" });");
    assert_eq!(line, Some(2));
}

#[test]
fn a_number_input_shows_its_value_in_its_printf_format() {
    let app =
        AppTest::from_source(r#"number_input("Rate", #{ value: 1.23456, format: "%.2f", placeholder: "a rate" });"#);
    let Control::Number { value, placeholder, .. } = &app.page().widget("Rate").unwrap().control else {
        panic!("a number")
    };
    assert_eq!((value.as_str(), placeholder.as_str()), ("1.23", "a rate"));
    let (line, message) = error_line("let a = 1;\nnumber_input(\"N\", #{ value: 1.5, format: \"%d\" });");
    assert_eq!(line, Some(2));
    assert!(message.contains("whole numbers"), "{message}");
}

#[test]
fn a_selectbox_or_radio_with_index_unit_has_nothing_chosen_and_shows_its_placeholder() {
    let mut app = AppTest::from_source(
        r#"let s = selectbox("Fruit", ["apple", "pear"], #{ index: (), placeholder: "Pick a fruit" });
           text(if s == () { "no fruit" } else { s });
           let r = radio("Size", ["S", "L"], #{ index: (), horizontal: true, placeholder: "No size yet" });
           text(if r == () { "no size" } else { r });"#,
    );
    assert!(shows(&app, "no fruit") && shows(&app, "no size"));
    let Control::Choice { placeholder, options, .. } = &app.page().widget("Fruit").unwrap().control else {
        panic!("a choice")
    };
    assert_eq!(placeholder.as_deref(), Some("Pick a fruit"));
    assert!(options.iter().all(|o| !o.selected));
    let Control::Choice { look, placeholder, .. } = &app.page().widget("Size").unwrap().control else { panic!() };
    assert_eq!((*look, placeholder.as_deref()), (ChoiceLook::HorizontalRadio, Some("No size yet")));
    app.set("Fruit", &["1"]).unwrap();
    assert!(shows(&app, "pear"));
    refuses(&mut app, "Size", &["2"]);
}

#[test]
fn options_a_widget_does_not_take_are_errors_at_their_line() {
    for call in [
        r#"multiselect("M", ["a"], #{ index: 0 })"#,
        r#"radio("R", ["a"], #{ default: "a" })"#,
        r#"date_input("D", #{ step: 1 })"#,
        r#"color_picker("C", #{ placeholder: "x" })"#,
        r#"feedback("thumbs", #{ help: "x" })"#,
        r#"slider("S", 0, 9, #{ label_visibility: "gone" })"#,
        r#"button("B", #{ type: "big" })"#,
        r#"link_button("L", "https://example.com", #{ key: "k" })"#,
        r#"text_input("T", #{ max_chars: -1 })"#,
        r#"number_input("N", #{ step: 0 })"#,
        r#"number_input("F", #{ step: -0.5 })"#,
        r#"slider("S", 0, 9, #{ step: 0 })"#,
        r#"metric("M", 1, #{ colour: "red" })"#,
    ] {
        let (line, message) = error_line(&format!("let a = 1;\n{call};"));
        assert_eq!(line, Some(2), "{call}: {message}");
    }
}

#[test]
fn a_link_button_links_only_to_web_addresses() {
    let app = AppTest::from_source(r#"link_button("Docs", "https://example.com/docs", #{ type: "primary" });"#);
    let link = app.page().main().iter().find_map(|e| match e {
        Element::LinkButton { url, look, .. } => Some((url.clone(), *look)),
        _ => None,
    });
    assert_eq!(link, Some(("https://example.com/docs".to_owned(), "primary")));
    let (line, message) = error_line("let a = 1;\nlink_button(\"X\", \"javascript:alert(1)\");");
    assert_eq!(line, Some(2));
    assert!(message.contains("https://"), "{message}");
    for elsewhere in ["//evil.example", "/\\\\evil.example", "data:text/html,x"] {
        let app = AppTest::from_source(&format!("link_button(\"X\", {elsewhere:?});"));
        assert!(app.page().error.is_some(), "{elsewhere} is refused");
    }
}

#[test]
fn label_visibility_hides_or_collapses_a_label() {
    let app = AppTest::from_source(
        r#"slider("S", 0, 9, #{ label_visibility: "collapsed" }); checkbox("C", #{ label_visibility: "hidden" });"#,
    );
    assert_eq!(app.page().widget("S").unwrap().label_visibility, LabelVisibility::Collapsed);
    assert_eq!(app.page().widget("C").unwrap().label_visibility, LabelVisibility::Hidden);
}

#[test]
fn a_date_slider_moves_by_days_and_returns_iso_dates() {
    let mut app = AppTest::from_source(
        r#"let r = slider("Period", "2024-01-01", "2024-12-31", #{ value: ["2024-02-01", "2024-03-01"] });
           text(`${r[0]}..${r[1]}`);
           let d = slider("Day", "2024-01-01", "2024-01-31", #{ step: 7 }); text(`day=${d}`);"#,
    );
    assert!(shows(&app, "2024-02-01..2024-03-01"), "{:?}", texts(&app));
    assert!(shows(&app, "day=2024-01-01"), "a date slider starts at its min");
    let Control::Range { value, high, max, day_zero, .. } = &app.page().widget("Period").unwrap().control else {
        panic!("a slider")
    };
    assert_eq!((value.as_str(), high.as_deref(), max.as_str()), ("31", Some("60"), "365"));
    assert_eq!(day_zero.as_deref(), Some("2024-01-01"));
    app.set("Period", &["0", "365"]).unwrap();
    assert!(shows(&app, "2024-01-01..2024-12-31"));
    refuses(&mut app, "Period", &["0", "366"]);
    app.set("Day", &["14"]).unwrap();
    assert!(shows(&app, "day=2024-01-15"));
    refuses(&mut app, "Day", &["3"]);
}

#[test]
fn a_metrics_help_is_shown_with_it() {
    let app = AppTest::from_source(r#"metric("Revenue", "12k", #{ help: "Last 30 days" });"#);
    let help = app.page().main().iter().find_map(|e| match e {
        Element::Metric { help, .. } => help.clone(),
        _ => None,
    });
    assert_eq!(help.as_deref(), Some("Last 30 days"));
}

#[test]
fn the_new_inputs_take_key_help_disabled_and_on_change_like_the_others() {
    let mut app = AppTest::from_source(
        r#"fn changed(what) { state.log = `${what}: ${state.day}`; }
           date_input("Day", #{ key: "day", value: "2024-05-01", help: "Pick a day", disabled: false,
                                on_change: Fn("changed"), args: ["day changed"] });
           color_picker("Colour", #{ help: "Any colour", disabled: true });
           text(state.get("log", "no change"));"#,
    );
    assert!(shows(&app, "no change"));
    app.set("Day", &["2024-06-01"]).unwrap();
    assert!(shows(&app, "day changed: 2024-06-01"), "{:?}", texts(&app));
    let colour = app.page().widget("Colour").unwrap();
    assert_eq!((colour.help.as_deref(), colour.disabled), (Some("Any colour"), true));
    assert_eq!(app.page().widget("Day").unwrap().help.as_deref(), Some("Pick a day"));
}

#[test]
fn a_date_range_inside_a_form_is_sent_with_its_submit_button() {
    let mut app = AppTest::from_source(
        r#"let f = form("trip");
           let r = f.date_input("Trip", #{ value: ["2024-05-01", "2024-05-07"] });
           f.form_submit_button("Book");
           text(`${r[0]}..${r[1]}`);"#,
    );
    app.submit("Book", &[("Trip", &["2024-08-01", "2024-08-10"])]).unwrap();
    assert!(shows(&app, "2024-08-01..2024-08-10"), "{:?}", texts(&app));
    let before = app.data().clone();
    assert!(app.submit("Book", &[("Trip", &["2024-08-10", "2024-08-01"])]).is_err());
    assert_eq!(app.data(), &before, "a reversed range refuses the whole submit");
}

#[test]
fn a_time_input_defaults_to_now_rounded_down_to_its_step() {
    let app = AppTest::from_source(r#"text(`time=${time_input("T")}`);"#);
    let shown = texts(&app).into_iter().find_map(|t| t.strip_prefix("time=").map(str::to_owned)).unwrap();
    let minutes: u32 = shown[3..5].parse().unwrap();
    assert!(shown.len() == 5 && minutes.is_multiple_of(15), "{shown} is on the 15-minute step");
}
