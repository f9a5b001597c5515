//! Check that RPC threads and a block producer can share one pool behind an `Arc`.

use super::{
    mock::{addr, config, MockState, MockTx, GWEI},
    property_tests::check_best,
};
use crate::{AccountReader, Mempool};
use alloy_primitives::{Address, U256};
use parking_lot::RwLock;
use std::{sync::Arc, thread};

/// Committed state that the producer updates while adders read it.
#[derive(Default)]
struct SharedState(RwLock<MockState>);

impl AccountReader for SharedState {
    fn nonce_and_balance(&self, address: &Address) -> (u64, U256) {
        let answer = self.0.read().nonce_and_balance(address);
        // Widen the window in which a block can commit between this read and the pool lock.
        thread::yield_now();
        answer
    }
}

#[test]
fn adders_and_producer_share_the_pool_without_losing_consistency() {
    let pool = Arc::new(Mempool::<MockTx>::new(config()));
    let state = Arc::new(SharedState::default());
    let adders: Vec<_> = (0..2u8)
        .map(|t| {
            let (pool, state) = (Arc::clone(&pool), Arc::clone(&state));
            thread::spawn(move || {
                for round in 0..300u64 {
                    for s in 0..4u8 {
                        let sender = t * 4 + s;
                        let next = state.nonce_and_balance(&addr(sender)).0;
                        let nonce = next + round % 3;
                        let _ = pool.add(
                            MockTx::new(sender, nonce, GWEI + u128::from(round)),
                            &*state,
                            0,
                        );
                    }
                }
            })
        })
        .collect();
    let producer = {
        let (pool, state) = (Arc::clone(&pool), Arc::clone(&state));
        thread::spawn(move || {
            for _ in 0..200 {
                let block = pool.best(10 * 21_000, 0);
                let mut touched = Vec::new();
                {
                    let mut s = state.0.write();
                    for tx in &block {
                        let (nonce, _) = s.nonce_and_balance(&tx.sender);
                        assert_eq!(tx.nonce, nonce, "producer got an out-of-order nonce");
                        s.set_nonce(tx.sender.0[19], nonce + 1);
                        touched.push(tx.sender);
                    }
                }
                pool.on_block_committed(&*state, &touched);
                thread::yield_now();
            }
        })
    };
    for handle in adders {
        handle.join().expect("adder thread");
    }
    producer.join().expect("producer thread");

    pool.check_invariants();
    // Every state change was reported, so no add may have installed stale account state.
    check_best(&pool.best(u64::MAX, 0), &*state, u64::MAX, 0);
}

/// Reader whose first answer is a snapshot taken just before a block commits: it reports the
/// commit to the pool and then returns the stale snapshot, as a slow RPC thread would see it.
struct RacingReader {
    pool: Arc<Mempool<MockTx>>,
    stale: MockState,
    fresh: MockState,
    calls: std::sync::atomic::AtomicUsize,
}

impl AccountReader for RacingReader {
    fn nonce_and_balance(&self, address: &Address) -> (u64, U256) {
        if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            self.pool.on_block_committed(&self.fresh, &[*address]);
            return self.stale.nonce_and_balance(address);
        }
        self.fresh.nonce_and_balance(address)
    }
}

#[test]
fn add_racing_a_block_commit_rereads_account_state() {
    let pool = Arc::new(Mempool::<MockTx>::new(config()));
    let stale = MockState::default();
    pool.add(MockTx::new(1, 0, GWEI), &stale, 0)
        .expect("first add");
    let mut fresh = stale.clone();
    fresh.set_nonce(1, 1);
    let reader = RacingReader {
        pool: Arc::clone(&pool),
        stale,
        fresh,
        calls: Default::default(),
    };
    // Nonce 0 was just executed; the stale snapshot would let a second nonce-0 in.
    let err = pool
        .add(MockTx::new(1, 0, 2 * GWEI), &reader, 0)
        .unwrap_err();
    assert!(err.to_string().starts_with("nonce too low"), "got {err}");
    assert!(pool.is_empty());
    pool.check_invariants();
}
