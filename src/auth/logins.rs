//! Server-side logins. A login is a random token kept in the session record and registered in
//! the store with who logged in, the user's generation at that time, a fingerprint of the
//! password hash, and an absolute deadline; the store entry's expiry is the idle timeout,
//! pushed forward on every use. Revoking the token ends the login at once on every instance;
//! bumping the user's generation ends all of the user's logins in one write.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::session_store::{Store, StoreError, StoreResult, random_token};

/// One login as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginRecord {
    pub username: String,
    pub generation: i64,
    pub fingerprint: String,
    /// Unix milliseconds after which the login is over, however active it was.
    pub until_ms: u64,
}

/// The login registry over the session store.
#[derive(Clone)]
pub struct Logins {
    store: Store,
    idle: Duration,
    absolute: Duration,
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

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Logins {
    pub fn new(store: Store, idle: Duration, absolute: Duration) -> Self {
        Self { store, idle, absolute }
    }

    /// Registers a new login and returns its token.
    pub async fn open(&self, username: &str, fingerprint: &str) -> StoreResult<String> {
        let token = random_token();
        let record = LoginRecord {
            username: username.to_owned(),
            generation: self.generation(username).await?,
            fingerprint: fingerprint.to_owned(),
            until_ms: now_ms() + self.absolute.as_millis() as u64,
        };
        let text = serde_json::to_string(&record).map_err(|e| StoreError::Unavailable(format!("login record: {e}")))?;
        self.store.put_value(&token_key(&token), text, Some(self.idle.min(self.absolute))).await?;
        Ok(token)
    }

    /// The live login behind `token`: registered, not idle too long, within its absolute
    /// deadline, and not ended by a newer generation. Using it pushes the idle expiry forward.
    pub async fn check(&self, token: &str) -> StoreResult<Option<LoginRecord>> {
        let Some(text) = self.store.get_value(&token_key(token), Some(self.idle)).await? else { return Ok(None) };
        let Ok(record) = serde_json::from_str::<LoginRecord>(&text) else { return Ok(None) };
        if record.until_ms <= now_ms() {
            self.revoke(token).await?;
            return Ok(None);
        }
        if record.generation != self.generation(&record.username).await? {
            return Ok(None);
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
