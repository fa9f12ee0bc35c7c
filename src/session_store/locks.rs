//! How long a session lock is waited for and held, and the in-process half of every lock: the
//! events of one session inside this process queue on a striped async mutex before any store
//! round trip. Both stores wait the same bounded time and give the same answer when it runs out.

use std::sync::Arc;
use std::time::Duration;

pub use crate::config::LockTiming;

use super::{StoreError, StoreResult};

/// Independent locks; a session id always maps to the same one. Two sessions share a lock
/// only by chance, which costs a little waiting and never correctness.
const STRIPES: usize = 1024;

pub struct LocalLocks {
    stripes: Vec<Arc<tokio::sync::Mutex<()>>>,
    wait: Duration,
}

pub type LocalGuard = tokio::sync::OwnedMutexGuard<()>;

impl LocalLocks {
    pub fn new(wait: Duration) -> Self {
        Self { stripes: (0..STRIPES).map(|_| Arc::default()).collect(), wait }
    }

    /// Waits for this process's earlier events of the session, at most the lock wait (or what
    /// is left of the request's bound on store waits).
    pub async fn lock(&self, sid: &str) -> StoreResult<LocalGuard> {
        let stripe = self.stripes[stripe_of(sid)].clone();
        let wait = super::waits::remaining(self.wait);
        tokio::time::timeout(wait, stripe.lock_owned()).await.map_err(|_| StoreError::Busy)
    }
}

fn stripe_of(sid: &str) -> usize {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(sid);
    (hash as usize) % STRIPES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_event_of_a_busy_session_gives_up_after_the_wait() {
        let locks = LocalLocks::new(Duration::from_millis(50));
        let _first = locks.lock("s").await.unwrap();
        assert!(matches!(locks.lock("s").await, Err(StoreError::Busy)));
    }

    #[tokio::test]
    async fn the_next_event_gets_the_lock_once_the_first_lets_go() {
        let locks = LocalLocks::new(Duration::from_secs(5));
        let first = locks.lock("s").await.unwrap();
        drop(first);
        assert!(locks.lock("s").await.is_ok());
    }
}
