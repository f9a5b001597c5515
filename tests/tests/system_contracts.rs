//! The Pharos system contracts predeployed in the dev genesis, used over JSON-RPC like any
//! client would: code and configuration at the fixed addresses, an SPN registered, restaked
//! to and activated with real signed transactions, and a bad checkpoint rejected.

mod common;

use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolCall, SolError};
use common::mainnet::*;
use common::*;
use ed25519_dalek::{Signer, SigningKey};
use pharos_contracts::{
    self as sc, adaptor::Adaptor, bridge::Bridge, liquid_stake::LiquidStake, mailbox::Mailbox,
    management::Management, registry::Registry, restaking::Restaking, staking::Staking,
};
use pharos_mainnet::system::SystemParams;

/// `Registry.Status` values.
const NONE: u8 = 0;
const REGISTERED: u8 = 1;
const ACTIVE: u8 = 2;

/// The SPN the happy path registers.
const SPN_ID: u32 = 4242;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_node_serves_every_system_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("node"), &[]);
    let p = reader(&node.url);

    // Runtime code at each fixed address is exactly the committed artifact's.
    let expected: [(&str, Address, &[u8]); 8] = [
        ("Registry", sc::REGISTRY, &Registry::DEPLOYED_BYTECODE),
        ("Management", sc::MANAGEMENT, &Management::DEPLOYED_BYTECODE),
        ("Staking", sc::STAKING, &Staking::DEPLOYED_BYTECODE),
        ("LiquidStake", sc::LST, &LiquidStake::DEPLOYED_BYTECODE),
        ("Restaking", sc::RESTAKING, &Restaking::DEPLOYED_BYTECODE),
        ("Adaptor", sc::ADAPTOR, &Adaptor::DEPLOYED_BYTECODE),
        ("Mailbox", sc::MAILBOX, &Mailbox::DEPLOYED_BYTECODE),
        ("Bridge", sc::BRIDGE, &Bridge::DEPLOYED_BYTECODE),
    ];
    for (name, address, code) in expected {
        let served = p.get_code_at(address).await.expect("eth_getCode");
        assert!(!served.is_empty(), "{name} at {address} has no code");
        assert_eq!(
            served.as_ref(),
            code,
            "{name} at {address} is not the artifact's runtime code"
        );
    }

    // The initializers ran at genesis with the dev parameters (minute-scale delays, 1 ether
    // minimum stakes, a 0.01 ether force bond).
    let dev = SystemParams::dev();
    assert!(dev.staking_unbonding_delay <= 600 && dev.param_delay <= 600);
    assert_eq!(dev.min_validator_stake, ether(1));
    assert_eq!(dev.min_spn_stake, ether(1));
    assert_eq!(dev.force_bond, ether(1) / U256::from(100));
    let staking = Staking::new(sc::STAKING, &p);
    assert_eq!(
        staking.unbondingDelay().call().await.expect("call"),
        U256::from(dev.staking_unbonding_delay)
    );
    assert_eq!(
        staking.minValidatorStake().call().await.expect("call"),
        dev.min_validator_stake
    );
    let restaking = Restaking::new(sc::RESTAKING, &p);
    assert_eq!(
        restaking.unbondingDelay().call().await.expect("call"),
        U256::from(dev.restaking_unbonding_delay)
    );
    let management = Management::new(sc::MANAGEMENT, &p);
    assert_eq!(
        management.paramDelay().call().await.expect("call"),
        U256::from(dev.param_delay)
    );
    assert_eq!(
        management.minSpnStake().call().await.expect("call"),
        dev.min_spn_stake
    );
    let mailbox = Mailbox::new(sc::MAILBOX, &p);
    assert_eq!(
        mailbox.localDomain().call().await.expect("call"),
        DEV_CHAIN_ID as u32
    );
    let bridge = Bridge::new(sc::BRIDGE, &p);
    assert_eq!(
        bridge.forceBond().call().await.expect("call"),
        dev.force_bond
    );
    let lst = LiquidStake::new(sc::LST, &p);
    assert_eq!(lst.symbol().call().await.expect("call"), "lsPHRS");
    assert_eq!(lst.totalSupply().call().await.expect("call"), U256::ZERO);
    let registry = Registry::new(sc::REGISTRY, &p);
    assert_eq!(registry.spnCount().call().await.expect("call"), U256::ZERO);

    // The Adaptor answers with the domain-separated digest for this chain and address.
    let checkpoint = sc::CheckpointData {
        spn_id: SPN_ID,
        epoch: 1,
        height: 10,
        block_hash: B256::repeat_byte(0xbb),
        state_root: B256::repeat_byte(0x5e),
    };
    let digest = Adaptor::new(sc::ADAPTOR, &p)
        .checkpointDigest(checkpoint.to_sol())
        .call()
        .await
        .expect("checkpointDigest");
    assert_ne!(digest, B256::ZERO);
    assert_eq!(
        digest,
        sc::checkpoint_digest(DEV_CHAIN_ID, sc::ADAPTOR, &checkpoint)
    );

    // Every initializer is locked: calling it again reverts with InvalidInitialization().
    let reinit: [(&str, Address, Vec<u8>); 7] = [
        (
            "Staking",
            sc::STAKING,
            Staking::initializeCall::new((U256::from(1), U256::from(1))).abi_encode(),
        ),
        (
            "Restaking",
            sc::RESTAKING,
            Restaking::initializeCall::new((U256::from(1),)).abi_encode(),
        ),
        (
            "Registry",
            sc::REGISTRY,
            Registry::initializeCall::new(()).abi_encode(),
        ),
        (
            "Management",
            sc::MANAGEMENT,
            Management::initializeCall::new((U256::from(1), U256::from(1))).abi_encode(),
        ),
        (
            "Adaptor",
            sc::ADAPTOR,
            Adaptor::initializeCall::new(()).abi_encode(),
        ),
        (
            "Mailbox",
            sc::MAILBOX,
            Mailbox::initializeCall::new(()).abi_encode(),
        ),
        (
            "Bridge",
            sc::BRIDGE,
            Bridge::initializeCall::new((U256::from(1),)).abi_encode(),
        ),
    ];
    for (name, address, data) in reinit {
        let err = p
            .call(
                alloy::rpc::types::TransactionRequest::default()
                    .from(address_of(DEV_KEY_0))
                    .to(address)
                    .input(data.into()),
            )
            .await
            .expect_err(&format!("{name}.initialize must revert"));
        let revert = err
            .as_error_resp()
            .and_then(|e| e.as_revert_data())
            .unwrap_or_else(|| panic!("{name}.initialize: not a revert: {err}"));
        assert_eq!(
            revert.as_ref(),
            Staking::InvalidInitialization::SELECTOR,
            "{name}.initialize reverts with InvalidInitialization()"
        );
    }
    // ... and the configuration is untouched.
    assert_eq!(
        staking.unbondingDelay().call().await.expect("call"),
        U256::from(dev.staking_unbonding_delay)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_an_spn_and_restake_to_it_over_rpc() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("node"), &[]);
    let owner = provider(&node.url, DEV_KEY_0);
    let owner_address = address_of(DEV_KEY_0);
    let reader = reader(&node.url);
    let registry = Registry::new(sc::REGISTRY, &reader);
    let management = Management::new(sc::MANAGEMENT, &owner);

    let params = default_spn_params(ether(1));
    confirm(
        "register",
        management
            .register(SPN_ID, "spn-4242".to_string(), 1, params.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(
        registry.spnCount().call().await.expect("call"),
        U256::from(1)
    );
    assert_eq!(
        registry.status(SPN_ID).call().await.expect("status"),
        REGISTERED
    );
    assert_eq!(
        registry.ownerOf(SPN_ID).call().await.expect("ownerOf"),
        owner_address
    );

    let operators = [
        Operator::new(&node.url, DEV_KEY_1, "system-contracts-e2e-operator-1"),
        Operator::new(&node.url, DEV_KEY_2, "system-contracts-e2e-operator-2"),
    ];
    for op in &operators {
        op.stake_register_and_restake(SPN_ID, ether(5)).await;
    }

    let receipt = confirm("activate", management.activate(SPN_ID).send().await).await;
    let activated = receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| log.log_decode::<Management::Activated>().ok())
        .expect("Activated event");
    assert_eq!(activated.inner.data.spnId, SPN_ID);
    assert_eq!(activated.inner.data.stake, ether(10));

    assert_eq!(
        registry.status(SPN_ID).call().await.expect("status"),
        ACTIVE
    );
    assert_eq!(
        registry.currentEpoch(SPN_ID).call().await.expect("epoch"),
        1
    );
    let set = registry.epochSet(SPN_ID, 1).call().await.expect("epochSet");
    assert_eq!(
        set.operators,
        operators.iter().map(|op| op.address).collect::<Vec<_>>()
    );
    assert_eq!(
        set.keys,
        operators
            .iter()
            .map(Operator::public_key)
            .collect::<Vec<_>>()
    );
    assert_eq!(set.stakes, vec![ether(5), ether(5)]);
    assert_eq!(set.totalStake, ether(10));

    let restaking = Restaking::new(sc::RESTAKING, &reader);
    assert_eq!(
        restaking
            .totalStake(SPN_ID)
            .call()
            .await
            .expect("totalStake"),
        ether(10)
    );
    let lst = LiquidStake::new(sc::LST, &reader);
    assert_eq!(
        lst.balanceOf(sc::RESTAKING).call().await.expect("balance"),
        ether(10),
        "the restaked LST is held by the Restaking contract"
    );
    for op in &operators {
        assert_eq!(
            lst.balanceOf(op.address).call().await.expect("balance"),
            U256::ZERO
        );
        assert_eq!(
            restaking
                .stakeOf(SPN_ID, op.address)
                .call()
                .await
                .expect("stakeOf"),
            ether(5)
        );
    }
    let staking = Staking::new(sc::STAKING, &reader);
    assert_eq!(
        staking.totalBonded().call().await.expect("bonded"),
        ether(10)
    );
    assert_eq!(
        reader.get_balance(sc::STAKING).await.expect("balance"),
        ether(10),
        "the native stake is held by the Staking contract"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_for_an_unregistered_spn_is_mined_as_failed_and_reverts_in_eth_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("node"), &[]);
    let relayer = provider(&node.url, DEV_KEY_0);
    let reader = reader(&node.url);
    let registry = Registry::new(sc::REGISTRY, &reader);

    let unknown_spn = 777u32;
    let checkpoint = sc::CheckpointData {
        spn_id: unknown_spn,
        epoch: 0,
        height: 10,
        block_hash: B256::repeat_byte(0xbb),
        state_root: B256::repeat_byte(0x5e),
    };
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let signature =
        key.sign(sc::checkpoint_digest(DEV_CHAIN_ID, sc::ADAPTOR, &checkpoint).as_slice());
    let call = Adaptor::submitCheckpointCall {
        c: checkpoint.to_sol(),
        signerIndices: vec![U256::ZERO],
        signatures: vec![Bytes::from(signature.to_bytes().to_vec())],
    };
    let before = registry
        .latestCheckpoint(unknown_spn)
        .call()
        .await
        .expect("latestCheckpoint");

    // Sent with an explicit gas limit (estimation would refuse it), the transaction is
    // mined, fails, and leaves the Registry as it was.
    let receipt = Adaptor::new(sc::ADAPTOR, &relayer)
        .submitCheckpoint(
            call.c.clone(),
            call.signerIndices.clone(),
            call.signatures.clone(),
        )
        .gas(500_000)
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("mined");
    assert!(!receipt.status(), "the checkpoint transaction must fail");
    assert!(receipt.block_number.is_some());
    assert!(receipt.gas_used > 21_000 && receipt.gas_used < 500_000);
    assert!(
        receipt.inner.logs().is_empty(),
        "a failed transaction logs nothing"
    );
    let after = registry
        .latestCheckpoint(unknown_spn)
        .call()
        .await
        .expect("latestCheckpoint");
    assert_eq!(after, before);
    assert_eq!(after.height, 0);
    assert_eq!(after.stateRoot, B256::ZERO);
    assert_eq!(
        registry.status(unknown_spn).call().await.expect("status"),
        NONE
    );

    // eth_call of the same answers with a JSON-RPC revert error carrying the custom error.
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_call",
        "params": [
            {
                "from": address_of(DEV_KEY_0),
                "to": sc::ADAPTOR,
                "data": Bytes::from(call.abi_encode()),
            },
            "latest"
        ],
    });
    let (status, resp) = raw_post(&node.url, body.to_string()).await;
    assert_eq!(status, 200, "{resp}");
    let error = &resp["error"];
    assert_eq!(error["code"], 3, "{resp}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("execution reverted")),
        "{resp}"
    );
    let data: Bytes = error["data"]
        .as_str()
        .expect("revert data")
        .parse()
        .expect("hex revert data");
    assert!(
        data.starts_with(&Adaptor::SpnNotCheckpointing::SELECTOR),
        "revert data {data} is not SpnNotCheckpointing"
    );
    let decoded = Adaptor::SpnNotCheckpointing::abi_decode(&data).expect("decode error");
    assert_eq!(decoded.spnId, unknown_spn);
    assert_eq!(decoded.status, NONE, "an unregistered SPN has status None");
}
