//! `pharos-node` and `spn` as operators use them: init, config precedence, locks, metrics.

mod common;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use common::*;
use std::process::Command;

const GENESIS: &str = r#"
name = "pharos-test"
chain_id = 4242
[alloc.0x1111111111111111111111111111111111111111]
balance = "0x1000"
"#;

fn init(dir: &std::path::Path) -> std::path::PathBuf {
    init_chain(dir, GENESIS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_then_run_serves_the_chain_spec() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = init(dir.path());
    let node = NodeProcess::start(&datadir, &["--http.port", "0"], &[]);
    let p = reader(&node.url);
    assert_eq!(p.get_chain_id().await.expect("chain id"), 4242);
    let funded: Address = "0x1111111111111111111111111111111111111111"
        .parse()
        .expect("addr");
    assert_eq!(
        p.get_balance(funded).await.expect("balance"),
        U256::from(0x1000)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_on_an_uninitialized_datadir_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(node_binary())
        .args(["run", "--datadir"])
        .arg(dir.path().join("empty"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pharos-node init"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_node_on_the_same_datadir_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = dir.path().join("node");
    let _first = NodeProcess::start_dev(&datadir, &[]);
    let out = Command::new(node_binary())
        .args(["run", "--dev", "--http.port", "0", "--datadir"])
        .arg(&datadir)
        .output()
        .expect("run second");
    assert!(!out.status.success(), "second node must not start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("locked"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datadir_of_another_chain_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = init(dir.path());
    let out = Command::new(node_binary())
        .args(["run", "--dev", "--http.port", "0", "--datadir"])
        .arg(&datadir)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chain id 4242"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_override_env_which_overrides_the_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = init(dir.path());
    let (file_port, env_port, flag_port) = (free_port(), free_port(), free_port());
    let config = dir.path().join("node.toml");
    std::fs::write(&config, format!("[http]\nport = {file_port}\n")).expect("config");
    let config = config.display().to_string();
    let env_port_s = env_port.to_string();
    let flag_port_s = flag_port.to_string();

    let node = NodeProcess::start(&datadir, &["--config", &config], &[]);
    assert!(node.url.ends_with(&format!(":{file_port}")), "{}", node.url);
    drop(node);
    let node = NodeProcess::start(
        &datadir,
        &["--config", &config],
        &[("PHAROS_HTTP_PORT", &env_port_s)],
    );
    assert!(node.url.ends_with(&format!(":{env_port}")), "{}", node.url);
    drop(node);
    let node = NodeProcess::start(
        &datadir,
        &["--config", &config, "--http.port", &flag_port_s],
        &[("PHAROS_HTTP_PORT", &env_port_s)],
    );
    assert!(node.url.ends_with(&format!(":{flag_port}")), "{}", node.url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_endpoint_serves_prometheus_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port().to_string();
    let node = NodeProcess::start_dev(&dir.path().join("node"), &["--metrics.port", &port]);
    let p = provider(&node.url, DEV_KEY_0);
    transfer_and_wait(&p, Address::repeat_byte(1), 1).await;
    let body = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(body.contains("pharos_blocks_total 1"), "{body}");
    assert!(body.contains("pharos_transactions_total 1"), "{body}");
    assert!(body.contains("pharos_head_block 1"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spn_status_reports_chain_and_head() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("node"), &[]);
    let out = Command::new(sibling_binary("spn"))
        .args(["status", "--json", "--rpc", &node.url])
        .output()
        .expect("run spn status");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["chain_id"], DEV_CHAIN_ID);
    assert_eq!(v["head"]["number"], 0);
    assert!(v["client"]
        .as_str()
        .expect("client")
        .starts_with("pharos-node/"));
    // Unreachable endpoint: a clear error that says what to do.
    let out = Command::new(sibling_binary("spn"))
        .args(["status", "--rpc", "http://127.0.0.1:1"])
        .output()
        .expect("run spn status");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("devnet"));
}
