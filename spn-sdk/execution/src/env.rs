//! Translate blocks and transactions into revm's environment types.

use revm::context::{BlockEnv, TxEnv};
use revm::primitives::hardfork::SpecId;
use spn_primitives::{
    eips::eip2930::AccessList, Address, Bytes, RecoveredTx, Transaction, TxEnvelope, B256, U256,
};

/// The facts of a block that execution needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInput {
    /// Block number.
    pub number: u64,
    /// Timestamp in seconds.
    pub timestamp: u64,
    /// Fee recipient.
    pub beneficiary: Address,
    /// Gas limit.
    pub gas_limit: u64,
    /// EIP-1559 base fee.
    pub base_fee: u64,
    /// PREVRANDAO value.
    pub prevrandao: B256,
    /// The header's extra data: what the chain's extensions derive the block from (an SPN
    /// names the mainnet block and the inbound messages it applies).
    pub extra_data: Bytes,
}

impl BlockInput {
    pub(crate) fn to_env(&self, spec: SpecId) -> BlockEnv {
        let mut env = BlockEnv {
            number: U256::from(self.number),
            beneficiary: self.beneficiary,
            timestamp: U256::from(self.timestamp),
            gas_limit: self.gas_limit,
            basefee: self.base_fee,
            prevrandao: Some(self.prevrandao),
            ..Default::default()
        };
        if spec < SpecId::CANCUN {
            env.blob_excess_gas_and_price = None;
        }
        env
    }
}

/// Builds revm's transaction environment from a recovered transaction.
pub(crate) fn tx_env(tx: &RecoveredTx) -> TxEnv {
    let env = &tx.envelope;
    let (gas_price, priority, access_list) = match env {
        TxEnvelope::Legacy(t) => (t.tx().gas_price, None, AccessList::default()),
        TxEnvelope::Eip2930(t) => (t.tx().gas_price, None, t.tx().access_list.clone()),
        TxEnvelope::Eip1559(t) => (
            t.tx().max_fee_per_gas,
            Some(t.tx().max_priority_fee_per_gas),
            t.tx().access_list.clone(),
        ),
        other => (
            other.max_fee_per_gas(),
            other.max_priority_fee_per_gas(),
            AccessList::default(),
        ),
    };
    TxEnv {
        tx_type: env.tx_type() as u8,
        caller: tx.sender,
        gas_limit: env.gas_limit(),
        gas_price,
        kind: env.kind(),
        value: env.value(),
        data: env.input().clone(),
        nonce: env.nonce(),
        chain_id: env.chain_id(),
        access_list,
        gas_priority_fee: priority,
        ..Default::default()
    }
}
