//! A `poa` or `bft` SPN's validator sets from the mainnet Registry: each epoch's consensus
//! keys, in snapshot order (which fixes the proposer rotation and the transaction owners), with
//! their restaked stakes and operators (`bft` weighs votes by stake and pays fees to the
//! operator). The SPN's first blocks use epoch 1; the set deciding a later height h is the
//! epoch that was current at the mainnet block named by block h − 2 (its derivation), so every
//! validator switches at the same height.

use crate::{logs_between, Derivation};
use alloy::providers::DynProvider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use pharos_contracts::{registry::Registry, REGISTRY};
use spn_consensus::bft::StakeSet;
use spn_consensus::poa::ValidatorSet;
use spn_node::{BftSchedule, BftSetFuture, BftValidators, SetFuture, Store, ValidatorSchedule};
use spn_primitives::{Address, Header, U256};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::Mutex;
use tracing::{info, warn};

/// The current epoch of SPN `spn_id` (0 before it is active).
async fn current_epoch(mainnet: &DynProvider, spn_id: u32) -> Result<u64, String> {
    Registry::new(REGISTRY, mainnet)
        .currentEpoch(spn_id)
        .call()
        .await
        .map_err(|e| format!("cannot read the SPN's epoch from the mainnet Registry: {e}"))
}

/// An epoch's validators as the Registry's snapshot lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochMembers {
    /// The epoch.
    pub epoch: u64,
    /// Operator accounts (a `bft` validator's fee recipient).
    pub operators: Vec<Address>,
    /// Consensus keys (ed25519).
    pub keys: Vec<[u8; 32]>,
    /// Restaked stake, in wei.
    pub stakes: Vec<U256>,
}

impl EpochMembers {
    /// The `poa` set: the keys, equally weighted.
    pub fn poa(&self) -> Result<ValidatorSet, String> {
        ValidatorSet::new(&self.keys)
            .map_err(|e| format!("epoch {}'s validator set is unusable: {e}", self.epoch))
    }

    /// The `bft` set: the keys weighted by stake in gwei (at least 1), paying fees to the
    /// operators.
    pub fn bft(&self) -> Result<BftValidators, String> {
        let gwei = U256::from(1_000_000_000u64);
        let members: Vec<([u8; 32], u64)> = self
            .keys
            .iter()
            .zip(&self.stakes)
            .map(|(key, stake)| (*key, (*stake / gwei).saturating_to::<u64>().max(1)))
            .collect();
        StakeSet::new(&members)
            .map_err(|e| e.to_string())
            .and_then(|set| BftValidators::new(set, self.operators.clone()))
            .map_err(|e| format!("epoch {}'s validator set is unusable: {e}", self.epoch))
    }
}

/// Epoch `epoch`'s validators of SPN `spn_id`.
pub async fn epoch_members(
    mainnet: &DynProvider,
    spn_id: u32,
    epoch: u64,
) -> Result<EpochMembers, String> {
    let set = Registry::new(REGISTRY, mainnet)
        .epochSet(spn_id, epoch)
        .call()
        .await
        .map_err(|e| format!("cannot read epoch {epoch}'s set from the Registry: {e}"))?;
    Ok(EpochMembers {
        epoch,
        operators: set.operators,
        keys: set.keys.iter().map(|k| k.0).collect(),
        stakes: set.stakes,
    })
}

/// Epoch `epoch`'s `poa` validator set of SPN `spn_id`.
pub async fn epoch_set(
    mainnet: &DynProvider,
    spn_id: u32,
    epoch: u64,
) -> Result<ValidatorSet, String> {
    epoch_members(mainnet, spn_id, epoch).await?.poa()
}

/// The current epoch of SPN `spn_id` and its validators, or why there are none.
pub async fn epoch_validators(mainnet: &DynProvider, spn_id: u32) -> Result<EpochMembers, String> {
    let epoch = current_epoch(mainnet, spn_id).await?;
    if epoch == 0 {
        return Err(format!(
            "SPN {spn_id} has no validator set yet: register it (`spn register`) and restake \
             until it is active (`spn restake`)"
        ));
    }
    epoch_members(mainnet, spn_id, epoch).await
}

/// Waits (logging every few seconds) until SPN `spn_id` has a validator set on the mainnet;
/// returns the current epoch's validators.
pub async fn wait_for_validators(
    mainnet: &DynProvider,
    spn_id: u32,
) -> Result<EpochMembers, String> {
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

/// The mainnet blocks an SPN's epochs started in, as far as scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpochStarts {
    /// (mainnet block, epoch), in order.
    starts: Vec<(u64, u64)>,
    /// The last mainnet block whose logs were read.
    scanned_to: Option<u64>,
}

impl EpochStarts {
    /// Records that mainnet blocks up to `to` were scanned and these epochs started in them.
    pub fn scanned(&mut self, to: u64, started: impl IntoIterator<Item = (u64, u64)>) {
        self.starts.extend(started);
        self.starts.sort_unstable();
        self.scanned_to = Some(self.scanned_to.map_or(to, |s| s.max(to)));
    }

    /// The first mainnet block not scanned yet.
    pub fn next_block(&self) -> u64 {
        self.scanned_to.map_or(0, |s| s + 1)
    }

    /// The epoch current at mainnet block `block` (1 before any started: the SPN's first
    /// blocks are epoch 1's), or `None` if that block is not scanned yet.
    pub fn epoch_at(&self, block: u64) -> Option<u64> {
        if self.scanned_to.is_none_or(|s| block > s) {
            return None;
        }
        let current = self
            .starts
            .iter()
            .take_while(|(b, _)| *b <= block)
            .map(|(_, e)| *e)
            .max();
        Some(current.unwrap_or(1).max(1))
    }
}

/// Validator sets from the Registry, by the epoch current at the mainnet block each SPN block
/// names: [`ValidatorSchedule`] for the `poa` driver, [`BftSchedule`] for `bft`.
pub struct RegistrySchedule {
    mainnet: DynProvider,
    spn_id: u32,
    state: Mutex<(EpochStarts, HashMap<u64, EpochMembers>)>,
}

impl RegistrySchedule {
    /// The schedule of SPN `spn_id`, read from `mainnet`.
    pub fn new(mainnet: DynProvider, spn_id: u32) -> Self {
        Self {
            mainnet,
            spn_id,
            state: Mutex::new(Default::default()),
        }
    }

    async fn set_named_by(&self, header: &Header) -> Result<EpochMembers, String> {
        let derivation = Derivation::decode(&header.extra_data)
            .map_err(|e| format!("block {} names no mainnet block: {e}", header.number))?;
        let at = derivation.mainnet_block;
        let mut state = self.state.lock().await;
        let (starts, sets) = &mut *state;
        if starts.epoch_at(at).is_none() {
            let filter = Filter::new()
                .address(REGISTRY)
                .event_signature(Registry::EpochStarted::SIGNATURE_HASH)
                .topic1(U256::from(self.spn_id));
            let from = starts.next_block();
            let logs = logs_between(&self.mainnet, &filter, from, at)
                .await
                .map_err(|e| format!("{e} on the mainnet"))?;
            let mut started = Vec::with_capacity(logs.len());
            for log in logs {
                let block = log
                    .block_number
                    .ok_or("an EpochStarted log without a block")?;
                let event = log
                    .log_decode::<Registry::EpochStarted>()
                    .map_err(|e| format!("undecodable EpochStarted log: {e}"))?;
                started.push((block, event.inner.data.epoch));
            }
            starts.scanned(at, started);
        }
        let epoch = starts.epoch_at(at).ok_or("mainnet logs not scanned")?;
        if let Some(set) = sets.get(&epoch) {
            return Ok(set.clone());
        }
        let set = epoch_members(&self.mainnet, self.spn_id, epoch).await?;
        sets.insert(epoch, set.clone());
        Ok(set)
    }
}

impl ValidatorSchedule for RegistrySchedule {
    fn set_after<'a>(&'a self, header: &'a Header) -> SetFuture<'a> {
        Box::pin(async move { self.set_named_by(header).await?.poa() })
    }
}

impl BftSchedule for RegistrySchedule {
    /// The set named by `header`, read again every half second while the mainnet cannot
    /// answer (the chain waits rather than guess).
    fn set_after<'a>(&'a self, header: &'a Header, _: &'a Store) -> BftSetFuture<'a> {
        Box::pin(async move {
            let mut last_log = None::<std::time::Instant>;
            loop {
                match self.set_named_by(header).await.and_then(|m| m.bft()) {
                    Ok(set) => return Ok(Some(set)),
                    Err(e) => {
                        if last_log.is_none_or(|t| t.elapsed() > Duration::from_secs(5)) {
                            warn!(
                                block = header.number,
                                reason = %e,
                                "waiting to read the validator set from the mainnet Registry"
                            );
                            last_log = Some(std::time::Instant::now());
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_at_a_block_is_the_last_started_by_it() {
        let mut s = EpochStarts::default();
        assert_eq!(s.epoch_at(0), None, "nothing scanned");
        s.scanned(10, [(4, 1)]);
        assert_eq!(s.epoch_at(3), Some(1), "before epoch 1: the first set");
        assert_eq!(s.epoch_at(10), Some(1));
        assert_eq!(s.epoch_at(11), None, "not scanned yet");
        assert_eq!(s.next_block(), 11);
        s.scanned(20, [(15, 2), (15, 3)]);
        assert_eq!(s.epoch_at(14), Some(1));
        assert_eq!(
            s.epoch_at(15),
            Some(3),
            "two rotations in one block: the later"
        );
        assert_eq!(s.epoch_at(20), Some(3));
    }
}
