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

#[test]
fn system_call_logs_are_found_by_address_after_the_transactions_logs() {
    use crate::LogQuery;
    use spn_primitives::{Log, LogData};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), &opts()).expect("open");
    let parent = genesis(&store);
    let emitter = Address::repeat_byte(0x20);
    let log = Log {
        address: emitter,
        data: LogData::new_unchecked(vec![B256::repeat_byte(7)], vec![1, 2, 3].into()),
    };
    let prepared = store.prepare_state(&funded(5)).expect("prepare");
    let header = Header {
        number: 1,
        parent_hash: parent.hash,
        state_root: prepared.state_root,
        ..Default::default()
    };
    let block = SealedBlock::new(header, Vec::new());
    store
        .commit_block_with_system_logs(&block, &[], std::slice::from_ref(&log), prepared)
        .expect("commit");
    assert_eq!(store.system_logs(1).expect("read"), vec![log.clone()]);
    assert!(store.system_logs(0).expect("read").is_empty());
    assert_eq!(store.receipts(1).expect("receipts"), Some(vec![]));
    let found = store
        .logs(&LogQuery {
            from: 0,
            to: 1,
            addresses: vec![emitter],
            topics: vec![],
        })
        .expect("logs");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].log, log);
    assert_eq!(found[0].block_number, 1);
    assert_eq!(found[0].tx_hash, B256::ZERO);
}
