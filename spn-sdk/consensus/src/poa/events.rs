//! Define what the node tells the `poa` engine (events) and what the engine asks of the node (actions).

use super::certificate::CertificateError;
use super::messages::{BlockHash, CommitCertificate, PoaMessage, Proposal, Vote};
use super::validators::{ValidatorIndex, ValidatorSet};

/// The vote a validator cast at a height, with the block it voted for.
///
/// The node must store it durably when asked ([`PoaAction::PersistLock`]) *before* carrying out
/// the actions that follow, and hand it back in [`PoaEvent::Started`] after a restart: a
/// validator that forgets its vote could vote for a second block at the same height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// The height voted on (the one after the committed head).
    pub height: u64,
    /// The block voted for.
    pub block_hash: BlockHash,
    /// Its bytes, to re-propose it in a later round.
    pub block: Vec<u8>,
    /// The signed proposal it was voted on, without its bytes (see [`Proposal::header`]), so
    /// that after a restart the block can still be relayed to validators that missed it.
    pub proposal: Option<Proposal>,
}

/// Something that happened, reported to the engine by the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoaEvent {
    /// The node (re)started. Events before this one are ignored.
    Started {
        /// The latest committed height.
        head: u64,
        /// The validator set from `head + 1` on.
        validators: ValidatorSet,
        /// The last [`Lock`] persisted, if any (ignored unless it is for `head + 1`).
        lock: Option<Lock>,
    },
    /// A timer scheduled with [`PoaAction::ScheduleTimeout`] fired.
    Timeout {
        /// The timer's id.
        id: u64,
    },
    /// The block asked for with [`PoaAction::BuildBlock`] was built and executed.
    BlockBuilt {
        /// Its height.
        height: u64,
        /// The round it was asked for.
        round: u32,
        /// Its hash.
        block_hash: BlockHash,
        /// Its encoding, sent to the other validators.
        block: Vec<u8>,
    },
    /// Building the block asked for failed (the round will time out).
    BuildFailed {
        /// Its height.
        height: u64,
        /// The round it was asked for.
        round: u32,
    },
    /// The block given in [`PoaAction::ExecuteProposal`] was executed on the committed head.
    ProposalExecuted {
        /// Its height.
        height: u64,
        /// Its hash.
        block_hash: BlockHash,
        /// Whether the bytes hash to `block_hash`, extend the head and execute validly.
        valid: bool,
    },
    /// The block of [`PoaAction::Commit`] is durably committed.
    Committed {
        /// Its height.
        height: u64,
    },
    /// A message from the network (or the node's block sync).
    Message(PoaMessage),
}

/// Something the engine asks the node to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoaAction {
    /// Fire [`PoaEvent::Timeout`] with `id` after `after_ms` milliseconds.
    ScheduleTimeout {
        /// Timer id, echoed back.
        id: u64,
        /// Delay in milliseconds.
        after_ms: u64,
    },
    /// This validator proposes: build and execute a block on the head, report
    /// [`PoaEvent::BlockBuilt`] (or [`PoaEvent::BuildFailed`]).
    BuildBlock {
        /// The height.
        height: u64,
        /// The round.
        round: u32,
    },
    /// Send to every peer (validators and followers).
    Broadcast(PoaMessage),
    /// Check that `block` hashes to `block_hash`, execute it on the committed head and report
    /// [`PoaEvent::ProposalExecuted`]; keep the result to commit it if asked.
    ExecuteProposal {
        /// The height.
        height: u64,
        /// The hash the block claims.
        block_hash: BlockHash,
        /// The block bytes.
        block: Vec<u8>,
    },
    /// Store `lock` durably before carrying out the next actions (a vote follows).
    PersistLock(Lock),
    /// The executed block `block_hash` is final: commit it with its certificate, then report
    /// [`PoaEvent::Committed`].
    Commit {
        /// The height.
        height: u64,
        /// The block.
        block_hash: BlockHash,
        /// Proof of finality; store it with the block and serve it to peers that sync.
        certificate: CommitCertificate,
    },
    /// This node is behind: fetch the certified blocks from `from_height` on (e.g. from the
    /// validator `peer`, a member ahead of us) and feed each as
    /// [`PoaMessage::Decision`], in height order.
    RequestSync {
        /// The first height missing.
        from_height: u64,
        /// The ed25519 key of a validator known to be ahead.
        peer: [u8; 32],
    },
    /// The message or result just reported was ignored, and why (for logs and peer scoring).
    Rejected(Rejection),
    /// A validator provably broke the protocol; the evidence is self-verifying.
    Misbehaviour(Evidence),
}

/// Why the engine ignored a message (or an executed block).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// About a height already committed (or being committed): normal in a gossip network.
    #[error("message for committed height {height}")]
    Stale {
        /// Its height.
        height: u64,
    },
    /// Too far ahead of the current height, or the buffer of early messages is full.
    #[error("message for height {height} is too far ahead to buffer")]
    TooFarAhead {
        /// Its height.
        height: u64,
    },
    /// No validator set is installed for its height.
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
    /// The signature does not verify for the claimed signer.
    #[error("bad signature by validator {index} at height {height}")]
    BadSignature {
        /// Its height.
        height: u64,
        /// The claimed position.
        index: ValidatorIndex,
    },
    /// A proposal from a validator that is not the proposer of its (height, round).
    #[error(
        "validator {index} is not the proposer of height {height} round {round} ({expected} is)"
    )]
    WrongProposer {
        /// Its height.
        height: u64,
        /// Its round.
        round: u32,
        /// The signer.
        index: ValidatorIndex,
        /// The rightful proposer.
        expected: ValidatorIndex,
    },
    /// A message already counted (a repeated vote or proposal, or an older round's proposal).
    #[error("duplicate message from validator {index} at height {height}")]
    Duplicate {
        /// Its height.
        height: u64,
        /// The signer.
        index: ValidatorIndex,
    },
    /// The proposer already sent an invalid block at this height; its proposals are ignored.
    #[error("validator {index} already proposed an invalid block at height {height}")]
    ProposerDisqualified {
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
        error: CertificateError,
    },
    /// The node found a proposed block invalid (or its bytes do not match its hash).
    #[error("block {} at height {height} is invalid", hex_prefix(block_hash))]
    InvalidBlock {
        /// Its height.
        height: u64,
        /// The claimed hash.
        block_hash: BlockHash,
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
            | Self::Duplicate { .. }
            | Self::ProposerDisqualified { .. } => false,
            Self::UnknownValidator { .. }
            | Self::BadSignature { .. }
            | Self::WrongProposer { .. }
            | Self::InvalidCertificate { .. }
            | Self::InvalidBlock { .. } => true,
        }
    }
}

/// Signed proof that a validator equivocated (or that a third of the set did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// One validator voted for two blocks at one height.
    DoubleVote {
        /// The vote seen first.
        first: Vote,
        /// The conflicting vote.
        second: Vote,
    },
    /// One proposer signed two blocks for one (height, round); block bytes are stripped.
    DoubleProposal {
        /// The proposal seen first.
        first: Proposal,
        /// The conflicting proposal.
        second: Proposal,
    },
    /// Two valid certificates for different blocks at one height: more than a third of the set
    /// double-voted, and safety is lost. The node must halt and alert.
    ConflictingCertificates {
        /// The certificate seen first.
        first: CommitCertificate,
        /// The conflicting certificate.
        second: CommitCertificate,
    },
}

fn hex_prefix(hash: &BlockHash) -> String {
    hash[..4].iter().map(|b| format!("{b:02x}")).collect()
}
