//! Define what the node tells the `bft` engine (events), what the engine asks of the node (actions), and what it writes ahead.

use super::certificate::BftCertificateError;
use super::messages::{Batch, BftMessage, CommitCertificate, Hash, Proposal, Vote};
use super::stake::StakeSet;
use crate::poa::ValidatorIndex;

/// A signed message the node must write to its write-ahead log, durably, *before* carrying
/// out the actions that follow it (they send it). After a restart the node hands back every
/// entry above its committed head in [`BftEvent::Started`]: the engine then never signs a
/// message that conflicts with one it signed before the crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalEntry {
    /// This validator's batch (kept with its payload, to send again after a restart).
    Batch(Batch),
    /// This validator's proposal (payloads stripped: see [`Proposal::header`]).
    Proposal(Proposal),
    /// This validator's prevote or precommit.
    Vote(Vote),
    /// The block this validator locks on (written before its precommit): the proposal with its
    /// batches and the prevotes of more than two thirds of stake for it in the lock's round, so
    /// that after a restart it can still propose the block and prove the lock to others.
    Locked {
        /// The proposal, with payloads.
        proposal: Proposal,
        /// The round the prevotes are from.
        round: u32,
        /// The prevotes.
        polka: Vec<Vote>,
    },
}

impl WalEntry {
    /// The height the entry is about (entries at or below the committed head can go).
    pub fn height(&self) -> u64 {
        match self {
            Self::Batch(b) => b.header.height,
            Self::Proposal(p) => p.height,
            Self::Vote(v) => v.height,
            Self::Locked { proposal, .. } => proposal.height,
        }
    }
}

/// Something that happened, reported to the engine by the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BftEvent {
    /// The node (re)started. Events before this one are ignored.
    Started {
        /// The latest committed height.
        head: u64,
        /// The validator set from `head + 1` on.
        validators: StakeSet,
        /// The write-ahead log's entries above `head`.
        wal: Vec<WalEntry>,
    },
    /// A timer scheduled with [`BftAction::ScheduleTimeout`] fired.
    Timeout {
        /// The timer's id.
        id: u64,
    },
    /// The pool holds transactions this validator's batches could carry.
    TransactionsPending,
    /// The batch asked for with [`BftAction::BuildBatch`] is ready (it may be empty).
    BatchBuilt {
        /// Its height.
        height: u64,
        /// How many transactions.
        tx_count: u32,
        /// The encoded transactions.
        payload: Vec<u8>,
    },
    /// The node checked the batch of [`BftAction::ValidateBatch`].
    BatchValidated {
        /// Its height.
        height: u64,
        /// Its proposer.
        proposer: ValidatorIndex,
        /// Its digest.
        digest: Hash,
        /// Whether it decodes, holds `tx_count` well-formed transactions, each signed by a
        /// sender this proposer owns at that height.
        valid: bool,
    },
    /// The block asked for with [`BftAction::BuildBlock`] was built and executed.
    BlockBuilt {
        /// Its height.
        height: u64,
        /// The round it was asked for.
        round: u32,
        /// Its hash.
        block_hash: Hash,
        /// The timestamp the node gave it.
        timestamp_ms: u64,
        /// The extra data the node gave it (at most [`MAX_EXTRA_DATA`](super::MAX_EXTRA_DATA) bytes, or the block is
        /// not proposed).
        extra_data: Vec<u8>,
    },
    /// Building the requested block failed (the round will time out).
    BuildFailed {
        /// Its height.
        height: u64,
        /// The round.
        round: u32,
    },
    /// The block of [`BftAction::ExecuteProposal`] or [`BftAction::ExecuteBlock`] was
    /// executed on the committed head.
    BlockExecuted {
        /// Its height.
        height: u64,
        /// The hash it was claimed to have.
        block_hash: Hash,
        /// Whether it was built (or decoded) to exactly that hash, extends the head and
        /// executes validly.
        valid: bool,
    },
    /// The block of [`BftAction::Commit`] is durably committed.
    Committed {
        /// Its height.
        height: u64,
    },
    /// A message from the network (or from the node's block sync).
    Message(BftMessage),
}

/// Something the engine asks the node to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BftAction {
    /// Fire [`BftEvent::Timeout`] with `id` after `after_ms` milliseconds.
    ScheduleTimeout {
        /// Timer id, echoed back.
        id: u64,
        /// Delay in milliseconds.
        after_ms: u64,
    },
    /// Take this validator's pending transactions that are in none of its unfinished batches
    /// and report [`BftEvent::BatchBuilt`] (an empty batch is fine).
    BuildBatch {
        /// The height the batch is for.
        height: u64,
    },
    /// Check another validator's batch (decode, recover senders, check ownership) and report
    /// [`BftEvent::BatchValidated`].
    ValidateBatch {
        /// The batch.
        batch: Batch,
    },
    /// This validator leads: build the block of `height` from these certified batches (in
    /// this order, skipping transactions that do not execute), execute it, and report
    /// [`BftEvent::BlockBuilt`].
    BuildBlock {
        /// The height.
        height: u64,
        /// The round.
        round: u32,
        /// The batches' payloads, by ascending proposer.
        batches: Vec<(ValidatorIndex, Vec<u8>)>,
    },
    /// Build the block the leader proposed (same rule as [`BftAction::BuildBlock`], with its
    /// timestamp and beneficiary), check it hashes to `block_hash`, and report
    /// [`BftEvent::BlockExecuted`]; keep it to commit if asked.
    ExecuteProposal {
        /// The height.
        height: u64,
        /// The hash the leader claims.
        block_hash: Hash,
        /// The validator that built it (its fee recipient).
        proposer: ValidatorIndex,
        /// The leader's timestamp.
        timestamp_ms: u64,
        /// The leader's extra data (the chain's rules check it while executing).
        extra_data: Vec<u8>,
        /// The batches' payloads, by ascending proposer.
        batches: Vec<(ValidatorIndex, Vec<u8>)>,
    },
    /// Decode and execute a certified block from sync, check its hash, and report
    /// [`BftEvent::BlockExecuted`].
    ExecuteBlock {
        /// The height.
        height: u64,
        /// Its certified hash.
        block_hash: Hash,
        /// The block bytes.
        block: Vec<u8>,
    },
    /// Write `entry` to the write-ahead log durably before the next actions.
    Persist(WalEntry),
    /// Send to every peer.
    Broadcast(BftMessage),
    /// The executed block is final: commit it with its certificate, forget the WAL entries
    /// up to `height`, release the transactions of this validator's batches up to `height`
    /// that the block did not include, then report [`BftEvent::Committed`].
    Commit {
        /// The height.
        height: u64,
        /// The block.
        block_hash: Hash,
        /// Proof of finality; store it with the block and serve it to peers that sync.
        certificate: CommitCertificate,
    },
    /// This node is behind: fetch the certified blocks from `from_height` on (from the
    /// validator `peer`, known to be ahead) and feed each as [`BftMessage::Decision`].
    RequestSync {
        /// The first height missing.
        from_height: u64,
        /// The ed25519 key of a validator known to be ahead.
        peer: [u8; 32],
    },
    /// The message or result just reported was ignored, and why.
    Rejected(Rejection),
    /// A validator provably broke the protocol; the evidence is self-verifying.
    Misbehaviour(Evidence),
}

/// Why the engine ignored a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// About a height already committed: normal in a gossip network.
    #[error("message for committed height {height}")]
    Stale {
        /// Its height.
        height: u64,
    },
    /// Too far ahead, or the buffer of early messages is full.
    #[error("message for height {height} is too far ahead to buffer")]
    TooFarAhead {
        /// Its height.
        height: u64,
    },
    /// No validator set is known for its height yet.
    #[error("no validator set for height {height}")]
    NoValidatorSet {
        /// Its height.
        height: u64,
    },
    /// Signed by a position outside the height's set.
    #[error("signer {index} is not a validator at height {height}")]
    UnknownValidator {
        /// Its height.
        height: u64,
        /// The claimed position.
        index: ValidatorIndex,
    },
    /// The signature does not verify (or a batch's payload does not match its digest).
    #[error("bad signature by validator {index} at height {height}")]
    BadSignature {
        /// Its height.
        height: u64,
        /// The claimed position.
        index: ValidatorIndex,
    },
    /// A proposal from a validator that does not lead its round.
    #[error("validator {index} does not lead height {height} round {round} ({expected} does)")]
    WrongLeader {
        /// Its height.
        height: u64,
        /// Its round.
        round: u32,
        /// The signer.
        index: ValidatorIndex,
        /// The rightful leader.
        expected: ValidatorIndex,
    },
    /// A message already counted.
    #[error("duplicate message from validator {index} at height {height}")]
    Duplicate {
        /// Its height.
        height: u64,
        /// The signer.
        index: ValidatorIndex,
    },
    /// A proposal whose batches are not all certified, ordered and for its height.
    #[error("proposal by {index} at height {height} has a bad batch list: {reason}")]
    BadBatches {
        /// Its height.
        height: u64,
        /// The leader.
        index: ValidatorIndex,
        /// What is wrong.
        reason: String,
    },
    /// The node found a batch invalid (undecodable, or transactions of senders its proposer
    /// does not own).
    #[error("batch of validator {index} at height {height} is invalid")]
    InvalidBatch {
        /// Its height.
        height: u64,
        /// The proposer.
        index: ValidatorIndex,
    },
    /// A certificate that does not verify.
    #[error("invalid certificate for height {height}: {error}")]
    InvalidCertificate {
        /// Its height.
        height: u64,
        /// What is wrong with it.
        error: BftCertificateError,
    },
    /// The node found a proposed block invalid (or not the claimed hash).
    #[error("proposed block at height {height} is invalid")]
    InvalidBlock {
        /// Its height.
        height: u64,
        /// The claimed hash.
        block_hash: Hash,
    },
}

impl Rejection {
    /// Whether the message proves its sender (or signer) faulty, rather than merely late,
    /// early or repeated — what peer scoring should penalise.
    pub fn is_fault(&self) -> bool {
        match self {
            Self::Stale { .. }
            | Self::TooFarAhead { .. }
            | Self::NoValidatorSet { .. }
            | Self::Duplicate { .. } => false,
            Self::UnknownValidator { .. }
            | Self::BadSignature { .. }
            | Self::WrongLeader { .. }
            | Self::BadBatches { .. }
            | Self::InvalidBatch { .. }
            | Self::InvalidCertificate { .. }
            | Self::InvalidBlock { .. } => true,
        }
    }
}

/// Signed proof that a validator equivocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// Two prevotes (or two precommits) for different blocks at one (height, round): what
    /// `Staking.slashDoubleSign` slashes.
    DoubleVote {
        /// The vote seen first.
        first: Vote,
        /// The conflicting vote.
        second: Vote,
    },
    /// Two different batches from one proposer at one height (payloads stripped).
    DoubleBatch {
        /// The batch seen first.
        first: Batch,
        /// The conflicting batch.
        second: Batch,
    },
    /// Two different proposals from one leader at one (height, round) (payloads stripped).
    DoubleProposal {
        /// The proposal seen first.
        first: Proposal,
        /// The conflicting proposal.
        second: Proposal,
    },
}
