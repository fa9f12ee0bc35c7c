//! A typed view of the actix-session record: our session id and the CSRF token, with the
//! record's keys spelled in one place.

use actix_session::Session;

use super::random_token;
use crate::base_path::BasePath;

/// Where the host's cookies live and how they are protected: `Secure` or not, and the path
/// prefix they are scoped to (`--base-path`), so that two apps under different prefixes on one
/// host keep apart.
///
/// With `Secure` at the root a cookie carries the `__Host-` prefix: the browser then keeps it
/// only if it came over HTTPS with `Path=/` and no `Domain`, so a sibling subdomain or a
/// plain-HTTP page cannot plant or overwrite it. `__Host-` demands `Path=/`, so under a base
/// path the prefix is `__Secure-` (HTTPS only, scoped to the base path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieScope {
    pub secure: bool,
    pub base: BasePath,
}

impl CookieScope {
    pub fn new(secure: bool, base: BasePath) -> Self {
        Self { secure, base }
    }

    /// `plain`, or with `Secure` its `__Host-` (root) or `__Secure-` (base path) form.
    fn name(&self, names: &'static [&'static str; 3]) -> &'static str {
        match (self.secure, self.base.is_root()) {
            (false, _) => names[0],
            (true, true) => names[1],
            (true, false) => names[2],
        }
    }

    pub fn path(&self) -> &str {
        self.base.cookie_path()
    }

    /// A cookie named `name` as every host cookie is: `HttpOnly`, scoped to the base path,
    /// `Secure` when the scope is.
    fn build(&self, name: &'static str, value: String) -> actix_web::cookie::CookieBuilder<'static> {
        actix_web::cookie::Cookie::build(name, value).path(self.path().to_owned()).http_only(true).secure(self.secure)
    }
}

/// The session cookie, which holds the (encrypted) session key; named and scoped as its
/// [`CookieScope`] says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCookie {
    pub scope: CookieScope,
}

impl SessionCookie {
    const NAMES: [&str; 3] = ["runnel_session", "__Host-runnel_session", "__Secure-runnel_session"];
    pub const PLAIN_NAME: &str = Self::NAMES[0];
    pub const SECURE_NAME: &str = Self::NAMES[1];

    pub fn new(scope: CookieScope) -> Self {
        Self { scope }
    }

    pub fn name(&self) -> &'static str {
        self.scope.name(&Self::NAMES)
    }

    pub fn secure(&self) -> bool {
        self.scope.secure
    }

    /// A cookie that clears this one in the browser (the same name, path and `Secure`).
    pub fn removal(&self) -> actix_web::cookie::Cookie<'static> {
        let mut removal = self.scope.build(self.name(), String::new()).finish();
        removal.make_removal();
        removal
    }
}

/// The remember-me cookie (`series:token`, see `crate::auth::remember`), apart from the session
/// cookie so that the session cookie always ends with the browser session. Named and scoped
/// like [`SessionCookie`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RememberCookie {
    pub scope: CookieScope,
}

impl RememberCookie {
    const NAMES: [&str; 3] = ["runnel_remember", "__Host-runnel_remember", "__Secure-runnel_remember"];
    pub const PLAIN_NAME: &str = Self::NAMES[0];
    pub const SECURE_NAME: &str = Self::NAMES[1];

    pub fn new(scope: CookieScope) -> Self {
        Self { scope }
    }

    pub fn name(&self) -> &'static str {
        self.scope.name(&Self::NAMES)
    }

    /// The cookie that gives the browser `grant`, or with `None` clears the remember cookie.
    pub fn cookie(&self, grant: Option<&super::RememberGrant>) -> actix_web::cookie::Cookie<'static> {
        use actix_web::cookie::{SameSite, time::Duration};
        let value = grant.map(|g| g.value.clone()).unwrap_or_default();
        let mut cookie = self.scope.build(self.name(), value).same_site(SameSite::Lax).finish();
        match grant {
            Some(grant) => cookie.set_max_age(Duration::seconds(grant.max_age.as_secs().max(1) as i64)),
            None => cookie.make_removal(),
        }
        cookie
    }
}

/// The visitor cookie: the CSRF token of a browser that has no session yet (see
/// `BrowserSession::visitor`). It ends with the browser session and is named and scoped like
/// [`SessionCookie`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitorCookie {
    pub scope: CookieScope,
}

impl VisitorCookie {
    const NAMES: [&str; 3] = ["runnel_visitor", "__Host-runnel_visitor", "__Secure-runnel_visitor"];
    pub const PLAIN_NAME: &str = Self::NAMES[0];
    pub const SECURE_NAME: &str = Self::NAMES[1];

    pub fn new(scope: CookieScope) -> Self {
        Self { scope }
    }

    pub fn name(&self) -> &'static str {
        self.scope.name(&Self::NAMES)
    }

    /// The cookie that gives the browser `token`.
    pub fn cookie(&self, token: &str) -> actix_web::cookie::Cookie<'static> {
        self.scope.build(self.name(), token.to_owned()).same_site(actix_web::cookie::SameSite::Lax).finish()
    }
}

const SID: &str = "sid";
const CSRF: &str = "csrf";
/// The session's login token (see `crate::auth::logins`); absent when nobody is logged in.
pub const LOGIN_TOKEN: &str = "login";

pub struct TypedSession(Session);

/// The session key in the request's session cookie (decrypted with the cookie key), which
/// names the session in the store. Handlers need it to end a session the store cannot reach.
pub fn session_key_of(
    req: &actix_web::HttpRequest,
    cookie: &SessionCookie,
    key: &actix_web::cookie::Key,
) -> Option<String> {
    let found = req.cookie(cookie.name())?;
    let mut jar = actix_web::cookie::CookieJar::new();
    jar.add_original(found);
    jar.private(key).get(cookie.name()).map(|c| c.value().to_owned())
}

impl TypedSession {
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    /// Like `ensure_ids`, but a session made now takes `csrf` (when given) as its CSRF token.
    pub fn ensure_ids_with(&self, csrf: Option<String>) -> (String, String) {
        match (self.get(SID), self.get(CSRF)) {
            (Some(sid), Some(csrf)) => (sid, csrf),
            _ => {
                let (sid, csrf) = (random_token(), csrf.unwrap_or_else(random_token));
                // Inserting plain strings cannot fail to serialize.
                let _ = self.0.insert(SID, &sid);
                let _ = self.0.insert(CSRF, &csrf);
                (sid, csrf)
            }
        }
    }

    /// The session id, if this browser has a session already.
    pub fn sid(&self) -> Option<String> {
        self.get(SID)
    }

    pub fn csrf(&self) -> Option<String> {
        self.get(CSRF)
    }

    pub fn login_token(&self) -> Option<String> {
        self.get(LOGIN_TOKEN)
    }

    /// After a login: a new session key (the old one is deleted), a new session id and CSRF
    /// token, and the login token. Nothing from before the login identifies this session.
    pub fn start_login(&self, token: &str) -> (String, String) {
        self.0.renew();
        let (sid, csrf) = (random_token(), random_token());
        let _ = self.0.insert(SID, &sid);
        let _ = self.0.insert(CSRF, &csrf);
        let _ = self.0.insert(LOGIN_TOKEN, token);
        (sid, csrf)
    }

    /// After a logout: a new session key (the old one is deleted) and session id, no login
    /// token. The CSRF token stays, so the user's other tabs keep working, logged out.
    pub fn end_login(&self) -> String {
        self.0.renew();
        self.0.remove(LOGIN_TOKEN);
        let sid = random_token();
        let _ = self.0.insert(SID, &sid);
        sid
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0.get::<String>(key).ok().flatten()
    }
}

/// Where a logout leaves, for a short while, the CSRF token that its session keeps, under the
/// session key it ended (hashed). A request that still carries the ended key (a reload or
/// another tab racing the logout, whose answer may never reach the cookie jar) gets a new
/// session with that same token, so its page and its posts work whichever session cookie the
/// browser ends up keeping.
pub fn csrf_after_logout_key(session_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(session_key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("csrf-after-logout:{hex}")
}
