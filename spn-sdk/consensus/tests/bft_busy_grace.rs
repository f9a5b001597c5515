//! The leader's wait for batches: once batches holding more than two thirds of stake are
//! certified it waits `batch_grace_ms` for the rest, and a batch it has already seen holding
//! transactions (still being checked and acked) `busy_batch_grace_ms` longer, so a loaded
//! proposer's batch is not left out of every block because it is the slowest to certify.

use ed25519_dalek::SigningKey;
use spn_consensus::bft::{Ack, Batch, Bft, BftAction, BftConfig, BftEvent, BftMessage, StakeSet};

const CHAIN: u64 = 7;

struct Leader {
    bft: Bft,
    timers: Vec<(u64, u64)>,
    built: Option<Vec<u32>>,
}

impl Leader {
    fn feed(&mut self, event: BftEvent) {
        for action in self.bft.on_event(event) {
            match action {
                BftAction::ScheduleTimeout { id, after_ms } => self.timers.push((id, after_ms)),
                BftAction::BuildBlock { batches, .. } => {
                    self.built = Some(batches.iter().map(|(p, _)| *p).collect())
                }
                _ => {}
            }
        }
    }

    /// Fires the pending timer scheduled with `after_ms`.
    fn fire(&mut self, after_ms: u64) {
        let i = self
            .timers
            .iter()
            .position(|(_, after)| *after == after_ms)
            .unwrap_or_else(|| panic!("no {after_ms} ms timer in {:?}", self.timers));
        let (id, _) = self.timers.remove(i);
        self.feed(BftEvent::Timeout { id });
    }
}

/// Height 1's leader with its own batch and two empty peer batches certified, and the third
/// peer's batch of 5 transactions seen but not yet checked. Returns the leader, the keys by
/// index and the busy batch.
fn leader_with_a_busy_batch_pending() -> (Leader, Vec<SigningKey>, Batch) {
    let mut keys: Vec<SigningKey> = (1..=4u8)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .collect();
    let public: Vec<[u8; 32]> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
    let set = StakeSet::equal(&public).unwrap();
    // Keys by index in the set.
    keys.sort_by_key(|k| set.index_of(&k.verifying_key()).unwrap());
    let me = set.leader(1, 0);
    let mut leader = Leader {
        bft: Bft::validator(BftConfig::new(CHAIN), keys[me as usize].clone()),
        timers: Vec::new(),
        built: None,
    };
    leader.feed(BftEvent::Started {
        head: 0,
        validators: set,
        wal: vec![],
    });
    leader.feed(BftEvent::TransactionsPending);
    leader.feed(BftEvent::BatchBuilt {
        height: 1,
        tx_count: 0,
        payload: vec![],
    });
    let peers: Vec<u32> = (0..4).filter(|v| *v != me).collect();
    let busy_proposer = peers[2];
    let busy = Batch::sign(
        CHAIN,
        1,
        busy_proposer,
        5,
        b"five txs".to_vec(),
        &keys[busy_proposer as usize],
    );
    let mut certified = vec![me];
    for &p in &peers[..2] {
        let batch = Batch::sign(CHAIN, 1, p, 0, vec![], &keys[p as usize]);
        leader.feed(BftEvent::Message(BftMessage::Batch(batch.clone())));
        leader.feed(BftEvent::BatchValidated {
            height: 1,
            proposer: p,
            digest: batch.header.digest,
            valid: true,
        });
        certified.push(p);
    }
    leader.feed(BftEvent::Message(BftMessage::Batch(busy.clone())));
    // Acks for the leader's and the two empty batches from every other validator.
    let own = Batch::sign(CHAIN, 1, me, 0, vec![], &keys[me as usize]);
    for &p in &certified {
        let header = if p == me {
            own.header
        } else {
            Batch::sign(CHAIN, 1, p, 0, vec![], &keys[p as usize]).header
        };
        for &voter in &peers {
            if voter != p {
                let ack = Ack::sign(CHAIN, &header, voter, &keys[voter as usize]);
                leader.feed(BftEvent::Message(BftMessage::Ack(ack)));
            }
        }
    }
    assert!(leader.built.is_none(), "nothing proposed before the grace");
    (leader, keys, busy)
}

#[test]
fn the_leader_waits_longer_for_a_batch_seen_with_transactions() {
    let (mut leader, _, _) = leader_with_a_busy_batch_pending();
    let config = BftConfig::new(CHAIN);
    leader.fire(config.batch_grace_ms);
    assert_eq!(
        leader.built, None,
        "a quorum is certified and the grace passed, but a batch with transactions is coming"
    );
    leader.fire(config.batch_grace_ms + config.busy_batch_grace_ms);
    let built = leader.built.expect("proposed after the longer grace");
    assert_eq!(built.len(), 3, "without the batch that never certified");
}

#[test]
fn a_busy_batch_certified_in_the_longer_grace_is_in_the_block() {
    let (mut leader, keys, busy) = leader_with_a_busy_batch_pending();
    let config = BftConfig::new(CHAIN);
    leader.fire(config.batch_grace_ms);
    assert_eq!(leader.built, None);
    let p = busy.header.proposer;
    leader.feed(BftEvent::BatchValidated {
        height: 1,
        proposer: p,
        digest: busy.header.digest,
        valid: true,
    });
    for voter in (0..4u32).filter(|v| *v != p) {
        let ack = Ack::sign(CHAIN, &busy.header, voter, &keys[voter as usize]);
        leader.feed(BftEvent::Message(BftMessage::Ack(ack)));
    }
    let built = leader
        .built
        .expect("proposed once every batch is certified");
    assert_eq!(built.len(), 4, "the busy batch is in");
    assert!(built.contains(&p));
}

#[test]
fn an_invalid_busy_batch_is_not_waited_for() {
    let (mut leader, _, busy) = leader_with_a_busy_batch_pending();
    leader.feed(BftEvent::BatchValidated {
        height: 1,
        proposer: busy.header.proposer,
        digest: busy.header.digest,
        valid: false,
    });
    leader.fire(BftConfig::new(CHAIN).batch_grace_ms);
    assert_eq!(leader.built.map(|b| b.len()), Some(3));
}
