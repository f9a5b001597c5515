//! Keep the trie history of a few chosen accounts, so their state can be proven at any past
//! block (an SPN proves its Mailbox outbox against the state root of a finalized checkpoint).
//!
//! The node keeps only the latest state. For the accounts named in
//! [`StoreOptions::proof_history`](crate::StoreOptions), every commit also records, in the same
//! atomic batch, each version of:
//! - every node of the account's storage trie, and
//! - the account-trie nodes on the path to the account (the only ones its proof reads).
//!
//! A version is keyed `owner(32) ‖ path length(1) ‖ path ‖ !height(8)`, so one forward seek
//! finds the newest version at or below a height; an empty value records a deleted node.
//! History starts with the genesis block: a datadir created without it never answers.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::proof::AccountProof;
use crate::tables;
use alloy_trie::TrieAccount;
use rocksdb::WriteBatch;
use spn_primitives::{keccak256, AccountState, Address, Bytes, B256, U256};
use spn_trie::{Nibbles, NodeStore, TrieError, ACCOUNT_TRIE};
use std::collections::HashSet;

/// Which tries a store records the history of.
#[derive(Debug, Clone, Default)]
pub(crate) struct HistorySet {
    addresses: HashSet<Address>,
    owners: HashSet<B256>,
    account_paths: Vec<Vec<u8>>,
}

impl HistorySet {
    pub(crate) fn new(addresses: &[Address]) -> Self {
        Self {
            addresses: addresses.iter().copied().collect(),
            owners: addresses.iter().map(keccak256).collect(),
            account_paths: addresses
                .iter()
                .map(|a| Nibbles::unpack(keccak256(a)).to_vec())
                .collect(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    pub(crate) fn contains(&self, address: &Address) -> bool {
        self.addresses.contains(address)
    }

    /// Whether a trie node at `key` (= `owner ‖ path`, one byte per nibble) is recorded.
    pub(crate) fn records(&self, key: &[u8]) -> bool {
        let (owner, path) = key.split_at(32);
        if owner == ACCOUNT_TRIE.as_slice() {
            self.account_paths.iter().any(|p| p.starts_with(path))
        } else {
            self.owners.contains(&B256::from_slice(owner))
        }
    }

    pub(crate) fn owns(&self, owner: &B256) -> bool {
        self.owners.contains(owner)
    }
}

/// The history key of the version of node `key` (`owner ‖ path`) written at `height`.
fn version_key(key: &[u8], height: u64) -> Vec<u8> {
    let (owner, path) = key.split_at(32);
    let mut out = Vec::with_capacity(key.len() + 9);
    out.extend_from_slice(owner);
    out.push(path.len() as u8);
    out.extend_from_slice(path);
    out.extend_from_slice(&(u64::MAX - height).to_be_bytes());
    out
}

impl Store {
    /// Adds to `batch` the history of this block's trie writes: `wiped` tries lose all their
    /// nodes (each existing one gets a deletion version), then `writes` apply.
    pub(crate) fn record_history(
        &self,
        batch: &mut WriteBatch,
        height: u64,
        wiped: &[B256],
        writes: &[(Vec<u8>, Option<Bytes>)],
    ) -> Result<()> {
        if !self.history_active {
            return Ok(());
        }
        let cf = self.cf(tables::TRIE_HISTORY)?;
        for owner in wiped.iter().filter(|o| self.history.owns(o)) {
            let trie = self.cf(tables::TRIE)?;
            let iter = self.db.prefix_iterator_cf(trie, owner.as_slice());
            for item in iter {
                let (key, _) = item?;
                if !key.starts_with(owner.as_slice()) {
                    break;
                }
                batch.put_cf(cf, version_key(&key, height), []);
            }
        }
        for (key, node) in writes.iter().filter(|(k, _)| self.history.records(k)) {
            let value: &[u8] = node.as_ref().map_or(&[], |n| n.as_ref());
            batch.put_cf(cf, version_key(key, height), value);
        }
        if height == 0 {
            let meta = self.cf(tables::META)?;
            batch.put_cf(meta, tables::KEY_HISTORY_FROM, 0u64.to_be_bytes());
        }
        Ok(())
    }

    /// Whether past states of `address` can be proven.
    pub fn keeps_history(&self, address: &Address) -> bool {
        self.history_active && self.history.contains(address)
    }

    /// Proves `address` and some of its slots against the state root of block `height`; the
    /// account must be one whose history this store keeps.
    pub fn account_proof_at(
        &self,
        address: Address,
        slots: &[B256],
        height: u64,
    ) -> Result<AccountProof> {
        if !self.keeps_history(&address) {
            return Err(StoreError::Mismatch(format!(
                "past states of {address} are not kept; ask for the latest block"
            )));
        }
        let head = self.head()?.map_or(0, |(n, _)| n);
        if height > head {
            return Err(StoreError::Mismatch(format!(
                "block {height} is above the head {head}"
            )));
        }
        let reader = HistoryReader {
            store: self,
            height,
        };
        let trie_err = |e: TrieError| StoreError::Trie(e.to_string());
        let hashed = keccak256(address);
        let account_proof = spn_trie::proof(&reader, ACCOUNT_TRIE, hashed).map_err(trie_err)?;
        let account = spn_trie::get(&reader, ACCOUNT_TRIE, hashed)
            .map_err(trie_err)?
            .map(|rlp| decode_trie_account(&rlp))
            .transpose()?;
        let mut storage = Vec::with_capacity(slots.len());
        for slot in slots {
            let key = keccak256(slot);
            let (value, proof) = if account.is_some() {
                let value = spn_trie::get(&reader, hashed, key)
                    .map_err(trie_err)?
                    .map(|rlp| decode_slot(&rlp))
                    .transpose()?
                    .unwrap_or_default();
                let proof = spn_trie::proof(&reader, hashed, key).map_err(trie_err)?;
                (value, proof)
            } else {
                (U256::ZERO, Vec::new())
            };
            storage.push((*slot, value, proof));
        }
        Ok(AccountProof {
            block_number: height,
            address,
            account,
            account_proof,
            storage,
        })
    }
}

fn decode_trie_account(mut rlp: &[u8]) -> Result<AccountState> {
    let a: TrieAccount = alloy_rlp::Decodable::decode(&mut rlp)
        .map_err(|e| StoreError::Corrupt(format!("account leaf: {e}")))?;
    Ok(AccountState {
        nonce: a.nonce,
        balance: a.balance,
        code_hash: a.code_hash,
        storage_root: a.storage_root,
    })
}

fn decode_slot(mut rlp: &[u8]) -> Result<U256> {
    alloy_rlp::Decodable::decode(&mut rlp)
        .map_err(|e| StoreError::Corrupt(format!("storage leaf: {e}")))
}

/// Reads trie nodes as they were after block `height`.
struct HistoryReader<'a> {
    store: &'a Store,
    height: u64,
}

impl NodeStore for HistoryReader<'_> {
    fn get(&self, owner: &B256, path: &Nibbles) -> Result<Option<Bytes>, TrieError> {
        let read = || -> Result<Option<Bytes>> {
            let mut node_key = owner.to_vec();
            node_key.extend_from_slice(&path.to_vec());
            let seek = version_key(&node_key, self.height);
            let prefix = &seek[..seek.len() - 8];
            let cf = self.store.cf(tables::TRIE_HISTORY)?;
            let mut it = self.store.db.raw_iterator_cf(cf);
            it.seek(&seek);
            it.status()?;
            match (it.key(), it.value()) {
                (Some(k), Some(v)) if k.len() == seek.len() && k.starts_with(prefix) => {
                    Ok((!v.is_empty()).then(|| Bytes::copy_from_slice(v)))
                }
                _ => Ok(None),
            }
        };
        read().map_err(|e| TrieError::Store(Box::new(e)))
    }
}
