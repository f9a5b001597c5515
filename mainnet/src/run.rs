//! `pharos-node run`: resolve flags, environment and config file into a node, choose its
//! consensus (`solo` for `--dev` and chains without genesis validators, `bft` otherwise) and
//! run it until a signal.

use crate::cli::load_spec;
use crate::config::FileConfig;
use crate::consensus::{bft_node, ValidatorOptions};
use crate::dev::dev_chain_spec;
use crate::precompiles::MainnetExtensions;
use crate::validators::genesis_validators;
use clap::Args;
use eyre::{eyre, Result, WrapErr};
use spn_consensus::{Solo, SoloConfig};
use spn_node::{Engine, NodeBuilder, NodeConfig, RpcConfig, StoreOptions};
use spn_primitives::{Address, B256};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// `pharos-node run` flags. Precedence: flags, then environment, then `--config` file.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// TOML config file.
    #[arg(long, env = "PHAROS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Chain spec TOML; initializes an empty data directory.
    #[arg(long, env = "PHAROS_CHAIN")]
    pub chain: Option<PathBuf>,
    /// Run a local dev chain: chain id 31337, ten prefunded dev accounts, a block as soon as
    /// transactions arrive. Without --datadir the chain lives in a temporary directory.
    #[arg(long)]
    pub dev: bool,
    /// Data directory (an existing one resumes its chain).
    #[arg(long, env = "PHAROS_DATADIR")]
    pub datadir: Option<PathBuf>,
    /// JSON-RPC (HTTP and WebSocket) listen address.
    #[arg(long = "http.addr", env = "PHAROS_HTTP_ADDR")]
    pub http_addr: Option<IpAddr>,
    /// JSON-RPC listen port (0 picks a free port).
    #[arg(long = "http.port", env = "PHAROS_HTTP_PORT")]
    pub http_port: Option<u16>,
    /// Prometheus metrics listen address.
    #[arg(long = "metrics.addr", env = "PHAROS_METRICS_ADDR")]
    pub metrics_addr: Option<IpAddr>,
    /// Prometheus metrics port; metrics are served on /metrics when set.
    #[arg(long = "metrics.port", env = "PHAROS_METRICS_PORT")]
    pub metrics_port: Option<u16>,
    /// Milliseconds between blocks (default 1000; in --dev, 0 = only when transactions arrive;
    /// on a bft chain, how soon an idle chain makes an empty block).
    #[arg(long = "block-time", env = "PHAROS_BLOCK_TIME_MS")]
    pub block_time_ms: Option<u64>,
    /// Do not fsync each block (faster; a power loss may lose recent blocks, a crash does not).
    #[arg(long = "db.no-sync")]
    pub db_no_sync: bool,
    /// Maximum transactions in the pool.
    #[arg(long = "txpool.max-count", default_value_t = 200_000)]
    pub txpool_max: usize,
    /// Write the bound RPC address to this file once listening (for scripts and tests).
    #[arg(long = "http.addr-file")]
    pub addr_file: Option<PathBuf>,
    /// A bft validator's ed25519 consensus key file (`pharos-node testnet` writes them);
    /// without it the node follows the chain without voting.
    #[arg(
        long = "validator.key",
        env = "PHAROS_VALIDATOR_KEY",
        help_heading = "Validator"
    )]
    pub validator_key: Option<PathBuf>,
    /// The secp256k1 account key file that signs slashing transactions for double votes this
    /// node sees (default: `account.key` beside the validator key, if there is one; else
    /// evidence is only logged).
    #[arg(
        long = "evidence.key",
        env = "PHAROS_EVIDENCE_KEY",
        help_heading = "Validator"
    )]
    pub evidence_key: Option<PathBuf>,
    /// Validator network listen address (default 0.0.0.0).
    #[arg(long = "p2p.addr", env = "PHAROS_P2P_ADDR", help_heading = "Validator")]
    pub p2p_addr: Option<IpAddr>,
    /// Validator network listen port (default 30303; 0 picks a free port).
    #[arg(long = "p2p.port", env = "PHAROS_P2P_PORT", help_heading = "Validator")]
    pub p2p_port: Option<u16>,
    /// Static peers: `<hex ed25519 key>@<ip>:<port>`, comma-separated.
    #[arg(
        long = "p2p.peers",
        env = "PHAROS_P2P_PEERS",
        value_delimiter = ',',
        help_heading = "Validator"
    )]
    pub p2p_peers: Option<Vec<String>>,
}

/// The validator network's default port.
pub const DEFAULT_P2P_PORT: u16 = 30303;

fn parse_addr(value: Option<&str>, field: &str) -> Result<Option<IpAddr>> {
    value
        .map(str::parse)
        .transpose()
        .map_err(|e| eyre!("invalid {field} in config: {e}"))
}

pub(crate) async fn run(args: RunArgs) -> Result<()> {
    let file = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let mut temp_dir = None;
    let datadir = match args.datadir.clone().or(file.datadir.clone()) {
        Some(dir) => dir,
        None if args.dev => {
            let dir = std::env::temp_dir().join(format!("pharos-dev-{}", std::process::id()));
            temp_dir = Some(dir.clone());
            dir
        }
        None => {
            return Err(eyre!(
                "no data directory: pass --datadir DIR (or --dev for a throwaway chain)"
            ))
        }
    };
    let (mainnet, spec) = if args.dev {
        (None, dev_chain_spec())
    } else {
        let path = match args.chain.clone().or(file.chain.clone()) {
            Some(chain) => chain,
            None if datadir.join("chain.toml").exists() => datadir.join("chain.toml"),
            None => {
                return Err(eyre!(
                "{} is not initialized: run `pharos-node init --chain genesis.toml --datadir {}` \
                     or pass --chain, or use --dev",
                datadir.display(),
                datadir.display()
            ))
            }
        };
        let (mainnet, spec) = load_spec(&path)?;
        (Some(mainnet), spec)
    };
    let http_addr = args
        .http_addr
        .or(parse_addr(file.http.addr.as_deref(), "http.addr")?)
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let http_port = args.http_port.or(file.http.port).unwrap_or(8545);
    let metrics_addr = args
        .metrics_addr
        .or(parse_addr(file.metrics.addr.as_deref(), "metrics.addr")?)
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let metrics = args
        .metrics_port
        .or(file.metrics.port)
        .map(|p| SocketAddr::new(metrics_addr, p));
    let block_time_ms = args
        .block_time_ms
        .or(file.block_time_ms)
        .unwrap_or(if args.dev { 0 } else { 1_000 });
    let genesis_set = match &mainnet {
        Some(m) if m.has_validators() => genesis_validators(&spec).map_err(|e| eyre!(e))?,
        _ => None,
    };
    let mut role = None;
    let engine: Engine = match (genesis_set, &mainnet) {
        (Some(validators), Some(mainnet)) => {
            let options = ValidatorOptions {
                validator_key: args.validator_key.clone().or(file.validator.key.clone()),
                evidence_key: args.evidence_key.clone().or(file.evidence.key.clone()),
                p2p_listen: SocketAddr::new(
                    args.p2p_addr
                        .or(parse_addr(file.p2p.addr.as_deref(), "p2p.addr")?)
                        .unwrap_or(IpAddr::from([0, 0, 0, 0])),
                    args.p2p_port.or(file.p2p.port).unwrap_or(DEFAULT_P2P_PORT),
                ),
                peers: args.p2p_peers.clone().unwrap_or(file.p2p.peers.clone()),
                idle_block_ms: block_time_ms,
            };
            let node = bft_node(spec.chain_id, mainnet.bft, validators, &options, &datadir)?;
            role = Some((node.role, node.peer_key));
            node.setup.into()
        }
        _ => Solo::new(SoloConfig {
            block_time_ms,
            on_demand: args.dev,
        })
        .into(),
    };
    let config = NodeConfig {
        datadir: datadir.clone(),
        rpc: RpcConfig {
            addr: SocketAddr::new(http_addr, http_port),
            ..RpcConfig::default()
        },
        metrics_addr: metrics,
        store: StoreOptions {
            sync_writes: !args.db_no_sync,
            proof_history: crate::light_client::PROOF_HISTORY.to_vec(),
            ..StoreOptions::default()
        },
        pool: spn_node::PoolConfig {
            max_txs: args.txpool_max,
            ..Default::default()
        },
        beneficiary: Address::ZERO,
    };
    let mut builder = NodeBuilder::new(spec.clone(), config)
        .with_consensus(engine)
        .with_extensions(std::sync::Arc::new(MainnetExtensions));
    if args.dev {
        // Deadlines (forced withdrawals, epochs) can be rehearsed: evm_increaseTime, evm_mine.
        builder = builder.with_dev_time_warp(spn_node::Clock::default());
    }
    let node = builder.launch().await.wrap_err("node failed to start")?;
    let rpc = node.rpc_addr;
    if let Some(path) = &args.addr_file {
        std::fs::write(path, rpc.to_string()).wrap_err("cannot write --http.addr-file")?;
    }
    println!(
        "pharos-node ready: chain id {} at http://{rpc} (ws://{rpc})",
        spec.chain_id
    );
    if let Some(m) = node.metrics_addr {
        println!("metrics: http://{m}/metrics");
    }
    if let (Some((role, key)), Some(p2p)) = (&role, node.p2p_addr) {
        println!("{role}; peers reach it at {:x}@{p2p}", B256::from(*key));
    }
    if args.dev {
        println!(
            "dev accounts: `pharos-node keys dev`; data directory: {}",
            datadir.display()
        );
    }
    let contracts: Vec<String> = pharos_contracts::mainnet_system_contracts()
        .iter()
        .map(|(name, address, _)| format!("{name} {address}"))
        .collect();
    println!("system contracts: {}", contracts.join(", "));
    let result = node.run_until(spn_node::shutdown_signal()).await;
    if let Some(dir) = temp_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    result.wrap_err("node stopped with an error")?;
    tracing::info!("stopped cleanly");
    Ok(())
}
