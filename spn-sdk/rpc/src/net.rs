//! Serve the `net` and `web3` namespaces that wallets and tools probe on connect.

use crate::error::RpcResult;
use crate::handler::Handler;
use jsonrpsee::proc_macros::rpc;
use spn_primitives::primitives::U64;
use spn_primitives::{keccak256, Bytes, B256};

/// The `net` namespace.
#[rpc(server, namespace = "net")]
pub(crate) trait NetApi {
    /// The chain id as a decimal string.
    #[method(name = "version")]
    fn version(&self) -> RpcResult<String>;

    /// Always `true`.
    #[method(name = "listening")]
    fn listening(&self) -> RpcResult<bool>;

    /// Connected peers (a sequencer has none).
    #[method(name = "peerCount")]
    fn peer_count(&self) -> RpcResult<U64>;
}

/// The `web3` namespace.
#[rpc(server, namespace = "web3")]
pub(crate) trait Web3Api {
    /// The node's name and version.
    #[method(name = "clientVersion")]
    fn client_version(&self) -> RpcResult<String>;

    /// keccak256 of the given bytes.
    #[method(name = "sha3")]
    fn sha3(&self, data: Bytes) -> RpcResult<B256>;
}

impl NetApiServer for Handler {
    fn version(&self) -> RpcResult<String> {
        Ok(self.backend.chain_id().to_string())
    }

    fn listening(&self) -> RpcResult<bool> {
        Ok(true)
    }

    fn peer_count(&self) -> RpcResult<U64> {
        Ok(U64::ZERO)
    }
}

impl Web3ApiServer for Handler {
    fn client_version(&self) -> RpcResult<String> {
        Ok(self.backend.client_version())
    }

    fn sha3(&self, data: Bytes) -> RpcResult<B256> {
        Ok(keccak256(&data))
    }
}
