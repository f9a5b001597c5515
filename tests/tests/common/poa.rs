//! `poa` SPN validators as a test sees them: deterministic keys, their configs, restaking
//! through the CLI, and block agreement across nodes.

use super::cli::{hash, spn_json};
use super::*;
use alloy::primitives::{keccak256, B256};
use alloy::providers::Provider;
use ed25519_dalek::SigningKey;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Validator {
    pub secret: B256,
    pub public: B256,
    pub port: u16,
}

pub fn validator(seed: &str) -> Validator {
    let secret = keccak256(seed.as_bytes());
    let public = B256::from(SigningKey::from_bytes(&secret.0).verifying_key().to_bytes());
    Validator {
        secret,
        public,
        port: free_port(),
    }
}

/// The config of SPN `id` as validator `me` sees it (`peers` are the other validators).
pub fn write_config(
    dir: &Path,
    mainnet_url: &str,
    id: u32,
    me: &Validator,
    peers: &[&Validator],
    consensus: &str,
) -> PathBuf {
    let funded = address_of(DEV_KEY_0);
    let mut text = format!(
        "spn_id = {id}\nname = \"spn-{id}\"\nmainnet_rpc = \"{mainnet_url}\"\n\
         mainnet_chain_id = {DEV_CHAIN_ID}\nblock_time_ms = 200\ncheckpoint_interval = 10\n\
         signing_key = \"{}\"\n\n[alloc]\n\"{funded}\" = \"1000000000000000000000\"\n\n\
         [register]\nconsensus = \"{consensus}\"\nmin_stake = \"3000000000000000000\"\n",
        me.secret
    );
    if consensus == "poa" {
        let peers: Vec<String> = peers
            .iter()
            .map(|p| format!("\"{}@127.0.0.1:{}\"", hex(&p.public), p.port))
            .collect();
        text.push_str(&format!(
            "\n[p2p]\nlisten = \"127.0.0.1:{}\"\npeers = [{}]\nround_timeout_ms = 1000\n",
            me.port,
            peers.join(", ")
        ));
    }
    let path = dir.join(format!("spn-{id}-{}.toml", &hex(&me.public)[..8]));
    std::fs::write(&path, text).expect("write config");
    path
}

pub fn hex(b: &B256) -> String {
    alloy::primitives::hex::encode(b)
}

pub fn restake(mainnet_url: &str, account: &str, id: u32, v: &Validator, amount: &str) {
    let out = spn_json(
        mainnet_url,
        account,
        &[
            "restake",
            "--spn",
            &id.to_string(),
            "--amount",
            amount,
            "--operator-key",
            &hex(&v.secret),
        ],
    );
    assert_eq!(
        hash(&out["operator_key"]),
        v.public,
        "restake output: {out}"
    );
}

pub async fn block_hash(url: &str, number: u64) -> Option<B256> {
    reader(url)
        .get_block_by_number(number.into())
        .await
        .ok()
        .flatten()
        .map(|b| b.header.hash)
}

pub async fn head(url: &str) -> u64 {
    reader(url).get_block_number().await.unwrap_or(0)
}

/// Waits until every node has block `number`, and requires one hash for it.
pub async fn same_block_everywhere(urls: &[&str], number: u64) -> B256 {
    let mut hashes = Vec::new();
    for url in urls {
        let hash = eventually(
            &format!("block {number} on {url}"),
            Duration::from_secs(60),
            || async { block_hash(url, number).await },
        )
        .await;
        hashes.push(hash);
    }
    assert!(
        hashes.windows(2).all(|w| w[0] == w[1]),
        "validators disagree on block {number}: {hashes:?}"
    );
    hashes[0]
}
