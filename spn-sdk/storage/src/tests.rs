//! Storage behaviour a node relies on: atomic blocks, consistency checks, the data dir lock.

use crate::{Store, StoreError, StoreOptions};
use spn_primitives::{
    AccountUpdate, Address, Header, SealedBlock, StateChangeset, B256, KECCAK_EMPTY, U256,
};

fn funded(n: u8) -> StateChangeset {
    StateChangeset {
        accounts: (1..=n)
            .map(|i| {
                let update = AccountUpdate {
                    nonce: 0,
                    balance: U256::from(1000 + u64::from(i)),
                    code_hash: KECCAK_EMPTY,
                };
                (Address::repeat_byte(i), Some(update))
            })
            .collect(),
        ..Default::default()
    }
}

fn genesis(store: &Store) -> SealedBlock {
    let prepared = store
        .prepare_state(&funded(5))
        .expect("prepare")
        .with_chain_id(7);
    let header = Header {
        state_root: prepared.state_root,
        ..Default::default()
    };
    let block = SealedBlock::new(header, Vec::new());
    store.commit_block(&block, &[], prepared).expect("commit");
    block
}

fn opts() -> StoreOptions {
    StoreOptions {
        sync_writes: false,
        ..Default::default()
    }
}

#[test]
fn reopened_store_passes_the_consistency_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let block = {
        let store = Store::open(dir.path(), &opts()).expect("open");
        genesis(&store)
    };
    let store = Store::open(dir.path(), &opts()).expect("reopen");
    store.check_consistency().expect("consistent");
    assert_eq!(store.head().expect("head"), Some((0, block.hash)));
    assert_eq!(store.chain_id().expect("chain id"), Some(7));
}

#[test]
fn state_that_does_not_match_the_head_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path(), &opts()).expect("open");
        genesis(&store);
        // Simulate partial state: a trie root node that is not the one the head committed.
        let cf = store.cf(crate::tables::TRIE).expect("cf");
        store
            .db
            .put_cf(cf, B256::ZERO.as_slice(), [0xc0u8])
            .expect("corrupt");
    }
    let store = Store::open(dir.path(), &opts()).expect("reopen");
    let err = store.check_consistency().expect_err("must refuse");
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(
        err.to_string().contains("does not match head block 0"),
        "{err}"
    );
}

#[test]
fn a_second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = Store::open(dir.path(), &opts()).expect("open");
    let err = Store::open(dir.path(), &opts()).expect_err("locked");
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
}

#[test]
fn a_block_that_does_not_extend_the_head_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), &opts()).expect("open");
    let g = genesis(&store);
    let prepared = store.prepare_state(&funded(9)).expect("prepare");
    let header = Header {
        number: 5,
        state_root: prepared.state_root,
        ..Default::default()
    };
    let bad = SealedBlock::new(header, Vec::new());
    assert!(store.commit_block(&bad, &[], prepared).is_err());
    assert_eq!(store.head().expect("head"), Some((0, g.hash)));
    assert_eq!(store.account(&Address::repeat_byte(9)).expect("read"), None);
    store.check_consistency().expect("still consistent");
}
