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
    /// Mainnet blocks behind its head that count as final for deriving inbound messages
    /// (unused with `mainnet_chain`: certified blocks are final).
    #[serde(default)]
    pub confirmations: u64,
    /// The chain spec of a `bft` mainnet (its `genesis.toml`). With it the node trusts
    /// `mainnet_rpc` for nothing: it derives only from mainnet blocks whose finality
    /// certificates it checks as a light client, and takes the Mailbox queue only as proven
    /// by storage proofs there. Without it, `mainnet_rpc`'s answers are believed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mainnet_chain: Option<std::path::PathBuf>,
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
    /// How `spn register` registers the SPN on the mainnet; defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<RegisterConfig>,
    /// The validator network of a `poa` SPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p2p: Option<P2pConfig>,
}

/// The `[p2p]` section: where a `poa` validator listens and which validators it dials. Its
/// network identity is its `signing_key`, so peers are named by their checkpoint keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pConfig {
    /// Listen address, e.g. `"127.0.0.1:30400"` (port 0 picks a free one).
    pub listen: std::net::SocketAddr,
    /// The other validators: `"<ed25519 public key hex>@<ip>:<port>"`.
    #[serde(default)]
    pub peers: Vec<String>,
    /// How long round 0 of a height waits for a decision, in milliseconds.
    #[serde(default = "default_round_timeout")]
    pub round_timeout_ms: u64,
}

fn default_round_timeout() -> u64 {
    2_000
}

/// The `[register]` section: the consensus kind and the parameters the mainnet's Management
/// contract records for the SPN (it refuses values outside its bounds, see
/// docs/system-contracts.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterConfig {
    /// How the SPN's validators agree on blocks.
    #[serde(default)]
    pub consensus: SpnConsensus,
    /// Share of an epoch's stake a checkpoint needs, in basis points (6667..=10000).
    #[serde(default = "default_quorum_bps")]
    pub quorum_bps: u16,
    /// Seconds the SPN has to process a forced withdrawal.
    #[serde(default = "default_force_delay_s")]
    pub force_delay_s: u64,
    /// Seconds between validator-set snapshots.
    #[serde(default = "default_epoch_length_s")]
    pub epoch_length_s: u64,
    /// Restaked LST (in wei) the SPN needs to become and stay active.
    #[serde(
        default = "default_min_stake",
        serialize_with = "decimal::serialize",
        deserialize_with = "decimal::deserialize"
    )]
    pub min_stake: U256,
    /// Share of each operator's restaked stake (active and unbonding) slashed when the SPN is
    /// frozen, in basis points (1..=10000); the rest unbonds.
    #[serde(default = "default_slash_bps")]
    pub slash_bps: u16,
    /// Who receives the slashed LST; absent (the default) burns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slash_to: Option<Address>,
}

/// The consensus kinds an SPN registers with (the Registry's `ConsensusKind`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpnConsensus {
    /// One sequencer.
    #[default]
    Solo,
    /// A validator set with a rotating proposer.
    Poa,
    /// A stake-weighted validator set in which every validator proposes a batch each round
    /// (docs/consensus-bft.md).
    Bft,
}

impl SpnConsensus {
    /// The Registry's `ConsensusKind` value.
    pub fn kind(self) -> u8 {
        match self {
            Self::Solo => 0,
            Self::Poa => 1,
            Self::Bft => 2,
        }
    }

    /// The name used in the config.
    pub fn name(self) -> &'static str {
        match self {
            Self::Solo => "solo",
            Self::Poa => "poa",
            Self::Bft => "bft",
        }
    }
}

impl Default for RegisterConfig {
    fn default() -> Self {
        Self {
            consensus: SpnConsensus::default(),
            quorum_bps: default_quorum_bps(),
            force_delay_s: default_force_delay_s(),
            epoch_length_s: default_epoch_length_s(),
            min_stake: default_min_stake(),
            slash_bps: default_slash_bps(),
            slash_to: None,
        }
    }
}

impl RegisterConfig {
    /// Check the values against the bounds the mainnet enforces everywhere (the network's
    /// minimum stake and the unbonding delay are the mainnet's to check).
    pub fn validate(&self) -> Result<(), SpnConfigError> {
        let bad = |m: &str| Err(SpnConfigError::Invalid(m.to_string()));
        if !(6667..=10_000).contains(&self.quorum_bps) {
            return bad("register.quorum_bps must be within 6667..=10000");
        }
        if !(60..=30 * 24 * 3600).contains(&self.force_delay_s) {
            return bad("register.force_delay_s must be within 60..=2592000 (60 s to 30 days)");
        }
        if self.epoch_length_s == 0 {
            return bad("register.epoch_length_s must be positive");
        }
        if self.min_stake.is_zero() {
            return bad("register.min_stake must be positive");
        }
        if !(1..=10_000).contains(&self.slash_bps) {
            return bad("register.slash_bps must be within 1..=10000");
        }
        if self.slash_to.is_some_and(is_system_contract) {
            return bad("register.slash_to may not be a system contract (omit it to burn)");
        }
        Ok(())
    }
}

/// The mainnet's and the SPN's system contracts (`SystemAddresses.isSystem`).
fn is_system_contract(a: Address) -> bool {
    use pharos_contracts as sc;
    sc::mainnet_system_contracts()
        .iter()
        .any(|(_, address, _)| *address == a)
        || [sc::SPN_MAILBOX, sc::SPN_BRIDGE].contains(&a)
}

fn default_slash_bps() -> u16 {
    10_000
}

fn default_quorum_bps() -> u16 {
    6667
}

fn default_force_delay_s() -> u64 {
    300
}

fn default_epoch_length_s() -> u64 {
    240
}

fn default_min_stake() -> U256 {
    U256::from(1_000_000_000_000_000_000u64)
}

/// Wei amounts as decimal strings.
mod decimal {
    use serde::{Deserialize, Deserializer, Serializer};
    use spn_primitives::U256;

    pub fn serialize<S: Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        let text = String::deserialize(d)?;
        U256::from_str_radix(text.trim(), 10).map_err(|_| {
            serde::de::Error::custom(format!(
                "expected an amount in wei as a decimal string, e.g. \"1000000000000000000\", got \"{text}\""
            ))
        })
    }
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
        if let Some(register) = &self.register {
            register.validate()?;
        }
        // Whether a poa node has its key and network is checked when it starts (`spn register`
        // reads the same file without them).
        if let Some(p2p) = &self.p2p {
            for peer in &p2p.peers {
                if let Err(e) = peer.parse::<spn_network::PeerAddr>() {
                    return Err(SpnConfigError::Invalid(format!("p2p.peers: {e}")));
                }
            }
            if p2p.round_timeout_ms < 200 {
                return bad("p2p.round_timeout_ms must be at least 200");
            }
        }
        Ok(())
    }

    /// How the SPN's validators agree on blocks (`register.consensus`, `solo` by default).
    pub fn consensus(&self) -> SpnConsensus {
        self.register
            .as_ref()
            .map(|r| r.consensus)
            .unwrap_or_default()
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

    #[test]
    fn register_section_has_defaults_and_round_trips() {
        let base = "spn_id = 7\nname = \"demo\"\nmainnet_rpc = \"http://127.0.0.1:8545\"\nmainnet_chain_id = 31337\n";
        let c = SpnConfig::from_toml(base).unwrap();
        assert_eq!(c.register, None);
        let bft =
            SpnConfig::from_toml(&format!("{base}[register]\nconsensus = \"bft\"\n")).unwrap();
        assert_eq!(bft.consensus(), SpnConsensus::Bft);
        assert_eq!(
            SpnConsensus::Bft.kind(),
            2,
            "the Registry's ConsensusKind.Bft"
        );
        let c = SpnConfig::from_toml(&format!("{base}[register]\nconsensus = \"poa\"\n")).unwrap();
        let r = c.register.clone().unwrap();
        assert_eq!(
            r,
            RegisterConfig {
                consensus: SpnConsensus::Poa,
                ..RegisterConfig::default()
            }
        );
        assert_eq!(
            (r.quorum_bps, r.force_delay_s, r.epoch_length_s),
            (6667, 300, 240)
        );
        assert_eq!((r.slash_bps, r.slash_to), (10_000, None));
        assert_eq!(r.min_stake, U256::from(10u64).pow(U256::from(18u64)));
        let text = c.to_toml();
        assert!(
            text.contains("min_stake = \"1000000000000000000\""),
            "{text}"
        );
        assert_eq!(SpnConfig::from_toml(&text).unwrap(), c);
    }

    #[test]
    fn register_section_slashing_round_trips() {
        let base = "spn_id = 7\nname = \"demo\"\nmainnet_rpc = \"http://127.0.0.1:8545\"\nmainnet_chain_id = 31337\n[register]\n";
        let c = SpnConfig::from_toml(&format!(
            "{base}slash_bps = 2500\nslash_to = \"0x0000000000000000000000000000000000007ea5\"\n"
        ))
        .unwrap();
        let r = c.register.clone().unwrap();
        assert_eq!(r.slash_bps, 2500);
        assert_eq!(
            r.slash_to,
            Some(
                "0x0000000000000000000000000000000000007ea5"
                    .parse()
                    .unwrap()
            )
        );
        assert_eq!(SpnConfig::from_toml(&c.to_toml()).unwrap(), c);
        // The edges are accepted.
        for bps in [1, 10_000] {
            let c = SpnConfig::from_toml(&format!("{base}slash_bps = {bps}\n")).unwrap();
            assert_eq!(c.register.unwrap().slash_bps, bps);
        }
    }

    #[test]
    fn register_section_rejects_bad_values_with_the_field_named() {
        let base = "spn_id = 7\nname = \"demo\"\nmainnet_rpc = \"http://127.0.0.1:8545\"\nmainnet_chain_id = 31337\n[register]\n";
        for (line, field) in [
            ("consensus = \"pow\"", "consensus"),
            ("quorum_bps = 5000", "quorum_bps"),
            ("force_delay_s = 10", "force_delay_s"),
            ("epoch_length_s = 0", "epoch_length_s"),
            ("min_stake = \"0\"", "min_stake"),
            ("min_stake = \"1 ether\"", "min_stake"),
            ("slash_bps = 0", "slash_bps"),
            ("slash_bps = 10001", "slash_bps"),
            (
                "slash_to = \"0x0000000000000000000000000000000000001005\"",
                "slash_to",
            ),
            ("slash_to = \"treasury\"", "slash_to"),
            ("extra = 1", "extra"),
        ] {
            let e = SpnConfig::from_toml(&format!("{base}{line}\n")).unwrap_err();
            assert!(e.to_string().contains(field), "{line}: {e}");
        }
    }
}
