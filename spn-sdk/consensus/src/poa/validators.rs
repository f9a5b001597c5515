//! Hold an epoch's ordered, equal-weight validator set: who proposes a round, how many votes are final.
//!
//! Invariants: the set is non-empty, holds at most [`ValidatorSet::MAX_VALIDATORS`] distinct,
//! valid, non-weak ed25519 keys, and its order is the order the Registry snapshot gives.

use ed25519_dalek::VerifyingKey;

/// A validator's position in its [`ValidatorSet`].
pub type ValidatorIndex = u32;

/// Why a list of keys is not a validator set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorSetError {
    /// No keys.
    #[error("the validator set is empty")]
    Empty,
    /// More keys than the engine accepts.
    #[error("{len} validators exceed the maximum of {max}")]
    TooMany {
        /// Keys given.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A key is not a valid ed25519 point, or is a weak (small-order) key.
    #[error("validator {index} is not a valid ed25519 public key")]
    InvalidKey {
        /// Its position.
        index: usize,
    },
    /// A key appears twice.
    #[error("validator {index} repeats validator {first}")]
    Duplicate {
        /// The repeated position.
        index: usize,
        /// Where the key first appears.
        first: usize,
    },
}

/// The validators of an epoch, by position; every validator has one vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSet {
    keys: Vec<VerifyingKey>,
}

impl ValidatorSet {
    /// The largest set accepted (certificates carry at most this many signatures).
    pub const MAX_VALIDATORS: usize = 1024;

    /// A set from raw 32-byte public keys, in order.
    pub fn new(keys: &[[u8; 32]]) -> Result<Self, ValidatorSetError> {
        if keys.is_empty() {
            return Err(ValidatorSetError::Empty);
        }
        if keys.len() > Self::MAX_VALIDATORS {
            return Err(ValidatorSetError::TooMany {
                len: keys.len(),
                max: Self::MAX_VALIDATORS,
            });
        }
        let mut parsed = Vec::with_capacity(keys.len());
        for (index, raw) in keys.iter().enumerate() {
            if let Some(first) = keys[..index].iter().position(|k| k == raw) {
                return Err(ValidatorSetError::Duplicate { index, first });
            }
            let key = VerifyingKey::from_bytes(raw)
                .ok()
                .filter(|k| !k.is_weak())
                .ok_or(ValidatorSetError::InvalidKey { index })?;
            parsed.push(key);
        }
        Ok(Self { keys: parsed })
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

    /// The position of `key`, if it is a member.
    pub fn index_of(&self, key: &VerifyingKey) -> Option<ValidatorIndex> {
        let position = self.keys.iter().position(|k| k == key)?;
        ValidatorIndex::try_from(position).ok()
    }

    /// Whether `votes` distinct validators are more than two thirds of the set: `3·votes > 2·n`.
    pub fn is_quorum(&self, votes: usize) -> bool {
        // n ≤ MAX_VALIDATORS, so neither product can overflow.
        votes.saturating_mul(3) > self.keys.len().saturating_mul(2)
    }

    /// The smallest number of votes that is a quorum: `⌊2n/3⌋ + 1`.
    pub fn quorum(&self) -> usize {
        self.keys.len() * 2 / 3 + 1
    }

    /// The proposer of `round` at `height`: `validators[(height + round) mod n]`.
    pub fn proposer(&self, height: u64, round: u32) -> ValidatorIndex {
        // n ≥ 1 and ≤ MAX_VALIDATORS, so the casts and the sum of two residues are exact.
        let n = self.keys.len() as u64;
        let index = (height % n + u64::from(round) % n) % n;
        index as ValidatorIndex
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn keys(n: u8) -> Vec<[u8; 32]> {
        (0..n)
            .map(|i| {
                SigningKey::from_bytes(&[i + 1; 32])
                    .verifying_key()
                    .to_bytes()
            })
            .collect()
    }

    #[test]
    fn quorum_is_more_than_two_thirds_by_count() {
        for (n, needed) in [
            (1, 1),
            (2, 2),
            (3, 3),
            (4, 3),
            (5, 4),
            (6, 5),
            (7, 5),
            (10, 7),
        ] {
            let set = ValidatorSet::new(&keys(n)).unwrap();
            assert_eq!(set.quorum(), needed, "n = {n}");
            assert!(set.is_quorum(needed), "n = {n}");
            assert!(!set.is_quorum(needed - 1), "n = {n}");
        }
    }

    #[test]
    fn quorum_and_is_quorum_agree_for_every_size() {
        for n in 1..=100u8 {
            let set = ValidatorSet::new(&keys(n)).unwrap();
            let first = (0..=usize::from(n)).find(|&v| set.is_quorum(v));
            assert_eq!(first, Some(set.quorum()), "n = {n}");
        }
    }

    #[test]
    fn proposer_rotates_with_height_plus_round() {
        let set = ValidatorSet::new(&keys(4)).unwrap();
        assert_eq!(set.proposer(0, 0), 0);
        assert_eq!(set.proposer(1, 0), 1);
        assert_eq!(set.proposer(1, 1), 2);
        assert_eq!(set.proposer(3, 2), 1);
        assert_eq!(set.proposer(7, 0), 3);
        // No overflow at the extremes; still (h + r) mod n.
        let expected = ((u128::from(u64::MAX) + u128::from(u32::MAX)) % 4) as u32;
        assert_eq!(set.proposer(u64::MAX, u32::MAX), expected);
    }

    #[test]
    fn rejects_empty_duplicate_and_invalid_keys() {
        assert_eq!(ValidatorSet::new(&[]), Err(ValidatorSetError::Empty));
        let mut dup = keys(3);
        dup.push(dup[1]);
        assert_eq!(
            ValidatorSet::new(&dup),
            Err(ValidatorSetError::Duplicate { index: 3, first: 1 })
        );
        // The identity point is a valid encoding but a weak (small-order) key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            ValidatorSet::new(&[identity]),
            Err(ValidatorSetError::InvalidKey { index: 0 })
        );
    }

    #[test]
    fn finds_members_by_key() {
        let raw = keys(3);
        let set = ValidatorSet::new(&raw).unwrap();
        let key = VerifyingKey::from_bytes(&raw[2]).unwrap();
        assert_eq!(set.index_of(&key), Some(2));
        assert_eq!(set.key(2), Some(&key));
        assert_eq!(set.key(3), None);
    }
}
