//! The bound on how long one request waits for the session store: its session's lock and every
//! store command share one deadline, set when the request arrives, so a slow or silent store
//! costs a request at most the bound however many round trips it makes. Time spent running the
//! script does not count (`not_counting`): a long run is the script's, not the store's.
//! Outside a request (background upkeep, tests of the store alone) only each wait's own
//! timeout applies.

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, Instant};

tokio::task_local! {
    static DEADLINE: Cell<Instant>;
}

/// Runs `work` (one request) with at most `limit` of store waits.
pub async fn bounded_by<F: Future>(limit: Duration, work: F) -> F::Output {
    DEADLINE.scope(Cell::new(Instant::now() + limit), work).await
}

/// How long the next wait may take: `own` (the wait's own timeout), or less if the request's
/// bound is nearer.
pub fn remaining(own: Duration) -> Duration {
    DEADLINE
        .try_with(|deadline| deadline.get().saturating_duration_since(Instant::now()))
        .map_or(own, |left| left.min(own))
}

/// Whether the request has no store time left.
pub fn exhausted() -> bool {
    remaining(Duration::MAX).is_zero()
}

/// Runs `work` without counting its time against the request's bound (a script run).
pub async fn not_counting<F: Future>(work: F) -> F::Output {
    let started = Instant::now();
    let output = work.await;
    let _ = DEADLINE.try_with(|deadline| deadline.set(deadline.get() + started.elapsed()));
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_share_one_deadline_and_script_time_does_not_count() {
        assert_eq!(remaining(Duration::from_secs(7)), Duration::from_secs(7), "no bound outside a request");
        bounded_by(Duration::from_millis(200), async {
            assert!(remaining(Duration::from_secs(7)) <= Duration::from_millis(200));
            not_counting(tokio::time::sleep(Duration::from_millis(300))).await;
            assert!(!exhausted(), "the run's time was given back");
            let _ = tokio::time::timeout(remaining(Duration::from_secs(7)), std::future::pending::<()>()).await;
            assert!(exhausted());
        })
        .await;
    }
}
