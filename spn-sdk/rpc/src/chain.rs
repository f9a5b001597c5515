//! Serve the chain's identity and its blocks: `eth_chainId`, `eth_blockNumber`, `eth_getBlock*`.

use crate::convert::{rpc_block, rpc_receipts};
use crate::error::{internal, RpcResult};
use crate::handler::Handler;
use alloy_rpc_types_eth::{
    Block, BlockId, BlockNumberOrTag, SyncStatus, Transaction, TransactionReceipt,
};
use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use spn_primitives::primitives::U64;
use spn_primitives::{Address, B256};

/// The block-reading part of the `eth` namespace.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthChainApi {
    /// The chain id (EIP-155).
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<U64>;

    /// The head block number.
    #[method(name = "blockNumber")]
    fn block_number(&self) -> RpcResult<U64>;

    /// Always `false` unless the node says it is catching up.
    #[method(name = "syncing")]
    fn syncing(&self) -> RpcResult<SyncStatus>;

    /// The node holds no keys: always empty.
    #[method(name = "accounts")]
    fn accounts(&self) -> RpcResult<Vec<Address>>;

    /// A block by number or tag, with full transactions or hashes.
    #[method(name = "getBlockByNumber")]
    async fn block_by_number(
        &self,
        number: BlockNumberOrTag,
        full: Option<bool>,
    ) -> RpcResult<Option<Block<Transaction>>>;

    /// A block by hash, with full transactions or hashes.
    #[method(name = "getBlockByHash")]
    async fn block_by_hash(
        &self,
        hash: B256,
        full: Option<bool>,
    ) -> RpcResult<Option<Block<Transaction>>>;

    /// The number of transactions in a block.
    #[method(name = "getBlockTransactionCountByNumber")]
    fn tx_count_by_number(&self, number: BlockNumberOrTag) -> RpcResult<Option<U64>>;

    /// The number of transactions in a block.
    #[method(name = "getBlockTransactionCountByHash")]
    fn tx_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>>;

    /// Always 0 (no uncles), or null for an unknown block.
    #[method(name = "getUncleCountByBlockNumber")]
    fn uncle_count_by_number(&self, number: BlockNumberOrTag) -> RpcResult<Option<U64>>;

    /// Always 0 (no uncles), or null for an unknown block.
    #[method(name = "getUncleCountByBlockHash")]
    fn uncle_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>>;

    /// The receipts of every transaction in a block.
    #[method(name = "getBlockReceipts")]
    async fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<TransactionReceipt>>>;
}

impl Handler {
    fn rpc_block_at(&self, id: BlockId, full: bool) -> RpcResult<Option<Block<Transaction>>> {
        let Some(number) = self.resolve_block(id)? else {
            return Ok(None);
        };
        Ok(self.block(number)?.map(|b| rpc_block(&b, full)))
    }

    fn tx_count_at(&self, id: BlockId) -> RpcResult<Option<U64>> {
        let Some(number) = self.resolve_block(id)? else {
            return Ok(None);
        };
        let body = self.store().body(number).map_err(internal)?;
        Ok(body.map(|txs| U64::from(txs.len())))
    }

    fn uncle_count_at(&self, id: BlockId) -> RpcResult<Option<U64>> {
        Ok(self.resolve_block(id)?.map(|_| U64::ZERO))
    }
}

#[async_trait]
impl EthChainApiServer for Handler {
    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.backend.chain_id()))
    }

    fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(self.head()?))
    }

    fn syncing(&self) -> RpcResult<SyncStatus> {
        // A detailed status needs the network's height, which the backend does not report;
        // a syncing node answers `true`-ish with its head as both current and highest.
        if self.backend.syncing() {
            let head = self.head()?;
            Ok(SyncStatus::Info(Box::new(alloy_rpc_types_eth::SyncInfo {
                starting_block: spn_primitives::U256::ZERO,
                current_block: spn_primitives::U256::from(head),
                highest_block: spn_primitives::U256::from(head),
                ..Default::default()
            })))
        } else {
            Ok(SyncStatus::None)
        }
    }

    fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(Vec::new())
    }

    async fn block_by_number(
        &self,
        number: BlockNumberOrTag,
        full: Option<bool>,
    ) -> RpcResult<Option<Block<Transaction>>> {
        let full = full.unwrap_or(false);
        self.blocking(move |h| h.rpc_block_at(BlockId::Number(number), full))
            .await
    }

    async fn block_by_hash(
        &self,
        hash: B256,
        full: Option<bool>,
    ) -> RpcResult<Option<Block<Transaction>>> {
        let full = full.unwrap_or(false);
        self.blocking(move |h| h.rpc_block_at(BlockId::from(hash), full))
            .await
    }

    fn tx_count_by_number(&self, number: BlockNumberOrTag) -> RpcResult<Option<U64>> {
        self.tx_count_at(BlockId::Number(number))
    }

    fn tx_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>> {
        self.tx_count_at(BlockId::from(hash))
    }

    fn uncle_count_by_number(&self, number: BlockNumberOrTag) -> RpcResult<Option<U64>> {
        self.uncle_count_at(BlockId::Number(number))
    }

    fn uncle_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>> {
        self.uncle_count_at(BlockId::from(hash))
    }

    async fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Vec<TransactionReceipt>>> {
        self.blocking(move |h| {
            let Some(number) = h.resolve_block(block)? else {
                return Ok(None);
            };
            let Some(stored) = h.block(number)? else {
                return Ok(None);
            };
            let receipts = h
                .store()
                .receipts(number)
                .map_err(internal)?
                .unwrap_or_default();
            Ok(Some(rpc_receipts(&stored, &receipts)))
        })
        .await
    }
}
