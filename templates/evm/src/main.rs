//! This SPN's node: the Pharos SPN engine with this project's chain (`src/chain.rs`), run as
//! one of its validators (`validators/*.toml`), following the mainnet for inbound messages.

mod chain;
mod validator;

use clap::{Args, Parser, Subcommand};
use eyre::{eyre, Result, WrapErr};
use spn_chain::{SpnNode, SpnNodeOptions};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Run a validator of this SPN.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a validator's node until Ctrl-C (the data directory is resumed on the next run).
    Run(RunArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The validator's file: its signing key, RPC port and validator network.
    #[arg(long, default_value = "validators/validator-1.toml")]
    validator: PathBuf,
    /// The SPN's config: its id, mainnet, genesis balances and registration.
    #[arg(long, default_value = "spn.toml")]
    config: PathBuf,
    /// Data directory (default: data/<the validator file's name>); created on first run.
    #[arg(long)]
    datadir: Option<PathBuf>,
    /// JSON-RPC listen address.
    #[arg(long = "http.addr", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    http_addr: IpAddr,
    /// JSON-RPC port (default: the validator file's http_port; 0 picks a free one).
    #[arg(long = "http.port")]
    http_port: Option<u16>,
    /// Write the bound JSON-RPC address to this file once listening (for scripts and tests).
    #[arg(long = "http.addr-file")]
    addr_file: Option<PathBuf>,
}

fn main() {
    let Command::Run(args) = Cli::parse().command;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| eyre!("cannot start the async runtime: {e}"))
        .and_then(|runtime| runtime.block_on(run(args)));
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: RunArgs) -> Result<()> {
    let node = validator::node_config(&args.config, &args.validator)?;
    let config = node.config;
    let spec = chain::chain_spec(&config).map_err(|e| {
        eyre!(
            "cannot build the chain spec from {}: {e}",
            args.config.display()
        )
    })?;
    let datadir = args
        .datadir
        .unwrap_or_else(|| PathBuf::from("data").join(&node.validator_name));
    let options = SpnNodeOptions {
        datadir: datadir.clone(),
        http_addr: SocketAddr::new(args.http_addr, args.http_port.unwrap_or(node.http_port)),
        metrics_addr: None,
        censor_forced_withdrawals: false,
    };
    if config.consensus() != spn_chain::SpnConsensus::Solo {
        println!(
            "waiting for SPN {}'s validator set on the mainnet Registry at {} (register the SPN \
             and restake: see README.md)",
            config.spn_id, config.mainnet_rpc
        );
    }
    let node_handle = SpnNode::launch_with_spec(&config, spec, options)
        .await
        .map_err(|e| {
            eyre!(
                "cannot start SPN {}: {e} (is another node using {}?)",
                config.spn_id,
                datadir.display()
            )
        })?;
    let addr = node_handle.rpc_addr();
    if let Some(path) = &args.addr_file {
        std::fs::write(path, addr.to_string())
            .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "{} ready: SPN {} ({}), {} at http://{addr}, following the mainnet at {}",
        env!("CARGO_PKG_NAME"),
        config.spn_id,
        config.consensus().name(),
        node.validator_name,
        config.mainnet_rpc
    );
    node_handle
        .run_until(spn_chain::shutdown_signal())
        .await
        .map_err(|e| eyre!(e))?;
    println!("{} stopped cleanly", node.validator_name);
    Ok(())
}
