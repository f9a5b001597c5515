//! Follow one message through every hop — dispatched → checkpointed → relayed → archived →
//! delivered / failed — and, where it stopped, say why.

use crate::state::RelayerState;
use alloy::eips::BlockId;
use alloy::primitives::{Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use pharos_contracts::{
    adaptor::Adaptor, layout, mailbox::Mailbox, message::Message, registry::Registry,
    spn_mailbox::SpnMailbox, ADAPTOR, MAILBOX, REGISTRY, SPN_MAILBOX,
};
use serde::Serialize;

/// One hop of a message's way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// `dispatched`, `checkpointed`, `relayed`, `archived`, `delivered` or `failed`.
    pub step: String,
    /// `mainnet` or `SPN <id>`.
    pub chain: String,
    /// The block it happened in.
    pub block: Option<u64>,
    /// The transaction, if the hop was one (inbound deliveries are system calls).
    pub tx: Option<B256>,
    /// What happened.
    pub detail: String,
}

/// A message's way so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// The message id.
    pub id: B256,
    /// Origin domain, once found.
    pub origin: Option<u32>,
    /// Destination domain, once found.
    pub destination: Option<u32>,
    /// Hops, in order.
    pub hops: Vec<Hop>,
    /// Where and why it waits, unless it reached its end.
    pub stuck: Option<String>,
}

/// The chains a trace may read.
pub struct TraceSources<'a> {
    /// The mainnet.
    pub mainnet: &'a DynProvider,
    /// The mainnet's chain id (its Mailbox domain).
    pub mainnet_id: u32,
    /// SPN nodes, by SPN id.
    pub spns: &'a [(u32, DynProvider)],
    /// A relayer's saved state, for its failure reasons.
    pub relayer_state: Option<&'a RelayerState>,
}

fn hop(step: &str, chain: String, log: Option<&Log>, detail: String) -> Hop {
    Hop {
        step: step.into(),
        chain,
        block: log.and_then(|l| l.block_number),
        tx: log.and_then(|l| l.transaction_hash),
        detail,
    }
}

fn chain_name(id: u32, mainnet_id: u32) -> String {
    if id == mainnet_id {
        "mainnet".into()
    } else {
        format!("SPN {id}")
    }
}

/// Logs matching `filter` over the whole chain, chunked.
async fn all_logs(p: &DynProvider, filter: Filter) -> Result<Vec<Log>, String> {
    let head = p.get_block_number().await.map_err(|e| e.to_string())?;
    spn_chain::logs_between(p, &filter, 0, head).await
}

/// The message with id `id` among the `Dispatch` logs of `mailbox` in the block of `at`.
async fn dispatched_message(
    p: &DynProvider,
    mailbox: alloy::primitives::Address,
    at: &Log,
    id: B256,
) -> Result<Option<Bytes>, String> {
    let block = at.block_number.unwrap_or_default();
    let filter = Filter::new()
        .address(mailbox)
        .event_signature(SpnMailbox::Dispatch::SIGNATURE_HASH)
        .from_block(block)
        .to_block(block);
    let logs = p.get_logs(&filter).await.map_err(|e| e.to_string())?;
    Ok(logs.into_iter().find_map(|l| {
        let message = l
            .log_decode::<SpnMailbox::Dispatch>()
            .ok()?
            .inner
            .data
            .message
            .clone();
        (alloy::primitives::keccak256(&message) == id).then_some(message)
    }))
}

/// Traces message `id`.
pub async fn trace(src: &TraceSources<'_>, id: B256) -> Result<Trace, String> {
    let mut t = Trace {
        id,
        origin: None,
        destination: None,
        hops: Vec::new(),
        stuck: None,
    };
    // 1. Dispatched: on the mainnet or one of the SPNs given.
    let mut found: Option<(u32, Log, Bytes)> = None;
    let by_id = |addr| {
        Filter::new()
            .address(addr)
            .event_signature(SpnMailbox::DispatchId::SIGNATURE_HASH)
            .topic1(id)
    };
    for (spn_id, p) in src.spns {
        if let Some(log) = all_logs(p, by_id(SPN_MAILBOX)).await?.into_iter().next() {
            let message = dispatched_message(p, SPN_MAILBOX, &log, id).await?;
            found = message.map(|m| (*spn_id, log, m));
            break;
        }
    }
    if found.is_none() {
        if let Some(log) = all_logs(src.mainnet, by_id(MAILBOX))
            .await?
            .into_iter()
            .next()
        {
            let message = dispatched_message(src.mainnet, MAILBOX, &log, id).await?;
            found = message.map(|m| (src.mainnet_id, log, m));
        }
    }
    let Some((origin, dispatch_log, message)) = found else {
        t.stuck = Some(format!(
            "no Mailbox dispatched {id} on the mainnet or the SPNs given; pass the origin SPN's \
             RPC with --spn-rpc (or a relayer config with --config)"
        ));
        return Ok(t);
    };
    let decoded = Message::decode(&message).ok_or("the dispatched message is malformed")?;
    t.origin = Some(origin);
    t.destination = Some(decoded.destination);
    let dispatch_block = dispatch_log.block_number.unwrap_or_default();
    t.hops.push(hop(
        "dispatched",
        chain_name(origin, src.mainnet_id),
        Some(&dispatch_log),
        format!(
            "nonce {} from {} to {} on {}",
            decoded.nonce,
            decoded.sender,
            decoded.recipient,
            chain_name(decoded.destination, src.mainnet_id)
        ),
    ));

    // 2-3. An SPN's message is checkpointed, then relayed through the Adaptor.
    if origin != src.mainnet_id {
        let relayed = all_logs(
            src.mainnet,
            Filter::new()
                .address(ADAPTOR)
                .event_signature(Adaptor::MessageRelayed::SIGNATURE_HASH)
                .topic1(U256::from(origin))
                .topic2(id),
        )
        .await?;
        let accepted = all_logs(
            src.mainnet,
            Filter::new()
                .address(ADAPTOR)
                .event_signature(Adaptor::CheckpointAccepted::SIGNATURE_HASH)
                .topic1(U256::from(origin)),
        )
        .await?;
        let checkpoint = accepted.iter().find(|l| {
            l.log_decode::<Adaptor::CheckpointAccepted>()
                .is_ok_and(|e| e.inner.data.height >= dispatch_block)
        });
        match checkpoint {
            Some(l) => {
                let height = l
                    .log_decode::<Adaptor::CheckpointAccepted>()
                    .map_or(0, |e| e.inner.data.height);
                t.hops.push(hop(
                    "checkpointed",
                    "mainnet".into(),
                    Some(l),
                    format!("SPN {origin} checkpoint at height {height} finalized"),
                ));
            }
            None => {
                let latest = Registry::new(REGISTRY, src.mainnet)
                    .latestCheckpoint(origin)
                    .call()
                    .await
                    .map_or(0, |c| c.height);
                t.stuck = Some(format!(
                    "dispatched at SPN {origin} block {dispatch_block}, but the latest finalized \
                     checkpoint of SPN {origin} is at {latest}: waiting for a checkpoint at or \
                     above {dispatch_block} (validators sign it; a relayer submits it — is one \
                     running for SPN {origin}?)"
                ));
                return Ok(t);
            }
        }
        match relayed.first() {
            Some(l) => t.hops.push(hop(
                "relayed",
                "mainnet".into(),
                Some(l),
                "proof of the outbox slot accepted by the Adaptor".into(),
            )),
            None => {
                let why = src
                    .relayer_state
                    .and_then(|s| s.spns.get(&origin))
                    .and_then(|c| c.gave_up.get(&id).or_else(|| c.retry.get(&id)))
                    .map(|p| {
                        format!(
                            "; the relayer's last attempt ({} so far) failed: {}",
                            p.attempts, p.last_error
                        )
                    })
                    .unwrap_or_default();
                t.stuck = Some(format!(
                    "checkpointed but not relayed: is a relayer running for SPN {origin}?{why}"
                ));
                return Ok(t);
            }
        }
    }

    // 4. Archived in the mainnet Mailbox, delivered on the mainnet or queued for an SPN.
    let status = Mailbox::new(MAILBOX, src.mainnet)
        .status(id)
        .call()
        .await
        .map_err(|e| e.to_string())?;
    if decoded.destination == src.mainnet_id {
        return mainnet_delivery(src, t, status).await;
    }
    let queued = all_logs(
        src.mainnet,
        Filter::new()
            .address(MAILBOX)
            .event_signature(Mailbox::Queued::SIGNATURE_HASH)
            .topic1(U256::from(decoded.destination))
            .topic3(id),
    )
    .await?;
    let Some(q) = queued.first() else {
        t.stuck = Some(format!(
            "not archived in the mainnet Mailbox (status {status}); a relayer must relay it"
        ));
        return Ok(t);
    };
    let index = q
        .log_decode::<Mailbox::Queued>()
        .map_or(U256::ZERO, |e| e.inner.data.index);
    t.hops.push(hop(
        "archived",
        "mainnet".into(),
        Some(q),
        format!("queued for SPN {} at index {index}", decoded.destination),
    ));

    // 5. Delivered (or failed) on the destination SPN.
    let Some((_, dest)) = src.spns.iter().find(|(s, _)| *s == decoded.destination) else {
        t.stuck = Some(format!(
            "pass SPN {}'s RPC with --spn-rpc to see its delivery",
            decoded.destination
        ));
        return Ok(t);
    };
    spn_delivery(t, dest, decoded.destination, index, &message).await
}

async fn mainnet_delivery(
    src: &TraceSources<'_>,
    mut t: Trace,
    status: u8,
) -> Result<Trace, String> {
    let (event, step) = match status {
        2 => (Mailbox::ProcessId::SIGNATURE_HASH, "delivered"),
        3 => (Mailbox::DeliveryFailed::SIGNATURE_HASH, "failed"),
        _ => {
            t.stuck = Some(format!(
                "not archived in the mainnet Mailbox (status {status})"
            ));
            return Ok(t);
        }
    };
    let logs = all_logs(
        src.mainnet,
        Filter::new()
            .address(MAILBOX)
            .event_signature(event)
            .topic1(t.id),
    )
    .await?;
    let detail = if step == "delivered" {
        "handled by its mainnet recipient".to_string()
    } else {
        "its mainnet recipient reverted; anyone may retry with Mailbox.retry(message)".to_string()
    };
    t.hops
        .push(hop(step, "mainnet".into(), logs.last(), detail));
    if step == "failed" {
        t.stuck = Some("delivery failed on the mainnet; retry once the recipient is fixed".into());
    }
    Ok(t)
}

/// Delivery happens in a system call at the start of an SPN block, in queue order: the
/// block is the first whose SpnMailbox `inboundCount` exceeds the queue index (found by
/// bisection over the SpnMailbox's kept past states).
async fn spn_delivery(
    mut t: Trace,
    dest: &DynProvider,
    dest_id: u32,
    index: U256,
    message: &Bytes,
) -> Result<Trace, String> {
    let mailbox = SpnMailbox::new(SPN_MAILBOX, dest);
    let status = mailbox
        .status(t.id)
        .call()
        .await
        .map_err(|e| e.to_string())?;
    let count = mailbox
        .inboundCount()
        .call()
        .await
        .map_err(|e| e.to_string())?;
    if count <= index {
        t.stuck = Some(format!(
            "SPN {dest_id} has processed {count} inbound messages; this one is index {index}: \
             its block producer has not reached it yet (is the SPN node following the mainnet?)"
        ));
        return Ok(t);
    }
    let block = delivery_block(dest, index).await.ok();
    let (step, detail) = match status {
        1 => ("delivered", "handled by its recipient".to_string()),
        2 => {
            let retry = mailbox.retry(message.clone()).call().await;
            let now = match retry {
                Ok(_) => "a retry would succeed now".to_string(),
                Err(e) => format!("a retry would still fail: {e}"),
            };
            ("failed", format!("its recipient reverted; anyone may retry with SpnMailbox.retry(message) ({now})"))
        }
        3 => (
            "failed",
            "rejected: it can never be delivered (malformed, misaddressed or forbidden)"
                .to_string(),
        ),
        _ => ("failed", format!("unknown status {status}")),
    };
    t.hops.push(Hop {
        step: step.into(),
        chain: format!("SPN {dest_id}"),
        block,
        tx: None,
        detail,
    });
    if status == 2 {
        t.stuck = Some(format!(
            "delivery failed on SPN {dest_id}; retry once the recipient is fixed"
        ));
    }
    Ok(t)
}

async fn inbound_count_at(p: &DynProvider, block: u64) -> Result<U256, String> {
    let slot = alloy::primitives::B256::from(layout::SPN_MAILBOX_INBOUND_COUNT_SLOT);
    let proof = p
        .get_proof(SPN_MAILBOX, vec![slot])
        .block_id(BlockId::number(block))
        .await
        .map_err(|e| e.to_string())?;
    Ok(proof.storage_proof.first().map_or(U256::ZERO, |s| s.value))
}

async fn delivery_block(p: &DynProvider, index: U256) -> Result<u64, String> {
    let (mut lo, mut hi) = (0u64, p.get_block_number().await.map_err(|e| e.to_string())?);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if inbound_count_at(p, mid).await? > index {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}
