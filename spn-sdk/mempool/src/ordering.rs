//! Rank transactions: by effective tip to fill a block, by fee to choose what to evict.

use crate::{
    pool_state::PoolState,
    sender::SenderTxs,
    transaction::{PooledTx, MIN_TX_GAS},
};
use alloy_primitives::Address;
use std::{
    cmp::{Ordering, Reverse},
    collections::{BTreeSet, BinaryHeap},
};

/// The next transaction one sender offers, ranked by effective tip, older first on ties.
struct Candidate<'a, T> {
    tip: u128,
    tx: &'a PooledTx<T>,
    sender: &'a SenderTxs<T>,
}

impl<T> Candidate<'_, T> {
    fn rank(&self) -> (u128, Reverse<u64>) {
        (self.tip, Reverse(self.tx.seq))
    }
}

impl<T> PartialEq for Candidate<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.rank() == other.rank()
    }
}

impl<T> Eq for Candidate<'_, T> {}

impl<T> PartialOrd for Candidate<'_, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Candidate<'_, T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// The sender's pending transaction at `nonce`, if it can pay `base_fee`.
fn candidate<T>(sender: &SenderTxs<T>, nonce: u64, base_fee: u128) -> Option<Candidate<'_, T>> {
    if nonce >= sender.pending_end() {
        return None;
    }
    let tx = sender.get(nonce)?;
    let tip = tx.effective_tip(base_fee)?;
    Some(Candidate { tip, tx, sender })
}

/// Pending transactions in an order that is valid per sender (consecutive nonces from the
/// account nonce) and greedy across senders by effective tip at `base_fee`.
///
/// A sender whose next transaction cannot pay `base_fee`, or does not fit the remaining gas,
/// contributes nothing further (its later nonces depend on it). Selection stops when less than
/// [`MIN_TX_GAS`] remains. Cost: `O(S + B log S)` for `S` senders and `B` selected
/// transactions.
pub(crate) fn best_transactions<T: Clone>(
    state: &PoolState<T>,
    max_gas: u64,
    base_fee: u128,
) -> Vec<T> {
    let seeds: Vec<_> = state
        .senders()
        .filter_map(|s| candidate(s, s.state_nonce(), base_fee))
        .collect();
    let mut heap = BinaryHeap::from(seeds);
    let room = usize::try_from(max_gas / MIN_TX_GAS).unwrap_or(usize::MAX);
    let mut selected = Vec::with_capacity(room.min(state.pending_count()));
    let mut gas_left = max_gas;
    while gas_left >= MIN_TX_GAS {
        let Some(next) = heap.pop() else { break };
        let Some(rest) = gas_left.checked_sub(next.tx.gas_limit) else {
            continue;
        };
        gas_left = rest;
        selected.push(next.tx.tx.clone());
        if let Some(after) = next.tx.nonce.checked_add(1) {
            if let Some(follow) = candidate(next.sender, after, base_fee) {
                heap.push(follow);
            }
        }
    }
    selected
}

/// Eviction rank of a transaction: smaller is evicted first.
///
/// Queued transactions go before pending ones; then lower priority fee, then lower fee cap,
/// then the newer arrival. The rank is independent of the base fee so the index never needs
/// rebuilding when the base fee moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EvictKey {
    pending: bool,
    priority_fee: u128,
    max_fee: u128,
    age: Reverse<u64>,
}

impl EvictKey {
    pub(crate) fn new<T>(tx: &PooledTx<T>, pending: bool) -> Self {
        Self {
            pending,
            priority_fee: tx.priority_fee,
            max_fee: tx.max_fee,
            age: Reverse(tx.seq),
        }
    }
}

/// One entry per sender: the rank of its tail (highest-nonce) transaction. Evicting only tails
/// keeps every sender's pending run gap-free.
#[derive(Debug, Default)]
pub(crate) struct EvictionIndex {
    tails: BTreeSet<(EvictKey, Address)>,
}

impl EvictionIndex {
    pub(crate) fn insert(&mut self, key: EvictKey, sender: Address) {
        self.tails.insert((key, sender));
    }

    pub(crate) fn remove(&mut self, key: EvictKey, sender: Address) {
        self.tails.remove(&(key, sender));
    }

    /// Lowest-ranked tail.
    pub(crate) fn lowest(&self) -> Option<(EvictKey, Address)> {
        self.tails.first().copied()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.tails.len()
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, key: EvictKey, sender: Address) -> bool {
        self.tails.contains(&(key, sender))
    }
}
