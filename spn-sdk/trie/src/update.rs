//! Apply a batch of key changes to a trie, rehashing only the nodes on the touched paths.
//!
//! The batch is sorted and walked recursively from the root: each node on a changed key's path
//! is read and decoded once, each rebuilt node is encoded and hashed once, and an untouched
//! child is carried over by the reference (`RlpNode`) its parent already holds.
//!
//! Bookkeeping invariant: every stored node the walk replaces is recorded as *consumed* (path
//! and old RLP), every node it places is recorded as *written*. At the end a written node whose
//! bytes equal the consumed ones is dropped (no-op) and a consumed path that nothing was written
//! to is deleted. A recursive call returns the node for its own path *unwritten*; the caller
//! either writes it there or merges it into a node higher up (a collapsing branch or an
//! extension absorbing a leaf or extension), in which case the old path is deleted.

use crate::{
    node::{read_root, resolve, root_hash, Children, Node},
    proof::root,
    Change, NodeStore, NodeWrite, TrieError,
};
use alloy_primitives::{map::HashMap, Bytes, B256};
use alloy_trie::{nodes::RlpNode, EMPTY_ROOT_HASH};
use nybbles::Nibbles;

/// The outcome of [`update`]: the trie's new root hash and the node writes that produce it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrieUpdate {
    /// The new root hash; [`EMPTY_ROOT_HASH`] if the trie became empty.
    pub root: B256,
    /// Node writes for the caller's atomic batch, sorted by path, at most one per path, all for
    /// the updated trie. `None` deletes the node at that path.
    pub writes: Vec<NodeWrite>,
}

/// Applies `changes` to trie `owner` in `store` and returns the new root and node writes.
///
/// Each change is a hashed key with its new RLP-encoded value; `None` or an empty value deletes
/// the key (deleting an absent key is a no-op). When a key appears more than once, the last
/// change wins. The store is only read; persisting [`TrieUpdate::writes`] makes it hold the
/// updated trie.
pub fn update<S: NodeStore + ?Sized>(
    store: &S,
    owner: B256,
    changes: impl IntoIterator<Item = Change>,
) -> Result<TrieUpdate, TrieError> {
    let mut owned: Vec<(Nibbles, Option<Vec<u8>>)> = changes
        .into_iter()
        .map(|(key, value)| (Nibbles::unpack(key), value.filter(|v| !v.is_empty())))
        .collect();
    // Keep the last change per key: reverse, then a stable sort puts it first among equals.
    owned.reverse();
    owned.sort_by_key(|(key, _)| *key);
    owned.dedup_by(|later, first| later.0 == first.0);
    if owned.is_empty() {
        return Ok(TrieUpdate {
            root: root(store, owner)?,
            writes: Vec::new(),
        });
    }
    let changes: Vec<Entry<'_>> = owned.iter().map(|(k, v)| (*k, v.as_deref())).collect();

    let mut updater = Updater {
        store,
        owner,
        consumed: HashMap::default(),
        written: HashMap::default(),
        buf: Vec::with_capacity(600),
    };
    let root_path = Nibbles::new();
    let old_root = match read_root(store, owner)? {
        Some((node, bytes)) => {
            updater.consumed.insert(root_path, bytes);
            Some(node)
        }
        None => None,
    };
    let root = match updater.update_node(root_path, old_root, &changes)? {
        Some(node) => root_hash(&updater.commit(root_path, &node)),
        None => EMPTY_ROOT_HASH,
    };
    Ok(TrieUpdate {
        root,
        writes: updater.finish(),
    })
}

/// A change in walk form: the key as nibbles and the new value, `None` to delete.
type Entry<'v> = (Nibbles, Option<&'v [u8]>);

/// A branch child during the walk: still as stored, or rebuilt and not yet written.
enum Child {
    /// Unchanged; referenced as its parent stored it.
    Stored(RlpNode),
    /// New or changed; to be written at the child's path or merged into the parent.
    Pending(Node),
}

/// The state of one [`update`] call.
struct Updater<'s, S: ?Sized> {
    store: &'s S,
    owner: B256,
    /// Old RLP of every stored node the walk replaced, by path.
    consumed: HashMap<Nibbles, Bytes>,
    /// New RLP of every node the walk placed, by path.
    written: HashMap<Nibbles, Bytes>,
    /// Scratch buffer for encoding.
    buf: Vec<u8>,
}

impl<S: NodeStore + ?Sized> Updater<'_, S> {
    /// Returns the node for `path` after applying `changes` to the subtree `old` rooted there.
    ///
    /// `changes` are sorted, unique and all start with `path`. `old` need not be stored at
    /// `path` (it may be the tail of a longer extension); the caller places the result.
    fn update_node(
        &mut self,
        path: Nibbles,
        old: Option<Node>,
        changes: &[Entry<'_>],
    ) -> Result<Option<Node>, TrieError> {
        match old {
            None => self.build(path, changes),
            Some(Node::Leaf { key, value }) => self.update_leaf(path, key, value, changes),
            Some(Node::Extension { key, child }) => {
                self.update_extension(path, key, child, changes)
            }
            Some(Node::Branch(children)) => {
                let children = children.map(|child| child.map(Child::Stored));
                self.update_branch(path, children, changes)
            }
        }
    }

    /// Builds the subtree at `path` holding the inserts of `changes`; deletes are no-ops here.
    fn build(&mut self, path: Nibbles, changes: &[Entry<'_>]) -> Result<Option<Node>, TrieError> {
        let (Some(first), Some(last)) = (
            changes.iter().position(|(_, v)| v.is_some()),
            changes.iter().rposition(|(_, v)| v.is_some()),
        ) else {
            return Ok(None);
        };
        let depth = path.len();
        if first == last {
            let (key, value) = &changes[first];
            let value = value.unwrap_or_default().to_vec();
            return Ok(Some(Node::Leaf {
                key: key.slice(depth..),
                value,
            }));
        }
        // Keys are sorted, so the first and last insert bound the shared prefix of all.
        let inserts = &changes[first..=last];
        let shared = inserts[0]
            .0
            .common_prefix_length(&inserts[inserts.len() - 1].0);
        let empty = || std::array::from_fn(|_| None);
        if shared == depth {
            return self.update_branch(path, empty(), inserts);
        }
        let prefix = inserts[0].0.slice(depth..shared);
        let branch = self.update_branch(path.join(&prefix), empty(), inserts)?;
        Ok(self.wrap(path, prefix, branch))
    }

    /// Applies `changes` to a leaf holding `value` for the key `path ++ key`.
    fn update_leaf(
        &mut self,
        path: Nibbles,
        key: Nibbles,
        value: Vec<u8>,
        changes: &[Entry<'_>],
    ) -> Result<Option<Node>, TrieError> {
        let full = path.join(&key);
        let own = changes.binary_search_by(|(k, _)| k.cmp(&full));
        if !changes.iter().any(|(k, v)| v.is_some() && *k != full) {
            // Only the leaf's own key may change; deletes of other keys are no-ops.
            return Ok(match own {
                Ok(i) => changes[i].1.map(|v| Node::Leaf {
                    key,
                    value: v.to_vec(),
                }),
                Err(_) => Some(Node::Leaf { key, value }),
            });
        }
        // New keys arrive: rebuild the subtree from the leaf's entry merged into the changes.
        let mut merged = changes.to_vec();
        if let Err(at) = own {
            merged.insert(at, (full, Some(&value)));
        }
        self.build(path, &merged)
    }

    /// Applies `changes` to an extension with `key` whose child is at `path ++ key`.
    fn update_extension(
        &mut self,
        path: Nibbles,
        key: Nibbles,
        child: RlpNode,
        changes: &[Entry<'_>],
    ) -> Result<Option<Node>, TrieError> {
        let depth = path.len();
        let child_path = path.join(&key);
        // How far the extension survives: the shortest match of an insert with `key`.
        // Deletes outside the extension are no-ops and may be dropped.
        let split = changes
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.common_prefix_length(&child_path) - depth)
            .min()
            .unwrap_or(key.len());

        if split == key.len() {
            let inner = prefix_range(changes, &child_path);
            if inner.is_empty() {
                return Ok(Some(Node::Extension { key, child }));
            }
            let old = self.load(&child_path, &child)?;
            let new = self.update_node(child_path, Some(old), inner)?;
            return Ok(self.wrap(path, key, new));
        }
        if split > 0 {
            // Keep `key[..split]` here and split the rest one level further down.
            let prefix = key.slice(..split);
            let mid = path.join(&prefix);
            let inner = prefix_range(changes, &mid);
            let new = self.update_extension(mid, key.slice(split..), child, inner)?;
            return Ok(self.wrap(path, prefix, new));
        }
        // An insert diverges at the first nibble: the extension becomes a branch whose child
        // `key[0]` is the old child itself or a shorter extension to it (the child stays put).
        let mut children: [Option<Child>; 16] = std::array::from_fn(|_| None);
        let first = key.get_unchecked(0);
        children[usize::from(first)] = Some(if key.len() == 1 {
            Child::Stored(child)
        } else {
            Child::Pending(Node::Extension {
                key: key.slice(1..),
                child,
            })
        });
        self.update_branch(path, children, changes)
    }

    /// Applies `changes` to a branch at `path` with `children`, then normalizes it: a branch
    /// left with one child collapses into an extension or merges with that child.
    fn update_branch(
        &mut self,
        path: Nibbles,
        mut children: [Option<Child>; 16],
        changes: &[Entry<'_>],
    ) -> Result<Option<Node>, TrieError> {
        let depth = path.len();
        let mut rest = changes;
        while let Some((key, _)) = rest.first() {
            let nibble = key.get_unchecked(depth);
            let len = rest
                .iter()
                .take_while(|(k, _)| k.get_unchecked(depth) == nibble)
                .count();
            let (group, tail) = rest.split_at(len);
            rest = tail;
            let slot = &mut children[usize::from(nibble)];
            let mut child_path = path;
            child_path.push_unchecked(nibble);
            let old = match slot.take() {
                None => None,
                Some(Child::Pending(node)) => Some(node),
                Some(Child::Stored(reference)) => Some(self.load(&child_path, &reference)?),
            };
            children[usize::from(nibble)] = self
                .update_node(child_path, old, group)?
                .map(Child::Pending);
        }

        let (first, several) = {
            let mut present = (0..16).filter(|&i| children[i].is_some());
            (present.next(), present.next().is_some())
        };
        let Some(only) = first else { return Ok(None) };
        if several {
            return Ok(Some(self.finish_branch(path, children)));
        }
        // One child left: fold it into this node.
        let nibble = only as u8;
        let mut child_path = path;
        child_path.push_unchecked(nibble);
        let node = match children[only].take() {
            Some(Child::Pending(node)) => node,
            Some(Child::Stored(reference)) => {
                let (node, bytes) = resolve(self.store, self.owner, &child_path, &reference)?;
                if matches!(node, Node::Branch(_)) {
                    // The child branch stays where it is, behind a one-nibble extension.
                    let key = Nibbles::from_nibbles_unchecked([nibble]);
                    return Ok(Some(Node::Extension {
                        key,
                        child: reference,
                    }));
                }
                self.consumed.insert(child_path, bytes);
                node
            }
            None => return Ok(None),
        };
        Ok(self.wrap(path, Nibbles::from_nibbles_unchecked([nibble]), Some(node)))
    }

    /// Writes the pending children of a branch with two or more children and returns it.
    fn finish_branch(&mut self, path: Nibbles, children: [Option<Child>; 16]) -> Node {
        let mut refs: Children = Default::default();
        for (nibble, (slot, child)) in refs.iter_mut().zip(children).enumerate() {
            *slot = match child {
                None => None,
                Some(Child::Stored(reference)) => Some(reference),
                Some(Child::Pending(node)) => {
                    let mut child_path = path;
                    child_path.push_unchecked(nibble as u8);
                    Some(self.commit(child_path, &node))
                }
            };
        }
        Node::Branch(Box::new(refs))
    }

    /// Returns the node for `path` given `node`, the new subtree at `path ++ prefix`: a leaf or
    /// extension absorbs `prefix`; a branch is written there behind an extension.
    fn wrap(&mut self, path: Nibbles, prefix: Nibbles, node: Option<Node>) -> Option<Node> {
        Some(match node? {
            Node::Leaf { key, value } => Node::Leaf {
                key: prefix.join(&key),
                value,
            },
            Node::Extension { key, child } => Node::Extension {
                key: prefix.join(&key),
                child,
            },
            branch @ Node::Branch(_) => {
                let child = self.commit(path.join(&prefix), &branch);
                Node::Extension { key: prefix, child }
            }
        })
    }

    /// Resolves the stored child at `path` and records it as consumed.
    fn load(&mut self, path: &Nibbles, reference: &RlpNode) -> Result<Node, TrieError> {
        let (node, bytes) = resolve(self.store, self.owner, path, reference)?;
        self.consumed.insert(*path, bytes);
        Ok(node)
    }

    /// Writes `node` at `path` and returns the reference its parent holds.
    fn commit(&mut self, path: Nibbles, node: &Node) -> RlpNode {
        self.buf.clear();
        node.encode(&mut self.buf);
        let reference = RlpNode::from_rlp(&self.buf);
        self.written.insert(path, Bytes::copy_from_slice(&self.buf));
        reference
    }

    /// Turns the consumed and written nodes into the batch's writes.
    fn finish(mut self) -> Vec<NodeWrite> {
        let mut writes = Vec::with_capacity(self.written.len() + self.consumed.len());
        for (path, bytes) in self.written {
            if self.consumed.remove(&path).as_ref() != Some(&bytes) {
                writes.push(((self.owner, path), Some(bytes)));
            }
        }
        writes.extend(
            self.consumed
                .into_keys()
                .map(|path| ((self.owner, path), None)),
        );
        writes.sort_unstable_by_key(|((_, path), _)| *path);
        writes
    }
}

/// Returns the run of the sorted `changes` whose keys start with `prefix`.
fn prefix_range<'c, 'v>(changes: &'c [Entry<'v>], prefix: &Nibbles) -> &'c [Entry<'v>] {
    let len = prefix.len();
    let start = changes.partition_point(|(k, _)| k.slice(..len) < *prefix);
    let rest = &changes[start..];
    &rest[..rest.partition_point(|(k, _)| k.starts_with(prefix))]
}
