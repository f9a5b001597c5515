//! Run the `poa` engine in a node: validators exchange proposals, votes and certificates over
//! libp2p, execute every proposal before voting, persist their vote before sending it, commit
//! each block with its finality certificate, catch up by block sync, and gossip the
//! transactions submitted to them so the next proposer has them.

mod codec;
mod driver;
mod schedule;
mod sync;
mod txs;

pub use codec::{decode_block, encode_block};
pub(crate) use driver::drive_poa;
pub use schedule::{SetFuture, ValidatorSchedule, SET_LAG};
pub(crate) use sync::{decode_request, encode_request, serve_with, unframe, SYNC_BATCH};
pub(crate) use txs::{decode_txs, encode_txs, MAX_BATCH, MAX_BATCH_BYTES, TAG_TRANSACTIONS};

use ed25519_dalek::SigningKey;
use spn_consensus::poa::{PoaConfig, ValidatorSet};
use spn_network::NetworkConfig;
use std::sync::Arc;

/// Everything a node needs to run `poa`: chosen in one line with
/// [`NodeBuilder::with_consensus`](crate::NodeBuilder::with_consensus).
pub struct PoaSetup {
    /// Engine tuning (the SPN id is bound into every signature).
    pub config: PoaConfig,
    /// This validator's ed25519 key; `None` runs a follower that only commits certified blocks.
    pub signing_key: Option<SigningKey>,
    /// The validator set from height 1 (the Registry's first epoch snapshot).
    pub validators: ValidatorSet,
    /// Later sets, read as the chain grows (the set of height h from block h − [`SET_LAG`]);
    /// `None` keeps `validators` for good.
    pub schedule: Option<Arc<dyn ValidatorSchedule>>,
    /// The peer-to-peer network (its identity should be the validator key).
    pub network: NetworkConfig,
    /// Least time between a committed block and building the next one.
    pub block_time_ms: u64,
}

impl std::fmt::Debug for PoaSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoaSetup")
            .field("spn_id", &self.config.spn_id)
            .field("validators", &self.validators.len())
            .field("schedule", &self.schedule.is_some())
            .field("validator", &self.signing_key.is_some())
            .field("listen", &self.network.listen)
            .finish()
    }
}
