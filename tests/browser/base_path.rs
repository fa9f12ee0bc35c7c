//! A dashboard served under `--base-path /apps/sales`, clicked through in real Chromium: its
//! assets, clicks, live updates (the EventSource) and page links all work under the prefix.

use runnel::base_path::BasePath;

use crate::support::chromium::Browser;
use crate::support::{ScriptDir, TestApp};
use crate::{WAIT, wait_for_runnel};

fn counter(version: &str) -> String {
    format!(
        "title(\"{version}\");\nif !(\"count\" in state) {{ state.count = 0; }}\n\
         if button(\"Increment\") {{ state.count += 1; }}\nmetric(\"Count\", state.count);\npage_link(\"other\");"
    )
}

#[test]
fn a_page_under_a_base_path_loads_clicks_updates_live_and_links_under_it() {
    let dir = ScriptDir::with(&[("counter.rhai", &counter("v1")), ("other.rhai", "title(\"Other page\");")]);
    let mut settings = dir.settings(true);
    settings.web.base_path = BasePath::parse("/apps/sales").unwrap();
    let app = TestApp::spawn(settings);
    let browser = Browser::launch();
    let page = browser.new_page();
    page.watch_csp_violations();
    page.watch_network();

    page.navigate(&app.url("/apps/sales/counter"));
    wait_for_runnel(&page);
    // The page's EventSource listens under the prefix.
    page.wait_for_request("GET", "/apps/sales/_live/counter", WAIT);
    for count in 1..=2 {
        page.click("form[data-widget='button:Increment'] button");
        let js = format!("document.querySelector('.rn-metric-value')?.textContent.trim() === '{count}'");
        page.wait_until(&js, WAIT);
    }
    // A save reruns the open page through that stream.
    dir.save("counter.rhai", &counter("v2"));
    page.wait_until("document.querySelector('h1.rn-title')?.textContent.trim() === 'v2'", WAIT);
    page.wait_until("document.querySelector('.rn-metric-value')?.textContent.trim() === '2'", WAIT);

    page.click("a.rn-page-link");
    page.wait_until("document.querySelector('h1.rn-title')?.textContent.trim() === 'Other page'", WAIT);
    assert!(page.url().ends_with("/apps/sales/other"), "{}", page.url());
    assert_eq!(page.csp_violations(), Vec::<String>::new());
}
