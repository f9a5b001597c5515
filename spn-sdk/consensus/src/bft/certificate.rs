//! Check `bft` certificates against a stake set: commit certificates (precommits) and batch certificates (acks).
//!
//! Anyone holding the validator set of a height can run these; a verified commit certificate
//! is what makes a block final for followers, light clients, SPN nodes and validators that
//! catch up by sync.

use super::messages::{
    ack_signing_bytes, verifies, vote_signing_bytes, CertifiedBatch, CommitCertificate,
    SignatureBytes, VoteKind, NIL,
};
use super::stake::StakeSet;
use crate::poa::ValidatorIndex;

/// Why a certificate does not prove what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BftCertificateError {
    /// A signer's position is outside the set.
    #[error("signer {index} is not in the validator set")]
    UnknownSigner {
        /// The position.
        index: ValidatorIndex,
    },
    /// A signer appears more than once.
    #[error("signer {index} appears more than once")]
    DuplicateSigner {
        /// The position.
        index: ValidatorIndex,
    },
    /// The signers hold no more than two thirds of the stake.
    #[error("signers hold {got} of {total} stake; more than two thirds is needed")]
    TooLittleStake {
        /// The signers' stake.
        got: u128,
        /// The total stake.
        total: u128,
    },
    /// A signature does not verify (strictly) for its signer's key.
    #[error("the signature of signer {index} does not verify")]
    BadSignature {
        /// The position.
        index: ValidatorIndex,
    },
    /// A commit certificate for the nil block.
    #[error("a certificate cannot finalize the nil block")]
    Nil,
}

/// Checks that `certificate` proves its block final at its height on chain `chain_id`, where
/// `validators` is the set of that height.
pub fn verify_commit_certificate(
    chain_id: u64,
    validators: &StakeSet,
    certificate: &CommitCertificate,
) -> Result<(), BftCertificateError> {
    if certificate.block_hash == NIL {
        return Err(BftCertificateError::Nil);
    }
    let bytes = vote_signing_bytes(
        chain_id,
        certificate.height,
        certificate.round,
        VoteKind::Precommit,
        &certificate.block_hash,
    );
    verify_signers(validators, &certificate.signatures, |_| bytes.clone())
}

/// Checks that `certified` carries valid acks of more than two thirds of stake for its batch.
pub fn verify_batch_certificate(
    chain_id: u64,
    validators: &StakeSet,
    certified: &CertifiedBatch,
) -> Result<(), BftCertificateError> {
    let header = &certified.batch.header;
    let bytes = ack_signing_bytes(chain_id, header.height, header.proposer, &header.digest);
    verify_signers(validators, &certified.acks, |_| bytes.clone())
}

fn verify_signers(
    validators: &StakeSet,
    signatures: &[(ValidatorIndex, SignatureBytes)],
    message: impl Fn(ValidatorIndex) -> Vec<u8>,
) -> Result<(), BftCertificateError> {
    // Cheap structural checks first, so a junk certificate costs no signature verification.
    let mut seen = vec![false; validators.len()];
    for (index, _) in signatures {
        let slot = usize::try_from(*index)
            .ok()
            .and_then(|i| seen.get_mut(i))
            .ok_or(BftCertificateError::UnknownSigner { index: *index })?;
        if *slot {
            return Err(BftCertificateError::DuplicateSigner { index: *index });
        }
        *slot = true;
    }
    let got = validators.weight(signatures.iter().map(|(i, _)| *i));
    if !validators.is_quorum(got) {
        return Err(BftCertificateError::TooLittleStake {
            got,
            total: validators.total(),
        });
    }
    for (index, signature) in signatures {
        let key = validators
            .key(*index)
            .ok_or(BftCertificateError::UnknownSigner { index: *index })?;
        if !verifies(key, &message(*index), signature) {
            return Err(BftCertificateError::BadSignature { index: *index });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bft::messages::{Hash, Vote};
    use ed25519_dalek::SigningKey;

    fn keys(n: u8) -> Vec<SigningKey> {
        (0..n)
            .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
            .collect()
    }

    fn certificate(keys: &[SigningKey], signers: &[u32], hash: Hash) -> CommitCertificate {
        CommitCertificate {
            height: 4,
            round: 1,
            block_hash: hash,
            signatures: signers
                .iter()
                .map(|&i| {
                    let v = Vote::sign(7, 4, 1, VoteKind::Precommit, hash, i, &keys[i as usize]);
                    (i, v.signature)
                })
                .collect(),
        }
    }

    #[test]
    fn commit_certificates_need_a_stake_quorum_of_valid_distinct_precommits() {
        let keys = keys(4);
        let raw: Vec<_> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
        let set = StakeSet::equal(&raw).unwrap();
        let good = certificate(&keys, &[0, 1, 3], [5; 32]);
        assert_eq!(verify_commit_certificate(7, &set, &good), Ok(()));
        assert_eq!(
            verify_commit_certificate(8, &set, &good),
            Err(BftCertificateError::BadSignature { index: 0 })
        );
        let few = certificate(&keys, &[0, 1], [5; 32]);
        assert!(matches!(
            verify_commit_certificate(7, &set, &few),
            Err(BftCertificateError::TooLittleStake { .. })
        ));
        let mut dup = certificate(&keys, &[0, 1], [5; 32]);
        dup.signatures.push(dup.signatures[0]);
        assert_eq!(
            verify_commit_certificate(7, &set, &dup),
            Err(BftCertificateError::DuplicateSigner { index: 0 })
        );
        let mut unknown = good.clone();
        unknown.signatures[2].0 = 9;
        assert_eq!(
            verify_commit_certificate(7, &set, &unknown),
            Err(BftCertificateError::UnknownSigner { index: 9 })
        );
        let mut moved = good.clone();
        moved.round = 2;
        assert!(verify_commit_certificate(7, &set, &moved).is_err());
        let nil = certificate(&keys, &[0, 1, 2], NIL);
        assert_eq!(
            verify_commit_certificate(7, &set, &nil),
            Err(BftCertificateError::Nil)
        );
    }

    #[test]
    fn stake_not_heads_decides() {
        let keys = keys(4);
        let members: Vec<_> = keys
            .iter()
            .zip([70u64, 10, 10, 10])
            .map(|(k, s)| (k.verifying_key().to_bytes(), s))
            .collect();
        let set = StakeSet::new(&members).unwrap();
        // Three of four validators, but only 30% of stake.
        let light = certificate(&keys, &[1, 2, 3], [5; 32]);
        assert!(verify_commit_certificate(7, &set, &light).is_err());
        let heavy = certificate(&keys, &[0, 1], [5; 32]);
        assert_eq!(verify_commit_certificate(7, &set, &heavy), Ok(()));
    }
}
