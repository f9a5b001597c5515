//! Keep one sender's transactions in nonce order and split them into pending and queued.

use crate::{ordering::EvictKey, transaction::PooledTx};
use alloy_primitives::U256;
use std::collections::BTreeMap;

/// One sender's pooled transactions plus the account state they were checked against.
///
/// Invariants (restored by [`SenderTxs::refresh`]): no transaction has a nonce below
/// `state_nonce`; `pending_end` is the first nonce after the consecutive run starting at
/// `state_nonce` whose cumulative cost fits the balance.
#[derive(Debug)]
pub(crate) struct SenderTxs<T> {
    state_nonce: u64,
    balance: U256,
    txs: BTreeMap<u64, PooledTx<T>>,
    pending_end: u64,
}

impl<T> SenderTxs<T> {
    pub(crate) fn new(state_nonce: u64, balance: U256) -> Self {
        Self {
            state_nonce,
            balance,
            txs: BTreeMap::new(),
            pending_end: state_nonce,
        }
    }

    pub(crate) fn state_nonce(&self) -> u64 {
        self.state_nonce
    }

    pub(crate) fn balance(&self) -> U256 {
        self.balance
    }

    /// First nonce after the pending run.
    pub(crate) fn pending_end(&self) -> u64 {
        self.pending_end
    }

    pub(crate) fn len(&self) -> usize {
        self.txs.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    pub(crate) fn pending_len(&self) -> usize {
        usize::try_from(self.pending_end.saturating_sub(self.state_nonce)).unwrap_or(usize::MAX)
    }

    pub(crate) fn get(&self, nonce: u64) -> Option<&PooledTx<T>> {
        self.txs.get(&nonce)
    }

    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &PooledTx<T>> {
        self.txs.values()
    }

    /// Adopt newer committed account state; stale (older-nonce) state is ignored so a slow
    /// reader can never move the pool backwards. Returns transactions whose nonce is now used.
    pub(crate) fn sync_account(&mut self, nonce: u64, balance: U256) -> Vec<PooledTx<T>> {
        if nonce < self.state_nonce {
            return Vec::new();
        }
        self.state_nonce = nonce;
        self.balance = balance;
        if self
            .txs
            .first_key_value()
            .is_none_or(|(&first, _)| first >= nonce)
        {
            return Vec::new();
        }
        let kept = self.txs.split_off(&nonce);
        let mined = std::mem::replace(&mut self.txs, kept);
        mined.into_values().collect()
    }

    /// Drop transactions that cost more than the whole balance; they cannot execute until the
    /// account is funded again, and Ethereum clients drop them too.
    pub(crate) fn drop_unaffordable(&mut self) -> Vec<PooledTx<T>> {
        let balance = self.balance;
        let doomed: Vec<u64> = self
            .txs
            .values()
            .filter(|t| t.cost > balance)
            .map(|t| t.nonce)
            .collect();
        doomed
            .into_iter()
            .filter_map(|n| self.txs.remove(&n))
            .collect()
    }

    /// Sum of the costs of pooled transactions with a nonce below `nonce`, or `None` on
    /// overflow (which no balance can cover).
    pub(crate) fn cost_before(&self, nonce: u64) -> Option<U256> {
        self.txs
            .range(..nonce)
            .try_fold(U256::ZERO, |sum, (_, t)| sum.checked_add(t.cost))
    }

    /// Insert `tx`, returning the transaction it replaced (same nonce), if any.
    pub(crate) fn insert(&mut self, tx: PooledTx<T>) -> Option<PooledTx<T>> {
        self.txs.insert(tx.nonce, tx)
    }

    pub(crate) fn remove(&mut self, nonce: u64) -> Option<PooledTx<T>> {
        self.txs.remove(&nonce)
    }

    /// Remove the highest-nonce transaction (never opens a gap below it).
    pub(crate) fn pop_tail(&mut self) -> Option<PooledTx<T>> {
        self.txs.pop_last().map(|(_, t)| t)
    }

    /// Recompute the pending run: consecutive nonces from `state_nonce` whose cumulative cost
    /// fits the balance. Cost is `O(pending run)`.
    pub(crate) fn refresh(&mut self) {
        let mut next = self.state_nonce;
        let mut spent = U256::ZERO;
        for (&nonce, tx) in self.txs.range(self.state_nonce..) {
            if nonce != next {
                break;
            }
            match spent.checked_add(tx.cost) {
                Some(total) if total <= self.balance => spent = total,
                _ => break,
            }
            // Nonces below u64::MAX are enforced on entry, so this cannot saturate in practice.
            next = next.saturating_add(1);
        }
        self.pending_end = next;
    }

    /// Eviction key of the highest-nonce transaction, the only one that may be evicted.
    pub(crate) fn tail_key(&self) -> Option<EvictKey> {
        let (_, tail) = self.txs.last_key_value()?;
        Some(EvictKey::new(tail, tail.nonce < self.pending_end))
    }

    /// Nonce of the highest-nonce transaction.
    pub(crate) fn tail_nonce(&self) -> Option<u64> {
        self.txs.last_key_value().map(|(&n, _)| n)
    }
}
