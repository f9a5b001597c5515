//! Proving an SPN's inbound queue in the mainnet Mailbox at a final block, so an SPN node
//! need not trust the mainnet node it reads.
//!
//! The Mailbox keeps, per destination SPN, `bytes32[] _queue[spn]`: the ids of the messages
//! queued for it, in order, where a message's id is the keccak of its bytes. Given a block's
//! state root (from a header the [light client](crate::light_client) proved final), an
//! `eth_getProof` of the queue's length slot and some of its elements gives the queue length
//! there and the ids from a cursor on; a message served by any node is then checked by its
//! hash. The core is pure: callers fetch, it checks.

use crate::light_client::{add_proven_slots_of, AccountProof, ProvenSlots};
use pharos_contracts as sc;
use spn_primitives::{keccak256, Header, B256, U256};
use std::collections::BTreeMap;

/// The storage layout of `Mailbox` (solc's `storageLayout`; a test reads it back through
/// `Mailbox.queueLength` and `queueAt` on real contract state).
pub mod slots {
    use super::*;

    /// `mapping(uint32 => bytes32[]) _queue`.
    pub const QUEUE: u64 = 3;

    /// The slot holding `_queue[spn].length`.
    pub fn queue_length(spn: u32) -> B256 {
        let mut preimage = [0u8; 64];
        preimage[28..32].copy_from_slice(&spn.to_be_bytes());
        preimage[32..].copy_from_slice(B256::from(U256::from(QUEUE)).as_slice());
        keccak256(preimage)
    }

    /// The slot holding `_queue[spn][index]`.
    pub fn queue_element(spn: u32, index: u64) -> B256 {
        let base = U256::from_be_bytes(keccak256(queue_length(spn)).0);
        B256::from(base.wrapping_add(U256::from(index)))
    }

    /// The slots proving the queue's length and its elements `from..to`.
    pub fn queue(spn: u32, from: u64, to: u64) -> Vec<B256> {
        std::iter::once(queue_length(spn))
            .chain((from..to).map(|i| queue_element(spn, i)))
            .collect()
    }
}

/// An SPN's inbound queue as proven at one mainnet block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenQueue {
    /// The mainnet block.
    pub block: u64,
    /// The queue's length there.
    pub length: u64,
    /// Message ids by queue index (those asked for below the length).
    pub ids: BTreeMap<u64, B256>,
}

impl ProvenQueue {
    /// Checks `message`, served as the one at queue `index`, against its proven id.
    pub fn check_message(&self, index: u64, message: &[u8]) -> Result<(), MailboxProofError> {
        let id = self
            .ids
            .get(&index)
            .ok_or(MailboxProofError::NotProven { index })?;
        let hash = keccak256(message);
        if hash != *id {
            return Err(MailboxProofError::WrongMessage {
                index,
                block: self.block,
                id: *id,
                hash,
            });
        }
        Ok(())
    }
}

/// Why a proof of the queue, or a message, is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxProofError {
    /// The proof does not verify against the block's state root.
    #[error("the Mailbox proof at mainnet block {block} does not verify: {reason}")]
    BadProof {
        /// The block.
        block: u64,
        /// What failed.
        reason: String,
    },
    /// A slot the queue needs is not in the proof.
    #[error("the Mailbox proof at mainnet block {block} leaves out slot {slot}")]
    Missing {
        /// The block.
        block: u64,
        /// The slot.
        slot: B256,
    },
    /// The proven length is not a queue length.
    #[error("the Mailbox proof at mainnet block {block} gives a queue length of {length}")]
    BadLength {
        /// The block.
        block: u64,
        /// The proven word.
        length: U256,
    },
    /// A message does not hash to the id proven at its index.
    #[error(
        "the message served as queue index {index} hashes to {hash}, but mainnet block {block} \
         queues {id} there"
    )]
    WrongMessage {
        /// Its queue index.
        index: u64,
        /// The block the id was proven at.
        block: u64,
        /// The proven id.
        id: B256,
        /// The served message's hash.
        hash: B256,
    },
    /// No id was proven at this index.
    #[error("no message id was proven at queue index {index}")]
    NotProven {
        /// The index.
        index: u64,
    },
}

/// Checks `proof` (of [`slots::queue`]`(spn, from, to)`) against `header`'s state root and
/// returns the queue's length there and the ids of elements `from..min(to, length)`.
pub fn prove_queue(
    header: &Header,
    spn: u32,
    from: u64,
    to: u64,
    proof: &AccountProof,
) -> Result<ProvenQueue, MailboxProofError> {
    let block = header.number;
    let mut known = ProvenSlots::new();
    add_proven_slots_of(sc::MAILBOX, header.state_root, proof, &mut known)
        .map_err(|reason| MailboxProofError::BadProof { block, reason })?;
    let slot = |slot: B256| {
        known
            .get(&slot)
            .copied()
            .ok_or(MailboxProofError::Missing { block, slot })
    };
    let word = slot(slots::queue_length(spn))?;
    let length: u64 = word.try_into().map_err(|_| MailboxProofError::BadLength {
        block,
        length: word,
    })?;
    let mut ids = BTreeMap::new();
    for index in from..to.min(length) {
        ids.insert(index, B256::from(slot(slots::queue_element(spn, index))?));
    }
    Ok(ProvenQueue { block, length, ids })
}
