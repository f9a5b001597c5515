//! Define the errors a trie operation reports.

use alloy_primitives::B256;
use core::fmt;
use nybbles::Nibbles;

/// An error from reading, updating or proving a trie.
///
/// Every variant that concerns a stored node names the trie (`owner`) and the node's path.
#[derive(Debug, thiserror::Error)]
pub enum TrieError {
    /// A node that the trie structure requires is absent from the store.
    #[error("missing trie node at path {} of trie {owner}", PathDisplay(.path))]
    MissingNode {
        /// The trie that lacks the node.
        owner: B256,
        /// The path where the node should be.
        path: Nibbles,
    },
    /// A stored node cannot be decoded or is not valid at its path.
    #[error("corrupt trie node at path {} of trie {owner}: {source}", PathDisplay(.path))]
    CorruptNode {
        /// The trie holding the node.
        owner: B256,
        /// The path of the node.
        path: Nibbles,
        /// What is wrong with it.
        source: NodeError,
    },
    /// A stored node does not hash to the reference its parent holds.
    #[error(
        "trie node at path {} of trie {owner} does not hash to {expected}, which its parent expects",
        PathDisplay(.path)
    )]
    HashMismatch {
        /// The trie holding the node.
        owner: B256,
        /// The path of the node.
        path: Nibbles,
        /// The hash the parent references.
        expected: B256,
    },
    /// The backing store failed.
    #[error("trie node store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why a stored node is corrupt.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The bytes are not a valid RLP trie node.
    #[error("invalid RLP: {0}")]
    Rlp(#[from] alloy_rlp::Error),
    /// The RLP decodes, but the node cannot sit at its path.
    #[error("{0}")]
    Invalid(&'static str),
}

/// Formats a nibble path as hex digits, one per nibble; the root path reads `root`.
pub(crate) struct PathDisplay<'a>(pub(crate) &'a Nibbles);

impl fmt::Display for PathDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("root");
        }
        f.write_str("0x")?;
        for nibble in self.0.iter() {
            write!(f, "{nibble:x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_as_nibbles() {
        assert_eq!(PathDisplay(&Nibbles::new()).to_string(), "root");
        let path = Nibbles::from_nibbles([0x0, 0xa, 0x3]);
        assert_eq!(PathDisplay(&path).to_string(), "0x0a3");
        let err = TrieError::MissingNode {
            owner: B256::ZERO,
            path,
        };
        assert_eq!(
            err.to_string(),
            format!("missing trie node at path 0x0a3 of trie {}", B256::ZERO)
        );
    }
}
