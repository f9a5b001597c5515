//! Share the running chain's state between the block producer and the RPC server.

use crate::clock::Clock;
use crate::error::NodeError;
use crate::metrics::Metrics;
use crate::producer::{build_block_at, next_base_fee, next_block_input, BuiltBlock, PoolReader};
use parking_lot::RwLock;
use spn_consensus::Event;
use spn_execution::{BlockInput, Executor};
use spn_mempool::Mempool;
use spn_primitives::{Address, ChainSpec, CommittedBlock, Header, RecoveredTx, B256};
use spn_rpc::{ChainBackend, SubmitError};
use spn_storage::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};

/// The latest committed header and its hash.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub header: Header,
    pub hash: B256,
}

/// Everything a running node shares between its tasks.
pub(crate) struct NodeInner {
    pub spec: ChainSpec,
    pub store: Arc<Store>,
    pub executor: Executor,
    pub pool: Arc<Mempool<RecoveredTx>>,
    pub head: RwLock<Head>,
    pub beneficiary: Address,
    pub blocks: broadcast::Sender<Arc<CommittedBlock>>,
    pub events: mpsc::UnboundedSender<Event>,
    /// Set while a `TransactionsPending` event is queued, so floods of transactions send one.
    pub pending_signalled: AtomicBool,
    pub metrics: Arc<Metrics>,
    /// Where transactions submitted here go to be gossiped to the other validators (`poa`).
    pub tx_gossip: std::sync::OnceLock<mpsc::Sender<RecoveredTx>>,
    /// The chain's clock (a dev chain can warp it forward).
    pub clock: Clock,
}

impl NodeInner {
    /// Checks `tx` against the chain and adds it to the pool.
    pub fn admit(&self, tx: RecoveredTx) -> Result<B256, SubmitError> {
        let hash = tx.hash;
        let intrinsic = self.executor.intrinsic_gas(&tx);
        if tx.gas_limit() < intrinsic {
            self.metrics.rejected.inc();
            return Err(SubmitError(format!(
                "intrinsic gas too low: gas limit {} is below the {intrinsic} this transaction needs",
                tx.gas_limit()
            )));
        }
        // Only the base fee is needed here: no block environment (and no hashing) per submission.
        let base_fee = u128::from(next_base_fee(&self.head.read().header));
        match self.pool.add(tx, &PoolReader(&self.store), base_fee) {
            Ok(_) => {
                self.metrics.pool_size.set(self.pool.len() as i64);
                self.signal_pending();
                Ok(hash)
            }
            Err(e) => {
                self.metrics.rejected.inc();
                Err(SubmitError(e.to_string()))
            }
        }
    }

    /// Tells consensus that transactions are waiting (at most one queued signal).
    pub fn signal_pending(&self) {
        if !self.pending_signalled.swap(true, Ordering::AcqRel) {
            let _ = self.events.send(Event::TransactionsPending);
        }
    }
}

impl NodeInner {
    /// Builds the next block on the current head from the pool (not committed).
    pub fn build_next(&self) -> Result<BuiltBlock, NodeError> {
        let head = self.head.read().clone();
        build_block_at(
            &self.store,
            &self.executor,
            &self.pool,
            &head.header,
            head.hash,
            self.beneficiary,
            self.clock.now_secs(),
        )
    }

    /// Makes a committed block the head: metrics, log, subscribers.
    pub fn record_commit(&self, committed: CommittedBlock) {
        let block = &committed.block;
        {
            let mut head = self.head.write();
            head.header = block.header.clone();
            head.hash = block.hash;
        }
        let m = &self.metrics;
        m.blocks.inc();
        m.transactions.inc_by(block.transactions.len() as u64);
        m.gas.inc_by(block.header.gas_used);
        m.head.set(block.number() as i64);
        m.pool_size.set(self.pool.len() as i64);
        tracing::info!(
            number = block.number(),
            hash = %block.hash,
            txs = block.transactions.len(),
            gas = block.header.gas_used,
            "committed block"
        );
        let _ = self.blocks.send(Arc::new(committed));
    }
}

impl ChainBackend for NodeInner {
    fn chain_id(&self) -> u64 {
        self.spec.chain_id
    }

    fn client_version(&self) -> String {
        format!("pharos-node/v{}", env!("CARGO_PKG_VERSION"))
    }

    fn store(&self) -> &Store {
        &self.store
    }

    fn executor(&self) -> &Executor {
        &self.executor
    }

    fn next_block_input(&self) -> BlockInput {
        let head = self.head.read();
        next_block_input(
            &head.header,
            head.hash,
            self.beneficiary,
            self.clock.now_secs(),
        )
    }

    fn submit_transaction(&self, tx: RecoveredTx) -> Result<B256, SubmitError> {
        let gossip = self.tx_gossip.get().map(|out| (out, tx.clone()));
        let hash = self.admit(tx)?;
        // Best effort: when the gossip queue is full the transaction still waits here.
        if let Some((out, tx)) = gossip {
            let _ = out.try_send(tx);
        }
        Ok(hash)
    }

    fn pool_transaction(&self, hash: &B256) -> Option<RecoveredTx> {
        self.pool.get(hash)
    }

    fn pending_nonce(&self, address: &Address) -> Option<u64> {
        self.pool.pending_nonce(address)
    }

    fn suggested_priority_fee(&self) -> u128 {
        // A single sequencer orders by tip but needs none; suggest 1 gwei like geth's default.
        1_000_000_000
    }

    fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<CommittedBlock>> {
        self.blocks.subscribe()
    }
}
