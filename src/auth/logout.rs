//! The logout sequence. Its order is what makes a logout real (DESIGN.md, invariant 3):
//! 1. [`Logout::revoke`], before the post waits for anything else: the session's login token is
//!    revoked and the browser's remember-me series ended in the store (for "everywhere", the
//!    user's generation is bumped too, and every remember-me series of the user ends). From here
//!    on no request of any tab or instance sees this login, not even one already running. The
//!    revocation is then written to the revocation file too (`auth::revocations`), so that a
//!    store restored from an older snapshot does not bring the login back; if that write fails
//!    it is logged, the logout goes on and answers as usual (the store has ended the login, and
//!    this process holds the revocation in memory until its next write of the file succeeds).
//! 2. [`Logout::end_session`], under the session's lock and before the rerun: the identity is
//!    cleared, the session's CSRF token is kept briefly under the ended session key (for a
//!    reload racing the logout), the remember-me cookie is cleared, the old session record is
//!    deleted, the session is renewed
//!    (new key and id, no login token), and the session data is reset: the state map, every
//!    page's widget values and the flash end with the identity; only the `state` keys the
//!    script named in `keep` stay.
//! 3. The host then reruns the page logged out on that fresh data (as a first visit, plus the
//!    logout's outcome), saves it under the new session id, deletes the old id's data, and the
//!    answer carries the new session cookie.

use std::time::Duration;

use super::Auth;
use super::audit::{self, AuditEvent};
use crate::session_state::{SessionData, Viewer};
use crate::session_store::{BrowserSession, Store, StoreResult, csrf_after_logout_key};

/// How long a request carrying the session key a logout ended still gets the session's CSRF
/// token (see `csrf_after_logout_key`): longer than any rerun after a logout takes.
const CSRF_AFTER_LOGOUT_TTL: Duration = Duration::from_secs(60);

/// One logout of one browser session.
pub struct Logout<'a> {
    pub auth: &'a Auth,
    pub store: &'a Store,
    pub session: &'a dyn BrowserSession,
    /// The client's address, for the audit log.
    pub client: &'a str,
}

impl Logout<'_> {
    /// Step 1: revokes this session's login; with `everywhere`, every login of that user.
    pub async fn revoke(&self, everywhere: Option<&Viewer>) -> StoreResult<()> {
        // Both refused in this process before anything awaits (a reload racing the click finds
        // them ended); then the series before the login in the store and the record: a request
        // that finds the login revoked must find the series gone too, or it would log the
        // browser in again with it.
        let (cookie, token) = (self.session.remember(), self.session.login_token());
        if let Some(cookie) = &cookie {
            self.auth.remember.hold_forget(cookie);
        }
        if let Some(token) = &token {
            self.auth.logins.hold_end(token);
        }
        // One write of the revocation file: ending the login writes every held revocation,
        // the series' too.
        match (&cookie, &token) {
            (Some(cookie), Some(token)) => {
                self.auth.remember.forget_in_store(cookie).await?;
                self.auth.logins.end(token).await?;
            }
            (Some(cookie), None) => self.auth.remember.forget(cookie).await?,
            (None, Some(token)) => self.auth.logins.end(token).await?,
            (None, None) => {}
        }
        if let Some(viewer) = everywhere {
            self.auth.end_all_logins(&viewer.username).await?;
            audit::record(AuditEvent::LoggedOutEverywhere, &viewer.username, self.client);
        }
        Ok(())
    }

    /// Step 2: ends the session (its login token is already revoked): identity, old session
    /// record, and all session data but the `state` keys in `keep`. Returns the session's new id.
    pub async fn end_session(
        &self,
        current: Option<&Viewer>,
        data: &mut SessionData,
        keep: &[String],
    ) -> StoreResult<String> {
        // A plain logout revoked the token before the viewer was looked up: name the identity.
        let username =
            current.map(|v| v.username.clone()).or_else(|| self.session.identity()).unwrap_or_else(|| "-".to_owned());
        if let Some(key) = self.session.cookie_key() {
            // Written before the old session is deleted: whoever finds it gone finds this.
            if let Some(csrf) = self.session.csrf() {
                self.store.put_value(&csrf_after_logout_key(&key), csrf, Some(CSRF_AFTER_LOGOUT_TTL)).await?;
            }
            self.store.delete_session_key(&key).await?;
        }
        if self.session.remember().is_some() {
            self.session.set_remember(None);
        }
        let sid = self.session.end_login();
        *data = data.reset_keeping(keep);
        audit::record(AuditEvent::LoggedOut, &username, self.client);
        Ok(sid)
    }
}
