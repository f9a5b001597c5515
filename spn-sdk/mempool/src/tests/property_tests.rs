//! Check pool invariants over random sequences of adds, blocks, removals and base-fee moves.

use super::mock::{addr, pool, MockState, MockTx, GWEI};
use crate::{AccountReader, Config, Mempool, MIN_TX_GAS};
use alloy_primitives::{map::AddressMap, B256};
use proptest::prelude::*;
use std::collections::HashSet;

const SENDERS: u8 = 6;
const BLOCK_GAS: u64 = 200_000;

#[derive(Debug, Clone)]
enum Op {
    /// Nonce is the account nonce plus `offset`, minus one (so "too low" happens too).
    Add {
        sender: u8,
        offset: u64,
        fee: u128,
        tip: u128,
        gas: u64,
        value: u128,
    },
    /// Build a block from `best`, execute it, report it.
    Block { base_fee: u128 },
    /// Remove the `pick`-th accepted hash (modulo their number).
    Remove { pick: usize },
    /// Fund or drain a sender outside the pool.
    SetBalance { sender: u8, balance: u128 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..SENDERS, 0u64..7, 1u128..20, 0u128..20, 21_000u64..90_000, 0u128..3)
            .prop_map(|(sender, offset, fee, tip, gas, value)| Op::Add {
                sender, offset, fee: fee * GWEI, tip: tip.min(fee) * GWEI, gas, value: value * GWEI,
            }),
        2 => (0u128..12).prop_map(|b| Op::Block { base_fee: b * GWEI }),
        1 => any::<usize>().prop_map(|pick| Op::Remove { pick }),
        1 => (0..SENDERS, 0u128..4).prop_map(|(sender, units)| Op::SetBalance {
            sender, balance: units * 200_000 * 10 * GWEI,
        }),
    ]
}

fn config() -> Config {
    Config {
        max_txs: 12,
        max_per_sender: 5,
        max_tx_bytes: 1_024,
        block_gas_limit: 100_000,
        min_priority_fee: 0,
        price_bump_percent: 10,
    }
}

/// Check one `best` result against committed state; panics on violation.
pub(crate) fn check_best(
    best: &[MockTx],
    state: &impl AccountReader,
    max_gas: u64,
    base_fee: u128,
) {
    let mut next: AddressMap<u64> = AddressMap::default();
    let mut seen: HashSet<B256> = HashSet::new();
    let mut gas = 0u64;
    for tx in best {
        assert!(seen.insert(tx.hash), "duplicate in best()");
        let expected = next
            .entry(tx.sender)
            .or_insert_with(|| state.nonce_and_balance(&tx.sender).0);
        assert_eq!(
            tx.nonce, *expected,
            "best() broke nonce order for {}",
            tx.sender
        );
        *expected += 1;
        assert!(
            tx.max_fee >= base_fee,
            "best() yielded a tx below the base fee"
        );
        gas += tx.gas_limit;
    }
    assert!(gas <= max_gas, "best() exceeded the gas budget");
}

fn check_counts(p: &Mempool<MockTx>) {
    p.check_invariants();
    assert!(p.len() <= config().max_txs, "len {} above max_txs", p.len());
    assert_eq!(p.pending_count() + p.queued_count(), p.len());
}

fn run(ops: Vec<Op>) {
    let p = pool(config());
    let mut state = MockState::default();
    for s in 0..SENDERS {
        state.set(s, 0, 4 * 200_000 * 10 * GWEI);
    }
    let mut accepted: Vec<B256> = Vec::new();
    for op in ops {
        match op {
            Op::Add {
                sender,
                offset,
                fee,
                tip,
                gas,
                value,
            } => {
                let nonce = (state.nonce_and_balance(&addr(sender)).0 + offset).saturating_sub(1);
                let tx = MockTx::new(sender, nonce, 0)
                    .fees(fee, tip)
                    .gas(gas)
                    .value(value);
                if p.add(tx.clone(), &state, 0).is_ok() {
                    accepted.push(tx.hash);
                }
            }
            Op::Block { base_fee } => {
                let block = p.best(BLOCK_GAS, base_fee);
                check_best(&block, &state, BLOCK_GAS, base_fee);
                let mut touched = Vec::new();
                for tx in &block {
                    let (nonce, balance) = state.nonce_and_balance(&tx.sender);
                    let spent = tx.gas_limit as u128 * tx.max_fee + tx.value.to::<u128>();
                    let balance = balance.to::<u128>().checked_sub(spent).expect("overspent");
                    state.set(tx.sender.0[19], nonce + 1, balance);
                    touched.push(tx.sender);
                }
                p.on_block_committed(&state, &touched);
                for tx in &block {
                    assert!(!p.contains(&tx.hash), "executed tx still pooled");
                }
            }
            Op::Remove { pick } => {
                if !accepted.is_empty() {
                    let hash = accepted[pick % accepted.len()];
                    p.remove(&[hash]);
                    assert!(!p.contains(&hash));
                }
            }
            Op::SetBalance { sender, balance } => {
                let nonce = state.nonce_and_balance(&addr(sender)).0;
                state.set(sender, nonce, balance);
                p.on_block_committed(&state, &[addr(sender)]);
            }
        }
        check_counts(&p);
        for base_fee in [0, 5 * GWEI] {
            for max_gas in [MIN_TX_GAS, BLOCK_GAS, u64::MAX] {
                check_best(&p.best(max_gas, base_fee), &state, max_gas, base_fee);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_operations_keep_best_valid_and_pool_bounded(
        ops in proptest::collection::vec(op(), 1..120)
    ) {
        run(ops);
    }
}
