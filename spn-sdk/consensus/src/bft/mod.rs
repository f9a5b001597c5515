//! Finalize blocks with the mainnet's multi-proposer BFT: every validator proposes a batch per height, batches are certified by more than two thirds of stake, and certified batches are ordered into one block in three communication steps.
//!
//! [`Bft`] is a pure state machine: the node feeds it [`BftEvent`]s and carries out the
//! [`BftAction`]s it returns, in order. It holds no clock, does no IO and draws no randomness,
//! so whole validator sets run under a seeded simulation (`tests/bft_sim.rs`). The protocol,
//! with the argument for its safety and liveness, is written down in `docs/consensus-bft.md`;
//! this is a summary.
//!
//! # Protocol
//!
//! - **Ownership.** Each transaction belongs to exactly one validator of the height's set,
//!   [`StakeSet::owner_of`] its sender. Only the owner puts it in a batch, so no two batches
//!   carry it, and one sender's transactions keep their nonce order.
//! - **Batches (availability).** For every height each validator signs one [`Batch`] of its
//!   own transactions (possibly empty) and broadcasts it. Every validator checks each batch
//!   (its node decodes it and checks ownership: [`BftAction::ValidateBatch`]) and broadcasts an
//!   [`Ack`]: pairwise cross-voting. Acks from more than two thirds of stake certify a batch;
//!   each validator acks one batch per proposer and height, so at most one batch per
//!   (height, proposer) is ever certified. A batch for height `h + 1` is proposed as soon as
//!   the validator's batch for `h` is certified, while `h` is still being ordered.
//! - **Ordering (three steps).** The leader of round `r` at height `h` is
//!   `validators[(h + r) mod n]`. Once it holds certified batches of every validator that had
//!   one in the last block (or of more than two thirds of stake, after
//!   [`BftConfig::batch_grace_ms`], and [`BftConfig::busy_batch_grace_ms`] more for a batch
//!   seen with transactions and not certified yet), it asks its node to build the block: the batches in
//!   proposer order, transactions that do not execute (a duplicate, a nonce gap) skipped. It
//!   sends a [`Proposal`] carrying the certified batches and the block hash (step 1). Each
//!   validator's node rebuilds the block from the same batches and timestamp and checks the
//!   hash; the validator then prevotes it (step 2) unless it is locked on another block, and
//!   precommits it once prevotes of more than two thirds of stake agree (step 3), locking on
//!   it. Precommits of more than two thirds of stake for one block in one round make it final:
//!   they are its [`CommitCertificate`], which anyone with the set checks with
//!   [`verify_commit_certificate`]. These are Tendermint's rules (locks, proof-of-lock
//!   rounds, round skips, nil votes on timeouts), with stake-weighted quorums.
//! - **Idle chains.** A height's rounds start when it has work (a batch, an ack, a proposal
//!   or a vote). With no transactions anywhere, validators send empty batches after
//!   [`BftConfig::idle_block_ms`], so blocks keep coming at that pace.
//! - **Write-ahead log.** Every batch, proposal and vote is handed to the node
//!   ([`BftAction::Persist`]) before it is sent; after a restart the node returns them in
//!   [`BftEvent::Started`], and the engine re-sends them and never signs a conflicting one.
//! - **Catch-up.** A validator that sees a certificate, or votes two heights ahead, asks its
//!   node to sync ([`BftAction::RequestSync`]); certified blocks come back as
//!   [`BftMessage::Decision`]s and are executed and committed in order.
//! - **Evidence.** Two votes of one kind for different blocks in one round, two batches for
//!   one height, or two proposals for one round, signed by the same key, are reported as
//!   [`BftAction::Misbehaviour`]. Double votes are what `Staking.slashDoubleSign` slashes.
//!
//! # Fault model
//!
//! Safety (never two blocks final at one height) holds whatever the network does, as long as
//! less than a third of the stake is Byzantine. Liveness needs more than two thirds of stake
//! up and message delays below the (growing) round timeouts, eventually.

#![warn(missing_docs)]

mod availability;
mod batching;
mod certificate;
mod engine;
mod events;
mod height;
mod messages;
mod ordering;
mod receive;
mod stake;
mod wire;

pub use crate::codec::WireError;
pub use certificate::{verify_batch_certificate, verify_commit_certificate, BftCertificateError};
pub use engine::{Bft, BftConfig, BftInstallError};
pub use events::{BftAction, BftEvent, Evidence, Rejection, WalEntry};
pub use messages::{
    ack_signing_bytes, batch_signing_bytes, proposal_signing_bytes, sha256, vote_signing_bytes,
    Ack, Batch, BatchHeader, BftMessage, CertifiedBatch, CommitCertificate, Decision, Hash,
    Proposal, SignatureBytes, Vote, VoteKind, ACK_DOMAIN, BATCH_DOMAIN, MAX_EXTRA_DATA, NIL,
    PROPOSAL_DOMAIN, VOTE_DOMAIN,
};
pub use stake::{owner_index, StakeSet, StakeSetError};
pub use wire::{MAX_LIST, MAX_PAYLOAD_BYTES};
