//! Let a chain add precompiles and system calls without touching the engine.

use crate::BlockInput;
use revm::precompile::{PrecompileSpecId, Precompiles};
use revm::primitives::hardfork::SpecId;
use spn_primitives::{Address, Bytes, StateView};

/// A call made by the protocol itself at the start of a block (no sender, no fee, no nonce).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemCall {
    /// The system contract called.
    pub target: Address,
    /// Its calldata.
    pub data: Bytes,
    /// If true, a revert aborts the block; if false, it is logged and ignored.
    pub required: bool,
}

/// What a chain adds to the EVM: precompiles, and system calls before each block's transactions.
pub trait ChainExtensions: Send + Sync + 'static {
    /// The precompile set: Ethereum's for `spec` plus the chain's own. Called once per executor.
    fn precompiles(&self, spec: SpecId) -> &'static Precompiles {
        Precompiles::new(PrecompileSpecId::from_spec_id(spec))
    }

    /// System calls to run before the transactions of `block`, given the parent's `state`
    /// (e.g. an SPN delivers the inbound messages its mailbox has not seen yet).
    fn pre_block_calls(&self, block: &BlockInput, state: &dyn StateView) -> Vec<SystemCall> {
        let _ = (block, state);
        Vec::new()
    }
}

/// A plain Ethereum chain: no extra precompiles, no system calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoExtensions;

impl ChainExtensions for NoExtensions {}
