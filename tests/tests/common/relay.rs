//! Cross-SPN scenarios: SPN nodes with a validator each, relayer processes, and the test
//! applications (Dispatcher on the origin SPN, RecordingRecipient on the destination).
#![allow(dead_code)]

use super::mainnet::{register_spn_with, Operator};
use super::{sibling_binary, NodeProcess, DEV_CHAIN_ID, DEV_KEY_0};
use alloy::primitives::keccak256;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Anvil/hardhat dev account 3.
pub const DEV_KEY_3: &str = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
/// Anvil/hardhat dev account 4.
pub const DEV_KEY_4: &str = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";

/// An SPN with one validator, registered and active on the mainnet, its node running.
pub struct TestSpn {
    pub id: u32,
    pub node: NodeProcess,
    pub validator: Operator,
}

/// Registers SPN `id` with one validator (mainnet account `operator_key`), and starts its
/// node (100 ms blocks, checkpoints every 10 blocks, dev account 0 funded).
pub async fn start_test_spn(dir: &Path, mainnet_url: &str, id: u32, operator_key: &str) -> TestSpn {
    start_test_spn_with(dir, mainnet_url, id, operator_key, &[]).await
}

/// [`start_test_spn`] with `extra` arguments to `spn node run`.
pub async fn start_test_spn_with(
    dir: &Path,
    mainnet_url: &str,
    id: u32,
    operator_key: &str,
    extra: &[&str],
) -> TestSpn {
    let seed = format!("relay-validator-{id}");
    let validator = Operator::new(mainnet_url, operator_key, &seed);
    register_spn_with(mainnet_url, DEV_KEY_0, id, std::slice::from_ref(&validator)).await;
    let funded = super::address_of(DEV_KEY_0);
    let config = dir.join(format!("spn-{id}.toml"));
    std::fs::write(
        &config,
        format!(
            "spn_id = {id}\nname = \"spn-{id}\"\nmainnet_rpc = \"{mainnet_url}\"\n\
             mainnet_chain_id = {DEV_CHAIN_ID}\nblock_time_ms = 100\ncheckpoint_interval = 10\n\
             signing_key = \"{}\"\n\n[alloc]\n\"{funded}\" = \"1000000000000000000000\"\n",
            keccak256(seed.as_bytes())
        ),
    )
    .unwrap();
    let config_arg = config.display().to_string();
    let mut args = vec!["--config", config_arg.as_str(), "--http.port", "0"];
    args.extend_from_slice(extra);
    let node = NodeProcess::start_spn(&dir.join(format!("spn-{id}")), &args);
    TestSpn {
        id,
        node,
        validator,
    }
}

/// A relayer config for `spns` (id, rpc, validator endpoints).
pub fn relayer_config(
    mainnet_url: &str,
    key: &str,
    state: &Path,
    spns: &[(u32, &str, &[&str])],
) -> String {
    let mut s = format!(
        "mainnet_rpc = \"{mainnet_url}\"\nprivate_key = \"{key}\"\nstate_file = \"{}\"\n\
         poll_ms = 200\nstuck_after_ms = 5000\n",
        state.display()
    );
    for (id, rpc, validators) in spns {
        let v: Vec<String> = validators.iter().map(|u| format!("\"{u}\"")).collect();
        s.push_str(&format!(
            "\n[[spn]]\nspn_id = {id}\nrpc = \"{rpc}\"\nvalidators = [{}]\n",
            v.join(", ")
        ));
    }
    s
}

/// A running `spn relayer run`, killed on drop.
pub struct RelayerProcess {
    pub child: Child,
    pub log: PathBuf,
}

impl RelayerProcess {
    /// Starts `spn relayer run --config CONFIG` and waits until it relays.
    pub fn start(config: &Path, log: &Path, extra: &[&str]) -> Self {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        let child = Command::new(sibling_binary("spn"))
            .args(["relayer", "run", "--config"])
            .arg(config)
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("spawn spn relayer");
        let p = Self {
            child,
            log: log.to_path_buf(),
        };
        let start = Instant::now();
        while !p.log().contains("relaying as") {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "relayer did not start:\n{}",
                p.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        p
    }

    /// The relayer's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RelayerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The message id a `Dispatcher` transaction's `Sent` event names.
pub fn sent_id(receipt: &alloy::rpc::types::TransactionReceipt) -> alloy::primitives::B256 {
    receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| {
            l.log_decode::<spn_e2e_tests::apps::IDispatcher::Sent>()
                .ok()
        })
        .expect("a Sent event")
        .inner
        .data
        .id
}
