//! Where the host reads the time for login deadlines: the system clock, or in tests a manual
//! clock that the test moves forward, so that a timeout is tested without waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// Unix milliseconds, moved only by [`Clock::advance`]; clones share it.
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// A manual clock starting at the system's time now.
    pub fn manual() -> Self {
        Self::Manual(Arc::new(AtomicU64::new(system_ms())))
    }

    /// Unix milliseconds now.
    pub fn now_ms(&self) -> u64 {
        match self {
            Self::System => system_ms(),
            Self::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward (the system clock moves by itself).
    pub fn advance(&self, by: Duration) {
        if let Self::Manual(ms) = self {
            ms.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
        }
    }
}

fn system_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_clones_follow() {
        let clock = Clock::manual();
        let copy = clock.clone();
        let start = clock.now_ms();
        clock.advance(Duration::from_secs(3));
        assert_eq!(copy.now_ms(), start + 3000);
    }
}
