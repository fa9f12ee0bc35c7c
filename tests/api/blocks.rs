//! The building blocks over HTTP: a form's submit (with and without JavaScript), refused
//! submits, data frame sorting through the query, data files and the escaping of new elements.

use crate::client::{Session, start, start_with};
use crate::{StoreKind, both_stores};

both_stores!(
    a_form_submit_without_javascript_applies_all_values_and_redirects,
    a_form_submit_with_a_bad_value_is_refused_and_changes_nothing,
);

const PAGE: &str = "order_form";
const SUBMIT: &str = "form_submit_button:Send";

/// The form's submit body: csrf, the submit button, and `v:` fields.
fn submit_body(csrf: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut form = vec![("csrf".to_owned(), csrf.to_owned()), ("widget".to_owned(), SUBMIT.to_owned())];
    form.extend(fields.iter().map(|(id, v)| (format!("v:{id}"), (*v).to_owned())));
    serde_urlencoded::to_string(&form).unwrap().into_bytes()
}

fn shown(html: &str) -> String {
    let start = html.find("qty=").expect("the form's result on the page");
    html[start..].split('<').next().unwrap().to_owned()
}

async fn a_form_submit_without_javascript_applies_all_values_and_redirects(kind: StoreKind) {
    let running = start_with("tests/fixtures", kind);
    let mut session = Session::new(&running.app);
    let page = session.open("/order_form").await;
    assert_eq!(shown(&page.body), "qty=1 name= orders=0");
    let body = submit_body(&session.csrf, &[("slider:key:qty", "6"), ("text_input:Name", "Ada")]);
    let answer = session.post_raw(PAGE, body, false).await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.headers["location"], "/order_form");
    let after = session.get("/order_form").await;
    assert_eq!(shown(&after.body), "qty=6 name=Ada orders=1");
    let again = session.get("/order_form").await;
    assert_eq!(shown(&again.body), "qty=6 name=Ada orders=1", "a refresh does not submit again");
}

async fn a_form_submit_with_a_bad_value_is_refused_and_changes_nothing(kind: StoreKind) {
    let running = start_with("tests/fixtures", kind);
    let mut session = Session::new(&running.app);
    session.open("/order_form").await;
    let good = submit_body(&session.csrf, &[("slider:key:qty", "4"), ("text_input:Name", "Bo")]);
    assert_eq!(session.post_raw(PAGE, good, true).await.status, 200);
    let bad = submit_body(&session.csrf, &[("text_input:Name", "Eve"), ("slider:key:qty", "11")]);
    let refused = session.post_raw(PAGE, bad, true).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let outside = submit_body(&session.csrf, &[("button:Plus one", "true")]);
    assert_eq!(session.post_raw(PAGE, outside, true).await.status, 404, "a widget outside the form");
    let single = session.send(PAGE, "slider:key:qty", &["5"]).await;
    assert_eq!(single.status, 422, "a widget in a form is sent only by its submit");
    let page = session.get("/order_form").await;
    assert_eq!(shown(&page.body), "qty=4 name=Bo orders=1");
}

#[tokio::test]
async fn a_form_submit_from_the_page_script_answers_with_a_fragment() {
    let running = start_with("tests/fixtures", StoreKind::Memory);
    let mut session = Session::new(&running.app);
    session.open("/order_form").await;
    let body = submit_body(&session.csrf, &[("slider:key:qty", "3"), ("text_input:Name", "Cy")]);
    let fragment = session.post_raw(PAGE, body, true).await;
    assert_eq!(fragment.status, 200);
    assert!(!fragment.body.contains("<html"));
    assert_eq!(shown(&fragment.body), "qty=3 name=Cy orders=1");
}

#[tokio::test]
async fn the_explorer_sorts_its_orders_on_the_server_from_the_query() {
    let running = start(StoreKind::Memory);
    let session = Session::new(&running.app);
    let page = session.get("/explorer?orders.sort=revenue&orders.desc=1").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("aria-sort=\"descending\""));
    assert!(page.body.contains("<title>Sales explorer</title>"));
    let cells: Vec<f64> =
        page.body.split("<td class=\"rn-num\">").skip(1).filter_map(|c| c.split('<').next()?.parse().ok()).collect();
    // Columns: units, unit_price, revenue per row; revenue is every third number.
    let revenue: Vec<f64> = cells.chunks(3).map(|c| c[2]).collect();
    assert_eq!(revenue.len(), 12);
    assert!(revenue.windows(2).all(|w| w[0] >= w[1]), "{revenue:?}");
    assert!(page.body.contains("<svg class=\"rn-chart rn-chart-line\""));
}

#[tokio::test]
async fn text_in_the_new_elements_is_escaped() {
    let running = start_with("tests/fixtures", StoreKind::Memory);
    let page = Session::new(&running.app).get("/xss_blocks").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("rn-script-error"), "the fixture runs without an error");
    assert!(page.body.contains("<title>&#60;/title&#62;&#60;script&#62;alert(5)&#60;/script&#62;</title>"));
    for raw in ["<script>alert", "<img src=x", "<svg onload", "<iframe", "<th onclick"] {
        assert!(!page.body.contains(raw), "{raw} reached the page unescaped");
    }
}
