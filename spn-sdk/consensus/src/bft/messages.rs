//! Define the signed messages `bft` validators exchange and the exact bytes each signature covers.
//!
//! Signing bytes are domain-separated and fixed-width (integers big-endian); `chain_id` binds
//! every signature to one chain:
//!
//! | message  | bytes signed |
//! |----------|--------------|
//! | batch    | `b"pharos-bft-batch-v1"` ‖ chain_id (u64) ‖ height (u64) ‖ proposer (u32) ‖ tx_count (u32) ‖ digest (32) |
//! | ack      | `b"pharos-bft-ack-v1"` ‖ chain_id (u64) ‖ height (u64) ‖ proposer (u32) ‖ digest (32) |
//! | proposal | `b"pharos-bft-proposal-v1"` ‖ chain_id (u64) ‖ height (u64) ‖ round (u32) ‖ pol_round (u32, `u32::MAX` = none) ‖ block_hash (32) ‖ body_digest (32) |
//! | vote     | `b"pharos-bft-vote-v1"` ‖ chain_id (u64) ‖ height (u64) ‖ round (u32) ‖ kind (u8: 1 prevote, 2 precommit) ‖ block_hash (32, zero = nil) |
//!
//! A batch's digest is SHA-256 of its payload. A proposal's body digest is SHA-256 of its
//! builder (u32) and timestamp (u64) followed by, for each batch in order, proposer (u32) ‖ tx_count (u32) ‖
//! digest (32). The Staking contract checks vote signatures byte for byte
//! (`Staking.voteDigestBytes`), so the vote layout is part of the on-chain interface.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::poa::ValidatorIndex;

/// A 32-byte hash: a block hash (opaque to the engine), a batch or body digest.
pub type Hash = [u8; 32];

/// A raw ed25519 signature.
pub type SignatureBytes = [u8; 64];

/// The block hash of a nil vote.
pub const NIL: Hash = [0; 32];

/// Bytes of a proposal's extra data at most (an Ethereum header allows 32; an SPN's
/// derivation takes 13).
pub const MAX_EXTRA_DATA: usize = 256;

/// Domain tag of batch signatures.
pub const BATCH_DOMAIN: &[u8] = b"pharos-bft-batch-v1";
/// Domain tag of availability acks.
pub const ACK_DOMAIN: &[u8] = b"pharos-bft-ack-v1";
/// Domain tag of proposal signatures.
pub const PROPOSAL_DOMAIN: &[u8] = b"pharos-bft-proposal-v1";
/// Domain tag of vote signatures.
pub const VOTE_DOMAIN: &[u8] = b"pharos-bft-vote-v1";

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// The bytes the batch header signs.
pub fn batch_signing_bytes(chain_id: u64, header: &BatchHeader) -> Vec<u8> {
    let mut b = Vec::with_capacity(BATCH_DOMAIN.len() + 8 + 8 + 4 + 4 + 32);
    b.extend_from_slice(BATCH_DOMAIN);
    b.extend_from_slice(&chain_id.to_be_bytes());
    b.extend_from_slice(&header.height.to_be_bytes());
    b.extend_from_slice(&header.proposer.to_be_bytes());
    b.extend_from_slice(&header.tx_count.to_be_bytes());
    b.extend_from_slice(&header.digest);
    b
}

/// The bytes an availability ack of batch (`height`, `proposer`, `digest`) signs.
pub fn ack_signing_bytes(
    chain_id: u64,
    height: u64,
    proposer: ValidatorIndex,
    digest: &Hash,
) -> Vec<u8> {
    let mut b = Vec::with_capacity(ACK_DOMAIN.len() + 8 + 8 + 4 + 32);
    b.extend_from_slice(ACK_DOMAIN);
    b.extend_from_slice(&chain_id.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&proposer.to_be_bytes());
    b.extend_from_slice(digest);
    b
}

/// The bytes a proposal signs.
pub fn proposal_signing_bytes(
    chain_id: u64,
    height: u64,
    round: u32,
    pol_round: Option<u32>,
    block_hash: &Hash,
    body_digest: &Hash,
) -> Vec<u8> {
    let mut b = Vec::with_capacity(PROPOSAL_DOMAIN.len() + 8 + 8 + 4 + 4 + 64);
    b.extend_from_slice(PROPOSAL_DOMAIN);
    b.extend_from_slice(&chain_id.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&round.to_be_bytes());
    b.extend_from_slice(&pol_round.unwrap_or(u32::MAX).to_be_bytes());
    b.extend_from_slice(block_hash);
    b.extend_from_slice(body_digest);
    b
}

/// The bytes a vote signs.
pub fn vote_signing_bytes(
    chain_id: u64,
    height: u64,
    round: u32,
    kind: VoteKind,
    block_hash: &Hash,
) -> Vec<u8> {
    let mut b = Vec::with_capacity(VOTE_DOMAIN.len() + 8 + 8 + 4 + 1 + 32);
    b.extend_from_slice(VOTE_DOMAIN);
    b.extend_from_slice(&chain_id.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&round.to_be_bytes());
    b.push(kind as u8);
    b.extend_from_slice(block_hash);
    b
}

/// Whether `signature` by `key` over `message` verifies under ed25519's strict rules.
pub(crate) fn verifies(key: &VerifyingKey, message: &[u8], signature: &SignatureBytes) -> bool {
    key.verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

fn sign(key: &SigningKey, message: &[u8]) -> SignatureBytes {
    key.sign(message).to_bytes()
}

/// What a batch is: `tx_count` transactions from `proposer`'s senders for block `height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BatchHeader {
    /// The block height the batch is for.
    pub height: u64,
    /// Its proposer's position in the height's set.
    pub proposer: ValidatorIndex,
    /// How many transactions the payload holds (as the proposer claims; the node checks).
    pub tx_count: u32,
    /// SHA-256 of the payload.
    pub digest: Hash,
}

/// A validator's batch of transactions for one height: every validator proposes one per height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// What it is.
    pub header: BatchHeader,
    /// The proposer's signature over [`batch_signing_bytes`].
    pub signature: SignatureBytes,
    /// The transactions, encoded by the node (opaque to the engine).
    pub payload: Vec<u8>,
}

impl Batch {
    /// `payload` as `proposer`'s batch for `height`, signed with `key`.
    pub fn sign(
        chain_id: u64,
        height: u64,
        proposer: ValidatorIndex,
        tx_count: u32,
        payload: Vec<u8>,
        key: &SigningKey,
    ) -> Self {
        let header = BatchHeader {
            height,
            proposer,
            tx_count,
            digest: sha256(&payload),
        };
        let signature = sign(key, &batch_signing_bytes(chain_id, &header));
        Self {
            header,
            signature,
            payload,
        }
    }

    /// Whether the signature verifies for `key` and the payload hashes to the digest.
    pub fn verify(&self, chain_id: u64, key: &VerifyingKey) -> bool {
        sha256(&self.payload) == self.header.digest
            && verifies(
                key,
                &batch_signing_bytes(chain_id, &self.header),
                &self.signature,
            )
    }
}

/// A validator's signed statement that it holds, and found valid, batch (`height`, `proposer`,
/// `digest`). More than two thirds of stake acking a batch certify it (it is available).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The batch's height.
    pub height: u64,
    /// The batch's proposer.
    pub proposer: ValidatorIndex,
    /// The batch's digest.
    pub digest: Hash,
    /// The acking validator.
    pub validator: ValidatorIndex,
    /// Signature over [`ack_signing_bytes`].
    pub signature: SignatureBytes,
}

impl Ack {
    /// An ack by `key` (at position `validator`).
    pub fn sign(
        chain_id: u64,
        header: &BatchHeader,
        validator: ValidatorIndex,
        key: &SigningKey,
    ) -> Self {
        let bytes = ack_signing_bytes(chain_id, header.height, header.proposer, &header.digest);
        Self {
            height: header.height,
            proposer: header.proposer,
            digest: header.digest,
            validator,
            signature: sign(key, &bytes),
        }
    }

    /// Whether the signature verifies for `key`.
    pub fn verify(&self, chain_id: u64, key: &VerifyingKey) -> bool {
        let bytes = ack_signing_bytes(chain_id, self.height, self.proposer, &self.digest);
        verifies(key, &bytes, &self.signature)
    }
}

/// A batch with the acks that certify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertifiedBatch {
    /// The batch.
    pub batch: Batch,
    /// (validator, signature over the ack bytes), more than two thirds of stake.
    pub acks: Vec<(ValidatorIndex, SignatureBytes)>,
}

/// A leader's proposal of the block for (`height`, `round`): the certified batches it orders,
/// and the hash of the block they execute to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The height.
    pub height: u64,
    /// The round.
    pub round: u32,
    /// The round in which a quorum prevoted this block, when it is proposed again.
    pub pol_round: Option<u32>,
    /// The block's hash, as the leader's node built it.
    pub block_hash: Hash,
    /// The leader.
    pub proposer: ValidatorIndex,
    /// The validator that built the block (its fee recipient): the leader, or for a block
    /// proposed again in a later round, the leader of the round it was built in.
    pub builder: ValidatorIndex,
    /// The block's timestamp (milliseconds since the Unix epoch).
    pub timestamp_ms: u64,
    /// The block's extra data as the builder's node chose it (what the block is derived from,
    /// e.g. an SPN's mainnet block and inbound messages), at most [`MAX_EXTRA_DATA`] bytes.
    /// Opaque to the engine; validators rebuild the block with it and the chain's rules check it.
    pub extra_data: Vec<u8>,
    /// The certified batches, by ascending proposer, at most one per proposer.
    pub batches: Vec<CertifiedBatch>,
    /// Signature over [`proposal_signing_bytes`].
    pub signature: SignatureBytes,
}

impl Proposal {
    /// The digest of the body (builder, timestamp, extra data and batch headers) the signature
    /// covers.
    pub fn body_digest(
        builder: ValidatorIndex,
        timestamp_ms: u64,
        extra_data: &[u8],
        batches: &[CertifiedBatch],
    ) -> Hash {
        let mut h = Sha256::new();
        h.update(builder.to_be_bytes());
        h.update(timestamp_ms.to_be_bytes());
        h.update((extra_data.len() as u32).to_be_bytes());
        h.update(extra_data);
        for c in batches {
            let header = &c.batch.header;
            h.update(header.proposer.to_be_bytes());
            h.update(header.tx_count.to_be_bytes());
            h.update(header.digest);
        }
        h.finalize().into()
    }

    /// The bytes the signature covers.
    pub fn signing_bytes(&self, chain_id: u64) -> Vec<u8> {
        proposal_signing_bytes(
            chain_id,
            self.height,
            self.round,
            self.pol_round,
            &self.block_hash,
            &Self::body_digest(
                self.builder,
                self.timestamp_ms,
                &self.extra_data,
                &self.batches,
            ),
        )
    }

    /// Signs (or re-signs) the proposal with `key`.
    pub fn signed(mut self, chain_id: u64, key: &SigningKey) -> Self {
        self.signature = sign(key, &self.signing_bytes(chain_id));
        self
    }

    /// Whether the signature verifies for `key`.
    pub fn verify(&self, chain_id: u64, key: &VerifyingKey) -> bool {
        verifies(key, &self.signing_bytes(chain_id), &self.signature)
    }

    /// The proposal without batch payloads (for logs and evidence).
    pub fn header(&self) -> Self {
        let mut copy = self.clone();
        for c in &mut copy.batches {
            c.batch.payload.clear();
        }
        copy
    }
}

/// The two votes of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VoteKind {
    /// First vote: the proposal is valid and acceptable to this validator's lock.
    Prevote = 1,
    /// Second vote: a quorum prevoted the block in this round; this validator locks on it.
    Precommit = 2,
}

/// A validator's signed prevote or precommit for `block_hash` (or nil) at (`height`, `round`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// The height.
    pub height: u64,
    /// The round.
    pub round: u32,
    /// Prevote or precommit.
    pub kind: VoteKind,
    /// The block voted for, or [`NIL`].
    pub block_hash: Hash,
    /// The voter's position in the height's set.
    pub validator: ValidatorIndex,
    /// Signature over [`vote_signing_bytes`].
    pub signature: SignatureBytes,
}

impl Vote {
    /// A vote by `key` (at position `validator`).
    pub fn sign(
        chain_id: u64,
        height: u64,
        round: u32,
        kind: VoteKind,
        block_hash: Hash,
        validator: ValidatorIndex,
        key: &SigningKey,
    ) -> Self {
        let bytes = vote_signing_bytes(chain_id, height, round, kind, &block_hash);
        Self {
            height,
            round,
            kind,
            block_hash,
            validator,
            signature: sign(key, &bytes),
        }
    }

    /// Whether the signature verifies for `key`.
    pub fn verify(&self, chain_id: u64, key: &VerifyingKey) -> bool {
        let bytes = vote_signing_bytes(
            chain_id,
            self.height,
            self.round,
            self.kind,
            &self.block_hash,
        );
        verifies(key, &bytes, &self.signature)
    }
}

/// Proof that block `block_hash` is final at `height`: precommits of more than two thirds of
/// the height's stake in one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitCertificate {
    /// The height.
    pub height: u64,
    /// The round the precommits are from.
    pub round: u32,
    /// The final block.
    pub block_hash: Hash,
    /// (validator, precommit signature), by ascending validator.
    pub signatures: Vec<(ValidatorIndex, SignatureBytes)>,
}

/// A final block as block sync serves it: the node's block bytes and their certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The certificate.
    pub certificate: CommitCertificate,
    /// The block, encoded by the node.
    pub block: Vec<u8>,
}

/// Everything validators send each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BftMessage {
    /// A batch of transactions.
    Batch(Batch),
    /// An availability ack of a batch.
    Ack(Ack),
    /// A leader's block proposal.
    Proposal(Proposal),
    /// A prevote or precommit.
    Vote(Vote),
    /// A commit certificate (sent on commit, so validators that missed precommits finish).
    Certificate(CommitCertificate),
    /// A certified block from block sync.
    Decision(Decision),
}

impl BftMessage {
    /// The height the message is about.
    pub fn height(&self) -> u64 {
        match self {
            Self::Batch(b) => b.header.height,
            Self::Ack(a) => a.height,
            Self::Proposal(p) => p.height,
            Self::Vote(v) => v.height,
            Self::Certificate(c) => c.height,
            Self::Decision(d) => d.certificate.height,
        }
    }

    /// A short name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Batch(_) => "batch",
            Self::Ack(_) => "ack",
            Self::Proposal(_) => "proposal",
            Self::Vote(v) if v.kind == VoteKind::Prevote => "prevote",
            Self::Vote(_) => "precommit",
            Self::Certificate(_) => "certificate",
            Self::Decision(_) => "decision",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vote_bytes_have_the_documented_layout() {
        let hash = [0xab; 32];
        let b = vote_signing_bytes(688_688, 7, 2, VoteKind::Precommit, &hash);
        assert_eq!(&b[..18], b"pharos-bft-vote-v1");
        assert_eq!(&b[18..26], &688_688u64.to_be_bytes());
        assert_eq!(&b[26..34], &7u64.to_be_bytes());
        assert_eq!(&b[34..38], &2u32.to_be_bytes());
        assert_eq!(b[38], 2);
        assert_eq!(&b[39..], &hash);
    }

    #[test]
    fn signatures_bind_every_field_and_the_chain() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let vk = key.verifying_key();
        let v = Vote::sign(1, 5, 0, VoteKind::Prevote, [1; 32], 3, &key);
        assert!(v.verify(1, &vk));
        assert!(!v.verify(2, &vk));
        let mut other = v.clone();
        other.round = 1;
        assert!(!other.verify(1, &vk));
        let mut other = v.clone();
        other.kind = VoteKind::Precommit;
        assert!(!other.verify(1, &vk));

        let batch = Batch::sign(1, 5, 3, 2, b"payload".to_vec(), &key);
        assert!(batch.verify(1, &vk));
        let mut forged = batch.clone();
        forged.payload.push(0);
        assert!(!forged.verify(1, &vk));

        let ack = Ack::sign(1, &batch.header, 0, &key);
        assert!(ack.verify(1, &vk));
        assert!(!ack.verify(2, &vk));
    }

    #[test]
    fn a_proposal_signature_covers_its_body() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let batch = Batch::sign(1, 5, 0, 1, b"tx".to_vec(), &key);
        let proposal = Proposal {
            height: 5,
            round: 0,
            pol_round: None,
            block_hash: [7; 32],
            proposer: 0,
            builder: 0,
            timestamp_ms: 1_000,
            extra_data: vec![1, 2],
            batches: vec![CertifiedBatch {
                batch,
                acks: vec![],
            }],
            signature: [0; 64],
        }
        .signed(1, &key);
        assert!(proposal.verify(1, &key.verifying_key()));
        let mut other = proposal.clone();
        other.timestamp_ms += 1;
        assert!(!other.verify(1, &key.verifying_key()));
        let mut other = proposal.clone();
        other.extra_data.push(3);
        assert!(!other.verify(1, &key.verifying_key()));
        let mut other = proposal.clone();
        other.batches.clear();
        assert!(!other.verify(1, &key.verifying_key()));
        let mut other = proposal;
        other.pol_round = Some(0);
        assert!(!other.verify(1, &key.verifying_key()));
    }
}
