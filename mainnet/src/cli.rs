//! Parse `pharos-node` commands and run them.

use crate::config::FileConfig;
use crate::dev::{dev_chain_spec, DEV_ACCOUNTS, DEV_MNEMONIC};
use crate::precompiles::MainnetExtensions;
use crate::system::{with_system_contracts, SystemParams};
use clap::{Args, Parser, Subcommand, ValueEnum};
use eyre::{eyre, Result, WrapErr};
use spn_consensus::{Solo, SoloConfig};
use spn_node::{NodeBuilder, NodeConfig, RpcConfig, StoreOptions};
use spn_primitives::{Address, ChainSpec};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The Pharos mainnet node.
#[derive(Debug, Parser)]
#[command(name = "pharos-node", version, about = "Run a Pharos mainnet node")]
pub struct Cli {
    /// Log format.
    #[arg(long = "log.format", global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// `pharos-node` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the genesis block of a chain spec into a new data directory.
    Init {
        /// Chain spec (genesis) TOML file.
        #[arg(long, env = "PHAROS_CHAIN")]
        chain: PathBuf,
        /// Data directory to create.
        #[arg(long, env = "PHAROS_DATADIR")]
        datadir: PathBuf,
    },
    /// Run the node.
    Run(RunArgs),
    /// Show keys.
    Keys {
        /// Which keys.
        #[command(subcommand)]
        which: KeysCommand,
    },
}

/// `pharos-node keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the ten prefunded dev accounts (public test keys: never use them for real funds).
    Dev {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

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
    /// Milliseconds between blocks (default 1000; in --dev, 0 = only when transactions arrive).
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
}

/// Parses the command line and runs the command.
pub fn main_with_args(cli: Cli) -> Result<()> {
    init_logging(cli.log_format);
    match cli.command {
        Command::Init { chain, datadir } => init(&chain, &datadir),
        Command::Keys {
            which: KeysCommand::Dev { json },
        } => {
            print_dev_keys(json);
            Ok(())
        }
        Command::Run(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .wrap_err("cannot start the async runtime")?;
            runtime.block_on(run(args))
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn load_spec(path: &Path) -> Result<ChainSpec> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("cannot read chain spec {}", path.display()))?;
    let spec = ChainSpec::from_toml(&text)
        .wrap_err_with(|| format!("in chain spec {}", path.display()))?;
    with_system_contracts(spec, &SystemParams::production())
}

fn init(chain: &Path, datadir: &Path) -> Result<()> {
    let spec = load_spec(chain)?;
    let store = spn_storage_open(datadir)?;
    spn_node::init_genesis(&store, &spec)?;
    std::fs::write(datadir.join("chain.toml"), spec.to_toml())
        .wrap_err("cannot write chain.toml into the data directory")?;
    println!(
        "initialized {} (chain id {}) in {}",
        spec.name,
        spec.chain_id,
        datadir.display()
    );
    println!("next: pharos-node run --datadir {}", datadir.display());
    Ok(())
}

fn spn_storage_open(datadir: &Path) -> Result<spn_node::Store> {
    spn_node::Store::open(datadir, &StoreOptions::default())
        .wrap_err_with(|| format!("cannot open data directory {}", datadir.display()))
}

fn print_dev_keys(json: bool) {
    if json {
        let list: Vec<_> = DEV_ACCOUNTS
            .iter()
            .map(|a| serde_json::json!({"address": a.address, "private_key": a.private_key}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"mnemonic": DEV_MNEMONIC, "accounts": list})
        );
    } else {
        println!("Dev accounts (10 000 ETH each on the --dev chain; public keys, never use for real funds)");
        println!("Mnemonic: {DEV_MNEMONIC}\n");
        for (i, a) in DEV_ACCOUNTS.iter().enumerate() {
            println!("({i}) {}  {}", a.address, a.private_key);
        }
    }
}

async fn run(args: RunArgs) -> Result<()> {
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
    let spec = if args.dev {
        dev_chain_spec()
    } else if let Some(chain) = args.chain.clone().or(file.chain.clone()) {
        load_spec(&chain)?
    } else if datadir.join("chain.toml").exists() {
        load_spec(&datadir.join("chain.toml"))?
    } else {
        return Err(eyre!(
            "{} is not initialized: run `pharos-node init --chain genesis.toml --datadir {}` \
             or pass --chain, or use --dev",
            datadir.display(),
            datadir.display()
        ));
    };
    let http_addr = args
        .http_addr
        .or(file
            .http
            .addr
            .as_deref()
            .map(str::parse)
            .transpose()
            .wrap_err("invalid http.addr in config")?)
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let http_port = args.http_port.or(file.http.port).unwrap_or(8545);
    let metrics_addr = args
        .metrics_addr
        .or(file
            .metrics
            .addr
            .as_deref()
            .map(str::parse)
            .transpose()
            .wrap_err("invalid metrics.addr in config")?)
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let metrics = args
        .metrics_port
        .or(file.metrics.port)
        .map(|p| SocketAddr::new(metrics_addr, p));
    let block_time_ms = args
        .block_time_ms
        .or(file.block_time_ms)
        .unwrap_or(if args.dev { 0 } else { 1_000 });
    let solo = Solo::new(SoloConfig {
        block_time_ms,
        on_demand: args.dev,
    });
    let config = NodeConfig {
        datadir: datadir.clone(),
        rpc: RpcConfig {
            addr: SocketAddr::new(http_addr, http_port),
            ..RpcConfig::default()
        },
        metrics_addr: metrics,
        store: StoreOptions {
            sync_writes: !args.db_no_sync,
            ..StoreOptions::default()
        },
        pool: spn_node::PoolConfig {
            max_txs: args.txpool_max,
            ..Default::default()
        },
        beneficiary: Address::ZERO,
    };
    let mut builder = NodeBuilder::new(spec.clone(), config)
        .with_consensus(solo)
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
