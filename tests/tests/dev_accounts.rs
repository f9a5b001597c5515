//! The dev accounts are exactly the ones anvil and hardhat derive from the test mnemonic.

mod common;

use alloy::providers::Provider;
use alloy::signers::local::{coins_bip39::English, MnemonicBuilder};
use common::*;
use std::process::Command;

#[test]
fn keys_dev_lists_the_accounts_of_the_test_mnemonic() {
    let out = Command::new(node_binary())
        .args(["keys", "dev", "--json"])
        .output()
        .expect("run pharos-node keys dev");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mnemonic = v["mnemonic"].as_str().expect("mnemonic");
    assert_eq!(
        mnemonic,
        "test test test test test test test test test test test junk"
    );
    let accounts = v["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 10);
    for (i, a) in accounts.iter().enumerate() {
        let signer = MnemonicBuilder::<English>::default()
            .phrase(mnemonic)
            .index(i as u32)
            .expect("index")
            .build()
            .expect("derive");
        assert_eq!(
            a["address"].as_str().expect("address"),
            signer.address().to_checksum(None),
            "account {i}"
        );
        assert_eq!(
            address_of(a["private_key"].as_str().expect("key")),
            signer.address()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_accounts_are_funded_and_dev_datadir_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = dir.path().join("node");
    let (head, hash) = {
        let node = NodeProcess::start_dev(&datadir, &[]);
        let p = provider(&node.url, DEV_KEY_0);
        let bal = p.get_balance(address_of(DEV_KEY_1)).await.expect("balance");
        assert_eq!(
            bal,
            alloy::primitives::U256::from(10_000u64)
                * alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(18u64))
        );
        transfer_and_wait(&p, address_of(DEV_KEY_1), 7).await;
        let head = p.get_block_number().await.expect("head");
        let block = p
            .get_block_by_number(head.into())
            .await
            .expect("rpc")
            .expect("block");
        (head, block.header.hash)
    };
    let node = NodeProcess::start_dev(&datadir, &[]);
    let p = reader(&node.url);
    assert_eq!(
        p.get_block_number().await.expect("head"),
        head,
        "resumed the same chain"
    );
    let block = p
        .get_block_by_number(head.into())
        .await
        .expect("rpc")
        .expect("block");
    assert_eq!(block.header.hash, hash);
}
