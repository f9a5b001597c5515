//! Run the `spn` binary as a user would, and read what it prints.
#![allow(dead_code)]

use super::sibling_binary;
use alloy::primitives::B256;
use serde_json::Value;
use std::process::{Command, Output};

/// Runs `spn ARGS` with `--rpc url`, the private key (if any) in `SPN_PRIVATE_KEY`, and none
/// of the caller's `SPN_*` environment.
pub fn spn(url: &str, private_key: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(sibling_binary("spn"));
    cmd.env_remove("SPN_RPC")
        .env_remove("SPN_PRIVATE_KEY")
        .env_remove("SPN_OPERATOR_KEY")
        .args(args);
    if !url.is_empty() {
        cmd.args(["--rpc", url]);
    }
    if let Some(key) = private_key {
        cmd.env("SPN_PRIVATE_KEY", key);
    }
    cmd.output().expect("run spn")
}

/// `spn ARGS --json`, required to succeed; its JSON output.
pub fn spn_json(url: &str, private_key: &str, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let out = spn(url, Some(private_key), &args);
    assert!(
        out.status.success(),
        "spn {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "spn {args:?} printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `spn ARGS`, required to fail; its stderr.
pub fn spn_fails(url: &str, private_key: Option<&str>, args: &[&str]) -> String {
    let out = spn(url, private_key, args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "spn {args:?} must fail; stderr:\n{err}"
    );
    err
}

/// A hash printed as a JSON string.
pub fn hash(v: &Value) -> B256 {
    v.as_str()
        .unwrap_or_else(|| panic!("{v} is not a hash"))
        .parse()
        .expect("hash")
}
