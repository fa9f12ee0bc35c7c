//! Server-side logins. A login is a random token kept in the session record and registered in
//! the store with who logged in, the user's generation at that time, a fingerprint of the
//! password hash, an absolute deadline, and when it was last used. Both deadlines are checked
//! against the host's [`Clock`]; the store entry's expiry (the idle timeout, pushed forward on
//! every use) only clears away logins nobody uses. Revoking the token ends the login at once on every instance;
//! bumping the user's generation ends all of the user's logins in one write.
//!
//! Both are also held durably outside the store ([`Revocations`]): a logout's token, and a
//! "valid after" time for the user's logins, so that a store restored from a snapshot taken
//! before them brings no login back. A login records when it was created for that check.
//!
//! For the list of sessions (`auth::sessions`) a login also records a public id, where it came
//! from (client address and User-Agent) and its browser's remember-me series, and joins its
//! user's index of logins.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::audit::{self, AuditEvent};
use super::revocations::{Revocation, Revocations};
use crate::clock::Clock;
use crate::session_store::{Store, StoreError, StoreResult, random_token};

/// One login as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginRecord {
    pub username: String,
    pub generation: i64,
    pub fingerprint: String,
    /// Unix milliseconds after which the login is over, however active it was.
    pub until_ms: u64,
    /// Unix milliseconds of the last use that was written down (at most every `seen_step`).
    #[serde(default)]
    pub seen_ms: u64,
    /// Unix milliseconds of the login, always after the user's durable "valid after" time.
    #[serde(default)]
    pub created_ms: u64,
    /// The user's roles when the login began (`None` in records from before they were kept):
    /// a change of roles moves the session to a new id.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// The login's public id: what a user and an admin see in the list of sessions (the
    /// token is a secret and never leaves the server). Empty in records from before it was kept.
    #[serde(default)]
    pub id: String,
    /// Where the login came from: the client address (through trusted proxies) and the
    /// User-Agent, truncated.
    #[serde(default)]
    pub device: Device,
    /// The remember-me series the browser of this login holds, so that ending the login ends
    /// the series too (or the browser would be logged back in by it).
    #[serde(default)]
    pub series: Option<String>,
}

/// Where a login came from, as the list of sessions shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub client: String,
    pub user_agent: String,
}

/// The longest User-Agent kept with a login, in characters.
pub const MAX_USER_AGENT_CHARS: usize = 200;

impl Device {
    /// A device from the request: the User-Agent cut to [`MAX_USER_AGENT_CHARS`] characters,
    /// control characters dropped.
    pub fn new(client: &str, user_agent: &str) -> Self {
        let user_agent = user_agent.chars().filter(|c| !c.is_control()).take(MAX_USER_AGENT_CHARS).collect();
        Self { client: client.to_owned(), user_agent }
    }
}

/// The login registry over the session store.
#[derive(Clone)]
pub struct Logins {
    store: Store,
    idle: Duration,
    absolute: Duration,
    clock: Clock,
    revocations: Arc<Revocations>,
}

fn token_key(token: &str) -> String {
    format!("login:{token}")
}

fn generation_key(username: &str) -> String {
    format!("generation:{username}")
}

/// The per-user index of login tokens (see `auth::sessions`).
pub(super) fn index_key(username: &str) -> String {
    format!("logins-of:{username}")
}

impl Logins {
    pub fn new(store: Store, idle: Duration, absolute: Duration, clock: Clock, revocations: Arc<Revocations>) -> Self {
        Self { store, idle, absolute, clock, revocations }
    }

    /// How stale the recorded last use may get before a use writes it again: a twentieth of
    /// the idle timeout, at most a minute (so a login is not written on every request).
    fn seen_step(&self) -> u64 {
        (self.idle.as_millis() as u64 / 20).min(60_000)
    }

    /// Registers a new login from `device` and returns its token. The login joins its user's
    /// index, which lives as long as the newest login can.
    pub async fn open(
        &self,
        username: &str,
        fingerprint: &str,
        roles: &[String],
        device: &Device,
    ) -> StoreResult<String> {
        let token = random_token();
        let now = self.clock.now_ms();
        // Strictly after the last revocation, even within the same millisecond.
        let created_ms = self.revocations.valid_after(username).map_or(now, |at| now.max(at + 1));
        let record = LoginRecord {
            username: username.to_owned(),
            generation: self.generation(username).await?,
            fingerprint: fingerprint.to_owned(),
            until_ms: now + self.absolute.as_millis() as u64,
            seen_ms: now,
            created_ms,
            roles: Some(roles.to_vec()),
            id: random_token()[..24].to_owned(),
            device: device.clone(),
            series: None,
        };
        let text = serde_json::to_string(&record).map_err(|e| StoreError::Unavailable(format!("login record: {e}")))?;
        self.store.put_value(&token_key(&token), text, Some(self.idle.min(self.absolute))).await?;
        self.store.add_member(&index_key(username), &token, self.absolute).await?;
        Ok(token)
    }

    /// Notes the remember-me series the login's browser was given (while the login lives).
    pub async fn link_series(&self, token: &str, series: &str) -> StoreResult<()> {
        let Some(text) = self.store.get_value(&token_key(token), None).await? else { return Ok(()) };
        let Ok(mut record) = serde_json::from_str::<LoginRecord>(&text) else { return Ok(()) };
        record.series = Some(series.to_owned());
        self.write(token, &record).await
    }

    /// The login record behind `token` if it is live (as [`Logins::check`] decides), without
    /// pushing its idle expiry or writing anything but the removal of a dead login.
    pub(super) async fn peek(&self, token: &str) -> StoreResult<Option<LoginRecord>> {
        let Some(text) = self.store.get_value(&token_key(token), None).await? else { return Ok(None) };
        let Ok(record) = serde_json::from_str::<LoginRecord>(&text) else { return Ok(None) };
        let now = self.clock.now_ms();
        let idle_since = record.seen_ms.saturating_add(self.idle.as_millis() as u64);
        let over = record.until_ms <= now || idle_since <= now;
        if over || self.revocations.refuses(&record.username, token, record.created_ms) {
            return Ok(None);
        }
        let current = record.generation == self.generation(&record.username).await?;
        Ok(current.then_some(record))
    }

    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    /// Writes down a use of a login, only while it is still registered: a check that raced a
    /// logout never brings the revoked login back.
    async fn write(&self, token: &str, record: &LoginRecord) -> StoreResult<()> {
        let text = serde_json::to_string(record).map_err(|e| StoreError::Unavailable(format!("login record: {e}")))?;
        self.store.replace_value(&token_key(token), text, Some(self.idle)).await.map(drop)
    }

    /// The live login behind `token`: registered, not idle too long, within its absolute
    /// deadline, and not ended by a newer generation. Using it pushes the idle expiry forward.
    pub async fn check(&self, token: &str) -> StoreResult<Option<LoginRecord>> {
        let Some(text) = self.store.get_value(&token_key(token), Some(self.idle)).await? else { return Ok(None) };
        let Ok(mut record) = serde_json::from_str::<LoginRecord>(&text) else { return Ok(None) };
        if self.revocations.refuses(&record.username, token, record.created_ms) {
            // Back from a restored store snapshot: clear it away again.
            self.revoke(token).await?;
            return Ok(None);
        }
        let now = self.clock.now_ms();
        let idle_since = record.seen_ms.saturating_add(self.idle.as_millis() as u64);
        if record.until_ms <= now || idle_since <= now {
            // Seen at the first request after the deadline, which is where the client is unknown.
            let ended = if record.until_ms <= now { AuditEvent::LoginExpired } else { AuditEvent::LoginIdleTimeout };
            audit::record(ended, &record.username, "-");
            self.revoke(token).await?;
            return Ok(None);
        }
        if record.generation != self.generation(&record.username).await? {
            return Ok(None);
        }
        if now.saturating_sub(record.seen_ms) >= self.seen_step() {
            record.seen_ms = now;
            self.write(token, &record).await?;
        }
        Ok(Some(record))
    }

    /// Whether the token is still registered (not revoked, not expired), without touching it.
    /// A logout that this process has begun counts at once, before its store write lands.
    pub async fn is_registered(&self, token: &str) -> StoreResult<bool> {
        if self.revocations.revokes_token(token) {
            return Ok(false);
        }
        Ok(self.store.get_value(&token_key(token), None).await?.is_some())
    }

    /// Takes the token out of the store (an expired login, or one that another revocation
    /// already covers). A logout uses [`Logins::end`].
    pub async fn revoke(&self, token: &str) -> StoreResult<()> {
        self.store.delete_value(&token_key(token)).await
    }

    /// Refuses the token in this process at once (no await), before a logout's slower steps.
    pub fn hold_end(&self, token: &str) {
        let until_ms = self.clock.now_ms() + self.absolute.as_millis() as u64;
        self.revocations.hold(&Revocation::Login { token: token.to_owned(), until_ms });
    }

    /// A logout: revokes the token in the store and durably, until the login's deadline.
    pub async fn end(&self, token: &str) -> StoreResult<()> {
        let recorded = self.store.get_value(&token_key(token), None).await;
        let deadline = recorded.as_ref().ok().and_then(|text| text.as_deref()).and_then(deadline_of);
        let until_ms = deadline.unwrap_or_else(|| self.clock.now_ms() + self.absolute.as_millis() as u64);
        self.revoke_durably(Revocation::Login { token: token.to_owned(), until_ms }, self.revoke(token)).await
    }

    /// Ends something else a user logs in with (a remember-me series) durably: `key` is held in
    /// the revocation record until `until_ms`, after `in_store` ends it in the store.
    pub async fn end_durably(
        &self,
        key: &str,
        until_ms: u64,
        in_store: impl std::future::Future<Output = StoreResult<()>>,
    ) -> StoreResult<()> {
        self.revoke_durably(Revocation::Login { token: key.to_owned(), until_ms }, in_store).await
    }

    /// Ends every login of `username`, on every instance (one write), and durably.
    pub async fn end_all(&self, username: &str) -> StoreResult<()> {
        let revocation = Revocation::User { username: username.to_owned(), at_ms: self.clock.now_ms() };
        let in_store = async { self.store.increment(&generation_key(username), None).await.map(drop) };
        self.revoke_durably(revocation, in_store).await
    }

    /// Holds the revocation in memory first (it cannot fail), then revokes in the store, then
    /// writes the revocation file off the async threads, even when the store failed. A failed
    /// file write is logged and fails closed: this process keeps refusing the login, the store
    /// has ended it, and the next write of the file carries it.
    async fn revoke_durably(
        &self,
        revocation: Revocation,
        in_store: impl std::future::Future<Output = StoreResult<()>>,
    ) -> StoreResult<()> {
        self.revocations.hold(&revocation);
        let stored = in_store.await;
        let (revocations, now, keep) = (self.revocations.clone(), self.clock.now_ms(), self.keep_ms());
        let written = tokio::task::spawn_blocking(move || revocations.persist(now, keep)).await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!(error = %format!("{err:#}"), "revocation file not written; held in memory"),
            Err(err) => tracing::error!(error = %err, "revocation file not written; held in memory"),
        }
        stored
    }

    /// Durably ends every login of users removed from the credentials file. Blocking: the
    /// credentials watcher's thread calls it.
    pub fn end_removed(&self, usernames: &[String]) -> anyhow::Result<()> {
        if usernames.is_empty() {
            return Ok(());
        }
        let at_ms = self.clock.now_ms();
        for username in usernames {
            self.revocations.hold(&Revocation::User { username: username.clone(), at_ms });
        }
        self.revocations.persist(at_ms, self.keep_ms())
    }

    pub fn revocations(&self) -> &Arc<Revocations> {
        &self.revocations
    }

    /// How long a revocation can matter: the longest a login lives.
    fn keep_ms(&self) -> u64 {
        self.absolute.as_millis() as u64
    }

    async fn generation(&self, username: &str) -> StoreResult<i64> {
        let value = self.store.get_value(&generation_key(username), None).await?;
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

/// The absolute deadline recorded for a login.
fn deadline_of(text: &str) -> Option<u64> {
    serde_json::from_str::<LoginRecord>(text).ok().map(|record| record.until_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LockTiming, StoreSettings};

    const DAY: Duration = Duration::from_secs(86_400);

    /// Logins on the memory store with a manual clock and a fresh revocation file.
    fn logins() -> Logins {
        let dir = std::env::temp_dir().join(format!("runnel-logins-{}", random_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let revocations = Arc::new(Revocations::open(&Revocations::beside(&dir.join("credentials.yaml"))).unwrap());
        let store = Store::from_settings(&StoreSettings::Memory, DAY, LockTiming::default()).unwrap();
        Logins::new(store, DAY, DAY, Clock::manual(), revocations)
    }

    #[tokio::test]
    async fn a_login_opened_in_the_same_millisecond_as_a_logout_everywhere_outlives_it() {
        let logins = logins();
        let before = logins.open("jsmith", "fp", &[], &Device::default()).await.unwrap();
        logins.end_all("jsmith").await.unwrap();
        let after = logins.open("jsmith", "fp", &[], &Device::default()).await.unwrap();
        assert_eq!(logins.check(&before).await.unwrap(), None);
        assert!(logins.check(&after).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_login_the_store_forgot_it_ended_is_refused_from_the_revocation_record() {
        let logins = logins();
        let token = logins.open("jsmith", "fp", &[], &Device::default()).await.unwrap();
        let record = logins.store.get_value(&token_key(&token), None).await.unwrap().unwrap();
        logins.end(&token).await.unwrap();
        // What a restored store snapshot does: the login is back in the store.
        logins.store.put_value(&token_key(&token), record, Some(DAY)).await.unwrap();
        assert_eq!(logins.check(&token).await.unwrap(), None);
        assert!(!logins.is_registered(&token).await.unwrap(), "and cleared away again");
    }
}
