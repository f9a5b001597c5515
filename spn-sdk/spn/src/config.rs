//! What an SPN is: its id, its mainnet, its block production and its genesis funds.

use serde::{Deserialize, Serialize};
use spn_primitives::{Address, B256, U256};
use std::collections::BTreeMap;

/// An SPN's configuration (TOML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpnConfig {
    /// The SPN id in the mainnet Registry; also its chain id and Mailbox domain.
    pub spn_id: u32,
    /// A human-readable name.
    pub name: String,
    /// JSON-RPC endpoint of a mainnet node.
    pub mainnet_rpc: String,
    /// The mainnet's chain id (its Mailbox domain).
    pub mainnet_chain_id: u64,
    /// Milliseconds between blocks (blocks also come as soon as transactions arrive).
    #[serde(default = "default_block_time")]
    pub block_time_ms: u64,
    /// Mainnet blocks behind its head that count as final for deriving inbound messages.
    #[serde(default)]
    pub confirmations: u64,
    /// Gas a recipient's `handle` gets when an inbound message is delivered.
    #[serde(default = "default_handle_gas")]
    pub handle_gas: u64,
    /// Block gas limit.
    #[serde(default = "default_gas_limit")]
    pub gas_limit: u64,
    /// SPN blocks between checkpoints.
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval: u64,
    /// This validator's ed25519 secret key (32 bytes, hex); without it the node signs no
    /// checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<B256>,
    /// Genesis balances of the SPN's gas coin, in wei.
    #[serde(default)]
    pub alloc: BTreeMap<Address, U256>,
}

fn default_block_time() -> u64 {
    500
}

fn default_checkpoint_interval() -> u64 {
    10
}

fn default_handle_gas() -> u64 {
    1_000_000
}

fn default_gas_limit() -> u64 {
    100_000_000
}

/// Why an SPN configuration is not usable.
#[derive(Debug, thiserror::Error)]
pub enum SpnConfigError {
    /// Not TOML, or a field has the wrong type.
    #[error("invalid SPN config: {0}")]
    Parse(String),
    /// A value the SPN cannot run with.
    #[error("invalid SPN config: {0}")]
    Invalid(String),
}

impl SpnConfig {
    /// Parse and validate.
    pub fn from_toml(text: &str) -> Result<Self, SpnConfigError> {
        let config: Self =
            toml::from_str(text).map_err(|e| SpnConfigError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// The TOML form.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Check the values.
    pub fn validate(&self) -> Result<(), SpnConfigError> {
        let bad = |m: &str| Err(SpnConfigError::Invalid(m.to_string()));
        if self.spn_id == 0 {
            return bad("spn_id must not be 0");
        }
        if u64::from(self.spn_id) == self.mainnet_chain_id {
            return bad("spn_id must differ from mainnet_chain_id");
        }
        if self.mainnet_chain_id > u64::from(u32::MAX) {
            return bad(
                "mainnet_chain_id must fit in 32 bits (it is the mainnet's Mailbox domain)",
            );
        }
        if self.name.is_empty() || self.name.len() > 64 {
            return bad("name must have 1 to 64 characters");
        }
        if self.checkpoint_interval == 0 {
            return bad("checkpoint_interval must be positive");
        }
        if self.handle_gas == 0 || self.handle_gas > 10_000_000 {
            return bad("handle_gas must be within 1..=10000000");
        }
        if !(self.mainnet_rpc.starts_with("http://") || self.mainnet_rpc.starts_with("https://")) {
            return bad("mainnet_rpc must be an http(s) URL");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minimal_config_with_defaults() {
        let c = SpnConfig::from_toml(
            "spn_id = 1001\nname = \"demo\"\nmainnet_rpc = \"http://127.0.0.1:8545\"\nmainnet_chain_id = 31337\n",
        )
        .unwrap();
        assert_eq!(
            (c.block_time_ms, c.confirmations, c.handle_gas),
            (500, 0, 1_000_000)
        );
        assert_eq!(SpnConfig::from_toml(&c.to_toml()).unwrap(), c);
    }

    #[test]
    fn rejects_bad_values_with_the_field_named() {
        let base =
            "name = \"demo\"\nmainnet_rpc = \"http://127.0.0.1:8545\"\nmainnet_chain_id = 31337\n";
        let e = SpnConfig::from_toml(&format!("spn_id = 31337\n{base}")).unwrap_err();
        assert!(e.to_string().contains("spn_id"), "{e}");
        let e = SpnConfig::from_toml(&format!("spn_id = 0\n{base}")).unwrap_err();
        assert!(e.to_string().contains("spn_id"), "{e}");
        let e = SpnConfig::from_toml(&format!("spn_id = 7\nbogus = 1\n{base}")).unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
    }
}
