//! Define the Pharos mainnet: its chain spec, dev accounts and node configuration.

pub mod cli;
pub mod config;
pub mod dev;
pub mod precompiles;
pub mod system;

pub use dev::{dev_chain_spec, DevAccount, DEV_ACCOUNTS, DEV_CHAIN_ID, DEV_MNEMONIC};
