//! The relayer: carries each SPN's checkpoints and outbound messages to the mainnet Adaptor.
//!
//! Per SPN and round it (1) finalizes the newest checkpoint height with the validators'
//! signatures (`spn_getCheckpoint`), rotating an expired epoch if needed; (2) scans the SPN
//! Mailbox's `Dispatch` logs from its cursor up to the finalized height; (3) relays each message
//! in `relayMessages` batches, each message with the storage proof of its outbox slot at that
//! height (`eth_getProof` at a past block) and the Mailbox account proven once per batch, many
//! transactions in flight; (4) saves the cursor atomically.
//!
//! Exactly once comes from the mainnet: the Mailbox refuses a known message id, and the
//! relayer treats "already relayed" as success. A crash at any instant at worst repeats
//! work since the last saved cursor. Failed messages are retried with backoff up to a cap,
//! then kept with their reason for `spn trace`.

mod batch;
mod checkpoint;
mod config;
mod errors;
mod forced;
mod metrics;
mod outbound;
mod relayer;
mod sender;
mod signatures;
mod state;
mod trace;

pub use checkpoint::CheckpointStep;
pub use config::{RelayerConfig, SpnEndpoint};
pub use errors::describe;
pub use metrics::RelayerMetrics;
pub use outbound::{outbox_proofs, scan, Outbound, OutboxProofs};
pub use relayer::{Relayer, SpnRound};
pub use sender::{Call, Outcome, Sent, TxSender};
pub use signatures::{assemble, has_quorum, EpochSet, NotYet, Submission};
pub use state::{backoff_ms, PendingMessage, RelayerState, SpnCursor};
pub use trace::{trace, Hop, Trace, TraceSources};

use alloy::providers::{DynProvider, Provider, ProviderBuilder};

/// A read-only provider over HTTP.
pub fn connect(url: &str) -> Result<DynProvider, String> {
    let parsed = url
        .parse()
        .map_err(|e| format!("{url} is not a valid RPC URL: {e}"))?;
    Ok(ProviderBuilder::new().connect_http(parsed).erased())
}
