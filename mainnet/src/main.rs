//! The `pharos-node` binary.

use clap::Parser;

fn main() {
    let cli = pharos_mainnet::cli::Cli::parse();
    if let Err(e) = pharos_mainnet::cli::main_with_args(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
