//! Read logs over a long block range in chunks the node accepts (its `eth_getLogs` range cap).

use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};

/// Blocks per `eth_getLogs` call (below the nodes' 10 000-block cap).
pub const LOG_CHUNK: u64 = 5_000;

/// Every log matching `filter` in blocks `from..=to`, in order.
pub async fn logs_between(
    provider: &DynProvider,
    filter: &Filter,
    from: u64,
    to: u64,
) -> Result<Vec<Log>, String> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = to.min(start.saturating_add(LOG_CHUNK - 1));
        let chunk = filter.clone().from_block(start).to_block(end);
        out.extend(
            provider
                .get_logs(&chunk)
                .await
                .map_err(|e| format!("eth_getLogs {start}..={end}: {e}"))?,
        );
        start = end + 1;
    }
    Ok(out)
}
