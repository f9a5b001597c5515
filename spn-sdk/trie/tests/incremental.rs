//! Check incremental updates against full recomputation, proofs and the storage layout.

mod common;

use alloy_primitives::{keccak256, B256};
use common::{build_fresh, check_layout, check_proof, nodes_of, reference_root, Model};
use nybbles::Nibbles;
use proptest::{collection::vec, prelude::*, sample::Index};
use rand::{rngs::StdRng, Rng, SeedableRng};
use spn_trie::{get, root, update, MemoryNodeStore, EMPTY_ROOT_HASH};

/// The trie under test.
const OWNER: B256 = B256::repeat_byte(0xaa);
/// A bystander trie in the same store, which no update may touch.
const OTHER: B256 = B256::ZERO;

/// Keys that share a prefix of random length with one of three stems; long shared prefixes
/// make extensions, deep branches and leaves short enough to be embedded inline.
fn key() -> impl Strategy<Value = B256> {
    let shared = prop_oneof![0usize..=4, 40usize..=64, 0usize..=64];
    (0u8..3, shared, any::<[u8; 32]>()).prop_map(|(stem, shared, random)| {
        let stem = Nibbles::unpack(keccak256([stem]));
        let key = stem
            .slice(..shared)
            .join(&Nibbles::unpack(random).slice(shared..));
        B256::from_slice(&key.pack())
    })
}

/// Values from one byte (inline leaves deep down) to longer than a hash.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![vec(any::<u8>(), 1..4), vec(any::<u8>(), 1..48)]
}

/// A batch of changes to keys of the universe: mostly inserts and updates, some deletes.
fn batch() -> impl Strategy<Value = Vec<(Index, Option<Vec<u8>>)>> {
    vec(
        (
            any::<Index>(),
            prop_oneof![2 => value().prop_map(Some), 1 => Just(None)],
        ),
        0..24,
    )
}

/// Applies one batch to the store and the model and checks every invariant.
fn apply_and_check(
    store: &mut MemoryNodeStore,
    model: &mut Model,
    changes: Vec<(B256, Option<Vec<u8>>)>,
) {
    let touched: Vec<B256> = changes.iter().map(|(k, _)| *k).collect();
    for (key, value) in &changes {
        match value {
            Some(v) => model.insert(*key, v.clone()),
            None => model.remove(key),
        };
    }
    let result = update(&*store, OWNER, changes).expect("update");
    assert!(result.writes.iter().all(|((owner, _), _)| *owner == OWNER));
    store.apply(result.writes);
    assert_eq!(
        result.root,
        reference_root(model),
        "root differs from HashBuilder"
    );
    assert_eq!(root(&*store, OWNER).unwrap(), result.root);
    check_layout(store, OWNER);
    // The layout is canonical: the same as building the live set in one batch.
    assert_eq!(
        nodes_of(store, OWNER),
        nodes_of(&build_fresh(OWNER, model), OWNER)
    );
    // Reads see every live value and nothing of a deleted key.
    for key in touched.iter().chain(model.keys()) {
        assert_eq!(get(&*store, OWNER, *key).unwrap(), model.get(key).cloned());
    }
}

// 256 cases by default; set PROPTEST_CASES for a longer run.
proptest! {
    #[test]
    fn incremental_matches_full_recomputation(
        universe in vec(key(), 1..48),
        batches in vec(batch(), 1..8),
        absent in any::<[u8; 32]>(),
    ) {
        let mut store = MemoryNodeStore::new();
        let bystander = update(&store, OTHER, universe.iter().map(|k| (*k, Some(vec![1])))).unwrap();
        store.apply(bystander.writes);
        let bystander_nodes = nodes_of(&store, OTHER);

        let mut model = Model::new();
        for batch in batches {
            let changes: Vec<_> = batch.into_iter().map(|(i, v)| (*i.get(&universe), v)).collect();
            apply_and_check(&mut store, &mut model, changes);
            let root = reference_root(&model);
            for key in universe.iter().chain([&B256::from(absent)]) {
                check_proof(&store, OWNER, root, &model, *key);
            }
        }

        // Deleting everything empties the trie and leaves no node behind.
        let result = update(&store, OWNER, universe.iter().map(|k| (*k, None))).unwrap();
        prop_assert_eq!(result.root, EMPTY_ROOT_HASH);
        store.apply(result.writes);
        prop_assert_eq!(store.nodes(OWNER).count(), 0);
        prop_assert_eq!(root(&store, OWNER).unwrap(), EMPTY_ROOT_HASH);
        check_proof(&store, OWNER, EMPTY_ROOT_HASH, &Model::new(), universe[0]);
        prop_assert_eq!(nodes_of(&store, OTHER), bystander_nodes);
    }
}

/// Random 32-byte keys with values of `len` bytes.
fn random_entries(rng: &mut StdRng, n: usize, len: usize) -> Model {
    (0..n)
        .map(|_| (B256::from(rng.random::<[u8; 32]>()), vec![7; len]))
        .collect()
}

#[test]
fn untouched_subtrees_are_not_rewritten() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut model = random_entries(&mut rng, 5000, 40);
    let mut store = build_fresh(OWNER, &model);
    let before = nodes_of(&store, OWNER);

    // Updating one key rewrites exactly the nodes on its path: all prefixes of the key.
    let key = *model.keys().nth(1234).unwrap();
    let path = Nibbles::unpack(key);
    model.insert(key, vec![8; 40]);
    let result = update(&store, OWNER, [(key, Some(vec![8; 40]))]).unwrap();
    assert_eq!(result.root, reference_root(&model));
    let on_path = before.keys().filter(|p| path.starts_with(p)).count();
    assert_eq!(result.writes.len(), on_path);
    assert!(result
        .writes
        .iter()
        .all(|((_, p), v)| path.starts_with(p) && v.is_some()));
    store.apply(result.writes);

    // Inserting a new key: its path plus at most the split leaf below the new branch.
    let key = B256::from(rng.random::<[u8; 32]>());
    model.insert(key, vec![9; 40]);
    let result = update(&store, OWNER, [(key, Some(vec![9; 40]))]).unwrap();
    assert_eq!(result.root, reference_root(&model));
    let depth = Nibbles::unpack(key);
    let off_path = result
        .writes
        .iter()
        .filter(|((_, p), _)| !depth.starts_with(p))
        .count();
    assert!(off_path <= 1, "{off_path} writes off the key's path");
    assert!(result.writes.len() <= 8, "{} writes", result.writes.len());
    store.apply(result.writes);

    // A batch of 100 keys hashes each shared upper node once: one write per changed path.
    let keys: Vec<B256> = model.keys().step_by(50).copied().collect();
    let before = nodes_of(&store, OWNER);
    let changes: Vec<_> = keys.iter().map(|k| (*k, Some(vec![1; 40]))).collect();
    for k in &keys {
        model.insert(*k, vec![1; 40]);
    }
    let result = update(&store, OWNER, changes).unwrap();
    assert_eq!(result.root, reference_root(&model));
    let touched = before
        .keys()
        .filter(|p| keys.iter().any(|k| Nibbles::unpack(k).starts_with(p)))
        .count();
    assert_eq!(result.writes.len(), touched);
    store.apply(result.writes);
    check_layout(&store, OWNER);
}

#[test]
fn no_op_changes_write_nothing() {
    let mut rng = StdRng::seed_from_u64(2);
    let model = random_entries(&mut rng, 300, 3);
    let store = build_fresh(OWNER, &model);
    let root = reference_root(&model);
    let (key, value) = model.iter().next().unwrap();
    let absent = B256::from(rng.random::<[u8; 32]>());
    let changes = [
        (*key, Some(value.clone())),
        (absent, None),
        (absent, Some(vec![])),
        (absent, None),
    ];
    let result = update(&store, OWNER, changes).unwrap();
    assert_eq!(result.root, root);
    assert!(result.writes.is_empty(), "{:?}", result.writes);
    assert!(update(&store, OWNER, []).unwrap().writes.is_empty());
}

#[test]
fn last_change_of_a_key_wins() {
    let store = MemoryNodeStore::new();
    let key = B256::repeat_byte(1);
    let result = update(
        &store,
        OWNER,
        [(key, Some(vec![1])), (key, None), (key, Some(vec![2]))],
    )
    .unwrap();
    assert_eq!(result.root, reference_root(&Model::from([(key, vec![2])])));
    let result = update(&store, OWNER, [(key, Some(vec![1])), (key, None)]).unwrap();
    assert_eq!(result.root, EMPTY_ROOT_HASH);
    assert!(result.writes.is_empty());
}

#[test]
fn large_random_batches_in_any_order() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut store = MemoryNodeStore::new();
    let mut model = Model::new();
    for round in 0..20 {
        let mut changes = Vec::new();
        for _ in 0..500 {
            let key = if !model.is_empty() && rng.random_bool(0.5) {
                *model.keys().nth(rng.random_range(0..model.len())).unwrap()
            } else {
                B256::from(rng.random::<[u8; 32]>())
            };
            let value =
                (rng.random_bool(0.7)).then(|| vec![round as u8 + 1; rng.random_range(1..40)]);
            changes.push((key, value));
        }
        apply_and_check(&mut store, &mut model, changes);
    }
}
