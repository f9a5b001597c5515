//! The `spn` command line: operate SPNs and the Pharos mainnet from a terminal.

mod amount;
mod bridge;
mod dev_restake;
mod devnet;
mod exit;
mod forced;
mod new;
mod node;
mod prompt;
mod reference;
mod register;
mod relayer;
mod restake;
mod revert;
mod rpc;
mod send;
mod settings;
mod status;
mod template;
mod trace;
mod verify;
mod wallet;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
pub use settings::Globals;
use std::path::PathBuf;

/// Operate Specialized Processing Networks and the Pharos mainnet.
///
/// Global flags go before or after the command. Each is read from the flag, else its
/// environment variable, else the settings file (--settings), else its default.
#[derive(Debug, Parser)]
#[command(name = "spn", version, about)]
struct Cli {
    /// JSON-RPC endpoint of the chain to talk to.
    #[arg(
        long,
        global = true,
        env = "SPN_RPC",
        default_value = settings::DEFAULT_RPC,
        value_name = "URL"
    )]
    rpc: String,
    /// Print the result as one JSON object on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Private key (secp256k1, hex) of the account that sends transactions.
    #[arg(
        long,
        visible_alias = "key",
        global = true,
        env = "SPN_PRIVATE_KEY",
        hide_env_values = true,
        value_name = "0xKEY"
    )]
    private_key: Option<String>,
    /// The sending account's key in an encrypted JSON keystore (Ethereum V3, as `cast wallet
    /// import` or geth write it), instead of --private-key.
    #[arg(long, global = true, env = "SPN_KEYSTORE", value_name = "FILE")]
    keystore: Option<PathBuf>,
    /// A file holding the keystore's password (else SPN_KEYSTORE_PASSWORD, else asked on the
    /// terminal).
    #[arg(
        long,
        global = true,
        env = "SPN_KEYSTORE_PASSWORD_FILE",
        value_name = "FILE"
    )]
    password_file: Option<PathBuf>,
    /// spn's settings file (TOML: rpc, private_key or keystore, password_file, json);
    /// default ~/.config/spn/settings.toml when it exists.
    #[arg(long, global = true, env = "SPN_SETTINGS", value_name = "FILE")]
    settings: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scaffold a new SPN project from a template: its node (a Cargo project on the SDK),
    /// validators, an example app that sends and receives messages, tests and a README.
    New(new::NewArgs),
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
    /// Run a local network: a dev mainnet, two example SPNs and a relayer, until Ctrl-C
    /// (resumed from --datadir); `spn devnet warp 1d` moves the dev mainnet's clock forward.
    Devnet(devnet::DevnetArgs),
    /// Show every hop of a cross-network message (--rpc is the mainnet), and why it waits.
    Trace(trace::TraceArgs),
    /// Check that a mainnet block is final without trusting the node (--rpc): follow the
    /// validator sets from the chain spec's genesis by Staking proofs, then check the block's
    /// finality certificate.
    Verify(verify::VerifyArgs),
    /// Print a shell completion script: `spn completions bash > ~/.local/share/bash-completion/completions/spn`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the CLI reference (docs/cli-reference.md) as Markdown.
    #[command(hide = true)]
    CliReference,
}

fn main() {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match &cli.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "spn", &mut script);
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
            return;
        }
        Command::CliReference => {
            print!("{}", reference::markdown(&Cli::command()));
            return;
        }
        _ => {}
    }
    let globals = match Globals::resolve(&matches) {
        Ok(globals) => globals,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
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
            Command::New(args) => new::run(args, &globals),
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
                relayer::run(command, &globals).await
            }
            Command::Devnet(args) => devnet::run(args, &globals.rpc, globals.json).await,
            Command::Trace(args) => {
                let mainnet = globals.rpc_given.then(|| globals.rpc.clone());
                trace::run(args, mainnet, globals.json).await
            }
            Command::Verify(args) => verify::run(args, &globals.rpc, globals.json).await,
            Command::Completions { .. } | Command::CliReference => Ok(()),
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
