//! An SPN's genesis: its funded accounts and the SPN-side Mailbox and Bridge, initialized.

use crate::SpnConfig;
use alloy_sol_types::SolCall;
use pharos_contracts::{self as sc, spn_bridge::SpnBridge, spn_mailbox::SpnMailbox};
use spn_execution::{predeploy, NoExtensions, Predeploy};
use spn_primitives::{Bytes, ChainSpec, GenesisAccount, U256};
use std::sync::Arc;

/// The chain spec of the SPN `config` describes.
pub fn spn_chain_spec(config: &SpnConfig) -> Result<ChainSpec, String> {
    let chain_id = u64::from(config.spn_id);
    let mainnet = config.mainnet_chain_id as u32;
    let twins = [
        Predeploy {
            name: "SpnMailbox",
            address: sc::SPN_MAILBOX,
            code: Bytes::from_static(&SpnMailbox::DEPLOYED_BYTECODE),
            init: Some(
                SpnMailbox::initializeCall::new((
                    config.spn_id,
                    mainnet,
                    U256::from(config.handle_gas),
                ))
                .abi_encode()
                .into(),
            ),
        },
        Predeploy {
            name: "SpnBridge",
            address: sc::SPN_BRIDGE,
            code: Bytes::from_static(&SpnBridge::DEPLOYED_BYTECODE),
            init: Some(
                SpnBridge::initializeCall::new((mainnet,))
                    .abi_encode()
                    .into(),
            ),
        },
    ];
    let mut alloc = predeploy(chain_id, 0, Arc::new(NoExtensions), &twins)?;
    for (address, balance) in &config.alloc {
        alloc.entry(*address).or_insert(GenesisAccount {
            balance: *balance,
            ..Default::default()
        });
    }
    let spec = ChainSpec {
        name: config.name.clone(),
        chain_id,
        gas_limit: config.gas_limit,
        initial_base_fee: 1_000_000_000,
        genesis_timestamp: 0,
        extra_data: Default::default(),
        validators: Vec::new(),
        alloc,
    };
    spec.validate().map_err(|e| e.to_string())?;
    Ok(spec)
}
