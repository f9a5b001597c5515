//! The parameters the system contracts are initialized with at genesis.

use spn_primitives::U256;

const ETHER: u128 = 1_000_000_000_000_000_000;

/// Initial settings of the system contracts (docs/system-contracts.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemParams {
    /// Seconds between `Staking.unbond` and the native payout.
    pub staking_unbonding_delay: u64,
    /// Bonded stake an account needs to be in the validator set.
    pub min_validator_stake: U256,
    /// Seconds between `Restaking.unstake` and `withdraw`.
    pub restaking_unbonding_delay: u64,
    /// Seconds between an SPN owner's parameter proposal and its effect.
    pub param_delay: u64,
    /// The least restaked stake any SPN may set as its minimum.
    pub min_spn_stake: U256,
    /// The bond a forced-withdrawal request carries (returned when settled).
    pub force_bond: U256,
}

impl SystemParams {
    /// The public network's settings: week-long unbonding, a day's notice for parameters.
    pub fn production() -> Self {
        Self {
            staking_unbonding_delay: 7 * 24 * 3600,
            min_validator_stake: U256::from(32 * ETHER),
            restaking_unbonding_delay: 7 * 24 * 3600,
            param_delay: 24 * 3600,
            min_spn_stake: U256::from(32 * ETHER),
            force_bond: U256::from(ETHER / 10),
        }
    }

    /// The dev chain's settings: minute-long delays so every flow can be rehearsed locally.
    pub fn dev() -> Self {
        Self {
            staking_unbonding_delay: 60,
            min_validator_stake: U256::from(ETHER),
            restaking_unbonding_delay: 600,
            param_delay: 60,
            min_spn_stake: U256::from(ETHER),
            force_bond: U256::from(ETHER / 100),
        }
    }
}
