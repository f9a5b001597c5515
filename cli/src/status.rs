//! Show where a chain is: `spn status`.

use crate::rpc::{call, quantity};
use eyre::Result;
use serde_json::json;

/// Prints chain id, head block, client version and sync state.
pub async fn run(url: &str, as_json: bool) -> Result<()> {
    let chain_id = quantity(&call(url, "eth_chainId", json!([])).await?)?;
    let head = call(url, "eth_getBlockByNumber", json!(["latest", false])).await?;
    let number = quantity(&head["number"])?;
    let timestamp = quantity(&head["timestamp"])?;
    let client = call(url, "web3_clientVersion", json!([])).await?;
    let syncing = call(url, "eth_syncing", json!([])).await?;
    let syncing = !matches!(syncing, serde_json::Value::Bool(false));
    if as_json {
        let out = json!({
            "rpc": url,
            "chain_id": chain_id,
            "head": { "number": number, "hash": head["hash"], "timestamp": timestamp },
            "client": client,
            "syncing": syncing,
        });
        println!("{out}");
    } else {
        println!("rpc        {url}");
        println!("chain id   {chain_id}");
        println!(
            "head       #{number} {}",
            head["hash"].as_str().unwrap_or("?")
        );
        println!("client     {}", client.as_str().unwrap_or("?"));
        println!("syncing    {syncing}");
    }
    Ok(())
}

/// `spn status` options.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Show this SPN as the mainnet (--rpc) sees it: status, epoch, validator set, the latest
    /// finalized checkpoint, messages queued for it and the Bridge's escrow.
    #[arg(long, value_name = "ID")]
    pub spn: Option<u32>,
    /// Show a forced-withdrawal request: its state, deadline and what can happen next.
    #[arg(long, value_name = "ID", conflicts_with = "spn")]
    pub request: Option<u64>,
}

const STATUS_NAMES: [&str; 5] = ["unregistered", "registered", "active", "frozen", "retired"];

/// Prints an SPN's record on the mainnet at `url`.
pub async fn run_spn(url: &str, spn_id: u32, as_json: bool) -> Result<()> {
    use pharos_contracts::{bridge::Bridge, mailbox::Mailbox, registry::Registry};
    use pharos_contracts::{BRIDGE, MAILBOX, NATIVE_TOKEN, REGISTRY};
    let mainnet = alloy::providers::ProviderBuilder::new()
        .connect_http(url.parse().map_err(|e| eyre::eyre!("--rpc {url}: {e}"))?);
    let registry = Registry::new(REGISTRY, &mainnet);
    let record = registry.spn(spn_id).call().await.map_err(|e| {
        eyre::eyre!(
            "cannot read SPN {spn_id} from the Registry at {url} ({e}); is --rpc a Pharos mainnet?"
        )
    })?;
    if record.status == 0 {
        return Err(eyre::eyre!(
            "SPN {spn_id} is not registered; register it with `spn register --config spn.toml`"
        ));
    }
    let status = STATUS_NAMES
        .get(usize::from(record.status))
        .copied()
        .unwrap_or("unknown");
    let checkpoint = registry.latestCheckpoint(spn_id).call().await?;
    let set = registry
        .epochSet(spn_id, record.currentEpoch)
        .call()
        .await?;
    let queued = Mailbox::new(MAILBOX, &mainnet)
        .queueLength(spn_id)
        .call()
        .await?;
    let escrow = Bridge::new(BRIDGE, &mainnet)
        .escrowed(spn_id, NATIVE_TOKEN)
        .call()
        .await?;
    let validators: Vec<_> = set
        .operators
        .iter()
        .zip(&set.keys)
        .zip(&set.stakes)
        .map(|((op, key), stake)| json!({ "operator": op, "key": key, "stake": stake.to_string() }))
        .collect();
    let consensus = ["solo", "poa", "bft"]
        .get(usize::from(record.consensus))
        .copied()
        .unwrap_or("unknown");
    let out = json!({
        "spn_id": spn_id,
        "name": record.name,
        "owner": record.owner,
        "status": status,
        "consensus": consensus,
        "epoch": record.currentEpoch,
        "epoch_started_at": record.epochStartedAt,
        "checkpoint_interval": record.params.checkpointInterval,
        "validators": validators,
        "total_stake": set.totalStake.to_string(),
        "finalized": { "height": checkpoint.height, "block_hash": checkpoint.blockHash, "state_root": checkpoint.stateRoot, "mainnet_block": checkpoint.mainnetBlock },
        "inbound_queued": queued.to_string(),
        "escrowed_native": escrow.to_string(),
    });
    if as_json {
        println!("{out}");
        return Ok(());
    }
    println!(
        "SPN {spn_id} \"{}\"  {status}  (owner {})",
        record.name, record.owner
    );
    println!(
        "epoch      {} ({} validators, total stake {} wei)",
        record.currentEpoch,
        set.keys.len(),
        set.totalStake
    );
    for v in &validators {
        println!(
            "  {} key {} stake {}",
            v["operator"].as_str().unwrap_or("?"),
            v["key"].as_str().unwrap_or("?"),
            v["stake"].as_str().unwrap_or("?")
        );
    }
    println!(
        "finalized  height {} (state root {}, mainnet block {})",
        checkpoint.height, checkpoint.stateRoot, checkpoint.mainnetBlock
    );
    println!("inbound    {queued} messages queued for it on the mainnet");
    println!("escrow     {escrow} wei of the native coin in the Bridge");
    Ok(())
}
