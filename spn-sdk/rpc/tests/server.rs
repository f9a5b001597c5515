//! Check the served JSON over real HTTP against a stub backend holding a tiny hand-made chain.

mod support;

use serde_json::{json, Value};
use spn_primitives::{Address, B256, EMPTY_ROOT_HASH, KECCAK_EMPTY};
use spn_rpc::rpc_module;
use std::sync::Arc;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_identity_blocks_transactions_and_receipts() {
    let f = Fixture::start("blocks").await;
    let block_hash = f.committed.block.hash;
    let tx_hash = f.committed.block.transactions[0].hash;

    assert_eq!(f.result("eth_chainId", json!([])).await, "0x7");
    assert_eq!(f.result("net_version", json!([])).await, "7");
    assert_eq!(f.result("eth_blockNumber", json!([])).await, "0x1");
    assert_eq!(f.result("eth_syncing", json!([])).await, false);
    assert_eq!(f.result("eth_accounts", json!([])).await, json!([]));
    assert_eq!(f.result("net_listening", json!([])).await, true);
    let version = f.result("web3_clientVersion", json!([])).await;
    assert_eq!(version, "pharos-node/test");

    let block = f
        .result("eth_getBlockByNumber", json!(["latest", true]))
        .await;
    assert_eq!(block["number"], "0x1");
    assert_eq!(block["hash"], json!(block_hash));
    assert_eq!(block["transactions"][0]["from"], json!(EOA));
    assert_eq!(block["transactions"][0]["gasPrice"], "0x9");
    assert_eq!(block["uncles"], json!([]));
    for tag in ["safe", "finalized", "pending"] {
        let same = f.result("eth_getBlockByNumber", json!([tag, false])).await;
        assert_eq!(same["hash"], json!(block_hash), "{tag}");
    }
    let by_hash = f
        .result("eth_getBlockByHash", json!([block_hash, false]))
        .await;
    assert_eq!(by_hash["transactions"][0], json!(tx_hash));
    let future = f
        .result("eth_getBlockByNumber", json!(["0x9", false]))
        .await;
    assert!(future.is_null());

    let tx = f.result("eth_getTransactionByHash", json!([tx_hash])).await;
    assert_eq!(tx["blockNumber"], "0x1");
    assert_eq!(tx["transactionIndex"], "0x0");
    let unknown = f
        .result("eth_getTransactionByHash", json!([B256::ZERO]))
        .await;
    assert!(unknown.is_null());
    let receipt = f
        .result("eth_getTransactionReceipt", json!([tx_hash]))
        .await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["effectiveGasPrice"], "0x9");
    assert_eq!(receipt["logs"][0]["address"], json!(EMITTER));
    assert_eq!(receipt["logs"][0]["logIndex"], "0x0");
    let receipts = f.result("eth_getBlockReceipts", json!(["latest"])).await;
    assert_eq!(receipts[0], receipt);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_state_calls_fees_logs_and_proofs() {
    let f = Fixture::start("state").await;
    let tx_hash = f.committed.block.transactions[0].hash;

    // State at the head only.
    let balance = f.result("eth_getBalance", json!([EOA, "latest"])).await;
    assert_eq!(balance, "0xe8d4a51000");
    assert_eq!(
        f.result("eth_getBalance", json!([EOA, "0x1"])).await,
        balance
    );
    let old = f.rpc("eth_getBalance", json!([EOA, "0x0"])).await;
    assert_eq!(old["error"]["code"], -32000);
    let message = "historical state is not available; use latest";
    assert_eq!(old["error"]["message"], message);
    let code = f.result("eth_getCode", json!([ANSWER, "latest"])).await;
    assert_eq!(code, format!("0x{ANSWER_CODE}"));
    let slot = f
        .result("eth_getStorageAt", json!([ANSWER, "0x0", "latest"]))
        .await;
    assert_eq!(slot, json!(B256::ZERO));
    let latest = f
        .result("eth_getTransactionCount", json!([EOA, "latest"]))
        .await;
    assert_eq!(latest, "0x0");
    let pending = f
        .result("eth_getTransactionCount", json!([EOA, "pending"]))
        .await;
    assert_eq!(pending, "0x5");

    // Execution.
    let answer = f
        .result("eth_call", json!([{"to": ANSWER}, "latest"]))
        .await;
    assert_eq!(answer, json!(B256::with_last_byte(42)));
    let reverted = f.rpc("eth_call", json!([{"to": REVERTER}])).await;
    assert_eq!(reverted["error"]["code"], 3);
    assert_eq!(reverted["error"]["message"], "execution reverted: nope");
    let data = reverted["error"]["data"].as_str().unwrap();
    assert!(data.starts_with("0x08c379a0"), "{data}");
    let transfer = json!([{"from": EOA, "to": EOA, "value": "0x1"}]);
    assert_eq!(f.result("eth_estimateGas", transfer).await, "0x5208");
    // A call that needs far more gas than it uses: the estimate is enough, and within
    // geth's 1.5 % of the least limit that is (121 002: 21 000 + GAS + 100 000 left).
    let hungry = f
        .result("eth_estimateGas", json!([{"from": EOA, "to": GAS_HUNGRY}]))
        .await;
    let hungry =
        u64::from_str_radix(hungry.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert!((121_002..=122_818).contains(&hungry), "estimate {hungry}");
    let at_estimate = json!([{"from": EOA, "to": GAS_HUNGRY, "gas": format!("{hungry:#x}")}]);
    assert_eq!(f.result("eth_call", at_estimate).await, "0x");
    let below = json!([{"from": EOA, "to": GAS_HUNGRY, "gas": "0x1d8a9"}]);
    assert_eq!(
        f.rpc("eth_call", below).await["error"]["code"],
        3,
        "121 001 is not enough"
    );
    let estimate_revert = f.rpc("eth_estimateGas", json!([{"to": REVERTER}])).await;
    assert_eq!(estimate_revert["error"]["code"], 3);
    let old_call = f.rpc("eth_call", json!([{"to": ANSWER}, "0x0"])).await;
    assert_eq!(old_call["error"]["message"], message);

    // Fees.
    assert_eq!(f.result("eth_gasPrice", json!([])).await, "0x8");
    assert_eq!(f.result("eth_maxPriorityFeePerGas", json!([])).await, "0x1");
    let history = f
        .result("eth_feeHistory", json!(["0x2", "latest", [50.0]]))
        .await;
    assert_eq!(history["oldestBlock"], "0x0");
    assert_eq!(history["baseFeePerGas"], json!(["0x7", "0x7", "0x7"]));
    assert_eq!(history["reward"], json!([["0x0"], ["0x2"]]));
    assert_eq!(history["gasUsedRatio"], json!([0.0, 0.0007]));

    // Logs.
    let by_address = json!([{"fromBlock": "0x1", "address": EMITTER}]);
    let logs = f.result("eth_getLogs", by_address).await;
    assert_eq!(logs[0]["transactionHash"], json!(tx_hash));
    let no_match = json!([{"fromBlock": "0x1", "topics": [B256::ZERO]}]);
    assert_eq!(f.result("eth_getLogs", no_match).await, json!([]));
    let wide = f.rpc(
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "toBlock": "latest"}]),
    );
    assert_eq!(wide.await["error"]["code"], -32005);
    let at_hash = json!([{"blockHash": f.committed.block.hash}]);
    assert_eq!(
        f.result("eth_getLogs", at_hash)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Proofs.
    let proof = f
        .result("eth_getProof", json!([EOA, ["0x0"], "latest"]))
        .await;
    assert_eq!(proof["balance"], "0xe8d4a51000");
    assert!(!proof["accountProof"].as_array().unwrap().is_empty());
    let nobody = Address::repeat_byte(3);
    let missing = f
        .result("eth_getProof", json!([nobody, [], "latest"]))
        .await;
    assert_eq!(missing["codeHash"], json!(KECCAK_EMPTY));
    assert_eq!(missing["storageHash"], json!(EMPTY_ROOT_HASH));
}

fn error_code(text: &str) -> Value {
    serde_json::from_str::<Value>(text).unwrap()["error"]["code"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_json_rpc_errors_and_the_server_stays_up() {
    let f = Fixture::start("errors").await;
    let garbage = f.rpc("eth_sendRawTransaction", json!(["0x1234"])).await;
    assert_eq!(garbage["error"]["code"], -32000);
    let raw = transfer().encoded();
    let rejected = f.rpc("eth_sendRawTransaction", json!([raw])).await;
    assert_eq!(rejected["error"]["code"], -32000);
    let message = rejected["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("nonce too low"), "{message}");
    assert_eq!(f.rpc("eth_nope", json!([])).await["error"]["code"], -32601);
    let bad_address = f.rpc("eth_getBalance", json!(["0xzz"])).await;
    assert_eq!(bad_address["error"]["code"], -32602);
    assert_eq!(error_code(&post(f.addr, "{not json").await.1), -32700);

    // Oversized bodies and batches.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["{}"]}}"#,
        "a".repeat(70_000)
    );
    let (status, text) = post(f.addr, &huge).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&text), -32007);
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"});
    let (_, text) = post(f.addr, &json!([call, call, call]).to_string()).await;
    assert_eq!(error_code(&text), -32010);
    let (_, text) = post(f.addr, &json!([call, call]).to_string()).await;
    let answers: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answers.as_array().unwrap().len(), 2);
    assert_eq!(f.result("eth_chainId", json!([])).await, "0x7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_push_heads_and_matching_logs() {
    let f = Fixture::start("pubsub").await;
    let module = rpc_module(f.backend.clone(), test_config()).unwrap();
    let mut heads = module
        .subscribe_unbounded("eth_subscribe", ["newHeads"])
        .await
        .unwrap();
    let mut logs = module
        .subscribe_unbounded("eth_subscribe", ("logs", json!({"address": EMITTER})))
        .await
        .unwrap();
    let mut other_logs = module
        .subscribe_unbounded("eth_subscribe", ("logs", json!({"address": ANSWER})))
        .await
        .unwrap();
    let committed = Arc::new(f.committed.clone());
    f.blocks.send(committed.clone()).unwrap();
    let (head, _) = heads.next::<Value>().await.unwrap().unwrap();
    assert_eq!(head["number"], "0x1");
    assert_eq!(head["hash"], json!(committed.block.hash));
    let (log, _) = logs.next::<Value>().await.unwrap().unwrap();
    assert_eq!(log["address"], json!(EMITTER));
    assert_eq!(log["blockNumber"], "0x1");
    assert_eq!(log["removed"], false);
    let wait = std::time::Duration::from_millis(200);
    let nothing = tokio::time::timeout(wait, other_logs.next::<Value>()).await;
    assert!(nothing.is_err(), "a non-matching log was delivered");
    let unsupported = module
        .subscribe_unbounded("eth_subscribe", ["newPendingTransactions"])
        .await;
    assert!(unsupported.is_err());
}
