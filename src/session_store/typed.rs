//! A typed view of the actix-session record: our session id and the CSRF token, with the
//! record's keys spelled in one place.

use actix_session::Session;
use subtle::ConstantTimeEq;

use super::random_token;

const SID: &str = "sid";
const CSRF: &str = "csrf";

pub struct TypedSession(Session);

impl TypedSession {
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    /// The session id and CSRF token, made (and so written to the store) on the first visit.
    pub fn ensure_ids(&self) -> (String, String) {
        let sid = self.get(SID);
        let csrf = self.get(CSRF);
        match (sid, csrf) {
            (Some(sid), Some(csrf)) => (sid, csrf),
            _ => {
                let (sid, csrf) = (random_token(), random_token());
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

    /// Whether `token` is this session's CSRF token (constant-time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        self.get(CSRF).is_some_and(|expected| expected.as_bytes().ct_eq(token.as_bytes()).into())
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0.get::<String>(key).ok().flatten()
    }
}
