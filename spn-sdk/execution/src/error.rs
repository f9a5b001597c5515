//! Name what can go wrong while executing a block or a call.

use spn_primitives::{Bytes, StateError};

/// A block could not be executed (never a transaction's own failure: those become receipts).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExecError {
    /// The state backend failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The EVM failed for a reason that is not the transaction's fault.
    #[error("evm failure: {0}")]
    Evm(String),
    /// The block's system calls cannot be derived from its extra data.
    #[error(transparent)]
    Derivation(#[from] crate::DerivationError),
    /// A mandatory system call failed.
    #[error("system call to {target} failed: {reason}")]
    SystemCall {
        /// The called contract.
        target: spn_primitives::Address,
        /// Why it failed.
        reason: String,
    },
}

/// Why an `eth_call` or `eth_estimateGas` did not return data.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// Execution reverted; `output` holds the revert data (ABI-encoded reason or custom error).
    #[error("execution reverted")]
    Revert {
        /// Revert data.
        output: Bytes,
    },
    /// Execution halted (out of gas, invalid opcode, ...).
    #[error("execution halted: {0}")]
    Halt(String),
    /// The call is not a valid transaction (nonce, fee, gas limit, ...).
    #[error("{0}")]
    Invalid(String),
    /// The node failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
}
