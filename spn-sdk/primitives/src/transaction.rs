//! Decode signed transactions and recover their senders once, in parallel.

use alloy_consensus::{transaction::SignerRecoverable, Transaction, TxEnvelope};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, Bytes, B256, U256};
use rayon::prelude::*;

/// Why a raw transaction cannot enter a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The bytes are not a valid EIP-2718 transaction envelope.
    #[error("failed to decode signed transaction: {0}")]
    Decode(String),
    /// Blob (EIP-4844) and set-code (EIP-7702) transactions are not supported.
    #[error("transaction type not supported")]
    UnsupportedType,
    /// The signature does not recover to a public key (or has a high `s`).
    #[error("invalid transaction signature")]
    InvalidSignature,
    /// The transaction is signed for another chain.
    #[error("invalid chain id: transaction has {got:?}, chain is {expected}")]
    WrongChainId {
        /// The chain id in the transaction (`None` for pre-EIP-155 legacy).
        got: Option<u64>,
        /// This chain's id.
        expected: u64,
    },
}

/// A signed transaction with its sender recovered and its hash and size computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredTx {
    /// The signed transaction.
    pub envelope: TxEnvelope,
    /// The account that signed it.
    pub sender: Address,
    /// keccak256 of the EIP-2718 encoding.
    pub hash: B256,
    /// Length of the EIP-2718 encoding.
    pub encoded_len: usize,
}

impl RecoveredTx {
    /// Decodes EIP-2718 bytes, checks the type and chain id, and recovers the sender.
    pub fn decode(raw: &[u8], chain_id: u64) -> Result<Self, TxError> {
        let mut buf = raw;
        let envelope =
            TxEnvelope::decode_2718(&mut buf).map_err(|e| TxError::Decode(e.to_string()))?;
        if !buf.is_empty() {
            return Err(TxError::Decode("trailing bytes after transaction".into()));
        }
        Self::recover(envelope, chain_id)
    }

    /// Checks type and chain id of a decoded envelope and recovers its sender.
    pub fn recover(envelope: TxEnvelope, chain_id: u64) -> Result<Self, TxError> {
        match envelope {
            TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_) | TxEnvelope::Eip1559(_) => {}
            _ => return Err(TxError::UnsupportedType),
        }
        let got = envelope.chain_id();
        // Pre-EIP-155 legacy transactions (no chain id) are replayable across chains: refuse them.
        if got != Some(chain_id) {
            return Err(TxError::WrongChainId {
                got,
                expected: chain_id,
            });
        }
        let sender = envelope
            .recover_signer()
            .map_err(|_| TxError::InvalidSignature)?;
        let hash = *envelope.tx_hash();
        let encoded_len = envelope.encode_2718_len();
        Ok(Self {
            envelope,
            sender,
            hash,
            encoded_len,
        })
    }

    /// Rebuilds a transaction whose sender was recovered before (read back from storage).
    pub fn from_trusted(envelope: TxEnvelope, sender: Address) -> Self {
        let hash = *envelope.tx_hash();
        let encoded_len = envelope.encode_2718_len();
        Self {
            envelope,
            sender,
            hash,
            encoded_len,
        }
    }

    /// The EIP-2718 encoding.
    pub fn encoded(&self) -> Bytes {
        self.envelope.encoded_2718().into()
    }

    /// The nonce.
    pub fn nonce(&self) -> u64 {
        self.envelope.nonce()
    }

    /// The gas limit.
    pub fn gas_limit(&self) -> u64 {
        self.envelope.gas_limit()
    }

    /// `max_fee_per_gas`, or `gas_price` for legacy and EIP-2930 transactions.
    pub fn max_fee_per_gas(&self) -> u128 {
        self.envelope.max_fee_per_gas()
    }

    /// `max_priority_fee_per_gas`, or `gas_price` for legacy and EIP-2930 transactions.
    pub fn max_priority_fee_per_gas(&self) -> u128 {
        self.envelope
            .max_priority_fee_per_gas()
            .unwrap_or_else(|| self.envelope.max_fee_per_gas())
    }

    /// The price per gas actually paid in a block with `base_fee`.
    pub fn effective_gas_price(&self, base_fee: u64) -> u128 {
        self.envelope.effective_gas_price(Some(base_fee))
    }

    /// The most this transaction can cost its sender: `value + gas_limit * max_fee`.
    pub fn max_cost(&self) -> U256 {
        U256::from(self.gas_limit())
            .saturating_mul(U256::from(self.max_fee_per_gas()))
            .saturating_add(self.envelope.value())
    }
}

/// Decodes and recovers many raw transactions on all cores; results keep the input order.
pub fn recover_batch(raws: &[Bytes], chain_id: u64) -> Vec<Result<RecoveredTx, TxError>> {
    raws.par_iter()
        .map(|raw| RecoveredTx::decode(raw, chain_id))
        .collect()
}
