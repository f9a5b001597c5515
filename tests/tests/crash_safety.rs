//! kill -9 the node again and again while it produces blocks under load: every block it had
//! reported comes back identical after restart, and the chain continues.

mod common;

use alloy::eips::eip2718::Encodable2718;
use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{hex, B256};
use alloy::providers::Provider;
use common::*;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const KEYS: [&str; 2] = [DEV_KEY_0, DEV_KEY_1];

/// Sends signed transfers from the dev accounts as fast as the node takes them, until stopped.
async fn load(url: String, stop: Arc<AtomicBool>) {
    let client = reqwest::Client::new();
    let p = reader(&url);
    let mut nonces = Vec::new();
    for key in KEYS {
        nonces.push(p.get_transaction_count(address_of(key)).await.unwrap_or(0));
    }
    while !stop.load(Ordering::Relaxed) {
        let mut batch = Vec::new();
        for (i, key) in KEYS.iter().enumerate() {
            for _ in 0..20 {
                let env = signed_transfer(key, DEV_CHAIN_ID, nonces[i], 21_000, 1);
                batch.push(serde_json::json!({
                    "jsonrpc": "2.0", "id": nonces[i], "method": "eth_sendRawTransaction",
                    "params": [format!("0x{}", hex::encode(env.encoded_2718()))]
                }));
                nonces[i] += 1;
            }
        }
        let sent = client
            .post(&url)
            .header("content-type", "application/json")
            .body(serde_json::Value::Array(batch).to_string())
            .send()
            .await;
        if sent.is_err() {
            return; // the node was killed
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_under_load_loses_no_reported_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = dir.path().join("node");
    // Everything the node ever reported: number -> (hash, state root).
    let mut reported: BTreeMap<u64, (B256, B256)> = BTreeMap::new();
    // Deterministic kill schedule (ms of load before each kill).
    let schedule = [700u64, 1_300, 450, 1_900, 900, 300];
    for (round, wait_ms) in schedule.iter().enumerate() {
        let node = NodeProcess::start_dev(&datadir, &["--block-time", "100"]);
        let p = reader(&node.url);
        // Everything reported before the last kill is still there, unchanged.
        for (number, (hash, root)) in &reported {
            let b = p
                .get_block_by_number(BlockNumberOrTag::Number(*number))
                .await
                .expect("rpc")
                .unwrap_or_else(|| panic!("round {round}: block {number} lost after kill -9"));
            assert_eq!(
                b.header.hash, *hash,
                "round {round}: block {number} hash changed"
            );
            assert_eq!(
                b.header.state_root, *root,
                "round {round}: block {number} root changed"
            );
        }
        let start_head = p.get_block_number().await.expect("head");
        let stop = Arc::new(AtomicBool::new(false));
        let loader = tokio::spawn(load(node.url.clone(), stop.clone()));
        let deadline = tokio::time::Instant::now() + Duration::from_millis(*wait_ms);
        while tokio::time::Instant::now() < deadline {
            if let Ok(n) = p.get_block_number().await {
                if let Ok(Some(b)) = p.get_block_by_number(BlockNumberOrTag::Number(n)).await {
                    reported.insert(n, (b.header.hash, b.header.state_root));
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        // Kill while blocks are being produced.
        node.kill9();
        stop.store(true, Ordering::Relaxed);
        let _ = loader.await;
        let head_seen = reported.keys().next_back().copied().unwrap_or(0);
        assert!(
            head_seen > start_head || round == 0,
            "round {round}: the chain did not continue after restart ({start_head} -> {head_seen})"
        );
    }
    let blocks_with_txs = {
        let node = NodeProcess::start_dev(&datadir, &[]);
        let p = reader(&node.url);
        let head = p.get_block_number().await.expect("head");
        let mut n = 0;
        for number in 1..=head {
            let b = p
                .get_block_by_number(BlockNumberOrTag::Number(number))
                .await
                .expect("rpc")
                .expect("block");
            n += usize::from(!b.transactions.is_empty());
        }
        n
    };
    assert!(blocks_with_txs > 0, "the load produced no transactions");
    assert!(
        reported.len() > schedule.len(),
        "too few blocks observed: {}",
        reported.len()
    );
}
