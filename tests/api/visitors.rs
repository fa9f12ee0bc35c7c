//! A visitor who only looks stores nothing, on both stores: no session record, no session
//! cookie, no key in Redis. The first click (or a run that writes `state`) starts the session,
//! and one client address can start only so many sessions a minute.

use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FORM, MEMBERS};
use crate::client::{Answer, Session};
use crate::support::{self, ADMIN, RedisServer, ScriptDir};
use crate::{StoreKind, TestApp, both_stores};

both_stores!(
    looking_at_pages_stores_nothing_and_sets_no_session_cookie,
    the_first_click_starts_the_session_and_the_next_ones_count,
    a_run_that_writes_state_keeps_it_from_the_first_view,
    a_post_without_the_visitors_token_is_refused_and_stores_nothing,
    a_client_that_starts_too_many_sessions_is_told_to_wait_and_others_are_not,
    looking_at_the_login_page_stores_nothing_and_logging_in_from_it_works,
    a_refused_first_event_leaves_the_next_one_working,
);

/// A page with widgets that writes `state` only when its button is pressed.
const LOOK_PAGE: &str = r#"
let level = slider("Level", 0, 10);
if button("Add") { state.clicks = state.get("clicks", 0) + 1; }
text(`look: level=${level} clicks=${state.get("clicks", 0)}`);
"#;

/// A page that counts its views in `state`.
const VISITS_PAGE: &str = r#"
state.visits = state.get("visits", 0) + 1;
text(`visits=${state.visits}`);
"#;

struct Visited {
    app: TestApp,
    _redis: Option<RedisServer>,
    _scripts: ScriptDir,
}

fn serve(kind: StoreKind, per_minute: Option<u32>) -> Visited {
    let scripts = ScriptDir::with(&[("look.rhai", LOOK_PAGE), ("visits.rhai", VISITS_PAGE)]);
    let redis = (kind == StoreKind::Redis).then(RedisServer::start);
    let mut settings = support::settings(scripts.path.to_str().unwrap(), kind, redis.as_ref());
    if let Some(per_minute) = per_minute {
        settings.web.new_sessions_per_minute = per_minute;
        settings.web.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    }
    Visited { app: TestApp::spawn(settings), _redis: redis, _scripts: scripts }
}

/// The names of the cookies an answer sets.
fn cookies_set(answer: &Answer) -> Vec<String> {
    let values = answer.headers.get_all("set-cookie").iter();
    values.filter_map(|v| v.to_str().ok()?.split('=').next().map(str::to_owned)).collect()
}

fn summary(answer: &Answer) -> &str {
    let start = answer.body.find("look: ").expect("the page's summary line") + "look: ".len();
    answer.body[start..].split('<').next().unwrap_or_default()
}

async fn looking_at_pages_stores_nothing_and_sets_no_session_cookie(kind: StoreKind) {
    let served = serve(kind, None);
    let mut visitor = Session::new(&served.app);
    let first = visitor.open("/look").await;
    assert_eq!(first.status, 200);
    assert_eq!(cookies_set(&first), ["runnel_visitor"], "only the visitor cookie is given");
    for _ in 0..3 {
        let again = visitor.open("/look").await;
        assert_eq!(summary(&again), "level=0 clicks=0");
        assert!(cookies_set(&again).is_empty(), "nothing more is set: {:?}", cookies_set(&again));
    }
    let strangers = [Session::new(&served.app), Session::new(&served.app)];
    for stranger in &strangers {
        assert_eq!(stranger.get("/look").await.status, 200);
    }
    assert_eq!(served.app.store.entry_count().await.unwrap(), 0, "the store holds nothing");
}

async fn the_first_click_starts_the_session_and_the_next_ones_count(kind: StoreKind) {
    let served = serve(kind, None);
    let mut visitor = Session::new(&served.app);
    visitor.open("/look").await;
    visitor.send("look", "slider:Level", &["4"]).await;
    let first = visitor.click("look", "button:Add").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(summary(&first), "level=4 clicks=1");
    assert!(served.app.store.entry_count().await.unwrap() > 0, "the session is stored now");
    assert_eq!(summary(&visitor.click("look", "button:Add").await), "level=4 clicks=2");
    assert_eq!(summary(&visitor.open("/look").await), "level=4 clicks=2", "a reload shows the session");
}

async fn a_run_that_writes_state_keeps_it_from_the_first_view(kind: StoreKind) {
    let served = serve(kind, None);
    let mut visitor = Session::new(&served.app);
    let first = visitor.open("/visits").await;
    assert!(first.body.contains("visits=1"), "{}", first.body);
    assert!(cookies_set(&first).contains(&"runnel_session".to_owned()), "{:?}", cookies_set(&first));
    assert!(visitor.open("/visits").await.body.contains("visits=2"));
}

async fn a_post_without_the_visitors_token_is_refused_and_stores_nothing(kind: StoreKind) {
    let served = serve(kind, None);
    let mut visitor = Session::new(&served.app);
    visitor.open("/look").await;
    let mut forger = Session::new(&served.app);
    forger.csrf = visitor.csrf.clone();
    assert_eq!(forger.click("look", "button:Add").await.status, 403, "another browser's token is refused");
    visitor.csrf = "0".repeat(64);
    assert_eq!(visitor.click("look", "button:Add").await.status, 403, "a made-up token is refused");
    assert_eq!(served.app.store.entry_count().await.unwrap(), 0);
}

async fn a_client_that_starts_too_many_sessions_is_told_to_wait_and_others_are_not(kind: StoreKind) {
    let served = serve(kind, Some(3));
    let from = |address: &'static str| [("x-forwarded-for", address)];
    for _ in 0..3 {
        let mut visitor = Session::new(&served.app);
        visitor.open("/look").await;
        assert_eq!(visitor.click_with_headers("look", "button:Add", &from("10.1.1.1")).await.status, 200);
    }
    let stored = served.app.store.entry_count().await.unwrap();
    let mut one_more = Session::new(&served.app);
    one_more.open("/look").await;
    let refused = one_more.click_with_headers("look", "button:Add", &from("10.1.1.1")).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.body.contains("Too many new sessions"), "{}", refused.body);
    let wait: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    assert_eq!(served.app.store.entry_count().await.unwrap(), stored, "nothing was stored for it");
    let elsewhere = one_more.click_with_headers("look", "button:Add", &from("10.2.2.2")).await;
    assert_eq!(elsewhere.status, 200, "another address is not affected: {}", elsewhere.body);
}

async fn looking_at_the_login_page_stores_nothing_and_logging_in_from_it_works(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut visitor = Session::new(&app.app);
    for _ in 0..2 {
        assert!(visitor.open(&format!("/{MEMBERS}")).await.body.contains(LOGIN_FORM));
    }
    assert_eq!(app.app.store.entry_count().await.unwrap(), 0, "the login form stores nothing");
    let login = visitor.login(MEMBERS, ADMIN).await;
    assert!(login.body.contains(LOGGED_IN), "{}", login.body);
    assert!(visitor.get(&format!("/{MEMBERS}")).await.body.contains(LOGGED_IN));
}

async fn a_refused_first_event_leaves_the_next_one_working(kind: StoreKind) {
    let served = serve(kind, None);
    let mut visitor = Session::new(&served.app);
    visitor.open("/look").await;
    let refused = visitor.send("look", "slider:Level", &["11"]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let next = visitor.send("look", "slider:Level", &["3"]).await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(summary(&next), "level=3 clicks=0");
}
