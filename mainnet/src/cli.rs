//! Parse `pharos-node` commands and run them.

use crate::dev::{DEV_ACCOUNTS, DEV_MNEMONIC};
use crate::spec::MainnetSpec;
use clap::{Parser, Subcommand, ValueEnum};
use eyre::{Result, WrapErr};
use spn_node::StoreOptions;
use spn_primitives::ChainSpec;
use std::path::{Path, PathBuf};

pub use crate::run::RunArgs;

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
    /// Generate a local bft network: validator keys and accounts, a genesis that stakes and
    /// registers them and funds the dev accounts, and one config per validator.
    Testnet(crate::testnet::TestnetArgs),
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

/// Parses the command line and runs the command.
pub fn main_with_args(cli: Cli) -> Result<()> {
    init_logging(cli.log_format);
    match cli.command {
        Command::Init { chain, datadir } => init(&chain, &datadir),
        Command::Testnet(args) => crate::testnet::testnet(&args),
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
            runtime.block_on(crate::run::run(args))
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

/// A chain spec file and the block-0 spec it makes (system contracts initialized, genesis
/// validators staked and registered).
pub fn load_spec(path: &Path) -> Result<(MainnetSpec, ChainSpec)> {
    let mainnet = MainnetSpec::load(path)?;
    let genesis = mainnet
        .genesis(&mainnet.system_params())
        .wrap_err_with(|| format!("in chain spec {}", path.display()))?;
    Ok((mainnet, genesis))
}

fn init(chain: &Path, datadir: &Path) -> Result<()> {
    let (mainnet, spec) = load_spec(chain)?;
    let store = spn_storage_open(datadir)?;
    spn_node::init_genesis(&store, &spec)?;
    // The spec as written (not block 0's accounts): `run` derives genesis from it again.
    std::fs::write(datadir.join("chain.toml"), mainnet.to_toml())
        .wrap_err("cannot write chain.toml into the data directory")?;
    println!(
        "initialized {} (chain id {}) in {}",
        spec.name,
        spec.chain_id,
        datadir.display()
    );
    if mainnet.has_validators() {
        println!(
            "{} genesis validators: bft consensus, a new validator set every {} blocks",
            mainnet.validators.len(),
            mainnet.bft.epoch_blocks
        );
        println!(
            "next: pharos-node run --datadir {} --validator.key FILE --p2p.peers KEY@IP:PORT,...",
            datadir.display()
        );
    } else {
        println!("next: pharos-node run --datadir {}", datadir.display());
    }
    Ok(())
}

fn spn_storage_open(datadir: &Path) -> Result<spn_node::Store> {
    let options = StoreOptions {
        proof_history: crate::light_client::PROOF_HISTORY.to_vec(),
        ..StoreOptions::default()
    };
    spn_node::Store::open(datadir, &options)
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
