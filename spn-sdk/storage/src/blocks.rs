//! Write blocks atomically and read blocks, receipts, transactions and logs back.

use crate::codec::{
    decode_body, decode_receipts, encode_account, encode_body, encode_receipts, num_key, read_u64,
    storage_key,
};
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::state_root::PreparedState;
use crate::tables;
use alloy_rlp::{Decodable, Encodable};
use rocksdb::{Direction, IteratorMode, WriteBatch, WriteOptions};
use spn_primitives::{Address, Bloom, Header, Log, RecoveredTx, SealedBlock, StoredReceipt, B256};
use std::collections::BTreeSet;

/// Where a transaction is: its block and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLocation {
    /// Block number.
    pub number: u64,
    /// Index in the block.
    pub index: u32,
}

/// A log filter over a block range (inclusive).
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// First block.
    pub from: u64,
    /// Last block.
    pub to: u64,
    /// Emitting addresses (any of); empty matches all.
    pub addresses: Vec<Address>,
    /// Per topic position, accepted values (any of); an empty position matches all.
    pub topics: Vec<Vec<B256>>,
}

/// A log found by a query, with its position in the chain.
#[derive(Debug, Clone)]
pub struct FoundLog {
    /// The log.
    pub log: Log,
    /// Block number.
    pub block_number: u64,
    /// Block hash.
    pub block_hash: B256,
    /// Block timestamp.
    pub block_timestamp: u64,
    /// Transaction hash.
    pub tx_hash: B256,
    /// Transaction index.
    pub tx_index: u64,
    /// Index of the log within the block.
    pub log_index: u64,
}

impl LogQuery {
    /// Whether a log matches the address and topic filters.
    pub fn matches(&self, log: &Log) -> bool {
        if !self.addresses.is_empty() && !self.addresses.contains(&log.address) {
            return false;
        }
        let topics = log.topics();
        self.topics.iter().enumerate().all(|(i, wanted)| {
            wanted.is_empty() || topics.get(i).is_some_and(|t| wanted.contains(t))
        })
    }

    fn bloom_may_match(&self, bloom: &Bloom) -> bool {
        use spn_primitives::primitives::BloomInput;
        let addr_ok = self.addresses.is_empty()
            || self
                .addresses
                .iter()
                .any(|a| bloom.contains_input(BloomInput::Raw(a.as_slice())));
        addr_ok
            && self.topics.iter().all(|wanted| {
                wanted.is_empty()
                    || wanted
                        .iter()
                        .any(|t| bloom.contains_input(BloomInput::Raw(t.as_slice())))
            })
    }
}

impl Store {
    /// Writes a block, its receipts and its state changes in one atomic batch and makes it
    /// the head.
    pub fn commit_block(
        &self,
        block: &SealedBlock,
        receipts: &[StoredReceipt],
        prepared: PreparedState,
    ) -> Result<()> {
        self.commit_block_with_system_logs(block, receipts, &[], prepared)
    }

    /// [`Store::commit_block`], keeping also the logs of the block's system calls (which have
    /// no receipt) for [`Store::logs`].
    pub fn commit_block_with_system_logs(
        &self,
        block: &SealedBlock,
        receipts: &[StoredReceipt],
        system_logs: &[Log],
        prepared: PreparedState,
    ) -> Result<()> {
        if let Some((head, _)) = self.head()? {
            if block.number() != head + 1 {
                return Err(StoreError::Mismatch(format!(
                    "block {} does not extend head {head}",
                    block.number()
                )));
            }
        }
        let mut batch = WriteBatch::default();
        let accounts = self.cf(tables::ACCOUNTS)?;
        let storage = self.cf(tables::STORAGE)?;
        let trie = self.cf(tables::TRIE)?;
        let code = self.cf(tables::CODE)?;
        for address in &prepared.storage_wipes {
            let mut start = address.as_slice().to_vec();
            start.resize(52, 0);
            let mut end = address.as_slice().to_vec();
            end.resize(53, 0xff);
            batch.delete_range_cf(storage, start, end);
        }
        for owner in &prepared.trie_wipes {
            let start = owner.as_slice().to_vec();
            let mut end = owner.as_slice().to_vec();
            end.resize(32 + 66, 0xff);
            batch.delete_range_cf(trie, start, end);
        }
        for (address, account) in &prepared.accounts {
            match account {
                Some(a) => batch.put_cf(accounts, address.as_slice(), encode_account(a)),
                None => batch.delete_cf(accounts, address.as_slice()),
            }
        }
        for (address, slot, value) in &prepared.slots {
            let key = storage_key(address, slot);
            if value.is_zero() {
                batch.delete_cf(storage, key);
            } else {
                batch.put_cf(storage, key, value.to_be_bytes::<32>());
            }
        }
        for (key, node) in &prepared.trie_writes {
            match node {
                Some(n) => batch.put_cf(trie, key, n),
                None => batch.delete_cf(trie, key),
            }
        }
        self.record_history(
            &mut batch,
            block.number(),
            &prepared.trie_wipes,
            &prepared.trie_writes,
        )?;
        for (hash, bytes) in &prepared.code {
            batch.put_cf(code, hash.as_slice(), bytes);
        }

        let n = num_key(block.number());
        let mut header = Vec::new();
        block.header.encode(&mut header);
        batch.put_cf(self.cf(tables::HEADERS)?, n, header);
        batch.put_cf(self.cf(tables::CANONICAL)?, n, block.hash.as_slice());
        batch.put_cf(self.cf(tables::HASHES)?, block.hash.as_slice(), n);
        batch.put_cf(
            self.cf(tables::BODIES)?,
            n,
            encode_body(&block.transactions),
        );
        batch.put_cf(self.cf(tables::RECEIPTS)?, n, encode_receipts(receipts));
        let tx_index = self.cf(tables::TX_INDEX)?;
        for (i, tx) in block.transactions.iter().enumerate() {
            let mut loc = [0u8; 12];
            loc[..8].copy_from_slice(&n);
            loc[8..].copy_from_slice(&(i as u32).to_be_bytes());
            batch.put_cf(tx_index, tx.hash.as_slice(), loc);
        }
        if !system_logs.is_empty() {
            batch.put_cf(
                self.cf(tables::RECEIPTS)?,
                system_logs_key(block.number()),
                encode_receipts(&[system_receipt(system_logs)]),
            );
        }
        let log_index = self.cf(tables::LOG_INDEX)?;
        let emitters: BTreeSet<Address> = receipts
            .iter()
            .flat_map(|r| r.logs.iter().map(|l| l.address))
            .chain(system_logs.iter().map(|l| l.address))
            .collect();
        for address in emitters {
            let mut key = address.as_slice().to_vec();
            key.extend_from_slice(&n);
            batch.put_cf(log_index, key, []);
        }
        let meta = self.cf(tables::META)?;
        let mut head = n.to_vec();
        head.extend_from_slice(block.hash.as_slice());
        batch.put_cf(meta, tables::KEY_HEAD, head);
        if block.number() == 0 {
            batch.put_cf(meta, tables::KEY_CHAIN_ID, prepared.chain_id.to_be_bytes());
        }
        let mut opts = WriteOptions::default();
        opts.set_sync(self.sync_writes);
        self.db.write_opt(batch, &opts)?;
        Ok(())
    }

    /// The header of a canonical block.
    pub fn header(&self, number: u64) -> Result<Option<Header>> {
        let cf = self.cf(tables::HEADERS)?;
        self.db
            .get_pinned_cf(cf, num_key(number))?
            .map(|v| {
                Header::decode(&mut &v[..])
                    .map_err(|_| StoreError::Corrupt(format!("header {number}")))
            })
            .transpose()
    }

    /// The hash of a canonical block.
    pub fn canonical_hash(&self, number: u64) -> Result<Option<B256>> {
        let cf = self.cf(tables::CANONICAL)?;
        Ok(self
            .db
            .get_pinned_cf(cf, num_key(number))?
            .filter(|v| v.len() == 32)
            .map(|v| B256::from_slice(&v)))
    }

    /// The number of a block by hash.
    pub fn block_number(&self, hash: &B256) -> Result<Option<u64>> {
        let cf = self.cf(tables::HASHES)?;
        self.db
            .get_pinned_cf(cf, hash.as_slice())?
            .map(|v| read_u64(&v))
            .transpose()
    }

    /// The transactions of a block.
    pub fn body(&self, number: u64) -> Result<Option<Vec<RecoveredTx>>> {
        let cf = self.cf(tables::BODIES)?;
        self.db
            .get_pinned_cf(cf, num_key(number))?
            .map(|v| decode_body(&v))
            .transpose()
    }

    /// The receipts of a block.
    pub fn receipts(&self, number: u64) -> Result<Option<Vec<StoredReceipt>>> {
        let cf = self.cf(tables::RECEIPTS)?;
        self.db
            .get_pinned_cf(cf, num_key(number))?
            .map(|v| decode_receipts(&v))
            .transpose()
    }

    /// The logs of block `number`'s system calls (empty if none).
    pub fn system_logs(&self, number: u64) -> Result<Vec<Log>> {
        let cf = self.cf(tables::RECEIPTS)?;
        match self.db.get_pinned_cf(cf, system_logs_key(number))? {
            None => Ok(Vec::new()),
            Some(v) => Ok(decode_receipts(&v)?
                .into_iter()
                .flat_map(|r| r.logs)
                .collect()),
        }
    }

    /// Where a transaction was included.
    pub fn transaction_location(&self, hash: &B256) -> Result<Option<BlockLocation>> {
        let cf = self.cf(tables::TX_INDEX)?;
        match self.db.get_pinned_cf(cf, hash.as_slice())? {
            None => Ok(None),
            Some(v) if v.len() == 12 => Ok(Some(BlockLocation {
                number: read_u64(&v[..8])?,
                index: u32::from_be_bytes([v[8], v[9], v[10], v[11]]),
            })),
            Some(_) => Err(StoreError::Corrupt("transaction index entry".into())),
        }
    }

    /// Logs matching `query`. The caller caps the range.
    pub fn logs(&self, query: &LogQuery) -> Result<Vec<FoundLog>> {
        let mut candidates = BTreeSet::new();
        if query.addresses.is_empty() {
            for number in query.from..=query.to {
                if let Some(h) = self.header(number)? {
                    if query.bloom_may_match(&h.logs_bloom) {
                        candidates.insert(number);
                    }
                }
            }
        } else {
            let cf = self.cf(tables::LOG_INDEX)?;
            for address in &query.addresses {
                let mut start = address.as_slice().to_vec();
                start.extend_from_slice(&num_key(query.from));
                let iter = self
                    .db
                    .iterator_cf(cf, IteratorMode::From(&start, Direction::Forward));
                for item in iter {
                    let (k, _) = item?;
                    if k.len() != 28 || &k[..20] != address.as_slice() {
                        break;
                    }
                    let number = read_u64(&k[20..])?;
                    if number > query.to {
                        break;
                    }
                    candidates.insert(number);
                }
            }
        }
        let mut out = Vec::new();
        for number in candidates {
            let (Some(header), Some(receipts), Some(body)) = (
                self.header(number)?,
                self.receipts(number)?,
                self.body(number)?,
            ) else {
                continue;
            };
            let hash = self.canonical_hash(number)?.unwrap_or_default();
            let mut log_index = 0u64;
            for (tx_index, (receipt, tx)) in receipts.iter().zip(&body).enumerate() {
                for log in &receipt.logs {
                    if query.matches(log) {
                        out.push(FoundLog {
                            log: log.clone(),
                            block_number: number,
                            block_hash: hash,
                            block_timestamp: header.timestamp,
                            tx_hash: tx.hash,
                            tx_index: tx_index as u64,
                            log_index,
                        });
                    }
                    log_index += 1;
                }
            }
            // System calls' logs come after the transactions' (so receipts keep their log
            // indexes), with no transaction: a zero hash and the index past the last.
            for log in self.system_logs(number)? {
                if query.matches(&log) {
                    out.push(FoundLog {
                        log,
                        block_number: number,
                        block_hash: hash,
                        block_timestamp: header.timestamp,
                        tx_hash: B256::ZERO,
                        tx_index: body.len() as u64,
                        log_index,
                    });
                }
                log_index += 1;
            }
        }
        Ok(out)
    }
}

/// The key of a block's system-call logs in the receipts table (after the block's receipts).
fn system_logs_key(number: u64) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[..8].copy_from_slice(&num_key(number));
    key[8] = b's';
    key
}

/// System-call logs stored in the receipt encoding.
fn system_receipt(logs: &[Log]) -> StoredReceipt {
    StoredReceipt {
        tx_type: 0,
        success: true,
        cumulative_gas_used: 0,
        gas_used: 0,
        logs: logs.to_vec(),
        contract_address: None,
    }
}
