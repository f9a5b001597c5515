//! The SPN's additions to the engine: inbound messages as system calls before each block.

use crate::inbound::{InboundFeed, MAX_MESSAGES_PER_BLOCK};
use alloy_sol_types::SolCall;
use pharos_contracts::{layout, spn_mailbox::SpnMailbox, SPN_MAILBOX};
use spn_execution::{BlockInput, ChainExtensions, SystemCall};
use spn_primitives::{StateView, U256};
use std::sync::Arc;
use tracing::warn;

/// Delivers what the mainnet Mailbox queued for this SPN, in queue order, at the start of
/// each block: first `setMainnetBlock(h)`, then `deliverInbound(i, message)` from the SPN
/// Mailbox's next inbound index on. The SPN Mailbox refuses any other order.
pub struct SpnExtensions {
    feed: Arc<InboundFeed>,
}

impl SpnExtensions {
    /// Extensions reading from `feed`.
    pub fn new(feed: Arc<InboundFeed>) -> Self {
        Self { feed }
    }
}

impl ChainExtensions for SpnExtensions {
    fn pre_block_calls(&self, _block: &BlockInput, state: &dyn StateView) -> Vec<SystemCall> {
        let read = |slot: U256| match state.storage(&SPN_MAILBOX, &slot) {
            Ok(v) => Some(v),
            Err(e) => {
                warn!(%e, "cannot read the SPN Mailbox; no inbound messages this block");
                None
            }
        };
        let (Some(count), Some(word0)) = (
            read(layout::SPN_MAILBOX_INBOUND_COUNT_SLOT),
            read(layout::SPN_MAILBOX_MAINNET_BLOCK_SLOT),
        ) else {
            return Vec::new();
        };
        let next = count.saturating_to::<u64>();
        let recorded = layout::spn_mailbox_mainnet_block(word0);
        let (mainnet_block, messages) = self.feed.take_from(next, MAX_MESSAGES_PER_BLOCK);
        let mut calls = Vec::with_capacity(messages.len() + 1);
        if mainnet_block > recorded {
            calls.push(SystemCall {
                target: SPN_MAILBOX,
                data: SpnMailbox::setMainnetBlockCall {
                    number: mainnet_block,
                }
                .abi_encode()
                .into(),
                required: true,
            });
        }
        for (index, message) in messages {
            calls.push(SystemCall {
                target: SPN_MAILBOX,
                data: SpnMailbox::deliverInboundCall {
                    queueIndex: U256::from(index),
                    message,
                }
                .abi_encode()
                .into(),
                required: true,
            });
        }
        calls
    }
}
