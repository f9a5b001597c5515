//! Follow the mainnet Mailbox's queue for this SPN at final mainnet heights.
//!
//! The follower fetches, at mainnet height `h` (its head minus `confirmations`), every message
//! queued for this SPN that it does not have yet, with the mainnet block each was queued in
//! (the Mailbox's `Queued` logs), then records `h`. A block names such a height and applies
//! the messages from the SPN Mailbox's next inbound index on, in queue order (see
//! [`crate::Derivation`]). A node importing a block that names another height `M` computes
//! the queue length there from the logs: the length at its own `h` minus the messages queued
//! in `(M, h]` — mainnet nodes serve only the latest state, so it is never read at `M`.

use crate::logs::logs_between;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use parking_lot::Mutex;
use pharos_contracts::{mailbox::Mailbox, MAILBOX};
use spn_primitives::{Bytes, U256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, info, warn};

/// The most inbound messages one SPN block delivers.
pub const MAX_MESSAGES_PER_BLOCK: usize = 256;

/// Messages fetched per mainnet call.
pub(crate) const PAGE: u64 = 128;

#[derive(Debug, Default)]
struct FeedState {
    /// The mainnet height the fetched messages are final at.
    mainnet_block: u64,
    /// Queue index → message, contiguous from the lowest key.
    messages: BTreeMap<u64, Bytes>,
    /// The next queue index to fetch.
    next_fetch: u64,
    /// The newest height read and the queue's length there.
    anchor: Option<(u64, u64)>,
    /// Every `Queued` log for this SPN after `scan_from` up to the anchor: index → block,
    /// forgotten once delivered.
    queued_at: BTreeMap<u64, u64>,
    /// The mainnet height the log scan started after (the one the SPN last named).
    scan_from: u64,
    /// Queue lengths proven at certified mainnet heights, when the feed takes nothing on
    /// trust ([`InboundFeed::proving`]); `None` when lengths come from the logs.
    proven: Option<BTreeMap<u64, u64>>,
    /// Heights blocks named that this node has not proven yet: the follower proves them next.
    wanted: BTreeSet<u64>,
}

/// The most proven heights a feed remembers (older ones are proven again if named).
const PROVEN_KEPT: usize = 4_096;

/// The inbound messages fetched from the mainnet and not yet delivered.
#[derive(Debug, Default)]
pub struct InboundFeed {
    state: Mutex<FeedState>,
}

impl InboundFeed {
    /// A feed that fetches from queue index `next` on (the SPN Mailbox's inbound count).
    pub fn starting_at(next: u64) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(FeedState {
                next_fetch: next,
                ..Default::default()
            }),
        })
    }

    /// A feed that trusts its mainnet node for nothing: queue lengths only as proven at
    /// certified mainnet heights ([`crate::follow_final_mainnet`]), messages only as their
    /// proven ids.
    pub fn proving(next: u64) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(FeedState {
                next_fetch: next,
                proven: Some(BTreeMap::new()),
                ..Default::default()
            }),
        })
    }

    /// Whether lengths must be proven ([`InboundFeed::proving`]).
    #[cfg(test)]
    fn is_proving(&self) -> bool {
        self.state.lock().proven.is_some()
    }

    /// The mainnet height and up to `max` messages from queue index `next` on, in order.
    /// Forgets messages below `next` (delivered already).
    pub fn take_from(&self, next: u64, max: usize) -> (u64, Vec<(u64, Bytes)>) {
        let mut s = self.state.lock();
        s.messages = s.messages.split_off(&next);
        s.queued_at = s.queued_at.split_off(&next);
        if s.next_fetch < next {
            s.next_fetch = next;
        }
        let mut out = Vec::new();
        for (index, message) in s.messages.range(next..) {
            if *index != next + out.len() as u64 || out.len() >= max {
                break;
            }
            out.push((*index, message.clone()));
        }
        (s.mainnet_block, out)
    }

    /// Skip to queue index `next` and mainnet height `named` (where the SPN Mailbox is),
    /// forgetting what is below them: every message from `next` on that was queued by
    /// `named` counts as queued by then.
    pub fn resume_at(&self, next: u64, named: u64) {
        self.take_from(next, 0);
        let mut s = self.state.lock();
        if s.anchor.is_none() {
            s.scan_from = named;
        }
    }

    /// The newest final mainnet height fetched completely, with the queue length there.
    pub fn latest(&self) -> Option<(u64, u64)> {
        let s = self.state.lock();
        Self::length_in(&s, s.mainnet_block).map(|length| (s.mainnet_block, length))
    }

    /// The queue length at mainnet height `block`, if this node has seen it final (0 at the
    /// genesis block); `None` after the newest height read or before the log scan.
    pub fn queue_length_at(&self, block: u64) -> Option<u64> {
        if block == 0 {
            return Some(0);
        }
        let mut s = self.state.lock();
        let length = Self::length_in(&s, block);
        if length.is_none() && s.proven.is_some() {
            s.wanted.insert(block);
        }
        length
    }

    fn length_in(s: &FeedState, block: u64) -> Option<u64> {
        if let Some(proven) = &s.proven {
            return proven.get(&block).copied();
        }
        let (anchor, length) = s.anchor?;
        if block > anchor || block < s.scan_from {
            return None;
        }
        let later = s.queued_at.values().filter(|b| **b > block).count() as u64;
        Some(length.saturating_sub(later))
    }

    /// Exactly the `count` messages from queue index `next` on, if all are fetched.
    pub fn messages(&self, next: u64, count: u32) -> Option<Vec<(u64, Bytes)>> {
        let (_, out) = self.take_from(next, count as usize);
        (out.len() == count as usize).then_some(out)
    }

    /// Messages fetched and not yet delivered.
    pub fn pending(&self) -> usize {
        self.state.lock().messages.len()
    }

    pub(crate) fn next_fetch(&self) -> u64 {
        self.state.lock().next_fetch
    }

    /// Records the queue length proven at a certified mainnet height.
    pub(crate) fn record_proven(&self, block: u64, length: u64) {
        let mut s = self.state.lock();
        s.wanted.remove(&block);
        if let Some(proven) = &mut s.proven {
            proven.insert(block, length);
            while proven.len() > PROVEN_KEPT {
                proven.pop_first();
            }
        }
    }

    /// Up to `max` heights blocks named that are not proven yet, lowest first.
    pub(crate) fn wanted(&self, max: usize) -> Vec<u64> {
        self.state.lock().wanted.iter().take(max).copied().collect()
    }

    /// The height the log scan has covered.
    fn scanned_to(&self) -> u64 {
        let s = self.state.lock();
        s.anchor.map_or(s.scan_from, |(block, _)| block)
    }

    /// Records the `Queued` logs `(index, block)` up to `block` and the queue's length there.
    fn record_scan(&self, block: u64, length: u64, queued: Vec<(u64, u64)>) {
        let mut s = self.state.lock();
        if s.anchor.is_some_and(|(a, _)| a >= block) {
            return;
        }
        for (index, at) in queued {
            s.queued_at.insert(index, at);
        }
        s.anchor = Some((block, length));
    }

    pub(crate) fn add(&self, from: u64, messages: Vec<Bytes>) {
        let mut s = self.state.lock();
        if from != s.next_fetch {
            return; // raced with a delivery that moved the cursor; refetch next round
        }
        for (i, m) in messages.into_iter().enumerate() {
            s.messages.insert(from + i as u64, m);
        }
        s.next_fetch = from + s.messages.range(from..).count() as u64;
    }

    pub(crate) fn set_mainnet_block(&self, block: u64) {
        let mut s = self.state.lock();
        s.mainnet_block = s.mainnet_block.max(block);
    }

    #[cfg(test)]
    pub(crate) fn add_for_test(&self, messages: Vec<Bytes>) {
        let from = self.next_fetch();
        self.add(from, messages);
    }

    #[cfg(test)]
    pub(crate) fn record_scan_for_test(&self, block: u64, length: u64, queued: Vec<(u64, u64)>) {
        self.record_scan(block, length, queued);
        self.set_mainnet_block(block);
    }
}

/// Poll the mainnet at `rpc` every `interval` and keep `feed` filled with the messages its
/// Mailbox queued for `spn_id`. Runs until the task is dropped; errors are logged and retried.
pub async fn follow_mainnet(
    feed: Arc<InboundFeed>,
    rpc: String,
    spn_id: u32,
    confirmations: u64,
    interval: Duration,
) {
    let url = match rpc.parse() {
        Ok(url) => url,
        Err(e) => {
            warn!(%rpc, %e, "mainnet RPC URL does not parse; inbound messages stop");
            return;
        }
    };
    let provider = ProviderBuilder::new().connect_http(url).erased();
    let mut last_error = String::new();
    loop {
        match poll_once(&feed, &provider, spn_id, confirmations).await {
            Ok(polled) => {
                if !last_error.is_empty() {
                    info!(%rpc, "mainnet reachable again");
                    last_error.clear();
                }
                match polled {
                    Polled::Fetched(fetched) if fetched > 0 => {
                        debug!(fetched, "inbound messages fetched from the mainnet");
                        continue;
                    }
                    Polled::HeadMoved => continue,
                    Polled::Fetched(_) | Polled::Idle => {}
                }
            }
            Err(e) => {
                if e != last_error {
                    warn!(%rpc, error = %e, "cannot read the mainnet Mailbox; retrying");
                    last_error = e;
                } else {
                    debug!(%rpc, error = %e, "cannot read the mainnet Mailbox; retrying");
                }
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// What one poll of the mainnet did.
enum Polled {
    /// Messages fetched (more may wait: poll again at once).
    Fetched(usize),
    /// Up to date.
    Idle,
    /// The head moved while reading: read again at once.
    HeadMoved,
}

/// Reads the queue at the mainnet head (nodes serve the latest state only, so the reading is
/// kept only if the head did not move meanwhile), scans the `Queued` logs up to it, fetches
/// missing messages, and lets blocks name the head minus `confirmations` once every message
/// queued by then is here (the queue length there comes from the logs).
async fn poll_once(
    feed: &InboundFeed,
    provider: &DynProvider,
    spn_id: u32,
    confirmations: u64,
) -> Result<Polled, String> {
    let head_number = || async { provider.get_block_number().await.map_err(|e| e.to_string()) };
    let head = head_number().await?;
    let mailbox = Mailbox::new(MAILBOX, provider);
    let length: U256 = mailbox
        .queueLength(spn_id)
        .call()
        .await
        .map_err(|e| e.to_string())?;
    if head_number().await? != head {
        return Ok(Polled::HeadMoved);
    }
    let length = length.saturating_to::<u64>();
    let scanned = feed.scanned_to();
    if head > scanned {
        let queued = queued_logs(provider, spn_id, scanned + 1, head).await?;
        feed.record_scan(head, length, queued);
    }
    let named = head.saturating_sub(confirmations);
    let from = feed.next_fetch();
    let needed = feed.queue_length_at(named).unwrap_or(length);
    if from >= needed {
        feed.set_mainnet_block(named);
        return Ok(Polled::Idle);
    }
    // Queued messages never change, so reading them at a later head is the same.
    let count = (length - from).min(PAGE);
    let messages = mailbox
        .messagesFor(spn_id, U256::from(from), U256::from(count))
        .call()
        .await
        .map_err(|e| e.to_string())?;
    let fetched = messages.len();
    feed.add(from, messages);
    if from + fetched as u64 >= needed {
        // Everything queued up to `named` is here: blocks may name it.
        feed.set_mainnet_block(named);
    }
    Ok(Polled::Fetched(fetched))
}

/// (queue index, mainnet block) of every message queued for `spn_id` in blocks `from..=to`.
async fn queued_logs(
    provider: &DynProvider,
    spn_id: u32,
    from: u64,
    to: u64,
) -> Result<Vec<(u64, u64)>, String> {
    let filter = Filter::new()
        .address(MAILBOX)
        .event_signature(Mailbox::Queued::SIGNATURE_HASH)
        .topic1(U256::from(spn_id));
    let logs = logs_between(provider, &filter, from, to)
        .await
        .map_err(|e| format!("{e} on the mainnet"))?;
    let mut out = Vec::with_capacity(logs.len());
    for log in logs {
        let block = log
            .block_number
            .ok_or("a Queued log without a block number")?;
        let index = log
            .topics()
            .get(2)
            .ok_or("a Queued log without its index topic")?;
        out.push((U256::from_be_bytes(index.0).saturating_to::<u64>(), block));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(i: u8) -> Bytes {
        Bytes::from(vec![i])
    }

    #[test]
    fn takes_contiguous_messages_in_order_and_forgets_delivered_ones() {
        let feed = InboundFeed::starting_at(3);
        feed.add(3, vec![msg(3), msg(4), msg(5)]);
        feed.set_mainnet_block(10);
        assert_eq!(feed.take_from(3, 2), (10, vec![(3, msg(3)), (4, msg(4))]));
        assert_eq!(feed.take_from(5, 10), (10, vec![(5, msg(5))]));
        assert_eq!(feed.pending(), 1);
        assert_eq!(feed.take_from(6, 10), (10, vec![]));
        assert_eq!(feed.pending(), 0);
    }

    #[test]
    fn a_page_that_does_not_continue_the_cursor_is_dropped() {
        let feed = InboundFeed::starting_at(0);
        feed.add(5, vec![msg(5)]);
        assert_eq!(feed.take_from(0, 10).1, vec![]);
        feed.add(0, vec![msg(0)]);
        assert_eq!(feed.take_from(0, 10).1, vec![(0, msg(0))]);
        assert_eq!(feed.next_fetch(), 1);
    }

    #[test]
    fn queue_lengths_at_past_heights_come_from_the_queued_logs() {
        let feed = InboundFeed::starting_at(0);
        feed.resume_at(2, 3);
        assert_eq!(feed.latest(), None);
        assert_eq!(feed.queue_length_at(0), Some(0));
        assert_eq!(feed.queue_length_at(3), None, "nothing read yet");
        // Messages 0 and 1 are delivered; 2 was queued by block 3, 3 and 4 at block 6.
        feed.add(2, vec![msg(2), msg(3), msg(4)]);
        feed.record_scan(7, 5, vec![(3, 6), (4, 6)]);
        feed.set_mainnet_block(7);
        assert_eq!(feed.latest(), Some((7, 5)));
        assert_eq!(feed.queue_length_at(6), Some(5));
        assert_eq!(feed.queue_length_at(5), Some(3));
        assert_eq!(feed.queue_length_at(3), Some(3));
        assert_eq!(feed.queue_length_at(2), None, "before the scan");
        assert_eq!(feed.queue_length_at(8), None, "not final here yet");
        // Delivering message 3 forgets its log; heights the SPN may still name stay right.
        feed.take_from(4, 0);
        assert_eq!(feed.queue_length_at(6), Some(5));
        assert_eq!(feed.messages(4, 1).unwrap().len(), 1);
        assert_eq!(
            feed.messages(4, 2),
            None,
            "only one message from index 4 on"
        );
    }

    #[test]
    fn a_proving_feed_answers_only_proven_heights_and_asks_for_the_rest() {
        let feed = InboundFeed::proving(0);
        assert!(feed.is_proving());
        assert_eq!(feed.queue_length_at(0), Some(0), "genesis queues nothing");
        // Logs are not evidence here: a scan changes nothing.
        feed.record_scan(9, 4, vec![(0, 3), (1, 5)]);
        assert_eq!(feed.queue_length_at(7), None);
        assert_eq!(feed.queue_length_at(5), None);
        assert_eq!(
            feed.wanted(16),
            vec![5, 7],
            "named heights to prove, lowest first"
        );
        assert_eq!(feed.wanted(1), vec![5]);
        feed.record_proven(5, 2);
        assert_eq!(feed.queue_length_at(5), Some(2));
        assert_eq!(feed.wanted(16), vec![7]);
        // The newest proven height is offered once its messages are here.
        feed.record_proven(9, 2);
        assert_eq!(feed.latest(), None);
        feed.add(0, vec![msg(0), msg(1)]);
        feed.set_mainnet_block(9);
        assert_eq!(feed.latest(), Some((9, 2)));
        assert_eq!(feed.take_from(0, 10), (9, vec![(0, msg(0)), (1, msg(1))]));
        // Memory stays bounded: the oldest proofs are forgotten (and proven again if named).
        for h in 10..10 + PROVEN_KEPT as u64 {
            feed.record_proven(h, 2);
        }
        assert_eq!(feed.queue_length_at(5), None);
        assert_eq!(feed.queue_length_at(10), Some(2));
    }

    #[test]
    fn a_feed_trusting_logs_is_not_proving() {
        assert!(!InboundFeed::starting_at(0).is_proving());
    }

    #[test]
    fn mainnet_block_never_goes_back() {
        let feed = InboundFeed::starting_at(0);
        feed.set_mainnet_block(9);
        feed.set_mainnet_block(4);
        assert_eq!(feed.take_from(0, 1).0, 9);
    }
}
