//! The authenticator's form options: `key` lets two forms of one action share a page, each
//! answering only its own posts; `clear_on_submit` decides whether what was typed (never a
//! password) is shown again after a post.

use crate::auth_support::AuthApp;
use crate::client::Session;
use crate::support::{CredentialsFile, ScriptDir, VIEWER};
use crate::{StoreKind, both_stores};

both_stores!(
    two_keyed_recovery_forms_on_one_page_each_answer_their_own_post,
    clear_on_submit_decides_whether_typed_fields_come_back,
);

const TWO_FORMS: &str = r#"
let auth = authenticator();
let a = auth.forgot_password(#{ key: "first", clear_on_submit: false });
if a != () { text(`first form got ${a.username}.`); }
let b = auth.forgot_password(#{ key: "second" });
if b != () { text(`second form got ${b.username}.`); }
"#;

fn start(kind: StoreKind) -> AuthApp {
    let scripts = ScriptDir::with(&[("forms.rhai", TWO_FORMS)]);
    AuthApp::build(kind, CredentialsFile::sample(), Some(scripts), |_| {})
}

async fn post(session: &mut Session, key: &str, username: &str) -> crate::client::Answer {
    session.auth("forms", "forgot_password", &[("form_key", key), ("username", username)]).await
}

async fn two_keyed_recovery_forms_on_one_page_each_answer_their_own_post(kind: StoreKind) {
    let app = start(kind);
    let mut session = Session::new(&app.app);
    let page = session.open("/forms").await;
    assert_eq!(page.status, 200, "two keyed forms draw without an error: {}", page.body);
    assert!(page.body.contains(r#"name="form_key" value="first""#) && page.body.contains(r#"value="second""#));
    let first = post(&mut session, "first", VIEWER.0).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains(&format!("first form got {}.", VIEWER.0)));
    assert!(!first.body.contains("second form got"), "the other form did not answer");
    let second = post(&mut session, "second", VIEWER.0).await;
    assert!(second.body.contains(&format!("second form got {}.", VIEWER.0)) && !second.body.contains("first form got"));
    let unknown = post(&mut session, "third", VIEWER.0).await;
    assert_eq!(unknown.status, 404, "a key no form was drawn with is refused");
}

async fn clear_on_submit_decides_whether_typed_fields_come_back(kind: StoreKind) {
    let app = start(kind);
    let mut session = Session::new(&app.app);
    session.open("/forms").await;
    let typed = "someone-typed-this";
    let kept = post(&mut session, "first", typed).await;
    assert!(kept.body.contains(&format!(r#"value="{typed}""#)), "the first form keeps what was typed");
    let cleared = post(&mut session, "second", typed).await;
    assert!(!cleared.body.contains(&format!(r#"value="{typed}""#)), "by default a form is emptied after a post");
}
