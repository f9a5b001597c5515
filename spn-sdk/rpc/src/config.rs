//! Configure the RPC server's address and the limits it enforces.

use std::net::{Ipv4Addr, SocketAddr};

/// Where the server listens and what it refuses to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcConfig {
    /// Address for HTTP and WebSocket (one port serves both). Port 0 picks a free port.
    pub addr: SocketAddr,
    /// Largest accepted request body (HTTP) or message (WebSocket), in bytes.
    pub max_request_body_bytes: u32,
    /// Largest response the server will send, in bytes; larger ones become an error.
    pub max_response_body_bytes: u32,
    /// Most calls in one JSON-RPC batch.
    pub max_batch_len: u32,
    /// Most simultaneous connections.
    pub max_connections: u32,
    /// Widest block range `eth_getLogs` scans.
    pub max_log_range_blocks: u64,
    /// Most logs `eth_getLogs` returns.
    pub max_logs: usize,
    /// Gas limit of `eth_call` / `eth_estimateGas` (a larger `gas` is capped to this).
    pub call_gas_cap: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8545)),
            max_request_body_bytes: 10 << 20,
            max_response_body_bytes: 100 << 20,
            max_batch_len: 100,
            max_connections: 1_000,
            max_log_range_blocks: 10_000,
            max_logs: 20_000,
            call_gas_cap: 50_000_000,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The listening socket could not be bound.
    #[error("cannot listen for RPC on {addr}: {source}")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Two RPC methods were registered under one name (a programming error).
    #[error("RPC method registration failed: {0}")]
    Register(String),
}
