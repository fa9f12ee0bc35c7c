//! Logouts the store did not confirm (it was down). The browser's cookies are cleared at once;
//! the session key and the remember-me cookie are kept here, never trusted again by this
//! instance, and the session, its login and the remember-me series are deleted from the store
//! as soon as the store answers again.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::{Logins, Remember};
use crate::session_store::{LOGIN_TOKEN, Store, StoreResult};

/// How often the store is tried again.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// What a logout the store missed still has to end.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unconfirmed {
    /// A session, by its key.
    Session(String),
    /// A remember-me series, by the browser's cookie (`series:token`).
    Remember(String),
}

#[derive(Clone)]
pub struct PendingLogouts {
    keys: Arc<Mutex<HashSet<Unconfirmed>>>,
    store: Store,
    logins: Logins,
    remember: Remember,
}

impl PendingLogouts {
    pub fn new(store: Store, logins: Logins, remember: Remember) -> Self {
        Self { keys: Arc::default(), store, logins, remember }
    }

    pub fn contains(&self, ended: &Unconfirmed) -> bool {
        crate::sync::lock(&self.keys).contains(ended)
    }

    /// Remembers a session or series to end, and starts trying the store.
    pub fn add(&self, ended: Unconfirmed) {
        let first = {
            let mut keys = crate::sync::lock(&self.keys);
            let was_empty = keys.is_empty();
            keys.insert(ended);
            was_empty
        };
        if first {
            let ends = Ends { store: self.store.clone(), logins: self.logins.clone(), remember: self.remember.clone() };
            tokio::spawn(retry(Arc::downgrade(&self.keys), ends));
        }
    }
}

/// What ends things in the store.
struct Ends {
    store: Store,
    logins: Logins,
    remember: Remember,
}

/// Tries every pending key until the store has ended them all.
async fn retry(keys: Weak<Mutex<HashSet<Unconfirmed>>>, ends: Ends) {
    loop {
        tokio::time::sleep(RETRY_EVERY).await;
        let Some(keys) = keys.upgrade() else { return };
        let todo: Vec<Unconfirmed> = crate::sync::lock(&keys).iter().cloned().collect();
        for key in todo {
            let ended = match &key {
                Unconfirmed::Session(session_key) => end_session(&ends.store, &ends.logins, session_key).await,
                Unconfirmed::Remember(cookie) => ends.remember.forget(cookie).await,
            };
            if ended.is_ok() {
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
