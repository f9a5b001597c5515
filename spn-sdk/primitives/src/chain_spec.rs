//! Describe a chain: its id, genesis accounts and block parameters, parsed from TOML.

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A chain's fixed parameters and genesis state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    /// Human readable name.
    #[serde(default = "default_name")]
    pub name: String,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Gas limit of every block.
    #[serde(default = "default_gas_limit")]
    pub gas_limit: u64,
    /// Base fee of the first block, in wei.
    #[serde(default = "default_base_fee")]
    pub initial_base_fee: u64,
    /// Genesis timestamp (seconds since the Unix epoch).
    #[serde(default)]
    pub genesis_timestamp: u64,
    /// Extra data of the genesis header.
    #[serde(default)]
    pub extra_data: Bytes,
    /// Validator ed25519 public keys (hex), in order. Used by multi-validator consensus.
    #[serde(default)]
    pub validators: Vec<String>,
    /// Accounts that exist at genesis.
    #[serde(default)]
    pub alloc: BTreeMap<Address, GenesisAccount>,
}

/// An account in the genesis state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// Balance in wei (decimal or 0x-hex string).
    #[serde(default)]
    pub balance: U256,
    /// Nonce.
    #[serde(default)]
    pub nonce: u64,
    /// Runtime bytecode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Bytes>,
    /// Storage slots.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage: BTreeMap<B256, B256>,
}

/// Why a chain spec is not usable.
#[derive(Debug, thiserror::Error)]
pub enum ChainSpecError {
    /// The TOML does not parse or a field has the wrong type.
    #[error("invalid chain spec: {0}")]
    Parse(String),
    /// A field has a value the chain cannot run with.
    #[error("invalid chain spec field `{field}`: {reason}")]
    Field {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

fn default_name() -> String {
    "pharos".to_string()
}
fn default_gas_limit() -> u64 {
    // Large enough for ~30k transfers per block at 21k gas each.
    1_000_000_000
}
fn default_base_fee() -> u64 {
    1_000_000_000
}

impl ChainSpec {
    /// Parses and validates a TOML chain spec.
    pub fn from_toml(text: &str) -> Result<Self, ChainSpecError> {
        let spec: Self = toml::from_str(text).map_err(|e| ChainSpecError::Parse(e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Renders the spec as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks the values a chain cannot run with.
    pub fn validate(&self) -> Result<(), ChainSpecError> {
        if self.chain_id == 0 {
            return Err(ChainSpecError::Field {
                field: "chain_id",
                reason: "must be non-zero".into(),
            });
        }
        if self.gas_limit < 5_000 {
            return Err(ChainSpecError::Field {
                field: "gas_limit",
                reason: "must be at least 5000".into(),
            });
        }
        if self.initial_base_fee == 0 {
            return Err(ChainSpecError::Field {
                field: "initial_base_fee",
                reason: "must be non-zero (EIP-1559 base fee cannot recover from zero)".into(),
            });
        }
        for (i, v) in self.validators.iter().enumerate() {
            let ok = hex::decode(v.trim_start_matches("0x")).is_ok_and(|b| b.len() == 32);
            if !ok {
                return Err(ChainSpecError::Field {
                    field: "validators",
                    reason: format!("entry {i} is not a 32-byte hex ed25519 public key"),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minimal_spec_with_defaults() {
        let spec = ChainSpec::from_toml(
            "chain_id = 7\n[alloc.0x0000000000000000000000000000000000000001]\nbalance = \"0x10\"\n",
        )
        .expect("valid spec");
        assert_eq!(spec.chain_id, 7);
        assert_eq!(spec.gas_limit, default_gas_limit());
        let acct = spec.alloc.values().next().expect("one account");
        assert_eq!(acct.balance, U256::from(16));
    }

    #[test]
    fn rejects_zero_chain_id_naming_the_field() {
        let err = ChainSpec::from_toml("chain_id = 0\n").expect_err("zero chain id");
        assert!(err.to_string().contains("chain_id"), "{err}");
    }

    #[test]
    fn rejects_unknown_fields() {
        let err = ChainSpec::from_toml("chain_id = 1\nchainid = 2\n").expect_err("typo");
        assert!(err.to_string().contains("chainid"), "{err}");
    }

    #[test]
    fn roundtrips_through_toml() {
        let mut spec = ChainSpec::from_toml("chain_id = 9\n").expect("valid");
        spec.alloc.insert(
            Address::repeat_byte(1),
            GenesisAccount {
                balance: U256::from(5),
                ..Default::default()
            },
        );
        assert_eq!(
            ChainSpec::from_toml(&spec.to_toml()).expect("reparse"),
            spec
        );
    }
}
