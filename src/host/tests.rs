//! The host without HTTP: page loads, events, retries, login and logout through
//! [`PlainSession`], on the in-memory store.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::auth::{Auth, AuthSettings, Credentials};
use crate::config::{LockTiming, ScriptLimits, StoreSettings};
use crate::script::{CompiledScript, PageName};
use crate::session_state::AuthAction;
use crate::session_store::PlainSession;

const COUNTER: &str = r#"
if !("count" in state) { state.count = 0; }
if button("Increment") { state.count += 1; }
metric("Count", state.count);
"#;

const MEMBERS: &str = r#"
let auth = authenticator();
let user = auth.login();
if user == () { stop(); }
state.secret = `notes of ${user.username}`;
auth.logout();
text(`Hello, ${user.name}`);
"#;

fn host_with(pages: &[(&str, &str)], auth: Option<Auth>, store: Store) -> Host {
    let runner = Runner::new(ScriptLimits::default());
    let scripts = pages
        .iter()
        .map(|(name, source)| CompiledScript::from_source(runner.engine(), PageName::parse(name).unwrap(), source));
    let registry = Arc::new(Registry::from_scripts(scripts.collect()));
    Host { registry, runner, store, auth }
}

fn memory_store() -> Store {
    Store::from_settings(&StoreSettings::Memory, Duration::from_secs(600), LockTiming::default()).unwrap()
}

fn counter_host() -> Host {
    host_with(&[("counter", COUNTER)], None, memory_store())
}

/// A host serving the members page with the sample credentials (copied: the host may write).
fn members_host() -> (Host, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "runnel-host-{}-{}",
        std::process::id(),
        crate::session_store::random_token()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("credentials.yaml");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/credentials.yaml"), &path).unwrap();
    let store = memory_store();
    let auth = Auth::new(Arc::new(Credentials::open(&path).unwrap()), store.clone(), AuthSettings::default());
    (host_with(&[("members", MEMBERS)], Some(auth), store), dir)
}

fn visit<'a>(page: &'a str, session: &'a PlainSession) -> Visit<'a> {
    Visit { page, session, query: Query::new(), delivery: Delivery::Fragment }
}

fn click(session: &PlainSession, id: Option<&str>) -> EventPost {
    let event = Event {
        widget: "button:Increment".into(),
        values: vec!["true".into()],
        id: id.map(str::to_owned),
        ..Event::default()
    };
    EventPost { csrf: session.csrf(), event }
}

/// The state the page showed after an answer.
fn shown(answer: Answer) -> Box<Shown> {
    match answer {
        Answer::Run(shown) => shown,
        _ => panic!("a fragment delivery answers with a run"),
    }
}

fn count(answer: Answer) -> serde_json::Value {
    shown(answer).output.data.state["count"].clone()
}

async fn open(host: &Host, page: &str, session: &PlainSession) -> Box<Shown> {
    shown(host.show_page(visit(page, session)).await.unwrap())
}

#[tokio::test]
async fn a_click_through_the_host_is_applied_and_persisted() {
    let host = counter_host();
    let session = PlainSession::new();
    open(&host, "counter", &session).await;
    let answer = host.apply_event(visit("counter", &session), click(&session, None)).await.unwrap();
    assert_eq!(count(answer), 1);
    let stored = host.store.load(&session.sid().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.state["count"], 1);
}

#[tokio::test]
async fn a_retried_event_is_applied_once() {
    let host = counter_host();
    let session = PlainSession::new();
    open(&host, "counter", &session).await;
    for _ in 0..3 {
        let retry = click(&session, Some("a1b2c3d4e5f6"));
        assert_eq!(count(host.apply_event(visit("counter", &session), retry).await.unwrap()), 1);
    }
    let next = click(&session, Some("0f9e8d7c6b5a"));
    assert_eq!(count(host.apply_event(visit("counter", &session), next).await.unwrap()), 2);
}

#[tokio::test]
async fn an_event_without_the_sessions_csrf_token_changes_nothing() {
    let host = counter_host();
    let session = PlainSession::new();
    open(&host, "counter", &session).await;
    let forged = EventPost { csrf: Some("not-the-token".into()), ..click(&session, None) };
    assert!(matches!(host.apply_event(visit("counter", &session), forged).await, Err(AppError::Csrf)));
    let stored = host.store.load(&session.sid().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.state["count"], 0);
}

#[tokio::test]
async fn an_unknown_page_is_not_found() {
    let host = counter_host();
    let session = PlainSession::new();
    assert!(matches!(host.show_page(visit("nowhere", &session)).await, Err(AppError::PageNotFound)));
}

fn form(session: &PlainSession, action: AuthAction, fields: &[(&str, &str)]) -> AuthPost {
    let mut fields: HashMap<String, String> = fields.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    fields.insert("csrf".into(), session.csrf().unwrap_or_default());
    AuthPost { action, fields, client: IpAddr::from([127, 0, 0, 1]) }
}

#[tokio::test]
async fn a_logout_through_the_host_ends_the_login_for_every_copy_of_the_session() {
    let (host, dir) = members_host();
    let browser = PlainSession::new();
    open(&host, "members", &browser).await;
    let login = form(&browser, AuthAction::Login, &[("username", "jsmith"), ("password", "runnel-demo-1")]);
    let answer = shown(host.auth_post(visit("members", &browser), login).await.unwrap());
    assert_eq!(answer.output.data.state["secret"], "notes of jsmith");
    let old_tab = browser.same_browser();
    let old_sid = browser.sid().unwrap();

    let logout = form(&browser, AuthAction::Logout, &[]);
    let answer = shown(host.auth_post(visit("members", &browser), logout).await.unwrap());
    assert!(answer.output.data.state.get("authentication_status").is_none(), "the rerun ran logged out");
    assert_ne!(browser.sid().unwrap(), old_sid, "the logout gave the session a new id");
    assert!(host.store.load(&old_sid).await.unwrap().is_none(), "the old id's data is gone");
    for session in [&browser, &old_tab] {
        let page = open(&host, "members", session).await;
        assert!(page.output.data.state.get("username").is_none(), "{:?}", page.output.data.state);
    }
    let _ = std::fs::remove_dir_all(dir);
}
