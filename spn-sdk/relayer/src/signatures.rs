//! Assemble a checkpoint submission from the signatures validators serve: only signatures
//! that verify, over the expected checkpoint, by distinct members of the epoch's set, and only
//! once they carry the quorum the Adaptor requires.

use alloy::primitives::{Bytes, B256, U256};
use ed25519_dalek::{Signature, VerifyingKey};
use pharos_contracts::CheckpointData;
use spn_chain::SignedCheckpoint;

/// An epoch's validator set, as the Registry snapshots it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochSet {
    /// Ed25519 keys, by position.
    pub keys: Vec<B256>,
    /// Restaked stake, by position.
    pub stakes: Vec<U256>,
    /// Total stake.
    pub total: U256,
}

/// What to send to `Adaptor.submitCheckpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Positions in the epoch set.
    pub indices: Vec<U256>,
    /// The matching signatures.
    pub signatures: Vec<Bytes>,
    /// Stake that signed.
    pub signed: U256,
    /// Signatures ignored: invalid, by keys outside the set, or over another checkpoint.
    pub rejected: usize,
}

/// Why a submission cannot be made yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotYet {
    /// Too little stake signed.
    #[error(
        "signatures from {signed} of {total} stake; the Adaptor needs more than 2/3 and at least {quorum_bps} bps ({rejected} signatures ignored)"
    )]
    NoQuorum {
        /// Stake that signed.
        signed: U256,
        /// Epoch stake.
        total: U256,
        /// The SPN's quorum.
        quorum_bps: u16,
        /// Signatures dropped as invalid, foreign or for another checkpoint.
        rejected: usize,
    },
}

/// Whether `signed` of `total` meets the Adaptor's rule: more than 2/3 and `quorum_bps`.
pub fn has_quorum(signed: U256, total: U256, quorum_bps: u16) -> bool {
    !total.is_zero()
        && signed * U256::from(3) > total * U256::from(2)
        && signed * U256::from(10_000) >= total * U256::from(quorum_bps)
}

/// Picks the valid signatures of `expected` (whose digest is `digest`) from `served`.
pub fn assemble(
    set: &EpochSet,
    quorum_bps: u16,
    expected: &CheckpointData,
    digest: B256,
    served: &[SignedCheckpoint],
) -> Result<Submission, NotYet> {
    let mut taken = vec![false; set.keys.len()];
    let mut out = Submission {
        indices: Vec::new(),
        signatures: Vec::new(),
        signed: U256::ZERO,
        rejected: 0,
    };
    let mut rejected = 0;
    for s in served {
        let Some(index) = set.keys.iter().position(|k| *k == s.signer) else {
            rejected += 1;
            continue;
        };
        if s.data() != *expected || !verifies(&s.signer, digest, &s.signature) {
            rejected += 1;
            continue;
        }
        if std::mem::replace(&mut taken[index], true) {
            continue;
        }
        out.indices.push(U256::from(index));
        out.signatures.push(s.signature.clone());
        out.signed += set.stakes[index];
    }
    if has_quorum(out.signed, set.total, quorum_bps) {
        out.rejected = rejected;
        Ok(out)
    } else {
        Err(NotYet::NoQuorum {
            signed: out.signed,
            total: set.total,
            quorum_bps,
            rejected,
        })
    }
}

fn verifies(key: &B256, digest: B256, signature: &Bytes) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(&key.0) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify_strict(digest.as_slice(), &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};
    use proptest::prelude::*;

    fn data() -> CheckpointData {
        CheckpointData {
            spn_id: 7,
            epoch: 2,
            height: 40,
            block_hash: B256::repeat_byte(1),
            state_root: B256::repeat_byte(2),
        }
    }

    fn keys(n: u8) -> Vec<SigningKey> {
        (1..=n).map(|i| SigningKey::from_bytes(&[i; 32])).collect()
    }

    fn set(keys: &[SigningKey], stakes: &[u64]) -> EpochSet {
        EpochSet {
            keys: keys
                .iter()
                .map(|k| B256::from(k.verifying_key().to_bytes()))
                .collect(),
            stakes: stakes.iter().map(|s| U256::from(*s)).collect(),
            total: U256::from(stakes.iter().sum::<u64>()),
        }
    }

    fn signed(key: &SigningKey, d: &CheckpointData, digest: B256) -> SignedCheckpoint {
        SignedCheckpoint {
            spn_id: d.spn_id,
            epoch: d.epoch,
            height: d.height,
            block_hash: d.block_hash,
            state_root: d.state_root,
            digest,
            signer: B256::from(key.verifying_key().to_bytes()),
            signature: Bytes::from(key.sign(digest.as_slice()).to_bytes().to_vec()),
        }
    }

    #[test]
    fn three_of_four_equal_validators_make_a_quorum_two_do_not() {
        let k = keys(4);
        let s = set(&k, &[1, 1, 1, 1]);
        let digest = B256::repeat_byte(9);
        let all: Vec<_> = k.iter().map(|k| signed(k, &data(), digest)).collect();
        let sub = assemble(&s, 6667, &data(), digest, &all[..3]).unwrap();
        assert_eq!(sub.indices, vec![U256::ZERO, U256::from(1), U256::from(2)]);
        assert_eq!(sub.signed, U256::from(3));
        let err = assemble(&s, 6667, &data(), digest, &all[..2]).unwrap_err();
        assert!(err.to_string().contains("signatures from 2 of 4 stake"));
    }

    #[test]
    fn forged_foreign_repeated_and_mismatched_signatures_are_not_counted() {
        let k = keys(3);
        let s = set(&k, &[1, 1, 1]);
        let digest = B256::repeat_byte(9);
        let good = signed(&k[0], &data(), digest);
        let mut forged = signed(&k[1], &data(), digest);
        forged.signature = good.signature.clone();
        let outsider = signed(&SigningKey::from_bytes(&[99; 32]), &data(), digest);
        let mut other_block = data();
        other_block.block_hash = B256::repeat_byte(7);
        let wrong = signed(&k[2], &other_block, digest);
        let served = [good.clone(), good, forged, outsider, wrong];
        match assemble(&s, 6667, &data(), digest, &served) {
            Err(NotYet::NoQuorum {
                signed, rejected, ..
            }) => {
                assert_eq!(signed, U256::from(1), "one distinct valid signer");
                assert_eq!(rejected, 3);
            }
            Ok(sub) => panic!("no quorum expected, got {sub:?}"),
        }
    }

    proptest! {
        /// The relayer submits exactly when the Adaptor would accept: no wasted transactions,
        /// no missed quorum.
        #[test]
        fn assembles_exactly_when_the_adaptor_rule_holds(
            stakes in proptest::collection::vec(1u64..1_000, 1..8),
            signing in proptest::collection::vec(any::<bool>(), 8),
            quorum_bps in 6_667u16..=10_000,
        ) {
            let k = keys(stakes.len() as u8);
            let s = set(&k, &stakes);
            let digest = B256::repeat_byte(3);
            let served: Vec<_> = k.iter().zip(&signing)
                .filter(|(_, sign)| **sign)
                .map(|(k, _)| signed(k, &data(), digest))
                .collect();
            let signed_stake: u64 = stakes.iter().zip(&signing).filter(|(_, s)| **s).map(|(v, _)| v).sum();
            let total: u64 = stakes.iter().sum();
            let rule = 3 * signed_stake > 2 * total && 10_000 * signed_stake >= total * u64::from(quorum_bps);
            prop_assert_eq!(assemble(&s, quorum_bps, &data(), digest, &served).is_ok(), rule);
        }
    }
}
