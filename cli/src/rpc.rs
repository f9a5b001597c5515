//! Call a JSON-RPC endpoint and turn failures into errors that say what to do next.

use eyre::{eyre, Result};
use serde_json::{json, Value};

/// Calls `method` with `params` on `url` and returns the `result`.
pub async fn call(url: &str, method: &str, params: Value) -> Result<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| {
            eyre!(
                "cannot reach {url} ({e}); is a node running there? Start one with \
                 `./scripts/devnet.sh` or pass --rpc URL"
            )
        })?;
    let value: Value = response
        .json()
        .await
        .map_err(|e| eyre!("{url} did not answer with JSON-RPC ({e}); check the --rpc URL"))?;
    if let Some(err) = value.get("error") {
        return Err(eyre!("{method} failed: {err}"));
    }
    value
        .get("result")
        .cloned()
        .ok_or_else(|| eyre!("{method}: response without a result: {value}"))
}

/// Parses a 0x-hex quantity.
pub fn quantity(v: &Value) -> Result<u64> {
    let s = v
        .as_str()
        .ok_or_else(|| eyre!("expected a hex quantity, got {v}"))?;
    u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| eyre!("bad quantity {s}: {e}"))
}
