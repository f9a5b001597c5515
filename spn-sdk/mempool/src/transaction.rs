//! Describe what the pool needs from a transaction and check what needs no state.

use crate::{Config, PoolError};
use alloy_primitives::{Address, B256, U256};

/// Gas of a plain value transfer; no transaction may ask for less.
pub const MIN_TX_GAS: u64 = 21_000;

/// A signed transaction whose sender has already been recovered and checked.
///
/// The pool calls each method once on entry and caches the answers, so implementations may
/// compute them (the hash, for instance) without hurting the hot path.
pub trait PoolTransaction: Clone + Send + Sync + 'static {
    /// Transaction hash, unique per transaction.
    fn hash(&self) -> B256;
    /// Recovered sender (the signature is checked before the pool sees the transaction).
    fn sender(&self) -> Address;
    /// Sender nonce.
    fn nonce(&self) -> u64;
    /// Gas limit.
    fn gas_limit(&self) -> u64;
    /// Fee cap per gas; the gas price for legacy and EIP-2930 transactions.
    fn max_fee_per_gas(&self) -> u128;
    /// Priority fee cap per gas; the gas price for legacy and EIP-2930 transactions.
    fn max_priority_fee_per_gas(&self) -> u128;
    /// Most the transaction can take from the sender: `value + gas_limit * max_fee_per_gas`.
    fn cost(&self) -> U256;
    /// Length of the network encoding, in bytes.
    fn encoded_len(&self) -> usize;
}

/// Read access to the latest committed account state.
pub trait AccountReader {
    /// Next nonce and balance of `address` (zero for an unknown account).
    fn nonce_and_balance(&self, address: &Address) -> (u64, U256);
}

/// A pooled transaction with the fields used for ordering cached next to it.
#[derive(Debug, Clone)]
pub(crate) struct PooledTx<T> {
    pub(crate) tx: T,
    pub(crate) hash: B256,
    pub(crate) nonce: u64,
    pub(crate) gas_limit: u64,
    pub(crate) max_fee: u128,
    pub(crate) priority_fee: u128,
    pub(crate) cost: U256,
    /// Arrival order; older wins ties in ordering and survives ties in eviction.
    pub(crate) seq: u64,
}

impl<T: PoolTransaction> PooledTx<T> {
    pub(crate) fn new(tx: T, seq: u64) -> Self {
        Self {
            hash: tx.hash(),
            nonce: tx.nonce(),
            gas_limit: tx.gas_limit(),
            max_fee: tx.max_fee_per_gas(),
            priority_fee: tx.max_priority_fee_per_gas(),
            cost: tx.cost(),
            seq,
            tx,
        }
    }
}

impl<T> PooledTx<T> {
    /// Tip the block producer earns per gas at `base_fee`, or `None` when the fee cap is below
    /// the base fee (the transaction cannot be included yet).
    pub(crate) fn effective_tip(&self, base_fee: u128) -> Option<u128> {
        let headroom = self.max_fee.checked_sub(base_fee)?;
        Some(self.priority_fee.min(headroom))
    }
}

/// Check size, gas limit and fee fields; these need neither the pool nor account state.
pub(crate) fn check_stateless<T>(
    config: &Config,
    tx: &PooledTx<T>,
    encoded_len: usize,
) -> Result<(), PoolError> {
    if encoded_len > config.max_tx_bytes {
        return Err(PoolError::OversizedData {
            size: encoded_len,
            limit: config.max_tx_bytes,
        });
    }
    if tx.nonce == u64::MAX {
        return Err(PoolError::NonceMax);
    }
    if tx.gas_limit > config.block_gas_limit {
        return Err(PoolError::ExceedsBlockGasLimit);
    }
    if tx.gas_limit < MIN_TX_GAS {
        return Err(PoolError::IntrinsicGasTooLow {
            gas_limit: tx.gas_limit,
            minimum: MIN_TX_GAS,
        });
    }
    if tx.priority_fee > tx.max_fee {
        return Err(PoolError::TipAboveFeeCap);
    }
    if tx.priority_fee < config.min_priority_fee {
        return Err(PoolError::Underpriced {
            tip: tx.priority_fee,
            minimum: config.min_priority_fee,
        });
    }
    Ok(())
}

/// Whether `new` may replace `old` (same sender and nonce): both the fee cap and the priority
/// fee must be strictly higher and at least `bump_percent` above the old values.
pub(crate) fn is_sufficient_bump<T>(
    old: &PooledTx<T>,
    new: &PooledTx<T>,
    bump_percent: u64,
) -> bool {
    raised_enough(old.max_fee, new.max_fee, bump_percent)
        && raised_enough(old.priority_fee, new.priority_fee, bump_percent)
}

/// `new > old && new >= old * (100 + bump) / 100`, computed without overflow.
fn raised_enough(old: u128, new: u128, bump_percent: u64) -> bool {
    if new <= old {
        return false;
    }
    // u128 * (100 + u64) fits comfortably in 256 bits.
    let factor = U256::from(bump_percent).saturating_add(U256::from(100u8));
    let threshold = U256::from(old).saturating_mul(factor) / U256::from(100u8);
    U256::from(new) >= threshold
}

#[cfg(test)]
mod unit {
    use super::raised_enough;

    #[test]
    fn bump_threshold_is_inclusive_and_strict() {
        assert!(raised_enough(100, 110, 10));
        assert!(!raised_enough(100, 109, 10));
        assert!(!raised_enough(0, 0, 10));
        assert!(raised_enough(0, 1, 10));
        assert!(!raised_enough(5, 5, 0));
        assert!(raised_enough(u128::MAX - 1, u128::MAX, 0));
        assert!(!raised_enough(u128::MAX / 2, u128::MAX, 200));
    }
}
