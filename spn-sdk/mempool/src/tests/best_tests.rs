//! Check block selection: nonce order per sender, effective-tip order across, gas budget.

use super::mock::{config, ids, pool, MockState, MockTx, GWEI};
use crate::{Config, Mempool};
use std::time::Instant;

#[test]
fn best_respects_sender_nonce_order_over_fee() {
    let p = pool(config());
    let state = MockState::default();
    // Later nonce pays far more, but cannot run before nonce 0.
    p.add(MockTx::new(1, 1, 100 * GWEI), &state, 0).unwrap();
    p.add(MockTx::new(1, 0, GWEI), &state, 0).unwrap();
    p.add(MockTx::new(2, 0, 50 * GWEI), &state, 0).unwrap();
    assert_eq!(ids(&p.best(1_000_000, 0)), vec![(2, 0), (1, 0), (1, 1)]);
}

#[test]
fn best_orders_senders_by_fee_priority() {
    let p = pool(config());
    let state = MockState::default();
    for (sender, fee) in [(1, 3), (2, 9), (3, 1), (4, 5)] {
        p.add(MockTx::new(sender, 0, fee * GWEI), &state, 0)
            .unwrap();
    }
    assert_eq!(
        ids(&p.best(1_000_000, 0)),
        vec![(2, 0), (4, 0), (1, 0), (3, 0)]
    );
}

#[test]
fn best_ranks_by_effective_tip_at_the_base_fee() {
    let p = pool(config());
    let state = MockState::default();
    // Sender 1: big tip, low cap. Sender 2: small tip, high cap.
    p.add(MockTx::new(1, 0, 0).fees(12 * GWEI, 10 * GWEI), &state, 0)
        .unwrap();
    p.add(MockTx::new(2, 0, 0).fees(100 * GWEI, 3 * GWEI), &state, 0)
        .unwrap();
    // base 0: tips 10 vs 3. base 10: tips min(10, 2) = 2 vs 3.
    assert_eq!(ids(&p.best(1_000_000, 0)), vec![(1, 0), (2, 0)]);
    assert_eq!(ids(&p.best(1_000_000, 10 * GWEI)), vec![(2, 0), (1, 0)]);
}

#[test]
fn best_skips_sender_whose_fee_cap_is_below_base_fee_and_its_later_txs() {
    let p = pool(config());
    let state = MockState::default();
    p.add(MockTx::new(1, 0, 5 * GWEI), &state, 0).unwrap();
    p.add(MockTx::new(1, 1, 50 * GWEI), &state, 0).unwrap();
    p.add(MockTx::new(2, 0, 20 * GWEI), &state, 0).unwrap();
    p.add(MockTx::new(2, 1, 6 * GWEI), &state, 0).unwrap();
    p.add(MockTx::new(2, 2, 30 * GWEI), &state, 0).unwrap();
    assert_eq!(ids(&p.best(1_000_000, 10 * GWEI)), vec![(2, 0)]);
}

#[test]
fn best_stops_at_the_gas_budget() {
    let p = pool(config());
    let state = MockState::default();
    p.add(MockTx::new(1, 0, 9 * GWEI).gas(50_000), &state, 0)
        .unwrap();
    p.add(MockTx::new(2, 0, 8 * GWEI).gas(40_000), &state, 0)
        .unwrap();
    p.add(MockTx::new(3, 0, 7 * GWEI).gas(21_000), &state, 0)
        .unwrap();
    p.add(MockTx::new(3, 1, 6 * GWEI).gas(21_000), &state, 0)
        .unwrap();
    // 50k fits; 40k does not fit the remaining 30k, so sender 2 is skipped; 21k fits; then
    // 9k remains, below any transaction.
    let best = p.best(80_000, 0);
    assert_eq!(ids(&best), vec![(1, 0), (3, 0)]);
    assert!(best.iter().map(|t| t.gas_limit).sum::<u64>() <= 80_000);
    assert!(p.best(20_999, 0).is_empty());
}

#[test]
fn best_leaves_the_pool_unchanged() {
    let p = pool(config());
    let state = MockState::default();
    p.add(MockTx::new(1, 0, GWEI), &state, 0).unwrap();
    assert_eq!(p.best(1_000_000, 0).len(), 1);
    assert_eq!(p.best(1_000_000, 0).len(), 1);
    assert_eq!(p.len(), 1);
}

/// 10k-transaction block out of a 50k-transaction pool. Run with
/// `cargo test -p spn-mempool --release -- --ignored --nocapture`.
#[test]
#[ignore = "timing measurement; run in release"]
fn best_builds_10k_block_from_50k_pool_quickly() {
    let config = Config {
        max_txs: 60_000,
        max_per_sender: 64,
        block_gas_limit: 30_000_000,
        min_priority_fee: 0,
        ..Config::default()
    };
    let p: Mempool<super::mock::MockTx> = Mempool::new(config);
    let state = MockState::default();
    let senders = 12_500u64;
    let started = Instant::now();
    for n in 0..4 {
        for s in 0..senders {
            let mut tx = MockTx::new(0, n, GWEI + u128::from(s * 7 % 1_000) * 1_000);
            tx.sender = alloy_primitives::Address::left_padding_from(&s.to_be_bytes());
            p.add(tx, &state, 0).unwrap();
        }
    }
    let filled = started.elapsed();
    assert_eq!(p.len(), 50_000);
    let mut runs = Vec::new();
    for _ in 0..51 {
        let started = Instant::now();
        let block = p.best(10_000 * 21_000, GWEI / 2);
        runs.push(started.elapsed());
        assert_eq!(block.len(), 10_000);
    }
    runs.sort();
    println!(
        "fill 50k: {filled:?} ({:?}/tx); best 10k: median {:?}, min {:?}",
        filled / 50_000,
        runs[runs.len() / 2],
        runs[0]
    );
}
