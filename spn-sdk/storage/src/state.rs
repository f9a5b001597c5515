//! Read state: the latest committed state, or a snapshot pinned for one request.

use crate::codec::{decode_account, num_key, storage_key};
use crate::db::Store;
use crate::error::Result;
use crate::tables;
use rocksdb::Snapshot;
use spn_primitives::{AccountState, Address, Bytes, StateError, StateView, B256, U256};

fn slot_value(v: Option<impl AsRef<[u8]>>) -> U256 {
    v.map(|b| U256::from_be_slice(b.as_ref()))
        .unwrap_or_default()
}

impl StateView for Store {
    fn account(&self, address: &Address) -> Result<Option<AccountState>, StateError> {
        Ok(Store::account(self, address)?)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        let cf = self.cf(tables::STORAGE)?;
        let v = self
            .db
            .get_pinned_cf(cf, storage_key(address, slot))
            .map_err(|e| StateError(e.to_string()))?;
        Ok(slot_value(v))
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError> {
        let cf = self.cf(tables::CODE)?;
        let v = self
            .db
            .get_cf(cf, code_hash.as_slice())
            .map_err(|e| StateError(e.to_string()))?;
        Ok(v.map(Bytes::from))
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateError> {
        Ok(self.canonical_hash(number)?)
    }
}

/// A consistent read-only view of the state at the moment it was taken.
pub struct SnapshotState<'a> {
    store: &'a Store,
    snap: Snapshot<'a>,
}

impl Store {
    /// Pins the current state so that a multi-read request sees one block's state.
    pub fn snapshot_state(&self) -> SnapshotState<'_> {
        SnapshotState {
            store: self,
            snap: self.db.snapshot(),
        }
    }
}

impl SnapshotState<'_> {
    /// Reads a raw value from a column family at this snapshot.
    pub(crate) fn get_raw(&self, cf: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let cf = self.store.cf(cf)?;
        Ok(self.snap.get_cf(cf, key)?)
    }

    fn get(&self, cf: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        let cf = self.store.cf(cf)?;
        self.snap
            .get_cf(cf, key)
            .map_err(|e| StateError(e.to_string()))
    }

    /// The head block number and hash in this snapshot.
    pub fn head(&self) -> Result<Option<(u64, B256)>> {
        Ok(self
            .get(tables::META, tables::KEY_HEAD)
            .map_err(|e| crate::StoreError::Corrupt(e.0))?
            .filter(|v| v.len() == 40)
            .map(|v| {
                let mut n = [0u8; 8];
                n.copy_from_slice(&v[..8]);
                (u64::from_be_bytes(n), B256::from_slice(&v[8..]))
            }))
    }
}

impl StateView for SnapshotState<'_> {
    fn account(&self, address: &Address) -> Result<Option<AccountState>, StateError> {
        self.get(tables::ACCOUNTS, address.as_slice())?
            .map(|v| decode_account(&v).map_err(StateError::from))
            .transpose()
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        Ok(slot_value(
            self.get(tables::STORAGE, &storage_key(address, slot))?,
        ))
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError> {
        Ok(self
            .get(tables::CODE, code_hash.as_slice())?
            .map(Bytes::from))
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateError> {
        Ok(self
            .get(tables::CANONICAL, &num_key(number))?
            .filter(|v| v.len() == 32)
            .map(|v| B256::from_slice(&v)))
    }
}

impl Store {
    /// Every account in the flat table, in address order (for audits and tests; slow).
    pub fn all_accounts(&self) -> Result<Vec<(Address, AccountState)>> {
        let cf = self.cf(tables::ACCOUNTS)?;
        let mut out = Vec::new();
        for item in self.db.iterator_cf(cf, rocksdb::IteratorMode::Start) {
            let (k, v) = item?;
            if k.len() != 20 {
                return Err(crate::StoreError::Corrupt("account key".into()));
            }
            out.push((Address::from_slice(&k), decode_account(&v)?));
        }
        Ok(out)
    }

    /// Every non-zero storage slot of `address` (for audits and tests; slow).
    pub fn all_storage(&self, address: &Address) -> Result<Vec<(U256, U256)>> {
        let cf = self.cf(tables::STORAGE)?;
        let mut out = Vec::new();
        let iter = self.db.iterator_cf(
            cf,
            rocksdb::IteratorMode::From(address.as_slice(), rocksdb::Direction::Forward),
        );
        for item in iter {
            let (k, v) = item?;
            if k.len() != 52 || &k[..20] != address.as_slice() {
                break;
            }
            out.push((U256::from_be_slice(&k[20..]), U256::from_be_slice(&v)));
        }
        Ok(out)
    }
}
