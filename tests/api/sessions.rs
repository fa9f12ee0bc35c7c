//! Sessions a user and an admin can see and end (issue 9, point 7): `auth.sessions()` lists the
//! viewer's live sessions (client address, User-Agent, the current one marked; never the login
//! token), `auth.end_session(id)` ends one of the viewer's own, `auth.end_sessions(username)`
//! (admins only) ends every session of a user, and `runnel sessions end USER` does the same from
//! the command line against a running deployment.

use std::process::Command;
use std::time::Duration;

use runnel::clock::Clock;

use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FORM, MEMBERS};
use crate::both_stores;
use crate::client::Session;
use crate::support::{self, ADMIN, CredentialsFile, ScriptDir, StoreKind, TestApp, VIEWER};

both_stores!(
    a_user_sees_each_live_session_with_its_client_and_user_agent_newest_first_and_the_current_one_marked,
    ending_one_of_my_sessions_logs_that_browser_out_and_no_other,
    an_id_of_another_users_session_or_an_unknown_id_changes_nothing_and_says_so,
    ending_the_current_session_is_a_logout,
    a_session_that_logged_out_disappears_from_the_list,
    a_session_past_its_idle_or_absolute_timeout_disappears_from_the_list,
    only_an_admin_may_end_all_sessions_of_a_user,
    the_configured_admin_role_decides_who_may_end_all_sessions,
    an_admin_ends_every_session_and_remember_me_token_of_a_user,
    an_admin_who_ends_their_own_sessions_is_logged_out_too,
    a_remembered_return_is_a_new_session_and_ending_it_ends_its_rotated_remember_token,
    the_example_page_ends_another_browser_with_its_end_button_and_an_admin_ends_a_user,
);

const PAGE: &str = "sessions";

/// A page that lists the viewer's sessions, one line each, and ends one or all of a user's.
const SESSIONS_PAGE: &str = r#"
title("Sessions");
let auth = authenticator();
let user = auth.login(#{ fields: #{ "Form name": "Members login" } });
if user == () { stop(); }
text(`Hello, ${user.name}`);
for s in auth.sessions() {
    text(`session|${s.id}|${s.client}|${s.current}|${s.created}|${s.last_seen}|${s.user_agent}|`);
}
let target = text_input("Session", #{ key: "target" });
if button("End one") {
    auth.end_session(target);
    success(`ended ${target}`);
}
let who = text_input("User", #{ key: "who" });
if button("End all") {
    let n = auth.end_sessions(who);
    success(`ended ${n} sessions of ${who}`);
}
"#;

/// One line of the list as the page shows it.
#[derive(Debug, Clone, PartialEq)]
struct Listed {
    id: String,
    client: String,
    current: bool,
    created: u64,
    user_agent: String,
}

fn listed(html: &str) -> Vec<Listed> {
    html.split("session|")
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('|').collect();
            Listed {
                id: fields[0].to_owned(),
                client: fields[1].to_owned(),
                current: fields[2] == "true",
                created: fields[3].parse().unwrap(),
                user_agent: fields[5].to_owned(),
            }
        })
        .collect()
}

fn sessions_app(kind: StoreKind) -> AuthApp {
    AuthApp::build(kind, CredentialsFile::sample(), Some(ScriptDir::with(&[("sessions.rhai", SESSIONS_PAGE)])), |_| {})
}

/// A browser named `agent` in which `user` logged in on the sessions page.
async fn logged_in(app: &TestApp, user: (&str, &str), agent: &str) -> Session {
    let mut session = Session::with_user_agent(&app.address, agent);
    session.open(&format!("/{PAGE}")).await;
    let answer = session.login(PAGE, user).await;
    assert!(answer.body.contains("Hello, "), "logged in: {}", answer.body);
    session
}

/// The sessions the page lists for this browser's user now.
async fn sessions_seen_by(session: &Session) -> Vec<Listed> {
    let page = session.get(&format!("/{PAGE}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    listed(&page.body)
}

async fn is_logged_in(session: &Session) -> bool {
    let page = session.get(&format!("/{PAGE}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body.contains("Hello, ")
}

/// Types `value` into the text input `key` and clicks `button`, as the page's script does.
async fn submit(session: &Session, key: &str, value: &str, button: &str) -> String {
    submit_on(session, PAGE, key, value, button).await
}

async fn submit_on(session: &Session, page: &str, key: &str, value: &str, button: &str) -> String {
    let typed = session.send(page, &format!("text_input:key:{key}"), &[value]).await;
    assert_eq!(typed.status, 200, "{}", typed.body);
    session.click(page, &format!("button:{button}")).await.body
}

async fn a_user_sees_each_live_session_with_its_client_and_user_agent_newest_first_and_the_current_one_marked(
    kind: StoreKind,
) {
    let app = sessions_app(kind);
    let laptop = logged_in(&app.app, ADMIN, "Laptop Browser/1.0").await;
    let phone = logged_in(&app.app, ADMIN, "Phone Browser/2.0").await;
    let _someone_else = logged_in(&app.app, VIEWER, "Other Browser/3.0").await;
    let seen = sessions_seen_by(&phone).await;
    let agents: Vec<&str> = seen.iter().map(|s| s.user_agent.as_str()).collect();
    assert_eq!(agents, ["Phone Browser/2.0", "Laptop Browser/1.0"], "only jsmith's, newest first");
    assert!(seen[0].current && !seen[1].current, "the phone's own session is marked: {seen:?}");
    assert!(seen[0].created >= seen[1].created);
    assert!(seen.iter().all(|s| s.client == "127.0.0.1"), "{seen:?}");
    assert_ne!(seen[0].id, seen[1].id);
    let from_laptop = sessions_seen_by(&laptop).await;
    assert!(from_laptop[1].current && !from_laptop[0].current, "the laptop sees its own marked: {from_laptop:?}");
    // The ids are public names, not the secrets behind the cookies.
    let cookies = format!("{} {}", laptop.cookie_header(), phone.cookie_header());
    assert!(seen.iter().all(|s| s.id.len() >= 16 && !cookies.contains(&s.id)), "{seen:?}");
}

async fn ending_one_of_my_sessions_logs_that_browser_out_and_no_other(kind: StoreKind) {
    let app = sessions_app(kind);
    let laptop = logged_in(&app.app, ADMIN, "Laptop").await;
    let phone = logged_in(&app.app, ADMIN, "Phone").await;
    let tablet = logged_in(&app.app, ADMIN, "Tablet").await;
    let laptop_id = sessions_seen_by(&phone).await.into_iter().find(|s| s.user_agent == "Laptop").unwrap().id;
    let answer = submit(&phone, "target", &laptop_id, "End one").await;
    assert!(answer.contains(&format!("ended {laptop_id}")), "{answer}");
    assert!(!is_logged_in(&laptop).await, "the ended browser is logged out");
    // Its remember-me cookie does not bring it back either.
    assert!(!is_logged_in(&laptop.reopened()).await, "nor remembered");
    assert!(is_logged_in(&phone).await && is_logged_in(&tablet).await, "the others stay logged in");
    let agents: Vec<String> = sessions_seen_by(&phone).await.into_iter().map(|s| s.user_agent).collect();
    assert_eq!(agents, ["Tablet", "Phone"]);
}

async fn an_id_of_another_users_session_or_an_unknown_id_changes_nothing_and_says_so(kind: StoreKind) {
    let app = sessions_app(kind);
    let mine = logged_in(&app.app, ADMIN, "Mine").await;
    let theirs = logged_in(&app.app, VIEWER, "Theirs").await;
    let their_id = sessions_seen_by(&theirs).await[0].id.clone();
    for id in [their_id.as_str(), "no-such-session"] {
        let answer = submit(&mine, "target", id, "End one").await;
        assert!(answer.contains("none of your live sessions has the id"), "{answer}");
        assert!(!answer.contains(&format!("ended {id}")), "{answer}");
    }
    assert!(is_logged_in(&theirs).await, "the other user's session lives on");
    assert!(is_logged_in(&mine).await);
    assert_eq!(sessions_seen_by(&theirs).await.len(), 1);
}

async fn ending_the_current_session_is_a_logout(kind: StoreKind) {
    let app = sessions_app(kind);
    let laptop = logged_in(&app.app, ADMIN, "Laptop").await;
    let phone = logged_in(&app.app, ADMIN, "Phone").await;
    let captured = phone.cookie_header();
    let own_id = sessions_seen_by(&phone).await.into_iter().find(|s| s.current).unwrap().id;
    let answer = submit(&phone, "target", &own_id, "End one").await;
    assert!(answer.contains(LOGIN_FORM) && !answer.contains("Hello, "), "logged out: {answer}");
    assert!(!is_logged_in(&phone).await, "the next request too");
    let replay = Session::replay(&app.app.address, &format!("/{PAGE}"), &captured).await;
    assert!(!replay.body.contains("Hello, "), "the old cookie is dead");
    assert!(!is_logged_in(&phone.reopened()).await, "and its remember-me cookie");
    assert!(is_logged_in(&laptop).await, "the other session lives on");
    assert_eq!(sessions_seen_by(&laptop).await.len(), 1);
}

async fn a_session_that_logged_out_disappears_from_the_list(kind: StoreKind) {
    let app = sessions_app(kind);
    let mut laptop = logged_in(&app.app, ADMIN, "Laptop").await;
    let phone = logged_in(&app.app, ADMIN, "Phone").await;
    assert_eq!(sessions_seen_by(&phone).await.len(), 2);
    laptop.logout(PAGE).await;
    let agents: Vec<String> = sessions_seen_by(&phone).await.into_iter().map(|s| s.user_agent).collect();
    assert_eq!(agents, ["Phone"]);
}

/// Idle timeout 120 s, absolute timeout 300 s, on a clock the test moves; remember-me off (it
/// would log a timed-out browser in again as a new session).
async fn a_session_past_its_idle_or_absolute_timeout_disappears_from_the_list(kind: StoreKind) {
    let clock = Clock::manual();
    let scripts = Some(ScriptDir::with(&[("sessions.rhai", SESSIONS_PAGE)]));
    let app = AuthApp::build(kind, CredentialsFile::with_expiry_days(0), scripts, |s| {
        s.auth.idle_timeout = Duration::from_secs(120);
        s.auth.absolute_timeout = Some(Duration::from_secs(300));
        s.auth.clock = clock.clone();
    });
    let _idle = logged_in(&app.app, ADMIN, "Idle").await;
    clock.advance(Duration::from_secs(100));
    let active = logged_in(&app.app, ADMIN, "Active").await;
    clock.advance(Duration::from_secs(50));
    let agents = |list: Vec<Listed>| list.into_iter().map(|s| s.user_agent).collect::<Vec<_>>();
    assert_eq!(agents(sessions_seen_by(&active).await), ["Active"], "150 s unused: past the idle timeout");
    for _ in 0..2 {
        clock.advance(Duration::from_secs(100));
        assert!(is_logged_in(&active).await);
    }
    let fresh = logged_in(&app.app, ADMIN, "Fresh").await;
    assert_eq!(agents(sessions_seen_by(&fresh).await), ["Fresh", "Active"]);
    clock.advance(Duration::from_secs(60));
    assert_eq!(agents(sessions_seen_by(&fresh).await), ["Fresh"], "310 s after its login: past the absolute timeout");
}

async fn only_an_admin_may_end_all_sessions_of_a_user(kind: StoreKind) {
    let app = sessions_app(kind);
    let admin = logged_in(&app.app, ADMIN, "Admin").await;
    let viewer = logged_in(&app.app, VIEWER, "Viewer").await;
    let answer = submit(&viewer, "who", ADMIN.0, "End all").await;
    assert!(answer.contains("auth.end_sessions() is for admins: it needs the role"), "{answer}");
    assert!(is_logged_in(&admin).await, "nothing was ended");
    // An unknown user is refused clearly too.
    let answer = submit(&admin, "who", "nobody", "End all").await;
    assert!(answer.contains("there is no user"), "{answer}");
    assert!(is_logged_in(&viewer).await);
}

async fn the_configured_admin_role_decides_who_may_end_all_sessions(kind: StoreKind) {
    let scripts = Some(ScriptDir::with(&[("sessions.rhai", SESSIONS_PAGE)]));
    let app = AuthApp::build(kind, CredentialsFile::sample(), scripts, |s| s.auth.admin_role = "viewer".into());
    let admin = logged_in(&app.app, ADMIN, "Admin").await;
    let viewer = logged_in(&app.app, VIEWER, "Viewer").await;
    // rbriggs has the role "viewer", which this deployment made the admin role.
    let answer = submit(&viewer, "who", ADMIN.0, "End all").await;
    assert!(answer.contains(&format!("ended 1 sessions of {}", ADMIN.0)), "{answer}");
    assert!(!is_logged_in(&admin).await);
    let app = AuthApp::build(
        kind,
        CredentialsFile::sample(),
        Some(ScriptDir::with(&[("sessions.rhai", SESSIONS_PAGE)])),
        |s| s.auth.admin_role = "owner".into(),
    );
    let admin = logged_in(&app.app, ADMIN, "Admin").await;
    let answer = submit(&admin, "who", VIEWER.0, "End all").await;
    assert!(answer.contains("it needs the role &#34;owner&#34;"), "the role admin no longer suffices: {answer}");
}

async fn an_admin_ends_every_session_and_remember_me_token_of_a_user(kind: StoreKind) {
    let app = sessions_app(kind);
    let admin = logged_in(&app.app, ADMIN, "Admin").await;
    let laptop = logged_in(&app.app, VIEWER, "Laptop").await;
    let phone = logged_in(&app.app, VIEWER, "Phone").await;
    let answer = submit(&admin, "who", VIEWER.0, "End all").await;
    assert!(answer.contains(&format!("ended 2 sessions of {}", VIEWER.0)), "{answer}");
    for browser in [&laptop, &phone] {
        assert!(!is_logged_in(browser).await, "logged out");
        assert!(!is_logged_in(&browser.reopened()).await, "and not remembered");
    }
    assert!(is_logged_in(&admin).await, "the admin's own session lives on");
    // The user can log in again afterwards.
    assert!(is_logged_in(&logged_in(&app.app, VIEWER, "Fresh").await).await);
}

/// The session ids of the example page's "End" buttons, in the order of the list.
fn end_buttons(html: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for part in html.split("button:key:end_").skip(1) {
        let id: String = part.chars().take_while(char::is_ascii_alphanumeric).collect();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

async fn the_example_page_ends_another_browser_with_its_end_button_and_an_admin_ends_a_user(kind: StoreKind) {
    let app = AuthApp::start(kind); // the repo's scripts: scripts/07_sessions.rhai
    let login = |agent: &'static str, user: (&'static str, &'static str)| {
        let address = app.app.address.clone();
        async move {
            let mut browser = Session::with_user_agent(&address, agent);
            browser.open("/sessions").await;
            assert!(browser.login("sessions", user).await.body.contains("Where you are logged in"));
            browser
        }
    };
    let laptop = login("Laptop", ADMIN).await;
    let phone = login("Phone", ADMIN).await;
    let viewer = login("Viewer", VIEWER).await;
    let page = phone.get("/sessions").await.body;
    assert!(
        page.contains("Phone (this browser) · 127.0.0.1 · since ") && page.contains("Laptop · 127.0.0.1"),
        "{page}"
    );
    let ids = end_buttons(&page);
    assert_eq!(ids.len(), 2, "one button per session: {ids:?}");
    let answer = phone.click("sessions", &format!("button:key:end_{}", ids[1])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(!answer.body.contains("Laptop · "), "the ended session left the list: {}", answer.body);
    assert!(!laptop.get("/sessions").await.body.contains("Where you are logged in"), "the laptop is logged out");
    let answer = submit_on(&phone, "sessions", "who", VIEWER.0, "End all their sessions").await;
    assert!(answer.contains(&format!("Ended 1 sessions of {}.", VIEWER.0)), "{answer}");
    assert!(!viewer.get("/sessions").await.body.contains("Where you are logged in"), "the viewer is logged out");
    assert!(phone.get("/sessions").await.body.contains("Where you are logged in"));
}

async fn an_admin_who_ends_their_own_sessions_is_logged_out_too(kind: StoreKind) {
    let app = sessions_app(kind);
    let here = logged_in(&app.app, ADMIN, "Here").await;
    let there = logged_in(&app.app, ADMIN, "There").await;
    let answer = submit(&here, "who", ADMIN.0, "End all").await;
    assert!(answer.contains(LOGIN_FORM) && !answer.contains("Hello, "), "logged out at once: {answer}");
    assert!(!is_logged_in(&here).await && !is_logged_in(&there).await);
}

async fn a_remembered_return_is_a_new_session_and_ending_it_ends_its_rotated_remember_token(kind: StoreKind) {
    let app = sessions_app(kind);
    let laptop = logged_in(&app.app, ADMIN, "Laptop").await;
    let phone = logged_in(&app.app, ADMIN, "Phone").await;
    // The laptop's browser closed and opened again: its remember-me cookie logs it in anew.
    let returned = laptop.reopened();
    assert!(is_logged_in(&returned).await, "remembered");
    let seen = sessions_seen_by(&phone).await;
    assert_eq!(seen.len(), 3, "the return is a session of its own: {seen:?}");
    let id = seen[0].id.clone();
    assert_eq!(seen[0].user_agent, "runnel-tests", "the newest is the return: {seen:?}");
    submit(&phone, "target", &id, "End one").await;
    assert!(!is_logged_in(&returned).await, "the returned browser is logged out");
    assert!(!is_logged_in(&returned.reopened()).await, "and its rotated remember-me token is ended");
    assert!(is_logged_in(&laptop).await, "the laptop's first session was not this one");
}

#[tokio::test]
async fn a_run_asks_the_host_at_most_sixteen_times_and_then_gets_a_clear_error() {
    const MANY: &str = r#"
let auth = authenticator();
let user = auth.login();
if user == () { stop(); }
text(`Hello, ${user.name}`);
if button("Try many") {
    let answers = [];
    for i in 0..20 {
        try { auth.end_session(`unknown-${i}`); } catch (err) { answers.push(`${err}`); }
    }
    text(`answers: ${answers.len()}; last: ${answers[19]}`);
}
"#;
    let scripts = Some(ScriptDir::with(&[("sessions.rhai", MANY)]));
    let app = AuthApp::build(StoreKind::Memory, CredentialsFile::sample(), scripts, |_| {});
    let browser = logged_in(&app.app, ADMIN, "Browser").await;
    let answer = browser.click(PAGE, "button:Try many").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("answers: 20; last: "), "{}", answer.body);
    assert!(answer.body.contains("at most 16 times per interaction"), "{}", answer.body);
    assert!(is_logged_in(&browser).await);
}

#[tokio::test]
async fn an_end_of_all_sessions_on_one_instance_is_seen_on_another_sharing_redis() {
    let app = sessions_app(StoreKind::Redis);
    let scripts = ScriptDir::with(&[("sessions.rhai", SESSIONS_PAGE)]);
    let mut settings = support::auth_settings(&scripts.path, &app.credentials, StoreKind::Redis, app.redis.as_ref());
    settings.watch = false;
    let other = TestApp::spawn(settings);
    let admin = logged_in(&app.app, ADMIN, "Admin").await;
    let there = logged_in(&other, VIEWER, "There").await;
    let here = logged_in(&app.app, VIEWER, "Here").await;
    assert_eq!(sessions_seen_by(&there).await.len(), 2, "both instances list the same sessions");
    let answer = submit(&admin, "who", VIEWER.0, "End all").await;
    assert!(answer.contains("ended 2 sessions"), "{answer}");
    assert!(!is_logged_in(&there).await, "logged out on the other instance at once");
    assert!(!is_logged_in(&here).await);
}

fn runnel(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runnel")).args(args).env_remove("RUNNEL_REDIS_URL").output().unwrap()
}

/// Runs `runnel sessions end USER` against `app` and awaits (bounded) the app's reload of the
/// revocation file it wrote.
async fn end_from_the_command_line(app: &AuthApp, user: &str, extra: &[&str]) {
    let revocations = app.app.revocations.clone().expect("the authenticator is on");
    let mut reloads = revocations.reloads();
    let credentials = app.credentials.path.to_str().unwrap();
    let mut args = vec!["sessions", "end", user, "--credentials", credentials];
    args.extend_from_slice(extra);
    let out = runnel(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    assert!(stdout.starts_with(&format!("ended every session of {user}: recorded in ")), "{stdout}");
    let reloaded = async {
        while !revocations.snapshot().valid_after.contains_key(user) {
            reloads.recv().await.expect("the watcher reports reloads");
        }
    };
    tokio::time::timeout(Duration::from_secs(10), reloaded).await.expect("the server reads the record");
}

#[tokio::test]
async fn the_command_line_ends_a_users_sessions_on_a_running_server_and_no_one_elses() {
    let app = AuthApp::start(StoreKind::Memory);
    let mut target = Session::new(&app.app);
    target.open(&format!("/{MEMBERS}")).await;
    assert!(target.login(MEMBERS, ADMIN).await.body.contains(LOGGED_IN));
    let mut other = Session::new(&app.app);
    other.open(&format!("/{MEMBERS}")).await;
    assert!(other.login(MEMBERS, VIEWER).await.body.contains("Hello, "));
    end_from_the_command_line(&app, ADMIN.0, &[]).await;
    let page = target.get(&format!("/{MEMBERS}")).await;
    assert!(page.body.contains(LOGIN_FORM) && !page.body.contains("Hello, "), "logged out: {}", page.body);
    let remembered = target.reopened().get(&format!("/{MEMBERS}")).await;
    assert!(!remembered.body.contains("Hello, "), "not remembered either");
    assert!(other.get(&format!("/{MEMBERS}")).await.body.contains("Hello, "), "another user stays logged in");
}

#[tokio::test]
async fn the_command_line_and_the_server_keep_each_others_revocations_in_the_file() {
    let app = AuthApp::start(StoreKind::Memory);
    let record = app.app.revocations.clone().expect("the authenticator is on").path().to_owned();
    let on_disk = || -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap() };
    let logout = || async {
        let mut viewer = Session::new(&app.app);
        viewer.open(&format!("/{MEMBERS}")).await;
        viewer.login(MEMBERS, VIEWER).await;
        viewer.logout(MEMBERS).await;
    };
    let entries = |file: &serde_json::Value| file["logins"].as_object().map_or(0, |logins| logins.len());
    logout().await; // the server writes a logout's login token and remember series (hashed)
    let per_logout = entries(&on_disk());
    assert!(per_logout > 0);
    end_from_the_command_line(&app, ADMIN.0, &[]).await;
    let file = on_disk();
    assert_eq!(entries(&file), per_logout, "the command kept the server's entries: {file}");
    logout().await; // the server writes again
    let file = on_disk();
    assert!(file["valid_after"].get(ADMIN.0).is_some(), "the server kept the command's entry: {file}");
    assert_eq!(entries(&file), 2 * per_logout, "{file}");
}

#[tokio::test]
async fn the_command_line_with_a_redis_url_ends_the_sessions_in_redis_too() {
    let app = AuthApp::start(StoreKind::Redis);
    let mut target = Session::new(&app.app);
    target.open(&format!("/{MEMBERS}")).await;
    assert!(target.login(MEMBERS, ADMIN).await.body.contains(LOGGED_IN));
    let url = app.redis.as_ref().unwrap().url();
    end_from_the_command_line(&app, ADMIN.0, &["--redis-url", &url]).await;
    assert!(target.get(&format!("/{MEMBERS}")).await.body.contains(LOGIN_FORM));
}

#[test]
fn the_command_line_fails_clearly_on_a_bad_file_a_bad_url_or_an_unknown_user() {
    let credentials = CredentialsFile::sample();
    let path = credentials.path.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["sessions", "end", "jsmith", "--credentials", "/nonexistent/credentials.yaml"], "credentials.yaml"),
        (&["sessions", "end", "jsmith", "--credentials", path, "--redis-url", "redis://127.0.0.1:1/"], "Redis"),
        (&["sessions", "end", "nobody", "--credentials", path], "no user \"nobody\""),
        (&["sessions", "end", "jsmith", "--credentials", path, "--revocations", "/nonexistent/r.json"], "folder"),
    ];
    for (args, expected) in cases {
        let out = runnel(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} must fail");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let record = runnel::auth::Revocations::beside(&credentials.path);
    assert!(!record.exists(), "a failed command writes nothing");
}
