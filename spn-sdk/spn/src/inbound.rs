//! Follow the mainnet Mailbox's queue for this SPN at final mainnet heights.
//!
//! The follower fetches, at mainnet height `h` (its head minus `confirmations`), every message
//! queued for this SPN that it does not have yet, then records `h` with the queue's length
//! there. A block names such a height and applies the messages from the SPN Mailbox's next
//! inbound index on, in queue order (see [`crate::Derivation`]). A node importing a block
//! that names a height it did not record asks for it ([`InboundFeed::want`]): the follower
//! reads the queue length at that height once it is final here.

use alloy::eips::BlockId;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
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
const PAGE: u64 = 128;

#[derive(Debug, Default)]
struct FeedState {
    /// The mainnet height the fetched messages are final at.
    mainnet_block: u64,
    /// Queue index → message, contiguous from the lowest key.
    messages: BTreeMap<u64, Bytes>,
    /// The next queue index to fetch.
    next_fetch: u64,
    /// Final mainnet height → the queue's length for this SPN there.
    lengths: BTreeMap<u64, u64>,
    /// Heights whose queue length an imported block needs.
    wanted: BTreeSet<u64>,
}

/// Queue lengths remembered (the newest heights are kept).
const MAX_LENGTHS: usize = 4_096;

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

    /// The mainnet height and up to `max` messages from queue index `next` on, in order.
    /// Forgets messages below `next` (delivered already).
    pub fn take_from(&self, next: u64, max: usize) -> (u64, Vec<(u64, Bytes)>) {
        let mut s = self.state.lock();
        s.messages = s.messages.split_off(&next);
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

    /// Skip to queue index `next` (where the SPN Mailbox is), forgetting what is below it.
    pub fn resume_at(&self, next: u64) {
        self.take_from(next, 0);
    }

    /// The newest final mainnet height fetched completely, with the queue length there.
    pub fn latest(&self) -> Option<(u64, u64)> {
        let s = self.state.lock();
        s.lengths
            .get(&s.mainnet_block)
            .map(|len| (s.mainnet_block, *len))
    }

    /// The queue length at mainnet height `block`, if known (0 at the genesis block).
    pub fn queue_length_at(&self, block: u64) -> Option<u64> {
        if block == 0 {
            return Some(0);
        }
        self.state.lock().lengths.get(&block).copied()
    }

    /// Ask the follower to read the queue length at `block` (once it is final here).
    pub fn want(&self, block: u64) {
        let mut s = self.state.lock();
        if s.wanted.len() < 64 {
            s.wanted.insert(block);
        }
    }

    /// Exactly the `count` messages from queue index `next` on, if all are fetched.
    pub fn messages(&self, next: u64, count: u32) -> Option<Vec<(u64, Bytes)>> {
        let (_, out) = self.take_from(next, count as usize);
        (out.len() == count as usize).then_some(out)
    }

    fn record_length(&self, block: u64, length: u64) {
        let mut s = self.state.lock();
        s.lengths.insert(block, length);
        s.wanted.remove(&block);
        while s.lengths.len() > MAX_LENGTHS {
            s.lengths.pop_first();
        }
    }

    fn wanted_up_to(&self, final_block: u64) -> Vec<u64> {
        self.state
            .lock()
            .wanted
            .range(..=final_block)
            .copied()
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn add_for_test(&self, messages: Vec<Bytes>) {
        let from = self.next_fetch();
        self.add(from, messages);
    }

    #[cfg(test)]
    pub(crate) fn record_length_for_test(&self, block: u64, length: u64) {
        self.record_length(block, length);
        self.set_mainnet_block(block);
    }

    #[cfg(test)]
    pub(crate) fn wanted_for_test(&self) -> Vec<u64> {
        self.wanted_up_to(u64::MAX)
    }

    /// Messages fetched and not yet delivered.
    pub fn pending(&self) -> usize {
        self.state.lock().messages.len()
    }

    fn next_fetch(&self) -> u64 {
        self.state.lock().next_fetch
    }

    fn add(&self, from: u64, messages: Vec<Bytes>) {
        let mut s = self.state.lock();
        if from != s.next_fetch {
            return; // raced with a delivery that moved the cursor; refetch next round
        }
        for (i, m) in messages.into_iter().enumerate() {
            s.messages.insert(from + i as u64, m);
        }
        s.next_fetch = from + s.messages.range(from..).count() as u64;
    }

    fn set_mainnet_block(&self, block: u64) {
        let mut s = self.state.lock();
        s.mainnet_block = s.mainnet_block.max(block);
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
            Ok(fetched) => {
                if !last_error.is_empty() {
                    info!(%rpc, "mainnet reachable again");
                    last_error.clear();
                }
                if fetched > 0 {
                    debug!(fetched, "inbound messages fetched from the mainnet");
                    continue;
                }
            }
            Err(e) => {
                if e != last_error {
                    warn!(%rpc, error = %e, "cannot read the mainnet Mailbox; retrying");
                    last_error = e;
                }
            }
        }
        tokio::time::sleep(interval).await;
    }
}

async fn poll_once(
    feed: &InboundFeed,
    provider: &DynProvider,
    spn_id: u32,
    confirmations: u64,
) -> Result<usize, String> {
    let head = provider
        .get_block_number()
        .await
        .map_err(|e| e.to_string())?;
    let at = head.saturating_sub(confirmations);
    let mailbox = Mailbox::new(MAILBOX, provider);
    let block = BlockId::number(at);
    let length: U256 = mailbox
        .queueLength(spn_id)
        .block(block)
        .call()
        .await
        .map_err(|e| e.to_string())?;
    let length = length.saturating_to::<u64>();
    let from = feed.next_fetch();
    for wanted in feed.wanted_up_to(at) {
        let length: U256 = mailbox
            .queueLength(spn_id)
            .block(BlockId::number(wanted))
            .call()
            .await
            .map_err(|e| e.to_string())?;
        feed.record_length(wanted, length.saturating_to());
    }
    if from >= length {
        feed.record_length(at, length);
        feed.set_mainnet_block(at);
        return Ok(0);
    }
    let count = (length - from).min(PAGE);
    let messages = mailbox
        .messagesFor(spn_id, U256::from(from), U256::from(count))
        .block(block)
        .call()
        .await
        .map_err(|e| e.to_string())?;
    let fetched = messages.len();
    feed.add(from, messages);
    if from + fetched as u64 >= length {
        // Everything queued up to `at` is here: blocks may name `at`.
        feed.record_length(at, length);
        feed.set_mainnet_block(at);
    }
    Ok(fetched)
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
    fn remembers_queue_lengths_and_serves_exact_message_ranges() {
        let feed = InboundFeed::starting_at(0);
        assert_eq!(feed.latest(), None);
        assert_eq!(feed.queue_length_at(0), Some(0));
        feed.add(0, vec![msg(0), msg(1)]);
        feed.record_length(7, 2);
        feed.set_mainnet_block(7);
        assert_eq!(feed.latest(), Some((7, 2)));
        feed.want(5);
        feed.want(9);
        assert_eq!(feed.wanted_up_to(7), vec![5]);
        feed.record_length(5, 1);
        assert_eq!(feed.wanted_up_to(9), vec![9]);
        assert_eq!(feed.messages(0, 2).unwrap().len(), 2);
        assert_eq!(
            feed.messages(1, 2),
            None,
            "only one message from index 1 on"
        );
    }

    #[test]
    fn mainnet_block_never_goes_back() {
        let feed = InboundFeed::starting_at(0);
        feed.set_mainnet_block(9);
        feed.set_mainnet_block(4);
        assert_eq!(feed.take_from(0, 1).0, 9);
    }
}
