//! Build `eth_getProof` answers from one consistent snapshot of the trie.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::state_root::TrieReader;
use spn_primitives::{keccak256, AccountState, Address, Bytes, StateView, B256, U256};
use spn_trie::ACCOUNT_TRIE;
use std::collections::HashSet;

/// An account and storage proof against the state root of block `block_number`.
#[derive(Debug, Clone)]
pub struct AccountProof {
    /// The block whose state root the proof is against.
    pub block_number: u64,
    /// The proven account.
    pub address: Address,
    /// The account, if it exists.
    pub account: Option<AccountState>,
    /// Trie nodes from the state root to the account's leaf (or to where it would be).
    pub account_proof: Vec<Bytes>,
    /// Per requested slot: the slot, its value, and its proof against the storage root.
    pub storage: Vec<(B256, U256, Vec<Bytes>)>,
}

impl Store {
    /// Proves an account and some of its slots against the latest state root.
    pub fn account_proof(&self, address: Address, slots: &[B256]) -> Result<AccountProof> {
        let snap = self.snapshot_state();
        let (block_number, _) = snap
            .head()?
            .ok_or_else(|| StoreError::Mismatch("no block committed yet".into()))?;
        let reader = TrieReader {
            store: self,
            snapshot: Some(&snap),
            wiped: HashSet::new(),
        };
        let trie_err = |e: spn_trie::TrieError| StoreError::Trie(e.to_string());
        let account_proof =
            spn_trie::proof(&reader, ACCOUNT_TRIE, keccak256(address)).map_err(trie_err)?;
        let account = snap
            .account(&address)
            .map_err(|e| StoreError::Corrupt(e.0))?;
        let owner = keccak256(address);
        let mut storage = Vec::with_capacity(slots.len());
        for slot in slots {
            let value = snap
                .storage(&address, &U256::from_be_bytes(slot.0))
                .map_err(|e| StoreError::Corrupt(e.0))?;
            let proof = if account.is_some() {
                spn_trie::proof(&reader, owner, keccak256(slot)).map_err(trie_err)?
            } else {
                Vec::new()
            };
            storage.push((*slot, value, proof));
        }
        Ok(AccountProof {
            block_number,
            address,
            account,
            account_proof,
            storage,
        })
    }
}
