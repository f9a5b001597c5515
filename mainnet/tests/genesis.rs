//! The mainnet genesis predeploys every system contract, initialized and locked.

mod common;

use alloy_sol_types::SolCall;
use common::assert_reverts_with;
use pharos_contracts as sc;
use pharos_mainnet::system::testkit::World;
use pharos_mainnet::system::{system_alloc, SystemParams};
use spn_primitives::{Address, Bytes, U256};

fn artifact_runtime(name: &str) -> Bytes {
    let path = format!(
        "{}/../contracts/artifacts/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["deployedBytecode"].as_str().unwrap().parse().unwrap()
}

#[test]
fn every_system_contract_is_predeployed_at_its_documented_address() {
    let alloc = system_alloc(31337, 0, &SystemParams::dev()).unwrap();
    let expected: [(&str, Address); 8] = [
        (
            "Registry",
            "0x0000000000000000000000000000000000001001"
                .parse()
                .unwrap(),
        ),
        (
            "Management",
            "0x0000000000000000000000000000000000001002"
                .parse()
                .unwrap(),
        ),
        (
            "Staking",
            "0x0000000000000000000000000000000000001003"
                .parse()
                .unwrap(),
        ),
        (
            "LiquidStake",
            "0x0000000000000000000000000000000000001004"
                .parse()
                .unwrap(),
        ),
        (
            "Restaking",
            "0x0000000000000000000000000000000000001005"
                .parse()
                .unwrap(),
        ),
        (
            "Adaptor",
            "0x0000000000000000000000000000000000001006"
                .parse()
                .unwrap(),
        ),
        (
            "Mailbox",
            "0x0000000000000000000000000000000000001007"
                .parse()
                .unwrap(),
        ),
        (
            "Bridge",
            "0x0000000000000000000000000000000000001008"
                .parse()
                .unwrap(),
        ),
    ];
    assert_eq!(alloc.len(), expected.len());
    for (name, address) in expected {
        let account = &alloc[&address];
        // The bindings' code is the committed artifact's (the bindings are current).
        assert_eq!(
            account.code.as_ref(),
            Some(&artifact_runtime(name)),
            "{name}"
        );
        if name != "LiquidStake" {
            assert!(!account.storage.is_empty(), "{name} was initialized");
        }
    }
}

#[test]
fn initializers_cannot_be_run_again() {
    let mut world = World::new();
    let attacker = world.account(66);
    let calls: [(Address, Vec<u8>); 7] = [
        (
            sc::STAKING,
            sc::staking::Staking::initializeCall::new((U256::ZERO, U256::ZERO)).abi_encode(),
        ),
        (
            sc::RESTAKING,
            sc::restaking::Restaking::initializeCall::new((U256::ZERO,)).abi_encode(),
        ),
        (
            sc::REGISTRY,
            sc::registry::Registry::initializeCall::new(()).abi_encode(),
        ),
        (
            sc::MANAGEMENT,
            sc::management::Management::initializeCall::new((U256::ZERO, U256::ZERO)).abi_encode(),
        ),
        (
            sc::ADAPTOR,
            sc::adaptor::Adaptor::initializeCall::new(()).abi_encode(),
        ),
        (
            sc::MAILBOX,
            sc::mailbox::Mailbox::initializeCall::new(()).abi_encode(),
        ),
        (
            sc::BRIDGE,
            sc::bridge::Bridge::initializeCall::new((U256::ZERO,)).abi_encode(),
        ),
    ];
    for (address, data) in calls {
        let out = world
            .sandbox
            .transact(attacker, address, U256::ZERO, data.into());
        assert_reverts_with::<sc::staking::Staking::InvalidInitialization>(&out);
    }
    // The configuration is what genesis set.
    let delay = world
        .sandbox
        .view(sc::STAKING, &sc::staking::Staking::unbondingDelayCall {})
        .unwrap();
    assert_eq!(
        delay,
        U256::from(SystemParams::dev().staking_unbonding_delay)
    );
}

#[test]
fn genesis_is_deterministic() {
    let params = SystemParams::production();
    assert_eq!(
        system_alloc(1, 5, &params).unwrap(),
        system_alloc(1, 5, &params).unwrap()
    );
    let domain = {
        let mut world = World::new();
        world
            .sandbox
            .view(sc::MAILBOX, &sc::mailbox::Mailbox::localDomainCall {})
            .unwrap()
    };
    assert_eq!(domain, 31337);
}
