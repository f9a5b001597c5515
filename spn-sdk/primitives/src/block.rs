//! Hold a block whose hash is computed once.

use crate::RecoveredTx;
use alloy_consensus::Header;
use alloy_primitives::B256;

/// A header with its hash, and the block's transactions with their senders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedBlock {
    /// The header.
    pub header: Header,
    /// keccak256 of the RLP header.
    pub hash: B256,
    /// The transactions, in block order.
    pub transactions: Vec<RecoveredTx>,
}

impl SealedBlock {
    /// Seals a header: computes its hash.
    pub fn new(header: Header, transactions: Vec<RecoveredTx>) -> Self {
        let hash = header.hash_slow();
        Self {
            header,
            hash,
            transactions,
        }
    }

    /// The block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }
}

/// A block as committed, with its receipts: what subscribers (`newHeads`, `logs`) receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedBlock {
    /// The block.
    pub block: SealedBlock,
    /// Its receipts, one per transaction.
    pub receipts: Vec<crate::StoredReceipt>,
    /// Logs of its system calls (no receipt), after the transactions' logs.
    pub system_logs: Vec<crate::Log>,
}
