//! Check a commit certificate against a validator set: distinct members, more than two thirds, valid signatures.
//!
//! Anyone holding the validator set of the certificate's height can run this; it is what makes
//! a block final for followers, light clients and validators catching up.

use super::messages::{verifies, vote_signing_bytes, CommitCertificate, SignatureBytes};
use super::validators::{ValidatorIndex, ValidatorSet};

/// Why a certificate does not prove finality.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
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
    /// Not more than two thirds of the set signed.
    #[error("{got} signatures, {needed} needed")]
    TooFewSignatures {
        /// Distinct signers.
        got: usize,
        /// The quorum.
        needed: usize,
    },
    /// A signature does not verify (strictly) for its signer's key.
    #[error("the signature of signer {index} does not verify")]
    BadSignature {
        /// The position.
        index: ValidatorIndex,
    },
}

/// Checks that `certificate` proves its block final at its height on SPN `spn_id`, where
/// `validators` is the set of that height.
pub fn verify_certificate(
    spn_id: u32,
    validators: &ValidatorSet,
    certificate: &CommitCertificate,
) -> Result<(), CertificateError> {
    verify_certificate_trusting(spn_id, validators, certificate, |_, _| false)
}

/// [`verify_certificate`], skipping the signature check of entries `trusted` vouches for (the
/// engine passes the votes it has already verified). Structure and count are always checked.
pub(crate) fn verify_certificate_trusting(
    spn_id: u32,
    validators: &ValidatorSet,
    certificate: &CommitCertificate,
    trusted: impl Fn(ValidatorIndex, &SignatureBytes) -> bool,
) -> Result<(), CertificateError> {
    // Cheap structural checks first, so a junk certificate costs no signature verification.
    let mut seen = vec![false; validators.len()];
    for (index, _) in &certificate.signatures {
        let slot = usize::try_from(*index)
            .ok()
            .and_then(|i| seen.get_mut(i))
            .ok_or(CertificateError::UnknownSigner { index: *index })?;
        if std::mem::replace(slot, true) {
            return Err(CertificateError::DuplicateSigner { index: *index });
        }
    }
    let got = certificate.signatures.len();
    if !validators.is_quorum(got) {
        return Err(CertificateError::TooFewSignatures {
            got,
            needed: validators.quorum(),
        });
    }
    let bytes = vote_signing_bytes(spn_id, certificate.height, &certificate.block_hash);
    for (index, signature) in &certificate.signatures {
        if trusted(*index, signature) {
            continue;
        }
        let key = validators
            .key(*index)
            .ok_or(CertificateError::UnknownSigner { index: *index })?;
        if !verifies(key, &bytes, signature) {
            return Err(CertificateError::BadSignature { index: *index });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poa::messages::Vote;
    use ed25519_dalek::SigningKey;

    const SPN: u32 = 9;

    fn signers(n: u8) -> (Vec<SigningKey>, ValidatorSet) {
        let keys: Vec<_> = (0..n)
            .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
            .collect();
        let raw: Vec<_> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
        (keys, ValidatorSet::new(&raw).unwrap())
    }

    fn certificate(keys: &[SigningKey], who: &[u32]) -> CommitCertificate {
        CommitCertificate {
            height: 5,
            block_hash: [7; 32],
            signatures: who
                .iter()
                .map(|&i| {
                    (
                        i,
                        Vote::sign(SPN, 5, [7; 32], i, &keys[i as usize]).signature,
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn accepts_a_quorum_of_valid_signatures() {
        let (keys, set) = signers(4);
        assert_eq!(
            verify_certificate(SPN, &set, &certificate(&keys, &[0, 2, 3])),
            Ok(())
        );
        assert_eq!(
            verify_certificate(SPN, &set, &certificate(&keys, &[0, 1, 2, 3])),
            Ok(())
        );
    }

    #[test]
    fn rejects_too_few_signatures() {
        let (keys, set) = signers(4);
        assert_eq!(
            verify_certificate(SPN, &set, &certificate(&keys, &[0, 3])),
            Err(CertificateError::TooFewSignatures { got: 2, needed: 3 })
        );
        let (keys, set) = signers(7);
        assert_eq!(
            verify_certificate(SPN, &set, &certificate(&keys, &[0, 1, 2, 3])),
            Err(CertificateError::TooFewSignatures { got: 4, needed: 5 })
        );
    }

    #[test]
    fn rejects_a_forged_signature() {
        let (keys, set) = signers(4);
        let mut cert = certificate(&keys, &[0, 1, 2]);
        cert.signatures[1].1[0] ^= 1;
        assert_eq!(
            verify_certificate(SPN, &set, &cert),
            Err(CertificateError::BadSignature { index: 1 })
        );
        // A valid signature by the wrong member (1 signs as 2).
        let mut cert = certificate(&keys, &[0, 1, 2]);
        cert.signatures[2].1 = cert.signatures[1].1;
        assert_eq!(
            verify_certificate(SPN, &set, &cert),
            Err(CertificateError::BadSignature { index: 2 })
        );
        // Signatures over another height or another SPN do not carry over.
        let cert = certificate(&keys, &[0, 1, 2]);
        assert!(verify_certificate(SPN + 1, &set, &cert).is_err());
        assert!(verify_certificate(SPN, &set, &CommitCertificate { height: 6, ..cert }).is_err());
    }

    #[test]
    fn rejects_a_signer_outside_the_set() {
        let (keys, set) = signers(4);
        let mut cert = certificate(&keys, &[0, 1, 2]);
        cert.signatures.push((4, cert.signatures[0].1));
        assert_eq!(
            verify_certificate(SPN, &set, &cert),
            Err(CertificateError::UnknownSigner { index: 4 })
        );
        // A key outside the set signing as a member does not verify either.
        let (outsiders, _) = signers(5);
        let mut cert = certificate(&keys, &[0, 1]);
        cert.signatures
            .push((2, Vote::sign(SPN, 5, [7; 32], 2, &outsiders[4]).signature));
        assert_eq!(
            verify_certificate(SPN, &set, &cert),
            Err(CertificateError::BadSignature { index: 2 })
        );
    }

    #[test]
    fn rejects_a_duplicated_signer() {
        let (keys, set) = signers(4);
        let cert = certificate(&keys, &[0, 1, 1]);
        assert_eq!(
            verify_certificate(SPN, &set, &cert),
            Err(CertificateError::DuplicateSigner { index: 1 })
        );
    }
}
