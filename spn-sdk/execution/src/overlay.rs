//! Cache a block's reads and record its writes on top of a committed state.
//!
//! Invariant: the overlay never writes to the state below it. What the block changed is
//! read out once, at the end, as a [`StateChangeset`].

use revm::bytecode::Bytecode;
use revm::database_interface::{DBErrorMarker, Database, DatabaseCommit, DatabaseRef};
use revm::primitives::{AddressMap, StorageKey, StorageValue};
use revm::state::{Account, AccountInfo};
use spn_primitives::{
    AccountUpdate, Address, Bytes, StateChangeset, StateError, StateView, StorageUpdate, B256,
    KECCAK_EMPTY, U256,
};
use std::collections::HashMap;

/// A state backend error as revm sees it.
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct DbError(#[from] pub StateError);

impl DBErrorMarker for DbError {}

#[derive(Debug, Default)]
struct CachedAccount {
    /// `None`: the account does not exist.
    info: Option<AccountInfo>,
    /// Slots written by committed transactions of this block.
    storage: HashMap<U256, U256>,
    /// Slots read from the state below (never written out).
    reads: HashMap<U256, U256>,
    /// Storage below was cleared (account destroyed or re-created) during this block.
    wiped: bool,
    /// Written by a committed transaction in this block.
    changed: bool,
}

/// revm database: the committed state below, this block's changes on top.
pub struct Overlay<'a, S: ?Sized> {
    base: &'a S,
    accounts: HashMap<Address, CachedAccount>,
    contracts: HashMap<B256, Bytecode>,
    new_contracts: Vec<B256>,
}

impl<'a, S: StateView + ?Sized> Overlay<'a, S> {
    /// An empty overlay over `base`.
    pub fn new(base: &'a S) -> Self {
        Self {
            base,
            accounts: HashMap::new(),
            contracts: HashMap::new(),
            new_contracts: Vec::new(),
        }
    }

    fn load(&mut self, address: Address) -> Result<&mut CachedAccount, DbError> {
        if !self.accounts.contains_key(&address) {
            let info = self.base.account(&address)?.map(|a| AccountInfo {
                balance: a.balance,
                nonce: a.nonce,
                code_hash: a.code_hash,
                code: None,
                ..Default::default()
            });
            self.accounts.insert(
                address,
                CachedAccount {
                    info,
                    ..Default::default()
                },
            );
        }
        // The entry was inserted just above if it was missing.
        self.accounts
            .get_mut(&address)
            .ok_or_else(|| DbError(StateError("overlay entry vanished".into())))
    }

    /// Everything committed to this overlay, in a deterministic order.
    pub fn into_changeset(self) -> StateChangeset {
        let mut out = StateChangeset::default();
        let mut changed: Vec<_> = self
            .accounts
            .into_iter()
            .filter(|(_, a)| a.changed)
            .collect();
        changed.sort_by_key(|(address, _)| *address);
        for (address, acct) in changed {
            // EIP-161: touched accounts that end up empty are removed.
            let update = acct
                .info
                .as_ref()
                .filter(|i| !i.is_empty())
                .map(|i| AccountUpdate {
                    nonce: i.nonce,
                    balance: i.balance,
                    code_hash: i.code_hash,
                });
            let removed = update.is_none();
            out.accounts.push((address, update));
            if removed || acct.wiped || !acct.storage.is_empty() {
                let mut slots: Vec<_> = if removed {
                    Vec::new()
                } else {
                    acct.storage.into_iter().collect()
                };
                slots.sort_unstable();
                out.storage.push((
                    address,
                    StorageUpdate {
                        wiped: acct.wiped || removed,
                        slots,
                    },
                ));
            }
        }
        let mut hashes = self.new_contracts;
        hashes.sort_unstable();
        hashes.dedup();
        for hash in hashes {
            if let Some(code) = self.contracts.get(&hash) {
                out.contracts.push((hash, code.original_bytes()));
            }
        }
        out
    }
}

impl<S: StateView + ?Sized> Database for Overlay<'_, S> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        Ok(self.load(address)?.info.clone())
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        if code_hash == KECCAK_EMPTY || code_hash == B256::ZERO {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.contracts.get(&code_hash) {
            return Ok(code.clone());
        }
        let bytes: Bytes = self.base.code(&code_hash)?.unwrap_or_default();
        let code = Bytecode::new_raw(bytes);
        self.contracts.insert(code_hash, code.clone());
        Ok(code)
    }

    fn storage(&mut self, address: Address, index: StorageKey) -> Result<StorageValue, DbError> {
        let base = self.base;
        let acct = self.load(address)?;
        if let Some(v) = acct.storage.get(&index) {
            return Ok(*v);
        }
        if acct.wiped || acct.info.is_none() {
            return Ok(U256::ZERO);
        }
        if let Some(v) = acct.reads.get(&index) {
            return Ok(*v);
        }
        let value = base.storage(&address, &index)?;
        acct.reads.insert(index, value);
        Ok(value)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        Ok(self.base.block_hash(number)?.unwrap_or_default())
    }
}

impl<S: StateView + ?Sized> DatabaseRef for Overlay<'_, S> {
    type Error = DbError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        if let Some(a) = self.accounts.get(&address) {
            return Ok(a.info.clone());
        }
        Ok(self.base.account(&address)?.map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, DbError> {
        if let Some(code) = self.contracts.get(&code_hash) {
            return Ok(code.clone());
        }
        Ok(Bytecode::new_raw(
            self.base.code(&code_hash)?.unwrap_or_default(),
        ))
    }

    fn storage_ref(&self, address: Address, index: StorageKey) -> Result<StorageValue, DbError> {
        if let Some(a) = self.accounts.get(&address) {
            if let Some(v) = a.storage.get(&index).or_else(|| a.reads.get(&index)) {
                return Ok(*v);
            }
            if a.wiped || a.info.is_none() {
                return Ok(U256::ZERO);
            }
        }
        Ok(self.base.storage(&address, &index)?)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, DbError> {
        Ok(self.base.block_hash(number)?.unwrap_or_default())
    }
}

impl<S: StateView + ?Sized> DatabaseCommit for Overlay<'_, S> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            let created = account.is_created();
            let entry = self.accounts.entry(address).or_default();
            entry.changed = true;
            if account.is_selfdestructed() {
                entry.info = None;
                entry.storage.clear();
                entry.reads.clear();
                entry.wiped = true;
                continue;
            }
            if created {
                entry.storage.clear();
                entry.reads.clear();
                entry.wiped = true;
            }
            let mut info = account.info;
            // Code already in `contracts` was either read from the state below (stored) or
            // created earlier in this block (already listed in `new_contracts`).
            if let Some(code) = info.code.take() {
                if info.code_hash != KECCAK_EMPTY && !self.contracts.contains_key(&info.code_hash) {
                    self.contracts.insert(info.code_hash, code);
                    self.new_contracts.push(info.code_hash);
                }
            }
            entry.info = Some(info);
            for (slot, value) in account.storage {
                if value.is_changed() || created {
                    entry.storage.insert(slot, value.present_value());
                }
            }
        }
    }
}
