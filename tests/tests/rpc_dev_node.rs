//! A `pharos-node --dev` process used through alloy's provider, as a team evaluating us would.

mod common;

use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionBuilder;
use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder, WsConnect};
use alloy::rpc::types::{AccessList, AccessListItem, Filter, TransactionRequest};
use alloy::sol_types::SolEvent;
use alloy_trie::{proof::verify_proof, Nibbles, TrieAccount};
use common::*;
use futures::StreamExt;

fn transfer(to: Address, wei: u64) -> TransactionRequest {
    TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(wei))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_of_every_type_deploy_call_logs_and_proofs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("node"), &[]);
    let p = provider(&node.url, DEV_KEY_0);
    assert_eq!(p.get_chain_id().await.expect("chain id"), DEV_CHAIN_ID);
    let alice = address_of(DEV_KEY_0);
    let bob = Address::repeat_byte(0xb0);

    // EIP-1559 transfer (the provider fills fees from eth_feeHistory / eth_maxPriorityFeePerGas).
    let r1559 = p
        .send_transaction(transfer(bob, 1_000))
        .await
        .expect("send 1559")
        .get_receipt()
        .await
        .expect("receipt 1559");
    assert!(r1559.status());
    assert_eq!(r1559.transaction_type(), alloy::consensus::TxType::Eip1559);

    // EIP-2930 transfer with an access list.
    let gas_price = p.get_gas_price().await.expect("gas price");
    let tx2930 = transfer(bob, 2_000)
        .with_gas_price(gas_price)
        .with_access_list(AccessList(vec![AccessListItem {
            address: bob,
            storage_keys: vec![B256::ZERO],
        }]));
    let r2930 = p
        .send_transaction(tx2930)
        .await
        .expect("send 2930")
        .get_receipt()
        .await
        .expect("receipt 2930");
    assert!(r2930.status());
    assert_eq!(r2930.transaction_type(), alloy::consensus::TxType::Eip2930);

    // Legacy (EIP-155) transfer.
    let legacy = transfer(bob, 3_000)
        .with_gas_price(gas_price)
        .with_gas_limit(21_000);
    let rlegacy = p
        .send_transaction(legacy)
        .await
        .expect("send legacy")
        .get_receipt()
        .await
        .expect("receipt legacy");
    assert!(rlegacy.status());
    assert_eq!(rlegacy.transaction_type(), alloy::consensus::TxType::Legacy);
    assert_eq!(
        p.get_balance(bob).await.expect("balance"),
        U256::from(6_000)
    );
    assert_eq!(p.get_transaction_count(alice).await.expect("nonce"), 3);

    // Transactions and blocks are served back.
    let tx = p
        .get_transaction_by_hash(rlegacy.transaction_hash)
        .await
        .expect("get tx")
        .expect("tx exists");
    assert_eq!(tx.block_number, rlegacy.block_number);
    let block = p
        .get_block_by_number(BlockNumberOrTag::Latest)
        .full()
        .await
        .expect("block")
        .expect("latest exists");
    assert!(block.header.number >= 3);
    let receipts = p
        .get_block_receipts(r1559.block_number.expect("number").into())
        .await
        .expect("block receipts")
        .expect("receipts exist");
    assert!(receipts
        .iter()
        .any(|r| r.transaction_hash == r1559.transaction_hash));

    // Subscribe to logs over WebSocket before emitting any.
    let ws = ProviderBuilder::new()
        .connect_ws(WsConnect::new(node.ws_url.clone()))
        .await
        .expect("ws connect");
    let mut heads = ws.subscribe_blocks().await.expect("newHeads").into_stream();

    // Deploy the Counter fixture (compiled by solc) and use it.
    let deploy = TransactionRequest::default().with_deploy_code(counter_bytecode());
    let rdeploy = p
        .send_transaction(deploy)
        .await
        .expect("deploy")
        .get_receipt()
        .await
        .expect("deploy receipt");
    let counter_addr = rdeploy.contract_address.expect("contract address");
    assert!(!p.get_code_at(counter_addr).await.expect("code").is_empty());
    let counter = ICounter::new(counter_addr, p.clone());
    let logs_sub = ws
        .subscribe_logs(&Filter::new().address(counter_addr))
        .await
        .expect("logs subscription");
    let mut logs_stream = logs_sub.into_stream();

    let rinc = counter
        .increment()
        .send()
        .await
        .expect("increment")
        .get_receipt()
        .await
        .expect("increment receipt");
    assert!(rinc.status());
    assert_eq!(counter.count().call().await.expect("count"), U256::from(1));

    let sub_log = tokio::time::timeout(std::time::Duration::from_secs(20), logs_stream.next())
        .await
        .expect("log subscription delivers")
        .expect("stream open");
    let decoded = ICounter::Incremented::decode_log(&sub_log.inner).expect("decode log");
    assert_eq!(decoded.by, alice);
    assert_eq!(decoded.newCount, U256::from(1));
    let head = tokio::time::timeout(std::time::Duration::from_secs(20), heads.next())
        .await
        .expect("newHeads delivers")
        .expect("stream open");
    assert!(head.number >= 1);

    let logs = p
        .get_logs(
            &Filter::new()
                .address(counter_addr)
                .event_signature(ICounter::Incremented::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("get logs");
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].transaction_hash, Some(rinc.transaction_hash));

    // Reverts come back with their reason and data.
    let err = counter.fail().call().await.expect_err("fail reverts");
    assert!(err.to_string().contains("counter: always fails"), "{err}");
    let err = counter.failCustom().call().await.expect_err("custom error");
    let nope = err
        .as_decoded_interface_error::<ICounter::ICounterErrors>()
        .expect("decodes custom error");
    assert!(matches!(nope, ICounter::ICounterErrors::Nope(n) if n.code == U256::from(7)));
    let est = p
        .estimate_gas(
            TransactionRequest::default()
                .with_to(counter_addr)
                .with_input(alloy::sol_types::SolCall::abi_encode(
                    &ICounter::incrementCall {},
                )),
        )
        .await
        .expect("estimate");
    assert!(est > 21_000 && est < 100_000, "{est}");

    // eth_getProof: account and storage proofs verify against the header's stateRoot.
    let latest = p
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .expect("block")
        .expect("latest");
    let proof = p
        .get_proof(counter_addr, vec![B256::ZERO])
        .await
        .expect("get proof");
    let account = TrieAccount {
        nonce: proof.nonce,
        balance: proof.balance,
        storage_root: proof.storage_hash,
        code_hash: proof.code_hash,
    };
    verify_proof(
        latest.header.state_root,
        Nibbles::unpack(keccak256(counter_addr)),
        Some(alloy::rlp::encode(account)),
        &proof.account_proof,
    )
    .expect("account proof verifies against stateRoot");
    let slot = &proof.storage_proof[0];
    assert_eq!(slot.value, U256::from(1));
    verify_proof(
        proof.storage_hash,
        Nibbles::unpack(keccak256(B256::ZERO)),
        Some(alloy::rlp::encode(slot.value)),
        &slot.proof,
    )
    .expect("storage proof verifies against storageHash");
    // An absent account proves absent.
    let nobody = Address::repeat_byte(0x77);
    let absent = p.get_proof(nobody, vec![]).await.expect("proof of absent");
    verify_proof(
        latest.header.state_root,
        Nibbles::unpack(keccak256(nobody)),
        None,
        &absent.account_proof,
    )
    .expect("exclusion proof verifies");
}
