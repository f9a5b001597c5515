//! Name what can go wrong in storage.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB reported an error.
    #[error("database error: {0}")]
    Db(#[from] rocksdb::Error),
    /// The data directory is used by another process.
    #[error(
        "data directory {path} is locked by another process; stop it or choose another --datadir"
    )]
    Locked {
        /// The locked directory.
        path: String,
    },
    /// A filesystem operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// Stored bytes do not decode: the database is damaged.
    #[error("corrupt database: {0}")]
    Corrupt(String),
    /// The trie could not be updated or read.
    #[error("trie error: {0}")]
    Trie(String),
    /// The database does not hold the chain the caller expects.
    #[error("{0}")]
    Mismatch(String),
}

/// Storage result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<StoreError> for spn_primitives::StateError {
    fn from(e: StoreError) -> Self {
        spn_primitives::StateError(e.to_string())
    }
}
