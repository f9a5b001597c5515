//! Hold the backend and limits every RPC method shares, and the store reads they have in common.

use crate::backend::ChainBackend;
use crate::block_tag::{self, StateAt};
use crate::config::RpcConfig;
use crate::convert::StoredBlock;
use crate::error::{internal, RpcResult};
use alloy_rpc_types_eth::BlockId;
use spn_primitives::B256;
use spn_storage::Store;
use std::sync::Arc;

/// The shared state of all RPC method implementations (cheap to clone).
#[derive(Clone)]
pub(crate) struct Handler {
    /// The running chain.
    pub backend: Arc<dyn ChainBackend>,
    /// Limits.
    pub config: Arc<RpcConfig>,
}

impl Handler {
    /// A handler over `backend` with `config`.
    pub fn new(backend: Arc<dyn ChainBackend>, config: RpcConfig) -> Self {
        Self {
            backend,
            config: Arc::new(config),
        }
    }

    /// The committed chain.
    pub fn store(&self) -> &Store {
        self.backend.store()
    }

    /// Runs `f` on tokio's blocking pool (execution and long store scans stay off the async
    /// threads).
    pub async fn blocking<T, F>(&self, f: F) -> RpcResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Handler) -> RpcResult<T> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || f(&this))
            .await
            .map_err(internal)?
    }

    /// The head block number (0 before genesis is committed).
    pub fn head(&self) -> RpcResult<u64> {
        Ok(self.store().head().map_err(internal)?.map_or(0, |(n, _)| n))
    }

    /// The number of a stored block by hash.
    pub fn number_by_hash(&self, hash: &B256) -> RpcResult<Option<u64>> {
        self.store().block_number(hash).map_err(internal)
    }

    /// The stored block a block id names, if any.
    pub fn resolve_block(&self, id: BlockId) -> RpcResult<Option<u64>> {
        let head = self.head()?;
        block_tag::block_number(id, head, |h| self.number_by_hash(h))
    }

    /// Checks that a state query names the head; says whether it asked for pending state.
    pub fn state_at(&self, id: Option<BlockId>) -> RpcResult<StateAt> {
        let head = self.head()?;
        block_tag::state_at(id, head, |h| self.number_by_hash(h))
    }

    /// Header and hash of a stored block.
    pub fn header(&self, number: u64) -> RpcResult<Option<(spn_primitives::Header, B256)>> {
        let store = self.store();
        let Some(header) = store.header(number).map_err(internal)? else {
            return Ok(None);
        };
        let hash = match store.canonical_hash(number).map_err(internal)? {
            Some(hash) => hash,
            None => header.hash_slow(),
        };
        Ok(Some((header, hash)))
    }

    /// A stored block with its transactions.
    pub fn block(&self, number: u64) -> RpcResult<Option<StoredBlock>> {
        let Some((header, hash)) = self.header(number)? else {
            return Ok(None);
        };
        let transactions = self
            .store()
            .body(number)
            .map_err(internal)?
            .unwrap_or_default();
        Ok(Some(StoredBlock {
            header,
            hash,
            transactions,
        }))
    }
}
