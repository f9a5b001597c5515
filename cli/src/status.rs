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
