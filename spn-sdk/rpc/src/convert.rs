//! Convert stored headers, transactions, receipts and logs into alloy's RPC types.

use alloy_rpc_types_eth::{
    Block, BlockTransactions, Header as RpcHeader, Log as RpcLog, Transaction as RpcTransaction,
    TransactionReceipt, Withdrawals,
};
use spn_primitives::consensus::transaction::{Recovered, TransactionInfo};
use spn_primitives::primitives::Sealed;
use spn_primitives::rlp::{self, Encodable};
use spn_primitives::{
    Encodable2718, Header, Log, ReceiptEnvelope, RecoveredTx, StoredReceipt, Transaction, TxKind,
    B256, U256,
};
use spn_storage::FoundLog;

/// A stored block: its header, hash and transactions.
#[derive(Debug, Clone)]
pub(crate) struct StoredBlock {
    /// The header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// Its transactions.
    pub transactions: Vec<RecoveredTx>,
}

impl StoredBlock {
    /// The block fee every transaction in it paid per gas.
    pub fn base_fee(&self) -> u64 {
        self.header.base_fee_per_gas.unwrap_or_default()
    }

    /// Where transaction `index` sits, for its RPC object.
    pub fn tx_info(&self, index: usize) -> TransactionInfo {
        TransactionInfo {
            hash: self.transactions.get(index).map(|tx| tx.hash),
            index: Some(index as u64),
            block_hash: Some(self.hash),
            block_number: Some(self.header.number),
            base_fee: Some(self.base_fee()),
            block_timestamp: Some(self.header.timestamp),
        }
    }
}

/// The RLP length of the block (`size`): header, transactions, empty uncles (and withdrawals).
pub(crate) fn block_size(header: &Header, transactions: &[RecoveredTx]) -> usize {
    let list_len = |payload: usize| {
        rlp::Header {
            list: true,
            payload_length: payload,
        }
        .length()
            + payload
    };
    let txs: usize = transactions
        .iter()
        .map(|tx| tx.envelope.network_len())
        .sum();
    let mut payload = header.length() + list_len(txs) + list_len(0);
    if header.withdrawals_root.is_some() {
        payload += list_len(0);
    }
    list_len(payload)
}

/// The RPC header (`newHeads` items, and the header part of blocks).
pub(crate) fn rpc_header(header: &Header, hash: B256, size: Option<usize>) -> RpcHeader {
    RpcHeader::from_consensus(
        Sealed::new_unchecked(header.clone(), hash),
        None,
        size.map(U256::from),
    )
}

/// The RPC block, with full transaction objects or only their hashes.
pub(crate) fn rpc_block(block: &StoredBlock, full: bool) -> Block<RpcTransaction> {
    let size = block_size(&block.header, &block.transactions);
    let transactions = if full {
        BlockTransactions::Full(
            (0..block.transactions.len())
                .filter_map(|i| {
                    let tx = block.transactions.get(i)?;
                    Some(rpc_transaction(tx, Some(block.tx_info(i))))
                })
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.transactions.iter().map(|tx| tx.hash).collect())
    };
    Block {
        header: rpc_header(&block.header, block.hash, Some(size)),
        uncles: Vec::new(),
        transactions,
        withdrawals: block
            .header
            .withdrawals_root
            .map(|_| Withdrawals::new(Vec::new())),
    }
}

/// The RPC transaction; `info` is `None` for a pool transaction (null block fields, and
/// `gasPrice` equal to the fee cap as geth reports it).
pub(crate) fn rpc_transaction(tx: &RecoveredTx, info: Option<TransactionInfo>) -> RpcTransaction {
    let recovered = Recovered::new_unchecked(tx.envelope.clone(), tx.sender);
    let info = info.unwrap_or(TransactionInfo {
        hash: Some(tx.hash),
        ..Default::default()
    });
    RpcTransaction::from_transaction(recovered, info)
}

/// An RPC log with its position in the chain (`hash` is the block's).
pub(crate) fn rpc_log(
    log: Log,
    header: &Header,
    hash: B256,
    tx_hash: B256,
    tx_index: u64,
    log_index: u64,
) -> RpcLog {
    RpcLog {
        inner: log,
        block_hash: Some(hash),
        block_number: Some(header.number),
        block_timestamp: Some(header.timestamp),
        transaction_hash: Some(tx_hash),
        transaction_index: Some(tx_index),
        log_index: Some(log_index),
        removed: false,
    }
}

/// A log found by `eth_getLogs`, as RPC.
pub(crate) fn found_log(found: FoundLog) -> RpcLog {
    RpcLog {
        inner: found.log,
        block_hash: Some(found.block_hash),
        block_number: Some(found.block_number),
        block_timestamp: Some(found.block_timestamp),
        transaction_hash: Some(found.tx_hash),
        transaction_index: Some(found.tx_index),
        log_index: Some(found.log_index),
        removed: false,
    }
}

/// The RPC receipt of transaction `index`, whose first log has block-wide index `first_log`.
pub(crate) fn rpc_receipt(
    block: &StoredBlock,
    index: usize,
    receipt: &StoredReceipt,
    first_log: u64,
) -> Option<TransactionReceipt> {
    let tx = block.transactions.get(index)?;
    let mut log_index = first_log;
    let inner: ReceiptEnvelope<RpcLog> = receipt.to_envelope().map_logs(|log| {
        let rpc = rpc_log(
            log,
            &block.header,
            block.hash,
            tx.hash,
            index as u64,
            log_index,
        );
        log_index += 1;
        rpc
    });
    Some(TransactionReceipt {
        inner,
        transaction_hash: tx.hash,
        transaction_index: Some(index as u64),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        gas_used: receipt.gas_used,
        effective_gas_price: tx.effective_gas_price(block.base_fee()),
        blob_gas_used: None,
        blob_gas_price: None,
        from: tx.sender,
        to: match tx.envelope.kind() {
            TxKind::Call(to) => Some(to),
            TxKind::Create => None,
        },
        contract_address: receipt.contract_address,
    })
}

/// The RPC receipts of every transaction in a block.
pub(crate) fn rpc_receipts(
    block: &StoredBlock,
    receipts: &[StoredReceipt],
) -> Vec<TransactionReceipt> {
    let mut first_log = 0u64;
    receipts
        .iter()
        .enumerate()
        .filter_map(|(i, receipt)| {
            let rpc = rpc_receipt(block, i, receipt, first_log);
            first_log += receipt.logs.len() as u64;
            rpc
        })
        .collect()
}

/// The block-wide index of the first log of transaction `index`.
pub(crate) fn first_log_index(receipts: &[StoredReceipt], index: usize) -> u64 {
    receipts
        .iter()
        .take(index)
        .map(|r| r.logs.len() as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::consensus::SignableTransaction;
    use spn_primitives::primitives::Signature;
    use spn_primitives::{Address, Bytes, LogData, TxEip1559, TxEnvelope};

    fn tx(nonce: u64) -> RecoveredTx {
        let tx = TxEip1559 {
            chain_id: 7,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 30,
            max_priority_fee_per_gas: 2,
            to: TxKind::Call(Address::repeat_byte(0xbb)),
            ..Default::default()
        };
        let sig = Signature::new(U256::from(1), U256::from(2), false);
        let envelope = TxEnvelope::from(tx.into_signed(sig));
        RecoveredTx::from_trusted(envelope, Address::repeat_byte(0xaa))
    }

    fn block() -> StoredBlock {
        let header = Header {
            number: 5,
            timestamp: 1_700_000_000,
            base_fee_per_gas: Some(10),
            ..Default::default()
        };
        let hash = header.hash_slow();
        StoredBlock {
            header,
            hash,
            transactions: vec![tx(0), tx(1)],
        }
    }

    fn log(n: u8) -> Log {
        Log {
            address: Address::repeat_byte(n),
            data: LogData::new_unchecked(vec![B256::repeat_byte(n)], Bytes::new()),
        }
    }

    #[test]
    fn block_size_matches_consensus_encoding() {
        let b = block();
        let consensus = spn_primitives::consensus::Block {
            header: b.header.clone(),
            body: spn_primitives::consensus::BlockBody {
                transactions: b.transactions.iter().map(|t| t.envelope.clone()).collect(),
                ommers: Vec::<Header>::new(),
                withdrawals: None,
            },
        };
        assert_eq!(block_size(&b.header, &b.transactions), consensus.length());
    }

    #[test]
    fn receipts_carry_positions_gas_and_log_indexes() {
        let b = block();
        let receipts = vec![
            StoredReceipt {
                tx_type: 2,
                success: true,
                cumulative_gas_used: 21_000,
                gas_used: 21_000,
                logs: vec![log(1), log(2)],
                contract_address: None,
            },
            StoredReceipt {
                tx_type: 2,
                success: false,
                cumulative_gas_used: 50_000,
                gas_used: 29_000,
                logs: vec![log(3)],
                contract_address: None,
            },
        ];
        let rpc = rpc_receipts(&b, &receipts);
        assert_eq!(rpc.len(), 2);
        assert_eq!(rpc[1].gas_used, 29_000);
        assert_eq!(rpc[1].effective_gas_price, 12);
        assert_eq!(rpc[1].from, Address::repeat_byte(0xaa));
        assert_eq!(rpc[1].inner.logs()[0].log_index, Some(2));
        assert_eq!(rpc[1].inner.logs()[0].transaction_index, Some(1));
        assert_eq!(first_log_index(&receipts, 1), 2);
        let json = serde_json::to_value(&rpc[1]).unwrap();
        assert_eq!(json["status"], "0x0");
        assert_eq!(json["type"], "0x2");
        assert_eq!(json["blockNumber"], "0x5");
        assert_eq!(json["logs"][0]["blockTimestamp"], "0x6553f100");
        assert_eq!(json["logs"][0]["removed"], false);
    }

    #[test]
    fn blocks_and_transactions_have_full_json_fields() {
        let b = block();
        let json = serde_json::to_value(rpc_block(&b, true)).unwrap();
        for field in [
            "hash",
            "parentHash",
            "sha3Uncles",
            "miner",
            "stateRoot",
            "transactionsRoot",
            "receiptsRoot",
            "logsBloom",
            "difficulty",
            "number",
            "gasLimit",
            "gasUsed",
            "timestamp",
            "extraData",
            "mixHash",
            "nonce",
            "baseFeePerGas",
            "size",
            "uncles",
            "transactions",
        ] {
            assert!(json.get(field).is_some(), "missing {field}");
        }
        let tx = &json["transactions"][1];
        assert_eq!(tx["blockNumber"], "0x5");
        assert_eq!(tx["transactionIndex"], "0x1");
        assert_eq!(tx["gasPrice"], "0xc");
        assert_eq!(
            tx["from"],
            format!("{}", Address::repeat_byte(0xaa)).to_lowercase()
        );
        let hashes = serde_json::to_value(rpc_block(&b, false)).unwrap();
        assert_eq!(
            hashes["transactions"][0],
            format!("{}", b.transactions[0].hash)
        );

        let pending = serde_json::to_value(rpc_transaction(&tx_pending(), None)).unwrap();
        assert!(pending["blockHash"].is_null());
        assert!(pending["blockNumber"].is_null());
        assert_eq!(pending["gasPrice"], "0x1e");
    }

    fn tx_pending() -> RecoveredTx {
        tx(9)
    }
}
