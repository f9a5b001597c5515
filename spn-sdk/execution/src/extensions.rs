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

    /// The extra data of the next block this node builds on the parent `state`: what the block
    /// is derived from (an SPN names a final mainnet block and how many inbound messages it
    /// applies). Empty by default.
    fn next_extra_data(&self, state: &dyn StateView) -> Bytes {
        let _ = state;
        Bytes::new()
    }

    /// System calls to run before the transactions of `block`, derived from its extra data and
    /// the parent's `state` (e.g. an SPN delivers the inbound messages the block names). The
    /// same rule runs when a node builds a block and when it imports a peer's: a block whose
    /// extra data breaks the rule is [`DerivationError::Invalid`].
    fn pre_block_calls(
        &self,
        block: &BlockInput,
        state: &dyn StateView,
    ) -> Result<Vec<SystemCall>, DerivationError> {
        let _ = (block, state);
        Ok(Vec::new())
    }
}

/// Why a block's system calls cannot be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DerivationError {
    /// This node lacks the input yet (e.g. it has not seen the named mainnet block final);
    /// try again shortly.
    #[error("not ready to derive the block: {0}")]
    NotReady(String),
    /// The block's extra data breaks the chain's derivation rule: refuse the block.
    #[error("the block's derivation is invalid: {0}")]
    Invalid(String),
}

/// A plain Ethereum chain: no extra precompiles, no system calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoExtensions;

impl ChainExtensions for NoExtensions {}
