//! Store all pooled transactions by sender and by hash, with counters and the eviction index.

use crate::{
    ordering::{EvictKey, EvictionIndex},
    sender::SenderTxs,
    transaction::PooledTx,
    PoolError,
};
use alloy_primitives::{
    map::{AddressMap, B256Map},
    Address, B256, U256,
};

/// Everything behind the pool's lock.
///
/// A sender's entry is *detached* (taken out of the map, index and counters) before it is
/// changed and *attached* again afterwards, which keeps the index and counters exact without
/// tracking every individual mutation.
#[derive(Debug)]
pub(crate) struct PoolState<T> {
    senders: AddressMap<SenderTxs<T>>,
    by_hash: B256Map<(Address, u64)>,
    index: EvictionIndex,
    pending: usize,
}

impl<T> Default for PoolState<T> {
    fn default() -> Self {
        Self {
            senders: AddressMap::default(),
            by_hash: B256Map::default(),
            index: EvictionIndex::default(),
            pending: 0,
        }
    }
}

impl<T> PoolState<T> {
    pub(crate) fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub(crate) fn pending_count(&self) -> usize {
        self.pending
    }

    pub(crate) fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash)
    }

    pub(crate) fn get(&self, hash: &B256) -> Option<&PooledTx<T>> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.senders.get(sender)?.get(*nonce)
    }

    pub(crate) fn sender(&self, address: &Address) -> Option<&SenderTxs<T>> {
        self.senders.get(address)
    }

    pub(crate) fn senders(&self) -> impl Iterator<Item = &SenderTxs<T>> {
        self.senders.values()
    }

    /// Take a sender out of the map, index and counters so it can be changed.
    pub(crate) fn detach(&mut self, address: &Address) -> Option<SenderTxs<T>> {
        let txs = self.senders.remove(address)?;
        if let Some(key) = txs.tail_key() {
            self.index.remove(key, *address);
        }
        self.pending = self.pending.saturating_sub(txs.pending_len());
        Some(txs)
    }

    /// Put a (changed) sender back; an empty sender is simply dropped.
    pub(crate) fn attach(&mut self, address: Address, mut txs: SenderTxs<T>) {
        txs.refresh();
        let Some(key) = txs.tail_key() else { return };
        self.index.insert(key, address);
        self.pending = self.pending.saturating_add(txs.pending_len());
        self.senders.insert(address, txs);
    }

    /// Record a transaction newly stored in a (detached) sender.
    pub(crate) fn remember(&mut self, sender: Address, tx: &PooledTx<T>) {
        self.by_hash.insert(tx.hash, (sender, tx.nonce));
    }

    /// Forget transactions removed from a sender.
    pub(crate) fn forget(&mut self, txs: &[PooledTx<T>]) {
        for tx in txs {
            self.by_hash.remove(&tx.hash);
        }
    }

    /// Evict sender tails until one more transaction fits in `max_txs`.
    ///
    /// `own` is the incoming transaction's (detached) sender; its tail is a candidate only if
    /// it comes after the incoming nonce. Fails with [`PoolError::PoolFull`] when the
    /// lowest-ranked candidate does not rank below the incoming transaction.
    pub(crate) fn make_room(
        &mut self,
        max_txs: usize,
        own_address: Address,
        own: &mut SenderTxs<T>,
        incoming: EvictKey,
        incoming_nonce: u64,
    ) -> Result<(), PoolError> {
        while self.len() >= max_txs {
            let own_tail = own
                .tail_nonce()
                .filter(|&n| n > incoming_nonce)
                .and_then(|_| own.tail_key());
            let other = self.index.lowest();
            let evict_own = match (own_tail, other) {
                (Some(own_key), Some((other_key, _))) => own_key < other_key,
                (Some(_), None) => true,
                (None, _) => false,
            };
            let victim_key = if evict_own {
                own_tail
            } else {
                other.map(|(k, _)| k)
            };
            if victim_key.is_none_or(|k| k >= incoming) {
                return Err(PoolError::PoolFull);
            }
            if evict_own {
                let evicted: Vec<_> = own.pop_tail().into_iter().collect();
                own.refresh();
                self.log_evicted(own_address, &evicted);
                self.forget(&evicted);
            } else if let Some((_, address)) = other {
                let Some(mut txs) = self.detach(&address) else {
                    return Err(PoolError::PoolFull);
                };
                let evicted: Vec<_> = txs.pop_tail().into_iter().collect();
                self.attach(address, txs);
                self.log_evicted(address, &evicted);
                self.forget(&evicted);
            }
        }
        Ok(())
    }

    fn log_evicted(&self, sender: Address, evicted: &[PooledTx<T>]) {
        for tx in evicted {
            tracing::debug!(target: "mempool", %sender, nonce = tx.nonce, hash = %tx.hash, "evicted");
        }
    }

    /// Remove transactions by hash; unknown hashes are ignored.
    pub(crate) fn remove_hashes(&mut self, hashes: &[B256]) -> Vec<PooledTx<T>> {
        let mut by_sender: AddressMap<Vec<u64>> = AddressMap::default();
        for hash in hashes {
            if let Some(&(sender, nonce)) = self.by_hash.get(hash) {
                by_sender.entry(sender).or_default().push(nonce);
            }
        }
        let mut removed = Vec::with_capacity(hashes.len());
        for (address, nonces) in by_sender {
            let Some(mut txs) = self.detach(&address) else {
                continue;
            };
            removed.extend(nonces.into_iter().filter_map(|n| txs.remove(n)));
            self.attach(address, txs);
        }
        self.forget(&removed);
        removed
    }

    /// Adopt committed account state for a pooled sender: drop used nonces and transactions
    /// the balance can no longer cover, then recompute the pending run. Returns the number of
    /// transactions dropped.
    pub(crate) fn apply_account(&mut self, address: Address, nonce: u64, balance: U256) -> usize {
        let Some(mut txs) = self.detach(&address) else {
            return 0;
        };
        let mut dropped = txs.sync_account(nonce, balance);
        dropped.extend(txs.drop_unaffordable());
        self.attach(address, txs);
        self.forget(&dropped);
        dropped.len()
    }

    /// Check every internal invariant; used by tests after each operation.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let mut total = 0;
        let mut pending = 0;
        for (address, txs) in &self.senders {
            assert!(!txs.is_empty(), "empty sender kept");
            let key = txs.tail_key().expect("non-empty sender has a tail");
            assert!(
                self.index.contains(key, *address),
                "tail missing from eviction index"
            );
            let mut spent = U256::ZERO;
            for tx in txs.iter() {
                assert!(tx.nonce >= txs.state_nonce(), "stale nonce kept");
                assert_eq!(self.by_hash.get(&tx.hash), Some(&(*address, tx.nonce)));
                if tx.nonce < txs.pending_end() {
                    spent += tx.cost;
                }
            }
            assert!(spent <= txs.balance(), "pending run exceeds balance");
            for n in txs.state_nonce()..txs.pending_end() {
                assert!(txs.get(n).is_some(), "gap inside pending run");
            }
            total += txs.len();
            pending += txs.pending_len();
        }
        assert_eq!(total, self.by_hash.len());
        assert_eq!(pending, self.pending);
        assert_eq!(self.index.len(), self.senders.len());
    }
}
