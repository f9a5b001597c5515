//! Build a block from the pool on top of the head, and commit it.

use crate::error::NodeError;
use spn_execution::{BlockInput, ExecutedBlock, Executor};
use spn_mempool::{AccountReader, Mempool};
use spn_primitives::{
    consensus::{
        proofs::{calculate_receipt_root, calculate_transaction_root},
        EMPTY_OMMER_ROOT_HASH,
    },
    eips::eip1559::BaseFeeParams,
    keccak256, Address, Bytes, CommittedBlock, Header, Log, RecoveredTx, SealedBlock, StateView,
    StoredReceipt, B256, U256,
};
use spn_storage::{PreparedState, Store};
use std::collections::BTreeSet;

/// A built, executed block that is not committed yet.
#[derive(Debug)]
pub struct BuiltBlock {
    /// The sealed block.
    pub block: SealedBlock,
    /// Its receipts.
    pub receipts: Vec<StoredReceipt>,
    /// Logs of its system calls (no receipt; served by `eth_getLogs`).
    pub system_logs: Vec<Log>,
    /// Its state writes and root.
    pub prepared: PreparedState,
    /// Pool transactions that could not be included, with why.
    pub rejected: Vec<(B256, String)>,
}

/// Reads nonces and balances for the pool from the latest state.
pub struct PoolReader<'a>(pub &'a Store);

impl AccountReader for PoolReader<'_> {
    fn nonce_and_balance(&self, address: &Address) -> (u64, U256) {
        match StateView::account(self.0, address) {
            Ok(Some(a)) => (a.nonce, a.balance),
            _ => (0, U256::ZERO),
        }
    }
}

/// The EIP-1559 base fee of the block after `parent`.
pub fn next_base_fee(parent: &Header) -> u64 {
    parent
        .next_block_base_fee(BaseFeeParams::ethereum())
        .unwrap_or_default()
        .max(1)
}

/// The environment of the block after `parent`, built at `now_secs` on the node's clock.
pub(crate) fn next_block_input(
    parent: &Header,
    parent_hash: B256,
    beneficiary: Address,
    now_secs: u64,
) -> BlockInput {
    BlockInput {
        number: parent.number + 1,
        timestamp: now_secs.max(parent.timestamp),
        beneficiary,
        gas_limit: parent.gas_limit,
        base_fee: next_base_fee(parent),
        prevrandao: keccak256(parent_hash),
        extra_data: Bytes::new(),
    }
}

/// Seals an executed block: computes the transactions and receipts roots and the header.
pub fn seal_block(
    parent_hash: B256,
    input: &BlockInput,
    executed: &ExecutedBlock,
    state_root: B256,
) -> SealedBlock {
    let envelopes: Vec<_> = executed.transactions.iter().map(|t| &t.envelope).collect();
    let receipt_envelopes: Vec<_> = executed.receipts.iter().map(|r| r.to_envelope()).collect();
    let header = Header {
        parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: input.beneficiary,
        state_root,
        transactions_root: calculate_transaction_root(&envelopes),
        receipts_root: calculate_receipt_root(&receipt_envelopes),
        logs_bloom: executed.logs_bloom,
        number: input.number,
        gas_limit: input.gas_limit,
        gas_used: executed.gas_used,
        timestamp: input.timestamp,
        extra_data: input.extra_data.clone(),
        mix_hash: input.prevrandao,
        base_fee_per_gas: Some(input.base_fee),
        ..Default::default()
    };
    SealedBlock::new(header, executed.transactions.clone())
}

/// Selects transactions from the pool, executes them on the latest state, and seals the block,
/// stamped with the system time. The chain's extensions choose its extra data (what it is
/// derived from).
pub fn build_block(
    store: &Store,
    executor: &Executor,
    pool: &Mempool<RecoveredTx>,
    parent: &Header,
    parent_hash: B256,
    beneficiary: Address,
) -> Result<BuiltBlock, NodeError> {
    let now = crate::clock::system_secs();
    build_block_at(store, executor, pool, parent, parent_hash, beneficiary, now)
}

/// [`build_block`] at `now_secs` on the node's clock (which a dev chain may warp).
pub(crate) fn build_block_at(
    store: &Store,
    executor: &Executor,
    pool: &Mempool<RecoveredTx>,
    parent: &Header,
    parent_hash: B256,
    beneficiary: Address,
    now_secs: u64,
) -> Result<BuiltBlock, NodeError> {
    let mut input = next_block_input(parent, parent_hash, beneficiary, now_secs);
    input.extra_data = executor.next_extra_data(store);
    let txs = pool.best(input.gas_limit, u128::from(input.base_fee));
    let executed = executor.execute_block(store, &input, txs)?;
    let prepared = store.prepare_state(&executed.changes)?;
    let block = seal_block(parent_hash, &input, &executed, prepared.state_root);
    Ok(BuiltBlock {
        block,
        receipts: executed.receipts,
        system_logs: executed.system_logs,
        prepared,
        rejected: executed.rejected,
    })
}

/// Commits a built block in one atomic batch and updates the pool. Returns what subscribers see.
pub fn commit_block(
    store: &Store,
    pool: &Mempool<RecoveredTx>,
    built: BuiltBlock,
) -> Result<CommittedBlock, NodeError> {
    store.commit_block_with_system_logs(
        &built.block,
        &built.receipts,
        &built.system_logs,
        built.prepared,
    )?;
    let senders: BTreeSet<Address> = built.block.transactions.iter().map(|t| t.sender).collect();
    let senders: Vec<Address> = senders.into_iter().collect();
    pool.on_block_committed(&PoolReader(store), &senders);
    if !built.rejected.is_empty() {
        let hashes: Vec<B256> = built.rejected.iter().map(|(h, _)| *h).collect();
        pool.remove(&hashes);
    }
    Ok(CommittedBlock {
        block: built.block,
        receipts: built.receipts,
        system_logs: built.system_logs,
    })
}
