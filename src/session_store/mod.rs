//! Where sessions live: the in-memory store (the default) or Redis, behind one [`Store`].
//!
//! A store keeps two things per browser session:
//! - the actix-session record (a small map holding our session id and CSRF token), through the
//!   [`actix_session::storage::SessionStore`] impl in `actix_store`;
//! - the [`SessionData`] (state map and widgets) under our own session id, which a handler loads
//!   and saves itself while it holds the session's lock, so that events apply one at a time.

mod actix_store;
mod memory;
mod redis;
mod typed;

use std::sync::Arc;
use std::time::Duration;

pub use memory::MemoryStore;
pub use redis::RedisStore;
pub use typed::TypedSession;

use crate::config::StoreSettings;
use crate::session_state::SessionData;

/// The store could not be reached or answered with an error. Pages show a 503 for it.
#[derive(Debug, thiserror::Error)]
#[error("session store unavailable: {0}")]
pub struct StoreUnavailable(pub String);

pub type StoreResult<T> = Result<T, StoreUnavailable>;

/// The configured store. Cloning is cheap; clones share everything.
#[derive(Clone)]
pub enum Store {
    Memory(Arc<MemoryStore>),
    Redis(RedisStore),
}

/// Held while one event of a session is applied; dropping it lets the next one in.
pub enum SessionLock {
    Memory(#[allow(dead_code)] tokio::sync::OwnedMutexGuard<()>),
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
    pub fn from_settings(settings: &StoreSettings, ttl: Duration) -> anyhow::Result<Self> {
        Ok(match settings {
            StoreSettings::Memory => Self::Memory(Arc::new(MemoryStore::new(ttl))),
            StoreSettings::Redis { url, timeout } => Self::Redis(RedisStore::new(url, *timeout, ttl)?),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Redis(_) => "redis",
        }
    }

    /// Waits until no other event of this session is being applied (on any instance).
    pub async fn lock(&self, sid: &str) -> StoreResult<SessionLock> {
        match self {
            Self::Memory(store) => Ok(SessionLock::Memory(store.lock(sid).await)),
            Self::Redis(store) => store.lock(sid).await.map(SessionLock::Redis),
        }
    }

    pub async fn load(&self, sid: &str) -> StoreResult<Option<Arc<SessionData>>> {
        match self {
            Self::Memory(store) => Ok(store.load_data(sid)),
            Self::Redis(store) => store.load_data(sid).await,
        }
    }

    pub async fn save(&self, sid: &str, data: Arc<SessionData>) -> StoreResult<()> {
        match self {
            Self::Memory(store) => {
                store.save_data(sid, data);
                Ok(())
            }
            Self::Redis(store) => store.save_data(sid, &data).await,
        }
    }

    /// How many times this instance wrote session data (unchanged state is never written).
    pub fn data_writes(&self) -> u64 {
        match self {
            Self::Memory(store) => store.data_writes(),
            Self::Redis(store) => store.data_writes(),
        }
    }

    /// Answers whether the store can be used right now (for `/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Redis(store) => store.ping().await,
        }
    }

    /// Starts background upkeep (the in-memory store's sweep of expired sessions).
    pub fn spawn_upkeep(&self) {
        if let Self::Memory(store) = self {
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
