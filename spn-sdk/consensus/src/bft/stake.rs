//! Hold an epoch's stake-weighted validator set: quorums by stake, the leader of a round, and the owner of a sender's transactions.
//!
//! Invariants: the set is non-empty, holds at most [`StakeSet::MAX_VALIDATORS`] distinct,
//! valid, non-weak ed25519 keys, each with a non-zero stake, in the order the Staking
//! contract's snapshot gives.

use ed25519_dalek::VerifyingKey;

use crate::poa::{ValidatorIndex, ValidatorSetError};

/// The validators of an epoch with their stake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakeSet {
    keys: Vec<VerifyingKey>,
    stakes: Vec<u64>,
    total: u128,
}

/// Why a list of (key, stake) pairs is not a stake set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StakeSetError {
    /// The keys are not a valid set (empty, too many, invalid or repeated keys).
    #[error(transparent)]
    Keys(#[from] ValidatorSetError),
    /// A validator has no stake.
    #[error("validator {index} has zero stake")]
    ZeroStake {
        /// Its position.
        index: usize,
    },
}

impl StakeSet {
    /// The largest set accepted.
    pub const MAX_VALIDATORS: usize = crate::poa::ValidatorSet::MAX_VALIDATORS;

    /// A set from raw 32-byte public keys and their stakes, in order.
    pub fn new(members: &[([u8; 32], u64)]) -> Result<Self, StakeSetError> {
        let raw: Vec<[u8; 32]> = members.iter().map(|(k, _)| *k).collect();
        // The key rules are the poa set's: non-empty, bounded, distinct, valid, not weak.
        let keys = crate::poa::ValidatorSet::new(&raw)?.keys().to_vec();
        let mut stakes = Vec::with_capacity(members.len());
        for (index, (_, stake)) in members.iter().enumerate() {
            if *stake == 0 {
                return Err(StakeSetError::ZeroStake { index });
            }
            stakes.push(*stake);
        }
        let total = stakes.iter().map(|s| u128::from(*s)).sum();
        Ok(Self {
            keys,
            stakes,
            total,
        })
    }

    /// A set where every validator has stake 1.
    pub fn equal(keys: &[[u8; 32]]) -> Result<Self, StakeSetError> {
        let members: Vec<_> = keys.iter().map(|k| (*k, 1)).collect();
        Self::new(&members)
    }

    /// How many validators.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a set is never empty (kept for the `len` convention).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys, by position.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// The key at `index`, if it is in the set.
    pub fn key(&self, index: ValidatorIndex) -> Option<&VerifyingKey> {
        self.keys.get(usize::try_from(index).ok()?)
    }

    /// The stake of `index` (0 outside the set).
    pub fn stake(&self, index: ValidatorIndex) -> u64 {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.stakes.get(i).copied())
            .unwrap_or(0)
    }

    /// The total stake.
    pub fn total(&self) -> u128 {
        self.total
    }

    /// The position of `key`, if it is a member.
    pub fn index_of(&self, key: &VerifyingKey) -> Option<ValidatorIndex> {
        let position = self.keys.iter().position(|k| k == key)?;
        ValidatorIndex::try_from(position).ok()
    }

    /// The summed stake of `members` (each counted once, unknown ones ignored).
    pub fn weight(&self, members: impl IntoIterator<Item = ValidatorIndex>) -> u128 {
        let mut seen = vec![false; self.keys.len()];
        let mut weight = 0u128;
        for index in members {
            if let Some(slot) = usize::try_from(index).ok().and_then(|i| seen.get_mut(i)) {
                if !*slot {
                    *slot = true;
                    weight += u128::from(self.stakes[index as usize]);
                }
            }
        }
        weight
    }

    /// Whether `weight` is more than two thirds of the stake: `3·w > 2·total`.
    pub fn is_quorum(&self, weight: u128) -> bool {
        weight.saturating_mul(3) > self.total.saturating_mul(2)
    }

    /// Whether `weight` is more than one third of the stake (it holds at least one honest
    /// validator when fewer than a third are Byzantine).
    pub fn exceeds_third(&self, weight: u128) -> bool {
        weight.saturating_mul(3) > self.total
    }

    /// The leader of `round` at `height`: `validators[(height + round) mod n]`.
    pub fn leader(&self, height: u64, round: u32) -> ValidatorIndex {
        let n = self.keys.len() as u64;
        ((height % n + u64::from(round) % n) % n) as ValidatorIndex
    }

    /// The validator whose batches carry the transactions of `sender` (its 20-byte address):
    /// FNV-1a (64-bit) of the address, modulo the set size. Every transaction of one sender
    /// goes to one validator, so no two validators propose it and its nonce order is kept.
    pub fn owner_of(&self, sender: &[u8]) -> ValidatorIndex {
        owner_index(sender, self.keys.len())
    }
}

/// [`StakeSet::owner_of`] for a set of `n` validators.
pub fn owner_index(sender: &[u8], n: usize) -> ValidatorIndex {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sender {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash % n.max(1) as u64) as ValidatorIndex
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn key(i: u8) -> [u8; 32] {
        SigningKey::from_bytes(&[i + 1; 32])
            .verifying_key()
            .to_bytes()
    }

    #[test]
    fn quorum_is_more_than_two_thirds_of_stake() {
        let set = StakeSet::new(&[(key(0), 10), (key(1), 10), (key(2), 10), (key(3), 60)]).unwrap();
        assert_eq!(set.total(), 90);
        assert!(!set.is_quorum(set.weight([0, 1, 2])));
        assert!(set.is_quorum(set.weight([3, 0])));
        assert!(!set.is_quorum(set.weight([3])));
        assert!(set.exceeds_third(set.weight([3])));
        assert!(!set.exceeds_third(set.weight([0, 1, 2])));
        // Repeated and unknown members count once / not at all.
        assert_eq!(set.weight([0, 0, 9]), 10);
    }

    #[test]
    fn equal_sets_need_three_of_four() {
        let set = StakeSet::equal(&[key(0), key(1), key(2), key(3)]).unwrap();
        assert!(!set.is_quorum(set.weight([0, 1])));
        assert!(set.is_quorum(set.weight([0, 1, 2])));
        assert!(set.exceeds_third(set.weight([0, 1])));
        assert!(!set.exceeds_third(set.weight([0])));
    }

    #[test]
    fn rejects_zero_stake_and_bad_keys() {
        assert_eq!(
            StakeSet::new(&[(key(0), 1), (key(1), 0)]),
            Err(StakeSetError::ZeroStake { index: 1 })
        );
        assert!(matches!(
            StakeSet::new(&[(key(0), 1), (key(0), 1)]),
            Err(StakeSetError::Keys(ValidatorSetError::Duplicate { .. }))
        ));
        assert!(StakeSet::new(&[]).is_err());
    }

    #[test]
    fn owners_spread_senders_over_every_validator() {
        let mut counts = [0u32; 4];
        for i in 0u32..4_000 {
            let mut sender = [0u8; 20];
            sender[..4].copy_from_slice(&i.to_be_bytes());
            counts[owner_index(&sender, 4) as usize] += 1;
        }
        for c in counts {
            assert!((800..1_200).contains(&c), "{counts:?}");
        }
        // Deterministic, and always inside the set.
        assert_eq!(owner_index(&[7; 20], 4), owner_index(&[7; 20], 4));
        assert_eq!(owner_index(&[7; 20], 1), 0);
    }
}
