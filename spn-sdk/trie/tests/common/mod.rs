//! Provide reference implementations and store checks shared by the integration tests.

#![allow(dead_code)]

use alloy_primitives::{Bytes, B256};
use alloy_rlp::Decodable;
use alloy_trie::{
    nodes::{RlpNode, TrieNode},
    proof::verify_proof,
    HashBuilder,
};
use nybbles::Nibbles;
use spn_trie::{proof, update, MemoryNodeStore, NodeStore};
use std::collections::{BTreeMap, BTreeSet};

/// The live key/value set of a trie, as the tests model it.
pub type Model = BTreeMap<B256, Vec<u8>>;

/// Computes the root of `model` from scratch with alloy's `HashBuilder`.
pub fn reference_root(model: &Model) -> B256 {
    let mut builder = HashBuilder::default();
    for (key, value) in model {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}

/// Builds `model` into an empty store in one batch.
pub fn build_fresh(owner: B256, model: &Model) -> MemoryNodeStore {
    let mut store = MemoryNodeStore::new();
    let changes = model.iter().map(|(k, v)| (*k, Some(v.clone())));
    let result = update(&store, owner, changes).expect("fresh build");
    assert_eq!(result.root, reference_root(model));
    store.apply(result.writes);
    store
}

/// Returns the nodes of trie `owner` as a map from path to RLP.
pub fn nodes_of(store: &MemoryNodeStore, owner: B256) -> BTreeMap<Nibbles, Bytes> {
    store.nodes(owner).map(|(p, b)| (*p, b.clone())).collect()
}

/// Checks the storage invariants of trie `owner`, decoding with alloy (not the crate):
/// every node reachable from the root is stored at its path, its RLP yields the reference its
/// parent holds (hash or inline bytes), and no other node of the trie is stored.
pub fn check_layout(store: &MemoryNodeStore, owner: B256) -> Shape {
    let mut shape = Shape::default();
    let mut reachable = BTreeSet::new();
    let mut stack = Vec::new();
    if let Some(root) = store.get(&owner, &Nibbles::new()).unwrap() {
        stack.push((Nibbles::new(), root));
    }
    while let Some((path, bytes)) = stack.pop() {
        assert!(reachable.insert(path), "path {path:?} reached twice");
        let node = TrieNode::decode(&mut &bytes[..]).expect("stored node decodes");
        let mut children = Vec::new();
        match node {
            TrieNode::Branch(branch) => {
                shape.branches += 1;
                for (nibble, child) in branch.state_mask.iter().zip(branch.stack) {
                    let mut child_path = path;
                    child_path.push(nibble);
                    children.push((child_path, child));
                }
            }
            TrieNode::Extension(ext) => {
                shape.extensions += 1;
                children.push((path.join(&ext.key), ext.child));
            }
            TrieNode::Leaf(leaf) => {
                shape.leaves += 1;
                assert_eq!(path.len() + leaf.key.len(), 64);
            }
            TrieNode::EmptyRoot => panic!("empty node stored at {path:?}"),
        }
        for (child_path, reference) in children {
            let child = store
                .get(&owner, &child_path)
                .unwrap()
                .unwrap_or_else(|| panic!("no node stored at {child_path:?}"));
            assert_eq!(
                RlpNode::from_rlp(&child),
                reference,
                "reference mismatch at {child_path:?}"
            );
            shape.inline += usize::from(!reference.is_hash());
            stack.push((child_path, child));
        }
    }
    let stored: BTreeSet<Nibbles> = store.nodes(owner).map(|(p, _)| *p).collect();
    assert_eq!(
        stored, reachable,
        "stored nodes differ from reachable nodes"
    );
    shape
}

/// Counts of node kinds in a trie, to show which shapes a test reaches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Branch nodes.
    pub branches: usize,
    /// Extension nodes.
    pub extensions: usize,
    /// Leaf nodes.
    pub leaves: usize,
    /// Nodes embedded inline in their parent.
    pub inline: usize,
}

/// Checks that the proof of `key` verifies against `root` with the value `model` holds.
pub fn check_proof(store: &impl NodeStore, owner: B256, root: B256, model: &Model, key: B256) {
    let nodes = proof(store, owner, key).expect("proof");
    let expected = model.get(&key).cloned();
    if let Err(err) = verify_proof(root, Nibbles::unpack(key), expected, &nodes) {
        panic!(
            "proof of {key} (present: {}) fails: {err:?}",
            model.contains_key(&key)
        );
    }
}
