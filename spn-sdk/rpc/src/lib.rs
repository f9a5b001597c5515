//! Serve the Ethereum JSON-RPC API (HTTP and WebSocket on one port) over any chain backend.
//!
//! Responses use alloy's RPC types, so alloy, cast, ethers and web3.py parse them unchanged.
//! The chain has a single sequencer: `safe`, `finalized` and `pending` name the head, and only
//! the head's state is kept, so state queries at older blocks fail with a clear error.
//! Execution (`eth_call`, `eth_estimateGas`) and long store scans run on tokio's blocking pool.

mod backend;
mod block_tag;
mod call;
mod chain;
mod config;
mod convert;
mod error;
mod fees;
mod handler;
mod logs;
mod net;
mod pubsub;
mod server;
mod state;
mod transactions;

pub use backend::{ChainBackend, SubmitError};
pub use config::{RpcConfig, RpcError};
pub use error::decode_revert_reason;
pub use jsonrpsee::server::ServerHandle;
pub use jsonrpsee::{types::ErrorObjectOwned, Methods, RpcModule};
pub use server::{rpc_module, start};
pub use state::proof_response;
