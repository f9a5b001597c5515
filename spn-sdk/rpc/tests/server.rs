//! Check the served JSON over real HTTP against a stub backend holding a tiny hand-made chain.

use serde_json::{json, Value};
use spn_execution::{BlockInput, Executor, NoExtensions};
use spn_primitives::consensus::SignableTransaction;
use spn_primitives::primitives::Signature;
use spn_primitives::{
    keccak256, Address, Bytes, CommittedBlock, Header, Log, LogData, RecoveredTx, SealedBlock,
    StateChangeset, StoredReceipt, TxEip1559, TxKind, B256, U256,
};
use spn_primitives::AccountUpdate;
use spn_rpc::{rpc_module, start, ChainBackend, RpcConfig, SubmitError};
use spn_storage::{Store, StoreOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;

const CHAIN_ID: u64 = 7;
const EOA: Address = Address::repeat_byte(0xaa);
const REVERTER: Address = Address::repeat_byte(0xc1);
const ANSWER: Address = Address::repeat_byte(0xc2);
const EMITTER: Address = Address::repeat_byte(0xee);

/// Reverts with `Error("nope")`.
const REVERT_CODE: &str = "6308c379a060e01b600052602060045260046024526\
                           36e6f706560e01b60445260646000fd";
/// Returns the word 42.
const ANSWER_CODE: &str = "602a60005260206000f3";

struct Stub {
    store: Store,
    executor: Executor,
    blocks: broadcast::Sender<Arc<CommittedBlock>>,
}

impl ChainBackend for Stub {
    fn chain_id(&self) -> u64 {
        CHAIN_ID
    }
    fn client_version(&self) -> String {
        "pharos-node/test".into()
    }
    fn store(&self) -> &Store {
        &self.store
    }
    fn executor(&self) -> &Executor {
        &self.executor
    }
    fn next_block_input(&self) -> BlockInput {
        let head = self.store.head().unwrap().map_or(0, |(n, _)| n);
        BlockInput {
            number: head + 1,
            timestamp: 1_700_000_100,
            beneficiary: Address::ZERO,
            gas_limit: 30_000_000,
            base_fee: 7,
            prevrandao: B256::ZERO,
        }
    }
    fn submit_transaction(&self, _tx: RecoveredTx) -> Result<B256, SubmitError> {
        Err(SubmitError("nonce too low: next nonce 1, tx nonce 0".into()))
    }
    fn pool_transaction(&self, _hash: &B256) -> Option<RecoveredTx> {
        None
    }
    fn pending_nonce(&self, address: &Address) -> Option<u64> {
        (*address == EOA).then_some(5)
    }
    fn suggested_priority_fee(&self) -> u128 {
        1
    }
    fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<CommittedBlock>> {
        self.blocks.subscribe()
    }
}

fn code(hex: &str) -> Bytes {
    hex.parse().unwrap()
}

fn transfer() -> RecoveredTx {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 10,
        max_priority_fee_per_gas: 2,
        to: TxKind::Call(ANSWER),
        ..Default::default()
    };
    let sig = Signature::new(U256::from(1), U256::from(2), false);
    RecoveredTx::from_trusted(tx.into_signed(sig).into(), EOA)
}

/// A store with genesis (an EOA and two contracts) and block 1 holding one transaction whose
/// receipt has one log.
fn chain(dir: &PathBuf) -> (Store, CommittedBlock) {
    let store = Store::open(dir, &StoreOptions::default()).unwrap();
    let mut genesis = StateChangeset::default();
    let account = |balance: u64, code_hash| {
        Some(AccountUpdate {
            nonce: 0,
            balance: U256::from(balance),
            code_hash,
        })
    };
    genesis.accounts.push((EOA, account(1_000_000_000_000, spn_primitives::KECCAK_EMPTY)));
    for (address, hex) in [(REVERTER, REVERT_CODE), (ANSWER, ANSWER_CODE)] {
        let bytes = code(hex);
        genesis.accounts.push((address, account(0, keccak256(&bytes))));
        genesis.contracts.push((keccak256(&bytes), bytes));
    }
    let prepared = store.prepare_state(&genesis).unwrap().with_chain_id(CHAIN_ID);
    let header = Header {
        state_root: prepared.state_root,
        gas_limit: 30_000_000,
        timestamp: 1_700_000_000,
        base_fee_per_gas: Some(7),
        ..Default::default()
    };
    let genesis_block = SealedBlock::new(header, Vec::new());
    store.commit_block(&genesis_block, &[], prepared).unwrap();

    let prepared = store.prepare_state(&StateChangeset::default()).unwrap();
    let header = Header {
        parent_hash: genesis_block.hash,
        number: 1,
        state_root: prepared.state_root,
        gas_limit: 30_000_000,
        gas_used: 21_000,
        timestamp: 1_700_000_001,
        base_fee_per_gas: Some(7),
        ..Default::default()
    };
    let block = SealedBlock::new(header, vec![transfer()]);
    let receipt = StoredReceipt {
        tx_type: 2,
        success: true,
        cumulative_gas_used: 21_000,
        gas_used: 21_000,
        logs: vec![Log {
            address: EMITTER,
            data: LogData::new_unchecked(vec![B256::with_last_byte(9)], Bytes::new()),
        }],
        contract_address: None,
    };
    store.commit_block(&block, std::slice::from_ref(&receipt), prepared).unwrap();
    (
        store,
        CommittedBlock {
            block,
            receipts: vec![receipt],
        },
    )
}

fn test_config() -> RpcConfig {
    RpcConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        max_request_body_bytes: 64 * 1024,
        max_batch_len: 2,
        max_log_range_blocks: 1,
        ..Default::default()
    }
}

/// POSTs `body` and returns the HTTP status and the response body.
async fn post(addr: SocketAddr, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// Calls `method` and returns the whole JSON-RPC response.
async fn rpc(addr: SocketAddr, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (_, text) = post(addr, &body.to_string()).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method}: {e}: {text}"))
}

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("spn-rpc-{name}-{}", std::process::id()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_geth_compatible_json_over_http() {
    let dir = temp_dir("http");
    let _ = std::fs::remove_dir_all(&dir);
    let (store, committed) = chain(&dir);
    let tx_hash = committed.block.transactions[0].hash;
    let (blocks, _) = broadcast::channel(16);
    let backend = Arc::new(Stub {
        store,
        executor: Executor::new(CHAIN_ID, Arc::new(NoExtensions)),
        blocks,
    });
    let (addr, handle) = start(test_config(), backend).await.unwrap();

    assert_eq!(rpc(addr, "eth_chainId", json!([])).await["result"], "0x7");
    assert_eq!(rpc(addr, "net_version", json!([])).await["result"], "7");
    assert_eq!(rpc(addr, "eth_blockNumber", json!([])).await["result"], "0x1");
    assert_eq!(rpc(addr, "eth_syncing", json!([])).await["result"], false);
    assert_eq!(rpc(addr, "eth_accounts", json!([])).await["result"], json!([]));
    assert_eq!(rpc(addr, "net_listening", json!([])).await["result"], true);
    assert_eq!(
        rpc(addr, "web3_clientVersion", json!([])).await["result"],
        "pharos-node/test"
    );

    // Blocks, transactions, receipts.
    let block = rpc(addr, "eth_getBlockByNumber", json!(["latest", true])).await["result"].clone();
    assert_eq!(block["number"], "0x1");
    assert_eq!(block["hash"], json!(committed.block.hash));
    assert_eq!(block["transactions"][0]["from"], json!(EOA));
    assert_eq!(block["transactions"][0]["gasPrice"], "0x9");
    assert_eq!(block["uncles"], json!([]));
    let by_hash = rpc(addr, "eth_getBlockByHash", json!([committed.block.hash, false])).await;
    assert_eq!(by_hash["result"]["transactions"][0], json!(tx_hash));
    assert!(rpc(addr, "eth_getBlockByNumber", json!(["0x9", false])).await["result"].is_null());
    let tx = rpc(addr, "eth_getTransactionByHash", json!([tx_hash])).await["result"].clone();
    assert_eq!(tx["blockNumber"], "0x1");
    assert_eq!(tx["transactionIndex"], "0x0");
    let receipt = rpc(addr, "eth_getTransactionReceipt", json!([tx_hash])).await["result"].clone();
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["effectiveGasPrice"], "0x9");
    assert_eq!(receipt["logs"][0]["address"], json!(EMITTER));
    assert_eq!(receipt["logs"][0]["logIndex"], "0x0");
    let receipts = rpc(addr, "eth_getBlockReceipts", json!(["latest"])).await["result"].clone();
    assert_eq!(receipts[0], receipt);
    eprintln!("BLOCK {block:#}\nRECEIPT {receipt:#}");
    eprintln!("REVERT {:#}", rpc(addr, "eth_call", json!([{"to": REVERTER}])).await);
    eprintln!("HIST {:#}", rpc(addr, "eth_feeHistory", json!([2, "latest", [50.0]])).await);
    eprintln!("OVER {:?}", post(addr, &format!(r#"{{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["{}"]}}"#, "a".repeat(70_000))).await);
    eprintln!("BATCH {:?}", post(addr, r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"eth_chainId"},{"jsonrpc":"2.0","id":3,"method":"eth_chainId"}]"#).await);
    eprintln!("BADP {}", rpc(addr, "eth_getBalance", json!(["0xzz"])).await);
    eprintln!("EMPTYBATCH {:?}", post(addr, "[]").await);
    eprintln!("SUBHTTP {}", rpc(addr, "eth_subscribe", json!(["newHeads"])).await);
    eprintln!("GARBAGE {}", rpc(addr, "eth_sendRawTransaction", json!(["0x1234"])).await);

    // State at the head only.
    let balance = rpc(addr, "eth_getBalance", json!([EOA, "latest"])).await;
    assert_eq!(balance["result"], "0xe8d4a51000");
    let old = rpc(addr, "eth_getBalance", json!([EOA, "0x0"])).await;
    assert_eq!(old["error"]["code"], -32000);
    assert_eq!(
        old["error"]["message"],
        "historical state is not available; use latest"
    );
    assert_eq!(rpc(addr, "eth_getBalance", json!([EOA, "0x1"])).await["result"], "0xe8d4a51000");
    assert_eq!(
        rpc(addr, "eth_getCode", json!([ANSWER, "latest"])).await["result"],
        format!("0x{ANSWER_CODE}")
    );
    assert_eq!(
        rpc(addr, "eth_getStorageAt", json!([ANSWER, "0x0", "latest"])).await["result"],
        json!(B256::ZERO)
    );
    let count = |tag: &'static str| rpc(addr, "eth_getTransactionCount", json!([EOA, tag]));
    assert_eq!(count("latest").await["result"], "0x0");
    assert_eq!(count("pending").await["result"], "0x5");

    // Execution.
    let answer = rpc(addr, "eth_call", json!([{"to": ANSWER}, "latest"])).await;
    assert_eq!(answer["result"], json!(B256::with_last_byte(42)));
    let reverted = rpc(addr, "eth_call", json!([{"to": REVERTER}])).await;
    assert_eq!(reverted["error"]["code"], 3);
    assert_eq!(reverted["error"]["message"], "execution reverted: nope");
    assert!(reverted["error"]["data"].as_str().unwrap().starts_with("0x08c379a0"));
    let estimate = rpc(addr, "eth_estimateGas", json!([{"from": EOA, "to": EOA, "value": "0x1"}]));
    assert_eq!(estimate.await["result"], "0x5208");
    let estimate_revert = rpc(addr, "eth_estimateGas", json!([{"to": REVERTER}])).await;
    assert_eq!(estimate_revert["error"]["code"], 3);

    // Fees.
    assert_eq!(rpc(addr, "eth_gasPrice", json!([])).await["result"], "0x8");
    assert_eq!(rpc(addr, "eth_maxPriorityFeePerGas", json!([])).await["result"], "0x1");
    let history = rpc(addr, "eth_feeHistory", json!(["0x2", "latest", [50.0]])).await["result"].clone();
    assert_eq!(history["oldestBlock"], "0x0");
    assert_eq!(history["baseFeePerGas"], json!(["0x7", "0x7", "0x7"]));
    assert_eq!(history["reward"], json!([["0x0"], ["0x2"]]));
    assert_eq!(history["gasUsedRatio"], json!([0.0, 0.0007]));

    // Logs.
    let logs = rpc(addr, "eth_getLogs", json!([{"fromBlock": "0x1", "address": EMITTER}])).await;
    assert_eq!(logs["result"][0]["transactionHash"], json!(tx_hash));
    let none = rpc(addr, "eth_getLogs", json!([{"fromBlock": "0x1", "topics": [B256::ZERO]}])).await;
    assert_eq!(none["result"], json!([]));
    let wide = rpc(addr, "eth_getLogs", json!([{"fromBlock": "0x0", "toBlock": "latest"}])).await;
    assert_eq!(wide["error"]["code"], -32005);
    let by_block = rpc(addr, "eth_getLogs", json!([{"blockHash": committed.block.hash}])).await;
    assert_eq!(by_block["result"].as_array().unwrap().len(), 1);

    // Proofs.
    let proof = rpc(addr, "eth_getProof", json!([EOA, ["0x0"], "latest"])).await["result"].clone();
    assert_eq!(proof["balance"], "0xe8d4a51000");
    assert!(!proof["accountProof"].as_array().unwrap().is_empty());
    let missing = rpc(addr, "eth_getProof", json!([Address::repeat_byte(3), [], "latest"])).await;
    assert_eq!(missing["result"]["codeHash"], json!(spn_primitives::KECCAK_EMPTY));
    assert_eq!(missing["result"]["storageHash"], json!(spn_primitives::EMPTY_ROOT_HASH));

    // Rejections and malformed input.
    let garbage = rpc(addr, "eth_sendRawTransaction", json!(["0x1234"])).await;
    assert_eq!(garbage["error"]["code"], -32000);
    let raw = transfer().encoded();
    let rejected = rpc(addr, "eth_sendRawTransaction", json!([raw])).await;
    assert_eq!(rejected["error"]["code"], -32000);
    assert!(rejected["error"]["message"].as_str().unwrap().starts_with("nonce too low"));
    assert_eq!(rpc(addr, "eth_nope", json!([])).await["error"]["code"], -32601);
    assert_eq!(rpc(addr, "eth_getBalance", json!(["0xzz"])).await["error"]["code"], -32602);
    let (_, text) = post(addr, "{not json").await;
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["error"]["code"], -32700);

    // Oversized bodies and batches are JSON-RPC errors and the server stays up.
    let huge = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["{}"]}}"#, "a".repeat(70_000));
    let (status, text) = post(addr, &huge).await;
    assert_eq!(status, 413);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["error"]["code"], -32007);
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"});
    let (_, text) = post(addr, &json!([call, call, call]).to_string()).await;
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["error"]["code"], -32010);
    let (_, text) = post(addr, &json!([call, call]).to_string()).await;
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap().as_array().unwrap().len(), 2);
    assert_eq!(rpc(addr, "eth_chainId", json!([])).await["result"], "0x7");

    handle.stop().unwrap();
    handle.stopped().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_push_heads_and_matching_logs() {
    let dir = temp_dir("pubsub");
    let _ = std::fs::remove_dir_all(&dir);
    let (store, committed) = chain(&dir);
    let (blocks, _) = broadcast::channel(16);
    let backend = Arc::new(Stub {
        store,
        executor: Executor::new(CHAIN_ID, Arc::new(NoExtensions)),
        blocks: blocks.clone(),
    });
    let module = rpc_module(backend, test_config()).unwrap();
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
    let committed = Arc::new(committed);
    blocks.send(committed.clone()).unwrap();
    let (head, _) = heads.next::<Value>().await.unwrap().unwrap();
    assert_eq!(head["number"], "0x1");
    assert_eq!(head["hash"], json!(committed.block.hash));
    let (log, _) = logs.next::<Value>().await.unwrap().unwrap();
    assert_eq!(log["address"], json!(EMITTER));
    assert_eq!(log["blockNumber"], "0x1");
    assert_eq!(log["removed"], false);
    let nothing = tokio::time::timeout(std::time::Duration::from_millis(200), other_logs.next::<Value>());
    assert!(nothing.await.is_err());
    let unsupported = module
        .subscribe_unbounded("eth_subscribe", ["newPendingTransactions"])
        .await;
    assert!(unsupported.is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
