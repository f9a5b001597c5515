//! `spn devnet`: a whole local network from one command — a dev mainnet, two example SPNs and
//! a relayer on 127.0.0.1, dev accounts funded everywhere, the SPNs registered and
//! restaked — kept in a data directory that the next start resumes; and `spn devnet warp`,
//! which moves the dev mainnet's clock to rehearse deadlines.

mod layout;
mod start;
mod supervisor;
mod warp;

use clap::{Args, Subcommand};
use eyre::Result;
use std::path::PathBuf;
pub use warp::parse_duration;

/// `spn devnet [start]` options, and its subcommands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DevnetArgs {
    #[command(subcommand)]
    command: Option<DevnetCommand>,
    #[command(flatten)]
    start: StartArgs,
}

/// `spn devnet` subcommands.
#[derive(Debug, Subcommand)]
enum DevnetCommand {
    /// Start the devnet (what plain `spn devnet` does) until Ctrl-C.
    Start(StartArgs),
    /// Move the dev mainnet's (--rpc) clock forward and mine a block at the new time.
    Warp(warp::WarpArgs),
}

/// `spn devnet start` options.
#[derive(Debug, Clone, Args)]
pub struct StartArgs {
    /// Where the devnet keeps its chains, configs and logs; an existing one is resumed.
    #[arg(long, value_name = "DIR", default_value = "devnet")]
    pub datadir: PathBuf,
    /// The mainnet's JSON-RPC port on 127.0.0.1 (0 picks a free one).
    #[arg(long, value_name = "PORT", default_value_t = 8545)]
    pub port: u16,
    /// The first example SPN's JSON-RPC port; the second uses the next (0 picks free ones).
    #[arg(long, value_name = "PORT", default_value_t = 9545)]
    pub spn_port: u16,
    /// Run the mainnet as this many `bft` validators (`pharos-node testnet`): JSON-RPC on
    /// --port and the next ports, the validator network 100 ports above. 1: one dev node
    /// that makes blocks on demand and can warp time.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub validators: u16,
}

/// Runs `spn devnet …`; `rpc` is the global `--rpc` (the mainnet `warp` talks to).
pub async fn run(args: DevnetArgs, rpc: &str, json: bool) -> Result<()> {
    match args.command {
        None => start::run(args.start, json).await,
        Some(DevnetCommand::Start(start)) => start::run(start, json).await,
        Some(DevnetCommand::Warp(warp)) => warp::warp(rpc, warp.duration, json).await,
    }
}
