//! Finalize an SPN's newest checkpoint on the mainnet: gather the validators' signatures,
//! check them, rotate an expired epoch, submit.

use crate::errors::describe;
use crate::sender::{Call, Outcome, TxSender};
use crate::signatures::{assemble, EpochSet, NotYet};
use alloy::eips::BlockNumberOrTag;
use alloy::providers::{DynProvider, Provider};
use alloy::sol_types::SolCall;
use pharos_contracts::{
    adaptor::Adaptor, checkpoint_digest, management::Management, registry::Registry,
    CheckpointData, ADAPTOR, MANAGEMENT, REGISTRY,
};
use spn_chain::SignedCheckpoint;
use std::time::Duration;
use tracing::{debug, info, warn};

/// What a checkpoint attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointStep {
    /// Nothing newer to finalize, or not possible yet (with the reason).
    Waiting(String),
    /// This relayer finalized a checkpoint at the height.
    Submitted(u64),
    /// The epoch had expired and this relayer rotated it.
    Rotated,
}

/// Registry status values that checkpoint (Active, Retired).
const CHECKPOINTING: [u8; 2] = [2, 4];

/// Tries to finalize the newest checkpoint height of `spn_id` above `finalized`.
pub async fn advance(
    mainnet: &DynProvider,
    mainnet_chain_id: u64,
    sender: &mut TxSender,
    spn_id: u32,
    spn: &DynProvider,
    signer_urls: &[String],
    finalized: u64,
) -> Result<CheckpointStep, String> {
    let registry = Registry::new(REGISTRY, mainnet);
    let record = registry
        .spn(spn_id)
        .call()
        .await
        .map_err(|e| format!("cannot read SPN {spn_id} from the Registry: {e}"))?;
    if !CHECKPOINTING.contains(&record.status) {
        return Ok(CheckpointStep::Waiting(format!(
            "SPN {spn_id} is not active on the mainnet (status {}); register and restake first",
            record.status
        )));
    }
    let interval = record.params.checkpointInterval.max(1);
    let head = spn
        .get_block_number()
        .await
        .map_err(|e| format!("cannot reach SPN {spn_id}: {e}"))?;
    let target = head - head % interval;
    if target <= finalized {
        return Ok(CheckpointStep::Waiting(format!(
            "no checkpoint height above {finalized} yet (SPN head {head}, interval {interval})"
        )));
    }
    let now = mainnet
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .map_err(|e| e.to_string())?
        .map_or(0, |b| b.header.timestamp);
    let expires = record.epochStartedAt + 2 * record.params.epochLength;
    if now >= expires {
        return rotate(mainnet, sender, spn_id).await;
    }
    let epoch = record.currentEpoch;
    let set = registry
        .epochSet(spn_id, epoch)
        .call()
        .await
        .map_err(|e| format!("cannot read epoch {epoch} of SPN {spn_id}: {e}"))?;
    let set = EpochSet {
        keys: set.keys,
        stakes: set.stakes,
        total: set.totalStake,
    };
    let header = spn
        .get_block_by_number(target.into())
        .await
        .map_err(|e| format!("cannot read SPN block {target}: {e}"))?
        .ok_or_else(|| format!("SPN block {target} is missing"))?
        .header;
    let data = CheckpointData {
        spn_id,
        epoch,
        height: target,
        block_hash: header.hash,
        state_root: header.state_root,
    };
    let digest = checkpoint_digest(mainnet_chain_id, ADAPTOR, &data);
    let served = gather(signer_urls, target).await;
    let submission = match assemble(&set, record.params.quorumBps, &data, digest, &served) {
        Ok(s) => s,
        Err(NotYet::NoQuorum { .. }) if served.is_empty() => {
            return Ok(CheckpointStep::Waiting(format!(
                "no validator answered spn_getCheckpoint({target}); are the validators' RPC endpoints listed and signing?"
            )));
        }
        Err(e) => return Ok(CheckpointStep::Waiting(format!("checkpoint {target}: {e}"))),
    };
    if submission.rejected > 0 {
        warn!(
            spn = spn_id,
            height = target,
            ignored = submission.rejected,
            "ignored checkpoint signatures that are invalid, from keys outside the epoch set, or over another block"
        );
    }
    let adaptor = Adaptor::new(ADAPTOR, mainnet);
    let checkpoint = data.to_sol();
    let call = adaptor
        .submitCheckpoint(checkpoint, submission.indices, submission.signatures)
        .from(sender.address());
    let gas = match call.estimate_gas().await {
        Ok(g) => g,
        Err(e) => {
            let why = describe(&e);
            // Another relayer finalized it (or a newer one) first: nothing lost.
            return Ok(CheckpointStep::Waiting(format!(
                "checkpoint {target} not submitted: {why}"
            )));
        }
    };
    let (sent, unsent) = sender
        .send_all(vec![Call {
            to: ADAPTOR,
            input: call.calldata().clone(),
            gas: gas * 5 / 4 + 20_000,
        }])
        .await;
    if let Some((_, e)) = unsent.into_iter().next() {
        return Err(format!("submitting checkpoint {target}: {e}"));
    }
    for (_, outcome) in sender.wait_all(sent).await {
        match outcome {
            Outcome::Mined(r) if r.status() => {
                info!(spn = spn_id, height = target, tx = %r.transaction_hash, "checkpoint finalized");
                return Ok(CheckpointStep::Submitted(target));
            }
            Outcome::Mined(r) => {
                warn!(spn = spn_id, height = target, tx = %r.transaction_hash, "checkpoint transaction reverted (another relayer may have been first)");
            }
            Outcome::Lost(e) => {
                warn!(spn = spn_id, height = target, error = %e, "checkpoint transaction lost")
            }
        }
    }
    Ok(CheckpointStep::Waiting(format!(
        "checkpoint {target} not finalized this round"
    )))
}

async fn rotate(
    mainnet: &DynProvider,
    sender: &mut TxSender,
    spn_id: u32,
) -> Result<CheckpointStep, String> {
    let management = Management::new(MANAGEMENT, mainnet);
    let call = management.rotateEpoch(spn_id).from(sender.address());
    let gas = match call.estimate_gas().await {
        Ok(g) => g,
        Err(e) => {
            return Ok(CheckpointStep::Waiting(format!(
                "epoch expired; rotation refused: {}",
                describe(&e)
            )));
        }
    };
    let input = Management::rotateEpochCall { spnId: spn_id }
        .abi_encode()
        .into();
    let (sent, unsent) = sender
        .send_all(vec![Call {
            to: MANAGEMENT,
            input,
            gas: gas * 5 / 4 + 20_000,
        }])
        .await;
    if let Some((_, e)) = unsent.into_iter().next() {
        return Err(format!("rotating the epoch of SPN {spn_id}: {e}"));
    }
    for (_, outcome) in sender.wait_all(sent).await {
        if let Outcome::Mined(r) = outcome {
            if r.status() {
                info!(spn = spn_id, tx = %r.transaction_hash, "expired epoch rotated");
                return Ok(CheckpointStep::Rotated);
            }
        }
    }
    Ok(CheckpointStep::Waiting(
        "epoch rotation did not go through".into(),
    ))
}

/// Asks every endpoint for its signed checkpoint at `height`; silent or failing ones are
/// skipped (logged).
async fn gather(urls: &[String], height: u64) -> Vec<SignedCheckpoint> {
    let asks = urls.iter().map(|url| async move {
        let provider = crate::connect(url).ok()?;
        let ask =
            provider.raw_request::<_, SignedCheckpoint>("spn_getCheckpoint".into(), vec![height]);
        match tokio::time::timeout(Duration::from_secs(5), ask).await {
            Ok(Ok(c)) => Some(c),
            Ok(Err(e)) => {
                debug!(%url, error = %e, "no checkpoint signature");
                None
            }
            Err(_) => {
                debug!(%url, "spn_getCheckpoint timed out");
                None
            }
        }
    });
    futures::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .collect()
}
