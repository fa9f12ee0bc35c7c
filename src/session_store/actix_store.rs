//! [`SessionStore`] for actix-session over our stores. Unlike actix-session's own Redis store,
//! an update of a session that was deleted is refused instead of saved under a new key, so a
//! request that outlives a logout can never bring the session back.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

use super::{Store, random_token};

type Record = HashMap<String, String>;

fn std_ttl(ttl: &Duration) -> std::time::Duration {
    std::time::Duration::from_secs(ttl.whole_seconds().max(1) as u64)
}

/// A new session key: 64 alphanumerics, which always fit a cookie.
fn new_key() -> Result<SessionKey, SaveError> {
    SessionKey::try_from(random_token()).map_err(|e| SaveError::Other(e.into()))
}

impl SessionStore for Store {
    async fn load(&self, key: &SessionKey) -> Result<Option<Record>, LoadError> {
        match self {
            Store::Memory(store, _) => Ok(store.load_record(key.as_ref())),
            Store::Redis(store) => store.load_record(key.as_ref()).await.map_err(|e| LoadError::Other(e.into())),
        }
    }

    async fn save(&self, record: Record, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = new_key()?;
        match self {
            Store::Memory(store, _) => store.insert_record(key.as_ref().to_owned(), record, std_ttl(ttl)),
            Store::Redis(store) => {
                let secs = std_ttl(ttl).as_secs();
                store.write_record(key.as_ref(), &record, secs, false).await.map_err(|e| SaveError::Other(e.into()))?;
            }
        }
        Ok(key)
    }

    async fn update(&self, key: SessionKey, record: Record, ttl: &Duration) -> Result<SessionKey, UpdateError> {
        let written = match self {
            Store::Memory(store, _) => store.update_record(key.as_ref(), record, std_ttl(ttl)),
            Store::Redis(store) => store
                .write_record(key.as_ref(), &record, std_ttl(ttl).as_secs(), true)
                .await
                .map_err(|e| UpdateError::Other(e.into()))?,
        };
        if !written {
            tracing::info!("refused to write back a session that no longer exists");
        }
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        match self {
            Store::Memory(store, _) => store.touch_record(key.as_ref(), std_ttl(ttl)),
            Store::Redis(store) => store.touch_record(key.as_ref(), std_ttl(ttl).as_secs()).await?,
        }
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        match self {
            Store::Memory(store, _) => store.delete_record(key.as_ref()),
            Store::Redis(store) => store.delete_record(key.as_ref()).await?,
        }
        Ok(())
    }
}
