//! Define the signed messages validators exchange and the exact bytes each signature covers.
//!
//! Signing bytes are domain-separated and fixed-width (all integers big-endian):
//!
//! | message  | bytes signed |
//! |----------|--------------|
//! | vote     | `b"pharos-poa-vote-v1"` ‖ spn_id (u32) ‖ height (u64) ‖ block_hash (32) |
//! | proposal | `b"pharos-poa-proposal-v1"` ‖ spn_id (u32) ‖ height (u64) ‖ round (u32) ‖ block_hash (32) |
//!
//! A vote does not name a round, so votes cast in different rounds for one block add up. A
//! proposal's signature covers the block hash, not the block bytes: the node must check that the
//! bytes hash to `block_hash` when it executes them.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::validators::ValidatorIndex;

/// A block's hash, as the node computes it; the engine treats it as opaque.
pub type BlockHash = [u8; 32];

/// A raw ed25519 signature.
pub type SignatureBytes = [u8; 64];

/// Domain tag of vote signatures.
pub const VOTE_DOMAIN: &[u8] = b"pharos-poa-vote-v1";

/// Domain tag of proposal signatures.
pub const PROPOSAL_DOMAIN: &[u8] = b"pharos-poa-proposal-v1";

/// The bytes a vote for `block_hash` at `height` on SPN `spn_id` signs.
pub fn vote_signing_bytes(spn_id: u32, height: u64, block_hash: &BlockHash) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(VOTE_DOMAIN.len() + 4 + 8 + 32);
    bytes.extend_from_slice(VOTE_DOMAIN);
    bytes.extend_from_slice(&spn_id.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(block_hash);
    bytes
}

/// The bytes a proposal of `block_hash` for (`height`, `round`) on SPN `spn_id` signs.
pub fn proposal_signing_bytes(
    spn_id: u32,
    height: u64,
    round: u32,
    block_hash: &BlockHash,
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(PROPOSAL_DOMAIN.len() + 4 + 8 + 4 + 32);
    bytes.extend_from_slice(PROPOSAL_DOMAIN);
    bytes.extend_from_slice(&spn_id.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&round.to_be_bytes());
    bytes.extend_from_slice(block_hash);
    bytes
}

/// Whether `signature` by `key` over `message` verifies under ed25519's strict rules.
pub(crate) fn verifies(key: &VerifyingKey, message: &[u8], signature: &SignatureBytes) -> bool {
    key.verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

/// A validator's signed statement that `block_hash` is its block for `height`.
///
/// An honest validator signs at most one vote per height (see the module docs of `poa`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// The height voted on.
    pub height: u64,
    /// The block voted for.
    pub block_hash: BlockHash,
    /// The voter's position in the height's validator set.
    pub validator: ValidatorIndex,
    /// Signature over [`vote_signing_bytes`].
    pub signature: SignatureBytes,
}

impl Vote {
    /// A vote by `key` (at position `validator`) for `block_hash` at `height`.
    pub fn sign(
        spn_id: u32,
        height: u64,
        block_hash: BlockHash,
        validator: ValidatorIndex,
        key: &SigningKey,
    ) -> Self {
        let signature = key
            .sign(&vote_signing_bytes(spn_id, height, &block_hash))
            .to_bytes();
        Self {
            height,
            block_hash,
            validator,
            signature,
        }
    }

    /// Whether the signature is `key`'s over this vote on SPN `spn_id`.
    pub fn verify(&self, spn_id: u32, key: &VerifyingKey) -> bool {
        let bytes = vote_signing_bytes(spn_id, self.height, &self.block_hash);
        verifies(key, &bytes, &self.signature)
    }
}

/// The round's proposer's signed offer of a block for (`height`, `round`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The height proposed for.
    pub height: u64,
    /// The round proposed in.
    pub round: u32,
    /// The block's hash (the node checks the bytes against it).
    pub block_hash: BlockHash,
    /// The proposer's position in the height's validator set.
    pub proposer: ValidatorIndex,
    /// Signature over [`proposal_signing_bytes`].
    pub signature: SignatureBytes,
    /// The block, encoded by the node; opaque to the engine.
    pub block: Vec<u8>,
}

impl Proposal {
    /// A proposal by `key` (at position `proposer`) of `block` with hash `block_hash`.
    pub fn sign(
        spn_id: u32,
        height: u64,
        round: u32,
        block_hash: BlockHash,
        block: Vec<u8>,
        proposer: ValidatorIndex,
        key: &SigningKey,
    ) -> Self {
        let signature = key
            .sign(&proposal_signing_bytes(spn_id, height, round, &block_hash))
            .to_bytes();
        Self {
            height,
            round,
            block_hash,
            proposer,
            signature,
            block,
        }
    }

    /// Whether the signature is `key`'s over this proposal's header on SPN `spn_id`.
    pub fn verify(&self, spn_id: u32, key: &VerifyingKey) -> bool {
        let bytes = proposal_signing_bytes(spn_id, self.height, self.round, &self.block_hash);
        verifies(key, &bytes, &self.signature)
    }

    /// The proposal without its block bytes (enough to check the signature, e.g. as evidence).
    pub fn header(&self) -> Self {
        Self {
            block: Vec::new(),
            ..self.clone()
        }
    }
}

/// Proof that `block_hash` is final at `height`: votes from more than two thirds of the set.
///
/// Check it with [`verify_certificate`](super::verify_certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitCertificate {
    /// The final height.
    pub height: u64,
    /// The final block.
    pub block_hash: BlockHash,
    /// (validator position, its vote signature), by increasing position.
    pub signatures: Vec<(ValidatorIndex, SignatureBytes)>,
}

/// A final block with its certificate: what a validator that fell behind commits to catch up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The certificate.
    pub certificate: CommitCertificate,
    /// The block the certificate's hash names, encoded by the node.
    pub block: Vec<u8>,
}

/// Everything the engine sends and receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoaMessage {
    /// A block offered by the round's proposer.
    Proposal(Proposal),
    /// A validator's vote.
    Vote(Vote),
    /// A certificate, broadcast by each validator when it commits.
    Certificate(CommitCertificate),
    /// A certified block, served by the node's block sync.
    Decision(Decision),
}

impl PoaMessage {
    /// The height the message is about.
    pub fn height(&self) -> u64 {
        match self {
            Self::Proposal(p) => p.height,
            Self::Vote(v) => v.height,
            Self::Certificate(c) => c.height,
            Self::Decision(d) => d.certificate.height,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vote_signing_bytes_have_the_documented_layout() {
        let bytes = vote_signing_bytes(0x0102_0304, 0x0a0b_0c0d_0e0f_1011, &[0xee; 32]);
        let mut expected = b"pharos-poa-vote-v1".to_vec();
        expected.extend_from_slice(&[1, 2, 3, 4]);
        expected.extend_from_slice(&[0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11]);
        expected.extend_from_slice(&[0xee; 32]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn proposal_signing_bytes_have_the_documented_layout() {
        let bytes = proposal_signing_bytes(7, 9, 0x0506_0708, &[0xaa; 32]);
        let mut expected = b"pharos-poa-proposal-v1".to_vec();
        expected.extend_from_slice(&7u32.to_be_bytes());
        expected.extend_from_slice(&9u64.to_be_bytes());
        expected.extend_from_slice(&[5, 6, 7, 8]);
        expected.extend_from_slice(&[0xaa; 32]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn signatures_are_bound_to_spn_height_hash_and_domain() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let public = key.verifying_key();
        let vote = Vote::sign(1, 10, [4; 32], 0, &key);
        assert!(vote.verify(1, &public));
        assert!(!vote.verify(2, &public), "another SPN");
        assert!(!Vote {
            height: 11,
            ..vote.clone()
        }
        .verify(1, &public));
        assert!(!Vote {
            block_hash: [5; 32],
            ..vote.clone()
        }
        .verify(1, &public));
        let other = SigningKey::from_bytes(&[4; 32]).verifying_key();
        assert!(!vote.verify(1, &other));
        // A vote signature is not a proposal signature for the same fields.
        let proposal = Proposal {
            height: 10,
            round: 0,
            block_hash: [4; 32],
            proposer: 0,
            signature: vote.signature,
            block: Vec::new(),
        };
        assert!(!proposal.verify(1, &public));
        let proposal = Proposal::sign(1, 10, 0, [4; 32], vec![1], 0, &key);
        assert!(proposal.verify(1, &public));
        assert!(!Proposal {
            round: 1,
            ..proposal.clone()
        }
        .verify(1, &public));
        assert!(proposal.header().verify(1, &public), "bytes are not signed");
    }
}
