//! `file_uploader` in real Chromium: a viewer chooses a CSV on the page, the page's script
//! sends it as multipart form data, and the table the script makes of it appears; Clear
//! removes it again.

use crate::support::{self, StoreKind};
use crate::{WAIT, js_string, wait_for_runnel};

const INPUT: &str = "form[data-widget='file_uploader:Data'] input[type=file]";

#[test]
fn a_viewer_uploads_a_csv_and_sees_the_table_the_page_makes_of_it() {
    let app = support::TestApp::spawn(support::settings("tests/fixtures/uploads", StoreKind::Memory, None));
    let browser = support::chromium::Browser::launch();
    let page = browser.new_page();
    page.watch_csp_violations();
    page.navigate(&app.url("/uploads"));
    wait_for_runnel(&page);
    page.wait_until("document.body.textContent.includes('data: none')", WAIT);

    // What the file picker does: put a file on the input and fire `change`.
    let choose = format!(
        "(() => {{ const input = document.querySelector({}); const dt = new DataTransfer(); \
         dt.items.add(new File([{}], 'cities.csv', {{ type: 'text/csv' }})); input.files = dt.files; \
         input.dispatchEvent(new Event('change', {{ bubbles: true }})); }})()",
        js_string(INPUT),
        js_string("city,units\nBergen,3\nOslo,5\n")
    );
    page.eval(&choose);
    page.wait_until("[...document.querySelectorAll('td')].some(td => td.textContent === 'Bergen')", WAIT);
    assert!(page.text("body").contains("data: cities.csv 27 text/csv"));
    assert!(page.text(".rn-files").contains("cities.csv"), "the uploader lists its file");

    page.click("form[data-widget='file_uploader:Data'] button[value=clear]");
    page.wait_until("document.body.textContent.includes('data: none')", WAIT);
    assert_eq!(page.eval("document.querySelectorAll('td').length"), serde_json::json!(0), "the table is gone");
    assert_eq!(page.csp_violations(), Vec::<String>::new());
}
