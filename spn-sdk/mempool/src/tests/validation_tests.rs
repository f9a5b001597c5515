//! Check that each admission rule refuses what it should, with the Ethereum wording.

use super::mock::{config, pool, MockState, MockTx, GWEI};
use crate::{AddOutcome, Config, PoolError};
use alloy_primitives::U256;

#[test]
fn nonce_too_low_is_rejected() {
    let p = pool(config());
    let mut state = MockState::default();
    state.set_nonce(1, 5);
    let err = p.add(MockTx::new(1, 4, GWEI), &state, 0).unwrap_err();
    assert_eq!(
        err,
        PoolError::NonceTooLow {
            tx_nonce: 4,
            state_nonce: 5
        }
    );
    assert!(err.to_string().starts_with("nonce too low"));
    assert_eq!(
        p.add(MockTx::new(1, 5, GWEI), &state, 0),
        Ok(AddOutcome::Pending)
    );
    p.check_invariants();
}

#[test]
fn duplicate_hash_is_rejected_as_already_known() {
    let p = pool(config());
    let state = MockState::default();
    let tx = MockTx::new(1, 0, GWEI);
    assert_eq!(p.add(tx.clone(), &state, 0), Ok(AddOutcome::Pending));
    let err = p.add(tx, &state, 0).unwrap_err();
    assert_eq!(err, PoolError::AlreadyKnown);
    assert_eq!(err.to_string(), "already known");
    assert_eq!(p.len(), 1);
}

#[test]
fn replacement_with_nine_percent_bump_is_rejected() {
    let p = pool(config());
    let state = MockState::default();
    p.add(MockTx::new(1, 0, 0).fees(100 * GWEI, 10 * GWEI), &state, 0)
        .unwrap();
    let err = p
        .add(MockTx::new(1, 0, 0).fees(109 * GWEI, 11 * GWEI), &state, 0)
        .unwrap_err();
    assert_eq!(err, PoolError::ReplacementUnderpriced);
    assert_eq!(err.to_string(), "replacement transaction underpriced");
    // Raising only one of the two fee fields is not enough either.
    let err = p
        .add(MockTx::new(1, 0, 0).fees(200 * GWEI, 10 * GWEI), &state, 0)
        .unwrap_err();
    assert_eq!(err, PoolError::ReplacementUnderpriced);
    assert_eq!(p.len(), 1);
}

#[test]
fn replacement_with_ten_percent_bump_is_accepted() {
    let p = pool(config());
    let state = MockState::default();
    let old = MockTx::new(1, 0, 0).fees(100 * GWEI, 10 * GWEI);
    p.add(old.clone(), &state, 0).unwrap();
    let new = MockTx::new(1, 0, 0).fees(110 * GWEI, 11 * GWEI);
    assert_eq!(
        p.add(new.clone(), &state, 0),
        Ok(AddOutcome::Replaced { old: old.hash })
    );
    assert!(!p.contains(&old.hash));
    assert_eq!(p.get(&new.hash), Some(new));
    assert_eq!(p.len(), 1);
    assert_eq!(p.pending_count(), 1);
    p.check_invariants();
}

#[test]
fn insufficient_funds_counts_earlier_pending_txs() {
    let p = pool(config());
    let mut state = MockState::default();
    // Each transfer costs 21000 * 1 gwei + 1000 wei of value.
    let cost = 21_000 * GWEI + 1_000;
    state.set(1, 0, 2 * cost + cost / 2);
    p.add(MockTx::new(1, 0, GWEI).value(1_000), &state, 0)
        .unwrap();
    p.add(MockTx::new(1, 1, GWEI).value(1_000), &state, 0)
        .unwrap();
    // Alone the third would fit the balance; after the first two it does not.
    let err = p
        .add(MockTx::new(1, 2, GWEI).value(1_000), &state, 0)
        .unwrap_err();
    let PoolError::InsufficientFunds { overshot, .. } = err else {
        panic!("got {err:?}")
    };
    assert_eq!(overshot, U256::from(cost / 2 + cost % 2));
    assert!(err
        .to_string()
        .starts_with("insufficient funds for gas * price + value"));
    // Queued transactions ahead of the nonce count too.
    let err = p
        .add(MockTx::new(1, 3, GWEI).value(1_000), &state, 0)
        .unwrap_err();
    assert!(matches!(err, PoolError::InsufficientFunds { .. }));
}

#[test]
fn gas_above_block_limit_is_rejected() {
    let p = pool(config());
    let state = MockState::default();
    let limit = config().block_gas_limit;
    let err = p
        .add(MockTx::new(1, 0, GWEI).gas(limit + 1), &state, 0)
        .unwrap_err();
    assert_eq!(err, PoolError::ExceedsBlockGasLimit);
    assert_eq!(err.to_string(), "exceeds block gas limit");
    assert_eq!(
        p.add(MockTx::new(1, 0, GWEI).gas(limit), &state, 0),
        Ok(AddOutcome::Pending)
    );
}

#[test]
fn gas_below_intrinsic_is_rejected() {
    let p = pool(config());
    let err = p
        .add(
            MockTx::new(1, 0, GWEI).gas(20_999),
            &MockState::default(),
            0,
        )
        .unwrap_err();
    assert_eq!(
        err,
        PoolError::IntrinsicGasTooLow {
            gas_limit: 20_999,
            minimum: 21_000
        }
    );
    assert!(err.to_string().starts_with("intrinsic gas too low"));
}

#[test]
fn tip_below_min_priority_fee_is_rejected_as_underpriced() {
    let p = pool(Config {
        min_priority_fee: GWEI,
        ..config()
    });
    let state = MockState::default();
    let err = p
        .add(MockTx::new(1, 0, 0).fees(10 * GWEI, GWEI - 1), &state, 0)
        .unwrap_err();
    assert!(err.to_string().starts_with("transaction underpriced"));
    assert!(p
        .add(MockTx::new(1, 0, 0).fees(10 * GWEI, GWEI), &state, 0)
        .is_ok());
}

#[test]
fn tip_above_fee_cap_is_rejected() {
    let p = pool(config());
    let err = p.add(
        MockTx::new(1, 0, 0).fees(GWEI, 2 * GWEI),
        &MockState::default(),
        0,
    );
    assert_eq!(err, Err(PoolError::TipAboveFeeCap));
}

#[test]
fn oversized_tx_is_rejected() {
    let p = pool(config());
    let state = MockState::default();
    let err = p
        .add(MockTx::new(1, 0, GWEI).size(1_025), &state, 0)
        .unwrap_err();
    assert_eq!(
        err,
        PoolError::OversizedData {
            size: 1_025,
            limit: 1_024
        }
    );
    assert!(err.to_string().starts_with("oversized data"));
    assert!(p
        .add(MockTx::new(1, 0, GWEI).size(1_024), &state, 0)
        .is_ok());
}

#[test]
fn per_sender_cap_is_enforced_but_replacement_still_allowed() {
    let p = pool(Config {
        max_per_sender: 3,
        ..config()
    });
    let state = MockState::default();
    for n in 0..3 {
        p.add(MockTx::new(1, n, GWEI), &state, 0).unwrap();
    }
    let err = p.add(MockTx::new(1, 3, GWEI), &state, 0).unwrap_err();
    assert_eq!(err, PoolError::AccountLimitExceeded);
    assert!(matches!(
        p.add(MockTx::new(1, 2, 2 * GWEI), &state, 0),
        Ok(AddOutcome::Replaced { .. })
    ));
    assert!(p.add(MockTx::new(2, 0, GWEI), &state, 0).is_ok());
}

#[test]
fn fee_cap_below_base_fee_waits_instead_of_failing() {
    let p = pool(config());
    let state = MockState::default();
    let tx = MockTx::new(1, 0, 0).fees(5 * GWEI, GWEI);
    assert_eq!(
        p.add(tx.clone(), &state, 10 * GWEI),
        Ok(AddOutcome::Pending)
    );
    assert!(p.best(1_000_000, 10 * GWEI).is_empty());
    assert_eq!(p.best(1_000_000, 5 * GWEI), vec![tx]);
}

#[test]
fn nonce_max_is_rejected() {
    let p = pool(config());
    let err = p
        .add(MockTx::new(1, u64::MAX, GWEI), &MockState::default(), 0)
        .unwrap_err();
    assert_eq!(err.to_string(), "nonce has max value");
}
