//! Follow a `bft` mainnet's Mailbox queue for this SPN trusting nothing but the mainnet's
//! chain spec: every height is checked final by its certificate ([`MainnetFinality`]), the
//! queue's length and ids are proven by `eth_getProof` against that block's state root
//! ([`pharos_mainnet::mailbox_proof`]), and each message served is checked by its hash. A
//! mainnet node that lies (a forged header or certificate, a shorter queue, another message)
//! is refused and nothing it served is used; the follower retries, and blocks wait.

use crate::inbound::{InboundFeed, PAGE};
use crate::mainnet_finality::{FinalityError, MainnetFinality};
use alloy::providers::{DynProvider, Provider};
use pharos_contracts::{mailbox::Mailbox, MAILBOX};
use pharos_mainnet::mailbox_proof::{prove_queue, slots, ProvenQueue};
use spn_primitives::{Header, U256};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, info, warn};

/// Named heights proven per poll, before the head.
const WANTED_PER_POLL: usize = 16;

/// Poll the mainnet every `interval` through `mainnet` (a light client of it, reading from
/// `rpc`) and keep `feed` (made by [`InboundFeed::proving`]) filled with the messages its
/// Mailbox queued for `spn_id`, as proven at certified blocks. Runs until the task is
/// dropped; errors are logged and retried.
pub async fn follow_final_mainnet(
    feed: Arc<InboundFeed>,
    mut mainnet: MainnetFinality,
    rpc: String,
    spn_id: u32,
    interval: Duration,
) {
    info!(%rpc, "following the mainnet as a light client: inbound messages only from certified blocks, by storage proofs");
    let provider = mainnet.provider().clone();
    let mut chain_checked = false;
    let mut last_error = String::new();
    loop {
        // The node's chain id once; everything after is checked by proofs.
        let polled = if chain_checked {
            poll_once(&feed, &mut mainnet, &provider, spn_id).await
        } else {
            let checked = mainnet.check_chain_id().await;
            chain_checked = checked.is_ok();
            checked.map(|()| 0)
        };
        match polled {
            Ok(fetched) => {
                if !last_error.is_empty() {
                    info!(%rpc, "mainnet answers with proofs again");
                    last_error.clear();
                }
                if fetched > 0 {
                    debug!(fetched, "inbound messages fetched and proven");
                    continue;
                }
            }
            Err(e) => {
                let e = match e {
                    FinalityError::Refused(e) => {
                        format!("refused what the mainnet node served: {e}")
                    }
                    FinalityError::Unreachable(e) => e,
                };
                if e != last_error {
                    warn!(%rpc, error = %e, "cannot prove the mainnet Mailbox queue; retrying");
                    last_error = e;
                } else {
                    debug!(%rpc, error = %e, "cannot prove the mainnet Mailbox queue; retrying");
                }
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// Proves the heights blocks named, then the queue at the mainnet head, and fetches the
/// missing messages checking each against its proven id. Returns how many it added.
async fn poll_once(
    feed: &InboundFeed,
    mainnet: &mut MainnetFinality,
    provider: &DynProvider,
    spn_id: u32,
) -> Result<usize, FinalityError> {
    let head = provider
        .get_block_number()
        .await
        .map_err(|e| FinalityError::Unreachable(format!("eth_blockNumber: {e}")))?;
    for named in feed.wanted(WANTED_PER_POLL) {
        if named > head {
            break;
        }
        let (_, header) = mainnet.final_header(named, |_, _| {}).await?;
        let queue = queue_at(mainnet, &header, spn_id, 0, 0).await?;
        feed.record_proven(named, queue.length);
    }
    if head == 0 {
        return Ok(0);
    }
    let (_, header) = mainnet.final_header(head, |_, _| {}).await?;
    let length = queue_at(mainnet, &header, spn_id, 0, 0).await?.length;
    let from = feed.next_fetch();
    let mut fetched = 0;
    if from < length {
        let to = length.min(from + PAGE);
        let queue = queue_at(mainnet, &header, spn_id, from, to).await?;
        // Queued messages never change: any node's copy is checked by its proven id.
        let messages = Mailbox::new(MAILBOX, provider)
            .messagesFor(spn_id, U256::from(from), U256::from(to - from))
            .call()
            .await
            .map_err(|e| FinalityError::Unreachable(format!("Mailbox.messagesFor: {e}")))?;
        for (i, message) in messages.iter().enumerate() {
            queue
                .check_message(from + i as u64, message)
                .map_err(|e| FinalityError::Refused(e.to_string()))?;
        }
        fetched = messages.len();
        feed.add(from, messages);
    }
    feed.record_proven(head, length);
    if feed.next_fetch() >= length {
        // Everything queued up to `head` is here: blocks may name it.
        feed.set_mainnet_block(head);
    }
    Ok(fetched)
}

/// The queue proven at the certified `header`, with the ids of elements `from..to`.
async fn queue_at(
    mainnet: &MainnetFinality,
    header: &Header,
    spn_id: u32,
    from: u64,
    to: u64,
) -> Result<ProvenQueue, FinalityError> {
    let proof = mainnet
        .account_proof(MAILBOX, slots::queue(spn_id, from, to), header.number)
        .await?;
    prove_queue(header, spn_id, from, to, &proof).map_err(|e| FinalityError::Refused(e.to_string()))
}
