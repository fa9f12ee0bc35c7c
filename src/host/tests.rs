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
use crate::session_state::{AUTH_KEYS, AuthAction, EventError};
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
    Host {
        registry,
        runner,
        store,
        auth,
        admission: super::Admission::new(1000),
        uploads: Default::default(),
        base_path: Default::default(),
        media_key: Default::default(),
    }
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
    let auth = Auth::new(Arc::new(Credentials::open(&path).unwrap()), store.clone(), AuthSettings::default()).unwrap();
    (host_with(&[("members", MEMBERS)], Some(auth), store), dir)
}

fn visit<'a>(page: &'a str, session: &'a PlainSession) -> Visit<'a> {
    let (client, user_agent) = ("127.0.0.1".to_owned(), "host-tests".to_owned());
    Visit { page, session, query: Query::new(), delivery: Delivery::Fragment, client, user_agent, live: None }
}

fn click(session: &PlainSession, id: Option<&str>) -> EventPost {
    let event = Event {
        widget: "button:Increment".into(),
        values: vec!["true".into()],
        id: id.map(str::to_owned),
        ..Event::default()
    };
    EventPost { csrf: session.csrf().or_else(|| session.visitor()), event }
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
    // The token the page showed: the session's, or a visitor's before the session starts.
    fields.insert("csrf".into(), session.csrf().or_else(|| session.visitor()).unwrap_or_default());
    AuthPost { action, key: None, fields, client: IpAddr::from([127, 0, 0, 1]) }
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

/// A desk that keeps `KEEP` across login and logout: a keyed theme, an unkeyed slider, a note a
/// logged-in user writes and one an anonymous visitor plants.
const DESK: &str = r#"
let keep = KEEP;
let auth = authenticator();
let theme = selectbox("Theme", ["light", "dark"], #{ key: "theme" });
let volume = slider("Volume", 0, 10);
let user = auth.login(#{ keep: keep });
if user == () {
    if button("Plant a note") { state.planted = "from before the login"; }
    stop();
}
if button("Write a note") { state.note = `private note of ${user.username}`; }
auth.logout(#{ keep: keep });
auth.logout_everywhere(#{ keep: keep });
"#;

const JSMITH: [(&str, &str); 2] = [("username", "jsmith"), ("password", "runnel-demo-1")];
const RBRIGGS: [(&str, &str); 2] = [("username", "rbriggs"), ("password", "runnel-demo-2")];

/// A host serving the desk page that keeps `keep` (a Rhai array).
fn desk_host(keep: &str) -> (Host, PathBuf) {
    let (members, dir) = members_host();
    let desk = DESK.replace("KEEP", keep);
    (host_with(&[("desk", &desk)], members.auth, members.store), dir)
}

fn widget_event(session: &PlainSession, widget: &str, value: &str) -> EventPost {
    let event = Event { widget: widget.into(), values: vec![value.into()], ..Event::default() };
    EventPost { csrf: session.csrf(), event }
}

/// Sends widget events to the desk, each checked to be applied.
async fn desk_events(host: &Host, session: &PlainSession, events: &[(&str, &str)]) -> Arc<SessionData> {
    let mut data = Arc::default();
    for (widget, value) in events {
        let answer = host.apply_event(visit("desk", session), widget_event(session, widget, value)).await;
        data = shown(answer.unwrap()).output.data;
    }
    data
}

async fn desk_auth(host: &Host, session: &PlainSession, action: AuthAction, fields: &[(&str, &str)]) -> Box<Shown> {
    shown(host.auth_post(visit("desk", session), form(session, action, fields)).await.unwrap())
}

fn volume(data: &SessionData) -> serde_json::Value {
    data.pages["desk"]["slider:Volume"].value.clone()
}

/// What a browser that never came before sees of the desk, logged in as `user` or not.
async fn first_visit(host: &Host, user: Option<&[(&str, &str)]>) -> Arc<SessionData> {
    let session = PlainSession::new();
    let page = open(host, "desk", &session).await;
    match user {
        Some(user) => desk_auth(host, &session, AuthAction::Login, user).await.output.data,
        None => page.output.data,
    }
}

#[tokio::test]
async fn a_logout_plain_or_everywhere_ends_the_state_map_and_every_widget_value() {
    let (host, dir) = desk_host("[]");
    for action in [AuthAction::Logout, AuthAction::LogoutEverywhere] {
        let browser = PlainSession::new();
        open(&host, "desk", &browser).await;
        desk_auth(&host, &browser, AuthAction::Login, &JSMITH).await;
        let events = [("button:Write a note", "true"), ("slider:Volume", "7"), ("selectbox:key:theme", "1")];
        let written = desk_events(&host, &browser, &events).await;
        assert_eq!(written.state["note"], "private note of jsmith");
        assert_eq!((volume(&written), written.state["theme"].clone()), (7.into(), "dark".into()));

        let answer = desk_auth(&host, &browser, action, &[]).await;
        let fresh = first_visit(&host, None).await;
        assert_eq!(answer.output.data, fresh, "the rerun after {action:?} draws the page as a first visit");
        let stored = host.store.load(&browser.sid().unwrap()).await.unwrap().unwrap_or_default();
        assert_eq!(stored, fresh, "and only that is stored under the new session id");
        assert_eq!(open(&host, "desk", &browser).await.output.data, fresh, "the next request starts empty");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_login_starts_from_an_empty_session_whatever_was_written_before_it() {
    let (host, dir) = desk_host("[]");
    let browser = PlainSession::new();
    open(&host, "desk", &browser).await;
    let events = [("button:Plant a note", "true"), ("slider:Volume", "3"), ("selectbox:key:theme", "1")];
    let planted = desk_events(&host, &browser, &events).await;
    assert_eq!(planted.state["planted"], "from before the login");

    let answer = desk_auth(&host, &browser, AuthAction::Login, &RBRIGGS).await;
    let clean = first_visit(&host, Some(&RBRIGGS)).await;
    assert_eq!(answer.output.data, clean, "the logged-in session equals one that never planted anything");
    assert_eq!(open(&host, "desk", &browser).await.output.data, clean);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn keep_keeps_exactly_the_named_state_keys_across_logout_and_login() {
    let (host, dir) = desk_host(r#"["theme", "note", "planted"]"#);
    let browser = PlainSession::new();
    open(&host, "desk", &browser).await;
    desk_auth(&host, &browser, AuthAction::Login, &JSMITH).await;
    let events = [("button:Write a note", "true"), ("slider:Volume", "7"), ("selectbox:key:theme", "1")];
    desk_events(&host, &browser, &events).await;

    let after_logout = desk_auth(&host, &browser, AuthAction::Logout, &[]).await.output.data;
    assert_eq!(after_logout.state["theme"], "dark", "a kept widget key keeps its widget's value");
    assert_eq!(after_logout.state["note"], "private note of jsmith");
    assert_eq!(volume(&after_logout), 0, "an unkept widget starts from its default");
    let names: Vec<&String> = after_logout.state.keys().collect();
    assert_eq!(names, ["note", "theme"], "nothing else survives");

    desk_events(&host, &browser, &[("button:Plant a note", "true"), ("slider:Volume", "4")]).await;
    let after_login = desk_auth(&host, &browser, AuthAction::Login, &RBRIGGS).await.output.data;
    assert_eq!(after_login.state["planted"], "from before the login");
    assert_eq!(after_login.state["theme"], "dark");
    assert_eq!(volume(&after_login), 0);
    let names: Vec<&String> = after_login.state.keys().filter(|k| !AUTH_KEYS.contains(&k.as_str())).collect();
    assert_eq!(names, ["note", "planted", "theme"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_bad_keep_option_is_an_error_at_its_line() {
    let bad = [
        (r#""theme""#, "option `keep` must be an array of strings, not string"),
        (r#"["theme", 3]"#, "option `keep` must be an array of strings, not an array holding i64"),
        (r#"["username"]"#, "option `keep` cannot name \"username\": the auth keys always come from the login"),
    ];
    for (keep, message) in bad {
        let (host, dir) = desk_host(keep);
        let page = open(&host, "desk", &PlainSession::new()).await;
        let error = page.output.page.error.clone().expect("the run fails");
        assert_eq!(error.line, Some(6), "{error}");
        assert!(error.message.contains(message), "{keep}: {error}");
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test]
async fn a_reopened_browser_is_logged_in_again_by_its_remember_token_under_a_new_session() {
    let (host, dir) = members_host();
    let browser = PlainSession::new();
    open(&host, "members", &browser).await;
    host.auth_post(visit("members", &browser), form(&browser, AuthAction::Login, &JSMITH)).await.unwrap();
    let (old_sid, old_csrf, old_token) = (browser.sid(), browser.csrf(), browser.remember());
    assert!(old_token.is_some(), "expiry_days > 0 remembers the login");

    let reopened = browser.reopened();
    let page = open(&host, "members", &reopened).await;
    assert_eq!(page.output.data.state["username"], "jsmith");
    assert!(reopened.sid().is_some() && reopened.sid() != old_sid, "a new session id");
    assert!(reopened.csrf() != old_csrf, "a new CSRF token");
    assert!(reopened.remember().is_some() && reopened.remember() != old_token, "a rotated token");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_login_posted_from_a_drawing_this_session_never_saved_is_drawn_again_and_works() {
    let (host, dir) = members_host();
    // A session whose stored data holds no drawing of the page (a race with a logout, where
    // the page on screen was drawn for another session with the same CSRF token).
    let browser = PlainSession::new();
    browser.ensure_ids_with(None);
    let login = form(&browser, AuthAction::Login, &JSMITH);
    let answer = shown(host.auth_post(visit("members", &browser), login).await.unwrap());
    assert_eq!(answer.output.data.state["secret"], "notes of jsmith");
    // A form the page does not draw for this viewer is still refused.
    let stranger = PlainSession::new();
    stranger.ensure_ids_with(None);
    let register = form(&stranger, AuthAction::RegisterUser, &[("username", "eve")]);
    let refused = host.auth_post(visit("members", &stranger), register).await;
    assert!(matches!(refused, Err(AppError::BadEvent(EventError::UnknownWidget(_)))), "{:?}", refused.err());
    let _ = std::fs::remove_dir_all(dir);
}
