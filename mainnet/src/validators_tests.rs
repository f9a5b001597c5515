//! The epoch arithmetic, and validator sets read from the real Staking contract in a store.

use super::*;
use crate::system::testkit::{chain_with_validators, ether, genesis_validator};
use crate::system::GenesisValidator;
use spn_node::StoreOptions;
use spn_primitives::Address;

const CHAIN: u64 = 7447;

#[test]
fn the_set_is_read_exactly_set_lag_blocks_before_each_epoch_starts() {
    for blocks in [2, 3, 10, 100] {
        let epochs = Epochs::new(blocks).unwrap();
        for h in 0..1_000 {
            let starts_epoch = |height: u64| height >= 1 && (height - 1).is_multiple_of(blocks);
            assert_eq!(
                epochs.reads_set_after(h),
                starts_epoch(h + SET_LAG),
                "E = {blocks}, h = {h}"
            );
            if starts_epoch(h) {
                assert_eq!(epochs.first_height(epochs.epoch_of(h)), h);
            }
        }
        // Genesis is never a boundary: its set is the genesis set.
        assert!(!epochs.reads_set_after(0));
    }
    let ten = Epochs::new(10).unwrap();
    assert_eq!(
        (
            ten.epoch_of(0),
            ten.epoch_of(1),
            ten.epoch_of(10),
            ten.epoch_of(11)
        ),
        (0, 0, 0, 1)
    );
    assert!(ten.reads_set_after(9) && ten.reads_set_after(19) && !ten.reads_set_after(10));
    assert!(Epochs::new(1).is_err() && Epochs::new(0).is_err());
    assert!(!ten.reads_set_after(u64::MAX - 1), "no overflow");
}

fn validators(n: u64) -> Vec<GenesisValidator> {
    (0..n)
        .map(|i| genesis_validator(CHAIN, i, ether(32 + i)).0)
        .collect()
}

/// A store holding the genesis of a chain with `validators`.
fn store(validators: &[GenesisValidator]) -> (tempfile::TempDir, Store, ChainSpec) {
    let funded: Vec<Address> = validators.iter().map(|v| v.account).collect();
    let spec = chain_with_validators(CHAIN, &funded, validators).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
    spn_node::init_genesis(&store, &spec).unwrap();
    (dir, store, spec)
}

fn header(store: &Store, number: u64) -> Header {
    Header {
        number,
        ..store.header(0).unwrap().unwrap()
    }
}

#[test]
fn the_genesis_set_is_the_staking_contracts_in_gwei() {
    let list = validators(4);
    let (_dir, _store, spec) = store(&list);
    let set = genesis_validators(&spec).unwrap().unwrap();
    assert_eq!(
        set.accounts,
        list.iter().map(|v| v.account).collect::<Vec<_>>()
    );
    for (i, v) in list.iter().enumerate() {
        let index = u32::try_from(i).unwrap();
        assert_eq!(set.set.key(index).unwrap().to_bytes(), v.key.0);
        assert_eq!(set.set.stake(index), (32 + i as u64) * 1_000_000_000);
    }
    let (_dir, _store, solo) = store(&[]);
    assert_eq!(genesis_validators(&solo).unwrap(), None);
}

#[test]
fn a_boundary_reads_the_staking_set_and_answers_only_changes() {
    let (_dir, store4, spec4) = store(&validators(4));
    let epochs = Epochs::new(10).unwrap();
    let known = Arc::new(KnownKeys::default());
    let schedule = StakingSchedule::new(CHAIN, epochs, known.clone());
    let genesis = genesis_validators(&spec4).unwrap();
    // Off a boundary nothing is read.
    assert_eq!(schedule.set_at(&header(&store4, 8), &store4).unwrap(), None);
    // After block 9, the set of epoch 1 (heights 11..=20).
    assert_eq!(
        schedule.set_at(&header(&store4, 9), &store4).unwrap(),
        genesis
    );
    assert_eq!(known.keys().len(), 4);
    // The same set at the next boundary is no change.
    assert_eq!(
        schedule.set_at(&header(&store4, 19), &store4).unwrap(),
        None
    );
    // A fifth validator registered by then: the new set.
    let (_dir5, store5, spec5) = store(&validators(5));
    let five = schedule.set_at(&header(&store5, 29), &store5).unwrap();
    assert_eq!(five, genesis_validators(&spec5).unwrap());
    assert_eq!(five.unwrap().set.len(), 5);
    assert_eq!(known.keys().len(), 5);
}

#[test]
fn an_empty_staking_set_keeps_the_current_set_without_halting() {
    let (_dir, store, _) = store(&[]);
    let schedule = StakingSchedule::new(
        CHAIN,
        Epochs::new(10).unwrap(),
        Arc::new(KnownKeys::default()),
    );
    assert_eq!(schedule.set_at(&header(&store, 9), &store), Ok(None));
}

#[test]
fn the_schedule_refuses_to_read_another_blocks_state() {
    let (_dir, store, _) = store(&validators(1));
    let schedule = StakingSchedule::new(
        CHAIN,
        Epochs::new(10).unwrap(),
        Arc::new(KnownKeys::default()),
    );
    // The store's head is genesis, not block 9.
    let e = schedule
        .set_after_block(&header(&store, 9), &store)
        .unwrap_err();
    assert!(e.contains("must be read on that block's state"), "{e}");
    // Off a boundary nothing is read, so nothing is refused.
    assert_eq!(
        schedule.set_after_block(&header(&store, 8), &store),
        Ok(None)
    );
}

#[test]
fn stakes_convert_to_gwei_saturating() {
    let key = genesis_validator(CHAIN, 0, ether(32)).1;
    let list = Staking::validatorsReturn {
        accounts: vec![Address::repeat_byte(1)],
        keys: vec![key.verifying_key().to_bytes().into()],
        stakes: vec![U256::MAX],
    };
    let set = validators_from(list).unwrap().unwrap();
    assert_eq!(set.set.stake(0), u64::MAX);
    let empty = Staking::validatorsReturn {
        accounts: vec![],
        keys: vec![],
        stakes: vec![],
    };
    assert_eq!(validators_from(empty), Ok(None));
}
