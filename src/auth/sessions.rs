//! The sessions a user and an admin can see and end. Every login joins a per-user index in the
//! store (`logins-of:{user}`, a set of login tokens); listing reads each login behind it and
//! drops the ones that ended (expired, idle, logged out, revoked), so ended logins disappear
//! from the list. What leaves this module is the login's public id, never its token.

use super::Auth;
use super::audit::{self, AuditEvent};
use super::logins::{LoginRecord, index_key};
use crate::session_state::ListedSession;
use crate::session_store::StoreResult;

/// What ending one of a user's own sessions did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndedSession {
    /// Another session of the user ended (its login and its remember-me series).
    Other,
    /// The id is the current session's: the caller logs it out.
    Current,
    /// No live session of this user has that id: nothing changed.
    NotFound,
}

impl Auth {
    /// The live sessions of `username`, newest first; the one behind `current` is marked.
    pub async fn sessions_of(&self, username: &str, current: Option<&str>) -> StoreResult<Vec<ListedSession>> {
        let logins = self.live_logins(username).await?;
        Ok(logins.into_iter().map(|(token, record)| listed(&token, record, current)).collect())
    }

    /// Ends the session of `username` whose public id is `id`. Another user's id, or one that
    /// is not live, is [`EndedSession::NotFound`] and changes nothing.
    pub async fn end_own_session(
        &self,
        username: &str,
        id: &str,
        current: Option<&str>,
        client: &str,
    ) -> StoreResult<EndedSession> {
        let found = self.live_logins(username).await?.into_iter().find(|(token, r)| public_id(token, r) == id);
        let Some((token, record)) = found else { return Ok(EndedSession::NotFound) };
        if current == Some(token.as_str()) {
            return Ok(EndedSession::Current);
        }
        self.end_login(&token, &record).await?;
        audit::record(AuditEvent::SessionEnded, username, client);
        Ok(EndedSession::Other)
    }

    /// Ends every login and remember-me series of `username` (an admin's act), on every
    /// instance and durably; returns how many sessions were live.
    pub async fn end_user_sessions(&self, username: &str, client: &str) -> StoreResult<usize> {
        let live = self.live_logins(username).await?.len();
        self.end_all_logins(username).await?;
        audit::record(AuditEvent::SessionsEnded, username, client);
        Ok(live)
    }

    /// One login ended: its token (in the store and durably) and its browser's series.
    async fn end_login(&self, token: &str, record: &LoginRecord) -> StoreResult<()> {
        if let Some(series) = &record.series {
            self.remember.forget_series(series).await?;
        }
        self.logins.end(token).await?;
        self.logins.store().remove_member(&index_key(&record.username), token).await
    }

    /// The live logins of the user with their tokens, newest first; dead ones leave the index.
    async fn live_logins(&self, username: &str) -> StoreResult<Vec<(String, LoginRecord)>> {
        let key = index_key(username);
        let store = self.logins.store();
        let mut live = Vec::new();
        for token in store.members(&key).await? {
            match self.logins.peek(&token).await? {
                Some(record) if record.username == username => live.push((token, record)),
                _ => store.remove_member(&key, &token).await?,
            }
        }
        live.sort_by(|(_, a), (_, b)| b.created_ms.cmp(&a.created_ms).then_with(|| a.id.cmp(&b.id)));
        Ok(live)
    }
}

/// The login's public id; a record from before ids were kept gets one derived from its token
/// by a one-way hash (so the token cannot be worked out from it).
fn public_id(token: &str, record: &LoginRecord) -> String {
    if !record.id.is_empty() {
        return record.id.clone();
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("runnel-session-id:{token}").as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

fn listed(token: &str, record: LoginRecord, current: Option<&str>) -> ListedSession {
    ListedSession {
        id: public_id(token, &record),
        created_ms: record.created_ms,
        seen_ms: record.seen_ms,
        client: record.device.client,
        user_agent: record.device.user_agent,
        current: current == Some(token),
    }
}
