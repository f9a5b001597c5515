//! Store a receipt with the per-transaction facts RPC needs beside the consensus receipt.

use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, TxType};
use alloy_primitives::{Address, Log};
use serde::{Deserialize, Serialize};

/// A transaction's receipt as a block stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReceipt {
    /// EIP-2718 type of the transaction.
    pub tx_type: u8,
    /// Whether execution succeeded.
    pub success: bool,
    /// Gas used by the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// Gas used by this transaction alone.
    pub gas_used: u64,
    /// The logs it emitted.
    pub logs: Vec<Log>,
    /// Address of the contract it created, if any.
    pub contract_address: Option<Address>,
}

impl StoredReceipt {
    /// The consensus receipt (with bloom), as hashed into `receiptsRoot`.
    pub fn to_envelope(&self) -> ReceiptEnvelope {
        let receipt = Receipt {
            status: Eip658Value::Eip658(self.success),
            cumulative_gas_used: self.cumulative_gas_used,
            logs: self.logs.clone(),
        };
        let with_bloom = ReceiptWithBloom::from(receipt);
        match TxType::try_from(self.tx_type).unwrap_or(TxType::Legacy) {
            TxType::Eip2930 => ReceiptEnvelope::Eip2930(with_bloom),
            TxType::Eip1559 => ReceiptEnvelope::Eip1559(with_bloom),
            TxType::Eip4844 => ReceiptEnvelope::Eip4844(with_bloom),
            TxType::Eip7702 => ReceiptEnvelope::Eip7702(with_bloom),
            _ => ReceiptEnvelope::Legacy(with_bloom),
        }
    }
}
