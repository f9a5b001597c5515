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
    let single = address!("0000000000000000000000000000000000000a01");
    let batch = address!("0000000000000000000000000000000000000a02");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mpt_verify_accepts_the_nodes_own_storage_proof() {
    use alloy::network::TransactionBuilder;
    use alloy::primitives::{keccak256, B256};
    use alloy::sol_types::SolValue;
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("node"), &[]);
    let p = provider(&node.url, DEV_KEY_0);
    let deploy = TransactionRequest::default().with_deploy_code(counter_bytecode());
    let receipt = p
        .send_transaction(deploy)
        .await
        .expect("deploy")
        .get_receipt()
        .await
        .expect("receipt");
    let counter = ICounter::new(receipt.contract_address.expect("address"), p.clone());
    counter
        .increment()
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("mined");
    let proof = p
        .get_proof(*counter.address(), vec![B256::ZERO])
        .await
        .expect("proof");
    let slot = &proof.storage_proof[0];
    let mpt = address!("0000000000000000000000000000000000000a03");
    let query = |value: Vec<u8>| {
        let input = (
            proof.storage_hash,
            keccak256(B256::ZERO),
            Bytes::from(value),
            slot.proof.clone(),
        )
            .abi_encode_params();
        TransactionRequest::default()
            .to(mpt)
            .input(Bytes::from(input).into())
    };
    let out = p
        .call(query(alloy::rlp::encode(U256::from(1))))
        .await
        .expect("call");
    assert_eq!(
        U256::from_be_slice(&out),
        U256::from(1),
        "the node's proof verifies on chain"
    );
    let out = p
        .call(query(alloy::rlp::encode(U256::from(2))))
        .await
        .expect("call");
    assert_eq!(
        U256::from_be_slice(&out),
        U256::ZERO,
        "a wrong value is refused"
    );
}
