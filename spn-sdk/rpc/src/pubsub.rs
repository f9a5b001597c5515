//! Push new heads and matching logs to WebSocket subscribers as blocks are committed.

use crate::convert::{rpc_header, rpc_log};
use crate::error::invalid_params;
use crate::handler::Handler;
use crate::logs::log_conditions;
use alloy_rpc_types_eth::pubsub::{Params, SubscriptionKind};
use alloy_rpc_types_eth::{FilterBlockOption, Log};
use jsonrpsee::core::{async_trait, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::{PendingSubscriptionSink, SubscriptionMessage, SubscriptionSink};
use serde::Serialize;
use spn_primitives::{CommittedBlock, B256};
use spn_storage::LogQuery;
use tokio::sync::broadcast::error::RecvError;

/// The subscription part of the `eth` namespace (WebSocket only).
#[rpc(server, namespace = "eth")]
pub(crate) trait EthPubSubApi {
    /// `eth_subscribe("newHeads")` or `eth_subscribe("logs", filter?)`; notifications arrive as
    /// `eth_subscription`, and `eth_unsubscribe` ends them.
    #[subscription(
        name = "subscribe" => "subscription",
        unsubscribe = "unsubscribe",
        item = serde_json::Value
    )]
    async fn subscribe(&self, kind: SubscriptionKind, params: Option<Params>)
        -> SubscriptionResult;
}

/// What a subscription delivers.
#[derive(Debug, Clone)]
pub(crate) enum Feed {
    /// Every new header.
    Heads,
    /// Logs matching these conditions (the block range is ignored).
    Logs(LogQuery),
}

/// Checks a subscription request and says what it delivers.
pub(crate) fn feed(kind: SubscriptionKind, params: Option<Params>) -> Result<Feed, String> {
    match (kind, params.unwrap_or_default()) {
        (SubscriptionKind::NewHeads, Params::None) => Ok(Feed::Heads),
        (SubscriptionKind::NewHeads, _) => Err("newHeads takes no parameters".into()),
        (SubscriptionKind::Logs, Params::None) => Ok(Feed::Logs(LogQuery::default())),
        (SubscriptionKind::Logs, Params::Logs(filter)) => {
            if let FilterBlockOption::AtBlockHash(_) = filter.block_option {
                return Err("a logs subscription cannot filter by blockHash".into());
            }
            Ok(Feed::Logs(log_conditions(&filter)))
        }
        (SubscriptionKind::Logs, _) => Err("logs takes a filter object".into()),
        (other, _) => Err(format!("unsupported subscription: {other}")),
    }
}

/// The logs of a committed block that match `query`, in block order.
pub(crate) fn block_logs(committed: &CommittedBlock, query: &LogQuery) -> Vec<Log> {
    let block = &committed.block;
    let mut out = Vec::new();
    let mut log_index = 0u64;
    for (tx_index, (receipt, tx)) in committed
        .receipts
        .iter()
        .zip(&block.transactions)
        .enumerate()
    {
        for log in &receipt.logs {
            if query.matches(log) {
                out.push(rpc_log(
                    log.clone(),
                    &block.header,
                    block.hash,
                    tx.hash,
                    tx_index as u64,
                    log_index,
                ));
            }
            log_index += 1;
        }
    }
    // System calls' logs, as `eth_getLogs` serves them: no transaction, after the rest.
    let tx_index = block.transactions.len() as u64;
    for log in &committed.system_logs {
        if query.matches(log) {
            out.push(rpc_log(
                log.clone(),
                &block.header,
                block.hash,
                B256::ZERO,
                tx_index,
                log_index,
            ));
        }
        log_index += 1;
    }
    out
}

/// Sends one item; `false` once the subscriber is gone.
async fn send(sink: &SubscriptionSink, item: &impl Serialize) -> bool {
    match serde_json::value::to_raw_value(item) {
        Ok(raw) => sink.send(SubscriptionMessage::from(raw)).await.is_ok(),
        Err(error) => {
            tracing::error!(%error, "cannot serialize a subscription item");
            true
        }
    }
}

/// Delivers one committed block's items; `false` once the subscriber is gone.
async fn deliver(sink: &SubscriptionSink, feed: &Feed, committed: &CommittedBlock) -> bool {
    match feed {
        Feed::Heads => {
            let block = &committed.block;
            send(sink, &rpc_header(&block.header, block.hash, None)).await
        }
        Feed::Logs(query) => {
            for log in block_logs(committed, query) {
                if !send(sink, &log).await {
                    return false;
                }
            }
            true
        }
    }
}

#[async_trait]
impl EthPubSubApiServer for Handler {
    async fn subscribe(
        &self,
        pending: PendingSubscriptionSink,
        kind: SubscriptionKind,
        params: Option<Params>,
    ) -> SubscriptionResult {
        let feed = match feed(kind, params) {
            Ok(feed) => feed,
            Err(message) => {
                pending.reject(invalid_params(message)).await;
                return Ok(());
            }
        };
        // Subscribe before accepting so that no block committed in between is missed.
        let mut blocks = self.backend.subscribe_blocks();
        let sink = match pending.accept().await {
            Ok(sink) => sink,
            Err(_) => return Ok(()),
        };
        loop {
            tokio::select! {
                _ = sink.closed() => break,
                received = blocks.recv() => match received {
                    Ok(committed) => {
                        if !deliver(&sink, &feed, &committed).await {
                            break;
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "subscriber fell behind; skipping blocks");
                    }
                    Err(RecvError::Closed) => break,
                },
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_rpc_types_eth::Filter;
    use spn_primitives::{Address, Header, LogData, RecoveredTx, SealedBlock, StoredReceipt, B256};

    #[test]
    fn subscription_requests_are_checked() {
        assert!(matches!(
            feed(SubscriptionKind::NewHeads, None),
            Ok(Feed::Heads)
        ));
        assert!(matches!(
            feed(SubscriptionKind::Logs, None),
            Ok(Feed::Logs(_))
        ));
        let by_hash = Filter::new().at_block_hash(B256::ZERO);
        assert!(feed(
            SubscriptionKind::Logs,
            Some(Params::Logs(Box::new(by_hash)))
        )
        .is_err());
        assert!(feed(SubscriptionKind::NewHeads, Some(Params::Bool(true))).is_err());
        assert!(feed(SubscriptionKind::NewPendingTransactions, None).is_err());
        let parsed: Params =
            serde_json::from_str(r#"{"address":"0x1111111111111111111111111111111111111111"}"#)
                .unwrap();
        match feed(SubscriptionKind::Logs, Some(parsed)) {
            Ok(Feed::Logs(q)) => assert_eq!(q.addresses, vec![Address::repeat_byte(0x11)]),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn block_logs_keep_block_wide_indexes() {
        let header = Header {
            number: 3,
            ..Default::default()
        };
        let log = |a: u8| spn_primitives::Log {
            address: Address::repeat_byte(a),
            data: LogData::new_unchecked(Vec::new(), Default::default()),
        };
        // Two empty-bodied transactions are enough: only their hashes are used.
        let tx = |n: u64| {
            let signed = spn_primitives::TxLegacy {
                nonce: n,
                ..Default::default()
            };
            use spn_primitives::consensus::SignableTransaction;
            let sig = spn_primitives::primitives::Signature::new(
                spn_primitives::U256::from(1),
                spn_primitives::U256::from(1),
                false,
            );
            RecoveredTx::from_trusted(signed.into_signed(sig).into(), Address::ZERO)
        };
        let receipt = |logs| StoredReceipt {
            tx_type: 0,
            success: true,
            cumulative_gas_used: 0,
            gas_used: 0,
            logs,
            contract_address: None,
        };
        let committed = CommittedBlock {
            block: SealedBlock::new(header, vec![tx(0), tx(1)]),
            receipts: vec![receipt(vec![log(1), log(2)]), receipt(vec![log(2)])],
            system_logs: vec![log(2)],
        };
        let query = LogQuery {
            addresses: vec![Address::repeat_byte(2)],
            ..Default::default()
        };
        let logs = block_logs(&committed, &query);
        assert_eq!(logs.len(), 3);
        assert_eq!(logs[0].log_index, Some(1));
        assert_eq!(logs[0].transaction_index, Some(0));
        assert_eq!(logs[1].log_index, Some(2));
        assert_eq!(logs[1].transaction_index, Some(1));
        // A system call's log: no transaction, after the transactions' logs.
        assert_eq!(logs[2].log_index, Some(3));
        assert_eq!(logs[2].transaction_index, Some(2));
        assert_eq!(logs[2].transaction_hash, Some(B256::ZERO));
        assert_eq!(logs[1].block_number, Some(3));
        assert_eq!(block_logs(&committed, &LogQuery::default()).len(), 4);
    }
}
