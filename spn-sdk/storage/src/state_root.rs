//! Turn a block's state changes into flat-table writes, trie-node writes and the state root.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::state::SnapshotState;
use crate::tables;
use alloy_trie::TrieAccount;
use rayon::prelude::*;
use spn_primitives::{
    keccak256, AccountState, Address, Bytes, StateChangeset, StorageUpdate, B256, EMPTY_ROOT_HASH,
    KECCAK_EMPTY, U256,
};
use spn_trie::{Nibbles, NodeStore, TrieError, ACCOUNT_TRIE};
use std::collections::{HashMap, HashSet};

/// A block's state changes, resolved into everything the commit batch writes.
#[derive(Debug, Default)]
pub struct PreparedState {
    /// The state root after the block.
    pub state_root: B256,
    pub(crate) chain_id: u64,
    pub(crate) accounts: Vec<(Address, Option<AccountState>)>,
    pub(crate) slots: Vec<(Address, U256, U256)>,
    pub(crate) storage_wipes: Vec<Address>,
    pub(crate) trie_wipes: Vec<B256>,
    pub(crate) trie_writes: Vec<(Vec<u8>, Option<Bytes>)>,
    pub(crate) code: Vec<(B256, Bytes)>,
}

impl PreparedState {
    /// Records the chain id (written with the genesis block).
    pub fn with_chain_id(mut self, chain_id: u64) -> Self {
        self.chain_id = chain_id;
        self
    }
}

/// The RocksDB key of a trie node.
pub(crate) fn trie_key(owner: &B256, path: &Nibbles) -> Vec<u8> {
    let mut key = Vec::with_capacity(32 + path.len());
    key.extend_from_slice(owner.as_slice());
    key.extend_from_slice(&path.to_vec());
    key
}

/// Reads trie nodes from the latest state, optionally hiding whole wiped tries.
pub(crate) struct TrieReader<'a> {
    pub(crate) store: &'a Store,
    pub(crate) snapshot: Option<&'a SnapshotState<'a>>,
    pub(crate) wiped: HashSet<B256>,
}

impl NodeStore for TrieReader<'_> {
    fn get(&self, owner: &B256, path: &Nibbles) -> Result<Option<Bytes>, TrieError> {
        if self.wiped.contains(owner) {
            return Ok(None);
        }
        let key = trie_key(owner, path);
        let value = match self.snapshot {
            Some(snap) => snap.get_raw(tables::TRIE, &key),
            None => self
                .store
                .cf(tables::TRIE)
                .and_then(|cf| self.store.db.get_cf(cf, &key).map_err(StoreError::from)),
        };
        value
            .map(|v| v.map(Bytes::from))
            .map_err(|e| TrieError::Store(Box::new(e)))
    }
}

fn slot_changes(update: &StorageUpdate) -> Vec<spn_trie::Change> {
    update
        .slots
        .iter()
        .map(|(slot, value)| {
            let key = keccak256(slot.to_be_bytes::<32>());
            let leaf = (!value.is_zero()).then(|| alloy_rlp::encode(value));
            (key, leaf)
        })
        .collect()
}

impl Store {
    /// The state root of the latest committed state.
    pub fn state_root(&self) -> Result<B256> {
        let reader = TrieReader {
            store: self,
            snapshot: None,
            wiped: HashSet::new(),
        };
        spn_trie::root(&reader, ACCOUNT_TRIE).map_err(|e| StoreError::Trie(e.to_string()))
    }

    /// Resolves `changes` against the latest state: new storage roots (touched storage tries
    /// in parallel), the new account trie root, and every write of the commit batch.
    pub fn prepare_state(&self, changes: &StateChangeset) -> Result<PreparedState> {
        let mut wiped_addresses = Vec::new();
        let mut wiped_owners = HashSet::new();
        for (address, update) in &changes.storage {
            if update.wiped {
                wiped_addresses.push(*address);
                wiped_owners.insert(keccak256(address));
            }
        }
        let reader = TrieReader {
            store: self,
            snapshot: None,
            wiped: wiped_owners.clone(),
        };

        // Storage tries are independent: update them on all cores.
        let storage_results: Vec<(Address, B256, Vec<spn_trie::NodeWrite>)> = changes
            .storage
            .par_iter()
            .map(|(address, update)| {
                let owner = keccak256(address);
                let result = spn_trie::update(&reader, owner, slot_changes(update))
                    .map_err(|e| StoreError::Trie(format!("storage of {address}: {e}")))?;
                Ok((*address, result.root, result.writes))
            })
            .collect::<Result<_>>()?;

        let mut prepared = PreparedState {
            storage_wipes: wiped_addresses,
            trie_wipes: wiped_owners.into_iter().collect(),
            ..Default::default()
        };
        prepared.trie_wipes.sort_unstable();
        let mut storage_roots: HashMap<Address, B256> = HashMap::new();
        for (address, root, writes) in storage_results {
            storage_roots.insert(address, root);
            for ((owner, path), node) in writes {
                prepared.trie_writes.push((trie_key(&owner, &path), node));
            }
        }
        for (address, update) in &changes.storage {
            for (slot, value) in &update.slots {
                prepared.slots.push((*address, *slot, *value));
            }
        }

        let mut account_changes = Vec::with_capacity(changes.accounts.len());
        for (address, update) in &changes.accounts {
            let hashed = keccak256(address);
            match update {
                None => {
                    prepared.accounts.push((*address, None));
                    account_changes.push((hashed, None));
                }
                Some(u) => {
                    let storage_root = match storage_roots.get(address) {
                        Some(root) => *root,
                        None => self
                            .account(address)?
                            .map_or(EMPTY_ROOT_HASH, |a| a.storage_root),
                    };
                    let state = AccountState {
                        nonce: u.nonce,
                        balance: u.balance,
                        code_hash: if u.code_hash == B256::ZERO {
                            KECCAK_EMPTY
                        } else {
                            u.code_hash
                        },
                        storage_root,
                    };
                    let leaf = TrieAccount {
                        nonce: state.nonce,
                        balance: state.balance,
                        storage_root: state.storage_root,
                        code_hash: state.code_hash,
                    };
                    prepared.accounts.push((*address, Some(state)));
                    account_changes.push((hashed, Some(alloy_rlp::encode(leaf))));
                }
            }
        }
        let result = spn_trie::update(&reader, ACCOUNT_TRIE, account_changes)
            .map_err(|e| StoreError::Trie(format!("account trie: {e}")))?;
        prepared.state_root = result.root;
        for ((owner, path), node) in result.writes {
            prepared.trie_writes.push((trie_key(&owner, &path), node));
        }
        prepared.code = changes.contracts.clone();
        Ok(prepared)
    }
}
