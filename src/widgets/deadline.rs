//! The wall-clock limits of the run on this thread: the run's own (`max_run_ms`) and, while a
//! `cache` loader fills a missing entry, the loader's (`max_load_ms`). A load does not count
//! against the run: when it ends, the run's deadline moves back by the time it took.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Marks a run stopped by its wall-clock limit.
pub const TIMEOUT: &str = "runnel:timeout";
/// Marks a run stopped because a cache loader ran past its own limit.
pub const LOAD_TIMEOUT: &str = "runnel:load-timeout";

#[derive(Debug, Clone, Copy)]
struct Limit {
    until: Instant,
    /// What a run stopped by this limit is told ([`TIMEOUT`] or [`LOAD_TIMEOUT`]).
    marker: &'static str,
    /// How long a cache loader may take, from when it starts.
    load: Duration,
}

thread_local! {
    /// The limit of the run on this thread, if a run is going on.
    static LIMIT: Cell<Option<Limit>> = const { Cell::new(None) };
}

/// Sets the wall-clock limits of the run on this thread until dropped.
pub struct Deadline(());

impl Deadline {
    /// The run may take `run`; each cache load inside it may take `load` on top.
    pub fn start(run: Duration, load: Duration) -> Self {
        LIMIT.with(|l| l.set(Some(Limit { until: Instant::now() + run, marker: TIMEOUT, load })));
        Self(())
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        LIMIT.with(|l| l.set(None));
    }
}

/// The marker of the limit that has passed on this thread, if one has.
pub fn passed() -> Option<&'static str> {
    LIMIT.with(|l| l.get().filter(|limit| Instant::now() >= limit.until).map(|limit| limit.marker))
}

/// How long the run on this thread may still take (none: no limit is set on this thread).
pub fn remaining() -> Option<Duration> {
    LIMIT.with(|l| l.get()).map(|limit| limit.until.saturating_duration_since(Instant::now()))
}

/// A cache load going on: the load's own limit replaces the run's until dropped, and then the
/// run gets back the time it had left when the load began.
pub struct Loading {
    saved: Option<Limit>,
    started: Instant,
}

impl Loading {
    pub fn start() -> Self {
        let started = Instant::now();
        let saved = LIMIT.with(|l| l.get());
        if let Some(run) = saved {
            LIMIT.with(|l| l.set(Some(Limit { until: started + run.load, marker: LOAD_TIMEOUT, ..run })));
        }
        Self { saved, started }
    }

    /// How long the load may still take (none: no run limit on this thread).
    pub fn remaining(&self) -> Option<Duration> {
        LIMIT.with(|l| l.get()).map(|limit| limit.until.saturating_duration_since(Instant::now()))
    }
}

impl Drop for Loading {
    fn drop(&mut self) {
        let took = self.started.elapsed();
        let restored = self.saved.map(|run| Limit { until: run.until + took, ..run });
        LIMIT.with(|l| l.set(restored));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_has_its_own_limit_and_gives_the_run_its_time_back() {
        let _run = Deadline::start(Duration::from_millis(20), Duration::from_secs(60));
        {
            let _load = Loading::start();
            std::thread::sleep(Duration::from_millis(40));
            assert_eq!(passed(), None, "the load may take longer than the run's limit");
        }
        assert_eq!(passed(), None, "the run's 20 ms start again after the load");
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(passed(), Some(TIMEOUT));
    }

    #[test]
    fn a_load_past_its_own_limit_is_told_apart_from_the_run() {
        let _run = Deadline::start(Duration::from_secs(60), Duration::from_millis(10));
        let load = Loading::start();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(passed(), Some(LOAD_TIMEOUT));
        drop(load);
        assert_eq!(passed(), None);
    }
}
