//! Name the state a chain reads and the changes a block makes to it.

use alloy_primitives::{Address, Bytes, B256, U256};

/// An account as the flat state table holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    /// Transactions sent (or contracts created) by this account.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// keccak256 of the account's code (`KECCAK_EMPTY` for none).
    pub code_hash: B256,
    /// Root of the account's storage trie.
    pub storage_root: B256,
}

/// Errors of a state backend, as text so that every layer above can carry them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state read failed: {0}")]
pub struct StateError(pub String);

/// Read-only view of one consistent state (the latest committed block, or a snapshot of it).
pub trait StateView: Send + Sync {
    /// The account at `address`, if it exists.
    fn account(&self, address: &Address) -> Result<Option<AccountState>, StateError>;
    /// The value of a storage slot (zero if unset).
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError>;
    /// Code by its hash.
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError>;
    /// The hash of a canonical block by number (for the BLOCKHASH opcode).
    fn block_hash(&self, number: u64) -> Result<Option<B256>, StateError>;
}

/// The new values of one account after a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUpdate {
    /// New nonce.
    pub nonce: u64,
    /// New balance.
    pub balance: U256,
    /// New code hash.
    pub code_hash: B256,
}

/// Changes to one account's storage after a block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorageUpdate {
    /// The account's whole storage was cleared before these slots were written.
    pub wiped: bool,
    /// Slots and their new values (zero deletes the slot).
    pub slots: Vec<(U256, U256)>,
}

/// Everything a block changed, ready to be written in one batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateChangeset {
    /// Changed accounts; `None` means the account no longer exists.
    pub accounts: Vec<(Address, Option<AccountUpdate>)>,
    /// Changed storage per account.
    pub storage: Vec<(Address, StorageUpdate)>,
    /// New code, by hash.
    pub contracts: Vec<(B256, Bytes)>,
}
