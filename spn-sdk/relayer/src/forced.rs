//! Prove on the mainnet that an SPN processed its forced-withdrawal requests.
//!
//! A request the SPN processed but nobody proved before its deadline lets anyone freeze the
//! SPN and slash its operators, so relayers prove them: the request ids come from the mainnet
//! Bridge's `ForcedWithdrawalRequested` logs, the SPN Bridge's `processed` mark from an
//! `eth_getProof` at the finalized checkpoint height, and `confirmForcedWithdrawal` returns
//! the user's bond.

use crate::errors::describe;
use crate::relayer::with_margin;
use crate::sender::{Call, Outcome, TxSender};
use crate::state::SpnCursor;
use alloy::eips::BlockId;
use alloy::primitives::{B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use pharos_contracts::{bridge::Bridge, layout, registry::Registry, BRIDGE, REGISTRY, SPN_BRIDGE};
use spn_chain::{account_leaf, logs_between};
use tracing::{info, warn};

/// Requests checked per round.
const PER_ROUND: usize = 256;
/// `ForceState.Pending` in the mainnet Bridge.
const PENDING: u8 = 1;
/// `Registry.Status.Frozen`.
const FROZEN: u8 = 3;

/// Reads new requests to `spn_id` into the cursor, then confirms those the SPN processed by
/// SPN block `finalized`. Returns how many were confirmed.
pub async fn confirm_processed(
    mainnet: &DynProvider,
    sender: &mut TxSender,
    spn: &DynProvider,
    spn_id: u32,
    finalized: u64,
    cursor: &mut SpnCursor,
) -> Result<usize, String> {
    let head = mainnet
        .get_block_number()
        .await
        .map_err(|e| format!("cannot read the mainnet head: {e}"))?;
    if head > cursor.forced_scanned_to {
        let filter = Filter::new()
            .address(BRIDGE)
            .event_signature(Bridge::ForcedWithdrawalRequested::SIGNATURE_HASH)
            .topic2(B256::from(U256::from(spn_id)));
        let logs = logs_between(mainnet, &filter, cursor.forced_scanned_to + 1, head)
            .await
            .map_err(|e| format!("{e} on the mainnet"))?;
        for log in logs {
            let event = log
                .log_decode::<Bridge::ForcedWithdrawalRequested>()
                .map_err(|e| format!("undecodable ForcedWithdrawalRequested log: {e}"))?;
            cursor
                .forced_pending
                .insert(event.inner.data.requestId.saturating_to());
        }
        cursor.forced_scanned_to = head;
    }
    if cursor.forced_pending.is_empty() || finalized == 0 {
        return Ok(0);
    }
    let status = Registry::new(REGISTRY, mainnet)
        .status(spn_id)
        .call()
        .await
        .map_err(|e| format!("cannot read SPN {spn_id}'s status: {e}"))?;
    if status == FROZEN {
        // Its requests were settled by the freeze (and exits); nothing is left to prove.
        cursor.forced_pending.clear();
        return Ok(0);
    }
    let ids: Vec<u64> = cursor
        .forced_pending
        .iter()
        .take(PER_ROUND)
        .copied()
        .collect();
    let slots = ids
        .iter()
        .map(|id| layout::forced_processed_slot(U256::from(*id)))
        .collect();
    let proof = spn
        .get_proof(SPN_BRIDGE, slots)
        .block_id(BlockId::number(finalized))
        .await
        .map_err(|e| format!("eth_getProof of forced requests at SPN block {finalized}: {e}"))?;
    let account_rlp = account_leaf(&proof);
    let bridge = Bridge::new(BRIDGE, mainnet);
    let mut calls = Vec::new();
    let mut covered = Vec::new();
    for (id, slot) in ids.iter().zip(proof.storage_proof) {
        if slot.value != U256::from(1) {
            continue;
        }
        let state = bridge
            .forcedRequest(U256::from(*id))
            .call()
            .await
            .map_err(|e| format!("cannot read forced request {id}: {e}"))?
            .state;
        if state != PENDING {
            // Confirmed by someone else, or expired by a freeze.
            cursor.forced_pending.remove(id);
            continue;
        }
        let call = bridge
            .confirmForcedWithdrawal(
                U256::from(*id),
                finalized,
                Bridge::SlotProof {
                    accountRlp: account_rlp.clone(),
                    accountProof: proof.account_proof.clone(),
                    storageProof: slot.proof,
                },
            )
            .from(sender.address());
        match call.estimate_gas().await {
            Ok(gas) => {
                calls.push(Call {
                    to: BRIDGE,
                    input: call.calldata().clone(),
                    gas: with_margin(gas),
                });
                covered.push(*id);
            }
            Err(e) => {
                warn!(spn = spn_id, request = id, error = %describe(&e), "cannot confirm forced withdrawal yet")
            }
        }
    }
    if calls.is_empty() {
        return Ok(0);
    }
    let (sent, _unsent) = sender.send_all(calls).await;
    let first = sent.first().map_or(0, |s| s.nonce);
    let mut confirmed = 0;
    for (s, outcome) in sender.wait_all(sent).await {
        let id = covered[(s.nonce - first) as usize];
        match outcome {
            Outcome::Mined(r) if r.status() => {
                confirmed += 1;
                cursor.forced_pending.remove(&id);
                info!(spn = spn_id, request = id, height = finalized, tx = %r.transaction_hash, "forced withdrawal proven processed; the user's bond is returned");
            }
            // Left pending: the next round reads its state again.
            Outcome::Mined(r) => {
                warn!(spn = spn_id, request = id, tx = %r.transaction_hash, "forced withdrawal confirmation reverted")
            }
            Outcome::Lost(e) => {
                warn!(spn = spn_id, request = id, error = %e, "forced withdrawal confirmation not mined")
            }
        }
    }
    Ok(confirmed)
}
