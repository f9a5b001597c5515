//! The node's clock: the system time plus an offset a dev chain can move forward (time warp),
//! so deadlines measured in hours or days can be rehearsed in seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch by the system clock.
pub(crate) fn system_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// System time plus a warp offset that only grows. Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicU64>,
}

impl Clock {
    /// Seconds since the Unix epoch on this chain's clock.
    pub fn now_secs(&self) -> u64 {
        system_secs().saturating_add(self.offset())
    }

    /// Milliseconds since the Unix epoch on this chain's clock.
    pub fn now_ms(&self) -> u64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        system.saturating_add(self.offset().saturating_mul(1000))
    }

    /// How far the clock runs ahead of the system time, in seconds.
    pub fn offset(&self) -> u64 {
        self.offset.load(Ordering::Acquire)
    }

    /// Moves the clock `seconds` forward; returns the total offset.
    pub fn warp(&self, seconds: u64) -> u64 {
        let before = self
            .offset
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |o| {
                Some(o.saturating_add(seconds))
            })
            .unwrap_or_default();
        before.saturating_add(seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warps_accumulate_and_are_shared_by_clones() {
        let clock = Clock::default();
        let other = clock.clone();
        assert_eq!(clock.warp(3_600), 3_600);
        assert_eq!(other.warp(60), 3_660);
        let now = system_secs();
        let warped = clock.now_secs();
        assert!(warped >= now + 3_660 && warped <= now + 3_661 + 5);
    }
}
