//! Maintain an Ethereum Merkle Patricia trie incrementally, keyed by node path.
//!
//! # Storage model
//!
//! A trie is a set of nodes, each stored under `(owner, path)`:
//!
//! - `owner` names the trie: [`B256::ZERO`] ([`ACCOUNT_TRIE`]) for the account trie and
//!   `keccak256(address)` for the storage trie of that account.
//! - `path` is the nibble path from the root to where the node starts; the root is at the empty
//!   path. A branch at `P` has its children at `P ++ [i]`; an extension at `P` with key `K` has
//!   its child at `P ++ K`; a leaf at `P` with key `K` holds the value of the key `P ++ K`.
//! - The stored value is the node's standard Ethereum RLP encoding. Every node is stored, also
//!   those shorter than 32 bytes which their parent embeds inline.
//!
//! The layout is canonical: the set of stored nodes is a function of the trie's key/value set
//! alone, so it never depends on the order in which keys were inserted or deleted. In particular
//! a subtree that a batch does not touch keeps its paths and bytes; only nodes on the paths of
//! changed keys are rewritten, moved or deleted.
//!
//! # Use
//!
//! [`update`] applies a batch of changes to one trie and returns its new root hash with the node
//! writes to persist. [`OverlayStore`] keeps those writes in memory, so several tries (every
//! touched storage trie, then the account trie) can be updated in one pass before the caller
//! commits [`OverlayStore::into_writes`] atomically. [`proof`] builds `eth_getProof` proofs and
//! [`root`] reads a trie's root hash.
//!
//! Keys are 32-byte hashes (`keccak256(address)` or `keccak256(slot)`) and values are already
//! RLP-encoded leaf values (the RLP of a `TrieAccount` or of a storage `U256`).

mod error;
mod node;
mod proof;
mod store;
mod update;

pub use alloy_primitives::{Bytes, B256};
pub use alloy_trie::EMPTY_ROOT_HASH;
pub use error::{NodeError, TrieError};
pub use nybbles::Nibbles;
pub use proof::{get, proof, root};
pub use store::{MemoryNodeStore, NodeStore, OverlayStore};
pub use update::{update, TrieUpdate};

/// The owner of the account trie; a storage trie's owner is `keccak256(address)`.
pub const ACCOUNT_TRIE: B256 = B256::ZERO;

/// Where a node lives: the owning trie and the node's path within it.
pub type NodeKey = (B256, Nibbles);

/// One write for the caller's batch: store the node RLP at the key, or delete the key on `None`.
pub type NodeWrite = (NodeKey, Option<Bytes>);

/// One change to a trie: the hashed key and its new RLP-encoded value, or `None` to delete it.
pub type Change = (B256, Option<Vec<u8>>);
