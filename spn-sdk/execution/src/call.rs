//! Run calls that change nothing: `eth_call` and `eth_estimateGas`.

use crate::env::BlockInput;
use crate::error::{CallError, ExecError};
use crate::executor::Executor;
use crate::overlay::Overlay;
use revm::context::{result::EVMError, result::ExecutionResult, TxEnv};
use revm::ExecuteEvm;
use spn_primitives::{eips::eip2930::AccessList, Address, Bytes, StateView, TxKind, U256};

/// A call as `eth_call` receives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// Caller (zero address if absent).
    pub from: Option<Address>,
    /// Callee; `None` creates a contract.
    pub to: Option<Address>,
    /// Gas limit (the node's call gas cap if absent or larger).
    pub gas: Option<u64>,
    /// Legacy gas price.
    pub gas_price: Option<u128>,
    /// EIP-1559 max fee.
    pub max_fee_per_gas: Option<u128>,
    /// EIP-1559 priority fee.
    pub max_priority_fee_per_gas: Option<u128>,
    /// Value sent.
    pub value: Option<U256>,
    /// Calldata.
    pub input: Bytes,
    /// Nonce (not checked if absent).
    pub nonce: Option<u64>,
    /// Access list.
    pub access_list: Option<AccessList>,
}

/// A successful call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// Returned data.
    pub output: Bytes,
    /// Gas used.
    pub gas_used: u64,
}

impl Executor {
    fn call_once<S: StateView + ?Sized>(
        &self,
        state: &S,
        block: &BlockInput,
        req: &CallRequest,
        gas: u64,
    ) -> Result<CallOutcome, CallError> {
        let mut overlay = Overlay::new(state);
        let mut cfg = self.cfg();
        let priced = req.gas_price.is_some() || req.max_fee_per_gas.is_some();
        // Like geth: a call without a price pays nothing and is not held to the base fee.
        cfg.disable_base_fee = !priced;
        cfg.disable_nonce_check = req.nonce.is_none();
        cfg.disable_eip3607 = true;
        let mut block = block.clone();
        block.gas_limit = block.gas_limit.max(gas);
        let mut evm = self.build_evm(&mut overlay, &block, cfg);
        let (gas_price, priority) = match (req.max_fee_per_gas, req.gas_price) {
            (Some(max), _) => (max, req.max_priority_fee_per_gas.or(Some(0))),
            (None, Some(p)) => (p, None),
            (None, None) => (0, None),
        };
        let tx = TxEnv {
            // The type decides which fields revm honours: an access list needs EIP-2930 or later.
            tx_type: match (priority.is_some(), req.access_list.is_some()) {
                (true, _) => 2,
                (false, true) => 1,
                (false, false) => 0,
            },
            caller: req.from.unwrap_or_default(),
            gas_limit: gas,
            gas_price,
            gas_priority_fee: priority,
            kind: req.to.map_or(TxKind::Create, TxKind::Call),
            value: req.value.unwrap_or_default(),
            data: req.input.clone(),
            nonce: req.nonce.unwrap_or_default(),
            chain_id: Some(self.chain_id),
            access_list: req.access_list.clone().unwrap_or_default(),
            ..Default::default()
        };
        match evm.transact(tx) {
            Ok(res) => match res.result {
                ExecutionResult::Success { gas, output, .. } => Ok(CallOutcome {
                    output: output.into_data(),
                    gas_used: gas.tx_gas_used(),
                }),
                ExecutionResult::Revert { output, .. } => Err(CallError::Revert { output }),
                ExecutionResult::Halt { reason, .. } => Err(CallError::Halt(format!("{reason:?}"))),
            },
            Err(EVMError::Transaction(invalid)) => Err(CallError::Invalid(invalid.to_string())),
            Err(EVMError::Database(e)) => Err(ExecError::State(e.0).into()),
            Err(e) => Err(CallError::Invalid(e.to_string())),
        }
    }

    /// Executes a call against `state` and discards its changes (`eth_call`).
    pub fn call<S: StateView + ?Sized>(
        &self,
        state: &S,
        block: &BlockInput,
        req: &CallRequest,
        gas_cap: u64,
    ) -> Result<CallOutcome, CallError> {
        let gas = req.gas.unwrap_or(gas_cap).min(gas_cap);
        self.call_once(state, block, req, gas)
    }

    /// Finds a gas limit with which the call succeeds (`eth_estimateGas`): the gas it used
    /// if that is enough, else a limit at most 1.5 % above the least (geth's tolerance: an
    /// exact answer needs a dozen more runs and fees move more than that anyway).
    pub fn estimate_gas<S: StateView + ?Sized>(
        &self,
        state: &S,
        block: &BlockInput,
        req: &CallRequest,
        gas_cap: u64,
    ) -> Result<u64, CallError> {
        let mut hi = req.gas.unwrap_or(gas_cap).min(gas_cap);
        // Fails here with the call's own error (revert data included) if it cannot succeed.
        let first = self.call_once(state, block, req, hi)?;
        if first.gas_used < hi && self.call_once(state, block, req, first.gas_used).is_ok() {
            return Ok(first.gas_used);
        }
        // Most other calls succeed with what they used plus the 63/64 reserve; try that.
        let guess = first
            .gas_used
            .saturating_mul(64)
            .checked_div(63)
            .unwrap_or(first.gas_used)
            .saturating_add(2_300)
            .min(hi);
        if guess < hi && self.call_once(state, block, req, guess).is_ok() {
            hi = guess;
        }
        let mut lo = first.gas_used.max(20_999);
        while lo.saturating_add(1) < hi && (hi - lo) * 1_000 >= hi * 15 {
            let mid = lo + (hi - lo) / 2;
            if self.call_once(state, block, req, mid).is_ok() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }
}
