//! Define the Ethereum types every Pharos chain shares: blocks, transactions, receipts, chain specs.
//!
//! Transactions, headers and receipts are alloy's, so wallets and tooling work unchanged.
//! Sender recovery uses libsecp256k1 (alloy's `secp256k1` feature), once per transaction,
//! at pool entry, and the result travels with the transaction as [`RecoveredTx`].

pub mod block;
pub mod chain_spec;
pub mod receipt;
pub mod state;
pub mod transaction;

pub use alloy_consensus::{
    self as consensus, Header, ReceiptEnvelope, ReceiptWithBloom, Signed, Transaction, TxEip1559,
    TxEip2930, TxEnvelope, TxLegacy, TxReceipt, TxType,
};
pub use alloy_eips::{
    self as eips,
    eip2718::{Decodable2718, Encodable2718},
};
pub use alloy_primitives::{
    self as primitives, address, b256, bytes, keccak256, Address, Bloom, Bytes, Log, LogData,
    TxKind, B256, U256,
};
pub use alloy_rlp as rlp;
pub use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY};
pub use block::{CommittedBlock, SealedBlock};
pub use chain_spec::{ChainSpec, ChainSpecError, GenesisAccount};
pub use receipt::StoredReceipt;
pub use state::{
    AccountState, AccountUpdate, StateChangeset, StateError, StateView, StorageUpdate,
};
pub use transaction::{recover_batch, RecoveredTx, TxError};
