//! Logouts the store did not confirm (it was down). The browser's cookie is cleared at once;
//! the session key is remembered here, never trusted again by this instance, and its session
//! and login are deleted from the store as soon as the store answers again.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::Logins;
use crate::session_store::{LOGIN_TOKEN, Store, StoreResult};

/// How often the store is tried again.
const RETRY_EVERY: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct PendingLogouts {
    keys: Arc<Mutex<HashSet<String>>>,
    store: Store,
    logins: Logins,
}

impl PendingLogouts {
    pub fn new(store: Store, logins: Logins) -> Self {
        Self { keys: Arc::default(), store, logins }
    }

    pub fn contains(&self, session_key: &str) -> bool {
        crate::sync::lock(&self.keys).contains(session_key)
    }

    /// Remembers a session to end, and starts trying the store.
    pub fn add(&self, session_key: String) {
        let first = {
            let mut keys = crate::sync::lock(&self.keys);
            let was_empty = keys.is_empty();
            keys.insert(session_key);
            was_empty
        };
        if first {
            let (keys, store, logins) = (Arc::downgrade(&self.keys), self.store.clone(), self.logins.clone());
            tokio::spawn(retry(keys, store, logins));
        }
    }
}

/// Tries every pending key until the store has ended them all.
async fn retry(keys: Weak<Mutex<HashSet<String>>>, store: Store, logins: Logins) {
    loop {
        tokio::time::sleep(RETRY_EVERY).await;
        let Some(keys) = keys.upgrade() else { return };
        let todo: Vec<String> = crate::sync::lock(&keys).iter().cloned().collect();
        for key in todo {
            if end_session(&store, &logins, &key).await.is_ok() {
                tracing::info!("a logout the store missed is now confirmed");
                crate::sync::lock(&keys).remove(&key);
            }
        }
        if crate::sync::lock(&keys).is_empty() {
            return;
        }
    }
}

/// Revokes the login kept in a session record (durably too), then deletes the record.
async fn end_session(store: &Store, logins: &Logins, session_key: &str) -> StoreResult<()> {
    let record = store.session_record(session_key).await?.unwrap_or_default();
    // actix-session keeps each value JSON-encoded.
    if let Some(token) = record.get(LOGIN_TOKEN).and_then(|v| serde_json::from_str::<String>(v).ok()) {
        logins.end(&token).await?;
    }
    store.delete_session_key(session_key).await
}
