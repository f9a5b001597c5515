//! Keep one height's batches and their availability acks, and tell which batches are certified.
//!
//! Every validator proposes one batch per height. A validator acks (h, proposer, digest) at
//! most once per proposer, after its node validated the batch; acks from more than two
//! thirds of stake certify the batch. Two certified batches for one (height, proposer) would
//! need an honest validator to ack both, so there is at most one.

use std::collections::BTreeMap;

use super::messages::{Batch, CertifiedBatch, Hash, SignatureBytes};
use super::stake::StakeSet;
use crate::poa::ValidatorIndex;

/// The node's verdict on a received batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// Sent to the node, no answer yet.
    Pending,
    /// Valid: acked.
    Valid,
    /// Invalid: never acked.
    Invalid,
}

/// This validator's own batch for a height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Own {
    /// Not asked for yet.
    None,
    /// Asked the node to build it.
    Building,
    /// Built, signed and sent.
    Sent(Batch),
}

/// Batches and acks of one height.
#[derive(Debug)]
pub(super) struct Availability {
    pub height: u64,
    /// The first correctly signed batch of each proposer.
    pub batches: BTreeMap<ValidatorIndex, (Batch, Check)>,
    /// Acks by (proposer, digest): voter → signature (each voter's first ack per proposer).
    pub acks: BTreeMap<(ValidatorIndex, Hash), BTreeMap<ValidatorIndex, SignatureBytes>>,
    /// Which digest each voter acked for each proposer: (proposer, voter) → digest.
    pub acked_by: BTreeMap<(ValidatorIndex, ValidatorIndex), Hash>,
    /// Certified batches we hold the payload of.
    pub certified: BTreeMap<ValidatorIndex, CertifiedBatch>,
    /// When the certified batches first held more than two thirds of stake (a timer id is
    /// started then: the leader's grace for the rest).
    pub quorum_reached: bool,
    /// This validator's own batch.
    pub own: Own,
}

impl Availability {
    pub fn new(height: u64) -> Self {
        Self {
            height,
            batches: BTreeMap::new(),
            acks: BTreeMap::new(),
            acked_by: BTreeMap::new(),
            certified: BTreeMap::new(),
            quorum_reached: false,
            own: Own::None,
        }
    }

    /// Whether anything for this height was seen (it has work: rounds should run).
    pub fn seen_anything(&self) -> bool {
        !self.batches.is_empty() || !self.acks.is_empty() || self.own != Own::None
    }

    /// Records `voter`'s ack of (`proposer`, `digest`); false if the voter already acked
    /// this proposer (the same or another digest).
    pub fn add_ack(
        &mut self,
        proposer: ValidatorIndex,
        digest: Hash,
        voter: ValidatorIndex,
        signature: SignatureBytes,
    ) -> bool {
        if self.acked_by.contains_key(&(proposer, voter)) {
            return false;
        }
        self.acked_by.insert((proposer, voter), digest);
        self.acks
            .entry((proposer, digest))
            .or_default()
            .insert(voter, signature);
        true
    }

    /// Certifies `proposer`'s batch if we hold it and more than two thirds of stake acked it.
    /// Returns true when it became certified now.
    pub fn try_certify(&mut self, set: &StakeSet, proposer: ValidatorIndex) -> bool {
        if self.certified.contains_key(&proposer) {
            return false;
        }
        let Some((batch, _)) = self.batches.get(&proposer) else {
            return false;
        };
        let Some(acks) = self.acks.get(&(proposer, batch.header.digest)) else {
            return false;
        };
        if !set.is_quorum(set.weight(acks.keys().copied())) {
            return false;
        }
        let certified = CertifiedBatch {
            batch: batch.clone(),
            acks: acks.iter().map(|(v, s)| (*v, *s)).collect(),
        };
        self.certified.insert(proposer, certified);
        true
    }

    /// The certified batches' summed stake (of their proposers).
    pub fn certified_weight(&self, set: &StakeSet) -> u128 {
        set.weight(self.certified.keys().copied())
    }

    /// Whether every proposer in `expected` has a certified batch.
    pub fn has_all(&self, expected: &[ValidatorIndex]) -> bool {
        expected.iter().all(|v| self.certified.contains_key(v))
    }

    /// Whether our own batch is certified.
    pub fn own_certified(&self, me: ValidatorIndex) -> bool {
        self.certified.contains_key(&me)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bft::messages::Ack;
    use ed25519_dalek::SigningKey;

    #[test]
    fn a_batch_is_certified_by_a_stake_quorum_of_acks_for_its_digest() {
        let keys: Vec<_> = (0..4u8)
            .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
            .collect();
        let raw: Vec<_> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
        let set = StakeSet::equal(&raw).unwrap();
        let mut a = Availability::new(3);
        let batch = Batch::sign(1, 3, 2, 0, vec![], &keys[2]);
        let other = Batch::sign(1, 3, 2, 1, vec![1], &keys[2]);
        a.batches.insert(2, (batch.clone(), Check::Valid));
        for v in [0u32, 1] {
            let ack = Ack::sign(1, &batch.header, v, &keys[v as usize]);
            assert!(a.add_ack(2, ack.digest, v, ack.signature));
            assert!(!a.try_certify(&set, 2));
        }
        // A voter's second ack for the same proposer does not count, whatever it names.
        let ack = Ack::sign(1, &other.header, 0, &keys[0]);
        assert!(!a.add_ack(2, ack.digest, 0, ack.signature));
        // An ack for another digest does not help this one.
        let ack = Ack::sign(1, &other.header, 3, &keys[3]);
        assert!(a.add_ack(2, ack.digest, 3, ack.signature));
        assert!(!a.try_certify(&set, 2));
        let ack = Ack::sign(1, &batch.header, 2, &keys[2]);
        assert!(a.add_ack(2, ack.digest, 2, ack.signature));
        assert!(a.try_certify(&set, 2));
        assert!(!a.try_certify(&set, 2), "certified once");
        assert!(a.has_all(&[2]));
        assert!(!a.has_all(&[1, 2]));
    }
}
