//! Rotation, on both stores: a change to the account (password, details) moves the session to
//! a new id and CSRF token and kills the old cookie; remember-me is a cookie of its own, a
//! series whose token rotates on each use, ends with a logout, is capped in time, and whose
//! stolen old token ends every series of the user.

use std::time::Duration;

use runnel::clock::Clock;

use crate::auth::logged_in_session;
use crate::auth_support::{AuthApp, LOGGED_IN, LOGIN_FORM, MEMBERS};
use crate::client::Session;
use crate::support::{ADMIN, CredentialsFile, VIEWER};
use crate::{StoreKind, both_stores};

both_stores!(
    a_password_change_gives_a_new_session_id_and_csrf_token_and_the_old_cookie_is_dead,
    a_details_update_gives_a_new_session_id_and_csrf_token_and_the_old_cookie_is_dead,
    a_role_change_in_the_file_gives_the_next_page_a_new_session_id_and_csrf_token,
    the_session_cookie_ends_with_the_browser_and_remember_me_is_a_cookie_of_its_own,
    a_remembered_browser_comes_back_logged_in_under_a_new_session_and_a_rotated_token,
    a_rotated_remember_token_used_again_ends_every_series_and_login_of_the_user,
    a_remember_token_lives_at_most_the_capped_days,
    a_logout_ends_the_remember_series_and_logout_everywhere_ends_all_of_them,
    a_password_change_ends_the_other_browsers_remember_series,
);

const PAGE: &str = "/members";

async fn page(session: &Session) -> String {
    session.get(PAGE).await.body
}

fn new_password() -> [(&'static str, &'static str); 3] {
    [("password", ADMIN.1), ("new_password", "brand new pass"), ("new_password_repeat", "brand new pass")]
}

async fn a_password_change_gives_a_new_session_id_and_csrf_token_and_the_old_cookie_is_dead(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = logged_in_session(&app, ADMIN).await;
    session.click(MEMBERS, "button:Count a visit").await;
    let (cookie_before, csrf_before) = (session.cookie_header(), session.csrf.clone());
    let answer = session.auth(MEMBERS, "reset_password", &new_password()).await;
    assert!(answer.body.contains("Your password was changed."), "{}", answer.body);
    assert_ne!(session.cookie_header(), cookie_before, "a new session key");
    assert_ne!(session.csrf, csrf_before, "a new CSRF token");
    let old = Session::replay(&app.app.address, PAGE, &cookie_before).await;
    assert!(old.body.contains(LOGIN_FORM) && !old.body.contains(LOGGED_IN), "the old cookie is anonymous");
    assert_eq!(session.count_on(PAGE).await, "1", "the new session keeps the state");
    assert!(session.click(MEMBERS, "button:Count a visit").await.body.contains(LOGGED_IN), "the new token works");
}

async fn a_details_update_gives_a_new_session_id_and_csrf_token_and_the_old_cookie_is_dead(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = logged_in_session(&app, VIEWER).await;
    let (cookie_before, csrf_before) = (session.cookie_header(), session.csrf.clone());
    let details = [("first_name", "Becky"), ("last_name", "Briggs"), ("email", "becky@example.com")];
    session.auth(MEMBERS, "update_user_details", &details).await;
    assert_ne!(session.cookie_header(), cookie_before, "a new session key");
    assert_ne!(session.csrf, csrf_before, "a new CSRF token");
    let old = Session::replay(&app.app.address, PAGE, &cookie_before).await;
    assert!(old.body.contains(LOGIN_FORM) && !old.body.contains("Hello, "), "the old cookie is anonymous");
    assert!(page(&session).await.contains("Hello, Becky Briggs"));
}

async fn a_role_change_in_the_file_gives_the_next_page_a_new_session_id_and_csrf_token(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut session = logged_in_session(&app, VIEWER).await;
    session.click(MEMBERS, "button:Count a visit").await;
    assert!(!page(&session).await.contains("Only admins see this"));
    let (cookie_before, csrf_before) = (session.cookie_header(), session.csrf.clone());
    let text = app.credentials.text();
    let start = text.find("    rbriggs:").unwrap();
    let promoted = format!("{}{}", &text[..start], text[start..].replacen("      - viewer", "      - admin", 1));
    app.edit_credentials(&promoted).await;
    let answer = session.open(PAGE).await;
    assert!(answer.body.contains("Only admins see this"), "the new role is seen: {}", answer.body);
    assert_ne!(session.cookie_header(), cookie_before, "a new session key");
    assert_ne!(session.csrf, csrf_before, "a new CSRF token");
    assert_eq!(session.count_on(PAGE).await, "1", "the state moved with the session");
    let old = Session::replay(&app.app.address, PAGE, &cookie_before).await;
    assert!(old.body.contains(LOGIN_FORM) && !old.body.contains("Hello, "), "the old cookie is anonymous");
    assert!(session.click(MEMBERS, "button:Count a visit").await.body.contains("Only admins see this"));
}

async fn the_session_cookie_ends_with_the_browser_and_remember_me_is_a_cookie_of_its_own(kind: StoreKind) {
    for (days, max_age) in [(30, Some("Max-Age=2592000")), (0, None)] {
        let app = AuthApp::build(kind, CredentialsFile::with_expiry_days(days), None, |_| {});
        let mut session = Session::new(&app.app);
        session.open(PAGE).await;
        let answer = session.login(MEMBERS, ADMIN).await;
        let cookies: Vec<&str> = answer.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
        let session_cookie = cookies.iter().find(|c| c.starts_with("runnel_session=")).unwrap();
        assert!(!session_cookie.contains("Max-Age") && !session_cookie.contains("Expires"), "{session_cookie}");
        let remember = cookies.iter().find(|c| c.starts_with("runnel_remember="));
        match max_age {
            Some(age) => {
                let remember = remember.unwrap_or_else(|| panic!("{days} days: a remember cookie in {cookies:?}"));
                assert!(remember.contains(age) && remember.contains("HttpOnly"), "{remember}");
            }
            None => assert!(remember.is_none(), "no remember cookie with 0 days: {cookies:?}"),
        }
    }
}

async fn a_remembered_browser_comes_back_logged_in_under_a_new_session_and_a_rotated_token(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let before = logged_in_session(&app, ADMIN).await;
    let token_before = before.remember_cookie().expect("a remember cookie");
    let mut reopened = before.reopened();
    assert!(reopened.open(PAGE).await.body.contains(LOGGED_IN), "the closed browser comes back logged in");
    let token_after = reopened.remember_cookie().expect("a rotated remember cookie");
    assert_ne!(token_after, token_before, "the token rotated");
    let series = |t: &str| t.split(':').next().unwrap().to_owned();
    assert_eq!(series(&token_after), series(&token_before), "in the same series");
    assert_ne!(reopened.cookie_header(), before.cookie_header(), "a new session");
    assert_ne!(reopened.csrf, before.csrf, "a new CSRF token");
    assert!(reopened.click(MEMBERS, "button:Count a visit").await.body.contains(LOGGED_IN), "its posts work");
    let again = reopened.reopened();
    assert!(page(&again).await.contains(LOGGED_IN), "the rotated token works in turn");
}

async fn a_rotated_remember_token_used_again_ends_every_series_and_login_of_the_user(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let laptop = logged_in_session(&app, ADMIN).await;
    let phone = logged_in_session(&app, ADMIN).await;
    let other_user = logged_in_session(&app, VIEWER).await;
    let stolen = laptop.remember_cookie().expect("a remember cookie");
    let owner = laptop.reopened();
    assert!(page(&owner).await.contains(LOGGED_IN), "the owner's return rotates the token");
    let thief = Session::with_remember_cookie(&app.app.address, &stolen);
    assert!(page(&thief).await.contains(LOGIN_FORM), "the old token logs nobody in");
    assert!(page(&owner).await.contains(LOGIN_FORM), "the owner's login ended too");
    assert!(page(&owner.reopened()).await.contains(LOGIN_FORM), "and the owner's rotated token");
    assert!(page(&phone.reopened()).await.contains(LOGIN_FORM), "every series of the user ended");
    assert!(page(&phone).await.contains(LOGIN_FORM), "every login of the user ended");
    assert!(page(&other_user.reopened()).await.contains("Hello, Rebecca Briggs"), "other users keep theirs");
}

async fn a_remember_token_lives_at_most_the_capped_days(kind: StoreKind) {
    let clock = Clock::manual();
    let app = AuthApp::build(kind, CredentialsFile::with_expiry_days(30), None, |s| {
        s.auth.remember_cap = Duration::from_secs(2 * 86_400);
        s.auth.clock = clock.clone();
    });
    let mut session = Session::new(&app.app);
    session.open(PAGE).await;
    let answer = session.login(MEMBERS, ADMIN).await;
    let cookies: Vec<&str> = answer.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    let remember = cookies.iter().find(|c| c.starts_with("runnel_remember=")).unwrap();
    assert!(remember.contains("Max-Age=172800"), "capped at 2 days, not 30: {remember}");
    let mut browser = session.reopened();
    // Used every 20 hours (each use ends the last login, within the idle timeout of a day):
    // the series still ends two days after it began.
    for _ in 0..2 {
        clock.advance(Duration::from_secs(20 * 3600));
        browser = browser.reopened();
        assert!(page(&browser).await.contains(LOGGED_IN), "within the cap");
    }
    clock.advance(Duration::from_secs(9 * 3600));
    assert!(page(&browser.reopened()).await.contains(LOGIN_FORM), "past the cap");
}

async fn a_logout_ends_the_remember_series_and_logout_everywhere_ends_all_of_them(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut laptop = logged_in_session(&app, ADMIN).await;
    let phone = logged_in_session(&app, ADMIN).await;
    let copy = laptop.remember_cookie().expect("a remember cookie");
    let answer = laptop.logout(MEMBERS).await;
    let cleared =
        answer.headers.get_all("set-cookie").iter().any(|v| v.to_str().unwrap().starts_with("runnel_remember=;"));
    assert!(cleared, "the logout clears the remember cookie");
    assert!(laptop.remember_cookie().is_none());
    let replayed = Session::with_remember_cookie(&app.app.address, &copy);
    assert!(page(&replayed).await.contains(LOGIN_FORM), "the series ended with the logout");
    assert!(page(&phone.reopened()).await.contains(LOGGED_IN), "the other browser's series stays");
    let mut tablet = logged_in_session(&app, ADMIN).await;
    tablet.auth(MEMBERS, "logout_everywhere", &[]).await;
    assert!(page(&phone.reopened()).await.contains(LOGIN_FORM), "everywhere ends every series");
}

async fn a_password_change_ends_the_other_browsers_remember_series(kind: StoreKind) {
    let app = AuthApp::start(kind);
    let mut laptop = logged_in_session(&app, ADMIN).await;
    let phone = logged_in_session(&app, ADMIN).await;
    laptop.auth(MEMBERS, "reset_password", &new_password()).await;
    assert!(page(&phone.reopened()).await.contains(LOGIN_FORM), "the other browser's series ended");
    assert!(page(&laptop.reopened()).await.contains(LOGGED_IN), "this browser got a new series");
}
