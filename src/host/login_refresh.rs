//! What a page load does about the login before anything else:
//! - a login whose roles changed since it began (an edit of the credentials file) moves to a
//!   new session key, id, CSRF token and login token, keeping its state: a copy of the old
//!   cookie is dead;
//! - a remembered return: a browser with a remember-me cookie but no live login (it was closed,
//!   or the login timed out) is logged in again under a new session (new key, id, CSRF token and
//!   login token, empty data) and its remember token rotates. A token that was already rotated
//!   away is a stolen copy: all of the user's remember-me series and logins end.

use super::Host;
use crate::auth::audit::{self, AuditEvent};
use crate::auth::logins::Device;
use crate::auth::remember::Redeemed;
use crate::auth::{Auth, Remember, Unconfirmed, Verified};
use crate::error::AppError;
use crate::session_state::AuthRun;
use crate::session_store::{BrowserSession, RememberGrant};

/// What refreshing the login did.
pub(super) struct Refreshed {
    /// The session id whose data moves to the session's new id.
    pub moved_from: Option<String>,
    /// The viewer as verified, when the session kept its login unchanged.
    pub verified: Option<AuthRun>,
}

impl Host {
    /// Refreshes the login before a page loads (see the module's doc). Returns the session id
    /// whose data moves to the session's new id, if the session moved with its data, and the
    /// viewer it verified when nothing changed (the run then needs no second verification).
    pub(super) async fn refresh_login(
        &self,
        session: &dyn BrowserSession,
        device: &Device,
    ) -> Result<Refreshed, AppError> {
        let Some(auth) = &self.auth else {
            return Ok(Refreshed { moved_from: None, verified: Some(AuthRun::default()) });
        };
        let (identity, token, key) = (session.identity(), session.login_token(), session.cookie_key());
        match auth.verify(identity.as_deref(), token.as_deref(), key.as_deref()).await? {
            Some(verified) if verified.roles_changed => {
                let moved_from = rotate_for_roles(auth, session, &verified, device).await?;
                Ok(Refreshed { moved_from, verified: None })
            }
            Some(verified) => {
                let run = super::auth_run_of(auth, Some(verified.viewer));
                Ok(Refreshed { moved_from: None, verified: Some(run) })
            }
            None => self.resume(auth, session, device).await.map(|()| Refreshed { moved_from: None, verified: None }),
        }
    }

    /// Logs a remembered browser back in, or ends what a stolen token reached.
    async fn resume(&self, auth: &Auth, session: &dyn BrowserSession, device: &Device) -> Result<(), AppError> {
        let client = device.client.as_str();
        let Some(cookie) = session.remember() else { return Ok(()) };
        if auth.pending.contains(&Unconfirmed::Remember(cookie.clone())) {
            session.set_remember(None);
            return Ok(());
        }
        match auth.remember.redeem(&cookie).await? {
            Redeemed::Valid { username, fingerprint, next } => {
                let Some(roles) = roles_of(auth, &username, &fingerprint) else {
                    return forget(&auth.remember, session, &cookie).await;
                };
                let ended = session.sid();
                let token = auth.logins.open(&username, &fingerprint, &roles, device).await?;
                session
                    .start_login(&username, &token)
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("identity login failed: {e}")))?;
                link_series(auth, &token, &next).await?;
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

/// Moves a login whose roles changed to a new session (its data follows) and a new remember-me
/// series. Returns the session id the data moves from.
async fn rotate_for_roles(
    auth: &Auth,
    session: &dyn BrowserSession,
    verified: &Verified,
    device: &Device,
) -> Result<Option<String>, AppError> {
    let (viewer, old_sid) = (&verified.viewer, session.sid());
    if let Some(old) = session.login_token() {
        auth.logins.revoke(&old).await?;
    }
    let token = auth.logins.open(&viewer.username, &verified.fingerprint, &viewer.roles, device).await?;
    session.rotate_login(&token);
    remember_again(auth, session, &token, &viewer.username, &verified.fingerprint).await?;
    Ok(old_sid)
}

/// With remember-me on (`cookie.expiry_days > 0`), starts a series for this browser's login
/// and gives the browser its cookie; the series the browser had before ends.
pub(super) async fn remember_again(
    auth: &Auth,
    session: &dyn BrowserSession,
    token: &str,
    username: &str,
    fingerprint: &str,
) -> Result<(), AppError> {
    let old = session.remember();
    if let Some(old) = &old {
        auth.remember.forget(old).await?;
    }
    let grant = auth.remember.issue(username, fingerprint).await?;
    if let Some(grant) = &grant {
        link_series(auth, token, grant).await?;
    }
    if grant.is_some() || old.is_some() {
        session.set_remember(grant);
    }
    Ok(())
}

/// Notes the series of the browser's remember cookie with its login (the login's token), so
/// that ending the login from elsewhere ends the series too.
async fn link_series(auth: &Auth, token: &str, grant: &RememberGrant) -> Result<(), AppError> {
    let series = grant.value.split_once(':').map_or(grant.value.as_str(), |(series, _)| series);
    Ok(auth.logins.link_series(token, series).await?)
}

/// The user's roles, while the user exists with the password `fingerprint` was taken from.
pub(super) fn roles_of(auth: &Auth, username: &str, fingerprint: &str) -> Option<Vec<String>> {
    let doc = auth.credentials.doc();
    doc.user(username).filter(|user| user.fingerprint() == fingerprint).map(|user| user.roles())
}

async fn forget(remember: &Remember, session: &dyn BrowserSession, cookie: &str) -> Result<(), AppError> {
    remember.forget(cookie).await?;
    session.set_remember(None);
    Ok(())
}
