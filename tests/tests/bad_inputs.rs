//! Every bad request gets a JSON-RPC error, changes nothing, and the server stays up.

mod common;

use alloy::consensus::{SignableTransaction, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{hex, Address, Signature, U256};
use alloy::providers::Provider;
use common::*;
use serde_json::{json, Value};

struct Fixture {
    _dir: tempfile::TempDir,
    node: NodeProcess,
}

fn start() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("node"), &[]);
    Fixture { _dir: dir, node }
}

fn raw_hex(tx: &TxEnvelope) -> String {
    format!("0x{}", hex::encode(tx.encoded_2718()))
}

async fn rpc(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    raw_post(url, body.to_string()).await.1
}

fn error_message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Block number and dev account 0's nonce and balance: what "no state change" compares.
async fn snapshot(url: &str) -> (u64, u64, U256) {
    let p = reader(url);
    let who = address_of(DEV_KEY_0);
    (
        p.get_block_number().await.expect("block number"),
        p.get_transaction_count(who).await.expect("nonce"),
        p.get_balance(who).await.expect("balance"),
    )
}

async fn assert_rejected(url: &str, raw: String, expect: &str) {
    let before = snapshot(url).await;
    let v = rpc(url, "eth_sendRawTransaction", json!([raw])).await;
    assert!(v["error"].is_object(), "expected an error, got {v}");
    assert!(
        error_message(&v).contains(expect),
        "expected `{expect}` in {v}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        snapshot(url).await,
        before,
        "a rejected transaction changed state"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_gets_parse_error() {
    let f = start();
    let (_, v) = raw_post(&f.node.url, "{\"jsonrpc\": \"2.0\", \"method\": ").await;
    assert_eq!(v["error"]["code"], -32700, "{v}");
    assert!(
        reader(&f.node.url).get_block_number().await.is_ok(),
        "server stays up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_method_gets_method_not_found() {
    let f = start();
    let v = rpc(&f.node.url, "eth_doesNotExist", json!([])).await;
    assert_eq!(v["error"]["code"], -32601, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_params_get_invalid_params() {
    let f = start();
    let v = rpc(&f.node.url, "eth_getBalance", json!(["0x1234", "latest"])).await;
    assert_eq!(v["error"]["code"], -32602, "{v}");
    let v = rpc(&f.node.url, "eth_sendRawTransaction", json!(["0xdeadbeef"])).await;
    assert!(v["error"].is_object(), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_chain_id_is_rejected() {
    let f = start();
    let tx = signed_transfer(DEV_KEY_0, 1, 0, 21_000, 1);
    assert_rejected(&f.node.url, raw_hex(&tx), "chain id").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signature_is_rejected() {
    let f = start();
    let TxEnvelope::Eip1559(signed) = signed_transfer(DEV_KEY_0, DEV_CHAIN_ID, 0, 21_000, 1) else {
        panic!("1559 expected");
    };
    let sig = signed.signature();
    let forged = Signature::new(U256::ZERO, sig.s(), sig.v());
    let tx: TxEnvelope = signed.tx().clone().into_signed(forged).into();
    assert_rejected(&f.node.url, raw_hex(&tx), "signature").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_too_low_is_rejected() {
    let f = start();
    let p = provider(&f.node.url, DEV_KEY_0);
    let first = signed_transfer(DEV_KEY_0, DEV_CHAIN_ID, 0, 21_000, 1);
    p.send_raw_transaction(&first.encoded_2718())
        .await
        .expect("first accepted")
        .get_receipt()
        .await
        .expect("mined");
    let replay = signed_transfer(DEV_KEY_0, DEV_CHAIN_ID, 0, 21_000, 2);
    assert_rejected(&f.node.url, raw_hex(&replay), "nonce too low").await;
    // The exact same bytes again (a replay) are rejected too.
    assert_rejected(&f.node.url, raw_hex(&first), "nonce too low").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_gap_is_queued_not_lost() {
    let f = start();
    let p = reader(&f.node.url);
    let later = signed_transfer(DEV_KEY_0, DEV_CHAIN_ID, 1, 21_000, 5);
    let v = rpc(
        &f.node.url,
        "eth_sendRawTransaction",
        json!([raw_hex(&later)]),
    )
    .await;
    assert!(
        v["result"].is_string(),
        "gapped tx accepted into the queue: {v}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        p.get_transaction_count(address_of(DEV_KEY_0))
            .await
            .expect("nonce"),
        0
    );
    let first = signed_transfer(DEV_KEY_0, DEV_CHAIN_ID, 0, 21_000, 5);
    rpc(
        &f.node.url,
        "eth_sendRawTransaction",
        json!([raw_hex(&first)]),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while p
        .get_transaction_count(address_of(DEV_KEY_0))
        .await
        .expect("nonce")
        < 2
    {
        assert!(std::time::Instant::now() < deadline, "queued tx was lost");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        p.get_balance(Address::repeat_byte(0xee))
            .await
            .expect("balance"),
        U256::from(10)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_funds_is_rejected() {
    let f = start();
    let pauper = "0x0000000000000000000000000000000000000000000000000000000000000abc";
    let tx = signed_transfer(pauper, DEV_CHAIN_ID, 0, 21_000, 1);
    assert_rejected(&f.node.url, raw_hex(&tx), "insufficient funds").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gas_above_block_limit_is_rejected() {
    let f = start();
    let tx = signed_transfer(DEV_KEY_0, DEV_CHAIN_ID, 0, 2_000_000_000, 1);
    assert_rejected(&f.node.url, raw_hex(&tx), "gas limit").await;
}

/// Posts an 11 MiB body over a raw socket, writing and reading concurrently: the server may
/// answer (and close) before it has read the whole body, which an HTTP client reports as a
/// failed send instead of showing the answer.
async fn post_oversized(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let body = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_sendRawTransaction\",\"params\":[\"0x{}\"]}}",
        "ab".repeat(11 << 20)
    );
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let _ = wr.write_all(body.as_bytes()).await;
    });
    let mut response = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        rd.read_to_end(&mut response),
    );
    let _ = read.await;
    writer.abort();
    String::from_utf8_lossy(&response).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_gets_an_error_and_server_stays_up() {
    let f = start();
    let response = post_oversized(&f.node.url).await;
    let (status_line, rest) = response.split_once("\r\n").unwrap_or_default();
    assert!(status_line.contains("413"), "expected 413, got: {response}");
    let json_start = rest.find('{').unwrap_or(rest.len());
    let v: Value = serde_json::from_str(rest[json_start..].trim()).unwrap_or(Value::Null);
    assert!(
        v["error"]["code"].is_i64(),
        "expected a JSON-RPC error body: {response}"
    );
    assert!(
        reader(&f.node.url).get_block_number().await.is_ok(),
        "server stays up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_batch_gets_an_error() {
    let f = start();
    let batch: Vec<Value> = (0..101)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber", "params": []}))
        .collect();
    let (_, v) = raw_post(&f.node.url, Value::Array(batch).to_string()).await;
    let err = if v.is_array() {
        v[0]["error"].clone()
    } else {
        v["error"].clone()
    };
    assert!(err.is_object(), "{v}");
    assert!(
        reader(&f.node.url).get_block_number().await.is_ok(),
        "server stays up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_logs_over_range_cap_gets_an_error() {
    let f = start();
    let v = rpc(
        &f.node.url,
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "toBlock": "0x30d40"}]),
    )
    .await;
    assert!(v["error"].is_object(), "{v}");
    assert!(error_message(&v).contains("range"), "{v}");
}
