//! Read trie nodes by path: the store trait, an in-memory store and a pending-write overlay.

use crate::{update::update, Change, NodeKey, NodeWrite, TrieError};
use alloy_primitives::{map::HashMap, Bytes, B256};
use nybbles::Nibbles;
use std::collections::BTreeMap;

/// A source of trie nodes, keyed by trie owner and node path.
///
/// `owner` is [`B256::ZERO`] ([`crate::ACCOUNT_TRIE`]) for the account trie and
/// `keccak256(address)` for the storage trie of `address`. `path` is the nibble path from the
/// trie's root to where the node starts (empty for the root). The value is the node's Ethereum
/// RLP encoding; nodes shorter than 32 bytes are stored too.
pub trait NodeStore {
    /// Returns the RLP of the node at `path` in trie `owner`, or `None` if no node is there.
    fn get(&self, owner: &B256, path: &Nibbles) -> Result<Option<Bytes>, TrieError>;
}

impl<S: NodeStore + ?Sized> NodeStore for &S {
    fn get(&self, owner: &B256, path: &Nibbles) -> Result<Option<Bytes>, TrieError> {
        (**self).get(owner, path)
    }
}

/// Holds trie nodes in a sorted map; for tests and small tools.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryNodeStore {
    nodes: BTreeMap<NodeKey, Bytes>,
}

impl MemoryNodeStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies node writes: stores each `Some` and removes each `None`.
    pub fn apply(&mut self, writes: impl IntoIterator<Item = NodeWrite>) {
        for (key, value) in writes {
            match value {
                Some(bytes) => self.nodes.insert(key, bytes),
                None => self.nodes.remove(&key),
            };
        }
    }

    /// Returns the number of nodes across all tries.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Returns `true` if no trie holds any node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Iterates over the nodes of trie `owner` in path order.
    pub fn nodes(&self, owner: B256) -> impl Iterator<Item = (&Nibbles, &Bytes)> {
        self.nodes
            .range((owner, Nibbles::new())..)
            .take_while(move |((o, _), _)| *o == owner)
            .map(|((_, path), bytes)| (path, bytes))
    }
}

impl NodeStore for MemoryNodeStore {
    fn get(&self, owner: &B256, path: &Nibbles) -> Result<Option<Bytes>, TrieError> {
        Ok(self.nodes.get(&(*owner, *path)).cloned())
    }
}

/// Layers pending node writes over a base store, so that several tries can be updated in one
/// pass (each touched storage trie, then the account trie) before anything is committed.
///
/// Reads see the pending writes first: a pending `None` hides the base node. The base store is
/// never modified; [`OverlayStore::into_writes`] hands the accumulated writes to the caller for
/// its atomic batch.
#[derive(Debug)]
pub struct OverlayStore<'a, S: ?Sized> {
    base: &'a S,
    pending: HashMap<NodeKey, Option<Bytes>>,
}

impl<'a, S: NodeStore + ?Sized> OverlayStore<'a, S> {
    /// Creates an overlay with no pending writes over `base`.
    pub fn new(base: &'a S) -> Self {
        Self {
            base,
            pending: HashMap::default(),
        }
    }

    /// Records writes as pending; a later write to the same key replaces an earlier one.
    pub fn apply(&mut self, writes: impl IntoIterator<Item = NodeWrite>) {
        self.pending.extend(writes);
    }

    /// Updates trie `owner` with `changes` (see [`update`]), keeps the writes pending and
    /// returns the trie's new root hash.
    pub fn update(
        &mut self,
        owner: B256,
        changes: impl IntoIterator<Item = Change>,
    ) -> Result<B256, TrieError> {
        let result = update(&*self, owner, changes)?;
        self.apply(result.writes);
        Ok(result.root)
    }

    /// Returns the number of pending writes.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Returns the pending writes, sorted by key, for the caller's atomic batch.
    pub fn into_writes(self) -> Vec<NodeWrite> {
        let mut writes: Vec<NodeWrite> = self.pending.into_iter().collect();
        writes.sort_unstable_by_key(|(key, _)| *key);
        writes
    }
}

impl<S: NodeStore + ?Sized> NodeStore for OverlayStore<'_, S> {
    fn get(&self, owner: &B256, path: &Nibbles) -> Result<Option<Bytes>, TrieError> {
        match self.pending.get(&(*owner, *path)) {
            Some(pending) => Ok(pending.clone()),
            None => self.base.get(owner, path),
        }
    }
}
