//! The escape hatch over real processes, driven by the `spn` CLI as a user would: a forced
//! withdrawal an honest SPN honours (no freeze possible, bond back); an SPN whose validator
//! is killed, and one whose sequencer censors the request, frozen after the deadline (time
//! warped on the dev mainnet), their operators slashed, and the user's balance at the last
//! finalized checkpoint paid exactly once by `spn exit` (from a dead node's data directory,
//! or from a live node's RPC).

mod common;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use common::cli::{spn_fails, spn_json};
use common::docs::shell_blocks;
use common::relay::*;
use common::*;
use pharos_contracts::{
    self as sc, bridge::Bridge, registry::Registry, restaking::Restaking, spn_bridge::SpnBridge,
};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SPN: u32 = 1001;
/// Dev account 5: the user.
const USER: &str = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

/// `spn ARGS --rpc URL` with the user's key, killed if it runs longer than `limit`.
fn spn_within(url: &str, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(sibling_binary("spn"))
        .env_remove("SPN_RPC")
        .env("SPN_PRIVATE_KEY", USER)
        .args(args)
        .args(["--rpc", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spn");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "spn {args:?} ran over {limit:?}:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("output")
}

/// A running SPN with its relayer, and the user's deposit credited and checkpointed.
struct Scene {
    _dir: tempfile::TempDir,
    mainnet: NodeProcess,
    spn: TestSpn,
    relayer: RelayerProcess,
    user: Address,
}

impl Scene {
    fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// Every validator dies (this SPN has one) and nobody relays any more.
    fn kill_spn_and_relayer(&mut self) {
        for child in [&mut self.spn.node.child, &mut self.relayer.child] {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

async fn scene(node_args: &[&str], deposit: &str) -> Scene {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mainnet = NodeProcess::start_dev(&d.join("mainnet"), &[]);
    let spn = start_test_spn_with(d, &mainnet.url, SPN, DEV_KEY_1, node_args).await;
    let config = d.join("relayer.toml");
    std::fs::write(
        &config,
        relayer_config(
            &mainnet.url,
            DEV_KEY_3,
            &d.join("relayer-state.json"),
            &[(SPN, &spn.node.url, &[&spn.node.url])],
        ),
    )
    .unwrap();
    let relayer = RelayerProcess::start(&config, &d.join("relayer.log"), &[]);
    let user = address_of(USER);
    spn_json(
        &mainnet.url,
        USER,
        &["deposit", "--spn", "1001", "--amount", deposit],
    );
    let s = Scene {
        _dir: dir,
        mainnet,
        spn,
        relayer,
        user,
    };
    let credited = s.spn_balance().await;
    assert_eq!(credited, ether_str(deposit));
    s.checkpointed_from(head_of(&s.spn.node.url).await).await;
    s
}

fn ether_str(amount: &str) -> U256 {
    U256::from(amount.parse::<u64>().unwrap()) * U256::from(10u64).pow(U256::from(18))
}

async fn head_of(url: &str) -> u64 {
    reader(url).get_block_number().await.unwrap()
}

impl Scene {
    /// The user's native balance on the SPN, once it is non-zero.
    async fn spn_balance(&self) -> U256 {
        let p = reader(&self.spn.node.url);
        let bridge = SpnBridge::new(sc::SPN_BRIDGE, &p);
        eventually(
            "the deposit credited on the SPN",
            Duration::from_secs(60),
            || {
                let bridge = bridge.clone();
                let user = self.user;
                async move {
                    let b = bridge.balanceOf(sc::NATIVE_TOKEN, user).call().await.ok()?;
                    (!b.is_zero()).then_some(b)
                }
            },
        )
        .await
    }

    /// Waits until the mainnet finalized a checkpoint at or above SPN block `height`.
    async fn checkpointed_from(&self, height: u64) -> u64 {
        let p = reader(&self.mainnet.url);
        eventually("a finalized checkpoint", Duration::from_secs(60), || {
            let registry = Registry::new(sc::REGISTRY, &p);
            async move {
                let h = registry.latestCheckpoint(SPN).call().await.ok()?.height;
                (h >= height).then_some(h)
            }
        })
        .await
    }

    fn cli(&self, args: &[&str]) -> Value {
        spn_json(&self.mainnet.url, USER, args)
    }

    fn cli_fails(&self, args: &[&str]) -> String {
        spn_fails(&self.mainnet.url, Some(USER), args)
    }

    async fn status(&self) -> u8 {
        Registry::new(sc::REGISTRY, reader(&self.mainnet.url))
            .status(SPN)
            .call()
            .await
            .unwrap()
    }

    async fn escrow(&self) -> U256 {
        Bridge::new(sc::BRIDGE, reader(&self.mainnet.url))
            .escrowed(SPN, sc::NATIVE_TOKEN)
            .call()
            .await
            .unwrap()
    }

    /// Freezes the SPN for `request` after warping past its deadline, checks the slashing,
    /// then exits through `source` and checks the user is paid `expected` exactly, once, and
    /// `refund` for deposits the SPN never credited.
    async fn freeze_and_exit(&self, request: &str, source: &[&str], expected: U256, refund: U256) {
        let refused = self.cli_fails(&["freeze", "--request", request]);
        assert!(refused.contains("has not passed"), "{refused}");
        let early = self.cli_fails(&[&["exit", "--spn", "1001"], source].concat());
        assert!(early.contains("not frozen"), "{early}");

        let warped = self.cli(&["devnet", "warp", "301s"]);
        assert_eq!(warped["warped"], 301, "{warped}");
        let status = self.cli(&["status", "--request", request]);
        assert_eq!(status["state"], "pending", "{status}");
        assert_eq!(status["freezable"], true, "{status}");

        let operator = self.spn.validator.address;
        let restaking = Restaking::new(sc::RESTAKING, reader(&self.mainnet.url));
        let staked = restaking.stakeOf(SPN, operator).call().await.unwrap();
        assert!(!staked.is_zero());
        let frozen = self.cli(&["freeze", "--request", request]);
        assert_eq!(frozen["spn_id"], SPN, "{frozen}");
        assert_eq!(frozen["slashed"], staked.to_string(), "{frozen}");
        assert_eq!(self.status().await, 3, "frozen");
        assert!(restaking
            .stakeOf(SPN, operator)
            .call()
            .await
            .unwrap()
            .is_zero());

        let p = reader(&self.mainnet.url);
        let escrow_before = self.escrow().await;
        let before = p.get_balance(self.user).await.unwrap();
        let exited = self.cli(&[&["exit", "--spn", "1001"], source].concat());
        assert_eq!(exited["amount"], expected.to_string(), "{exited}");
        assert_eq!(exited["refunded"], refund.to_string(), "{exited}");
        let mut txs = vec![exited["tx_hash"].clone()];
        txs.extend(
            exited["refunds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["tx_hash"].clone()),
        );
        let mut gas = U256::ZERO;
        for tx in txs {
            let receipt = p
                .get_transaction_receipt(tx.as_str().unwrap().parse().unwrap())
                .await
                .unwrap()
                .unwrap();
            gas += U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
        }
        let after = p.get_balance(self.user).await.unwrap();
        assert_eq!(
            after + gas - before,
            expected + refund,
            "paid exactly the balance"
        );
        assert_eq!(self.escrow().await, escrow_before - expected - refund);

        let again = self.cli_fails(&[&["exit", "--spn", "1001"], source].concat());
        assert!(again.contains("already exited"), "{again}");
        let late = self.cli_fails(&["withdraw", "--force", "--spn", "1001", "--amount", "1"]);
        assert!(late.contains("frozen"), "{late}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_spn_honours_a_forced_withdrawal_and_cannot_be_frozen() {
    let s = scene(&[], "3").await;
    // The command waits, showing the deadline, until the SPN processed the request and the
    // relayer proved it on the mainnet.
    let out = spn_within(
        &s.mainnet.url,
        &["withdraw", "--force", "--spn", "1001", "--amount", "1"],
        Duration::from_secs(90),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("forced withdrawal #1"), "{stdout}");
    assert!(stdout.contains("deadline"), "{stdout}");
    assert!(stdout.contains("honoured"), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("waiting for the SPN to process it"),
        "{stderr}"
    );

    let status = s.cli(&["status", "--request", "1"]);
    assert_eq!(status["state"], "honoured", "{status}");
    // The relayer proved it (its log line follows the receipt it waits for).
    eventually("the relayer's log", Duration::from_secs(10), || async {
        s.relayer
            .log()
            .contains("forced withdrawal proven processed")
            .then_some(())
    })
    .await;
    // The SPN burned 1 and its withdrawal message pays it on the mainnet; the bond went back,
    // so the Bridge holds exactly the escrow.
    let p = reader(&s.mainnet.url);
    eventually("the withdrawal paid", Duration::from_secs(60), || async {
        (s.escrow().await == ether_str("2")).then_some(())
    })
    .await;
    assert_eq!(p.get_balance(sc::BRIDGE).await.unwrap(), ether_str("2"));
    let left = SpnBridge::new(sc::SPN_BRIDGE, reader(&s.spn.node.url))
        .balanceOf(sc::NATIVE_TOKEN, s.user)
        .call()
        .await
        .unwrap();
    assert_eq!(left, ether_str("2"));

    // Never freezable, not even after its deadline.
    let refused = s.cli_fails(&["freeze", "--request", "1"]);
    assert!(refused.contains("was honoured"), "{refused}");
    s.cli(&["devnet", "warp", "1h"]);
    let refused = s.cli_fails(&["freeze", "--request", "1"]);
    assert!(refused.contains("was honoured"), "{refused}");
    assert_eq!(s.status().await, 2, "still active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_spn_is_frozen_after_the_deadline_and_the_user_exits_from_its_datadir() {
    let mut s = scene(&[], "5").await;
    let datadir = s.dir().join(format!("spn-{SPN}"));
    s.kill_spn_and_relayer();

    let request = s.cli(&[
        "withdraw",
        "--force",
        "--spn",
        "1001",
        "--amount",
        "5",
        "--no-wait",
    ]);
    assert_eq!(request["request_id"], 1, "{request}");
    let datadir = datadir.display().to_string();
    s.freeze_and_exit("1", &["--datadir", &datadir], ether_str("5"), U256::ZERO)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_censoring_sequencer_is_frozen_and_the_user_exits_over_rpc() {
    let s = scene(&["--censor-forced-withdrawals"], "4").await;
    let request = s.cli(&[
        "withdraw",
        "--force",
        "--spn",
        "1001",
        "--amount",
        "4",
        "--no-wait",
    ]);
    assert_eq!(request["request_id"], 1, "{request}");
    // Queued behind the request, a second deposit is never credited either: refunded below.
    s.cli(&["deposit", "--spn", "1001", "--amount", "1"]);
    // The SPN runs on and checkpoints, but never processes the request.
    let now = head_of(&s.spn.node.url).await;
    s.checkpointed_from(now + 20).await;
    assert!(s.spn.node.log().contains("censoring forced withdrawals"));
    let status = s.cli(&["status", "--request", "1"]);
    assert_eq!(status["state"], "pending", "{status}");
    let credited = SpnBridge::new(sc::SPN_BRIDGE, reader(&s.spn.node.url))
        .balanceOf(sc::NATIVE_TOKEN, s.user)
        .call()
        .await
        .unwrap();
    assert_eq!(credited, ether_str("4"), "the held deposit is not credited");
    let url = s.spn.node.url.clone();
    s.freeze_and_exit("1", &["--spn-rpc", &url], ether_str("4"), ether_str("1"))
        .await;
    // Frozen: no checkpoint is accepted any more.
    let p = reader(&s.mainnet.url);
    let registry = Registry::new(sc::REGISTRY, &p);
    let last = registry.latestCheckpoint(SPN).call().await.unwrap().height;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        registry.latestCheckpoint(SPN).call().await.unwrap().height,
        last
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_escape_hatch_tutorial_runs_as_written() {
    let mut s = scene(&[], "3").await;
    s.kill_spn_and_relayer();
    let tutorial = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/tutorials/escape-hatch.md"),
    )
    .unwrap();
    let blocks = shell_blocks(&tutorial);
    assert!(blocks.len() >= 6, "{blocks:?}");
    let bin_dir = sibling_binary("spn").parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let datadir = s.dir().join(format!("spn-{SPN}"));
    // One shell runs the blocks in order, as a reader pasting them would.
    let script = format!("set -euo pipefail\n{}", blocks.concat());
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("PATH", path)
        .env("MAINNET", &s.mainnet.url)
        .env("SPN_PRIVATE_KEY", USER)
        .env("SPN_DATADIR", &datadir)
        .env_remove("SPN_RPC")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("forced withdrawal #1"), "{stdout}");
    assert!(stdout.contains("frozen     SPN 1001"), "{stdout}");
    assert!(stdout.contains("exited     3 ether"), "{stdout}");
    assert_eq!(s.status().await, 3);
}
