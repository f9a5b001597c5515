//! Time warp on a dev chain, with the method names Hardhat and Anvil use:
//! `evm_increaseTime(seconds)` moves the chain's clock forward (returns the total offset) and
//! `evm_mine()` commits a block now, even an empty one, so the new time is on chain.

use crate::backend::NodeInner;
use spn_consensus::Event;
use spn_rpc::{ErrorObjectOwned, Methods, RpcModule};
use std::sync::Arc;
use std::time::Duration;

/// Longest `evm_mine` waits for its block.
const MINE_TIMEOUT: Duration = Duration::from_secs(30);

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32602, message.into(), None::<()>)
}

/// Reads a count of seconds given as a JSON number or a hex / decimal string.
pub(crate) fn parse_seconds(value: &serde_json::Value) -> Result<u64, String> {
    let parsed = match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        },
        _ => None,
    };
    parsed.ok_or_else(|| {
        format!("seconds must be a non-negative integer (number or 0x hex), got {value}")
    })
}

pub(crate) fn methods(inner: Arc<NodeInner>) -> Result<Methods, String> {
    let mut module = RpcModule::new(inner);
    module
        .register_method("evm_increaseTime", |params, node, _| {
            let value: serde_json::Value = params
                .sequence()
                .next()
                .map_err(|_| invalid("evm_increaseTime takes one parameter: seconds"))?;
            let seconds = parse_seconds(&value).map_err(invalid)?;
            let total = node.clock.warp(seconds);
            tracing::info!(seconds, total, "time warped forward");
            Ok::<u64, ErrorObjectOwned>(total)
        })
        .map_err(|e| e.to_string())?;
    module
        .register_async_method("evm_mine", |_, node, _| async move {
            let mut blocks = node.blocks.subscribe();
            let head = node.head.read().header.number;
            if node.events.send(Event::MineRequested).is_err() {
                return Err(ErrorObjectOwned::owned(
                    -32000,
                    "the block producer is not running",
                    None::<()>,
                ));
            }
            let wait = async {
                loop {
                    match blocks.recv().await {
                        Ok(b) if b.block.number() > head => return Ok(()),
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(e) => return Err(e.to_string()),
                    }
                }
            };
            match tokio::time::timeout(MINE_TIMEOUT, wait).await {
                Ok(Ok(())) => Ok("0x0"),
                Ok(Err(e)) => Err(ErrorObjectOwned::owned(-32000, e, None::<()>)),
                Err(_) => Err(ErrorObjectOwned::owned(
                    -32000,
                    "no block was committed within 30 s; check the node's log",
                    None::<()>,
                )),
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(module.into())
}

#[cfg(test)]
mod tests {
    use super::parse_seconds;
    use serde_json::json;

    #[test]
    fn seconds_parse_from_numbers_and_strings_and_refuse_the_rest() {
        assert_eq!(parse_seconds(&json!(86_400)), Ok(86_400));
        assert_eq!(parse_seconds(&json!("0x3c")), Ok(60));
        assert_eq!(parse_seconds(&json!("90")), Ok(90));
        for bad in [
            json!(-1),
            json!(1.5),
            json!("soon"),
            json!(null),
            json!([1]),
        ] {
            assert!(parse_seconds(&bad).is_err(), "{bad}");
        }
    }
}
