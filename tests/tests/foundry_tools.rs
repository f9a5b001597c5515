//! Foundry's `cast` (the npm build the contracts use) works against a dev node unchanged.

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Command;

fn cast() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../contracts/node_modules/.bin/cast");
    assert!(
        bin.exists(),
        "{} is missing: run `bash contracts/scripts/install.sh` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

fn run_cast(args: &[&str]) -> String {
    let out = Command::new(cast()).args(args).output().expect("run cast");
    assert!(
        out.status.success(),
        "cast {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn cast_sends_deploys_and_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("node"), &[]);
    let rpc = node.url.as_str();
    assert_eq!(run_cast(&["chain-id", "--rpc-url", rpc]), "31337");

    let to = "0x000000000000000000000000000000000000bEEF";
    run_cast(&[
        "send",
        "--rpc-url",
        rpc,
        "--private-key",
        DEV_KEY_0,
        to,
        "--value",
        "1ether",
    ]);
    assert_eq!(
        run_cast(&["balance", "--rpc-url", rpc, to]),
        "1000000000000000000"
    );

    let code = counter_bytecode().to_string();
    let deployed = run_cast(&[
        "send",
        "--rpc-url",
        rpc,
        "--private-key",
        DEV_KEY_0,
        "--json",
        "--create",
        &code,
    ]);
    let receipt: serde_json::Value = serde_json::from_str(&deployed).expect("receipt json");
    let counter = receipt["contractAddress"]
        .as_str()
        .expect("contract address")
        .to_string();
    run_cast(&[
        "send",
        "--rpc-url",
        rpc,
        "--private-key",
        DEV_KEY_0,
        &counter,
        "increment()",
    ]);
    assert_eq!(
        run_cast(&["call", "--rpc-url", rpc, &counter, "count()(uint256)"]),
        "1"
    );
    let failed = Command::new(cast())
        .args(["call", "--rpc-url", rpc, &counter, "fail()"])
        .output()
        .expect("run cast");
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("counter: always fails"));
}
