//! The `spn` command line: operate SPNs and the Pharos mainnet from a terminal.

mod amount;
mod bridge;
mod devnet;
mod exit;
mod forced;
mod node;
mod register;
mod relayer;
mod restake;
mod revert;
mod rpc;
mod send;
mod status;
mod trace;
mod wallet;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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
    /// Private key (secp256k1, hex) of the account that sends transactions.
    #[arg(
        long,
        global = true,
        env = "SPN_PRIVATE_KEY",
        hide_env_values = true,
        value_name = "0xKEY"
    )]
    private_key: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// The flags every command shares.
#[derive(Debug)]
pub struct Globals {
    /// `--rpc`.
    pub rpc: String,
    /// True if `--rpc` or `SPN_RPC` was given (not the default).
    pub rpc_given: bool,
    /// `--json`.
    pub json: bool,
    /// `--private-key`.
    pub private_key: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show a chain's id, head block, client and sync state; with --spn, an SPN's record on the
    /// mainnet.
    Status(status::StatusArgs),
    /// Run an SPN node.
    #[command(subcommand)]
    Node(node::NodeCommand),
    /// Register an SPN on the mainnet from its config file.
    Register(register::RegisterArgs),
    /// Stake, register an operator key and restake LST to an SPN; activate it when it can.
    Restake(restake::RestakeArgs),
    /// Unstake LST from an SPN, or withdraw it after the unbonding delay.
    Unstake(restake::UnstakeArgs),
    /// Dispatch a message from the chain at --rpc (mainnet or SPN Mailbox).
    Send(send::SendArgs),
    /// Deposit native coin or an ERC-20 on the mainnet Bridge to an account on an SPN.
    Deposit(bridge::DepositArgs),
    /// Withdraw bridged assets from an SPN (--rpc) to the mainnet; with --force, ask the
    /// mainnet (--rpc) to make a censoring or dead SPN pay, and watch the deadline.
    Withdraw(bridge::WithdrawArgs),
    /// Freeze an SPN that left a forced withdrawal unproven past its deadline (anyone may).
    Freeze(forced::FreezeArgs),
    /// Take your balance out of a frozen SPN, proven at its last finalized checkpoint.
    Exit(exit::ExitArgs),
    /// Run a relayer: SPN checkpoints and messages to the mainnet.
    #[command(subcommand)]
    Relayer(relayer::RelayerCommand),
    /// Local dev chain tools: `spn devnet warp 1d` moves the dev mainnet's clock forward.
    #[command(subcommand)]
    Devnet(devnet::DevnetCommand),
    /// Show every hop of a cross-network message (--rpc is the mainnet), and why it waits.
    Trace(trace::TraceArgs),
}

fn main() {
    let matches = Cli::command().get_matches();
    let rpc_given = matches
        .value_source("rpc")
        .is_some_and(|source| source != ValueSource::DefaultValue);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let globals = Globals {
        rpc: cli.rpc,
        rpc_given,
        json: cli.json,
        private_key: cli.private_key,
    };
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
            Command::Status(args) => match (args.spn, args.request) {
                (_, Some(id)) => forced::status(&globals.rpc, id, globals.json).await,
                (Some(id), None) => status::run_spn(&globals.rpc, id, globals.json).await,
                (None, None) => status::run(&globals.rpc, globals.json).await,
            },
            Command::Node(command) => {
                init_logging();
                node::run(command).await
            }
            Command::Register(args) => register::run(args, &globals).await,
            Command::Restake(args) => restake::restake(args, &globals).await,
            Command::Unstake(args) => restake::unstake(args, &globals).await,
            Command::Send(args) => send::run(args, &globals).await,
            Command::Deposit(args) => bridge::deposit(args, &globals).await,
            Command::Withdraw(args) if args.force => forced::request(args, &globals).await,
            Command::Withdraw(args) => bridge::withdraw(args, &globals).await,
            Command::Freeze(args) => forced::freeze(args, &globals).await,
            Command::Exit(args) => exit::run(args, &globals).await,
            Command::Relayer(command) => {
                init_logging();
                relayer::run(command, globals.private_key.clone()).await
            }
            Command::Devnet(command) => devnet::run(command, &globals.rpc, globals.json).await,
            Command::Trace(args) => {
                let mainnet = globals.rpc_given.then(|| globals.rpc.clone());
                trace::run(args, mainnet, globals.json).await
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
