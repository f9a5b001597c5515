//! Predeploy the system contracts: runtime code at the fixed addresses, initializers run once.

use super::SystemParams;
use crate::precompiles::MainnetExtensions;
use alloy_sol_types::SolCall;
use eyre::{eyre, Result};
use pharos_contracts as sc;
use spn_execution::{predeploy, Predeploy};
use spn_primitives::{Address, Bytes, ChainSpec, GenesisAccount, U256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The genesis accounts of every mainnet system contract for `chain_id`, initialized with
/// `params`: code, and the storage their initializers wrote (which locks them).
pub fn system_alloc(
    chain_id: u64,
    timestamp: u64,
    params: &SystemParams,
) -> Result<BTreeMap<Address, GenesisAccount>> {
    let init = |name: &str| -> Option<Bytes> {
        let data = match name {
            "Staking" => sc::staking::Staking::initializeCall::new((
                U256::from(params.staking_unbonding_delay),
                params.min_validator_stake,
            ))
            .abi_encode(),
            "Restaking" => sc::restaking::Restaking::initializeCall::new((U256::from(
                params.restaking_unbonding_delay,
            ),))
            .abi_encode(),
            "Registry" => sc::registry::Registry::initializeCall::new(()).abi_encode(),
            "Management" => sc::management::Management::initializeCall::new((
                U256::from(params.param_delay),
                params.min_spn_stake,
            ))
            .abi_encode(),
            "Adaptor" => sc::adaptor::Adaptor::initializeCall::new(()).abi_encode(),
            "Mailbox" => sc::mailbox::Mailbox::initializeCall::new(()).abi_encode(),
            "Bridge" => sc::bridge::Bridge::initializeCall::new((params.force_bond,)).abi_encode(),
            _ => return None, // the LST has no initializer
        };
        Some(data.into())
    };
    let contracts: Vec<Predeploy> = sc::mainnet_system_contracts()
        .into_iter()
        .map(|(name, address, code)| Predeploy {
            name,
            address,
            code: Bytes::from_static(code),
            init: init(name),
        })
        .collect();
    predeploy(chain_id, timestamp, Arc::new(MainnetExtensions), &contracts)
        .map_err(|e| eyre!("genesis: {e}"))
}

/// `spec` with the system contracts added to its allocation. Accounts the spec already
/// holds at a system address are kept (a data directory's saved `chain.toml` has them).
pub fn with_system_contracts(mut spec: ChainSpec, params: &SystemParams) -> Result<ChainSpec> {
    for (address, account) in system_alloc(spec.chain_id, spec.genesis_timestamp, params)? {
        spec.alloc.entry(address).or_insert(account);
    }
    Ok(spec)
}
