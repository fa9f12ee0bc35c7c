//! A person behind the shipped nginx configuration (`deploy/nginx/runnel.conf`) in front of
//! three hosts that share a private Redis, under a base path, in real headless Chromium: log in,
//! count visits, log out, reload: still logged out. nginx spreads the requests over the hosts
//! (`tests/api/proxy.rs` proves that from the hosts' logs).

use runnel::base_path::BasePath;

use crate::auth::{COUNT_VISIT, LOGOUT_BUTTON, log_in, open, wait_for, wait_for_login_form};
use crate::support::chromium::Browser;
use crate::support::nginx::Nginx;
use crate::support::{self, ADMIN, CredentialsFile, RedisServer, StoreKind, TestApp};

const PREFIX: &str = "/apps/sales";
const CLICKS: usize = 6;

/// nginx over three hosts over one Redis; every host has the same session key, trusts nginx's
/// forwarded headers and serves under the prefix.
struct Deployment {
    nginx: Nginx,
    hosts: Vec<TestApp>,
    _credentials: CredentialsFile,
    _redis: RedisServer,
}

impl Deployment {
    fn start() -> Self {
        let redis = RedisServer::start();
        let credentials = CredentialsFile::sample();
        let hosts: Vec<TestApp> = (0..3)
            .map(|_| {
                let scripts = support::repo_path("scripts");
                let mut settings = support::auth_settings(&scripts, &credentials, StoreKind::Redis, Some(&redis));
                settings.session_key = Some(vec![7u8; 64]);
                settings.web.base_path = BasePath::parse(PREFIX).expect("a valid prefix");
                settings.web.trusted_proxies = vec!["127.0.0.1/32".parse().expect("an address")];
                TestApp::spawn(settings)
            })
            .collect();
        let ports: Vec<u16> = hosts.iter().map(|host| port_of(&host.url("/"))).collect();
        let nginx = Nginx::start(&ports).unwrap_or_else(|e| panic!("{e}"));
        Self { nginx, hosts, _credentials: credentials, _redis: redis }
    }

    fn members(&self) -> String {
        self.nginx.url(&format!("{PREFIX}/members"))
    }
}

fn port_of(url: &str) -> u16 {
    let authority = url.trim_start_matches("http://").split('/').next().expect("an authority");
    authority.rsplit(':').next().and_then(|port| port.parse().ok()).expect("a port")
}

#[test]
fn through_nginx_over_three_hosts_a_login_counts_every_click_and_a_logout_holds_on_reload() {
    let deployment = Deployment::start();
    assert_eq!(deployment.hosts.len(), 3);
    let browser = Browser::launch();
    let page = browser.new_page();
    open(&page, &deployment.members());
    log_in(&page, ADMIN);

    for n in 1..=CLICKS {
        page.click(COUNT_VISIT);
        let shown = format!("document.querySelector('.rn-metric-value')?.textContent.trim() === '{n}'");
        wait_for(&page, &format!("{n} visits"), &shown);
    }

    page.click(LOGOUT_BUTTON);
    wait_for_login_form(&page);
    for _ in 0..3 {
        page.reload();
        crate::wait_for_runnel(&page);
        wait_for_login_form(&page);
    }
    open(&page, &deployment.members());
    wait_for_login_form(&page);
    assert!(page.url().starts_with(&deployment.nginx.url(PREFIX)), "the page left the prefix: {}", page.url());
    // The hello of a logged-in page never comes back.
    let hello = page.eval("document.getElementById('runnel-root').textContent.includes('Hello, John Smith')");
    assert_eq!(hello, serde_json::json!(false), "the page shows the logged-in user after logout");
}
