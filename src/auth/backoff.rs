//! Exponential back-off after failures (wrong passwords, wrong reset codes), kept in the store
//! so that it holds across instances. Failures are counted per account and client, and per
//! client across all accounts; past a number of free failures, each further failure makes that
//! counter's client wait twice as long as the one before (1 s, 2 s, 4 s, … up to a ceiling).
//! Nothing is counted per account alone: failures from one client never slow the account's
//! owner on another client.

use std::net::IpAddr;
use std::time::Duration;

use crate::clock::Clock;
use crate::session_store::{Store, StoreResult};

/// Failure counts are forgotten this long after a counter's first failure.
const COUNT_WINDOW: Duration = Duration::from_secs(86_400);
/// A client across all accounts gets this many times the free failures of one account.
const CLIENT_FACTOR: u32 = 4;

/// The back-off of one kind of attempt (`login`, `reset_code`).
#[derive(Clone)]
pub struct Backoff {
    store: Store,
    clock: Clock,
    kind: &'static str,
    /// Failures of one account from one client before back-off starts.
    free: u32,
    longest: Duration,
}

/// How long a counter's client waits after `failures` failures when `free` are allowed.
pub fn delay(failures: u32, free: u32, longest: Duration) -> Duration {
    if failures < free.max(1) {
        return Duration::ZERO;
    }
    let doublings = (failures - free.max(1)).min(30);
    Duration::from_secs(1u64 << doublings).min(longest)
}

impl Backoff {
    pub fn new(store: Store, clock: Clock, kind: &'static str, free: u32, longest: Duration) -> Self {
        Self { store, clock, kind, free, longest }
    }

    fn account_key(&self, username: &str, client: IpAddr) -> String {
        format!("backoff:{}:{username}|{client}", self.kind)
    }

    fn client_key(&self, client: IpAddr) -> String {
        format!("backoff:{}:client|{client}", self.kind)
    }

    /// Whether `client` must still wait before trying `username` again.
    pub async fn waiting(&self, username: &str, client: IpAddr) -> StoreResult<bool> {
        let now = self.clock.now_ms();
        for key in [self.account_key(username, client), self.client_key(client)] {
            let until = self.store.get_value(&until_key(&key), None).await?;
            if until.and_then(|v| v.parse::<u64>().ok()).is_some_and(|until| until > now) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Counts a failure of `client` on `username`; returns how long the client now waits.
    pub async fn count_failure(&self, username: &str, client: IpAddr) -> StoreResult<Duration> {
        let account = self.count(&self.account_key(username, client), self.free).await?;
        let client = self.count(&self.client_key(client), self.free.saturating_mul(CLIENT_FACTOR)).await?;
        Ok(account.max(client))
    }

    async fn count(&self, key: &str, free: u32) -> StoreResult<Duration> {
        let failures = self.store.increment(key, Some(COUNT_WINDOW)).await?;
        let wait = delay(u32::try_from(failures).unwrap_or(u32::MAX), free, self.longest);
        if !wait.is_zero() {
            let until = self.clock.now_ms() + wait.as_millis() as u64;
            self.store.put_value(&until_key(key), until.to_string(), Some(COUNT_WINDOW)).await?;
        }
        Ok(wait)
    }

    /// Forgets the failures of `client` on `username` (after a success). The client's count
    /// across accounts stays: logging into one's own account must not reset it.
    pub async fn clear(&self, username: &str, client: IpAddr) -> StoreResult<()> {
        let key = self.account_key(username, client);
        self.store.delete_value(&until_key(&key)).await?;
        self.store.delete_value(&key).await
    }
}

fn until_key(key: &str) -> String {
    format!("{key}|until")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_starts_at_the_free_failures_and_doubles_up_to_the_ceiling() {
        let longest = Duration::from_secs(900);
        let waits: Vec<u64> = (1..=16).map(|n| delay(n, 5, longest).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
        assert_eq!(delay(u32::MAX, 5, longest), longest);
    }
}
