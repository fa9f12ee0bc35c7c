//! Data frames over HTTP: the sales explorer filters its frame by the sidebar's widgets and
//! offers it as downloads, and a frame error shows at its line while the page keeps working.

use base64::Engine as _;

use crate::client::{Session, start, start_with};
use crate::{StoreKind, both_stores};

both_stores!(
    the_explorer_filters_its_frame_when_a_sidebar_widget_changes,
    a_frame_error_shows_at_its_line_and_the_elements_before_it_stay,
);

/// The "N of M orders shown" text of the explorer's progress bar.
fn orders_shown(html: &str) -> (usize, usize) {
    let marker = "rn-progress-text\">";
    let start = html.find(marker).expect("the explorer's progress text") + marker.len();
    let text = html[start..].split(" orders shown").next().unwrap();
    let (shown, all) = text.split_once(" of ").unwrap();
    (shown.parse().unwrap(), all.parse().unwrap())
}

async fn the_explorer_filters_its_frame_when_a_sidebar_widget_changes(kind: StoreKind) {
    let running = start(kind);
    let mut session = Session::new(&running.app);
    let page = session.open("/explorer").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("rn-script-error"), "the explorer runs without an error");
    let (shown, all) = orders_shown(&page.body);
    assert_eq!((shown, all), (all, 359), "every order is shown at first");
    let online = session.send("explorer", "radio:Channel", &["1"]).await;
    assert_eq!(online.status, 200);
    let (online_shown, _) = orders_shown(&online.body);
    let retail = session.send("explorer", "radio:Channel", &["2"]).await;
    let (retail_shown, _) = orders_shown(&retail.body);
    assert!(online_shown > 0 && retail_shown > 0);
    assert_eq!(online_shown + retail_shown, 359, "online and retail orders split all orders");
}

#[tokio::test]
async fn the_explorer_offers_its_frames_as_csv_json_and_parquet() {
    let running = start(StoreKind::Memory);
    let page = Session::new(&running.app).get("/explorer").await;
    let href = |name: &str| {
        let at = page.body.find(&format!("download=\"{name}\"")).unwrap_or_else(|| panic!("no {name} link"));
        let tag_start = page.body[..at].rfind("<a").unwrap();
        let tag = &page.body[tag_start..];
        let href = tag.split("href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        href.replace("&#x2F;", "/").replace("&#43;", "+").replace("&#61;", "=")
    };
    let decode = |href: String| {
        let (head, data) = href.split_once(";base64,").unwrap();
        (head.to_owned(), base64::engine::general_purpose::STANDARD.decode(data).unwrap())
    };
    let (head, parquet) = decode(href("monthly.parquet"));
    assert_eq!(head, "data:application/vnd.apache.parquet");
    assert_eq!(&parquet[..4], b"PAR1", "a Parquet file starts with its magic bytes");
    let (head, json) = decode(href("monthly.json"));
    assert_eq!(head, "data:application/json;charset=utf-8");
    let months: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(months.as_array().unwrap().len(), 12);
    assert_eq!(months[0]["month"], "2024-01");
    let (_, csv) = decode(href("orders.csv"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("date,month,region,product,channel,units,unit_price,revenue\n"), "{}", &csv[..80]);
    assert_eq!(csv.lines().count(), 360, "a header and every order");
}

async fn a_frame_error_shows_at_its_line_and_the_elements_before_it_stay(kind: StoreKind) {
    let running = start_with("tests/fixtures", kind);
    let page = Session::new(&running.app).get("/frame_error").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Frames before the error"));
    assert!(page.body.contains("<td>Bergen</td>"), "the table drawn before the error stays");
    assert!(page.body.contains("rn-script-error"));
    assert!(page.body.contains("there is no file &#34;no_such_file.csv&#34;"), "{}", page.body);
    assert!(page.body.contains("Error in frame_error.rhai, line 4"), "the error names its line");
    assert!(!page.body.contains("never drawn"));
    assert!(!page.body.contains("/work/") && !page.body.contains("tests/fixtures"), "no server path is shown");
    let other = Session::new(&running.app).get("/order_form").await;
    assert_eq!(other.status, 200, "the host goes on serving other pages");
}
