//! `pharos-bench`: measure transfer throughput of the Pharos SPN node.
//!
//! - `pharos-bench block`: the block producer in-process (recovery, pool, execution, state
//!   root, commit), phase by phase, no RPC.
//! - `pharos-bench rpc`: a real `pharos-node` child process fed over HTTP JSON-RPC, timed
//!   from the first submission until every transfer is in a committed block.
//! - `pharos-bench bft`: `bft` validators in one process on loopback, offered load against
//!   throughput and time to finality.
//! - `pharos-bench relay`: cross-SPN message latency and throughput on running chains.
//!
//! See `docs/performance.md` for the method and the measured numbers.

#[path = "../bench/mod.rs"]
mod bench;

use clap::{Parser, Subcommand};

/// Throughput benchmarks of the Pharos SPN node.
#[derive(Debug, Parser)]
#[command(
    name = "pharos-bench",
    about = "Measure Pharos SPN transfer throughput"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Build and commit blocks in-process and time each phase (no RPC).
    Block(bench::block::BlockArgs),
    /// Submit transfers to a pharos-node over JSON-RPC and time until all are committed.
    Rpc(bench::rpc::RpcArgs),
    /// Throughput and time to finality of `bft` validators on loopback, by offered rate and
    /// by how many proposers carry the load.
    Bft(bench::bft::BftArgs),
    /// Time cross-SPN messages, dispatch to handle, on running chains (scripts/bench-relay.sh).
    Relay(bench::relay::RelayArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Cmd::Block(args) => bench::block::run(args),
        Cmd::Rpc(args) => bench::rpc::run(args),
        Cmd::Relay(args) => bench::relay::run(args),
        Cmd::Bft(args) => bench::bft::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The whole cause chain on one line, without a backtrace: this is a CLI.
            eprintln!("pharos-bench: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
