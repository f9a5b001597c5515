//! The mainnet's ed25519 precompiles answer `eth_call` on a running node.

mod common;

use alloy::primitives::{address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use common::*;
use ed25519_dalek::{Signer, SigningKey};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ed25519_verify_and_batch_verify_through_eth_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("node"), &[]);
    let p = reader(&node.url);
    let key = SigningKey::from_bytes(&[9; 32]);
    let msg = [0x42u8; 32];
    let mut item = key.verifying_key().to_bytes().to_vec();
    item.extend_from_slice(&key.sign(&msg).to_bytes());
    item.extend_from_slice(&msg);

    let call = |to, data: Vec<u8>| {
        TransactionRequest::default()
            .to(to)
            .input(Bytes::from(data).into())
    };
    let single = address!("0000000000000000000000000000000000000100");
    let batch = address!("0000000000000000000000000000000000000101");
    let out = p
        .call(call(single, item.clone()))
        .await
        .expect("call verify");
    assert_eq!(U256::from_be_slice(&out), U256::from(1));
    let mut forged = item.clone();
    forged[33] ^= 1;
    let out = p.call(call(single, forged)).await.expect("call verify");
    assert_eq!(U256::from_be_slice(&out), U256::ZERO);
    let out = p
        .call(call(batch, [item.clone(), item].concat()))
        .await
        .expect("call batch");
    assert_eq!(U256::from_be_slice(&out), U256::from(1));
}
