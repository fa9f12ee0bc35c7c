//! A remembered return: a browser that comes back with a remember-me cookie but no live login
//! (it was closed, or the login timed out) is logged in again under a new session (new key, id,
//! CSRF token and login token, empty data) and its remember token rotates. A token that was
//! already rotated away is a stolen copy: all of the user's remember-me series and logins end.

use super::Host;
use crate::auth::audit::{self, AuditEvent};
use crate::auth::remember::Redeemed;
use crate::auth::{Auth, Remember, Unconfirmed};
use crate::error::AppError;
use crate::session_store::BrowserSession;

impl Host {
    /// Logs a remembered browser back in before the page loads (see the module's doc).
    pub(super) async fn resume(&self, session: &dyn BrowserSession, client: &str) -> Result<(), AppError> {
        let (Some(auth), Some(cookie)) = (&self.auth, session.remember()) else { return Ok(()) };
        if auth.pending.contains(&Unconfirmed::Remember(cookie.clone())) {
            session.set_remember(None);
            return Ok(());
        }
        if self.auth_run(session).await?.viewer.is_some() {
            return Ok(());
        }
        match auth.remember.redeem(&cookie).await? {
            Redeemed::Valid { username, fingerprint, next } => {
                if !same_password(auth, &username, &fingerprint) {
                    return forget(&auth.remember, session, &cookie).await;
                }
                let ended = session.sid();
                let token = auth.logins.open(&username, &fingerprint).await?;
                session
                    .start_login(&username, &token)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("identity login failed: {e}")))?;
                session.set_remember(Some(next));
                if let Some(sid) = ended {
                    self.store.delete(&sid).await?;
                }
                audit::record(AuditEvent::RememberedLogin, &username, client);
            }
            Redeemed::Theft { username } => {
                auth.end_all_logins(&username).await?;
                session.set_remember(None);
                audit::record(AuditEvent::RememberTheft, &username, client);
            }
            Redeemed::Unknown => session.set_remember(None),
        }
        Ok(())
    }
}

/// Whether the user still exists with the password the series was started under.
fn same_password(auth: &Auth, username: &str, fingerprint: &str) -> bool {
    auth.credentials.doc().user(username).is_some_and(|user| user.fingerprint() == fingerprint)
}

async fn forget(remember: &Remember, session: &dyn BrowserSession, cookie: &str) -> Result<(), AppError> {
    remember.forget(cookie).await?;
    session.set_remember(None);
    Ok(())
}
