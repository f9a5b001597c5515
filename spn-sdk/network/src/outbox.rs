//! Broadcasts held while no peer is subscribed to the topic yet, published as soon as one is.
//!
//! Gossipsub drops a message published with no subscribed peer
//! (`PublishError::NoPeersSubscribedToTopic`), and a node that just started has none until
//! its first peer's subscription arrives. Held messages keep their order, expire after
//! [`HOLD_FOR`] (consensus re-sends what still matters) and at most [`CAPACITY`] are kept,
//! the oldest dropped first.

use std::{
    collections::VecDeque,
    time::{Duration, Instant},
};

/// How long a broadcast waits for a first subscribed peer.
pub const HOLD_FOR: Duration = Duration::from_secs(10);
/// How many broadcasts wait at most.
pub const CAPACITY: usize = 1024;

/// The held broadcasts, oldest first.
#[derive(Debug, Default)]
pub struct Outbox {
    held: VecDeque<(Instant, Vec<u8>)>,
}

impl Outbox {
    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Holds `data`; returns whether the oldest message had to be dropped to make room.
    pub fn hold(&mut self, data: Vec<u8>, now: Instant) -> bool {
        let evicted = self.held.len() >= CAPACITY;
        if evicted {
            self.held.pop_front();
        }
        self.held.push_back((now, data));
        evicted
    }

    /// Drops messages held longer than [`HOLD_FOR`]; returns how many.
    pub fn expire(&mut self, now: Instant) -> usize {
        let before = self.held.len();
        self.held
            .retain(|(since, _)| now.saturating_duration_since(*since) < HOLD_FOR);
        before - self.held.len()
    }

    /// Takes every message still fresh at `now`, oldest first.
    pub fn take_fresh(&mut self, now: Instant) -> Vec<Vec<u8>> {
        self.expire(now);
        self.held.drain(..).map(|(_, data)| data).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_messages_keep_order_and_expire() {
        let t0 = Instant::now();
        let mut outbox = Outbox::default();
        assert!(!outbox.hold(vec![1], t0));
        assert!(!outbox.hold(vec![2], t0 + Duration::from_secs(5)));
        assert_eq!(outbox.expire(t0 + HOLD_FOR), 1);
        assert_eq!(outbox.take_fresh(t0 + HOLD_FOR), vec![vec![2]]);
        assert!(outbox.is_empty());
    }

    #[test]
    fn capacity_drops_the_oldest() {
        let t0 = Instant::now();
        let mut outbox = Outbox::default();
        for i in 0..CAPACITY {
            assert!(!outbox.hold(i.to_be_bytes().to_vec(), t0));
        }
        assert!(outbox.hold(vec![0xff], t0));
        let fresh = outbox.take_fresh(t0);
        assert_eq!(fresh.len(), CAPACITY);
        assert_eq!(fresh[0], 1usize.to_be_bytes().to_vec());
        assert_eq!(fresh[CAPACITY - 1], vec![0xff]);
    }
}
