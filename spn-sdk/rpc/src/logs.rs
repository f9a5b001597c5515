//! Answer `eth_getLogs` within the configured range and result limits.

use crate::block_tag::tag_number;
use crate::convert::found_log;
use crate::error::{internal, invalid_params, limit_exceeded, server_error, RpcResult};
use crate::handler::Handler;
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, FilterBlockOption, Log};
use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use spn_storage::LogQuery;

/// The log part of the `eth` namespace.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthLogsApi {
    /// Logs matching an address/topic filter over a block range or one block hash.
    #[method(name = "getLogs")]
    async fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>>;
}

/// A log filter's address and topic conditions, without a block range.
pub(crate) fn log_conditions(filter: &Filter) -> LogQuery {
    let mut topics: Vec<Vec<_>> = filter
        .topics
        .iter()
        .map(|t| t.iter().copied().collect())
        .collect();
    while topics.last().is_some_and(Vec::is_empty) {
        topics.pop();
    }
    LogQuery {
        from: 0,
        to: 0,
        addresses: filter.address.iter().copied().collect(),
        topics,
    }
}

/// Resolves a range filter's bounds against the head: missing bounds mean `latest`, the
/// requested width is capped, and `to` is clamped to the head. `None` when the range starts
/// above the head (nothing to scan yet).
pub(crate) fn resolve_range(
    from: Option<BlockNumberOrTag>,
    to: Option<BlockNumberOrTag>,
    head: u64,
    max_blocks: u64,
) -> RpcResult<Option<(u64, u64)>> {
    let from = tag_number(from.unwrap_or_default(), head);
    let to = tag_number(to.unwrap_or_default(), head);
    if from > head {
        // Pollers ask for `lastSeen + 1 ..= latest` before the next block exists.
        return Ok(None);
    }
    if from > to {
        return Err(invalid_params(format!(
            "invalid block range params: fromBlock {from} is after toBlock {to}"
        )));
    }
    // The requested range is capped, not what is left of it below the head, so a query that
    // is too wide fails the same way before and after the chain grows into it.
    let span = (to - from).saturating_add(1);
    if span > max_blocks {
        return Err(limit_exceeded(format!(
            "block range too large: {span} blocks requested, maximum is {max_blocks}"
        )));
    }
    let to = to.min(head);
    Ok(Some((from, to)))
}

impl Handler {
    fn find_logs(&self, filter: &Filter) -> RpcResult<Vec<Log>> {
        let (from, to) = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => match self.number_by_hash(&hash)? {
                Some(n) => (n, n),
                None => return Err(server_error(format!("unknown block {hash}"))),
            },
            FilterBlockOption::Range {
                from_block,
                to_block,
            } => {
                let head = self.head()?;
                let max = self.config.max_log_range_blocks;
                match resolve_range(from_block, to_block, head, max)? {
                    Some(range) => range,
                    None => return Ok(Vec::new()),
                }
            }
        };
        let query = LogQuery {
            from,
            to,
            ..log_conditions(filter)
        };
        let found = self.store().logs(&query).map_err(internal)?;
        let max = self.config.max_logs;
        if found.len() > max {
            return Err(limit_exceeded(format!(
                "query returned more than {max} results; narrow the block range or filter"
            )));
        }
        Ok(found.into_iter().map(found_log).collect())
    }
}

#[async_trait]
impl EthLogsApiServer for Handler {
    async fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        self.blocking(move |h| h.find_logs(&filter)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::{Address, LogData, B256};

    fn filter(json: &str) -> Filter {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn parses_addresses_and_topics() {
        let f = filter(
            r#"{"address":["0x1111111111111111111111111111111111111111"],
                "topics":[null,["0x0000000000000000000000000000000000000000000000000000000000000001",
                               "0x0000000000000000000000000000000000000000000000000000000000000002"],null]}"#,
        );
        let q = log_conditions(&f);
        assert_eq!(q.addresses, vec![Address::repeat_byte(0x11)]);
        assert_eq!(q.topics.len(), 2);
        assert!(q.topics[0].is_empty());
        assert_eq!(q.topics[1].len(), 2);

        let log = |topics: Vec<B256>| spn_primitives::Log {
            address: Address::repeat_byte(0x11),
            data: LogData::new_unchecked(topics, Default::default()),
        };
        let one = B256::with_last_byte(1);
        let three = B256::with_last_byte(3);
        assert!(q.matches(&log(vec![three, one])));
        assert!(!q.matches(&log(vec![one, three])));
        assert!(!q.matches(&log(vec![one])));
    }

    #[test]
    fn an_empty_filter_matches_everything() {
        let q = log_conditions(&filter("{}"));
        assert!(q.addresses.is_empty());
        assert!(q.topics.is_empty());
        let single = log_conditions(&filter(
            r#"{"address":"0x2222222222222222222222222222222222222222"}"#,
        ));
        assert_eq!(single.addresses, vec![Address::repeat_byte(0x22)]);
    }

    #[test]
    fn ranges_default_to_latest_and_clamp_to_head() {
        use BlockNumberOrTag::*;
        assert_eq!(resolve_range(None, None, 50, 10).unwrap(), Some((50, 50)));
        assert_eq!(
            resolve_range(Some(Earliest), Some(Number(5)), 50, 10).unwrap(),
            Some((0, 5))
        );
        assert_eq!(
            resolve_range(Some(Number(45)), Some(Number(54)), 50, 10).unwrap(),
            Some((45, 50))
        );
        assert_eq!(
            resolve_range(Some(Number(60)), Some(Number(70)), 50, 10).unwrap(),
            None
        );
        assert_eq!(
            resolve_range(Some(Number(51)), Some(Latest), 50, 10).unwrap(),
            None
        );
        assert_eq!(
            resolve_range(Some(Number(41)), Some(Pending), 50, 10).unwrap(),
            Some((41, 50))
        );
    }

    #[test]
    fn ranges_too_wide_or_reversed_are_errors() {
        use BlockNumberOrTag::*;
        let wide = resolve_range(Some(Number(40)), None, 50, 10).unwrap_err();
        assert_eq!(wide.code(), -32005);
        // Too wide as requested even though the chain is still short.
        let ahead = resolve_range(Some(Number(0)), Some(Number(200_000)), 3, 10_000);
        assert!(ahead.unwrap_err().message().contains("range"));
        let reversed = resolve_range(Some(Number(9)), Some(Number(3)), 50, 10).unwrap_err();
        assert_eq!(reversed.code(), -32602);
        assert!(resolve_range(Some(Latest), Some(Earliest), 50, 100).is_err());
    }

    #[test]
    fn block_hash_and_range_are_exclusive() {
        let bad = serde_json::from_str::<Filter>(
            r#"{"blockHash":"0x0000000000000000000000000000000000000000000000000000000000000001","fromBlock":"0x1"}"#,
        );
        assert!(bad.is_err());
    }
}
