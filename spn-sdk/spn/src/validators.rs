//! Read a `poa` SPN's validator set from the mainnet Registry: the consensus keys of its
//! current epoch snapshot, in snapshot order (which fixes the proposer rotation).

use alloy::providers::DynProvider;
use pharos_contracts::{registry::Registry, REGISTRY};
use spn_consensus::poa::ValidatorSet;
use std::time::Duration;
use tracing::info;

/// The current epoch of SPN `spn_id` and its validator set, or why there is none.
pub async fn epoch_validators(
    mainnet: &DynProvider,
    spn_id: u32,
) -> Result<(u64, ValidatorSet), String> {
    let registry = Registry::new(REGISTRY, mainnet);
    let epoch = registry
        .currentEpoch(spn_id)
        .call()
        .await
        .map_err(|e| format!("cannot read the SPN's epoch from the mainnet Registry: {e}"))?;
    if epoch == 0 {
        return Err(format!(
            "SPN {spn_id} has no validator set yet: register it (`spn register`) and restake \
             until it is active (`spn restake`)"
        ));
    }
    let set = registry
        .epochSet(spn_id, epoch)
        .call()
        .await
        .map_err(|e| format!("cannot read epoch {epoch}'s set from the Registry: {e}"))?;
    let keys: Vec<[u8; 32]> = set.keys.iter().map(|k| k.0).collect();
    let validators = ValidatorSet::new(&keys)
        .map_err(|e| format!("epoch {epoch}'s validator set is unusable: {e}"))?;
    Ok((epoch, validators))
}

/// Waits (logging every few seconds) until SPN `spn_id` has a validator set on the mainnet.
pub async fn wait_for_validators(
    mainnet: &DynProvider,
    spn_id: u32,
) -> Result<(u64, ValidatorSet), String> {
    let mut last_log = None::<std::time::Instant>;
    loop {
        match epoch_validators(mainnet, spn_id).await {
            Ok(found) => return Ok(found),
            Err(e) => {
                if last_log.is_none_or(|t| t.elapsed() > Duration::from_secs(5)) {
                    info!(reason = %e, "waiting for the SPN's validator set on the mainnet");
                    last_log = Some(std::time::Instant::now());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
