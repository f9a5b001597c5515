//! Read a mainnet chain spec file: the engine's [`ChainSpec`] fields, plus the genesis
//! validators (`[[validators]]`) and the `bft` consensus parameters (`[bft]`).
//!
//! ```toml
//! chain_id = 7447
//! [bft]
//! epoch_blocks = 100          # the validator set is re-read from Staking every 100 blocks
//! [[validators]]
//! account = "0x…"             # funded in [alloc]; stakes and receives block fees
//! key = "0x…"                 # 32-byte ed25519 consensus public key
//! stake = "32"                # ether
//! proof = "0x…"               # the key's signature of Staking.registrationDigest(account)
//! [alloc."0x…"]
//! balance = "0x…"
//! ```
//!
//! A spec without validators is a single-sequencer chain (`solo`, like `--dev`); with them the
//! node runs `bft` with the validator set genesis registers in the Staking contract.

use crate::system::SystemParams;
use crate::system::{with_genesis_validators, with_system_contracts, GenesisValidator};
use eyre::{eyre, Result, WrapErr};
use spn_primitives::{Address, Bytes, ChainSpec, B256, U256};
use std::path::Path;

/// How many blocks an epoch lasts unless the spec says otherwise.
pub const DEFAULT_EPOCH_BLOCKS: u64 = 100;

/// The `[bft]` section: how the mainnet's consensus is parameterized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BftParams {
    /// Blocks per epoch: the validator set is read from the Staking contract once per epoch
    /// (at least 2).
    pub epoch_blocks: u64,
}

impl Default for BftParams {
    fn default() -> Self {
        Self {
            epoch_blocks: DEFAULT_EPOCH_BLOCKS,
        }
    }
}

/// A mainnet chain spec as its file says it: the chain, its genesis validators and `bft`
/// parameters, before genesis runs the system contracts' initializers and the validators'
/// staking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainnetSpec {
    /// The engine's chain spec (its `alloc` funds the validators' accounts).
    pub chain: ChainSpec,
    /// Validators staked and registered at genesis, in order.
    pub validators: Vec<GenesisValidator>,
    /// Consensus parameters.
    pub bft: BftParams,
    /// Genesis system contracts with the dev chain's short delays and small minimums
    /// (`system_params = "dev"`): for local validator networks such as `spn devnet --validators`.
    pub dev_params: bool,
}

impl MainnetSpec {
    /// Reads and parses a spec file; errors name the file and the field.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("cannot read chain spec {}", path.display()))?;
        Self::from_toml(&text).wrap_err_with(|| format!("in chain spec {}", path.display()))
    }

    /// Parses a spec; errors name the field (`validators[2].proof`, `bft.epoch_blocks`).
    pub fn from_toml(text: &str) -> Result<Self> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| eyre!("invalid chain spec: {e}"))?;
        let validators = match table.remove("validators") {
            None => Vec::new(),
            Some(toml::Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, v)| parse_validator(i, v))
                .collect::<Result<_>>()?,
            Some(_) => return Err(eyre!("`validators` must be [[validators]] tables")),
        };
        let bft = match table.remove("bft") {
            None => BftParams::default(),
            Some(value) => parse_bft(value)?,
        };
        let dev_params = match table.remove("system_params") {
            None => false,
            Some(toml::Value::String(p)) if p == "production" => false,
            Some(toml::Value::String(p)) if p == "dev" => true,
            Some(other) => {
                return Err(eyre!(
                    "system_params must be \"production\" or \"dev\", not {other}"
                ))
            }
        };
        let chain: ChainSpec = toml::Value::Table(table)
            .try_into()
            .map_err(|e| eyre!("invalid chain spec: {e}"))?;
        chain.validate()?;
        Ok(Self {
            chain,
            validators,
            bft,
            dev_params,
        })
    }

    /// Renders the spec as TOML that [`MainnetSpec::from_toml`] reads back unchanged.
    pub fn to_toml(&self) -> String {
        let mut table = match toml::Table::try_from(&self.chain) {
            Ok(t) => t,
            Err(_) => return self.chain.to_toml(),
        };
        table.remove("validators");
        let mut bft = toml::Table::new();
        bft.insert(
            "epoch_blocks".into(),
            toml::Value::Integer(i64::try_from(self.bft.epoch_blocks).unwrap_or(i64::MAX)),
        );
        table.insert("bft".into(), toml::Value::Table(bft));
        if self.dev_params {
            table.insert("system_params".into(), toml::Value::String("dev".into()));
        }
        if !self.validators.is_empty() {
            let list = self.validators.iter().map(validator_table).collect();
            table.insert("validators".into(), toml::Value::Array(list));
        }
        toml::to_string_pretty(&table).unwrap_or_default()
    }

    /// True if the chain runs `bft` (genesis registers validators).
    pub fn has_validators(&self) -> bool {
        !self.validators.is_empty()
    }

    /// The chain spec of block 0: the file's accounts, the system contracts initialized with
    /// `params`, and the validators staked and registered.
    /// The system contracts' settings this spec asks for.
    pub fn system_params(&self) -> SystemParams {
        if self.dev_params {
            SystemParams::dev()
        } else {
            SystemParams::production()
        }
    }

    pub fn genesis(&self, params: &SystemParams) -> Result<ChainSpec> {
        let spec = with_system_contracts(self.chain.clone(), params)?;
        with_genesis_validators(spec, &self.validators)
    }
}

fn parse_bft(value: toml::Value) -> Result<BftParams> {
    let toml::Value::Table(mut t) = value else {
        return Err(eyre!("`bft` must be a table"));
    };
    let mut params = BftParams::default();
    if let Some(v) = t.remove("epoch_blocks") {
        let n = v
            .as_integer()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| eyre!("bft.epoch_blocks must be a positive integer"))?;
        if n < 2 {
            return Err(eyre!("bft.epoch_blocks must be at least 2, got {n}"));
        }
        params.epoch_blocks = n;
    }
    if let Some(key) = t.keys().next() {
        return Err(eyre!("unknown field `bft.{key}` (known: epoch_blocks)"));
    }
    Ok(params)
}

fn parse_validator(i: usize, value: &toml::Value) -> Result<GenesisValidator> {
    let field = |name: &str| format!("validators[{i}].{name}");
    let t = value
        .as_table()
        .ok_or_else(|| eyre!("validators[{i}] must be a table with account, key, stake, proof"))?;
    if let Some(k) = t
        .keys()
        .find(|k| !["account", "key", "stake", "proof"].contains(&k.as_str()))
    {
        return Err(eyre!(
            "unknown field `{}` (known: account, key, stake, proof)",
            field(k)
        ));
    }
    let text = |name: &str| -> Result<&str> {
        t.get(name)
            .and_then(toml::Value::as_str)
            .ok_or_else(|| eyre!("{} is missing (a string)", field(name)))
    };
    let account: Address = text("account")?
        .parse()
        .map_err(|_| eyre!("{} is not a 20-byte hex address", field("account")))?;
    let key: B256 = text("key")?
        .parse()
        .map_err(|_| eyre!("{} is not a 32-byte hex ed25519 public key", field("key")))?;
    let proof: Bytes = text("proof")?
        .parse()
        .map_err(|_| eyre!("{} is not hex", field("proof")))?;
    let stake = match t.get("stake") {
        Some(toml::Value::String(s)) => parse_ether(s),
        Some(toml::Value::Integer(n)) => u64::try_from(*n).ok().map(parse_ether_u64),
        _ => None,
    }
    .ok_or_else(|| eyre!("{} must be an amount of ether, e.g. \"32\"", field("stake")))?;
    Ok(GenesisValidator {
        account,
        key,
        stake,
        proof,
    })
}

fn validator_table(v: &GenesisValidator) -> toml::Value {
    let mut t = toml::Table::new();
    t.insert("account".into(), v.account.to_string().into());
    t.insert("key".into(), v.key.to_string().into());
    t.insert("stake".into(), format_ether(v.stake).into());
    t.insert("proof".into(), v.proof.to_string().into());
    toml::Value::Table(t)
}

const WEI_PER_ETHER: u64 = 1_000_000_000_000_000_000;

fn parse_ether_u64(n: u64) -> U256 {
    U256::from(n) * U256::from(WEI_PER_ETHER)
}

/// An amount of ether (`"32"`, `"0.5"`, at most 18 decimals) in wei.
pub fn parse_ether(text: &str) -> Option<U256> {
    let (whole, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if (whole.is_empty() && frac.is_empty()) || frac.len() > 18 {
        return None;
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(frac) {
        return None;
    }
    let whole = if whole.is_empty() {
        U256::ZERO
    } else {
        U256::from_str_radix(whole, 10).ok()?
    };
    let frac = format!("{frac:0<18}");
    let frac = U256::from_str_radix(&frac, 10).ok()?;
    whole
        .checked_mul(U256::from(WEI_PER_ETHER))?
        .checked_add(frac)
}

/// `wei` as ether, exactly (`"32"`, `"0.5"`).
pub fn format_ether(wei: U256) -> String {
    let unit = U256::from(WEI_PER_ETHER);
    let (whole, frac) = (wei / unit, wei % unit);
    if frac.is_zero() {
        return whole.to_string();
    }
    let frac = format!("{:0>18}", frac.to_string());
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str =
        "[[validators]]\naccount = \"0x1111111111111111111111111111111111111111\"\n\
        key = \"0x2222222222222222222222222222222222222222222222222222222222222222\"\n\
        stake = \"32.5\"\nproof = \"0x33\"\n";

    #[test]
    fn validators_and_bft_parameters_parse_and_round_trip() {
        let text = format!("chain_id = 9\n[bft]\nepoch_blocks = 20\n{ENTRY}");
        let spec = MainnetSpec::from_toml(&text).unwrap();
        assert_eq!(spec.chain.chain_id, 9);
        assert_eq!(spec.bft.epoch_blocks, 20);
        assert_eq!(spec.validators.len(), 1);
        let v = &spec.validators[0];
        assert_eq!(v.stake, parse_ether("32.5").unwrap());
        assert_eq!(v.proof, Bytes::from_static(&[0x33]));
        assert_eq!(MainnetSpec::from_toml(&spec.to_toml()).unwrap(), spec);
    }

    #[test]
    fn a_spec_without_validators_is_the_plain_chain_spec() {
        let spec = MainnetSpec::from_toml("chain_id = 9\nvalidators = []\n").unwrap();
        assert!(!spec.has_validators());
        assert_eq!(spec.bft, BftParams::default());
        assert_eq!(MainnetSpec::from_toml(&spec.to_toml()).unwrap(), spec);
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (
                ENTRY.replace("0x2222", "0x22"),
                "validators[0].key is not a 32-byte",
            ),
            (
                ENTRY.replace("\"32.5\"", "\"lots\""),
                "validators[0].stake must be an amount",
            ),
            (
                ENTRY.replace("proof", "prof"),
                "unknown field `validators[0].prof`",
            ),
            (
                "[bft]\nepoch_blocks = 1\n".to_string(),
                "bft.epoch_blocks must be at least 2",
            ),
            (
                "[bft]\nepochs = 5\n".to_string(),
                "unknown field `bft.epochs`",
            ),
            ("chainid = 5\n".to_string(), "chainid"),
        ];
        for (body, expected) in cases {
            let text = format!("chain_id = 9\n{body}");
            let e = format!("{:#}", MainnetSpec::from_toml(&text).unwrap_err());
            assert!(e.contains(expected), "{e} should say {expected}");
        }
    }

    #[test]
    fn ether_amounts_are_exact() {
        assert_eq!(parse_ether("32"), Some(parse_ether_u64(32)));
        assert_eq!(parse_ether("0.000000000000000001"), Some(U256::from(1)));
        assert_eq!(parse_ether("1.0000000000000000001"), None);
        assert_eq!(parse_ether("-1"), None);
        assert_eq!(parse_ether(""), None);
        assert_eq!(format_ether(parse_ether("32.25").unwrap()), "32.25");
        assert_eq!(format_ether(parse_ether("10000").unwrap()), "10000");
    }
}
