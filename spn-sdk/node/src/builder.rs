//! Assemble a node from a chain spec, a consensus engine and extensions, and run it.

use crate::backend::{Head, NodeInner};
use crate::bft::{drive_bft, BftSetup};
use crate::clock::Clock;
use crate::error::NodeError;
use crate::genesis::init_genesis;
use crate::metrics::Metrics;
use crate::poa::{drive_poa, PoaSetup};
use crate::producer::{commit_block, BuiltBlock};
use spn_consensus::{Action, Consensus, Event, Solo, SoloConfig};
use spn_execution::{ChainExtensions, Executor, NoExtensions};
use spn_mempool::Mempool;
use spn_primitives::{Address, ChainSpec, RecoveredTx};
use spn_rpc::{ChainBackend, RpcConfig};
use spn_storage::{Store, StoreOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, error, info};

/// Where and how a node runs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Data directory (locked while the node runs).
    pub datadir: PathBuf,
    /// JSON-RPC server settings.
    pub rpc: RpcConfig,
    /// Prometheus `/metrics` address, if enabled.
    pub metrics_addr: Option<SocketAddr>,
    /// Database settings.
    pub store: StoreOptions,
    /// Transaction pool settings.
    pub pool: spn_mempool::Config,
    /// Receives priority fees.
    pub beneficiary: Address,
}

/// Builds a node: engine + chain spec + consensus + extras.
pub struct NodeBuilder {
    spec: ChainSpec,
    config: NodeConfig,
    consensus: Engine,
    extensions: Arc<dyn ChainExtensions>,
    rpc_methods: Option<spn_rpc::Methods>,
    clock: Option<Clock>,
}

/// The consensus a node runs: an event-driven engine without networking (`solo`), or `poa` or
/// `bft` with their validator network. Anything implementing [`Consensus`], [`PoaSetup`] and
/// [`BftSetup`] convert into it, so the choice is one line: `.with_consensus(Solo::new(..))`,
/// `.with_consensus(poa_setup)` or `.with_consensus(bft_setup)`.
pub enum Engine {
    /// A local engine such as [`Solo`].
    Local(Box<dyn Consensus>),
    /// Proof of authority over a validator network.
    Poa(Box<PoaSetup>),
    /// The multi-proposer BFT over a validator network.
    Bft(Box<BftSetup>),
}

impl<C: Consensus> From<C> for Engine {
    fn from(consensus: C) -> Self {
        Self::Local(Box::new(consensus))
    }
}

impl From<PoaSetup> for Engine {
    fn from(setup: PoaSetup) -> Self {
        Self::Poa(Box::new(setup))
    }
}

impl From<BftSetup> for Engine {
    fn from(setup: BftSetup) -> Self {
        Self::Bft(Box::new(setup))
    }
}

impl Engine {
    fn name(&self) -> &'static str {
        match self {
            Self::Local(c) => c.name(),
            Self::Poa(_) => "poa",
            Self::Bft(_) => "bft",
        }
    }
}

/// A running node.
pub struct NodeHandle {
    inner: Arc<NodeInner>,
    /// The bound RPC address.
    pub rpc_addr: SocketAddr,
    /// The bound metrics address.
    pub metrics_addr: Option<SocketAddr>,
    /// The bound peer-to-peer address (`poa`, `bft`).
    pub p2p_addr: Option<SocketAddr>,
    network: Option<spn_network::NetworkHandle>,
    rpc: spn_rpc::ServerHandle,
    driver: tokio::task::JoinHandle<Result<(), NodeError>>,
}

impl NodeBuilder {
    /// A node for `spec` with the `solo` engine (one block per second) and no extensions.
    pub fn new(spec: ChainSpec, config: NodeConfig) -> Self {
        Self {
            spec,
            config,
            consensus: Solo::new(SoloConfig::default()).into(),
            extensions: Arc::new(NoExtensions),
            rpc_methods: None,
            clock: None,
        }
    }

    /// Lets the chain's clock be warped forward over RPC (`evm_increaseTime`, `evm_mine`):
    /// for dev chains only, where deadlines of hours are rehearsed in seconds.
    pub fn with_dev_time_warp(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Chooses the consensus engine: `solo` ([`Solo`]), `poa` ([`PoaSetup`]) or `bft`
    /// ([`BftSetup`]).
    pub fn with_consensus(mut self, consensus: impl Into<Engine>) -> Self {
        self.consensus = consensus.into();
        self
    }

    /// Serves the chain's own JSON-RPC methods next to the standard ones.
    pub fn with_rpc_methods(mut self, methods: spn_rpc::Methods) -> Self {
        self.rpc_methods = Some(methods);
        self
    }

    /// Adds chain-specific precompiles and system calls.
    pub fn with_extensions(mut self, extensions: Arc<dyn ChainExtensions>) -> Self {
        self.extensions = extensions;
        self
    }

    /// Opens the database (genesis on first start, consistency check after), starts RPC,
    /// metrics and block production.
    pub async fn launch(self) -> Result<NodeHandle, NodeError> {
        let Self {
            spec,
            mut config,
            consensus,
            extensions,
            mut rpc_methods,
            clock,
        } = self;
        let warp = clock.is_some();
        let store = {
            let dir = config.datadir.clone();
            let opts = config.store.clone();
            let spec = spec.clone();
            tokio::task::spawn_blocking(move || -> Result<Store, NodeError> {
                let store = Store::open(&dir, &opts)?;
                init_genesis(&store, &spec)?;
                Ok(store)
            })
            .await
            .map_err(|e| NodeError::Rpc(e.to_string()))??
        };
        let (number, hash) = store
            .head()?
            .ok_or_else(|| NodeError::WrongChain("no head after genesis".into()))?;
        let header = store
            .header(number)?
            .ok_or_else(|| NodeError::WrongChain(format!("missing header {number}")))?;
        config.pool.block_gas_limit = header.gas_limit;
        let metrics = Arc::new(Metrics::default());
        metrics.head.set(number as i64);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (blocks_tx, _) = broadcast::channel(256);
        let inner = Arc::new(NodeInner {
            executor: Executor::new(spec.chain_id, extensions),
            spec,
            store: Arc::new(store),
            pool: Arc::new(Mempool::new(config.pool)),
            head: parking_lot::RwLock::new(Head { header, hash }),
            beneficiary: config.beneficiary,
            blocks: blocks_tx,
            events: events_tx.clone(),
            pending_signalled: Default::default(),
            metrics: metrics.clone(),
            tx_gossip: Default::default(),
            clock: clock.unwrap_or_default(),
        });
        if let Engine::Bft(setup) = &consensus {
            let mut methods = rpc_methods.take().unwrap_or_default();
            methods
                .merge(
                    crate::bft::rpc::methods(inner.store.clone(), setup.validators.clone())
                        .map_err(NodeError::Rpc)?,
                )
                .map_err(|e| NodeError::Rpc(e.to_string()))?;
            rpc_methods = Some(methods);
        }
        if warp {
            let mut methods = rpc_methods.take().unwrap_or_default();
            methods
                .merge(crate::dev_rpc::methods(inner.clone()).map_err(NodeError::Rpc)?)
                .map_err(|e| NodeError::Rpc(e.to_string()))?;
            rpc_methods = Some(methods);
        }
        let backend: Arc<dyn ChainBackend> = inner.clone();
        let (rpc_addr, rpc) = spn_rpc::start(config.rpc.clone(), backend, rpc_methods)
            .await
            .map_err(|e| NodeError::Rpc(e.to_string()))?;
        let metrics_addr = match config.metrics_addr {
            Some(addr) => Some(
                metrics
                    .clone()
                    .serve(addr)
                    .await
                    .map_err(|source| NodeError::Metrics { addr, source })?,
            ),
            None => None,
        };
        info!(
            chain_id = inner.spec.chain_id,
            head = number,
            consensus = consensus.name(),
            %rpc_addr,
            "node started"
        );
        let (driver, network) = match consensus {
            Engine::Local(consensus) => {
                let _ = events_tx.send(Event::Started { head: number });
                (
                    tokio::spawn(drive(inner.clone(), consensus, events_rx)),
                    None,
                )
            }
            Engine::Poa(setup) => {
                drop(events_rx);
                let (network, events) = spn_network::start(setup.network.clone())
                    .await
                    .map_err(|e| NodeError::Network(e.to_string()))?;
                info!(p2p = %network.listen_addr(), "validator network listening");
                let driver =
                    tokio::spawn(drive_poa(inner.clone(), *setup, network.clone(), events));
                (driver, Some(network))
            }
            Engine::Bft(setup) => {
                let (network, events) = spn_network::start(setup.network.clone())
                    .await
                    .map_err(|e| NodeError::Network(e.to_string()))?;
                info!(p2p = %network.listen_addr(), "validator network listening");
                let driver = tokio::spawn(drive_bft(
                    inner.clone(),
                    *setup,
                    network.clone(),
                    events,
                    events_rx,
                ));
                (driver, Some(network))
            }
        };
        Ok(NodeHandle {
            inner,
            rpc_addr,
            metrics_addr,
            p2p_addr: network.as_ref().map(|n| n.listen_addr()),
            network,
            rpc,
            driver,
        })
    }
}

/// Feeds events to the consensus engine and performs its actions. Returns on a fatal error
/// (a block that cannot be committed: the node must stop rather than run on partial state).
async fn drive(
    inner: Arc<NodeInner>,
    mut consensus: Box<dyn Consensus>,
    mut events: mpsc::UnboundedReceiver<Event>,
) -> Result<(), NodeError> {
    let mut built: Option<BuiltBlock> = None;
    while let Some(event) = events.recv().await {
        if matches!(event, Event::TransactionsPending) {
            inner.pending_signalled.store(false, Ordering::Release);
        }
        for action in consensus.on_event(event) {
            match action {
                Action::ScheduleTimeout { id, after_ms } => {
                    let tx = inner.events.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(after_ms)).await;
                        let _ = tx.send(Event::Timeout { id });
                    });
                }
                Action::BuildBlock { number, .. } => {
                    let node = inner.clone();
                    let result = tokio::task::spawn_blocking(move || node.build_next()).await;
                    let event = match result {
                        Ok(Ok(block)) if block.block.number() == number => {
                            let event = Event::BlockBuilt {
                                number,
                                hash: block.block.hash.0,
                                tx_count: block.block.transactions.len(),
                            };
                            built = Some(block);
                            event
                        }
                        Ok(Ok(_)) => Event::BuildFailed { number },
                        Ok(Err(e)) if e.is_not_ready() => {
                            debug!(number, %e, "block not buildable yet");
                            Event::BuildFailed { number }
                        }
                        Ok(Err(e)) => {
                            error!(number, %e, "building block failed");
                            Event::BuildFailed { number }
                        }
                        Err(e) => {
                            error!(number, %e, "block builder panicked");
                            Event::BuildFailed { number }
                        }
                    };
                    let _ = inner.events.send(event);
                }
                Action::CommitBlock { number, hash } => {
                    let Some(block) = built.take().filter(|b| b.block.hash.0 == hash) else {
                        continue;
                    };
                    let node = inner.clone();
                    let committed = tokio::task::spawn_blocking(move || {
                        commit_block(&node.store, &node.pool, block)
                    })
                    .await
                    .map_err(|e| NodeError::Rpc(format!("commit task failed: {e}")))??;
                    inner.record_commit(committed);
                    let _ = inner.events.send(Event::BlockCommitted { number });
                    if inner.pool.pending_count() > 0 {
                        inner.signal_pending();
                    }
                }
                Action::DiscardBlock { .. } => {
                    built = None;
                }
            }
        }
    }
    Ok(())
}

impl NodeHandle {
    /// The chain spec.
    pub fn chain_spec(&self) -> &ChainSpec {
        &self.inner.spec
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The database, shared (for tasks that outlive a borrow of the handle).
    pub fn shared_store(&self) -> Arc<Store> {
        self.inner.store.clone()
    }

    /// The transaction pool.
    pub fn pool(&self) -> &Mempool<RecoveredTx> {
        &self.inner.pool
    }

    /// Submits a transaction as `eth_sendRawTransaction` does: checked, pooled, and (`poa`,
    /// `bft`) passed on to the validators that need it.
    pub fn submit_transaction(&self, tx: RecoveredTx) -> Result<spn_primitives::B256, String> {
        spn_rpc::ChainBackend::submit_transaction(&*self.inner, tx).map_err(|e| e.0)
    }

    /// Every block as it commits.
    pub fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<spn_primitives::CommittedBlock>> {
        self.inner.blocks.subscribe()
    }

    /// The latest committed block number.
    pub fn head(&self) -> u64 {
        self.inner.head.read().header.number
    }

    /// Runs until the block producer stops (a fatal error) or `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), NodeError> {
        let mut driver = self.driver;
        let result = tokio::select! {
            r = &mut driver => match r {
                Ok(r) => r,
                Err(e) => Err(NodeError::Rpc(format!("block producer failed: {e}"))),
            },
            _ = shutdown => {
                // Stop the producer too, so nothing holds the database once this returns.
                driver.abort();
                let _ = driver.await;
                Ok(())
            }
        };
        let _ = self.rpc.stop();
        self.rpc.clone().stopped().await;
        if let Some(network) = &self.network {
            network.shutdown();
            network.stopped().await;
        }
        result
    }
}
