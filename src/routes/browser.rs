//! The browser session of one HTTP request: the session record (actix-session), the identity
//! (actix-identity) and the session key the cookie carried, behind [`BrowserSession`].

use std::cell::RefCell;

use actix_identity::Identity;
use actix_session::Session;
use actix_web::{HttpMessage, HttpRequest};

use super::AppState;
use crate::session_store::{
    BrowserSession, RememberCookie, RememberGrant, TypedSession, VisitorCookie, session_key_of,
};

/// The remember-me cookie this request gives the browser (`None`: clear it); the
/// `remember_cookies` middleware writes it into the answer.
#[derive(Debug, Clone)]
pub struct RememberChange(pub Option<RememberGrant>);

/// The visitor token this request gives the browser; the `given_cookies` middleware writes it
/// into the answer.
#[derive(Debug, Clone)]
pub struct VisitorGiven(pub String);

pub struct HttpSession<'a> {
    req: &'a HttpRequest,
    session: TypedSession,
    identity: RefCell<Option<Identity>>,
    /// Who logged in during this request (the identity extractor only knows the request's).
    logged_in_now: RefCell<Option<Option<String>>>,
    key: Option<String>,
    remember_cookie: RememberCookie,
    visitor_cookie: VisitorCookie,
}

impl<'a> HttpSession<'a> {
    pub fn new(req: &'a HttpRequest, session: Session, identity: Option<Identity>, app: &AppState) -> Self {
        let key = session_key_of(req, &app.session_cookie, &app.cookie_key);
        Self {
            req,
            session: TypedSession::new(session),
            identity: RefCell::new(identity),
            logged_in_now: RefCell::default(),
            key,
            remember_cookie: app.remember_cookie.clone(),
            visitor_cookie: app.visitor_cookie.clone(),
        }
    }
}

impl BrowserSession for HttpSession<'_> {
    fn sid(&self) -> Option<String> {
        self.session.sid()
    }

    fn csrf(&self) -> Option<String> {
        self.session.csrf()
    }

    fn login_token(&self) -> Option<String> {
        self.session.login_token()
    }

    fn identity(&self) -> Option<String> {
        if let Some(now) = self.logged_in_now.borrow().as_ref() {
            return now.clone();
        }
        self.identity.borrow().as_ref().and_then(|i| i.id().ok())
    }

    fn cookie_key(&self) -> Option<String> {
        self.key.clone()
    }

    fn ensure_ids_with(&self, csrf: Option<String>) -> (String, String) {
        self.session.ensure_ids_with(csrf)
    }

    fn start_login(&self, username: &str, token: &str) -> Result<(), String> {
        let identity = Identity::login(&self.req.extensions(), username.to_owned()).map_err(|e| e.to_string())?;
        *self.identity.borrow_mut() = Some(identity);
        *self.logged_in_now.borrow_mut() = Some(Some(username.to_owned()));
        self.session.start_login(token);
        Ok(())
    }

    fn end_login(&self) -> String {
        if let Some(identity) = self.identity.borrow_mut().take() {
            identity.logout();
        }
        *self.logged_in_now.borrow_mut() = Some(None);
        self.session.end_login()
    }

    fn rotate_login(&self, token: &str) {
        // The identity's keys carry over a renewal; only the session key, ids and token change.
        self.session.start_login(token);
    }

    fn remember(&self) -> Option<String> {
        if let Some(RememberChange(grant)) = self.req.extensions().get::<RememberChange>() {
            return grant.as_ref().map(|g| g.value.clone());
        }
        self.req.cookie(self.remember_cookie.name()).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
    }

    fn set_remember(&self, grant: Option<RememberGrant>) {
        self.req.extensions_mut().insert(RememberChange(grant));
    }

    fn visitor(&self) -> Option<String> {
        if let Some(VisitorGiven(token)) = self.req.extensions().get::<VisitorGiven>() {
            return Some(token.clone());
        }
        self.req.cookie(self.visitor_cookie.name()).map(|c| c.value().to_owned()).filter(|v| is_token(v))
    }

    fn give_visitor(&self, token: &str) {
        self.req.extensions_mut().insert(VisitorGiven(token.to_owned()));
    }
}

/// Whether a cookie value can be a token this host made (a browser may send anything).
fn is_token(value: &str) -> bool {
    (16..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
