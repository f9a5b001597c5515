//! Compose a chain from the engine's parts: storage, execution, pool, consensus and RPC.
//!
//! A chain is "engine + chain spec + consensus + extras": [`NodeBuilder`] takes a
//! [`ChainSpec`](spn_primitives::ChainSpec), one line chooses the consensus engine, and
//! [`ChainExtensions`](spn_execution::ChainExtensions) add precompiles and system calls.

mod backend;
mod bft;
mod builder;
mod clock;
mod dev_rpc;
mod error;
mod genesis;
mod import;
mod metrics;
mod poa;
mod producer;
mod shutdown;

pub use bft::{
    certified_header, BftSchedule, BftSetFuture, BftSetup, BftValidators, CertificateSignature,
    CertificateValidator, CertifiedHeader, EvidenceHandler,
};
pub use builder::{Engine, NodeBuilder, NodeConfig, NodeHandle};
pub use clock::Clock;
pub use error::NodeError;
pub use genesis::{genesis_changeset, init_genesis};
pub use import::{check_header, import_block, ImportError, MAX_FUTURE_SECS};
pub use metrics::{serve_metrics, Metrics};
pub use poa::{decode_block, encode_block, PoaSetup, SetFuture, ValidatorSchedule, SET_LAG};
pub use producer::{build_block, commit_block, next_base_fee, seal_block, BuiltBlock, PoolReader};
pub use shutdown::shutdown_signal;
pub use spn_consensus::{Consensus, Solo, SoloConfig};
pub use spn_mempool::Config as PoolConfig;
pub use spn_rpc::RpcConfig;
pub use spn_storage::{Store, StoreOptions};
