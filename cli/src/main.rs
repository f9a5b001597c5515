//! The `spn` command line: operate SPNs and the Pharos mainnet from a terminal.

mod node;
mod rpc;
mod status;

use clap::{Parser, Subcommand};

/// Operate Specialized Processing Networks and the Pharos mainnet.
#[derive(Debug, Parser)]
#[command(name = "spn", version, about)]
struct Cli {
    /// JSON-RPC endpoint of the chain to talk to.
    #[arg(
        long,
        global = true,
        env = "SPN_RPC",
        default_value = "http://127.0.0.1:8545"
    )]
    rpc: String,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show a chain's id, head block, client and sync state.
    Status,
    /// Run an SPN node.
    #[command(subcommand)]
    Node(node::NodeCommand),
}

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Status => status::run(&cli.rpc, cli.json).await,
            Command::Node(command) => {
                init_logging();
                node::run(command).await
            }
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
