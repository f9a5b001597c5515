//! Start the JSON-RPC server: every namespace on one port for both HTTP and WebSocket.

use crate::backend::ChainBackend;
use crate::call::EthCallApiServer;
use crate::chain::EthChainApiServer;
use crate::config::{RpcConfig, RpcError};
use crate::fees::EthFeesApiServer;
use crate::handler::Handler;
use crate::logs::EthLogsApiServer;
use crate::net::{NetApiServer, Web3ApiServer};
use crate::pubsub::EthPubSubApiServer;
use crate::state::EthStateApiServer;
use crate::transactions::EthTransactionsApiServer;
use jsonrpsee::core::traits::IdProvider;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use jsonrpsee::types::SubscriptionId;
use jsonrpsee::{Methods, RpcModule};
use spn_primitives::keccak256;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Subscription ids like geth's: `0x` and 32 hex digits, never with a leading zero digit (alloy
/// sends ids back as numbers, which would drop it and then match nothing).
#[derive(Debug)]
pub(crate) struct HexIdProvider {
    salt: [u8; 16],
    counter: AtomicU64,
}

impl HexIdProvider {
    /// A provider salted with the time and this process, so ids differ across restarts.
    pub fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&nanos.to_be_bytes());
        salt[0] ^= std::process::id() as u8;
        Self {
            salt,
            counter: AtomicU64::new(0),
        }
    }
}

impl IdProvider for HexIdProvider {
    fn next_id(&self) -> SubscriptionId<'static> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut input = self.salt.to_vec();
        input.extend_from_slice(&n.to_be_bytes());
        let digest = keccak256(&input);
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        id[0] |= 0x10;
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        SubscriptionId::Str(format!("0x{hex}").into())
    }
}

fn merge(module: &mut RpcModule<()>, other: impl Into<Methods>) -> Result<(), RpcError> {
    module
        .merge(other)
        .map_err(|e| RpcError::Register(e.to_string()))
}

/// Every RPC method of the node, over `backend`, ready to serve (also usable in-process).
pub fn rpc_module(
    backend: Arc<dyn ChainBackend>,
    config: RpcConfig,
) -> Result<RpcModule<()>, RpcError> {
    let handler = Handler::new(backend, config);
    let mut module = RpcModule::new(());
    merge(&mut module, EthChainApiServer::into_rpc(handler.clone()))?;
    merge(
        &mut module,
        EthTransactionsApiServer::into_rpc(handler.clone()),
    )?;
    merge(&mut module, EthStateApiServer::into_rpc(handler.clone()))?;
    merge(&mut module, EthCallApiServer::into_rpc(handler.clone()))?;
    merge(&mut module, EthFeesApiServer::into_rpc(handler.clone()))?;
    merge(&mut module, EthLogsApiServer::into_rpc(handler.clone()))?;
    merge(&mut module, EthPubSubApiServer::into_rpc(handler.clone()))?;
    merge(&mut module, NetApiServer::into_rpc(handler.clone()))?;
    merge(&mut module, Web3ApiServer::into_rpc(handler))?;
    module
        .register_method("rpc_modules", |_, _, _| {
            let modules: BTreeMap<_, _> = ["eth", "net", "web3", "rpc"]
                .into_iter()
                .map(|m| (m, "1.0"))
                .collect();
            Ok::<_, jsonrpsee::types::ErrorObjectOwned>(modules)
        })
        .map_err(|e| RpcError::Register(e.to_string()))?;
    Ok(module)
}

/// The jsonrpsee server settings for `config`.
pub(crate) fn server_config(config: &RpcConfig) -> ServerConfig {
    ServerConfig::builder()
        .max_request_body_size(config.max_request_body_bytes)
        .max_response_body_size(config.max_response_body_bytes)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_len))
        .set_id_provider(HexIdProvider::new())
        .build()
}

/// Binds `config.addr` and serves HTTP and WebSocket JSON-RPC on it until the returned handle
/// is stopped, with the chain's own methods (`extra`, e.g. an SPN's `spn_*` namespace) next to
/// the standard ones. Returns the bound address (useful with port 0).
pub async fn start(
    config: RpcConfig,
    backend: Arc<dyn ChainBackend>,
    extra: Option<Methods>,
) -> Result<(SocketAddr, ServerHandle), RpcError> {
    let addr = config.addr;
    let bind_error = |source| RpcError::Bind { addr, source };
    let server = Server::builder()
        .set_config(server_config(&config))
        .build(addr)
        .await
        .map_err(bind_error)?;
    let bound = server.local_addr().map_err(bind_error)?;
    let mut module = rpc_module(backend, config)?;
    if let Some(extra) = extra {
        merge(&mut module, extra)?;
    }
    let handle = server.start(module);
    tracing::info!(%bound, "JSON-RPC server listening (HTTP and WebSocket)");
    Ok((bound, handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_ids_are_unique_hex_without_leading_zero() {
        let provider = HexIdProvider::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1_000 {
            let SubscriptionId::Str(id) = provider.next_id() else {
                panic!("numeric id");
            };
            assert_eq!(id.len(), 34);
            assert!(id.starts_with("0x"));
            assert_ne!(&id[2..3], "0");
            assert!(id[2..].chars().all(|c| c.is_ascii_hexdigit()));
            assert!(seen.insert(id.to_string()));
        }
    }
}
