//! Read the node's TOML config file; flags and environment override it.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The `[http]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    /// Listen address.
    pub addr: Option<String>,
    /// Listen port.
    pub port: Option<u16>,
}

/// The `[metrics]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// Listen address.
    pub addr: Option<String>,
    /// Listen port (metrics are off without one).
    pub port: Option<u16>,
}

/// The `[p2p]` section: the `bft` validator network.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pSection {
    /// Listen address.
    pub addr: Option<String>,
    /// Listen port.
    pub port: Option<u16>,
    /// Static peers, `<hex ed25519 key>@<ip>:<port>`.
    #[serde(default)]
    pub peers: Vec<String>,
}

/// A section naming one key file (`[validator]`, `[evidence]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySection {
    /// The key file.
    pub key: Option<PathBuf>,
}

/// A `pharos-node run --config FILE` file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Data directory.
    pub datadir: Option<PathBuf>,
    /// Chain spec (genesis) TOML file.
    pub chain: Option<PathBuf>,
    /// Milliseconds between blocks.
    pub block_time_ms: Option<u64>,
    /// JSON-RPC server.
    #[serde(default)]
    pub http: HttpSection,
    /// Prometheus metrics.
    #[serde(default)]
    pub metrics: MetricsSection,
    /// The `bft` validator network.
    #[serde(default)]
    pub p2p: P2pSection,
    /// The ed25519 consensus key (a `bft` validator; without it the node follows).
    #[serde(default)]
    pub validator: KeySection,
    /// The secp256k1 key that signs slashing transactions.
    #[serde(default)]
    pub evidence: KeySection,
}

impl FileConfig {
    /// Reads and parses a config file; errors name the file and the field.
    pub fn load(path: &Path) -> eyre::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| eyre::eyre!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| eyre::eyre!("invalid config file {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_and_rejects_unknown_keys() {
        let c: FileConfig = toml::from_str("datadir = \"/x\"\n[http]\nport = 9000\n").expect("ok");
        assert_eq!(c.http.port, Some(9000));
        let err = toml::from_str::<FileConfig>("[http]\nprot = 1\n").expect_err("typo");
        assert!(err.to_string().contains("prot"), "{err}");
    }

    #[test]
    fn parses_the_validator_sections() {
        let c: FileConfig = toml::from_str(
            "[p2p]\nport = 30300\npeers = [\"a@1.2.3.4:5\"]\n[validator]\nkey = \"v.key\"\n\
             [evidence]\nkey = \"a.key\"\n",
        )
        .expect("ok");
        assert_eq!(c.p2p.port, Some(30300));
        assert_eq!(c.p2p.peers, vec!["a@1.2.3.4:5".to_string()]);
        assert_eq!(c.validator.key, Some(PathBuf::from("v.key")));
        assert_eq!(c.evidence.key, Some(PathBuf::from("a.key")));
        let err = toml::from_str::<FileConfig>("[validator]\nkeyfile = 1\n").expect_err("typo");
        assert!(err.to_string().contains("keyfile"), "{err}");
    }
}
