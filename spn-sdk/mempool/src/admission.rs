//! Define what the pool admits: its limits, where accepted transactions go, and refusals.

use alloy_primitives::{B256, U256};

/// Limits and fee rules of a [`Mempool`](crate::Mempool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Maximum number of transactions held (pending and queued together).
    pub max_txs: usize,
    /// Maximum number of transactions held for one sender.
    pub max_per_sender: usize,
    /// Maximum encoded size of one transaction, in bytes.
    pub max_tx_bytes: usize,
    /// Gas limit of a block; a transaction may not ask for more.
    pub block_gas_limit: u64,
    /// Minimum `max_priority_fee_per_gas` (gas price for legacy transactions), in wei.
    pub min_priority_fee: u128,
    /// Percentage by which both fee fields must rise to replace a transaction with the same
    /// sender and nonce.
    pub price_bump_percent: u64,
}

impl Config {
    /// Default replacement price bump, as in geth and reth.
    pub const DEFAULT_PRICE_BUMP_PERCENT: u64 = 10;
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_txs: 100_000,
            max_per_sender: 64,
            max_tx_bytes: 128 * 1024,
            block_gas_limit: 30_000_000,
            min_priority_fee: 0,
            price_bump_percent: Self::DEFAULT_PRICE_BUMP_PERCENT,
        }
    }
}

/// Where an accepted transaction went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// Ready to execute: its nonce continues the sender's consecutive run from the account
    /// nonce and the balance covers it and every earlier transaction.
    Pending,
    /// Stored but waiting, behind a nonce gap (or funds that are still owed to earlier
    /// transactions); promoted automatically once that clears.
    Queued,
    /// Took the place of the sender's transaction with the same nonce.
    Replaced {
        /// Hash of the transaction that was dropped.
        old: B256,
    },
}

/// Why a transaction was refused. Messages use the wording of Ethereum clients (geth), so
/// they can be returned verbatim over JSON-RPC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The nonce was already used by a committed transaction.
    #[error("nonce too low: next nonce {state_nonce}, tx nonce {tx_nonce}")]
    NonceTooLow {
        /// Nonce of the refused transaction.
        tx_nonce: u64,
        /// Next nonce of the account in committed state.
        state_nonce: u64,
    },
    /// The nonce is `u64::MAX`, which EIP-2681 forbids.
    #[error("nonce has max value")]
    NonceMax,
    /// Balance does not cover this transaction plus the sender's earlier pooled ones.
    #[error("insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {overshot}")]
    InsufficientFunds {
        /// Committed balance of the sender.
        balance: U256,
        /// Cost of this transaction (`value + gas_limit * max_fee_per_gas`).
        cost: U256,
        /// How much is missing once earlier pooled transactions are paid for.
        overshot: U256,
    },
    /// The gas limit is below the cost of a plain transfer.
    #[error("intrinsic gas too low: gas {gas_limit}, minimum needed {minimum}")]
    IntrinsicGasTooLow {
        /// Gas limit of the refused transaction.
        gas_limit: u64,
        /// Smallest gas limit accepted.
        minimum: u64,
    },
    /// The gas limit is above the block gas limit, so it could never be included.
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    /// The same transaction is already pooled.
    #[error("already known")]
    AlreadyKnown,
    /// A transaction with the same sender and nonce exists and the new one does not raise both
    /// fees by the configured bump.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The priority fee is below the pool's minimum.
    #[error("transaction underpriced: tip {tip}, minimum {minimum}")]
    Underpriced {
        /// Priority fee offered.
        tip: u128,
        /// Minimum priority fee accepted.
        minimum: u128,
    },
    /// The priority fee exceeds the fee cap, which no valid transaction does.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// The sender already has the maximum number of pooled transactions.
    #[error("account limit exceeded")]
    AccountLimitExceeded,
    /// The pool is full and the transaction pays no more than the cheapest evictable one.
    #[error("txpool is full")]
    PoolFull,
    /// The encoded transaction is larger than the pool accepts.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    OversizedData {
        /// Encoded size of the refused transaction.
        size: usize,
        /// Largest size accepted.
        limit: usize,
    },
}
