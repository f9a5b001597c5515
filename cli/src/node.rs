//! `spn node run`: run an SPN node from its config file.

use clap::{Args, Subcommand};
use eyre::{eyre, Result, WrapErr};
use spn_chain::{SpnConfig, SpnNode, SpnNodeOptions};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Run SPN nodes.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Run an SPN node: its chain, following the mainnet for inbound messages.
    Run(RunArgs),
}

/// `spn node run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The SPN's config file (TOML: spn_id, name, mainnet_rpc, mainnet_chain_id, ...).
    #[arg(long)]
    pub config: PathBuf,
    /// Data directory; created and initialized on first run.
    #[arg(long)]
    pub datadir: PathBuf,
    /// JSON-RPC listen address.
    #[arg(long = "http.addr", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub http_addr: IpAddr,
    /// JSON-RPC port (0 picks a free one).
    #[arg(long = "http.port", default_value_t = 9545)]
    pub http_port: u16,
    /// Write the bound JSON-RPC address to this file once listening (for scripts and tests).
    #[arg(long = "http.addr-file")]
    pub addr_file: Option<PathBuf>,
    /// Serve Prometheus metrics on this port.
    #[arg(long = "metrics.port")]
    pub metrics_port: Option<u16>,
    /// Misbehave for escape-hatch rehearsals: never derive forced-withdrawal requests (nor
    /// anything queued after them). Only a `solo` SPN accepts its own such blocks.
    #[arg(long, hide = true)]
    pub censor_forced_withdrawals: bool,
}

/// Reads and validates an SPN config file, naming the file in every error.
pub fn load_config(path: &std::path::Path) -> Result<SpnConfig> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("cannot read SPN config {}", path.display()))?;
    SpnConfig::from_toml(&text)
        .wrap_err_with(|| format!("in {} (see docs/spn.md for the fields)", path.display()))
}

/// Run the command.
pub async fn run(command: NodeCommand) -> Result<()> {
    match command {
        NodeCommand::Run(args) => run_node(args).await,
    }
}

async fn run_node(args: RunArgs) -> Result<()> {
    let config = load_config(&args.config)?;
    let options = SpnNodeOptions {
        datadir: args.datadir.clone(),
        http_addr: SocketAddr::new(args.http_addr, args.http_port),
        metrics_addr: args
            .metrics_port
            .map(|p| SocketAddr::new(args.http_addr, p)),
        censor_forced_withdrawals: args.censor_forced_withdrawals,
    };
    let consensus = config.consensus();
    if consensus != spn_chain::SpnConsensus::Solo {
        println!(
            "starting {} validator of SPN {}: waiting for its validator set on the mainnet \
             Registry (register the SPN and restake if it has none)",
            consensus.name(),
            config.spn_id
        );
    }
    let node = SpnNode::launch(&config, options).await.map_err(|e| {
        eyre!(
            "cannot start SPN {}: {e} (is another node using {}?)",
            config.spn_id,
            args.datadir.display()
        )
    })?;
    let addr = node.rpc_addr();
    if let Some(path) = &args.addr_file {
        std::fs::write(path, addr.to_string()).wrap_err("cannot write --http.addr-file")?;
    }
    println!(
        "spn node ready: SPN {} ({}) at http://{addr}, following the mainnet at {}",
        config.spn_id, config.name, config.mainnet_rpc
    );
    if let Some(p2p) = node.p2p_addr() {
        println!(
            "validator network ({}) listening on {p2p}",
            consensus.name()
        );
    }
    node.run_until(spn_node::shutdown_signal())
        .await
        .map_err(|e| eyre!(e))?;
    println!("spn node stopped cleanly");
    Ok(())
}
