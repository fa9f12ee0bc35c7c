//! Where sessions live: the in-memory store (the default) or Redis, behind one [`Store`].
//!
//! A store keeps two things per browser session:
//! - the actix-session record (a small map holding our session id and CSRF token), through the
//!   [`actix_session::storage::SessionStore`] impl in `actix_store`;
//! - the [`SessionData`] (state map and widgets) under our own session id, which a handler loads
//!   and saves itself while it holds the session's lock, so that events apply one at a time.

mod actix_store;
mod handle;
mod locks;
mod memory;
mod redis;
mod redis_link;
mod typed;
pub mod waits;

use std::sync::Arc;
use std::time::Duration;

pub use handle::{BrowserSession, PlainSession, RememberGrant};
pub use locks::LockTiming;
pub use memory::MemoryStore;
pub use redis::RedisStore;
pub use typed::{
    CookieScope, LOGIN_TOKEN, RememberCookie, SessionCookie, TypedSession, VisitorCookie, csrf_after_logout_key,
    session_key_of,
};

use crate::config::StoreSettings;
use crate::session_state::SessionData;

/// Why the store did not do what was asked. Each variant says whether anything was applied,
/// so that an answer never promises "not applied" when the outcome is unknown.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached, or a read failed: nothing was written.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    /// A write was sent but not answered: it may or may not have been applied.
    #[error("session store did not confirm a write: {0}")]
    Unconfirmed(String),
    /// Another event of the session held the lock for longer than the lock wait.
    #[error("the session is busy with another event")]
    Busy,
    /// The lock's lease ran out under this event (the heartbeat could not renew it), so its
    /// write was refused: another event may hold the session now.
    #[error("the session lock's lease was lost; the write was refused")]
    LeaseLost,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The configured store. Cloning is cheap; clones share everything.
#[derive(Clone)]
pub enum Store {
    Memory(Arc<MemoryStore>, Arc<locks::LocalLocks>),
    Redis(RedisStore),
}

/// Held while one event of a session is applied; dropping it lets the next one in. Session
/// data is saved through it, so only the holder of a live lock can write.
pub enum SessionLock {
    Memory(#[allow(dead_code)] locks::LocalGuard),
    Redis(redis::RedisLock),
}

impl SessionLock {
    /// Gives the lock back; for Redis this deletes the lock key at once.
    pub async fn release(self) {
        if let Self::Redis(lock) = self {
            lock.release().await;
        }
    }
}

impl Store {
    /// Builds the store the settings ask for (Redis connects lazily).
    pub fn from_settings(settings: &StoreSettings, ttl: Duration, timing: LockTiming) -> anyhow::Result<Self> {
        Ok(match settings {
            StoreSettings::Memory => {
                Self::Memory(Arc::new(MemoryStore::new(ttl)), Arc::new(locks::LocalLocks::new(timing.wait)))
            }
            StoreSettings::Redis { url, timeout } => Self::Redis(RedisStore::new(url, *timeout, ttl, timing)?),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Memory(..) => "memory",
            Self::Redis(_) => "redis",
        }
    }

    /// Waits until no other event of this session is being applied (on any instance).
    pub async fn lock(&self, sid: &str) -> StoreResult<SessionLock> {
        let started = std::time::Instant::now();
        let lock = match self {
            Self::Memory(_, locks) => locks.lock(sid).await.map(SessionLock::Memory),
            Self::Redis(store) => store.lock(sid).await.map(SessionLock::Redis),
        };
        crate::metrics::store_operation("session lock", lock.is_ok(), started.elapsed());
        lock
    }

    /// [`Store::lock`], then [`Store::load`] of the same session; with Redis one round trip.
    pub async fn lock_and_load(&self, sid: &str) -> StoreResult<(SessionLock, Option<Arc<SessionData>>)> {
        let started = std::time::Instant::now();
        let locked = match self {
            Self::Memory(store, locks) => {
                locks.lock(sid).await.map(|lock| (SessionLock::Memory(lock), store.load_data(sid)))
            }
            Self::Redis(store) => store.lock_and_load(sid).await.map(|(lock, data)| (SessionLock::Redis(lock), data)),
        };
        crate::metrics::store_operation("session lock", locked.is_ok(), started.elapsed());
        locked
    }

    /// [`Store::save`] under the lock's own session id, then [`SessionLock::release`]; with
    /// Redis one round trip. A lost lease writes nothing, as `save` does.
    pub async fn save_and_release(&self, lock: SessionLock, sid: &str, data: Arc<SessionData>) -> StoreResult<()> {
        match (self, lock) {
            (Self::Memory(store, _), lock) => {
                store.save_data(sid, data);
                drop(lock);
                Ok(())
            }
            (Self::Redis(store), SessionLock::Redis(lock)) => store.save_and_release(lock, sid, &data).await,
            (Self::Redis(_), SessionLock::Memory(_)) => Err(StoreError::LeaseLost),
        }
    }

    /// How many sessions the store holds now (for the metrics; a SCAN in Redis).
    pub async fn session_count(&self) -> StoreResult<u64> {
        match self {
            Self::Memory(store, _) => Ok(store.record_count()),
            Self::Redis(store) => store.record_count().await,
        }
    }

    pub async fn load(&self, sid: &str) -> StoreResult<Option<Arc<SessionData>>> {
        match self {
            Self::Memory(store, _) => Ok(store.load_data(sid)),
            Self::Redis(store) => store.load_data(sid).await,
        }
    }

    /// Saves a session's data under `sid` while `lock` is held (a login or logout saves under
    /// the session's new id while holding the old one's lock).
    pub async fn save(&self, lock: &SessionLock, sid: &str, data: Arc<SessionData>) -> StoreResult<()> {
        match (self, lock) {
            (Self::Memory(store, _), _) => {
                store.save_data(sid, data);
                Ok(())
            }
            (Self::Redis(store), SessionLock::Redis(lock)) => store.save_data(lock, sid, &data).await,
            (Self::Redis(_), SessionLock::Memory(_)) => Err(StoreError::LeaseLost),
        }
    }

    /// Deletes a session's data (the old id after a logout or a login).
    pub async fn delete(&self, sid: &str) -> StoreResult<()> {
        match self {
            Self::Memory(store, _) => {
                store.delete_data(sid);
                Ok(())
            }
            Self::Redis(store) => store.delete_data(sid).await,
        }
    }

    /// Deletes an actix-session record by its session key (the cookie's value).
    pub async fn delete_session_key(&self, key: &str) -> StoreResult<()> {
        match self {
            Self::Memory(store, _) => {
                store.delete_record(key);
                Ok(())
            }
            Self::Redis(store) => store.delete_record(key).await,
        }
    }

    /// The actix-session record of a session key.
    pub async fn session_record(&self, key: &str) -> StoreResult<Option<std::collections::HashMap<String, String>>> {
        match self {
            Self::Memory(store, _) => Ok(store.load_record(key)),
            Self::Redis(store) => store.load_record(key).await,
        }
    }

    /// A small shared value (auth bookkeeping); `ttl` of `None` keeps it until deleted.
    pub async fn put_value(&self, key: &str, value: String, ttl: Option<Duration>) -> StoreResult<()> {
        match self {
            Self::Memory(store, _) => {
                store.put_value(key, value, ttl);
                Ok(())
            }
            Self::Redis(store) => store.put_value(key, value, ttl).await,
        }
    }

    /// Reads a value; `touch` pushes its expiry to now + `touch` in the same step.
    pub async fn get_value(&self, key: &str, touch: Option<Duration>) -> StoreResult<Option<String>> {
        match self {
            Self::Memory(store, _) => Ok(store.get_value(key, touch)),
            Self::Redis(store) => store.get_value(key, touch).await,
        }
    }

    pub async fn delete_value(&self, key: &str) -> StoreResult<()> {
        match self {
            Self::Memory(store, _) => {
                store.delete_value(key);
                Ok(())
            }
            Self::Redis(store) => store.delete_value(key).await,
        }
    }

    /// Replaces a value only if it is still there (never brings a deleted one back); `true`
    /// when it was replaced.
    pub async fn replace_value(&self, key: &str, value: String, ttl: Option<Duration>) -> StoreResult<bool> {
        match self {
            Self::Memory(store, _) => Ok(store.replace_value(key, value, ttl)),
            Self::Redis(store) => store.replace_value(key, value, ttl).await,
        }
    }

    /// Adds one to a counter; a new counter gets `ttl`.
    pub async fn increment(&self, key: &str, ttl: Option<Duration>) -> StoreResult<i64> {
        match self {
            Self::Memory(store, _) => Ok(store.increment(key, ttl)),
            Self::Redis(store) => store.increment(key, ttl).await,
        }
    }

    /// Adds `member` to a small set (e.g. a user's logins); the set lives at least `ttl` from now.
    pub async fn add_member(&self, key: &str, member: &str, ttl: Duration) -> StoreResult<()> {
        match self {
            Self::Memory(store, _) => {
                store.add_member(key, member, ttl);
                Ok(())
            }
            Self::Redis(store) => store.add_member(key, member, ttl).await,
        }
    }

    /// The members of a set (none when it is missing or expired), in no particular order.
    pub async fn members(&self, key: &str) -> StoreResult<Vec<String>> {
        match self {
            Self::Memory(store, _) => Ok(store.members(key)),
            Self::Redis(store) => store.members(key).await,
        }
    }

    pub async fn remove_member(&self, key: &str, member: &str) -> StoreResult<()> {
        match self {
            Self::Memory(store, _) => {
                store.remove_member(key, member);
                Ok(())
            }
            Self::Redis(store) => store.remove_member(key, member).await,
        }
    }

    /// How many times this instance wrote session data (unchanged state is never written).
    pub fn data_writes(&self) -> u64 {
        match self {
            Self::Memory(store, _) => store.data_writes(),
            Self::Redis(store) => store.data_writes(),
        }
    }

    /// How many entries the store holds (session records, session data, auth values; for
    /// Redis every key of its database): what a visitor's page views must not grow.
    pub async fn entry_count(&self) -> StoreResult<usize> {
        match self {
            Self::Memory(store, _) => Ok(store.entry_count()),
            Self::Redis(store) => store.entry_count().await,
        }
    }

    /// The data of every stored session (for tests: what the store still holds).
    pub async fn all_data(&self) -> StoreResult<Vec<Arc<SessionData>>> {
        match self {
            Self::Memory(store, _) => Ok(store.all_data()),
            Self::Redis(store) => store.all_data().await,
        }
    }

    /// Answers whether the store can be used right now (for `/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        match self {
            Self::Memory(..) => Ok(()),
            Self::Redis(store) => store.ping().await,
        }
    }

    /// Starts background upkeep (the in-memory store's sweep of expired sessions).
    pub fn spawn_upkeep(&self) {
        if let Self::Memory(store, _) = self {
            MemoryStore::spawn_sweeper(Arc::downgrade(store));
        }
    }
}

/// A fresh random session key or id: 64 alphanumeric characters (~380 bits).
pub fn random_token() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng().sample_iter(&Alphanumeric).take(64).map(char::from).collect()
}
