//! Start real `pharos-node` processes on 127.0.0.1 and talk to them like users do.
#![allow(dead_code)]

pub mod bft;
pub mod cli;
pub mod devnet;
pub mod docs;
pub mod lying_rpc;
pub mod mainnet;
pub mod poa;
pub mod project;
pub mod relay;
pub mod rogue;

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, TxKind, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::{local::PrivateKeySigner, SignerSync};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The first dev account's key (anvil/hardhat account 0).
pub const DEV_KEY_0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// The second dev account's key.
pub const DEV_KEY_1: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
/// The dev chain id.
pub const DEV_CHAIN_ID: u64 = 31337;

/// Path of the `pharos-node` binary next to the test binaries (built by `cargo build --bins`).
pub fn node_binary() -> PathBuf {
    if let Ok(p) = std::env::var("PHAROS_NODE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile dir");
    let bin = dir.join("pharos-node");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release --bins` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// A running `pharos-node` process, killed on drop.
pub struct NodeProcess {
    pub child: Child,
    pub datadir: PathBuf,
    pub url: String,
    pub ws_url: String,
    pub log: PathBuf,
}

impl NodeProcess {
    /// `pharos-node run --dev --datadir DIR --http.port 0 [extra]`, waiting until it listens.
    pub fn start_dev(datadir: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["--dev", "--http.port", "0"];
        args.extend_from_slice(extra);
        Self::start(datadir, &args, &[])
    }

    /// `pharos-node run --datadir DIR [args]` with extra environment, waiting until it listens.
    pub fn start(datadir: &Path, run_args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut args = vec!["run"];
        args.extend_from_slice(run_args);
        Self::spawn(&node_binary(), &args, datadir, env)
    }

    /// `spn node run --datadir DIR [args]`, waiting until it listens.
    pub fn start_spn(datadir: &Path, run_args: &[&str]) -> Self {
        let mut args = vec!["node", "run"];
        args.extend_from_slice(run_args);
        Self::spawn(&sibling_binary("spn"), &args, datadir, &[])
    }

    /// `BINARY ARGS --datadir DIR --http.addr-file F`, waiting until it writes the file.
    pub fn spawn(binary: &Path, run_args: &[&str], datadir: &Path, env: &[(&str, &str)]) -> Self {
        let addr_file = datadir.with_extension("addr");
        let _ = std::fs::remove_file(&addr_file);
        let log = datadir.with_extension(format!("log.{}", std::process::id()));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let mut args: Vec<String> = run_args.iter().map(|s| s.to_string()).collect();
        args.extend([
            "--datadir".into(),
            datadir.display().to_string(),
            "--http.addr-file".into(),
            addr_file.display().to_string(),
        ]);
        let child = Command::new(binary)
            .args(&args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
        let started = Instant::now();
        let addr = loop {
            if let Ok(a) = std::fs::read_to_string(&addr_file) {
                if !a.is_empty() {
                    break a;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{} did not start; log:\n{}",
                binary.display(),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Self {
            child,
            datadir: datadir.to_path_buf(),
            url: format!("http://{addr}"),
            ws_url: format!("ws://{addr}"),
            log,
        }
    }

    /// Kills the process with SIGKILL and waits for it.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The node's log so far.
    /// What the process logged so far, without terminal colours.
    pub fn log(&self) -> String {
        strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` without ANSI colour sequences (`ESC [ … m`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Path of a binary built next to `pharos-node` (e.g. `spn`).
pub fn sibling_binary(name: &str) -> PathBuf {
    node_binary().with_file_name(name)
}

/// A provider signing with `key`, over HTTP.
pub fn provider(url: &str, key: &str) -> DynProvider {
    let signer: PrivateKeySigner = key.parse().expect("key");
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url.parse().expect("url"))
        .erased()
}

/// A provider without a wallet.
pub fn reader(url: &str) -> DynProvider {
    ProviderBuilder::new()
        .connect_http(url.parse().expect("url"))
        .erased()
}

/// The address of a key.
pub fn address_of(key: &str) -> Address {
    key.parse::<PrivateKeySigner>().expect("key").address()
}

/// An EIP-1559 transfer of `value` wei to 0xeeee…ee, signed with `key`.
pub fn signed_transfer(
    key: &str,
    chain_id: u64,
    nonce: u64,
    gas_limit: u64,
    value: u64,
) -> TxEnvelope {
    let signer: PrivateKeySigner = key.parse().expect("key");
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(Address::repeat_byte(0xee)),
        value: U256::from(value),
        ..Default::default()
    };
    let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    tx.into_signed(sig).into()
}

/// Sends `wei` from the provider's wallet to `to` and waits for the receipt.
pub async fn transfer_and_wait(
    p: &DynProvider,
    to: Address,
    wei: u64,
) -> alloy::rpc::types::TransactionReceipt {
    let tx = alloy::rpc::types::TransactionRequest::default()
        .to(to)
        .value(alloy::primitives::U256::from(wei));
    p.send_transaction(tx)
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("mined")
}

/// Sends a raw JSON-RPC body over HTTP and returns the status and parsed response.
pub async fn raw_post(url: &str, body: impl Into<reqwest::Body>) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("http request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// The Counter fixture's creation bytecode.
pub fn counter_bytecode() -> alloy::primitives::Bytes {
    let text = include_str!("../../fixtures/Counter.json");
    let json: serde_json::Value = serde_json::from_str(text).expect("fixture json");
    json["bytecode"]
        .as_str()
        .expect("bytecode")
        .parse()
        .expect("hex")
}

alloy::sol! {
    #[sol(rpc)]
    #[derive(Debug)]
    interface ICounter {
        error Nope(uint256 code);
        event Incremented(address indexed by, uint256 newCount);
        function count() external view returns (uint256);
        function increment() external;
        function fail() external pure;
        function failCustom() external pure;
    }
}

/// Polls `f` until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Deploys fixture `name` and returns its address.
pub async fn deploy(p: &DynProvider, name: &str) -> Address {
    spn_e2e_tests::apps::deploy(p, name).await.expect("deploy")
}

/// `pharos-node init --chain DIR/genesis.toml --datadir DIR/data` with `genesis` (TOML),
/// required to succeed; returns the data directory.
pub fn init_chain(dir: &Path, genesis: &str) -> PathBuf {
    let spec = dir.join("genesis.toml");
    std::fs::write(&spec, genesis).expect("write genesis");
    let datadir = dir.join("data");
    let out = Command::new(node_binary())
        .args(["init", "--chain"])
        .arg(&spec)
        .arg("--datadir")
        .arg(&datadir)
        .output()
        .expect("run pharos-node init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    datadir
}
