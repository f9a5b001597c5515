//! Proofs of past states of accounts whose history is kept, under seeded random blocks.

use crate::{Store, StoreOptions};
use alloy_trie::{proof::verify_proof, Nibbles, TrieAccount};
use rand::{rngs::StdRng, Rng, SeedableRng};
use spn_primitives::{
    keccak256, AccountUpdate, Address, Header, SealedBlock, StateChangeset, StorageUpdate, B256,
    KECCAK_EMPTY, U256,
};
use std::collections::BTreeMap;

const KEPT: Address = Address::repeat_byte(0xaa);

fn options(history: Vec<Address>) -> StoreOptions {
    StoreOptions {
        sync_writes: false,
        proof_history: history,
        ..Default::default()
    }
}

fn commit(store: &Store, number: u64, changes: &StateChangeset) -> Header {
    let prepared = store.prepare_state(changes).expect("prepare");
    let parent_hash = match number {
        0 => B256::ZERO,
        n => store.canonical_hash(n - 1).unwrap().unwrap(),
    };
    let header = Header {
        number,
        parent_hash,
        state_root: prepared.state_root,
        ..Default::default()
    };
    let block = SealedBlock::new(header.clone(), Vec::new());
    store.commit_block(&block, &[], prepared).expect("commit");
    header
}

fn account(balance: u64) -> Option<AccountUpdate> {
    Some(AccountUpdate {
        nonce: 1,
        balance: U256::from(balance),
        code_hash: KECCAK_EMPTY,
    })
}

/// Checks the proof of `slots` of KEPT at `height` against that block's root and `expected`.
fn check(store: &Store, header: &Header, expected: &BTreeMap<U256, U256>, slots: &[U256]) {
    let keys: Vec<B256> = slots
        .iter()
        .map(|s| B256::from(s.to_be_bytes::<32>()))
        .collect();
    let proof = store
        .account_proof_at(KEPT, &keys, header.number)
        .expect("proof");
    let account = proof.account.expect("account exists");
    let leaf = TrieAccount {
        nonce: account.nonce,
        balance: account.balance,
        storage_root: account.storage_root,
        code_hash: account.code_hash,
    };
    verify_proof(
        header.state_root,
        Nibbles::unpack(keccak256(KEPT)),
        Some(alloy_rlp::encode(leaf)),
        &proof.account_proof,
    )
    .expect("account proof verifies against that block's root");
    for (slot, (_, value, nodes)) in slots.iter().zip(&proof.storage) {
        let want = expected.get(slot).copied().unwrap_or_default();
        assert_eq!(*value, want, "slot {slot} at block {}", header.number);
        let leaf = (!want.is_zero()).then(|| alloy_rlp::encode(want));
        verify_proof(
            account.storage_root,
            Nibbles::unpack(keccak256(slot.to_be_bytes::<32>())),
            leaf,
            nodes,
        )
        .expect("storage proof verifies");
    }
}

#[test]
fn past_states_of_kept_accounts_prove_against_their_block_roots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), &options(vec![KEPT])).expect("open");
    let mut rng = StdRng::seed_from_u64(7);
    let mut model: BTreeMap<U256, U256> = BTreeMap::new();
    let mut history = Vec::new();
    for number in 0..60u64 {
        let mut changes = StateChangeset {
            accounts: vec![(KEPT, account(number))],
            ..Default::default()
        };
        // Other accounts change the account trie around the kept one.
        for _ in 0..rng.random_range(0..20) {
            let other = Address::from(rng.random::<[u8; 20]>());
            changes
                .accounts
                .push((other, account(rng.random_range(1..1000))));
        }
        // Now and then the account's storage is wiped (a re-created contract).
        let wiped = number % 23 == 22;
        if wiped {
            model.clear();
        }
        let mut slots = Vec::new();
        for _ in 0..rng.random_range(0..12) {
            let slot = U256::from(rng.random_range(0..40u64));
            let value = if rng.random_bool(0.3) {
                U256::ZERO
            } else {
                U256::from(rng.random::<u64>())
            };
            slots.push((slot, value));
        }
        for (slot, value) in &slots {
            if value.is_zero() {
                model.remove(slot);
            } else {
                model.insert(*slot, *value);
            }
        }
        changes.storage.push((KEPT, StorageUpdate { wiped, slots }));
        let header = commit(&store, number, &changes);
        history.push((header, model.clone()));
    }
    let all: Vec<U256> = (0..40u64).map(U256::from).collect();
    for (header, expected) in &history {
        check(&store, header, expected, &all);
    }
    // Reopening keeps the history.
    drop(store);
    let store = Store::open(dir.path(), &options(vec![KEPT])).expect("reopen");
    let (header, expected) = &history[17];
    check(&store, header, expected, &all);
}

#[test]
fn past_states_are_refused_for_other_accounts_and_future_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), &options(vec![KEPT])).expect("open");
    let changes = StateChangeset {
        accounts: vec![(KEPT, account(1)), (Address::repeat_byte(1), account(2))],
        ..Default::default()
    };
    commit(&store, 0, &changes);
    let other = store.account_proof_at(Address::repeat_byte(1), &[], 0);
    assert!(other.unwrap_err().to_string().contains("not kept"));
    let future = store.account_proof_at(KEPT, &[], 1);
    assert!(future.unwrap_err().to_string().contains("above the head"));
}

#[test]
fn a_datadir_created_without_history_never_answers_from_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path(), &options(Vec::new())).expect("open");
        commit(
            &store,
            0,
            &StateChangeset {
                accounts: vec![(KEPT, account(1))],
                ..Default::default()
            },
        );
    }
    let store = Store::open(dir.path(), &options(vec![KEPT])).expect("reopen");
    assert!(!store.keeps_history(&KEPT));
    assert!(store.account_proof_at(KEPT, &[], 0).is_err());
}
