//! Predeploy the system contracts: runtime code at the fixed addresses, initializers run once.

use super::{Sandbox, SystemParams};
use alloy_sol_types::SolCall;
use eyre::{eyre, Result};
use pharos_contracts as sc;
use spn_primitives::{Address, Bytes, ChainSpec, GenesisAccount, U256};
use std::collections::BTreeMap;

/// The genesis accounts of every mainnet system contract for `chain_id`, initialized with
/// `params`: code, and the storage their initializers wrote (which locks them).
pub fn system_alloc(
    chain_id: u64,
    timestamp: u64,
    params: &SystemParams,
) -> Result<BTreeMap<Address, GenesisAccount>> {
    let mut sandbox = Sandbox::new(chain_id, timestamp);
    for (_, address, code) in sc::mainnet_system_contracts() {
        sandbox.put_account(
            address,
            &GenesisAccount {
                nonce: 1,
                code: Some(Bytes::from_static(code)),
                ..Default::default()
            },
        );
    }
    let inits: [(&str, Address, Vec<u8>); 7] = [
        (
            "Staking",
            sc::STAKING,
            sc::staking::Staking::initializeCall::new((
                U256::from(params.staking_unbonding_delay),
                params.min_validator_stake,
            ))
            .abi_encode(),
        ),
        (
            "Restaking",
            sc::RESTAKING,
            sc::restaking::Restaking::initializeCall::new((U256::from(
                params.restaking_unbonding_delay,
            ),))
            .abi_encode(),
        ),
        (
            "Registry",
            sc::REGISTRY,
            sc::registry::Registry::initializeCall::new(()).abi_encode(),
        ),
        (
            "Management",
            sc::MANAGEMENT,
            sc::management::Management::initializeCall::new((
                U256::from(params.param_delay),
                params.min_spn_stake,
            ))
            .abi_encode(),
        ),
        (
            "Adaptor",
            sc::ADAPTOR,
            sc::adaptor::Adaptor::initializeCall::new(()).abi_encode(),
        ),
        (
            "Mailbox",
            sc::MAILBOX,
            sc::mailbox::Mailbox::initializeCall::new(()).abi_encode(),
        ),
        (
            "Bridge",
            sc::BRIDGE,
            sc::bridge::Bridge::initializeCall::new((params.force_bond,)).abi_encode(),
        ),
    ];
    for (name, address, data) in inits {
        let out = sandbox.transact(Address::ZERO, address, U256::ZERO, data.into());
        if !out.success {
            return Err(eyre!("genesis: {name}.initialize failed: {}", out.output));
        }
    }
    Ok(sc::mainnet_system_contracts()
        .into_iter()
        .map(|(_, address, code)| {
            let account = GenesisAccount {
                nonce: 1,
                code: Some(Bytes::from_static(code)),
                storage: sandbox.storage(address),
                ..Default::default()
            };
            (address, account)
        })
        .collect())
}

/// `spec` with the system contracts added to its allocation. Accounts the spec already
/// holds at a system address are kept (a data directory's saved `chain.toml` has them).
pub fn with_system_contracts(mut spec: ChainSpec, params: &SystemParams) -> Result<ChainSpec> {
    for (address, account) in system_alloc(spec.chain_id, spec.genesis_timestamp, params)? {
        spec.alloc.entry(address).or_insert(account);
    }
    Ok(spec)
}
