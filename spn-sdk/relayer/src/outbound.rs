//! Find the messages an SPN dispatched and prove each against a finalized state root.

use alloy::eips::BlockId;
use alloy::primitives::{Bytes, B256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use pharos_contracts::{adaptor::Adaptor, layout, spn_mailbox::SpnMailbox, SPN_MAILBOX};
use spn_chain::{account_leaf, logs_between};

/// A message in an SPN's outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// keccak256 of the message.
    pub id: B256,
    /// The message (Hyperlane format).
    pub message: Bytes,
    /// The SPN block that dispatched it.
    pub block: u64,
}

/// Every message the SPN Mailbox dispatched in blocks `from..=to`, in order.
pub async fn scan(spn: &DynProvider, from: u64, to: u64) -> Result<Vec<Outbound>, String> {
    let filter = Filter::new()
        .address(SPN_MAILBOX)
        .event_signature(SpnMailbox::Dispatch::SIGNATURE_HASH);
    let logs = logs_between(spn, &filter, from, to)
        .await
        .map_err(|e| format!("{e} on the SPN"))?;
    let mut out = Vec::with_capacity(logs.len());
    for log in logs {
        let block = log.block_number.ok_or("a log without a block number")?;
        let event = log
            .log_decode::<SpnMailbox::Dispatch>()
            .map_err(|e| format!("undecodable Dispatch log in block {block}: {e}"))?;
        let message = event.inner.data.message.clone();
        out.push(Outbound {
            id: alloy::primitives::keccak256(&message),
            message,
            block,
        });
    }
    Ok(out)
}

/// Storage keys per `eth_getProof` (the node accepts up to 1 024).
const PROOF_KEYS: usize = 1_024;

/// Proofs that messages are in the SPN Mailbox's outbox at one SPN block: the Mailbox
/// account's leaf and proof (shared), then one storage proof per message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxProofs {
    /// RLP of the SPN Mailbox's account.
    pub account_rlp: Bytes,
    /// The account's proof against the state root.
    pub account_proof: Vec<Bytes>,
    /// Each message's outbox slot proof against the account's storage root, in order.
    pub storage: Vec<Vec<Bytes>>,
}

impl OutboxProofs {
    /// The single-message proof of message `k`, for `relayMessage`.
    pub fn slot_proof(&self, k: usize) -> Adaptor::SlotProof {
        Adaptor::SlotProof {
            accountRlp: self.account_rlp.clone(),
            accountProof: self.account_proof.clone(),
            storageProof: self.storage[k].clone(),
        }
    }

    /// The batch of `messages` (whose proofs are `storage[range]`), for `relayMessages`.
    pub fn batch(
        &self,
        messages: Vec<Bytes>,
        range: std::ops::Range<usize>,
    ) -> Adaptor::MessageBatch {
        Adaptor::MessageBatch {
            accountRlp: self.account_rlp.clone(),
            accountProof: self.account_proof.clone(),
            messages,
            storageProofs: self.storage[range].to_vec(),
        }
    }
}

/// The proofs that messages `ids` are in the SPN Mailbox outbox at SPN block `height`, in
/// order: one `eth_getProof` per 1 024 messages, sharing the account proof.
pub async fn outbox_proofs(
    spn: &DynProvider,
    ids: &[B256],
    height: u64,
) -> Result<OutboxProofs, String> {
    let mut out: Option<OutboxProofs> = None;
    for chunk in ids.chunks(PROOF_KEYS) {
        let slots = chunk.iter().map(|id| layout::outbox_slot(*id)).collect();
        let proof = spn
            .get_proof(SPN_MAILBOX, slots)
            .block_id(BlockId::number(height))
            .await
            .map_err(|e| {
                format!(
                    "eth_getProof of {} outbox slots at SPN block {height}: {e}",
                    chunk.len()
                )
            })?;
        if proof.storage_proof.len() != chunk.len() {
            return Err(format!(
                "the SPN node returned {} storage proofs for {} slots",
                proof.storage_proof.len(),
                chunk.len()
            ));
        }
        let account_rlp = account_leaf(&proof);
        let all = out.get_or_insert_with(|| OutboxProofs {
            account_rlp: account_rlp.clone(),
            account_proof: proof.account_proof.clone(),
            storage: Vec::with_capacity(ids.len()),
        });
        if all.account_rlp != account_rlp || all.account_proof != proof.account_proof {
            return Err(format!(
                "the SPN node proved two different Mailbox accounts at SPN block {height}"
            ));
        }
        all.storage
            .extend(proof.storage_proof.into_iter().map(|s| s.proof));
    }
    Ok(out.unwrap_or(OutboxProofs {
        account_rlp: Bytes::new(),
        account_proof: vec![],
        storage: vec![],
    }))
}
