//! The SPN's additions to the engine: inbound messages as system calls before each block,
//! derived from the mainnet block the block names (see [`crate::Derivation`]).

use crate::derivation::Derivation;
use crate::inbound::{InboundFeed, MAX_MESSAGES_PER_BLOCK};
use alloy_sol_types::SolCall;
use pharos_contracts::message::Message;
use pharos_contracts::{layout, spn_mailbox::SpnMailbox, BRIDGE, SPN_BRIDGE, SPN_MAILBOX};
use spn_execution::{BlockInput, ChainExtensions, DerivationError, SystemCall};
use spn_primitives::{Bytes, StateView, U256};
use std::sync::Arc;

/// Delivers what the mainnet Mailbox queued for this SPN, in queue order, at the start of
/// each block: first `setMainnetBlock(M)` when the block names a newer mainnet block, then
/// `deliverInbound(i, message)` from the SPN Mailbox's next inbound index on. The SPN Mailbox
/// refuses any other order.
pub struct SpnExtensions {
    feed: Arc<InboundFeed>,
    censor_forced: bool,
}

impl SpnExtensions {
    /// Extensions reading from `feed`.
    pub fn new(feed: Arc<InboundFeed>) -> Self {
        Self {
            feed,
            censor_forced: false,
        }
    }

    /// A misbehaving sequencer, for rehearsing the escape hatch: it stops deriving inbound
    /// messages at the first forced-withdrawal request (and so everything queued after it),
    /// and accepts its own blocks that do so. Honest validators refuse such blocks; a `solo`
    /// SPN has no one to refuse them, which is what the mainnet's deadline is for.
    pub fn censoring_forced_withdrawals(mut self) -> Self {
        self.censor_forced = true;
        self
    }

    /// How many inbound messages the next block applies from index `next` when the named
    /// mainnet block queues `length`.
    fn required(&self, length: u64, next: u64) -> u32 {
        let required = Derivation::required_messages(length, next, MAX_MESSAGES_PER_BLOCK);
        if !self.censor_forced {
            return required;
        }
        let (_, messages) = self.feed.take_from(next, required as usize);
        messages
            .iter()
            .position(|(_, m)| is_forced_withdrawal(m))
            .map_or(required, |held| held as u32)
    }
}

/// A forced-withdrawal request from the mainnet Bridge to the SPN Bridge.
fn is_forced_withdrawal(message: &[u8]) -> bool {
    const KIND_FORCE: u8 = 3;
    Message::decode(message).is_some_and(|m| {
        m.sender == BRIDGE.into_word()
            && m.recipient == SPN_BRIDGE.into_word()
            && m.body.len() >= 32
            && m.body[..31].iter().all(|b| *b == 0)
            && m.body[31] == KIND_FORCE
    })
}

/// The SPN Mailbox's next inbound index and the mainnet block it last recorded.
fn mailbox_position(state: &dyn StateView) -> Result<(u64, u64), DerivationError> {
    let read = |slot: U256| {
        state
            .storage(&SPN_MAILBOX, &slot)
            .map_err(|e| DerivationError::NotReady(format!("cannot read the SPN Mailbox: {e}")))
    };
    let count = read(layout::SPN_MAILBOX_INBOUND_COUNT_SLOT)?;
    let word0 = read(layout::SPN_MAILBOX_MAINNET_BLOCK_SLOT)?;
    Ok((
        count.saturating_to::<u64>(),
        layout::spn_mailbox_mainnet_block(word0),
    ))
}

impl ChainExtensions for SpnExtensions {
    fn next_extra_data(&self, state: &dyn StateView) -> Bytes {
        let Ok((next, recorded)) = mailbox_position(state) else {
            return Bytes::new();
        };
        let (mainnet_block, length) = match self.feed.latest() {
            Some((block, length)) if block >= recorded => (block, Some(length)),
            // Just restarted: nothing newer than what the chain recorded is fetched yet.
            _ => (recorded, self.feed.queue_length_at(recorded)),
        };
        let Some(length) = length else {
            // Building waits (not ready) until the follower has read the mainnet.
            return Derivation {
                mainnet_block,
                messages: 0,
            }
            .encode();
        };
        Derivation {
            mainnet_block,
            messages: self.required(length, next),
        }
        .encode()
    }

    fn pre_block_calls(
        &self,
        block: &BlockInput,
        state: &dyn StateView,
    ) -> Result<Vec<SystemCall>, DerivationError> {
        let derivation = Derivation::decode(&block.extra_data).map_err(DerivationError::Invalid)?;
        let (next, recorded) = mailbox_position(state)?;
        let named = derivation.mainnet_block;
        if named < recorded {
            return Err(DerivationError::Invalid(format!(
                "block names mainnet block {named}, before the {recorded} its parent named"
            )));
        }
        let Some(length) = self.feed.queue_length_at(named) else {
            return Err(DerivationError::NotReady(format!(
                "mainnet block {named} is not final here yet (or its Mailbox queue is not read)"
            )));
        };
        let required = self.required(length, next);
        if derivation.messages != required {
            return Err(DerivationError::Invalid(format!(
                "block applies {} inbound messages; mainnet block {named} queues {length}, so \
                 from index {next} it must apply {required}",
                derivation.messages
            )));
        }
        let Some(messages) = self.feed.messages(next, required) else {
            return Err(DerivationError::NotReady(format!(
                "inbound messages {next}..{} are not fetched yet",
                next + u64::from(required)
            )));
        };
        let mut calls = Vec::with_capacity(messages.len() + 1);
        if named > recorded {
            calls.push(SystemCall {
                target: SPN_MAILBOX,
                data: SpnMailbox::setMainnetBlockCall { number: named }
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
        Ok(calls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::{AccountState, Address, StateError, B256};

    /// The two SPN Mailbox words the derivation reads.
    struct Mailbox {
        next: u64,
        recorded: u64,
    }

    impl StateView for Mailbox {
        fn account(&self, _: &Address) -> Result<Option<AccountState>, StateError> {
            Ok(None)
        }
        fn storage(&self, _: &Address, slot: &U256) -> Result<U256, StateError> {
            Ok(if *slot == layout::SPN_MAILBOX_INBOUND_COUNT_SLOT {
                U256::from(self.next)
            } else {
                U256::from(self.recorded) << 64usize
            })
        }
        fn code(&self, _: &B256) -> Result<Option<Bytes>, StateError> {
            Ok(None)
        }
        fn block_hash(&self, _: u64) -> Result<Option<B256>, StateError> {
            Ok(None)
        }
    }

    fn block(extra_data: Bytes) -> BlockInput {
        BlockInput {
            number: 1,
            timestamp: 0,
            beneficiary: Address::ZERO,
            gas_limit: 0,
            base_fee: 1,
            prevrandao: B256::ZERO,
            extra_data,
        }
    }

    fn named(mainnet_block: u64, messages: u32) -> BlockInput {
        block(
            Derivation {
                mainnet_block,
                messages,
            }
            .encode(),
        )
    }

    /// A feed holding 300 messages queued by mainnet block 20 (5 of them by block 10).
    fn extensions() -> SpnExtensions {
        let feed = InboundFeed::starting_at(0);
        feed.add_for_test((0..300).map(|i| Bytes::from(vec![i as u8])).collect());
        let queued = (0..300u64)
            .map(|i| (i, if i < 5 { 10 } else { 20 }))
            .collect();
        feed.record_scan_for_test(20, 300, queued);
        SpnExtensions::new(feed)
    }

    fn indexes(calls: &[SystemCall]) -> Vec<u64> {
        calls
            .iter()
            .filter_map(|c| SpnMailbox::deliverInboundCall::abi_decode(&c.data).ok())
            .map(|c| c.queueIndex.to::<u64>())
            .collect()
    }

    #[test]
    fn the_producer_names_its_newest_final_block_and_applies_all_it_queues_up_to_the_cap() {
        let ext = extensions();
        let state = Mailbox {
            next: 3,
            recorded: 10,
        };
        let extra = ext.next_extra_data(&state);
        assert_eq!(
            Derivation::decode(&extra).unwrap(),
            Derivation {
                mainnet_block: 20,
                messages: 256
            }
        );
        let calls = ext.pre_block_calls(&block(extra), &state).unwrap();
        assert_eq!(indexes(&calls), (3..259).collect::<Vec<_>>());
        assert!(
            SpnMailbox::setMainnetBlockCall::abi_decode(&calls[0].data).is_ok(),
            "the newer mainnet block is recorded first"
        );
    }

    #[test]
    fn a_block_that_skips_withholds_or_goes_back_is_invalid() {
        let ext = extensions();
        let state = Mailbox {
            next: 3,
            recorded: 10,
        };
        let invalid = |b: BlockInput| match ext.pre_block_calls(&b, &state) {
            Err(DerivationError::Invalid(reason)) => reason,
            other => panic!("expected an invalid derivation, got {other:?}"),
        };
        // Block 10 queues 5 messages: from index 3 exactly 2 must be applied.
        assert!(invalid(named(10, 1)).contains("must apply 2"));
        assert!(invalid(named(10, 3)).contains("must apply 2"));
        assert!(invalid(named(20, 0)).contains("must apply 256"));
        assert!(invalid(named(9, 0)).contains("before the 10"));
        assert!(invalid(block(Bytes::new())).contains("0 bytes"));
        assert_eq!(
            indexes(&ext.pre_block_calls(&named(10, 2), &state).unwrap()),
            vec![3, 4]
        );
    }

    #[test]
    fn a_mainnet_block_not_seen_final_here_is_not_ready() {
        let ext = extensions();
        let state = Mailbox {
            next: 0,
            recorded: 0,
        };
        assert!(matches!(
            ext.pre_block_calls(&named(25, 7), &state),
            Err(DerivationError::NotReady(_))
        ));
    }

    /// The Bridge's message of `kind` (1 deposit, 3 forced withdrawal) to the SPN Bridge.
    fn bridge_message(nonce: u32, kind: u8) -> Bytes {
        let mut body = vec![0u8; 160];
        body[31] = kind;
        Message::new(nonce, 31337, BRIDGE, 1001, SPN_BRIDGE, body).encode()
    }

    #[test]
    fn a_censoring_sequencer_stops_at_the_forced_request_and_honest_validators_refuse_it() {
        let feed = InboundFeed::starting_at(0);
        let kinds = [1, 1, 1, 3, 1];
        let messages = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| bridge_message(i as u32, *k))
            .collect();
        feed.add_for_test(messages);
        feed.record_scan_for_test(20, 5, (0..5u64).map(|i| (i, 20)).collect());
        let honest = SpnExtensions::new(feed.clone());
        let censor = SpnExtensions::new(feed).censoring_forced_withdrawals();
        let state = Mailbox {
            next: 1,
            recorded: 20,
        };
        let extra = censor.next_extra_data(&state);
        assert_eq!(Derivation::decode(&extra).unwrap().messages, 2);
        let calls = censor
            .pre_block_calls(&block(extra.clone()), &state)
            .unwrap();
        assert_eq!(indexes(&calls), vec![1, 2], "held at the forced request");
        match honest.pre_block_calls(&block(extra), &state) {
            Err(DerivationError::Invalid(reason)) => assert!(reason.contains("must apply 4")),
            other => panic!("an honest validator must refuse, got {other:?}"),
        }
        // Held for good: from the request's index on, the censor applies nothing.
        let stuck = Mailbox {
            next: 3,
            recorded: 20,
        };
        assert_eq!(
            Derivation::decode(&censor.next_extra_data(&stuck))
                .unwrap()
                .messages,
            0
        );
        assert!(!is_forced_withdrawal(&bridge_message(0, 1)));
        assert!(is_forced_withdrawal(&bridge_message(0, 3)));
    }
}
