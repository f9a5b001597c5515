//! Store a chain in RocksDB: flat state, trie nodes, blocks, receipts and indexes.
//!
//! Invariants:
//! - every block is written in one atomic write batch together with its state changes, its
//!   trie nodes and the new head pointer, so a crash at any instant leaves either the whole
//!   block or none of it;
//! - the account table is flat (one `get` per account or slot read), and the Merkle Patricia
//!   trie beside it is updated only along touched paths, so the header's `stateRoot` is the
//!   real Ethereum state root and `eth_getProof` proofs verify against it;
//! - on open, a consistency check heals what a crash can leave (nothing, given atomic
//!   batches, beyond stale entries above the head) or refuses to start.

mod blocks;
mod codec;
mod consensus;
mod db;
mod error;
mod history;
#[cfg(test)]
mod history_tests;
mod proof;
mod state;
mod state_root;
mod tables;
#[cfg(test)]
mod tests;

pub use blocks::{BlockLocation, FoundLog, LogQuery};
pub use db::{Store, StoreOptions};
pub use error::StoreError;
pub use proof::AccountProof;
pub use state::SnapshotState;
pub use state_root::PreparedState;
