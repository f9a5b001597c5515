//! Check roots against known vectors and alloy's root helpers, the overlay, and error reports.

mod common;

use alloy_primitives::{b256, keccak256, Address, Bytes, B256, U256};
use alloy_trie::{
    nodes::{ExtensionNode, LeafNode, RlpNode},
    root::{state_root_unhashed, storage_root_unhashed},
    TrieAccount, KECCAK_EMPTY,
};
use common::{build_fresh, check_layout, check_proof, reference_root, Model};
use nybbles::Nibbles;
use spn_trie::{
    proof, root, update, MemoryNodeStore, OverlayStore, TrieError, ACCOUNT_TRIE, EMPTY_ROOT_HASH,
};

const OWNER: B256 = B256::repeat_byte(0x11);

/// Decodes a fixture string: `0x`-prefixed hex, else its UTF-8 bytes.
fn fixture_bytes(s: &str) -> Vec<u8> {
    match s.strip_prefix("0x") {
        Some(hex) => alloy_primitives::hex::decode(hex).unwrap(),
        None => s.as_bytes().to_vec(),
    }
}

#[test]
fn empty_trie() {
    let store = MemoryNodeStore::new();
    assert_eq!(root(&store, OWNER).unwrap(), EMPTY_ROOT_HASH);
    assert_eq!(
        EMPTY_ROOT_HASH,
        b256!("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
    );
    let result = update(&store, OWNER, []).unwrap();
    assert_eq!((result.root, result.writes.len()), (EMPTY_ROOT_HASH, 0));
    assert!(proof(&store, OWNER, B256::ZERO).unwrap().is_empty());
    check_proof(&store, OWNER, EMPTY_ROOT_HASH, &Model::new(), B256::ZERO);
}

/// Secure-trie vectors (keys hashed with keccak256) from ethereum/tests
/// `TrieTests/trieanyorder_secureTrie.json`.
#[test]
fn ethereum_secure_trie_vectors() {
    let vectors: &[(&[(&str, &str)], B256)] = &[
        (
            &[("A", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")],
            b256!("e9e2935138352776cad724d31c9fa5266a5c593bb97726dd2a908fe6d53284df"),
        ),
        (
            &[
                ("doe", "reindeer"),
                ("dog", "puppy"),
                ("dogglesworth", "cat"),
            ],
            b256!("d4cd937e4a4368d7931a9cf51686b7e10abb3dce38a39000fd7902a092b64585"),
        ),
        (
            &[
                ("do", "verb"),
                ("horse", "stallion"),
                ("doge", "coin"),
                ("dog", "puppy"),
            ],
            b256!("29b235a58c3c25ab83010c327d5932bcf05324b7d6b1185e650798034783ca9d"),
        ),
        (
            &[("foo", "bar"), ("food", "bass")],
            b256!("1385f23a33021025d9e87cca5c66c00de06178807b96a9acc92b7d651ccde842"),
        ),
        (
            &[("be", "e"), ("dog", "puppy"), ("bed", "d")],
            b256!("826a4f9f9054a3e980e54b20da992c24fa20467f1ca635115ef4917be66e746f"),
        ),
        (
            &[("test", "test"), ("te", "testy")],
            b256!("aea54fb6c80499674248a462864c420c9d9f3b3d38c879c12425bade1ad76552"),
        ),
        (
            &[("0x0045", "0x0123456789"), ("0x4500", "0x9876543210")],
            b256!("bc11c02c8ab456db0c4d2728b6a2a6210d06f26a2ace4f7d8bdfc72ddf2630ab"),
        ),
    ];
    for (entries, expected) in vectors {
        let changes: Vec<_> = entries
            .iter()
            .map(|(k, v)| (keccak256(fixture_bytes(k)), Some(fixture_bytes(v))))
            .collect();
        // Insert one key per batch, in reverse: the layout must not depend on the order.
        let mut store = MemoryNodeStore::new();
        for change in changes.iter().rev() {
            let result = update(&store, OWNER, [change.clone()]).unwrap();
            store.apply(result.writes);
        }
        assert_eq!(root(&store, OWNER).unwrap(), *expected);
        let model: Model = changes
            .iter()
            .map(|(k, v)| (*k, v.clone().unwrap()))
            .collect();
        assert_eq!(store, build_fresh(OWNER, &model));
    }
}

#[test]
fn storage_and_account_tries_through_an_overlay() {
    let mut base = MemoryNodeStore::new();
    let accounts: Vec<(Address, Vec<(B256, U256)>)> = (1u8..=4)
        .map(|a| {
            let slots = (0..u64::from(a) * 7)
                .map(|s| {
                    (
                        B256::from(U256::from(s)),
                        U256::from(s * 1000 + u64::from(a)),
                    )
                })
                .collect();
            (Address::repeat_byte(a), slots)
        })
        .collect();

    for block in 0..2u64 {
        let mut overlay = OverlayStore::new(&base);
        let mut state = Vec::new();
        for (address, slots) in &accounts {
            // Block 1 changes every third slot and deletes every fifth.
            let changes = slots.iter().enumerate().map(|(i, (slot, value))| {
                let value = match (block, i % 3, i % 5) {
                    (0, ..) => Some(*value),
                    (_, _, 0) => None,
                    (_, 0, _) => Some(*value + U256::from(block)),
                    _ => Some(*value),
                };
                (keccak256(slot), value.map(alloy_rlp::encode))
            });
            let storage_root = overlay.update(keccak256(address), changes).unwrap();
            let live: Vec<(B256, U256)> = slots
                .iter()
                .enumerate()
                .filter(|(i, _)| block == 0 || i % 5 != 0)
                .map(|(i, (s, v))| {
                    (
                        *s,
                        if block == 1 && i % 3 == 0 {
                            *v + U256::from(block)
                        } else {
                            *v
                        },
                    )
                })
                .collect();
            assert_eq!(storage_root, storage_root_unhashed(live));
            let account = TrieAccount::new(block, U256::from(7), storage_root, KECCAK_EMPTY);
            state.push((*address, account));
        }
        let changes = state
            .iter()
            .map(|(a, acc)| (keccak256(a), Some(alloy_rlp::encode(acc))));
        let state_root = overlay.update(ACCOUNT_TRIE, changes).unwrap();
        assert_eq!(state_root, state_root_unhashed(state.clone()));
        // The overlay reads its own pending writes.
        assert_eq!(root(&overlay, ACCOUNT_TRIE).unwrap(), state_root);

        base.apply(overlay.into_writes());
        assert_eq!(root(&base, ACCOUNT_TRIE).unwrap(), state_root);
        check_layout(&base, ACCOUNT_TRIE);
        let model: Model = state
            .iter()
            .map(|(a, acc)| (keccak256(a), alloy_rlp::encode(acc)))
            .collect();
        for (address, _) in &state {
            check_proof(&base, ACCOUNT_TRIE, state_root, &model, keccak256(address));
            check_layout(&base, keccak256(address));
        }
    }
}

#[test]
fn deep_shared_prefixes_embed_small_nodes() {
    // Keys equal but for the last nibbles put branches at depth 62-63 with leaves short
    // enough to be embedded inline, under a long extension.
    let base = B256::repeat_byte(0x5a);
    let mut model = Model::new();
    for last in [0x00u8, 0x01, 0x02, 0x10, 0x11, 0xf0, 0xff] {
        let mut key = base;
        key[31] = last;
        model.insert(key, vec![last]);
    }
    let mut store = MemoryNodeStore::new();
    for (key, value) in &model {
        store.apply(
            update(&store, OWNER, [(*key, Some(value.clone()))])
                .unwrap()
                .writes,
        );
    }
    let shape = check_layout(&store, OWNER);
    assert!(shape.inline > 0 && shape.extensions > 0, "{shape:?}");
    let root_hash = reference_root(&model);
    assert_eq!(root(&store, OWNER).unwrap(), root_hash);
    let mut absent = base;
    absent[31] = 0x12;
    for key in model.keys().chain([&absent]) {
        check_proof(&store, OWNER, root_hash, &model, *key);
    }
    // The absent key's path runs through the root extension, the hashed branch at depth 62
    // and the inline branch at depth 63: all three are stored, only the first two are proven.
    let path = Nibbles::unpack(absent);
    assert_eq!(
        store
            .nodes(OWNER)
            .filter(|(p, _)| path.starts_with(p))
            .count(),
        3
    );
    assert_eq!(proof(&store, OWNER, absent).unwrap().len(), 2);
    assert_eq!(store, build_fresh(OWNER, &model));
    // Deleting one by one collapses everything back to nothing.
    for key in model.keys() {
        store.apply(update(&store, OWNER, [(*key, None)]).unwrap().writes);
    }
    assert!(store.is_empty());
}

/// Returns a store of 200 random entries and the path of a hashed node below the root.
fn sample_trie() -> (MemoryNodeStore, Model, Nibbles) {
    let model: Model = (0u64..200)
        .map(|i| {
            (
                keccak256(i.to_be_bytes()),
                alloy_rlp::encode(U256::from(i + 1)),
            )
        })
        .collect();
    let store = build_fresh(OWNER, &model);
    let (path, _) = store
        .nodes(OWNER)
        .find(|(p, b)| p.len() == 1 && b.len() >= 32)
        .unwrap();
    (store.clone(), model, *path)
}

#[test]
fn missing_node_names_its_path() {
    let (mut store, model, path) = sample_trie();
    store.apply([((OWNER, path), None)]);
    let key = *model
        .keys()
        .find(|k| Nibbles::unpack(k).starts_with(&path))
        .unwrap();
    let err = update(&store, OWNER, [(key, None)]).unwrap_err();
    assert!(
        matches!(err, TrieError::MissingNode { path: p, .. } if p == path),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("0x{:x}", path.get_unchecked(0))),
        "{message}"
    );
    assert!(matches!(
        proof(&store, OWNER, key),
        Err(TrieError::MissingNode { .. })
    ));
}

#[test]
fn corrupt_and_mismatched_nodes_are_errors() {
    let (store, model, path) = sample_trie();
    let key = *model
        .keys()
        .find(|k| Nibbles::unpack(k).starts_with(&path))
        .unwrap();

    // A child whose bytes are another valid node: the hash check catches it.
    let mut swapped = store.clone();
    let other = swapped
        .nodes(OWNER)
        .find(|(p, _)| p.len() == 2)
        .map(|(_, b)| b.clone())
        .unwrap();
    swapped.apply([((OWNER, path), Some(other))]);
    let err = update(&swapped, OWNER, [(key, Some(vec![1]))]).unwrap_err();
    assert!(
        matches!(err, TrieError::HashMismatch { path: p, .. } if p == path),
        "{err}"
    );

    // Garbage at the root: not valid RLP.
    let mut corrupt = store.clone();
    corrupt.apply([(
        (OWNER, Nibbles::new()),
        Some(Bytes::from_static(&[0xf8, 0xff, 0x01])),
    )]);
    let err = update(&corrupt, OWNER, [(key, None)]).unwrap_err();
    assert!(
        matches!(err, TrieError::CorruptNode { ref path, .. } if path.is_empty()),
        "{err}"
    );
    assert!(err.to_string().contains("path root"), "{err}");

    // Valid RLP, but a node that cannot sit at its path.
    let long_key = Nibbles::unpack(key);
    let short_leaf = LeafNode::new(long_key.slice(1..), vec![1]);
    let deep_extension = ExtensionNode::new(long_key, RlpNode::word_rlp(&B256::ZERO));
    for bad in [
        alloy_rlp::encode(short_leaf),
        alloy_rlp::encode(deep_extension),
    ] {
        let mut misplaced = store.clone();
        misplaced.apply([((OWNER, Nibbles::new()), Some(bad.into()))]);
        let err = update(&misplaced, OWNER, [(key, None)]).unwrap_err();
        assert!(matches!(err, TrieError::CorruptNode { .. }), "{err}");
        assert!(matches!(
            proof(&misplaced, OWNER, key),
            Err(TrieError::CorruptNode { .. })
        ));
    }
}
