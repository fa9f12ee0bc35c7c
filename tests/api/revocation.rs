//! Revocation survives a store restore (issue 9, point 2): logouts, logout everywhere, password
//! changes and removed users stay in force when Redis is restored from a snapshot taken before
//! them, because they are also kept in the revocation file beside the credentials file.

use std::time::Duration;

use deadpool_redis::redis;

use crate::auth::logged_in_session;
use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FORM, MEMBERS};
use crate::both_stores;
use crate::client::Session;
use crate::support::{self, ADMIN, CredentialsFile, StoreKind, TestApp, VIEWER};

both_stores!(
    a_logout_and_a_logout_everywhere_are_written_to_the_revocation_file_without_the_token,
    a_logout_whose_revocation_file_cannot_be_written_still_logs_out,
);

/// Asks Redis to write its snapshot now (`SAVE`).
async fn snapshot(app: &AuthApp) {
    let redis = app.redis.as_ref().expect("a Redis test");
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("SAVE").query_async::<()>(&mut conn).await.unwrap();
}

/// Kills Redis and starts it again from the last snapshot; returns once the host serves again.
async fn restore_snapshot(app: &mut AuthApp) {
    let redis = app.redis.as_mut().expect("a Redis test");
    redis.stop();
    redis.restart();
    let probe = Session::new(&app.app);
    // Bounded: the host's pool reconnects by itself within a few tries.
    for _ in 0..100 {
        if probe.get("/readyz").await.status == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the host did not serve again after the restore");
}

/// What a fresh client replaying `cookie` sees: true when it is anonymous.
async fn replay_is_anonymous(app: &AuthApp, cookie: &str) -> bool {
    let page = Session::replay(&app.app.address, &format!("/{MEMBERS}"), cookie).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body.contains(LOGIN_FORM) && !page.body.contains("Hello, ")
}

#[tokio::test]
async fn a_logout_stays_in_force_after_redis_is_restored_from_a_snapshot_taken_before_it() {
    let mut app = AuthApp::with_redis_snapshots();
    let mut session = logged_in_session(&app, ADMIN).await;
    let captured = session.cookie_header();
    snapshot(&app).await;
    session.logout(MEMBERS).await;
    restore_snapshot(&mut app).await;
    assert!(replay_is_anonymous(&app, &captured).await, "the old cookie is anonymous after the restore");
    // A fresh login after the restore works as usual.
    let fresh = logged_in_session(&app, ADMIN).await;
    assert!(fresh.get(&format!("/{MEMBERS}")).await.body.contains(LOGGED_IN));
}

#[tokio::test]
async fn a_logout_everywhere_stays_in_force_after_a_restore_and_a_new_login_works() {
    let mut app = AuthApp::with_redis_snapshots();
    let mut laptop = logged_in_session(&app, ADMIN).await;
    let phone = logged_in_session(&app, ADMIN).await;
    let someone_else = logged_in_session(&app, VIEWER).await;
    let (laptop_cookie, phone_cookie) = (laptop.cookie_header(), phone.cookie_header());
    snapshot(&app).await;
    assert!(laptop.auth(MEMBERS, "logout_everywhere", &[]).await.body.contains(LOGIN_FORM));
    restore_snapshot(&mut app).await;
    assert!(replay_is_anonymous(&app, &laptop_cookie).await, "the laptop's old cookie");
    assert!(replay_is_anonymous(&app, &phone_cookie).await, "the phone's cookie");
    assert!(!replay_is_anonymous(&app, &someone_else.cookie_header()).await, "another user stays logged in");
    // The laptop's session after the logout was not in the snapshot: it reloads, then logs in.
    laptop.open(&format!("/{MEMBERS}")).await;
    let login = laptop.login(MEMBERS, ADMIN).await;
    assert!(login.body.contains(LOGGED_IN), "a new login works: {}", login.body);
    assert!(laptop.get(&format!("/{MEMBERS}")).await.body.contains(LOGGED_IN));
}

#[tokio::test]
async fn a_password_change_stays_in_force_after_a_restore() {
    let mut app = AuthApp::with_redis_snapshots();
    let mut laptop = logged_in_session(&app, ADMIN).await;
    let phone = logged_in_session(&app, ADMIN).await;
    let (laptop_cookie, phone_cookie) = (laptop.cookie_header(), phone.cookie_header());
    snapshot(&app).await;
    let change = [("password", ADMIN.1), ("new_password", "brand new pass"), ("new_password_repeat", "brand new pass")];
    assert!(laptop.auth(MEMBERS, "reset_password", &change).await.body.contains("Your password was changed."));
    restore_snapshot(&mut app).await;
    assert!(replay_is_anonymous(&app, &laptop_cookie).await, "the cookie from before the change");
    assert!(replay_is_anonymous(&app, &phone_cookie).await, "the other session");
    let mut fresh = Session::new(&app.app);
    fresh.open(&format!("/{MEMBERS}")).await;
    assert!(fresh.login(MEMBERS, ("jsmith", "brand new pass")).await.body.contains(LOGGED_IN));
}

#[tokio::test]
async fn a_removed_user_stays_logged_out_after_a_restore_even_when_put_back_with_the_same_password() {
    let mut app = AuthApp::with_redis_snapshots();
    let viewer = logged_in_session(&app, VIEWER).await;
    let cookie = viewer.cookie_header();
    snapshot(&app).await;
    let original = app.credentials.text();
    let (start, end) = (original.find("    rbriggs:").unwrap(), original.find("pre-authorized:").unwrap());
    app.edit_credentials(&format!("{}{}", &original[..start], &original[end..])).await;
    restore_snapshot(&mut app).await;
    assert!(replay_is_anonymous(&app, &cookie).await, "removed: anonymous");
    // The same user, same password hash, back in the file: the login from before stays over.
    app.edit_credentials(&original).await;
    assert!(replay_is_anonymous(&app, &cookie).await, "put back: still anonymous");
    assert!(!replay_is_anonymous(&app, &logged_in_session(&app, VIEWER).await.cookie_header()).await);
}

async fn a_logout_and_a_logout_everywhere_are_written_to_the_revocation_file_without_the_token(kind: StoreKind) {
    let app = AuthApp::build(kind, CredentialsFile::sample(), None, |_| {});
    let mut session = logged_in_session(&app, ADMIN).await;
    session.logout(MEMBERS).await;
    let record = revocation_file(&app);
    // The login's token and the browser's remember-me series (the sample remembers logins).
    assert_eq!(record["logins"].as_object().map(|m| m.len()), Some(2), "{record}");
    let mut other = logged_in_session(&app, VIEWER).await;
    other.auth(MEMBERS, "logout_everywhere", &[]).await;
    let record = revocation_file(&app);
    assert!(record["valid_after"]["rbriggs"].as_u64().is_some(), "{record}");
    assert!(logged_in_session(&app, VIEWER).await.get(&format!("/{MEMBERS}")).await.body.contains("Hello, "));
}

fn revocation_file(app: &AuthApp) -> serde_json::Value {
    let path = runnel::auth::Revocations::beside(&app.credentials.path);
    serde_json::from_str(&std::fs::read_to_string(path).expect("the revocation file is written")).unwrap()
}

async fn a_logout_whose_revocation_file_cannot_be_written_still_logs_out(kind: StoreKind) {
    let app = AuthApp::build(kind, CredentialsFile::sample(), None, |_| {});
    let mut session = logged_in_session(&app, ADMIN).await;
    let captured = session.cookie_header();
    // A folder where the file's lock file must go: every write of the record fails.
    let mut lock = runnel::auth::Revocations::beside(&app.credentials.path).into_os_string();
    lock.push(".lock");
    std::fs::create_dir_all(&lock).unwrap();
    let answer = session.logout(MEMBERS).await;
    assert_eq!(answer.status, 200, "the logout answers as usual: {}", answer.body);
    assert!(answer.body.contains(LOGIN_FORM) && !answer.body.contains(LOGGED_IN));
    assert!(replay_is_anonymous(&app, &captured).await);
    assert!(!runnel::auth::Revocations::beside(&app.credentials.path).exists(), "nothing was written");
}

#[tokio::test]
async fn a_logout_everywhere_reaches_an_instance_that_shares_only_the_credentials_folder() {
    // Two memory-store instances: nothing shared but the folder of the credentials file.
    let app = AuthApp::build(StoreKind::Memory, CredentialsFile::sample(), None, |_| {});
    let settings = support::auth_settings(&support::repo_path("scripts"), &app.credentials, StoreKind::Memory, None);
    logout_everywhere_reaches_the_other(&app, TestApp::spawn(settings)).await;
}

#[tokio::test]
async fn a_revocation_file_configured_in_a_folder_of_its_own_is_written_and_watched_there() {
    let folder = CredentialsFile::sample(); // a private folder, removed on drop
    let record = folder.path.with_file_name("revocations.json");
    let configured = |s: &mut runnel::config::Settings| s.auth.revocations = Some(record.clone());
    let app = AuthApp::build(StoreKind::Memory, CredentialsFile::sample(), None, configured);
    let mut settings =
        support::auth_settings(&support::repo_path("scripts"), &app.credentials, StoreKind::Memory, None);
    configured(&mut settings);
    logout_everywhere_reaches_the_other(&app, TestApp::spawn(settings)).await;
    assert!(std::fs::read_to_string(&record).unwrap().contains("jsmith"));
    assert!(!runnel::auth::Revocations::beside(&app.credentials.path).exists(), "nothing beside the credentials");
}

/// jsmith logs in on both; a logout everywhere on `app` logs him out on `other` once `other`'s
/// watcher has read the revocation record (awaited, bounded).
async fn logout_everywhere_reaches_the_other(app: &AuthApp, other: TestApp) {
    let mut here = logged_in_session(app, ADMIN).await;
    let mut there = Session::new(&other);
    there.open(&format!("/{MEMBERS}")).await;
    assert!(there.login(MEMBERS, ADMIN).await.body.contains(LOGGED_IN));
    let revocations = other.revocations.clone().expect("the authenticator is on");
    let mut reloads = revocations.reloads();
    here.auth(MEMBERS, "logout_everywhere", &[]).await;
    let reloaded = async {
        while !revocations.snapshot().valid_after.contains_key("jsmith") {
            reloads.recv().await.expect("the watcher reports reloads");
        }
    };
    tokio::time::timeout(Duration::from_secs(10), reloaded).await.expect("the other instance reloads the record");
    assert!(there.get(&format!("/{MEMBERS}")).await.body.contains(LOGIN_FORM), "logged out there too");
}
