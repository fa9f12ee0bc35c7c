//! Server-side logins. A login is a random token kept in the session record and registered in
//! the store with who logged in, the user's generation at that time, a fingerprint of the
//! password hash, an absolute deadline, and when it was last used. Both deadlines are checked
//! against the host's [`Clock`]; the store entry's expiry (the idle timeout, pushed forward on
//! every use) only clears away logins nobody uses. Revoking the token ends the login at once on every instance;
//! bumping the user's generation ends all of the user's logins in one write.

use std::time::Duration;

use serde::{Deserialize, Serialize};

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
    /// The user's roles when the login began (`None` in records from before they were kept):
    /// a change of roles moves the session to a new id.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

/// The login registry over the session store.
#[derive(Clone)]
pub struct Logins {
    store: Store,
    idle: Duration,
    absolute: Duration,
    clock: Clock,
}

fn token_key(token: &str) -> String {
    format!("login:{token}")
}

fn generation_key(username: &str) -> String {
    format!("generation:{username}")
}

fn failures_key(username: &str) -> String {
    format!("failures:{username}")
}

impl Logins {
    pub fn new(store: Store, idle: Duration, absolute: Duration, clock: Clock) -> Self {
        Self { store, idle, absolute, clock }
    }

    /// How stale the recorded last use may get before a use writes it again: a twentieth of
    /// the idle timeout, at most a minute (so a login is not written on every request).
    fn seen_step(&self) -> u64 {
        (self.idle.as_millis() as u64 / 20).min(60_000)
    }

    /// Registers a new login and returns its token.
    pub async fn open(&self, username: &str, fingerprint: &str, roles: &[String]) -> StoreResult<String> {
        let token = random_token();
        let record = LoginRecord {
            username: username.to_owned(),
            generation: self.generation(username).await?,
            fingerprint: fingerprint.to_owned(),
            until_ms: self.clock.now_ms() + self.absolute.as_millis() as u64,
            seen_ms: self.clock.now_ms(),
            roles: Some(roles.to_vec()),
        };
        let text = serde_json::to_string(&record).map_err(|e| StoreError::Unavailable(format!("login record: {e}")))?;
        self.store.put_value(&token_key(&token), text, Some(self.idle.min(self.absolute))).await?;
        Ok(token)
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
        let now = self.clock.now_ms();
        let idle_since = record.seen_ms.saturating_add(self.idle.as_millis() as u64);
        if record.until_ms <= now || idle_since <= now {
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
    pub async fn is_registered(&self, token: &str) -> StoreResult<bool> {
        Ok(self.store.get_value(&token_key(token), None).await?.is_some())
    }

    pub async fn revoke(&self, token: &str) -> StoreResult<()> {
        self.store.delete_value(&token_key(token)).await
    }

    /// Ends every login of `username`, on every instance (one write).
    pub async fn end_all(&self, username: &str) -> StoreResult<()> {
        self.store.increment(&generation_key(username), None).await.map(drop)
    }

    async fn generation(&self, username: &str) -> StoreResult<i64> {
        let value = self.store.get_value(&generation_key(username), None).await?;
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Failed logins of `username` within the lockout window.
    pub async fn failures(&self, username: &str) -> StoreResult<u32> {
        let value = self.store.get_value(&failures_key(username), None).await?;
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Counts a failed login; the count starts its window on the first failure.
    pub async fn count_failure(&self, username: &str, window: Duration) -> StoreResult<u32> {
        let count = self.store.increment(&failures_key(username), Some(window)).await?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    pub async fn clear_failures(&self, username: &str) -> StoreResult<()> {
        self.store.delete_value(&failures_key(username)).await
    }
}
