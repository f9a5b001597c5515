//! Accept raw transactions and serve them and their receipts back, mined or pending.

use crate::convert::{first_log_index, rpc_receipt, rpc_transaction};
use crate::error::{internal, server_error, RpcResult};
use crate::handler::Handler;
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag, Index, Transaction, TransactionReceipt};
use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use spn_primitives::{Bytes, RecoveredTx, B256};

/// The transaction part of the `eth` namespace.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthTransactionsApi {
    /// Decodes, checks and pools a signed transaction; returns its hash. Runs inline: sender
    /// recovery (~30 µs) and pool admission are short, and a hop to the blocking pool would
    /// cost a sizeable share of the per-transaction budget.
    #[method(name = "sendRawTransaction")]
    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256>;

    /// A mined or pooled transaction by hash.
    #[method(name = "getTransactionByHash")]
    async fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>>;

    /// The EIP-2718 bytes of a mined or pooled transaction.
    #[method(name = "getRawTransactionByHash")]
    async fn raw_transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Bytes>>;

    /// A transaction by block number and index.
    #[method(name = "getTransactionByBlockNumberAndIndex")]
    async fn transaction_by_number_and_index(
        &self,
        number: BlockNumberOrTag,
        index: Index,
    ) -> RpcResult<Option<Transaction>>;

    /// A transaction by block hash and index.
    #[method(name = "getTransactionByBlockHashAndIndex")]
    async fn transaction_by_hash_and_index(
        &self,
        hash: B256,
        index: Index,
    ) -> RpcResult<Option<Transaction>>;

    /// The receipt of a mined transaction (null while pending or unknown).
    #[method(name = "getTransactionReceipt")]
    async fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>>;
}

impl Handler {
    /// A mined transaction by hash, as RPC.
    fn mined_transaction(&self, hash: &B256) -> RpcResult<Option<Transaction>> {
        let Some(loc) = self.store().transaction_location(hash).map_err(internal)? else {
            return Ok(None);
        };
        self.transaction_at(BlockId::number(loc.number), loc.index as usize)
    }

    /// The transaction at `index` of a block, as RPC.
    fn transaction_at(&self, block: BlockId, index: usize) -> RpcResult<Option<Transaction>> {
        let Some(number) = self.resolve_block(block)? else {
            return Ok(None);
        };
        let Some(block) = self.block(number)? else {
            return Ok(None);
        };
        Ok(block
            .transactions
            .get(index)
            .map(|tx| rpc_transaction(tx, Some(block.tx_info(index)))))
    }

    /// The raw transaction with this hash, pooled or mined.
    fn find_raw(&self, hash: &B256) -> RpcResult<Option<Bytes>> {
        if let Some(tx) = self.backend.pool_transaction(hash) {
            return Ok(Some(tx.encoded()));
        }
        let Some(loc) = self.store().transaction_location(hash).map_err(internal)? else {
            return Ok(None);
        };
        let body = self.store().body(loc.number).map_err(internal)?;
        Ok(body.and_then(|txs| txs.get(loc.index as usize).map(RecoveredTx::encoded)))
    }

    /// The receipt of a mined transaction, as RPC.
    fn receipt(&self, hash: &B256) -> RpcResult<Option<TransactionReceipt>> {
        let store = self.store();
        let Some(loc) = store.transaction_location(hash).map_err(internal)? else {
            return Ok(None);
        };
        let index = loc.index as usize;
        let Some(block) = self.block(loc.number)? else {
            return Ok(None);
        };
        let receipts = store
            .receipts(loc.number)
            .map_err(internal)?
            .unwrap_or_default();
        let Some(receipt) = receipts.get(index) else {
            return Ok(None);
        };
        let first_log = first_log_index(&receipts, index);
        Ok(rpc_receipt(&block, index, receipt, first_log))
    }
}

#[async_trait]
impl EthTransactionsApiServer for Handler {
    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        let tx = RecoveredTx::decode(&raw, self.backend.chain_id())
            .map_err(|e| server_error(e.to_string()))?;
        self.backend
            .submit_transaction(tx)
            .map_err(|e| server_error(e.0))
    }

    async fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        self.blocking(move |h| {
            // The pool first: a transaction leaves it only after its block is stored, so
            // looking there first never misses one that is being mined right now.
            if let Some(tx) = h.backend.pool_transaction(&hash) {
                if let Some(mined) = h.mined_transaction(&hash)? {
                    return Ok(Some(mined));
                }
                return Ok(Some(rpc_transaction(&tx, None)));
            }
            h.mined_transaction(&hash)
        })
        .await
    }

    async fn raw_transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Bytes>> {
        self.blocking(move |h| h.find_raw(&hash)).await
    }

    async fn transaction_by_number_and_index(
        &self,
        number: BlockNumberOrTag,
        index: Index,
    ) -> RpcResult<Option<Transaction>> {
        self.blocking(move |h| h.transaction_at(BlockId::Number(number), index.0))
            .await
    }

    async fn transaction_by_hash_and_index(
        &self,
        hash: B256,
        index: Index,
    ) -> RpcResult<Option<Transaction>> {
        self.blocking(move |h| h.transaction_at(BlockId::from(hash), index.0))
            .await
    }

    async fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>> {
        self.blocking(move |h| h.receipt(&hash)).await
    }
}
