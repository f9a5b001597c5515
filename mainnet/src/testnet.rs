//! `pharos-node testnet`: write everything a local multi-validator `bft` network needs into
//! one folder: fresh validator keys (ed25519 consensus keys and secp256k1 accounts, each file
//! readable by its owner only), a genesis that stakes and registers every validator and funds
//! the dev accounts, and one config per validator naming its data directory, ports and peers.
//!
//! ```text
//! DIR/genesis.toml
//! DIR/validator-<i>/validator.key   ed25519 consensus key (also the node's network identity)
//! DIR/validator-<i>/account.key     secp256k1 account: staked, paid fees, signs slashing reports
//! DIR/validator-<i>/config.toml     `pharos-node run --config` file
//! DIR/validator-<i>/data/           its chain, created on first run
//! ```
//!
//! Validator `i` serves JSON-RPC on `base-port + i` and the validator network on
//! `base-port + 100 + i`.

use crate::consensus::ACCOUNT_KEY_FILE;
use crate::dev::{DEV_ACCOUNTS, DEV_BALANCE_ETH};
use crate::keys::{write_secret, AccountKey};
use crate::spec::{format_ether, parse_ether, BftParams, MainnetSpec};
use crate::system::{registration_digest, GenesisValidator, SystemParams};
use clap::Args;
use ed25519_dalek::{Signer, SigningKey};
use eyre::{eyre, Result, WrapErr};
use spn_primitives::{Address, Bytes, ChainSpec, GenesisAccount, B256, U256};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The testnet's default chain id.
pub const TESTNET_CHAIN_ID: u64 = 7447;
/// What a validator's account holds beyond its stake, for fees: 1000 ether.
const VALIDATOR_SPARE_ETH: u64 = 1_000;
/// The validator key file in each validator's folder.
pub const VALIDATOR_KEY_FILE: &str = "validator.key";

/// `pharos-node testnet` flags.
#[derive(Debug, Args)]
pub struct TestnetArgs {
    /// How many validators.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub validators: u16,
    /// Folder to write into (created; must be empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Chain id.
    #[arg(long = "chain-id", default_value_t = TESTNET_CHAIN_ID)]
    pub chain_id: u64,
    /// First port: validator i serves JSON-RPC on base-port + i and the validator network on
    /// base-port + 100 + i.
    #[arg(long = "base-port", default_value_t = 30300)]
    pub base_port: u16,
    /// Address every validator listens on and is reached at.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Blocks per epoch (the validator set is re-read from Staking once per epoch).
    #[arg(long = "epoch-blocks", default_value_t = 20)]
    pub epoch_blocks: u64,
    /// Each validator's stake, in ether (at least the Staking minimum, 32).
    #[arg(long, default_value = "32")]
    pub stake: String,
    /// Milliseconds after which an idle chain makes an empty block.
    #[arg(long = "block-time", default_value_t = 1_000)]
    pub block_time_ms: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Genesis system contracts with the dev chain's minute-long delays and 1-ether minimums
    /// (`system_params = "dev"` in the genesis), to rehearse flows locally.
    #[arg(long = "dev-params")]
    pub dev_params: bool,
}

/// One generated validator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestnetValidator {
    /// Its folder.
    pub dir: PathBuf,
    /// Its `pharos-node run --config` file.
    pub config: PathBuf,
    /// Its ed25519 public key (hex, no prefix: how peers name it).
    pub public_key: String,
    /// Its staking account.
    pub account: Address,
    /// JSON-RPC URL.
    pub rpc: String,
    /// Its peer address, `key@ip:port`.
    pub peer: String,
}

/// What `pharos-node testnet` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Testnet {
    /// The chain id.
    pub chain_id: u64,
    /// The genesis chain spec.
    pub genesis: PathBuf,
    /// The validators, in genesis order.
    pub validators: Vec<TestnetValidator>,
}

/// Writes a testnet as `args` says and prints what to run next.
pub fn testnet(args: &TestnetArgs) -> Result<()> {
    let net = generate(args)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&net)?);
        return Ok(());
    }
    println!(
        "wrote a {}-validator bft testnet (chain id {}) to {}",
        net.validators.len(),
        net.chain_id,
        args.out.display()
    );
    println!("  genesis: {}", net.genesis.display());
    for (i, v) in net.validators.iter().enumerate() {
        println!(
            "  validator {i}: {} (RPC {}, peer {})",
            v.account, v.rpc, v.peer
        );
    }
    println!("dev accounts funded: `pharos-node keys dev`");
    println!("start every validator (each in its own terminal, or with & at the end):");
    for v in &net.validators {
        println!("  pharos-node run --config {}", v.config.display());
    }
    Ok(())
}

/// Generates the keys, genesis and configs of a testnet into `args.out`.
pub fn generate(args: &TestnetArgs) -> Result<Testnet> {
    let stake = parse_ether(&args.stake)
        .ok_or_else(|| eyre!("--stake must be an amount of ether, e.g. 32"))?;
    let params = if args.dev_params {
        SystemParams::dev()
    } else {
        SystemParams::production()
    };
    let min = params.min_validator_stake;
    if stake < min {
        return Err(eyre!(
            "--stake {} is below the Staking minimum of {} ether",
            args.stake,
            format_ether(min)
        ));
    }
    if args.epoch_blocks < 2 {
        return Err(eyre!("--epoch-blocks must be at least 2"));
    }
    let bft = BftParams {
        epoch_blocks: args.epoch_blocks,
    };
    let n = args.validators;
    if u32::from(args.base_port) + 100 + u32::from(n) > u32::from(u16::MAX) {
        return Err(eyre!(
            "--base-port {} leaves no room for {n} validators",
            args.base_port
        ));
    }
    let out = create_empty_dir(&args.out)?;
    let nodes: Vec<NodeKeys> = (0..n).map(|_| NodeKeys::random()).collect::<Result<_>>()?;
    let validators: Vec<GenesisValidator> = nodes
        .iter()
        .map(|k| k.genesis_entry(args.chain_id, stake))
        .collect();
    let spec = MainnetSpec {
        chain: chain_spec(args, &nodes, stake)?,
        validators,
        bft,
        dev_params: args.dev_params,
    };
    // Refuse now what `pharos-node run` would refuse later.
    spec.genesis(&params)?;
    let genesis = out.join("genesis.toml");
    std::fs::write(&genesis, spec.to_toml())
        .wrap_err_with(|| format!("cannot write {}", genesis.display()))?;
    let peer = |i: u16, k: &NodeKeys| {
        format!(
            "{}@{}:{}",
            k.public_hex(),
            args.host,
            args.base_port + 100 + i
        )
    };
    let peers: Vec<String> = (0..n).zip(&nodes).map(|(i, k)| peer(i, k)).collect();
    let mut written = Vec::new();
    for (i, keys) in (0..n).zip(&nodes) {
        let dir = out.join(format!("validator-{i}"));
        std::fs::create_dir(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
        write_secret(
            &dir.join(VALIDATOR_KEY_FILE),
            &B256::from(keys.consensus.to_bytes()),
        )?;
        write_secret(&dir.join(ACCOUNT_KEY_FILE), &keys.account.secret)?;
        let others: Vec<&String> = peers
            .iter()
            .filter(|p| **p != peers[usize::from(i)])
            .collect();
        let config = dir.join("config.toml");
        std::fs::write(&config, config_toml(args, i, &dir, &genesis, &others))
            .wrap_err_with(|| format!("cannot write {}", config.display()))?;
        written.push(TestnetValidator {
            dir,
            config,
            public_key: keys.public_hex(),
            account: keys.account.address,
            rpc: format!("http://{}:{}", args.host, args.base_port + i),
            peer: peers[usize::from(i)].clone(),
        });
    }
    Ok(Testnet {
        chain_id: args.chain_id,
        genesis,
        validators: written,
    })
}

/// A validator's fresh keys.
struct NodeKeys {
    consensus: SigningKey,
    account: AccountKey,
}

impl NodeKeys {
    fn random() -> Result<Self> {
        let consensus = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        // A random 32-byte string is a valid secp256k1 secret but with negligible odds.
        let account = (0..8)
            .find_map(|_| AccountKey::new(B256::from(rand::random::<[u8; 32]>())).ok())
            .ok_or_else(|| eyre!("cannot draw a secp256k1 key"))?;
        Ok(Self { consensus, account })
    }

    fn public_hex(&self) -> String {
        format!(
            "{:x}",
            B256::from(self.consensus.verifying_key().to_bytes())
        )
    }

    fn genesis_entry(&self, chain_id: u64, stake: U256) -> GenesisValidator {
        let digest = registration_digest(chain_id, self.account.address);
        GenesisValidator {
            account: self.account.address,
            key: B256::from(self.consensus.verifying_key().to_bytes()),
            stake,
            proof: Bytes::from(self.consensus.sign(digest.as_slice()).to_bytes().to_vec()),
        }
    }
}

fn chain_spec(args: &TestnetArgs, nodes: &[NodeKeys], stake: U256) -> Result<ChainSpec> {
    let mut spec = ChainSpec::from_toml(&format!("chain_id = {}\n", args.chain_id))?;
    spec.name = "pharos-testnet".into();
    let ether = |n: u64| U256::from(n) * U256::from(10u64).pow(U256::from(18u64));
    for dev in DEV_ACCOUNTS {
        let address: Address = dev.address.parse()?;
        let account = GenesisAccount {
            balance: ether(DEV_BALANCE_ETH),
            ..Default::default()
        };
        spec.alloc.insert(address, account);
    }
    for keys in nodes {
        let account = GenesisAccount {
            balance: stake + ether(VALIDATOR_SPARE_ETH),
            ..Default::default()
        };
        spec.alloc.insert(keys.account.address, account);
    }
    Ok(spec)
}

fn config_toml(
    args: &TestnetArgs,
    i: u16,
    dir: &Path,
    genesis: &Path,
    peers: &[&String],
) -> String {
    let quoted = |p: &Path| toml::Value::String(p.display().to_string()).to_string();
    let peers: Vec<String> = peers
        .iter()
        .map(|p| toml::Value::String((*p).clone()).to_string())
        .collect();
    format!(
        "# Validator {i} of a `pharos-node testnet` network: pharos-node run --config {config}\n\
         datadir = {datadir}\nchain = {chain}\nblock_time_ms = {block_time}\n\n\
         [http]\naddr = \"{host}\"\nport = {http}\n\n\
         [p2p]\naddr = \"{host}\"\nport = {p2p}\npeers = [{peers}]\n\n\
         [validator]\nkey = {validator}\n\n[evidence]\nkey = {account}\n",
        config = dir.join("config.toml").display(),
        datadir = quoted(&dir.join("data")),
        chain = quoted(genesis),
        block_time = args.block_time_ms,
        host = args.host,
        http = args.base_port + i,
        p2p = args.base_port + 100 + i,
        peers = peers.join(", "),
        validator = quoted(&dir.join(VALIDATOR_KEY_FILE)),
        account = quoted(&dir.join(ACCOUNT_KEY_FILE)),
    )
}

/// Creates `dir` (or takes it if empty) and returns its absolute path.
fn create_empty_dir(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    let mut entries =
        std::fs::read_dir(dir).wrap_err_with(|| format!("cannot read {}", dir.display()))?;
    if entries.next().is_some() {
        return Err(eyre!(
            "{} is not empty: choose a new --out folder (a testnet's keys are never overwritten)",
            dir.display()
        ));
    }
    dir.canonicalize()
        .wrap_err_with(|| format!("cannot resolve {}", dir.display()))
}

#[cfg(test)]
#[path = "testnet_tests.rs"]
mod tests;
