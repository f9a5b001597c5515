//! Name what can stop a node.

/// A node failure.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Storage failed or the data directory is unusable.
    #[error(transparent)]
    Store(#[from] spn_storage::StoreError),
    /// A block could not be executed.
    #[error(transparent)]
    Exec(#[from] spn_execution::ExecError),
    /// The RPC server could not start.
    #[error("rpc server: {0}")]
    Rpc(String),
    /// The metrics server could not start.
    #[error("metrics server on {addr}: {source}")]
    Metrics {
        /// The address.
        addr: std::net::SocketAddr,
        /// The IO error.
        source: std::io::Error,
    },
    /// A block from another node was refused.
    #[error("block refused: {0}")]
    Import(#[from] crate::import::ImportError),
    /// The peer-to-peer network could not start.
    #[error("validator network: {0}")]
    Network(String),
    /// The data directory holds another chain.
    #[error("{0}")]
    WrongChain(String),
}

impl NodeError {
    /// Whether the block could not be derived *yet* (an input such as a mainnet block is not
    /// seen here); trying again shortly may succeed.
    pub fn is_not_ready(&self) -> bool {
        matches!(
            self,
            Self::Exec(spn_execution::ExecError::Derivation(
                spn_execution::DerivationError::NotReady(_)
            ))
        )
    }
}
