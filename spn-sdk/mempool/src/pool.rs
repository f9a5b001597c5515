//! Expose the thread-safe pool: add, select, commit, remove and query.

use crate::{
    ordering::{best_transactions, EvictKey},
    pool_state::PoolState,
    sender::SenderTxs,
    transaction::{check_stateless, is_sufficient_bump, PooledTx},
    AccountReader, AddOutcome, Config, PoolError, PoolTransaction,
};
use alloy_primitives::{Address, B256, U256};
use parking_lot::RwLock;
use std::{
    fmt,
    sync::atomic::{AtomicU64, Ordering},
};

/// Pool of transactions waiting for a block, shared behind an `Arc`.
///
/// Reads ([`best`](Self::best), [`get`](Self::get), counters) take a shared lock; changes take
/// an exclusive one. Account state is read before the lock is taken.
pub struct Mempool<T> {
    config: Config,
    state: RwLock<PoolState<T>>,
    /// Bumped whenever committed state moves, so `add` can tell that its account read raced
    /// with a block commit and must be repeated.
    epoch: AtomicU64,
    /// Arrival counter; older transactions win ordering ties.
    seq: AtomicU64,
}

impl<T> fmt::Debug for Mempool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.read();
        f.debug_struct("Mempool")
            .field("config", &self.config)
            .field("len", &state.len())
            .field("pending", &state.pending_count())
            .finish_non_exhaustive()
    }
}

impl<T: PoolTransaction> Mempool<T> {
    /// Empty pool enforcing `config`.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            state: RwLock::new(PoolState::default()),
            epoch: AtomicU64::new(0),
            seq: AtomicU64::new(0),
        }
    }

    /// Limits and fee rules in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Validate `tx` against the rules and the sender's committed state, then store it.
    ///
    /// A fee cap below `base_fee` is not an error: the transaction waits until the base fee
    /// falls. When the pool is full the lowest-ranked sender tail is evicted, unless the
    /// incoming transaction would itself rank lowest.
    pub fn add(
        &self,
        tx: T,
        accounts: &impl AccountReader,
        base_fee: u128,
    ) -> Result<AddOutcome, PoolError> {
        let sender = tx.sender();
        let encoded_len = tx.encoded_len();
        let incoming = PooledTx::new(tx, self.seq.fetch_add(1, Ordering::Relaxed));
        check_stateless(&self.config, &incoming, encoded_len)?;

        let epoch = self.epoch.load(Ordering::SeqCst);
        let (mut nonce, mut balance) = accounts.nonce_and_balance(&sender);
        let mut state = self.state.write();
        if self.epoch.load(Ordering::SeqCst) != epoch {
            // A block was committed meanwhile; the read above may predate it.
            (nonce, balance) = accounts.nonce_and_balance(&sender);
        }
        if state.contains(&incoming.hash) {
            return Err(PoolError::AlreadyKnown);
        }

        let mut own = state
            .detach(&sender)
            .unwrap_or_else(|| SenderTxs::new(nonce, balance));
        let stale = own.sync_account(nonce, balance);
        own.refresh();
        state.forget(&stale);

        let (hash, tx_nonce, max_fee) = (incoming.hash, incoming.nonce, incoming.max_fee);
        let result = self.insert(&mut state, sender, &mut own, incoming);
        state.attach(sender, own);
        let replaced = result?;

        let pending = state
            .sender(&sender)
            .is_some_and(|s| tx_nonce < s.pending_end());
        tracing::trace!(
            target: "mempool", %sender, nonce = tx_nonce, %hash, pending,
            below_base_fee = max_fee < base_fee, "added"
        );
        Ok(match replaced {
            Some(old) => AddOutcome::Replaced { old },
            None if pending => AddOutcome::Pending,
            None => AddOutcome::Queued,
        })
    }

    /// Stateful checks and insertion into the (detached) sender; returns the replaced hash.
    fn insert(
        &self,
        state: &mut PoolState<T>,
        sender: Address,
        own: &mut SenderTxs<T>,
        tx: PooledTx<T>,
    ) -> Result<Option<B256>, PoolError> {
        let state_nonce = own.state_nonce();
        if tx.nonce < state_nonce {
            return Err(PoolError::NonceTooLow {
                tx_nonce: tx.nonce,
                state_nonce,
            });
        }
        let replacing = match own.get(tx.nonce) {
            Some(old) if !is_sufficient_bump(old, &tx, self.config.price_bump_percent) => {
                return Err(PoolError::ReplacementUnderpriced);
            }
            Some(_) => true,
            None if own.len() >= self.config.max_per_sender => {
                return Err(PoolError::AccountLimitExceeded);
            }
            None => false,
        };

        let balance = own.balance();
        let needed = own
            .cost_before(tx.nonce)
            .and_then(|earlier| earlier.checked_add(tx.cost));
        if needed.is_none_or(|n| n > balance) {
            let overshot = needed.unwrap_or(U256::MAX).saturating_sub(balance);
            return Err(PoolError::InsufficientFunds {
                balance,
                cost: tx.cost,
                overshot,
            });
        }

        if !replacing {
            let key = EvictKey::new(&tx, tx.nonce == own.pending_end());
            state.make_room(self.config.max_txs, sender, own, key, tx.nonce)?;
        }
        state.remember(sender, &tx);
        let old = own.insert(tx);
        if let Some(old) = &old {
            state.forget(std::slice::from_ref(old));
        }
        Ok(old.map(|o| o.hash))
    }

    /// Transactions for the next block, at most `max_gas` in total, in execution order: per
    /// sender by consecutive nonce from the account nonce, across senders by effective tip
    /// `min(max_priority_fee, max_fee - base_fee)` descending. Senders whose next transaction
    /// cannot pay `base_fee` are skipped from that nonce on.
    pub fn best(&self, max_gas: u64, base_fee: u128) -> Vec<T> {
        best_transactions(&self.state.read(), max_gas, base_fee)
    }

    /// Adopt committed state after a block: for each pooled sender in `touched_senders`, drop
    /// transactions whose nonce is used or whose cost exceeds the balance, and promote queued
    /// ones that are now ready. Returns how many transactions were dropped.
    pub fn on_block_committed(
        &self,
        accounts: &impl AccountReader,
        touched_senders: &[Address],
    ) -> usize {
        // Bump first: any `add` that read state before this point re-reads it under the lock.
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let pooled: Vec<Address> = {
            let state = self.state.read();
            touched_senders
                .iter()
                .filter(|a| state.sender(a).is_some())
                .copied()
                .collect()
        };
        let updates: Vec<(Address, (u64, U256))> = pooled
            .into_iter()
            .map(|a| (a, accounts.nonce_and_balance(&a)))
            .collect();
        let senders = updates.len();
        let mut state = self.state.write();
        let dropped = updates
            .into_iter()
            .map(|(address, (nonce, balance))| state.apply_account(address, nonce, balance))
            .sum();
        tracing::debug!(
            target: "mempool", senders, dropped, len = state.len(),
            pending = state.pending_count(), "block committed"
        );
        dropped
    }

    /// Remove transactions by hash (unknown hashes are ignored) and return them. A sender's
    /// later transactions become queued if this opens a nonce gap.
    pub fn remove(&self, hashes: &[B256]) -> Vec<T> {
        let removed = self.state.write().remove_hashes(hashes);
        removed.into_iter().map(|p| p.tx).collect()
    }

    /// The pooled transaction with `hash`.
    pub fn get(&self, hash: &B256) -> Option<T> {
        self.state.read().get(hash).map(|p| p.tx.clone())
    }

    /// Whether a transaction with `hash` is pooled.
    pub fn contains(&self, hash: &B256) -> bool {
        self.state.read().contains(hash)
    }

    /// Number of pooled transactions, pending and queued.
    pub fn len(&self) -> usize {
        self.state.read().len()
    }

    /// Whether the pool holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of transactions ready to execute.
    pub fn pending_count(&self) -> usize {
        self.state.read().pending_count()
    }

    /// Number of transactions waiting behind a nonce gap or for funds.
    pub fn queued_count(&self) -> usize {
        let state = self.state.read();
        state.len().saturating_sub(state.pending_count())
    }

    /// Nonce following the sender's consecutive pending transactions (for
    /// `eth_getTransactionCount(.., "pending")`), or `None` when the sender has none pending.
    pub fn pending_nonce(&self, sender: &Address) -> Option<u64> {
        let state = self.state.read();
        let txs = state.sender(sender)?;
        (txs.pending_len() > 0).then(|| txs.pending_end())
    }

    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        self.state.read().check_invariants();
    }
}
