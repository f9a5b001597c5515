//! Let the engine's recovered transactions live in the pool.

use crate::PoolTransaction;
use alloy_primitives::{Address, B256, U256};
use spn_primitives::RecoveredTx;

impl PoolTransaction for RecoveredTx {
    fn hash(&self) -> B256 {
        self.hash
    }
    fn sender(&self) -> Address {
        self.sender
    }
    fn nonce(&self) -> u64 {
        RecoveredTx::nonce(self)
    }
    fn gas_limit(&self) -> u64 {
        RecoveredTx::gas_limit(self)
    }
    fn max_fee_per_gas(&self) -> u128 {
        RecoveredTx::max_fee_per_gas(self)
    }
    fn max_priority_fee_per_gas(&self) -> u128 {
        RecoveredTx::max_priority_fee_per_gas(self)
    }
    fn cost(&self) -> U256 {
        self.max_cost()
    }
    fn encoded_len(&self) -> usize {
        self.encoded_len
    }
}
