//! Name what the RPC server needs from a running chain.

use spn_execution::{BlockInput, Executor};
use spn_primitives::{Address, CommittedBlock, RecoveredTx, B256};
use spn_storage::Store;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Why a transaction was not accepted into the pool (the message is returned to the client).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SubmitError(pub String);

/// The running chain as the RPC server sees it. Implemented by the node.
pub trait ChainBackend: Send + Sync + 'static {
    /// The chain id (EIP-155).
    fn chain_id(&self) -> u64;
    /// `web3_clientVersion`, e.g. `pharos-node/v0.1.0`.
    fn client_version(&self) -> String;
    /// Committed blocks, receipts, logs, state and proofs.
    fn store(&self) -> &Store;
    /// Runs `eth_call` / `eth_estimateGas`.
    fn executor(&self) -> &Executor;
    /// The environment of the next block (number = head + 1, its base fee, timestamp now),
    /// used for calls against "latest"/"pending".
    fn next_block_input(&self) -> BlockInput;
    /// Validates a transaction whose sender is already recovered and adds it to the pool.
    fn submit_transaction(&self, tx: RecoveredTx) -> Result<B256, SubmitError>;
    /// A transaction still in the pool.
    fn pool_transaction(&self, hash: &B256) -> Option<RecoveredTx>;
    /// The next nonce counting the sender's pending pool transactions, if it has any.
    fn pending_nonce(&self, address: &Address) -> Option<u64>;
    /// Suggested priority fee (`eth_maxPriorityFeePerGas`), in wei.
    fn suggested_priority_fee(&self) -> u128;
    /// Every block committed from now on (for `newHeads` and `logs` subscriptions).
    fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<CommittedBlock>>;
    /// Whether the node is catching up with its network (for `eth_syncing`).
    fn syncing(&self) -> bool {
        false
    }
}
