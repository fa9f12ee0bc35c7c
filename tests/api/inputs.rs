//! The new inputs over HTTP: a bad value for each is refused with a 4xx and changes nothing,
//! and a date posted as a plain form (no JavaScript) reaches the script.

use crate::client::{Session, start_with};
use crate::{StoreKind, both_stores};

both_stores!(
    a_bad_value_for_each_new_input_is_refused_and_changes_nothing,
    a_date_posted_without_javascript_reaches_the_script,
    option_buttons_posted_without_javascript_reach_the_script,
);

/// The script's line that shows every value it received.
fn summary(body: &str) -> String {
    let start = body.find("summary: ").expect("the page shows its summary");
    body[start..].split('<').next().unwrap_or_default().to_owned()
}

async fn a_bad_value_for_each_new_input_is_refused_and_changes_nothing(kind: StoreKind) {
    let running = start_with("tests/fixtures/inputs", kind);
    let mut session = Session::new(&running.app);
    session.open("/inputs").await;
    // A first good value starts the session (a visitor who only looks stores nothing).
    let started = session.send("inputs", "slider:Price", &["10", "90"]).await;
    assert_eq!(started.status, 200);
    let before = summary(&session.get("/inputs").await.body);
    let bad: &[(&str, &[&str])] = &[
        ("date_input:Day", &["2025-01-01"]),
        ("date_input:Day", &["1 May 2024"]),
        ("time_input:At", &["09:31"]),
        ("datetime_input:When", &["2024-05-01"]),
        ("color_picker:Colour", &["blue"]),
        ("slider:Price", &["80", "20"]),
        ("slider:Price", &["50"]),
        ("select_slider:Size", &["3"]),
        ("pills:Topic", &["", "2"]),
        ("segmented_control:Days", &["", "0", "5"]),
        ("feedback:Feedback (stars)", &["9"]),
        ("selectbox:Fruit", &["2"]),
    ];
    for (widget, values) in bad {
        let answer = session.send("inputs", widget, values).await;
        assert!(answer.status.is_client_error(), "{widget} {values:?} answered {}", answer.status);
        assert!(answer.body.contains("invalid value"), "{widget}: {}", answer.body);
    }
    assert_eq!(summary(&session.get("/inputs").await.body), before, "nothing changed");
    let good = session.send("inputs", "slider:Price", &["30", "70"]).await;
    assert_eq!(good.status, 200);
    assert!(summary(&good.body).contains("price=30-70"), "{}", summary(&good.body));
}

async fn a_date_posted_without_javascript_reaches_the_script(kind: StoreKind) {
    let running = start_with("tests/fixtures/inputs", kind);
    let mut session = Session::new(&running.app);
    session.open("/inputs").await;
    let body = format!("csrf={}&widget=date_input%3ADay&value=2024-06-15", session.csrf);
    let posted = session.post_raw("inputs", body.into_bytes(), false).await;
    assert_eq!(posted.status, 303);
    let after = session.get("/inputs").await;
    assert!(summary(&after.body).contains("day=2024-06-15"), "{}", summary(&after.body));
    let range = format!("csrf={}&widget=slider%3APrice&value=5&value=95", session.csrf);
    assert_eq!(session.post_raw("inputs", range.into_bytes(), false).await.status, 303);
    assert!(summary(&session.get("/inputs").await.body).contains("price=5-95"));
}

async fn option_buttons_posted_without_javascript_reach_the_script(kind: StoreKind) {
    let running = start_with("tests/fixtures/inputs", kind);
    let mut session = Session::new(&running.app);
    session.open("/inputs").await;
    // As the page's form sends it: the empty marker first, then the checked option.
    let pills = format!("csrf={}&widget=pills%3ATopic&value=&value=1", session.csrf);
    assert_eq!(session.post_raw("inputs", pills.into_bytes(), false).await.status, 303);
    let stars = format!("csrf={}&widget=feedback%3AFeedback+%28stars%29&value=&value=4", session.csrf);
    assert_eq!(session.post_raw("inputs", stars.into_bytes(), false).await.status, 303);
    let shown = summary(&session.get("/inputs").await.body);
    assert!(shown.contains("topic=Sport") && shown.contains("rating=4"), "{shown}");
}
