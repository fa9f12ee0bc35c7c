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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::auth::logins::{Device, MAX_USER_AGENT_CHARS};
    use crate::auth::{AuthSettings, Credentials};
    use crate::clock::Clock;
    use crate::config::{LockTiming, StoreSettings};
    use crate::session_store::{Store, random_token};

    /// An authenticator over the sample credentials (copied), the memory store and `clock`,
    /// with logins that live 300 s (idle 200 s).
    fn auth(clock: &Clock) -> Auth {
        let dir = std::env::temp_dir().join(format!("runnel-sessions-{}", random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials.yaml");
        std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/credentials.yaml"), &path).unwrap();
        let store = Store::from_settings(&StoreSettings::Memory, Duration::from_secs(600), LockTiming::default());
        let settings = AuthSettings {
            idle_timeout: Duration::from_secs(200),
            absolute_timeout: Some(Duration::from_secs(300)),
            clock: clock.clone(),
            ..AuthSettings::default()
        };
        Auth::new(Arc::new(Credentials::open(&path).unwrap()), store.unwrap(), settings).unwrap()
    }

    async fn open(auth: &Auth, agent: &str) -> String {
        auth.logins.open("jsmith", "fp", &[], &Device::new("10.0.0.1", agent)).await.unwrap()
    }

    #[tokio::test]
    async fn the_list_shows_public_ids_never_the_tokens_and_marks_the_current_login() {
        let clock = Clock::manual();
        let auth = auth(&clock);
        let first = open(&auth, "first").await;
        clock.advance(Duration::from_secs(1));
        let second = open(&auth, "second").await;
        let listed = auth.sessions_of("jsmith", Some(&first)).await.unwrap();
        assert_eq!(listed.iter().map(|s| s.user_agent.as_str()).collect::<Vec<_>>(), ["second", "first"]);
        assert_eq!(listed.iter().map(|s| s.current).collect::<Vec<_>>(), [false, true]);
        for session in &listed {
            assert!(!first.contains(&session.id) && !second.contains(&session.id), "{session:?}");
            assert_eq!(session.client, "10.0.0.1");
        }
    }

    #[tokio::test]
    async fn logins_past_their_deadline_or_ended_leave_the_list_and_the_index() {
        let clock = Clock::manual();
        let auth = auth(&clock);
        let old = open(&auth, "old").await;
        clock.advance(Duration::from_secs(150));
        let ended = open(&auth, "ended").await;
        let live = open(&auth, "live").await;
        auth.logins.end(&ended).await.unwrap();
        clock.advance(Duration::from_secs(100)); // `old` is idle for 250 s: past the idle timeout.
        auth.logins.check(&live).await.unwrap();
        let listed = auth.sessions_of("jsmith", None).await.unwrap();
        assert_eq!(listed.iter().map(|s| s.user_agent.as_str()).collect::<Vec<_>>(), ["live"]);
        let index = auth.logins.store().members(&index_key("jsmith")).await.unwrap();
        assert_eq!(index, [live], "dead logins left the index ({old} among them)");
    }

    #[tokio::test]
    async fn ending_another_users_session_by_its_id_changes_nothing() {
        let clock = Clock::manual();
        let auth = auth(&clock);
        let theirs = auth.logins.open("rbriggs", "fp", &[], &Device::default()).await.unwrap();
        let id = auth.sessions_of("rbriggs", None).await.unwrap()[0].id.clone();
        let ended = auth.end_own_session("jsmith", &id, None, "-").await.unwrap();
        assert_eq!(ended, EndedSession::NotFound);
        assert!(auth.logins.check(&theirs).await.unwrap().is_some());
    }

    #[test]
    fn a_user_agent_is_cut_to_its_limit_without_control_characters() {
        let device = Device::new("::1", &format!("a\u{7}b\n{}", "x".repeat(500)));
        assert_eq!(device.user_agent.chars().count(), MAX_USER_AGENT_CHARS);
        assert!(device.user_agent.starts_with("abx"));
    }
}
