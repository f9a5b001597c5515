//! Mainnet actors for the end-to-end tests: confirmed transactions, operators that stake,
//! prove their ed25519 key and restake, and SPNs registered and activated over JSON-RPC.
#![allow(dead_code)]

use super::{address_of, provider};
use alloy::network::Ethereum;
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, PendingTransactionBuilder};
use alloy::rpc::types::TransactionReceipt;
use ed25519_dalek::{Signer, SigningKey};
use pharos_contracts::{
    self as sc, liquid_stake::LiquidStake, management::Management, restaking::Restaking,
    staking::Staking,
};
pub use pharos_mainnet::system::testkit::default_spn_params;

/// The third dev account's key (anvil/hardhat account 2).
pub const DEV_KEY_2: &str = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

/// `n` ether in wei.
pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// Waits for a sent transaction's receipt and requires it to have succeeded.
pub async fn confirm(
    what: &str,
    sent: Result<PendingTransactionBuilder<Ethereum>, alloy::contract::Error>,
) -> TransactionReceipt {
    let receipt = sent
        .unwrap_or_else(|e| panic!("{what}: send failed: {e}"))
        .get_receipt()
        .await
        .unwrap_or_else(|e| panic!("{what}: no receipt: {e}"));
    assert!(
        receipt.status(),
        "{what}: transaction {} reverted",
        receipt.transaction_hash
    );
    receipt
}

/// An operator: a dev account signing mainnet transactions and the ed25519 key it restakes
/// under (deterministic, so failures reproduce).
pub struct Operator {
    pub provider: DynProvider,
    pub address: Address,
    pub key: SigningKey,
}

impl Operator {
    pub fn new(url: &str, account_key: &str, seed: &str) -> Self {
        Self {
            provider: provider(url, account_key),
            address: address_of(account_key),
            key: SigningKey::from_bytes(&keccak256(seed.as_bytes()).0),
        }
    }

    pub fn public_key(&self) -> B256 {
        B256::from(self.key.verifying_key().to_bytes())
    }

    /// Stake `amount` native, register the ed25519 key with its proof of possession, approve
    /// and restake the LST to `spn_id`.
    pub async fn stake_register_and_restake(&self, spn_id: u32, amount: U256) {
        let p = &self.provider;
        let staking = Staking::new(sc::STAKING, p);
        let lst = LiquidStake::new(sc::LST, p);
        let restaking = Restaking::new(sc::RESTAKING, p);

        confirm("stake", staking.stake().value(amount).send().await).await;
        assert_eq!(
            lst.balanceOf(self.address)
                .call()
                .await
                .expect("LST balance"),
            amount,
            "staking mints as much LST as was bonded"
        );
        confirm("approve", lst.approve(sc::RESTAKING, amount).send().await).await;

        let digest = restaking
            .registrationDigest(self.address)
            .call()
            .await
            .expect("registrationDigest");
        let pop = Bytes::from(self.key.sign(digest.as_slice()).to_bytes().to_vec());
        confirm(
            "registerOperator",
            restaking
                .registerOperator(self.public_key(), pop)
                .send()
                .await,
        )
        .await;
        assert_eq!(
            restaking
                .operatorKey(self.address)
                .call()
                .await
                .expect("operatorKey"),
            self.public_key()
        );

        confirm("restake", restaking.restake(spn_id, amount).send().await).await;
    }
}

/// Register SPN `spn_id` (owned by `owner_key`), have two operators (dev accounts 1 and 2)
/// restake 5 ether each to it, and activate it.
pub async fn register_active_spn(url: &str, owner_key: &str, spn_id: u32) -> [Operator; 2] {
    let operators = [
        Operator::new(url, super::DEV_KEY_1, &format!("e2e-operator-1-{spn_id}")),
        Operator::new(url, DEV_KEY_2, &format!("e2e-operator-2-{spn_id}")),
    ];
    register_spn_with(url, owner_key, spn_id, &operators).await;
    operators
}

/// Register SPN `spn_id` (owned by `owner_key`), have each of `operators` restake 5 ether
/// to it, and activate it.
pub async fn register_spn_with(url: &str, owner_key: &str, spn_id: u32, operators: &[Operator]) {
    let owner = provider(url, owner_key);
    let management = Management::new(sc::MANAGEMENT, &owner);
    let params = default_spn_params(ether(1));
    confirm(
        "register",
        management
            .register(spn_id, format!("spn-{spn_id}"), 1, params)
            .send()
            .await,
    )
    .await;
    for op in operators {
        op.stake_register_and_restake(spn_id, ether(5)).await;
    }
    confirm("activate", management.activate(spn_id).send().await).await;
}
