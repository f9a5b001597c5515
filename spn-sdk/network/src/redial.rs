//! The redial schedule of static peers: dial at start, then while a peer is disconnected retry
//! after 1 s, doubling up to 10 s; a peer that was healthy (connected and subscribed) before it
//! dropped is retried at once with the backoff reset.
//!
//! Pure: time is passed in, and the service performs the dials it returns.

use std::{
    collections::HashMap,
    hash::Hash,
    time::{Duration, Instant},
};

/// First retry delay after a failed or refused connection.
pub const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// Longest delay between two dials of a disconnected static peer.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
struct Schedule<A> {
    addr: A,
    connected: bool,
    next_attempt: Instant,
    backoff: Duration,
}

/// Redial schedules of the static peers, keyed by peer id.
#[derive(Debug)]
pub struct Redialer<P, A> {
    peers: HashMap<P, Schedule<A>>,
}

impl<P: Copy + Eq + Hash, A: Clone> Redialer<P, A> {
    /// Schedules every static peer for a dial at `now`.
    pub fn new(peers: impl IntoIterator<Item = (P, A)>, now: Instant) -> Self {
        let peers = peers
            .into_iter()
            .map(|(peer, addr)| {
                let schedule = Schedule {
                    addr,
                    connected: false,
                    next_attempt: now,
                    backoff: MIN_BACKOFF,
                };
                (peer, schedule)
            })
            .collect();
        Self { peers }
    }

    /// The static peers to dial at `now` (disconnected, due, not `skip`ped), each then
    /// rescheduled after its backoff, which doubles up to [`MAX_BACKOFF`].
    pub fn due(&mut self, now: Instant, skip: impl Fn(&P) -> bool) -> Vec<(P, A)> {
        let mut due = Vec::new();
        for (peer, s) in &mut self.peers {
            if s.connected || now < s.next_attempt || skip(peer) {
                continue;
            }
            due.push((*peer, s.addr.clone()));
            s.next_attempt = now + s.backoff;
            s.backoff = (s.backoff * 2).min(MAX_BACKOFF);
        }
        due
    }

    /// A connection to `peer` is open.
    pub fn on_connected(&mut self, peer: &P) {
        if let Some(s) = self.peers.get_mut(peer) {
            s.connected = true;
        }
    }

    /// The last connection to `peer` closed; `was_healthy` if it had been usable.
    pub fn on_disconnected(&mut self, peer: &P, was_healthy: bool, now: Instant) {
        if let Some(s) = self.peers.get_mut(peer) {
            s.connected = false;
            if was_healthy {
                s.backoff = MIN_BACKOFF;
                s.next_attempt = now;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn dials_at_start_then_backs_off_to_ten_seconds() {
        let t0 = Instant::now();
        let mut r = Redialer::new([(1, "a")], t0);
        let mut attempts = Vec::new();
        for ms in (0..40_000).step_by(100) {
            let now = t0 + Duration::from_millis(ms);
            if !r.due(now, |_| false).is_empty() {
                attempts.push(ms / 1000);
            }
        }
        assert_eq!(attempts, vec![0, 1, 3, 7, 15, 25, 35]);
    }

    #[test]
    fn connected_and_skipped_peers_are_not_dialed() {
        let t0 = Instant::now();
        let mut r = Redialer::new([(1, "a"), (2, "b")], t0);
        r.on_connected(&1);
        assert_eq!(r.due(t0, |p| *p == 2), vec![]);
        assert_eq!(r.due(t0, |_| false), vec![(2, "b")]);
    }

    #[test]
    fn a_healthy_peer_that_drops_is_redialed_at_once() {
        let t0 = Instant::now();
        let mut r = Redialer::new([(1, "a")], t0);
        for s in [0, 1, 3, 7] {
            r.due(t0 + secs(s), |_| false);
        }
        r.on_connected(&1);
        let t1 = t0 + secs(8);
        r.on_disconnected(&1, true, t1);
        assert_eq!(r.due(t1, |_| false), vec![(1, "a")]);
        assert!(r.due(t1 + Duration::from_millis(900), |_| false).is_empty());
        assert_eq!(r.due(t1 + secs(1), |_| false), vec![(1, "a")]);
    }

    #[test]
    fn a_refused_connection_keeps_backing_off() {
        let t0 = Instant::now();
        let mut r = Redialer::new([(1, "a")], t0);
        r.due(t0, |_| false);
        r.on_connected(&1);
        r.on_disconnected(&1, false, t0);
        assert!(r.due(t0, |_| false).is_empty(), "no tight redial loop");
        assert_eq!(r.due(t0 + secs(1), |_| false), vec![(1, "a")]);
    }
}
