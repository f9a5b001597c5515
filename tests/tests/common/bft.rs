//! A local `bft` mainnet as a test sees it: `pharos-node testnet` output, validator processes
//! started from their configs, a transfer load spread over the validators, and checks that
//! every validator holds the same chain.
#![allow(dead_code)]

use super::*;
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::B256;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Runs `test` on a two-worker runtime (for tests that hold a std lock across it).
pub fn block_on<F: std::future::Future>(test: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(test)
}

/// What `pharos-node testnet --json` wrote.
pub struct Testnet {
    pub chain_id: u64,
    pub genesis: PathBuf,
    pub configs: Vec<PathBuf>,
    pub datadirs: Vec<PathBuf>,
    pub urls: Vec<String>,
}

/// `pharos-node testnet --out DIR --json [args]`, required to succeed.
pub fn testnet(out: &Path, args: &[&str]) -> Testnet {
    let output = Command::new(node_binary())
        .arg("testnet")
        .arg("--out")
        .arg(out)
        .arg("--json")
        .args(args)
        .output()
        .expect("run pharos-node testnet");
    assert!(
        output.status.success(),
        "pharos-node testnet: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let v: Value = serde_json::from_slice(&output.stdout).expect("testnet --json");
    let validators = v["validators"].as_array().expect("validators");
    let path = |v: &Value| PathBuf::from(v.as_str().expect("path"));
    Testnet {
        chain_id: v["chain_id"].as_u64().expect("chain_id"),
        genesis: path(&v["genesis"]),
        configs: validators.iter().map(|x| path(&x["config"])).collect(),
        datadirs: validators
            .iter()
            .map(|x| path(&x["dir"]).join("data"))
            .collect(),
        urls: validators
            .iter()
            .map(|x| x["rpc"].as_str().expect("rpc").to_string())
            .collect(),
    }
}

impl Testnet {
    /// `pharos-node run --config validator-i/config.toml`, waiting until it serves RPC.
    pub fn start(&self, i: usize) -> NodeProcess {
        NodeProcess::start(
            &self.datadirs[i],
            &["--config", &self.configs[i].display().to_string()],
            &[],
        )
    }

    pub fn url_refs(&self) -> Vec<&str> {
        self.urls.iter().map(String::as_str).collect()
    }
}

/// A base port `p` with `p..p+n` (RPC) and `p+100..p+100+n` (p2p) free on 127.0.0.1.
pub fn free_port_block(n: u16) -> u16 {
    let seed = u64::from(std::process::id()) ^ Instant::now().elapsed().as_nanos() as u64;
    for attempt in 0..200u64 {
        let base = 20_000 + ((seed.wrapping_mul(7919) + attempt * 211) % 25_000) as u16;
        let ports = (base..base + n).chain(base + 100..base + 100 + n);
        let held: Vec<_> = ports
            .map(|p| std::net::TcpListener::bind(("127.0.0.1", p)))
            .collect();
        if held.iter().all(Result::is_ok) {
            return base;
        }
    }
    panic!("no free block of ports");
}

/// One JSON-RPC call; `None` on a transport error (a stopped node).
pub async fn rpc(url: &str, method: &str, params: Value) -> Option<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let resp = reqwest::Client::new()
        .post(url)
        .timeout(Duration::from_secs(5))
        .json(&body)
        .send()
        .await
        .ok()?;
    resp.json().await.ok()
}

/// The head height of `url` (0 if it does not answer).
pub async fn height(url: &str) -> u64 {
    rpc(url, "eth_blockNumber", json!([]))
        .await
        .and_then(|v| v["result"].as_str().map(str::to_owned))
        .and_then(|h| u64::from_str_radix(h.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0)
}

/// (hash, state root) of block `number` on `url`.
pub async fn block_id(url: &str, number: u64) -> Option<(String, String)> {
    let v = rpc(
        url,
        "eth_getBlockByNumber",
        json!([format!("0x{number:x}"), false]),
    )
    .await?;
    let b = v.get("result")?;
    Some((b["hash"].as_str()?.into(), b["stateRoot"].as_str()?.into()))
}

/// Waits until every node in `urls` is at `number` or beyond.
pub async fn all_reach(urls: &[&str], number: u64, timeout: Duration) {
    for url in urls {
        eventually(
            &format!("{url} to reach block {number}"),
            timeout,
            || async { (height(url).await >= number).then_some(()) },
        )
        .await;
    }
}

/// Requires every node in `urls` to hold the same block hash and state root at every height
/// `1..=up_to`.
pub async fn identical_chains(urls: &[&str], up_to: u64) {
    for number in 1..=up_to {
        let mut seen = Vec::new();
        for url in urls {
            let id = block_id(url, number)
                .await
                .unwrap_or_else(|| panic!("{url} has no block {number}"));
            seen.push(id);
        }
        assert!(
            seen.windows(2).all(|w| w[0] == w[1]),
            "validators disagree on block {number}: {seen:?}"
        );
    }
}

/// A transfer sent through `eth_sendRawTransaction` that a node accepted.
#[derive(Debug, Clone)]
pub struct Sent {
    pub hash: B256,
    pub sender: Address,
    pub nonce: u64,
    /// The node that accepted it.
    pub url: String,
    /// The signed transaction, as sent.
    pub raw: String,
}

/// A load of signed transfers from several dev accounts, spread round-robin over the nodes;
/// a node that does not answer (stopped) is skipped and the same transaction goes to the next.
pub struct TransferLoad {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<Sent>>,
}

impl TransferLoad {
    /// Starts sending: each of `keys` sends one transfer about every `pause`.
    pub fn start(
        chain_id: u64,
        urls: Vec<String>,
        keys: Vec<&'static str>,
        pause: Duration,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut nonces = vec![0u64; keys.len()];
            let mut sent = Vec::new();
            let mut turn = 0usize;
            while !flag.load(Ordering::Relaxed) {
                for (k, key) in keys.iter().enumerate() {
                    let tx = signed_transfer(key, chain_id, nonces[k], 21_000, 1);
                    let raw = format!("0x{}", alloy::primitives::hex::encode(tx.encoded_2718()));
                    for attempt in 0..urls.len() {
                        let url = &urls[(turn + k + attempt) % urls.len()];
                        let Some(v) = rpc(url, "eth_sendRawTransaction", json!([raw])).await else {
                            continue;
                        };
                        let message = v["error"]["message"].as_str().unwrap_or_default();
                        // A node stopped while answering may have taken it already.
                        let taken =
                            message == "already known" || message.starts_with("nonce too low");
                        if v["result"].is_string() || taken {
                            if let Some(hash) = v["result"].as_str() {
                                assert_eq!(hash.parse::<B256>().ok(), Some(*tx.tx_hash()));
                            }
                            sent.push(Sent {
                                hash: *tx.tx_hash(),
                                sender: address_of(key),
                                nonce: nonces[k],
                                url: url.clone(),
                                raw: raw.clone(),
                            });
                            nonces[k] += 1;
                            break;
                        }
                        // While the chain is halted the pool fills: send it again next turn.
                        if message == "account limit exceeded" || message == "txpool is full" {
                            break;
                        }
                        panic!("{url} refused transfer {} of {key}: {v}", nonces[k]);
                    }
                }
                turn += 1;
                tokio::time::sleep(pause).await;
            }
            sent
        });
        Self { stop, task }
    }

    /// Stops sending and returns what the nodes accepted.
    pub async fn stop(self) -> Vec<Sent> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("load task")
    }
}

/// Sends again, through `via`, each transfer that only a node at `stopped` accepted and that
/// no node in `urls` holds any more (neither in a block nor pooled): what a wallet does when
/// the node it sent to went down. Returns how many were lost so.
pub async fn resubmit_lost(sent: &[Sent], stopped: &[&str], urls: &[&str], via: &str) -> usize {
    let mut lost = 0;
    for s in sent.iter().filter(|s| stopped.contains(&s.url.as_str())) {
        let mut known = false;
        for url in urls {
            let v = rpc(url, "eth_getTransactionByHash", json!([s.hash])).await;
            known |= v.is_some_and(|v| v.get("result").is_some_and(|r| !r.is_null()));
        }
        if known {
            continue;
        }
        let v = rpc(via, "eth_sendRawTransaction", json!([s.raw]))
            .await
            .unwrap_or_else(|| panic!("{via} does not answer"));
        assert!(
            v["result"].is_string(),
            "{via} refused a lost transfer again: {v}"
        );
        lost += 1;
    }
    lost
}

/// Waits until every transfer in `sent` has a successful receipt on `url`; returns the
/// highest block holding one.
pub async fn all_receipted(url: &str, sent: &[Sent], timeout: Duration) -> u64 {
    let mut highest = 0;
    for s in sent {
        let block = eventually(
            &format!(
                "a receipt for {:?} (nonce {} of {})",
                s.hash, s.nonce, s.sender
            ),
            timeout,
            || async {
                let v = rpc(url, "eth_getTransactionReceipt", json!([s.hash])).await?;
                let r = v.get("result").filter(|r| !r.is_null())?;
                assert_eq!(r["status"], "0x1", "transfer {:?} failed: {r}", s.hash);
                let n = r["blockNumber"].as_str()?;
                u64::from_str_radix(n.trim_start_matches("0x"), 16).ok()
            },
        )
        .await;
        highest = highest.max(block);
    }
    highest
}

/// Checks, the way a light client or an SPN node would, that `url` serves a finality
/// certificate for block `number` (`bft_getCertificate`) that proves it final: the header
/// hashes to the certified block, which is the block `eth_getBlockByNumber` serves, and
/// precommits of more than two thirds of the stake of exactly the validators `keys` sign it.
/// Returns how many validators signed.
pub async fn assert_block_certified(url: &str, number: u64, keys: &[B256]) -> usize {
    let answer = rpc(url, "bft_getCertificate", json!([number]))
        .await
        .expect("bft_getCertificate answers");
    let certified: spn_node::CertifiedHeader = serde_json::from_value(answer["result"].clone())
        .unwrap_or_else(|e| {
            panic!("block {number}'s certificate from {url} does not decode: {e}: {answer}")
        });
    assert_eq!(certified.number, number, "{answer}");
    assert_eq!(
        alloy::primitives::keccak256(&certified.header),
        certified.block_hash,
        "the header is the certified block's"
    );
    let (hash, _) = block_id(url, number).await.expect("the block");
    assert_eq!(format!("{:#x}", certified.block_hash), hash);
    let served: std::collections::BTreeSet<B256> =
        certified.validators.iter().map(|v| v.key).collect();
    let expected: std::collections::BTreeSet<B256> = keys.iter().copied().collect();
    assert_eq!(
        served, expected,
        "the set is exactly the registered validators"
    );
    let members: Vec<([u8; 32], u64)> = certified
        .validators
        .iter()
        .map(|v| (v.key.0, v.stake))
        .collect();
    let set = spn_consensus::bft::StakeSet::new(&members).expect("a stake set");
    let chain_id = rpc(url, "eth_chainId", json!([]))
        .await
        .and_then(|v| v["result"].as_str().map(str::to_owned))
        .and_then(|h| u64::from_str_radix(h.trim_start_matches("0x"), 16).ok())
        .expect("eth_chainId");
    let certificate = certified.certificate().expect("well-formed signatures");
    spn_consensus::bft::verify_commit_certificate(chain_id, &set, &certificate)
        .unwrap_or_else(|e| panic!("block {number}'s certificate from {url}: {e}"));
    certificate.signatures.len()
}
