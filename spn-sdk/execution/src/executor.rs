//! Execute a block's transactions in order and collect receipts and state changes.

use crate::env::{tx_env, BlockInput};
use crate::error::ExecError;
use crate::extensions::ChainExtensions;
use crate::overlay::Overlay;
use revm::context::{result::EVMError, CfgEnv, Context};
use revm::handler::EthPrecompiles;
use revm::primitives::hardfork::SpecId;
use revm::{ExecuteCommitEvm, MainBuilder, MainContext, MainnetEvm, SystemCallCommitEvm};
use spn_primitives::{Bloom, Log, RecoveredTx, StateChangeset, StateView, StoredReceipt, B256};
use std::sync::Arc;
use tracing::{debug, warn};

/// The result of executing a block: what was included, receipts, and the state diff.
#[derive(Debug, Clone, Default)]
pub struct ExecutedBlock {
    /// Transactions that were included, in order.
    pub transactions: Vec<RecoveredTx>,
    /// One receipt per included transaction.
    pub receipts: Vec<StoredReceipt>,
    /// Transactions that could not be included (e.g. nonce or balance no longer valid), with why.
    pub rejected: Vec<(B256, String)>,
    /// Total gas used.
    pub gas_used: u64,
    /// The block's logs bloom (transactions' and system calls' logs).
    pub logs_bloom: Bloom,
    /// Logs of the system calls run before the transactions (e.g. inbound messages
    /// delivered on an SPN); they have no receipt, and are served by `eth_getLogs`.
    pub system_logs: Vec<Log>,
    /// Every state change of the block.
    pub changes: StateChangeset,
}

/// Runs blocks and calls for one chain.
#[derive(Clone)]
pub struct Executor {
    pub(crate) chain_id: u64,
    pub(crate) spec: SpecId,
    pub(crate) extensions: Arc<dyn ChainExtensions>,
}

pub(crate) type ChainEvm<'a, 'b, S> = MainnetEvm<
    Context<
        revm::context::BlockEnv,
        revm::context::TxEnv,
        CfgEnv,
        &'b mut Overlay<'a, S>,
        revm::Journal<&'b mut Overlay<'a, S>>,
        (),
    >,
>;

impl Executor {
    /// An executor for `chain_id` with the chain's extensions.
    pub fn new(chain_id: u64, extensions: Arc<dyn ChainExtensions>) -> Self {
        Self {
            chain_id,
            spec: SpecId::PRAGUE,
            extensions,
        }
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    pub(crate) fn cfg(&self) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(self.spec);
        cfg.chain_id = self.chain_id;
        cfg
    }

    pub(crate) fn build_evm<'a, 'b, S: StateView + ?Sized>(
        &self,
        overlay: &'b mut Overlay<'a, S>,
        block: &BlockInput,
        cfg: CfgEnv,
    ) -> ChainEvm<'a, 'b, S> {
        let mut evm = Context::mainnet()
            .with_db(overlay)
            .with_cfg(cfg)
            .with_block(block.to_env(self.spec))
            .build_mainnet();
        evm.precompiles = EthPrecompiles {
            precompiles: self.extensions.precompiles(self.spec),
            spec: self.spec,
        };
        evm
    }

    /// The extra data of the next block built on `state` (see [`ChainExtensions::next_extra_data`]).
    pub fn next_extra_data<S: StateView>(&self, state: &S) -> spn_primitives::Bytes {
        self.extensions.next_extra_data(state)
    }

    /// Executes `txs` in order on top of `state`. Transactions that are invalid at this point
    /// (stale nonce, balance too low for the base fee, block gas exhausted) are skipped and
    /// reported in `rejected`; reverted transactions are included with a failed receipt.
    pub fn execute_block<S: StateView>(
        &self,
        state: &S,
        block: &BlockInput,
        txs: Vec<RecoveredTx>,
    ) -> Result<ExecutedBlock, ExecError> {
        let calls = self.extensions.pre_block_calls(block, state)?;
        let mut overlay = Overlay::new(state);
        let mut out = ExecutedBlock::default();
        {
            let mut evm = self.build_evm(&mut overlay, block, self.cfg());
            for call in calls {
                match evm.system_call_commit(call.target, call.data.clone()) {
                    Ok(result) if result.is_success() => {
                        for log in result.logs() {
                            out.logs_bloom.accrue_log(log);
                        }
                        out.system_logs.extend(result.into_logs());
                    }
                    Ok(result) if call.required => {
                        return Err(ExecError::SystemCall {
                            target: call.target,
                            reason: format!("{result:?}"),
                        })
                    }
                    Ok(result) => warn!(target = %call.target, ?result, "system call failed"),
                    Err(e) => {
                        return Err(ExecError::SystemCall {
                            target: call.target,
                            reason: e.to_string(),
                        })
                    }
                }
            }
            for tx in txs {
                let remaining = block.gas_limit.saturating_sub(out.gas_used);
                if tx.gas_limit() > remaining {
                    // Stays in the pool for the next block.
                    continue;
                }
                match evm.transact_commit(tx_env(&tx)) {
                    Ok(result) => {
                        let gas_used = result.tx_gas_used();
                        out.gas_used = out.gas_used.saturating_add(gas_used);
                        let contract_address = result.created_address();
                        let receipt = StoredReceipt {
                            tx_type: tx.envelope.tx_type() as u8,
                            success: result.is_success(),
                            cumulative_gas_used: out.gas_used,
                            gas_used,
                            logs: result.into_logs(),
                            contract_address,
                        };
                        for log in &receipt.logs {
                            out.logs_bloom.accrue_log(log);
                        }
                        out.receipts.push(receipt);
                        out.transactions.push(tx);
                    }
                    Err(EVMError::Transaction(invalid)) => {
                        debug!(hash = %tx.hash, %invalid, "transaction skipped");
                        out.rejected.push((tx.hash, invalid.to_string()));
                    }
                    Err(EVMError::Database(e)) => return Err(ExecError::State(e.0)),
                    Err(e) => return Err(ExecError::Evm(e.to_string())),
                }
            }
        }
        out.changes = overlay.into_changeset();
        Ok(out)
    }
}

impl Executor {
    /// The least gas limit a transaction needs before any code runs: the base cost, calldata,
    /// access list, contract creation and (Prague) the calldata floor.
    pub fn intrinsic_gas(&self, tx: &RecoveredTx) -> u64 {
        let gas = revm::context_interface::cfg::gas::calculate_initial_tx_gas_for_tx(
            tx_env(tx),
            self.spec,
            None,
        );
        gas.initial_regular_gas
            .saturating_add(gas.initial_state_gas)
            .max(gas.floor_gas)
    }
}
