//! The system contracts on the mainnet: their genesis predeploys and an in-memory EVM with
//! the mainnet's precompiles to initialize (and test) them.
//!
//! Contracts are predeployed as runtime code at the fixed addresses of
//! `contracts/src/lib/SystemAddresses.sol`; genesis then runs each `initialize(...)` once
//! and stores the resulting storage, so initializers are locked from block 0, and stakes and
//! registers the chain spec's validators in the Staking contract.

mod genesis;
mod genesis_validators;
mod params;

pub use genesis::{system_alloc, with_system_contracts};
pub use genesis_validators::{registration_digest, with_genesis_validators, GenesisValidator};
pub use params::SystemParams;
pub use spn_execution::{Outcome, Sandbox};

pub mod testkit;
