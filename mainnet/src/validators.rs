//! Take the mainnet's `bft` validator sets from the Staking contract: the genesis set, then the
//! set `Staking.validators()` lists at each epoch boundary.
//!
//! Epoch `e` (from 0) holds heights `e·E + 1 ..= (e + 1)·E`, `E` being the spec's
//! `bft.epoch_blocks`. The set deciding an epoch is fixed [`SET_LAG`] blocks before its first
//! height: after block `h` with `h + SET_LAG ≡ 1 (mod E)` is committed, the schedule reads
//! `Staking.validators()` on `h`'s state. Invariants:
//! - the answer depends only on the committed chain (block `h`'s state), so every node
//!   installs the same set at the same height; the schedule refuses to read any other state;
//! - the chain never halts for want of validators: a boundary where Staking lists nobody, or
//!   a set the engine cannot use, keeps the current set and is logged as an error.
//!
//! Stakes are converted from wei to gwei (saturating at `u64::MAX`), so a set of up to 128
//! validators sums without overflow.

use crate::precompiles::MainnetExtensions;
use alloy_sol_types::SolCall;
use parking_lot::Mutex;
use pharos_contracts::{self as sc, staking::Staking};
use spn_consensus::bft::StakeSet;
use spn_execution::{BlockInput, CallRequest, Executor, Sandbox};
use spn_node::{BftSchedule, BftSetFuture, BftValidators, Store, SET_LAG};
use spn_primitives::{ChainSpec, Header, StateView, U256};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Gas a read of the validator set may use (128 validators take well under 1 M).
const READ_GAS: u64 = 50_000_000;
const WEI_PER_GWEI: u64 = 1_000_000_000;

/// The epoch arithmetic of a chain with `E` blocks per epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epochs {
    blocks: u64,
}

impl Epochs {
    /// Epochs of `blocks` heights; at least 2, so a boundary is never the block right after
    /// the previous one's read.
    pub fn new(blocks: u64) -> Result<Self, String> {
        if blocks < 2 {
            return Err(format!(
                "an epoch must last at least 2 blocks, not {blocks}"
            ));
        }
        Ok(Self { blocks })
    }

    /// Blocks per epoch.
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// The epoch of `height` (genesis and the first `E` blocks are epoch 0).
    pub fn epoch_of(&self, height: u64) -> u64 {
        height.saturating_sub(1) / self.blocks
    }

    /// The first height of `epoch`.
    pub fn first_height(&self, epoch: u64) -> u64 {
        epoch.saturating_mul(self.blocks).saturating_add(1)
    }

    /// True if the set of the next epoch is read after committing block `height`: the
    /// epoch's first height is `height + SET_LAG`.
    pub fn reads_set_after(&self, height: u64) -> bool {
        height
            .checked_add(SET_LAG)
            .is_some_and(|h| h % self.blocks == 1)
    }
}

/// The engine's view of what `Staking.validators()` returned: `None` if it lists nobody.
pub fn validators_from(list: Staking::validatorsReturn) -> Result<Option<BftValidators>, String> {
    if list.accounts.is_empty() {
        return Ok(None);
    }
    let gwei = U256::from(WEI_PER_GWEI);
    let members: Vec<([u8; 32], u64)> = list
        .keys
        .iter()
        .zip(&list.stakes)
        .map(|(key, stake)| (key.0, (*stake / gwei).saturating_to::<u64>()))
        .collect();
    let set = StakeSet::new(&members).map_err(|e| format!("unusable validator set: {e}"))?;
    BftValidators::new(set, list.accounts).map(Some)
}

/// The validator set genesis registers in the Staking contract of `spec` (its block-0
/// allocation); `None` if it registers none (a `solo` chain).
pub fn genesis_validators(spec: &ChainSpec) -> Result<Option<BftValidators>, String> {
    let mut sandbox = Sandbox::from_alloc(
        spec.chain_id,
        spec.genesis_timestamp,
        Arc::new(MainnetExtensions),
        &spec.alloc,
    );
    let list = sandbox
        .view(sc::STAKING, &Staking::validatorsCall {})
        .map_err(|e| format!("Staking.validators() failed at genesis: {e}"))?;
    validators_from(list)
}

/// `Staking.validators()` on `state`, as of block `header`.
pub fn staking_validators<S: StateView + ?Sized>(
    executor: &Executor,
    state: &S,
    header: &Header,
) -> Result<Staking::validatorsReturn, String> {
    let block = BlockInput {
        number: header.number,
        timestamp: header.timestamp,
        beneficiary: header.beneficiary,
        gas_limit: header.gas_limit,
        base_fee: header.base_fee_per_gas.unwrap_or_default(),
        prevrandao: header.mix_hash,
        extra_data: header.extra_data.clone(),
    };
    let request = CallRequest {
        to: Some(sc::STAKING),
        input: Staking::validatorsCall {}.abi_encode().into(),
        ..Default::default()
    };
    let out = executor
        .call(state, &block, &request, READ_GAS)
        .map_err(|e| {
            format!(
                "Staking.validators() failed at block {}: {e}",
                header.number
            )
        })?;
    Staking::validatorsCall::abi_decode_returns(&out.output)
        .map_err(|e| format!("Staking.validators() returned malformed data: {e}"))
}

/// Every validator key a node has seen in a set (genesis, epoch boundaries): where evidence
/// finds the key of a vote that names its signer only by position.
#[derive(Debug, Default)]
pub struct KnownKeys(Mutex<BTreeSet<[u8; 32]>>);

impl KnownKeys {
    /// Remembers the keys of `set`.
    pub fn remember(&self, set: &BftValidators) {
        let mut keys = self.0.lock();
        keys.extend(set.set.keys().iter().map(|k| k.to_bytes()));
    }

    /// The keys seen so far.
    pub fn keys(&self) -> Vec<[u8; 32]> {
        self.0.lock().iter().copied().collect()
    }
}

/// The mainnet's [`BftSchedule`]: the Staking contract's set at every epoch boundary.
pub struct StakingSchedule {
    executor: Executor,
    epochs: Epochs,
    /// The set this schedule last installed (unknown after a restart: the first boundary
    /// then answers the set whatever it is).
    last: Mutex<Option<BftValidators>>,
    known: Arc<KnownKeys>,
}

impl StakingSchedule {
    /// A schedule for chain `chain_id` with `epochs`; sets it reads are added to `known`.
    pub fn new(chain_id: u64, epochs: Epochs, known: Arc<KnownKeys>) -> Self {
        Self {
            executor: Executor::new(chain_id, Arc::new(MainnetExtensions)),
            epochs,
            last: Mutex::new(None),
            known,
        }
    }

    /// What [`BftSchedule::set_after`] answers, reading `state` (block `header`'s).
    pub fn set_at<S: StateView + ?Sized>(
        &self,
        header: &Header,
        state: &S,
    ) -> Result<Option<BftValidators>, String> {
        if !self.epochs.reads_set_after(header.number) {
            return Ok(None);
        }
        let first = header.number + SET_LAG;
        let epoch = self.epochs.epoch_of(first);
        let list = staking_validators(&self.executor, state, header)?;
        let set = match validators_from(list) {
            Ok(Some(set)) => set,
            Ok(None) => {
                tracing::error!(
                    epoch,
                    first_height = first,
                    "the Staking contract lists no validators: the current set goes on deciding \
                     blocks (stake and register validators to change it)"
                );
                return Ok(None);
            }
            Err(e) => {
                tracing::error!(epoch, first_height = first, error = %e, "the Staking contract's validator set cannot run consensus: the current set goes on");
                return Ok(None);
            }
        };
        self.known.remember(&set);
        let mut last = self.last.lock();
        if last.as_ref() == Some(&set) {
            tracing::debug!(epoch, "validator set unchanged");
            return Ok(None);
        }
        tracing::info!(
            epoch,
            first_height = first,
            validators = set.set.len(),
            total_stake_gwei = %set.set.total(),
            "validator set from the Staking contract"
        );
        *last = Some(set.clone());
        Ok(Some(set))
    }
}

impl BftSchedule for StakingSchedule {
    fn set_after<'a>(&'a self, header: &'a Header, store: &'a Store) -> BftSetFuture<'a> {
        Box::pin(std::future::ready(self.set_after_block(header, store)))
    }
}

impl StakingSchedule {
    /// [`BftSchedule::set_after`], read from the local state at once.
    pub(crate) fn set_after_block(
        &self,
        header: &Header,
        store: &Store,
    ) -> Result<Option<BftValidators>, String> {
        if !self.epochs.reads_set_after(header.number) {
            return Ok(None);
        }
        let head = store
            .head()
            .map_err(|e| e.to_string())?
            .map(|(number, _)| number);
        if head != Some(header.number) {
            return Err(format!(
                "the validator set after block {} must be read on that block's state, but the \
                 store's head is {head:?}",
                header.number
            ));
        }
        self.set_at(header, store)
    }
}

#[cfg(test)]
#[path = "validators_tests.rs"]
mod tests;
