//! Define the Pharos mainnet: its chain spec and genesis validators, its `bft` validator sets
//! and slashing reports, dev accounts, local testnets and node configuration.

pub mod cli;
pub mod config;
pub mod consensus;
pub mod dev;
pub mod evidence;
pub mod keys;
pub mod light_client;
#[cfg(test)]
mod light_client_tests;
pub mod mailbox_proof;
#[cfg(test)]
mod mailbox_proof_tests;
pub mod precompiles;
mod run;
pub mod spec;
pub mod system;
pub mod testnet;
pub mod validators;

pub use dev::{dev_chain_spec, DevAccount, DEV_ACCOUNTS, DEV_CHAIN_ID, DEV_MNEMONIC};
