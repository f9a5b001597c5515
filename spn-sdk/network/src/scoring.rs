//! Peer scoring: faults add penalty points, points recover with time, and a peer whose
//! penalty reaches [`BAN_THRESHOLD`] is banned for the configured duration.
//!
//! Invariants: a banned peer stays banned until its ban expires, whatever is reported
//! meanwhile; when a ban expires the peer starts again from a clean score. The table is pure:
//! time is passed in, so tests drive it without clocks.

use std::{
    collections::HashMap,
    hash::Hash,
    time::{Duration, Instant},
};

/// Penalty at which a peer is disconnected and banned.
pub const BAN_THRESHOLD: u32 = 100;
/// Penalty points forgiven per second of good behaviour.
pub const RECOVERY_PER_SECOND: u32 = 1;

/// A misbehaviour of a peer, reported by the network itself or by the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// A message that does not decode or verify: 25 points, so 4 in a row ban the peer.
    InvalidMessage,
    /// A message or request above `max_message_bytes`: 50 points, so 2 in a row ban the peer.
    /// The network reports this one itself.
    Oversized,
    /// A well-formed but useless or excessive message (e.g. floods, repeats): 10 points, so
    /// 10 in a row ban the peer.
    Spam,
}

impl Fault {
    /// The penalty points this fault costs.
    pub const fn weight(self) -> u32 {
        match self {
            Fault::InvalidMessage => 25,
            Fault::Oversized => 50,
            Fault::Spam => 10,
        }
    }
}

/// Outcome of reporting a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The peer stays; its penalty is now this many points.
    Penalised(u32),
    /// The penalty reached the threshold: the peer is banned from now until the given instant.
    Banned(Instant),
    /// The peer was already banned; nothing changes.
    AlreadyBanned,
}

#[derive(Debug, Clone, Copy)]
struct Standing {
    penalty: u32,
    last_recovery: Instant,
    banned_until: Option<Instant>,
}

/// Scores of every peer that misbehaved at least once.
#[derive(Debug)]
pub struct PeerScores<P> {
    ban_duration: Duration,
    peers: HashMap<P, Standing>,
}

impl<P: Copy + Eq + Hash> PeerScores<P> {
    /// An empty table that bans for `ban_duration`.
    pub fn new(ban_duration: Duration) -> Self {
        Self {
            ban_duration,
            peers: HashMap::new(),
        }
    }

    /// Records `fault` against `peer` at `now`.
    pub fn report(&mut self, peer: P, fault: Fault, now: Instant) -> Verdict {
        let standing = self.peers.entry(peer).or_insert(Standing {
            penalty: 0,
            last_recovery: now,
            banned_until: None,
        });
        if standing.banned_until.is_some() {
            return Verdict::AlreadyBanned;
        }
        recover(standing, now);
        standing.penalty = standing.penalty.saturating_add(fault.weight());
        if standing.penalty >= BAN_THRESHOLD {
            let until = now + self.ban_duration;
            standing.banned_until = Some(until);
            Verdict::Banned(until)
        } else {
            Verdict::Penalised(standing.penalty)
        }
    }

    /// Whether `peer` is banned at `now` (an expired ban no longer counts).
    pub fn is_banned(&self, peer: &P, now: Instant) -> bool {
        self.peers
            .get(peer)
            .and_then(|s| s.banned_until)
            .is_some_and(|until| now < until)
    }

    /// The current penalty of `peer` (0 for a peer never reported).
    pub fn penalty(&self, peer: &P, now: Instant) -> u32 {
        self.peers.get(peer).map_or(0, |s| {
            let mut s = *s;
            if s.banned_until.is_none() {
                recover(&mut s, now);
            }
            s.penalty
        })
    }

    /// Lifts every ban that has expired by `now` and forgets peers whose penalty fully
    /// recovered; returns the peers whose ban was lifted.
    pub fn expire(&mut self, now: Instant) -> Vec<P> {
        let mut lifted = Vec::new();
        self.peers
            .retain(|peer, standing| match standing.banned_until {
                Some(until) if now >= until => {
                    lifted.push(*peer);
                    false
                }
                Some(_) => true,
                None => {
                    recover(standing, now);
                    standing.penalty > 0
                }
            });
        lifted
    }
}

/// Forgives [`RECOVERY_PER_SECOND`] points per whole second since the last recovery.
fn recover(standing: &mut Standing, now: Instant) {
    let elapsed = now.saturating_duration_since(standing.last_recovery);
    let seconds = u32::try_from(elapsed.as_secs()).unwrap_or(u32::MAX);
    if seconds > 0 {
        standing.penalty = standing
            .penalty
            .saturating_sub(seconds.saturating_mul(RECOVERY_PER_SECOND));
        standing.last_recovery += Duration::from_secs(u64::from(seconds));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAN: Duration = Duration::from_secs(60);

    #[test]
    fn four_invalid_messages_ban_a_peer() {
        let mut scores = PeerScores::new(BAN);
        let now = Instant::now();
        for expected in [25, 50, 75] {
            assert_eq!(
                scores.report(1, Fault::InvalidMessage, now),
                Verdict::Penalised(expected)
            );
            assert!(!scores.is_banned(&1, now));
        }
        assert_eq!(
            scores.report(1, Fault::InvalidMessage, now),
            Verdict::Banned(now + BAN)
        );
        assert!(scores.is_banned(&1, now));
        assert!(!scores.is_banned(&2, now), "other peers are unaffected");
    }

    #[test]
    fn two_oversized_messages_ban_a_peer() {
        let mut scores = PeerScores::new(BAN);
        let now = Instant::now();
        assert_eq!(
            scores.report(7, Fault::Oversized, now),
            Verdict::Penalised(50)
        );
        assert!(matches!(
            scores.report(7, Fault::Oversized, now),
            Verdict::Banned(_)
        ));
    }

    #[test]
    fn ban_lasts_its_duration_then_the_peer_starts_clean() {
        let mut scores = PeerScores::new(BAN);
        let now = Instant::now();
        scores.report(1, Fault::Oversized, now);
        scores.report(1, Fault::Oversized, now);
        assert_eq!(
            scores.report(1, Fault::Spam, now),
            Verdict::AlreadyBanned,
            "reports during a ban change nothing"
        );
        assert!(scores.expire(now + BAN - Duration::from_secs(1)).is_empty());
        assert!(scores.is_banned(&1, now + BAN - Duration::from_secs(1)));
        assert_eq!(scores.expire(now + BAN), vec![1]);
        assert!(!scores.is_banned(&1, now + BAN));
        assert_eq!(scores.penalty(&1, now + BAN), 0);
    }

    #[test]
    fn penalty_recovers_one_point_per_second() {
        let mut scores = PeerScores::new(BAN);
        let now = Instant::now();
        scores.report(1, Fault::InvalidMessage, now);
        assert_eq!(scores.penalty(&1, now + Duration::from_secs(10)), 15);
        // Slow faults never accumulate to a ban.
        let mut t = now;
        for _ in 0..20 {
            t += Duration::from_secs(30);
            assert!(matches!(
                scores.report(1, Fault::InvalidMessage, t),
                Verdict::Penalised(_)
            ));
        }
        assert!(scores.expire(t + Duration::from_secs(100)).is_empty());
        assert_eq!(scores.penalty(&1, t + Duration::from_secs(100)), 0);
    }
}
