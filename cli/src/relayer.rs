//! `spn relayer run`: carry checkpoints and messages of some SPNs to the mainnet.

use crate::Globals;
use alloy::signers::local::PrivateKeySigner;
use clap::{Args, Subcommand};
use eyre::{eyre, Result, WrapErr};
use spn_relayer::{Relayer, RelayerConfig};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// Run relayers.
#[derive(Debug, Subcommand)]
pub enum RelayerCommand {
    /// Relay the checkpoints and outbound messages of the SPNs in the config, until stopped.
    Run(RunArgs),
}

/// `spn relayer run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The relayer's config file (TOML: mainnet_rpc, state_file, [[spn]] spn_id and rpc, ...).
    #[arg(long)]
    pub config: PathBuf,
    /// Serve Prometheus metrics on this port (overrides `metrics_addr` in the config).
    #[arg(long = "metrics.port")]
    pub metrics_port: Option<u16>,
    /// Metrics listen address.
    #[arg(long = "metrics.addr", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub metrics_addr: IpAddr,
}

/// Run the command. The paying key: `--private-key`/`--keystore` (or their environment
/// variables), else the config's `private_key`, else `SPN_RELAYER_KEY`, else the settings
/// file's key.
pub async fn run(command: RelayerCommand, g: &Globals) -> Result<()> {
    let RelayerCommand::Run(args) = command;
    let text = std::fs::read_to_string(&args.config)
        .wrap_err_with(|| format!("cannot read the relayer config {}", args.config.display()))?;
    let mut config = RelayerConfig::from_toml(&text).map_err(|e| eyre!(e))?;
    if let Some(port) = args.metrics_port {
        config.metrics_addr = Some(SocketAddr::new(args.metrics_addr, port));
    }
    let given = if g.key_from_settings {
        None
    } else {
        g.key.secret_hex()?
    };
    let key = match (
        given,
        config.private_key,
        std::env::var("SPN_RELAYER_KEY").ok(),
    ) {
        (Some(k), _, _) => k,
        (None, Some(k), _) => k.to_string(),
        (None, None, Some(k)) => k,
        (None, None, None) => g.key.secret_hex()?.ok_or_else(|| {
            eyre!(
                "no key to pay for relays: set private_key in {}, SPN_RELAYER_KEY, or pass \
                 --private-key or --keystore",
                args.config.display()
            )
        })?,
    };
    let signer: PrivateKeySigner = key
        .trim()
        .parse()
        .map_err(|e| eyre!("the relayer key is not a secp256k1 secret key: {e}"))?;
    eprintln!("connecting to the mainnet at {} ...", config.mainnet_rpc);
    let metrics_addr = config.metrics_addr;
    let relayer = Relayer::new(config, signer).await.map_err(|e| eyre!(e))?;
    if let Some(addr) = metrics_addr {
        let metrics = relayer.metrics();
        let bound = spn_node::serve_metrics(addr, Arc::new(move || metrics.render()))
            .await
            .wrap_err_with(|| format!("cannot serve metrics on {addr}"))?;
        eprintln!("metrics on http://{bound}/metrics");
    }
    eprintln!(
        "relaying as {} (stop with Ctrl-C; the cursor is saved after every round)",
        relayer.address()
    );
    relayer
        .run_until(spn_node::shutdown_signal())
        .await
        .map_err(|e| eyre!(e))
}
