//! Finalize blocks by proof of authority: a rotating proposer, and finality by votes of more than two thirds of an equal-weight validator set.
//!
//! [`Poa`] is a pure state machine: the node feeds it [`PoaEvent`]s and carries out the
//! [`PoaAction`]s it returns, in order. It holds no clock, does no IO and draws no randomness,
//! so whole networks of it run under a seeded simulation (`tests/poa_sim.rs`).
//!
//! # Protocol
//!
//! - **Validators.** Height `h` is decided by the ordered [`ValidatorSet`] installed for it
//!   (from the Registry's epoch snapshot). Every validator has one vote.
//! - **Proposer.** The proposer of round `r` at height `h` is `validators[(h + r) mod n]`. It
//!   offers, in this order: the block it voted for at this height (its *lock*); else the block
//!   others voted for that is ahead (see *Join* below), waiting for it if it lacks its bytes;
//!   else a proposal it holds; else a new block from the node ([`PoaAction::BuildBlock`]). It
//!   builds a new block only when none of those exists and it is not just back from a restart
//!   or behind the others, and, after round 0, only once [`PoaConfig::proposal_delay_ms`] has
//!   passed, so that a block the others voted for and re-sent can reach it first.
//! - **Vote.** A validator votes for a proposed block only after the node executed it and found
//!   it valid ([`PoaAction::ExecuteProposal`] → [`PoaEvent::ProposalExecuted`]). It votes at
//!   most once per height, for one block hash, and persists that vote ([`PoaAction::PersistLock`])
//!   before sending it, so a restart cannot make it vote twice. The vote signs
//!   (spn id, height, block hash), not the round, so votes from different rounds add up.
//! - **Join.** Among blocks with votes that can still reach a quorum, not known invalid and
//!   with a voter heard from lately, the one with the most votes (a proposal counting as its
//!   proposer's vote; ties to the later round, then the lower hash) is *ahead*. An unlocked
//!   validator votes only for the block ahead, if there is one, rather than for a competing
//!   block: this is what keeps votes from splitting. A block whose bytes it lacks counts only
//!   with more than `f = ⌊(n−1)/3⌋` votes, so Byzantine votes for a block nobody holds cannot
//!   hold a height hostage.
//! - **Finality.** A block is final when more than two thirds of the set (`3·votes > 2·n`)
//!   voted for it. Those votes form its [`CommitCertificate`], which anyone holding the set
//!   checks with [`verify_certificate`]. The node commits the block with its certificate.
//! - **Rounds.** Each round has a timeout ([`PoaConfig::timeout_ms`], growing with the round).
//!   If the height is not final when it fires, the node moves to the next round (next
//!   proposer) and sends its vote again, with the signed proposal it voted on, so validators
//!   that missed the proposal can execute it and join. A valid proposal for a later round
//!   moves the node to that round.
//! - **Catch-up.** A node that sees a verified certificate for a later height, or votes two
//!   heights ahead, asks its node to sync ([`PoaAction::RequestSync`]); the node feeds back
//!   certified blocks ([`PoaMessage::Decision`]), which are executed and committed in order.
//!   Validators broadcast their certificate when they commit, so followers and late validators
//!   finish a height without every vote.
//! - **Ignored input.** Messages for committed heights, from keys outside the set, with bad
//!   signatures, from the wrong proposer, repeated, or certificates that do not verify change
//!   nothing; each is reported as [`PoaAction::Rejected`] ([`Rejection::is_fault`] tells peer
//!   scoring which prove a fault). Double votes, double proposals and conflicting certificates
//!   are reported as [`PoaAction::Misbehaviour`] with the signed evidence.
//!
//! # Invariants
//!
//! - An honest validator signs at most one vote per height (the lock), across restarts if the
//!   node honours [`PoaAction::PersistLock`].
//! - The engine asks to commit height `h` only with a certificate that verifies against the set
//!   of `h` and a block the node executed and found valid; heights are committed in order.
//! - Only blocks from a rightful proposer's signed proposal (possibly relayed by another
//!   validator) or carried with a valid certificate are executed; a proposer whose block
//!   proved invalid is ignored for the rest of the height.
//! - Memory is bounded: per height at most one vote and one proposal per validator, and at
//!   most [`PoaConfig::max_future_messages`] verified messages for later heights.
//!
//! # Fault model
//!
//! - **Safety** (no two blocks final at one height) holds whatever the network does (delays,
//!   drops, reordering, partitions) and however many validators crash and restart, as long as
//!   fewer than a third of the keys are Byzantine: two certificates for different blocks need
//!   two quorums, which share more than a third of the set, and only a key that signs two
//!   votes at one height can be in both. A third or more of the keys colluding can finalize
//!   conflicting blocks ([`Evidence::ConflictingCertificates`] reports it).
//! - **Liveness** needs more than two thirds of the validators up, connected, and with message
//!   delays below the round timeout (partial synchrony); below that, heights wait, safely.
//! - **Known stall.** A lock is never released. If the votes of a height split between blocks
//!   so that none can reach a quorum any more, that height stalls forever: rounds keep turning
//!   and re-proposing, but no locked validator may vote again. Under crash faults this needs
//!   validators to decide on different information at nearly the same moment (a proposal and
//!   its votes lost or late to the next proposer, which then builds a rival that others vote
//!   for). The join rule, the re-sends and the proposal delay make it rare, not impossible:
//!   in the seeded simulation it never happens without message loss, and happens in about 1
//!   run in 150–200 with 5–30 % loss and crashes (each run: 50 heights). A Byzantine proposer
//!   can cause it at will by sending different blocks to different validators. The fix is a
//!   Tendermint-style second phase: validators *prevote* each round, lock only on a block with
//!   a prevote quorum in that round (a *polka*), and unlock when a later round shows a polka
//!   for another block; commit certificates then name the round. That keeps safety and makes
//!   every height final once the network is synchronous and more than two thirds are up.

#![warn(missing_docs)]

mod certificate;
mod engine;
mod events;
mod height;
mod messages;
mod propose;
mod receive;
mod sync;
mod validators;
mod vote;
mod wire;

pub use certificate::{verify_certificate, CertificateError};
pub use engine::{InstallError, Poa, PoaConfig};
pub use events::{Evidence, Lock, PoaAction, PoaEvent, Rejection};
pub use messages::{
    proposal_signing_bytes, vote_signing_bytes, BlockHash, CommitCertificate, Decision, PoaMessage,
    Proposal, SignatureBytes, Vote, PROPOSAL_DOMAIN, VOTE_DOMAIN,
};
pub use validators::{ValidatorIndex, ValidatorSet, ValidatorSetError};
pub use wire::{WireError, MAX_BLOCK_BYTES, MAX_CERTIFICATE_SIGNATURES};

#[cfg(test)]
mod tests;
