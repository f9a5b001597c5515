//! Read a trie's root hash and build Merkle proofs for keys.

use crate::{
    node::{read_root, resolve, Node},
    NodeStore, TrieError,
};
use alloy_primitives::{keccak256, Bytes, B256};
use alloy_trie::EMPTY_ROOT_HASH;
use nybbles::Nibbles;

/// Returns the root hash of trie `owner`: [`EMPTY_ROOT_HASH`] if it holds no nodes, else the
/// keccak256 of the root node's RLP (always hashed, even when shorter than 32 bytes).
pub fn root<S: NodeStore + ?Sized>(store: &S, owner: B256) -> Result<B256, TrieError> {
    Ok(store
        .get(&owner, &Nibbles::new())?
        .map_or(EMPTY_ROOT_HASH, keccak256))
}

/// Returns the Merkle proof of `hashed_key` in trie `owner`, as `eth_getProof` returns it.
///
/// The proof lists the RLP of the nodes on the key's path from the root: the root and every
/// node its parent references by hash. Nodes embedded inline in their parent are not listed,
/// since the parent's RLP already contains them. The proof ends where the path ends: at the
/// key's leaf, or where the key leaves the trie (an exclusion proof). An empty trie has an empty
/// proof. The result verifies with `alloy_trie::proof::verify_proof`.
pub fn proof<S: NodeStore + ?Sized>(
    store: &S,
    owner: B256,
    hashed_key: B256,
) -> Result<Vec<Bytes>, TrieError> {
    let key = Nibbles::unpack(hashed_key);
    let Some((mut node, bytes)) = read_root(store, owner)? else {
        return Ok(Vec::new());
    };
    let mut nodes = vec![bytes];
    let mut path = Nibbles::new();
    loop {
        let reference = match node {
            Node::Leaf { .. } => break,
            Node::Extension {
                key: ext_key,
                child,
            } => {
                path.extend(&ext_key);
                if !key.starts_with(&path) {
                    break;
                }
                child
            }
            Node::Branch(mut children) => {
                let nibble = key.get_unchecked(path.len());
                let Some(child) = children[usize::from(nibble)].take() else {
                    break;
                };
                path.push_unchecked(nibble);
                child
            }
        };
        let (child, bytes) = resolve(store, owner, &path, &reference)?;
        if reference.is_hash() {
            nodes.push(bytes);
        }
        node = child;
    }
    Ok(nodes)
}

/// Returns the RLP-encoded value stored under `hashed_key` in trie `owner`, if any.
pub fn get<S: NodeStore + ?Sized>(
    store: &S,
    owner: B256,
    hashed_key: B256,
) -> Result<Option<Vec<u8>>, TrieError> {
    let key = Nibbles::unpack(hashed_key);
    let Some((mut node, _)) = read_root(store, owner)? else {
        return Ok(None);
    };
    let mut path = Nibbles::new();
    loop {
        let reference = match node {
            Node::Leaf {
                key: leaf_key,
                value,
            } => {
                path.extend(&leaf_key);
                return Ok((path == key).then_some(value));
            }
            Node::Extension {
                key: ext_key,
                child,
            } => {
                path.extend(&ext_key);
                if !key.starts_with(&path) {
                    return Ok(None);
                }
                child
            }
            Node::Branch(mut children) => {
                let nibble = key.get_unchecked(path.len());
                let Some(child) = children[usize::from(nibble)].take() else {
                    return Ok(None);
                };
                path.push_unchecked(nibble);
                child
            }
        };
        node = resolve(store, owner, &path, &reference)?.0;
    }
}
