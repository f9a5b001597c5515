//! Check nonce gaps, promotion, block commits and removal.

use super::mock::{addr, config, ids, pool, MockState, MockTx, GWEI};
use crate::AddOutcome;

#[test]
fn gap_is_queued_then_promoted_when_filled() {
    let p = pool(config());
    let state = MockState::default();
    assert_eq!(
        p.add(MockTx::new(1, 0, GWEI), &state, 0),
        Ok(AddOutcome::Pending)
    );
    assert_eq!(
        p.add(MockTx::new(1, 2, GWEI), &state, 0),
        Ok(AddOutcome::Queued)
    );
    assert_eq!(
        p.add(MockTx::new(1, 3, GWEI), &state, 0),
        Ok(AddOutcome::Queued)
    );
    assert_eq!((p.pending_count(), p.queued_count()), (1, 2));
    assert_eq!(ids(&p.best(1_000_000, 0)), vec![(1, 0)]);
    assert_eq!(p.pending_nonce(&addr(1)), Some(1));

    assert_eq!(
        p.add(MockTx::new(1, 1, GWEI), &state, 0),
        Ok(AddOutcome::Pending)
    );
    assert_eq!((p.pending_count(), p.queued_count()), (4, 0));
    assert_eq!(
        ids(&p.best(1_000_000, 0)),
        vec![(1, 0), (1, 1), (1, 2), (1, 3)]
    );
    assert_eq!(p.pending_nonce(&addr(1)), Some(4));
    p.check_invariants();
}

#[test]
fn pending_nonce_is_none_without_pending_txs() {
    let p = pool(config());
    let state = MockState::default();
    assert_eq!(p.pending_nonce(&addr(1)), None);
    p.add(MockTx::new(1, 1, GWEI), &state, 0).unwrap();
    assert_eq!(p.pending_nonce(&addr(1)), None);
}

#[test]
fn commit_drops_mined_txs_and_promotes_queued() {
    let p = pool(config());
    let mut state = MockState::default();
    for n in [0, 1, 3, 4] {
        p.add(MockTx::new(1, n, GWEI), &state, 0).unwrap();
    }
    assert_eq!(p.queued_count(), 2);
    // Nonces 0..=2 executed (2 arrived by another path).
    state.set_nonce(1, 3);
    assert_eq!(p.on_block_committed(&state, &[addr(1), addr(9)]), 2);
    assert_eq!((p.len(), p.pending_count(), p.queued_count()), (2, 2, 0));
    assert_eq!(ids(&p.best(1_000_000, 0)), vec![(1, 3), (1, 4)]);
    p.check_invariants();
}

#[test]
fn commit_drops_txs_the_balance_no_longer_covers() {
    let p = pool(config());
    let mut state = MockState::default();
    let cost = 21_000 * GWEI;
    state.set(1, 0, 10 * cost);
    p.add(MockTx::new(1, 0, GWEI), &state, 0).unwrap();
    p.add(MockTx::new(1, 1, 3 * GWEI), &state, 0).unwrap();
    p.add(MockTx::new(1, 2, GWEI), &state, 0).unwrap();
    assert_eq!(p.pending_count(), 3);
    // Balance drops to 2 transfers' worth: nonce 1 (3x cost) can never be paid, nonce 2 now
    // sits behind a gap.
    state.set(1, 0, 2 * cost);
    assert_eq!(p.on_block_committed(&state, &[addr(1)]), 1);
    assert_eq!((p.pending_count(), p.queued_count()), (1, 1));
    assert_eq!(ids(&p.best(1_000_000, 0)), vec![(1, 0)]);
    p.check_invariants();
}

#[test]
fn add_adopts_newer_account_state_before_commit_is_reported() {
    let p = pool(config());
    let mut state = MockState::default();
    p.add(MockTx::new(1, 0, GWEI), &state, 0).unwrap();
    state.set_nonce(1, 1);
    assert_eq!(
        p.add(MockTx::new(1, 1, GWEI), &state, 0),
        Ok(AddOutcome::Pending)
    );
    assert_eq!(ids(&p.best(1_000_000, 0)), vec![(1, 1)]);
    assert_eq!(p.len(), 1);
    p.check_invariants();
}

#[test]
fn stale_account_read_never_moves_the_pool_backwards() {
    let p = pool(config());
    let mut state = MockState::default();
    state.set_nonce(1, 5);
    p.add(MockTx::new(1, 5, GWEI), &state, 0).unwrap();
    let stale = MockState::default();
    let err = p.add(MockTx::new(1, 4, GWEI), &stale, 0).unwrap_err();
    assert!(err.to_string().starts_with("nonce too low"));
    assert_eq!(p.on_block_committed(&stale, &[addr(1)]), 0);
    assert_eq!(ids(&p.best(1_000_000, 0)), vec![(1, 5)]);
}

#[test]
fn remove_opens_gap_and_queues_later_txs() {
    let p = pool(config());
    let state = MockState::default();
    let txs: Vec<MockTx> = (0..3).map(|n| MockTx::new(1, n, GWEI)).collect();
    for tx in &txs {
        p.add(tx.clone(), &state, 0).unwrap();
    }
    let removed = p.remove(&[txs[1].hash, alloy_primitives::B256::ZERO]);
    assert_eq!(removed, vec![txs[1].clone()]);
    assert_eq!((p.pending_count(), p.queued_count()), (1, 1));
    assert_eq!(p.pending_nonce(&addr(1)), Some(1));
    assert!(p.get(&txs[1].hash).is_none());
    assert!(p.contains(&txs[2].hash));
    p.check_invariants();
}

#[test]
fn removing_mined_txs_by_hash_keeps_the_rest_pending_after_commit() {
    let p = pool(config());
    let mut state = MockState::default();
    let txs: Vec<MockTx> = (0..3).map(|n| MockTx::new(1, n, GWEI)).collect();
    for tx in &txs {
        p.add(tx.clone(), &state, 0).unwrap();
    }
    p.remove(&[txs[0].hash]);
    assert_eq!(p.pending_count(), 0);
    state.set_nonce(1, 1);
    p.on_block_committed(&state, &[addr(1)]);
    assert_eq!(ids(&p.best(1_000_000, 0)), vec![(1, 1), (1, 2)]);
    p.check_invariants();
}

#[test]
fn commit_queues_txs_beyond_the_balance_and_promotes_them_when_funded() {
    let p = pool(config());
    let mut state = MockState::default();
    let cost = 21_000 * GWEI;
    state.set(1, 0, 3 * cost);
    for n in 0..3 {
        p.add(MockTx::new(1, n, GWEI), &state, 0).unwrap();
    }
    // Each transaction alone is affordable, so none is dropped, but only two fit together.
    state.set(1, 0, 2 * cost);
    assert_eq!(p.on_block_committed(&state, &[addr(1)]), 0);
    assert_eq!((p.pending_count(), p.queued_count()), (2, 1));
    assert_eq!(ids(&p.best(1_000_000, 0)), vec![(1, 0), (1, 1)]);
    state.set(1, 0, 3 * cost);
    p.on_block_committed(&state, &[addr(1)]);
    assert_eq!(p.pending_count(), 3);
    p.check_invariants();
}
