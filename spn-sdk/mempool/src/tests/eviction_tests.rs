//! Check that a full pool evicts the cheapest sender tail and never opens a pending gap.

use super::mock::{config, ids, pool, MockState, MockTx, GWEI};
use crate::{AddOutcome, Config, PoolError};

fn small(max_txs: usize) -> Config {
    Config {
        max_txs,
        ..config()
    }
}

#[test]
fn eviction_keeps_nonce_order_and_evicts_the_cheapest_tail() {
    let p = pool(small(4));
    let state = MockState::default();
    let a1 = MockTx::new(1, 1, GWEI);
    let b0 = MockTx::new(2, 0, GWEI);
    p.add(MockTx::new(1, 0, 10 * GWEI), &state, 0).unwrap();
    p.add(a1.clone(), &state, 0).unwrap();
    p.add(b0.clone(), &state, 0).unwrap();
    p.add(MockTx::new(2, 1, 5 * GWEI), &state, 0).unwrap();
    // b0 ties a1 as the cheapest, but evicting it would strand b1: only tails may go.
    assert_eq!(
        p.add(MockTx::new(3, 0, 3 * GWEI), &state, 0),
        Ok(AddOutcome::Pending)
    );
    assert_eq!(p.len(), 4);
    assert!(!p.contains(&a1.hash));
    assert!(p.contains(&b0.hash));
    assert_eq!(p.queued_count(), 0);
    let mut best = ids(&p.best(1_000_000, 0));
    best.sort_unstable();
    assert_eq!(best, vec![(1, 0), (2, 0), (2, 1), (3, 0)]);
    p.check_invariants();
}

#[test]
fn queued_txs_are_evicted_before_pending_ones() {
    let p = pool(small(3));
    let state = MockState::default();
    let queued = MockTx::new(2, 5, 100 * GWEI);
    p.add(MockTx::new(1, 0, GWEI), &state, 0).unwrap();
    assert_eq!(p.add(queued.clone(), &state, 0), Ok(AddOutcome::Queued));
    p.add(MockTx::new(3, 0, 50 * GWEI), &state, 0).unwrap();
    assert_eq!(
        p.add(MockTx::new(4, 0, 2 * GWEI), &state, 0),
        Ok(AddOutcome::Pending)
    );
    assert!(!p.contains(&queued.hash));
    assert_eq!((p.pending_count(), p.queued_count()), (3, 0));
    p.check_invariants();
}

#[test]
fn incoming_tx_that_would_be_lowest_is_rejected_when_full() {
    let p = pool(small(2));
    let state = MockState::default();
    p.add(MockTx::new(1, 0, 5 * GWEI), &state, 0).unwrap();
    p.add(MockTx::new(2, 0, 5 * GWEI), &state, 0).unwrap();
    let err = p.add(MockTx::new(3, 0, 2 * GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::PoolFull);
    assert_eq!(err.to_string(), "txpool is full");
    // A tie goes to the transaction already pooled.
    assert_eq!(
        p.add(MockTx::new(3, 0, 5 * GWEI), &state, 0),
        Err(PoolError::PoolFull)
    );
    // A queued arrival ranks below every pending transaction, whatever it pays.
    assert_eq!(
        p.add(MockTx::new(3, 1, 99 * GWEI), &state, 0),
        Err(PoolError::PoolFull)
    );
    assert_eq!(p.len(), 2);
    p.check_invariants();
}

#[test]
fn replacement_in_a_full_pool_evicts_nothing() {
    let p = pool(small(2));
    let state = MockState::default();
    let other = MockTx::new(2, 0, GWEI);
    p.add(MockTx::new(1, 0, 5 * GWEI), &state, 0).unwrap();
    p.add(other.clone(), &state, 0).unwrap();
    let out = p.add(MockTx::new(1, 0, 6 * GWEI), &state, 0).unwrap();
    assert!(matches!(out, AddOutcome::Replaced { .. }));
    assert!(p.contains(&other.hash));
    assert_eq!(p.len(), 2);
}

#[test]
fn own_queued_tail_above_incoming_nonce_can_be_evicted() {
    let p = pool(small(3));
    let state = MockState::default();
    let a2 = MockTx::new(1, 2, GWEI);
    p.add(MockTx::new(1, 0, 10 * GWEI), &state, 0).unwrap();
    p.add(a2.clone(), &state, 0).unwrap();
    p.add(MockTx::new(2, 0, 10 * GWEI), &state, 0).unwrap();
    assert_eq!(
        p.add(MockTx::new(1, 1, 5 * GWEI), &state, 0),
        Ok(AddOutcome::Pending)
    );
    assert!(!p.contains(&a2.hash));
    assert_eq!(p.pending_nonce(&super::mock::addr(1)), Some(2));
    p.check_invariants();
}

#[test]
fn zero_capacity_pool_rejects_everything() {
    let p = pool(small(0));
    let err = p.add(MockTx::new(1, 0, GWEI), &MockState::default(), 0);
    assert_eq!(err, Err(PoolError::PoolFull));
    assert!(p.is_empty());
}

#[test]
fn incoming_tx_is_not_admitted_by_evicting_a_tx_it_depends_on() {
    let p = pool(small(3));
    let state = MockState::default();
    let a2 = MockTx::new(1, 2, GWEI);
    p.add(MockTx::new(1, 0, 10 * GWEI), &state, 0).unwrap();
    p.add(a2.clone(), &state, 0).unwrap();
    p.add(MockTx::new(2, 0, 10 * GWEI), &state, 0).unwrap();
    // Nonce 3 comes after the cheap nonce 2; evicting 2 to make room would only strand 3.
    assert_eq!(
        p.add(MockTx::new(1, 3, 5 * GWEI), &state, 0),
        Err(PoolError::PoolFull)
    );
    assert!(p.contains(&a2.hash));
    p.check_invariants();
}
