//! What one request knows and may change about its browser's session: the session id and CSRF
//! token in the session record, the login behind it, and the session key the cookie named.
//! The host works through [`BrowserSession`]; the HTTP side implements it over actix-session
//! and actix-identity, and [`PlainSession`] implements it in memory for tests without HTTP.

use std::cell::RefCell;

use subtle::ConstantTimeEq;

use super::random_token;

/// A remember-me cookie to give the browser: `series:token`, kept for `max_age`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberGrant {
    pub value: String,
    pub max_age: std::time::Duration,
}

pub trait BrowserSession {
    /// The session id, if this browser has a session already.
    fn sid(&self) -> Option<String>;
    fn csrf(&self) -> Option<String>;
    /// The session's login token (see `crate::auth::logins`); absent when nobody is logged in.
    fn login_token(&self) -> Option<String>;
    /// Who the identity cookie says is logged in (to be verified against the login token).
    fn identity(&self) -> Option<String>;
    /// The session key the request's cookie carried (it names the record in the store).
    fn cookie_key(&self) -> Option<String>;
    /// The session id and CSRF token; a session made now takes `csrf` when given.
    fn ensure_ids_with(&self, csrf: Option<String>) -> (String, String);
    /// After a login: a new session key, id and CSRF token, the identity and the login token.
    /// Nothing from before the login identifies this session.
    fn start_login(&self, username: &str, token: &str) -> Result<(), String>;
    /// After a logout: no identity, no login token, a new session key and id. The CSRF token
    /// stays, so the user's other tabs keep working, logged out.
    fn end_login(&self) -> String;
    /// Keeps the login and the session's data but moves them to a new session key, id and CSRF
    /// token, with the login token `token` (after a password change or a change of the user's
    /// details): a copy of the old cookie names nothing any more.
    fn rotate_login(&self, token: &str);
    /// The remember-me cookie the browser sent (`series:token`), if any and not changed since.
    fn remember(&self) -> Option<String>;
    /// Gives the browser a new remember-me cookie, or with `None` clears it.
    fn set_remember(&self, grant: Option<RememberGrant>);

    /// Whether `token` is this session's CSRF token (constant-time).
    fn csrf_matches(&self, token: &str) -> bool {
        self.csrf().is_some_and(|expected| expected.as_bytes().ct_eq(token.as_bytes()).into())
    }

    /// The visitor token the browser holds: the CSRF token of a browser that has no session
    /// yet, kept in its own cookie so that looking at a page stores nothing on the server.
    fn visitor(&self) -> Option<String>;
    /// Gives the browser a visitor token (see [`BrowserSession::visitor`]).
    fn give_visitor(&self, token: &str);

    /// The browser's visitor token, given to it now if it has none.
    fn visitor_token(&self) -> String {
        self.visitor().unwrap_or_else(|| {
            let token = random_token();
            self.give_visitor(&token);
            token
        })
    }

    /// For a request without a session: the token, of the one a logout kept for the key the
    /// request still carries (`kept`) and the browser's visitor token, that `csrf` matches
    /// (constant-time). A session started for the request takes it as its CSRF token.
    fn sessionless_csrf(&self, kept: Option<String>, csrf: &str) -> Option<String> {
        let same = |token: &String| bool::from(token.as_bytes().ct_eq(csrf.as_bytes()));
        kept.filter(same).or_else(|| self.visitor().filter(same))
    }
}

/// A browser session held in memory: what a cookie jar plus the session record would hold.
/// For tests and tools that drive the host without HTTP.
#[derive(Debug, Default)]
pub struct PlainSession {
    inner: RefCell<Plain>,
}

#[derive(Debug, Default, Clone)]
struct Plain {
    key: Option<String>,
    sid: Option<String>,
    csrf: Option<String>,
    login: Option<String>,
    identity: Option<String>,
    remember: Option<String>,
    visitor: Option<String>,
}

impl PlainSession {
    pub fn new() -> Self {
        Self::default()
    }

    /// The same browser after it was closed and opened again: only the remember-me cookie,
    /// which outlives the browser session, is left (the visitor cookie ends with the browser
    /// session, as the session cookie does).
    pub fn reopened(&self) -> Self {
        let remember = self.inner.borrow().remember.clone();
        Self { inner: RefCell::new(Plain { remember, ..Plain::default() }) }
    }

    /// Another tab of the same browser: the same cookies, its own copy.
    pub fn same_browser(&self) -> Self {
        Self { inner: RefCell::new(self.inner.borrow().clone()) }
    }
}

impl BrowserSession for PlainSession {
    fn sid(&self) -> Option<String> {
        self.inner.borrow().sid.clone()
    }

    fn csrf(&self) -> Option<String> {
        self.inner.borrow().csrf.clone()
    }

    fn login_token(&self) -> Option<String> {
        self.inner.borrow().login.clone()
    }

    fn identity(&self) -> Option<String> {
        self.inner.borrow().identity.clone()
    }

    fn cookie_key(&self) -> Option<String> {
        self.inner.borrow().key.clone()
    }

    fn ensure_ids_with(&self, csrf: Option<String>) -> (String, String) {
        let mut plain = self.inner.borrow_mut();
        if let (Some(sid), Some(csrf)) = (&plain.sid, &plain.csrf) {
            return (sid.clone(), csrf.clone());
        }
        let (sid, csrf) = (random_token(), csrf.unwrap_or_else(random_token));
        plain.key.get_or_insert_with(random_token);
        (plain.sid, plain.csrf) = (Some(sid.clone()), Some(csrf.clone()));
        (sid, csrf)
    }

    fn start_login(&self, username: &str, token: &str) -> Result<(), String> {
        let mut plain = self.inner.borrow_mut();
        *plain = Plain {
            key: Some(random_token()),
            sid: Some(random_token()),
            csrf: Some(random_token()),
            login: Some(token.to_owned()),
            identity: Some(username.to_owned()),
            remember: plain.remember.take(),
            visitor: plain.visitor.take(),
        };
        Ok(())
    }

    fn end_login(&self) -> String {
        let mut plain = self.inner.borrow_mut();
        let sid = random_token();
        (plain.key, plain.sid, plain.login, plain.identity) = (Some(random_token()), Some(sid.clone()), None, None);
        sid
    }

    fn rotate_login(&self, token: &str) {
        let mut plain = self.inner.borrow_mut();
        (plain.key, plain.sid, plain.csrf) = (Some(random_token()), Some(random_token()), Some(random_token()));
        plain.login = Some(token.to_owned());
    }

    fn remember(&self) -> Option<String> {
        self.inner.borrow().remember.clone()
    }

    fn set_remember(&self, grant: Option<RememberGrant>) {
        self.inner.borrow_mut().remember = grant.map(|g| g.value);
    }

    fn visitor(&self) -> Option<String> {
        self.inner.borrow().visitor.clone()
    }

    fn give_visitor(&self, token: &str) {
        self.inner.borrow_mut().visitor = Some(token.to_owned());
    }
}
