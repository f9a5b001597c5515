//! What a relayer follows and how hard it tries: `relayer.toml`.

use alloy::primitives::B256;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// A relayer's configuration (TOML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayerConfig {
    /// JSON-RPC endpoint of a mainnet node.
    pub mainnet_rpc: String,
    /// The mainnet account paying for checkpoints and relays (secp256k1 secret, hex). May
    /// instead come from the environment (`SPN_RELAYER_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<B256>,
    /// Where the relayer keeps its cursor (written atomically; survives crashes).
    pub state_file: PathBuf,
    /// Milliseconds between rounds when there is nothing to do.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
    /// Attempts per message before the relayer gives up on it (and says why).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Transactions sent before waiting for their receipts.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// Messages relayed in one `relayMessages` transaction at most (a batch also stays under
    /// the pool's 128 KiB transaction limit). 1 relays each message on its own.
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// Milliseconds a transaction may stay unmined before it is re-sent with higher fees.
    #[serde(default = "default_stuck_after_ms")]
    pub stuck_after_ms: u64,
    /// Prometheus `/metrics` address, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_addr: Option<SocketAddr>,
    /// The SPNs to relay for.
    #[serde(rename = "spn", default)]
    pub spns: Vec<SpnEndpoint>,
}

/// One SPN the relayer follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpnEndpoint {
    /// The SPN id (its chain id and Mailbox domain).
    pub spn_id: u32,
    /// JSON-RPC endpoint of an SPN node: blocks, logs and storage proofs come from it.
    pub rpc: String,
    /// JSON-RPC endpoints of the SPN's validators, asked for checkpoint signatures
    /// (`spn_getCheckpoint`); `rpc` is always asked too.
    #[serde(default)]
    pub validators: Vec<String>,
}

impl SpnEndpoint {
    /// Every endpoint asked for signatures, `rpc` first, without repeats.
    pub fn signers(&self) -> Vec<String> {
        let mut out = vec![self.rpc.clone()];
        for v in &self.validators {
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
        out
    }
}

fn default_poll_ms() -> u64 {
    1_000
}

fn default_max_attempts() -> u32 {
    8
}

/// The mainnet pool holds at most 64 transactions per sender; some room is left for the
/// relayer's checkpoint transactions.
fn default_max_in_flight() -> usize {
    48
}

fn default_max_batch() -> usize {
    crate::batch::MAX_BATCH_MESSAGES
}

fn default_stuck_after_ms() -> u64 {
    15_000
}

impl RelayerConfig {
    /// Parse and validate.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let config: Self =
            toml::from_str(text).map_err(|e| format!("invalid relayer config: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Refuse values the relayer cannot run with, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let bad = |m: String| Err(format!("invalid relayer config: {m}"));
        if self.spns.is_empty() {
            return bad("no [[spn]] to relay for; add one with spn_id and rpc".into());
        }
        let mut ids: Vec<u32> = self.spns.iter().map(|s| s.spn_id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return bad("an spn_id is listed twice".into());
        }
        if self.max_attempts == 0 {
            return bad("max_attempts must be at least 1".into());
        }
        if self.max_in_flight == 0 || self.max_in_flight > 4_096 {
            return bad("max_in_flight must be between 1 and 4096".into());
        }
        if self.max_batch == 0 || self.max_batch > 1_024 {
            return bad("max_batch must be between 1 and 1024".into());
        }
        if self.poll_ms == 0 || self.stuck_after_ms == 0 {
            return bad("poll_ms and stuck_after_ms must be positive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        mainnet_rpc = "http://127.0.0.1:8545"
        state_file = "relayer-state.json"
        [[spn]]
        spn_id = 7
        rpc = "http://127.0.0.1:9545"
        validators = ["http://127.0.0.1:9545", "http://127.0.0.1:9546"]
    "#;

    #[test]
    fn minimal_config_gets_defaults() {
        let c = RelayerConfig::from_toml(MINIMAL).unwrap();
        assert_eq!(c.poll_ms, 1_000);
        assert_eq!(c.max_attempts, 8);
        assert_eq!(c.max_batch, 64);
        assert_eq!(c.spns[0].signers().len(), 2, "repeated endpoint asked once");
        assert_eq!(
            RelayerConfig::from_toml(&toml::to_string(&c).unwrap()).unwrap(),
            c
        );
    }

    #[test]
    fn bad_configs_name_the_problem() {
        for (text, expect) in [
            ("mainnet_rpc = \"x\"\nstate_file = \"s\"\n", "no [[spn]]"),
            (
                "mainnet_rpc = \"x\"\nstate_file = \"s\"\n[[spn]]\nspn_id = 1\nrpc = \"a\"\n[[spn]]\nspn_id = 1\nrpc = \"b\"\n",
                "listed twice",
            ),
            (
                "mainnet_rpc = \"x\"\nstate_file = \"s\"\nbogus = 1\n",
                "bogus",
            ),
            (
                "mainnet_rpc = \"x\"\nstate_file = \"s\"\nmax_attempts = 0\n[[spn]]\nspn_id = 1\nrpc = \"a\"\n",
                "max_attempts",
            ),
            (
                "mainnet_rpc = \"x\"\nstate_file = \"s\"\nmax_batch = 0\n[[spn]]\nspn_id = 1\nrpc = \"a\"\n",
                "max_batch",
            ),
        ] {
            let err = RelayerConfig::from_toml(text).unwrap_err();
            assert!(err.contains(expect), "{err}");
        }
    }
}
