//! The authenticator with Redis: several instances share logins and logouts, and a Redis
//! outage fails closed (no login, and a logout that still ends the session for good).

use std::time::{Duration, Instant};

use crate::StoreKind;
use crate::auth::logged_in_session;
use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FORM, MEMBERS};
use crate::client::Session;
use crate::outage::signal;
use crate::support::ADMIN;

async fn replay_shows(base: &str, cookie: &str) -> String {
    Session::replay(base, "/members", cookie).await.body
}

/// An app on Redis, a second instance on the same Redis, and a session logged in on the first.
async fn two_instances_and_a_login() -> (AuthApp, crate::support::TestApp, Session) {
    let app = AuthApp::start(StoreKind::Redis);
    let other = app.second_instance();
    let session = logged_in_session(&app, ADMIN).await;
    (app, other, session)
}

#[tokio::test]
async fn two_instances_sharing_redis_see_a_login_and_a_logout_made_on_either() {
    let (app, other, mut session) = two_instances_and_a_login().await;
    let cookie = session.cookie_header();
    assert!(replay_shows(&other.address, &cookie).await.contains(LOGGED_IN), "no sticky sessions needed");
    session.logout(MEMBERS).await;
    assert!(replay_shows(&other.address, &cookie).await.contains(LOGIN_FORM));
    assert!(replay_shows(&other.address, &session.cookie_header()).await.contains(LOGIN_FORM));

    // And the other way round: logged in through the first, logged out through the second.
    session.login(MEMBERS, ADMIN).await;
    let mut on_other = Session::with_jar(&other.address, session.jar.clone());
    on_other.csrf = session.csrf.clone();
    let cookie = session.cookie_header();
    assert!(on_other.logout(MEMBERS).await.body.contains(LOGIN_FORM));
    assert!(replay_shows(&app.app.address, &cookie).await.contains(LOGIN_FORM));
}

#[tokio::test]
async fn a_login_while_redis_is_down_is_a_clear_503_with_no_cookie() {
    let mut app = AuthApp::start(StoreKind::Redis);
    let mut session = Session::new(&app.app);
    session.open("/members").await;
    app.redis.as_mut().unwrap().stop();
    let answer = session.login(MEMBERS, ADMIN).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(answer.body.contains("unavailable"), "{}", answer.body);
    assert!(!answer.headers.contains_key("set-cookie"), "no cookie that could grant access");
    app.redis.as_mut().unwrap().restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while session.get("/members").await.status != 200 {
        assert!(Instant::now() < deadline, "the host did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(session.get("/members").await.body.contains(LOGIN_FORM));
}

#[tokio::test]
async fn a_logout_while_redis_is_down_clears_the_cookie_and_the_session_never_works_again() {
    let (app, other, session) = two_instances_and_a_login().await;
    let cookie = session.cookie_header();
    // Paused, not killed: everything stored survives the outage, the login included.
    let pid = app.redis.as_ref().unwrap().pid().to_string();
    signal(&pid, "STOP");
    let mut plain = Session::with_jar(&app.app.address, session.jar.clone());
    plain.csrf = session.csrf.clone();
    let form = serde_urlencoded::to_string([("csrf", session.csrf.as_str())]).unwrap();
    let answer = plain.post_to("/members/auth/logout", form.into_bytes(), false).await;
    signal(&pid, "CONT");
    assert_eq!(answer.status, 503);
    assert!(answer.body.contains("could not confirm the logout"), "{}", answer.body);
    let removal = answer.headers["set-cookie"].to_str().unwrap();
    assert!(removal.starts_with("runnel_session=;") && removal.contains("Max-Age=0"), "{removal}");
    let left = session.cookie_header();
    assert!(
        !left.contains("runnel_session"),
        "the browser's session cookie is gone (the visitor cookie may stay): {left}"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    while Session::new(&app.app).get("/members").await.status != 200 {
        assert!(Instant::now() < deadline, "the host did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The instance that took the logout never accepts the old session again...
    assert!(replay_shows(&app.app.address, &cookie).await.contains(LOGIN_FORM));
    // ...and it ends it in the store within its retry interval, for every instance.
    let deadline = Instant::now() + Duration::from_secs(3);
    while !replay_shows(&other.address, &cookie).await.contains(LOGIN_FORM) {
        assert!(Instant::now() < deadline, "the logout was not confirmed in the store");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(replay_shows(&other.address, &cookie).await.contains(LOGIN_FORM), "and it stays ended");
    assert!(replay_shows(&app.app.address, &cookie).await.contains(LOGIN_FORM));
}
