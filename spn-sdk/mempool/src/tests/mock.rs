//! Provide a minimal transaction type and account state for tests.

use crate::{AccountReader, Config, Mempool, PoolTransaction};
use alloy_primitives::{keccak256, map::AddressMap, Address, B256, U256};
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) const GWEI: u128 = 1_000_000_000;

/// Distinct hashes even for otherwise identical transactions.
static SALT: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MockTx {
    pub hash: B256,
    pub sender: Address,
    pub nonce: u64,
    pub gas_limit: u64,
    pub max_fee: u128,
    pub priority_fee: u128,
    pub value: U256,
    pub size: usize,
}

impl MockTx {
    /// 21000-gas transfer of nothing at `fee` (legacy-style: both fee fields equal).
    pub fn new(sender: u8, nonce: u64, fee: u128) -> Self {
        let salt = SALT.fetch_add(1, Ordering::Relaxed);
        Self {
            hash: keccak256(salt.to_be_bytes()),
            sender: addr(sender),
            nonce,
            gas_limit: 21_000,
            max_fee: fee,
            priority_fee: fee,
            value: U256::ZERO,
            size: 120,
        }
    }

    /// EIP-1559 fees: fee cap `max_fee`, priority fee `tip`.
    pub fn fees(mut self, max_fee: u128, tip: u128) -> Self {
        self.max_fee = max_fee;
        self.priority_fee = tip;
        self
    }

    pub fn gas(mut self, gas_limit: u64) -> Self {
        self.gas_limit = gas_limit;
        self
    }

    pub fn value(mut self, value: u128) -> Self {
        self.value = U256::from(value);
        self
    }

    pub fn size(mut self, size: usize) -> Self {
        self.size = size;
        self
    }
}

impl PoolTransaction for MockTx {
    fn hash(&self) -> B256 {
        self.hash
    }
    fn sender(&self) -> Address {
        self.sender
    }
    fn nonce(&self) -> u64 {
        self.nonce
    }
    fn gas_limit(&self) -> u64 {
        self.gas_limit
    }
    fn max_fee_per_gas(&self) -> u128 {
        self.max_fee
    }
    fn max_priority_fee_per_gas(&self) -> u128 {
        self.priority_fee
    }
    fn cost(&self) -> U256 {
        U256::from(self.gas_limit)
            .saturating_mul(U256::from(self.max_fee))
            .saturating_add(self.value)
    }
    fn encoded_len(&self) -> usize {
        self.size
    }
}

pub(crate) fn addr(n: u8) -> Address {
    Address::with_last_byte(n)
}

/// Committed account state; unknown accounts are rich with nonce 0.
#[derive(Debug, Default, Clone)]
pub(crate) struct MockState {
    accounts: AddressMap<(u64, U256)>,
}

pub(crate) const RICH: u128 = 1_000_000 * GWEI * GWEI;

impl MockState {
    pub fn set(&mut self, sender: u8, nonce: u64, balance: u128) {
        self.accounts
            .insert(addr(sender), (nonce, U256::from(balance)));
    }

    pub fn set_nonce(&mut self, sender: u8, nonce: u64) {
        let (_, balance) = self.nonce_and_balance(&addr(sender));
        self.accounts.insert(addr(sender), (nonce, balance));
    }
}

impl AccountReader for MockState {
    fn nonce_and_balance(&self, address: &Address) -> (u64, U256) {
        self.accounts
            .get(address)
            .copied()
            .unwrap_or((0, U256::from(RICH)))
    }
}

pub(crate) fn config() -> Config {
    Config {
        max_txs: 1_000,
        max_per_sender: 16,
        max_tx_bytes: 1_024,
        block_gas_limit: 1_000_000,
        min_priority_fee: 1,
        price_bump_percent: 10,
    }
}

pub(crate) fn pool(config: Config) -> Mempool<MockTx> {
    Mempool::new(config)
}

/// `(sender byte, nonce)` of each transaction, for compact assertions.
pub(crate) fn ids(txs: &[MockTx]) -> Vec<(u8, u64)> {
    txs.iter().map(|t| (t.sender.0[19], t.nonce)).collect()
}
