//! Decode, validate and encode the trie nodes stored at paths.

use crate::{error::NodeError, store::NodeStore, TrieError};
use alloy_primitives::{keccak256, Bytes, B256};
use alloy_rlp::{Decodable, Encodable, Header, EMPTY_STRING_CODE};
use alloy_trie::nodes::{ExtensionNodeRef, LeafNodeRef, RlpNode, TrieNode};
use nybbles::Nibbles;

/// The number of nibbles in a key: every key is a 32-byte hash.
pub(crate) const KEY_NIBBLES: usize = 64;

/// The child references of a branch node, indexed by nibble.
pub(crate) type Children = [Option<RlpNode>; 16];

/// A decoded trie node, relative to the path it is stored at.
///
/// Invariants, checked by [`decode`] for stored nodes and kept by the updater for new ones,
/// with `d` the depth (path length) of the node:
/// - a leaf's key ends at depth 64: `d + key.len() == 64` (the key may be empty at depth 64);
/// - an extension's key is non-empty and its child, a branch, starts at depth `d + key.len()`
///   of at most 63;
/// - a branch sits at depth at most 63 and has at least two children;
/// - every child reference is either `rlp(keccak(node))` (33 bytes) or a node's own RLP list
///   when that is shorter than 32 bytes (embedded inline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// Holds the value of the key `path ++ key`.
    Leaf {
        /// The rest of the key after the node's path.
        key: Nibbles,
        /// The RLP-encoded value.
        value: Vec<u8>,
    },
    /// Shortens a run of single-child branches; its child is at `path ++ key`.
    Extension {
        /// The shared key segment.
        key: Nibbles,
        /// The reference to the child branch.
        child: RlpNode,
    },
    /// Fans out on the next nibble; child `i` is at `path ++ [i]`.
    Branch(Box<Children>),
}

impl Node {
    /// Appends the node's Ethereum RLP encoding to `out`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Leaf { key, value } => LeafNodeRef::new(key, value).encode(out),
            Self::Extension { key, child } => ExtensionNodeRef::new(key, child).encode(out),
            Self::Branch(children) => {
                // 16 child slots and the (always empty) value slot.
                let payload_length = children
                    .iter()
                    .map(|c| c.as_ref().map_or(1, |c| c.len()))
                    .sum::<usize>()
                    + 1;
                Header {
                    list: true,
                    payload_length,
                }
                .encode(out);
                for child in children.iter() {
                    match child {
                        Some(child) => out.extend_from_slice(child),
                        None => out.push(EMPTY_STRING_CODE),
                    }
                }
                out.push(EMPTY_STRING_CODE);
            }
        }
    }
}

/// Decodes the node stored at `path` of trie `owner` and checks the [`Node`] invariants.
pub(crate) fn decode(owner: B256, path: &Nibbles, bytes: &[u8]) -> Result<Node, TrieError> {
    decode_inner(path.len(), bytes).map_err(|source| TrieError::CorruptNode {
        owner,
        path: *path,
        source,
    })
}

fn decode_inner(depth: usize, bytes: &[u8]) -> Result<Node, NodeError> {
    let mut buf = bytes;
    let node = TrieNode::decode(&mut buf)?;
    if !buf.is_empty() {
        return Err(NodeError::Invalid("trailing bytes after the node"));
    }
    match node {
        TrieNode::EmptyRoot => Err(NodeError::Invalid("empty node stored")),
        TrieNode::Leaf(leaf) => {
            if depth + leaf.key.len() != KEY_NIBBLES {
                return Err(NodeError::Invalid("leaf key does not end at depth 64"));
            }
            Ok(Node::Leaf {
                key: leaf.key,
                value: leaf.value,
            })
        }
        TrieNode::Extension(ext) => {
            if ext.key.is_empty() {
                return Err(NodeError::Invalid("extension with an empty key"));
            }
            if depth + ext.key.len() >= KEY_NIBBLES {
                return Err(NodeError::Invalid("extension child below depth 63"));
            }
            check_reference(&ext.child)?;
            Ok(Node::Extension {
                key: ext.key,
                child: ext.child,
            })
        }
        TrieNode::Branch(branch) => {
            if depth >= KEY_NIBBLES {
                return Err(NodeError::Invalid("branch at depth 64"));
            }
            if branch.state_mask.count_bits() < 2 {
                return Err(NodeError::Invalid("branch with fewer than two children"));
            }
            let mut children: Children = Default::default();
            for (nibble, child) in branch.state_mask.iter().zip(branch.stack) {
                check_reference(&child)?;
                children[usize::from(nibble)] = Some(child);
            }
            Ok(Node::Branch(Box::new(children)))
        }
    }
}

/// Checks that a child reference is a hash or an embedded node shorter than 32 bytes.
fn check_reference(child: &RlpNode) -> Result<(), NodeError> {
    let valid = match child.first() {
        Some(&first) if child.is_hash() => first == EMPTY_STRING_CODE + 32,
        // An embedded node is an RLP list.
        Some(&first) => child.len() < 32 && first >= 0xc0,
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(NodeError::Invalid(
            "child reference is neither a hash nor an embedded node",
        ))
    }
}

/// Resolves the child that `reference` points at, stored at `path`, to its node and RLP.
///
/// A hashed child is read from the store and must hash to the reference. An embedded child is
/// decoded from the reference itself (the store holds the same bytes at `path`, so no read).
pub(crate) fn resolve<S: NodeStore + ?Sized>(
    store: &S,
    owner: B256,
    path: &Nibbles,
    reference: &RlpNode,
) -> Result<(Node, Bytes), TrieError> {
    let bytes = if let Some(expected) = reference.as_hash() {
        let bytes = store
            .get(&owner, path)?
            .ok_or(TrieError::MissingNode { owner, path: *path })?;
        if RlpNode::from_rlp(&bytes) != *reference {
            return Err(TrieError::HashMismatch {
                owner,
                path: *path,
                expected,
            });
        }
        bytes
    } else {
        Bytes::copy_from_slice(reference)
    };
    Ok((decode(owner, path, &bytes)?, bytes))
}

/// Reads the root node of trie `owner`, if the trie is not empty.
pub(crate) fn read_root<S: NodeStore + ?Sized>(
    store: &S,
    owner: B256,
) -> Result<Option<(Node, Bytes)>, TrieError> {
    let path = Nibbles::new();
    match store.get(&owner, &path)? {
        Some(bytes) => Ok(Some((decode(owner, &path, &bytes)?, bytes))),
        None => Ok(None),
    }
}

/// Returns the hash of a root node given its reference: the root is always hashed, even when
/// its RLP is shorter than 32 bytes.
pub(crate) fn root_hash(reference: &RlpNode) -> B256 {
    reference
        .as_hash()
        .unwrap_or_else(|| keccak256(reference.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::nodes::BranchNode;
    use alloy_trie::TrieMask;

    fn decode_at(depth: usize, bytes: &[u8]) -> Result<Node, NodeError> {
        decode_inner(depth, bytes)
    }

    fn leaf(depth: usize) -> Vec<u8> {
        let key = Nibbles::unpack([0x12; 32]).slice(depth..);
        alloy_rlp::encode(alloy_trie::nodes::LeafNode::new(key, vec![1, 2, 3]))
    }

    #[test]
    fn encoding_round_trips() {
        let small = RlpNode::from_rlp(&leaf(63));
        let hashed = RlpNode::word_rlp(&B256::repeat_byte(7));
        let mut children: Children = Default::default();
        children[3] = Some(small);
        children[15] = Some(hashed.clone());
        let nodes = [
            (
                62,
                Node::Leaf {
                    key: Nibbles::unpack([0x12; 32]).slice(62..),
                    value: vec![9],
                },
            ),
            (
                10,
                Node::Extension {
                    key: Nibbles::from_nibbles([1, 2, 3]),
                    child: hashed,
                },
            ),
            (63, Node::Branch(Box::new(children))),
        ];
        for (depth, node) in nodes {
            let mut out = Vec::new();
            node.encode(&mut out);
            assert_eq!(decode_at(depth, &out).unwrap(), node);
        }
    }

    #[test]
    fn branch_encoding_matches_alloy() {
        let stack = vec![RlpNode::from_rlp(&leaf(63)), RlpNode::word_rlp(&B256::ZERO)];
        let alloy = alloy_rlp::encode(BranchNode::new(stack.clone(), TrieMask::new(0b1001)));
        let mut children: Children = Default::default();
        children[0] = Some(stack[0].clone());
        children[3] = Some(stack[1].clone());
        let mut out = Vec::new();
        Node::Branch(Box::new(children)).encode(&mut out);
        assert_eq!(out, alloy);
    }

    #[test]
    fn invalid_nodes_are_rejected() {
        assert!(decode_at(0, &leaf(0)).is_ok());
        assert!(
            decode_at(1, &leaf(0)).is_err(),
            "leaf key too long for its depth"
        );
        let mut trailing = leaf(0);
        trailing.push(0x80);
        assert!(decode_at(0, &trailing).is_err(), "trailing bytes");
        assert!(decode_at(0, &[0x80]).is_err(), "empty node");
        let lonely = BranchNode::new(vec![RlpNode::word_rlp(&B256::ZERO)], TrieMask::new(1));
        assert!(
            decode_at(0, &alloy_rlp::encode(lonely)).is_err(),
            "one-child branch"
        );
        let bad_ref = RlpNode::from_raw(&[0x83, 1, 2, 3]).unwrap();
        let ext = alloy_trie::nodes::ExtensionNode::new(Nibbles::from_nibbles([1]), bad_ref);
        assert!(
            decode_at(0, &alloy_rlp::encode(ext)).is_err(),
            "string child reference"
        );
    }
}
