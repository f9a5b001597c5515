//! `spn trace <message-id>`: every hop of a cross-network message, and why it waits.

use alloy::primitives::B256;
use alloy::providers::Provider;
use clap::Args;
use eyre::{bail, eyre, Result, WrapErr};
use spn_relayer::{connect, trace, RelayerConfig, RelayerState, TraceSources};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// `spn trace` options.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The message id (0x…, 32 bytes): `spn send` prints it.
    pub id: B256,
    /// An SPN node's RPC (origin or destination); repeat for several SPNs.
    #[arg(long = "spn-rpc")]
    pub spn_rpc: Vec<String>,
    /// A relayer config: its mainnet, its SPNs and its saved failure reasons.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Wait up to this long (`90s`, `5m`) for the message to be delivered or to fail at its
    /// destination, saying on stderr what it waits for.
    #[arg(long, value_name = "DURATION", value_parser = crate::devnet::parse_duration)]
    pub wait: Option<u64>,
}

/// Run the command; `mainnet_rpc` is `--rpc` if the user gave it.
pub async fn run(args: TraceArgs, mainnet_rpc: Option<String>, json: bool) -> Result<()> {
    let mut mainnet_url = mainnet_rpc.unwrap_or_else(|| "http://127.0.0.1:8545".into());
    let mut urls = args.spn_rpc.clone();
    let mut relayer_state_file = None;
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("cannot read the relayer config {}", path.display()))?;
        let config = RelayerConfig::from_toml(&text).map_err(|e| eyre!(e))?;
        mainnet_url = config.mainnet_rpc.clone();
        urls.extend(config.spns.iter().map(|s| s.rpc.clone()));
        relayer_state_file = Some(config.state_file);
    }
    let mainnet = connect(&mainnet_url).map_err(|e| eyre!(e))?;
    let mainnet_id = mainnet.get_chain_id().await.wrap_err_with(|| {
        format!("cannot reach the mainnet at {mainnet_url}; pass its RPC with --rpc")
    })?;
    let mut spns = Vec::new();
    for url in urls {
        let p = connect(&url).map_err(|e| eyre!(e))?;
        let id = p
            .get_chain_id()
            .await
            .wrap_err_with(|| format!("cannot reach the SPN node at {url}"))?;
        spns.push((id as u32, p));
    }
    eprintln!("tracing {} ...", args.id);
    let started = Instant::now();
    let mut told = None;
    let t = loop {
        // The relayer's saved reasons change while it works: read them every round.
        let state = relayer_state_file
            .as_ref()
            .map(|file| RelayerState::load(file).map_err(|e| eyre!(e)))
            .transpose()?;
        let sources = TraceSources {
            mainnet: &mainnet,
            mainnet_id: mainnet_id as u32,
            spns: &spns,
            relayer_state: state.as_ref(),
        };
        let t = trace(&sources, args.id).await.map_err(|e| eyre!(e))?;
        let Some(limit) = args.wait else { break t };
        let ended = t.hops.last().is_some_and(|h| h.step == "failed");
        let Some(why) = t.stuck.clone().filter(|_| !ended) else {
            break t;
        };
        if started.elapsed() >= Duration::from_secs(limit) {
            bail!(
                "message {} still waits after {limit} s: {why}; `spn trace {}` shows its hops",
                args.id,
                args.id
            );
        }
        if told.as_ref() != Some(&why) {
            eprintln!("waiting: {why}");
            told = Some(why);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&t)?);
        return Ok(());
    }
    let route = match (t.origin, t.destination) {
        (Some(o), Some(d)) => format!(": {} → {}", name(o, mainnet_id), name(d, mainnet_id)),
        _ => String::new(),
    };
    println!("message {}{route}", t.id);
    for h in &t.hops {
        let block = h.block.map(|b| format!("block {b}")).unwrap_or_default();
        let tx = h.tx.map(|x| format!("tx {x}")).unwrap_or_default();
        let mark = if h.step == "failed" { "✗" } else { "✓" };
        println!(
            "  {mark} {:<12} {:<10} {:<12} {tx}\n      {}",
            h.step, h.chain, block, h.detail
        );
    }
    match &t.stuck {
        Some(why) => println!("  … waiting: {why}"),
        None => println!("  done"),
    }
    Ok(())
}

fn name(id: u32, mainnet_id: u64) -> String {
    if u64::from(id) == mainnet_id {
        "mainnet".into()
    } else {
        format!("SPN {id}")
    }
}
