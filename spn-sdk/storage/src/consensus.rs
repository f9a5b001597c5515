//! Keep what a consensus engine must not forget across a crash: its last vote (lock), its
//! write-ahead log of signed messages, and the finality certificate of each committed block,
//! in the `META` column family under `consensus/`. Records are opaque bytes; the engine
//! encodes them.

use crate::codec::{num_key, read_u64};
use crate::error::Result;
use crate::error::StoreError;
use crate::tables;
use crate::Store;
use rocksdb::WriteOptions;

const LOCK_KEY: &[u8] = b"consensus/lock";
const CERTIFICATE_PREFIX: &[u8] = b"consensus/certificate/";
const WAL_PREFIX: &[u8] = b"consensus/wal/";
const SET_PREFIX: &[u8] = b"consensus/set/";

fn set_key(from_height: u64) -> Vec<u8> {
    let mut key = SET_PREFIX.to_vec();
    key.extend_from_slice(&num_key(from_height));
    key
}

fn wal_key(seq: u64) -> Vec<u8> {
    let mut key = WAL_PREFIX.to_vec();
    key.extend_from_slice(&num_key(seq));
    key
}

fn certificate_key(height: u64) -> Vec<u8> {
    let mut key = CERTIFICATE_PREFIX.to_vec();
    key.extend_from_slice(&num_key(height));
    key
}

impl Store {
    fn put_meta_durably(&self, key: &[u8], value: &[u8]) -> Result<()> {
        let meta = self.cf(tables::META)?;
        let mut opts = WriteOptions::default();
        // A vote must be on disk before it is sent, whatever `sync_writes` says.
        opts.set_sync(true);
        self.db.put_cf_opt(meta, key, value, &opts)?;
        Ok(())
    }

    fn get_meta(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let meta = self.cf(tables::META)?;
        Ok(self.db.get_cf(meta, key)?)
    }

    /// Stores the consensus engine's lock (its vote at the next height), fsynced.
    pub fn put_consensus_lock(&self, lock: &[u8]) -> Result<()> {
        self.put_meta_durably(LOCK_KEY, lock)
    }

    /// The last stored consensus lock.
    pub fn consensus_lock(&self) -> Result<Option<Vec<u8>>> {
        self.get_meta(LOCK_KEY)
    }

    /// Stores the finality certificate of block `height` (written before the block commits).
    pub fn put_certificate(&self, height: u64, certificate: &[u8]) -> Result<()> {
        self.put_meta_durably(&certificate_key(height), certificate)
    }

    /// Appends `entry` (about block `height`) to the write-ahead log as record `seq`, fsynced:
    /// the caller sends what it signed only after this returns.
    pub fn put_wal_entry(&self, seq: u64, height: u64, entry: &[u8]) -> Result<()> {
        let mut value = num_key(height).to_vec();
        value.extend_from_slice(entry);
        self.put_meta_durably(&wal_key(seq), &value)
    }

    /// Every write-ahead-log record in the order written: (seq, height, entry).
    pub fn wal_entries(&self) -> Result<Vec<(u64, u64, Vec<u8>)>> {
        let meta = self.cf(tables::META)?;
        let mut out = Vec::new();
        for item in self.db.prefix_iterator_cf(meta, WAL_PREFIX) {
            let (key, value) = item?;
            if !key.starts_with(WAL_PREFIX) {
                break;
            }
            let seq = read_u64(&key[WAL_PREFIX.len()..])?;
            if value.len() < 8 {
                return Err(StoreError::Corrupt(format!("write-ahead-log record {seq}")));
            }
            out.push((seq, read_u64(&value[..8])?, value[8..].to_vec()));
        }
        Ok(out)
    }

    /// Forgets the write-ahead-log records `seqs` (those of committed heights).
    pub fn delete_wal_entries(&self, seqs: &[u64]) -> Result<()> {
        let meta = self.cf(tables::META)?;
        let mut batch = rocksdb::WriteBatch::default();
        for seq in seqs {
            batch.delete_cf(meta, wal_key(*seq));
        }
        self.db.write(batch)?;
        Ok(())
    }

    /// Stores the validator set that decides heights from `from_height` on, fsynced.
    pub fn put_validator_set(&self, from_height: u64, set: &[u8]) -> Result<()> {
        self.put_meta_durably(&set_key(from_height), set)
    }

    /// Every stored validator set: (first height, set), by height.
    pub fn validator_sets(&self) -> Result<Vec<(u64, Vec<u8>)>> {
        let meta = self.cf(tables::META)?;
        let mut out = Vec::new();
        for item in self.db.prefix_iterator_cf(meta, SET_PREFIX) {
            let (key, value) = item?;
            if !key.starts_with(SET_PREFIX) {
                break;
            }
            out.push((read_u64(&key[SET_PREFIX.len()..])?, value.to_vec()));
        }
        Ok(out)
    }

    /// The finality certificate of block `height`, if stored.
    pub fn certificate(&self, height: u64) -> Result<Option<Vec<u8>>> {
        self.get_meta(&certificate_key(height))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, StoreOptions};

    #[test]
    fn locks_and_certificates_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
            assert_eq!(store.consensus_lock().unwrap(), None);
            store.put_consensus_lock(b"vote at 5").unwrap();
            store.put_consensus_lock(b"vote at 6").unwrap();
            store.put_certificate(5, b"cert 5").unwrap();
        }
        let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
        assert_eq!(store.consensus_lock().unwrap().unwrap(), b"vote at 6");
        assert_eq!(store.certificate(5).unwrap().unwrap(), b"cert 5");
        assert_eq!(store.certificate(6).unwrap(), None);
    }

    #[test]
    fn write_ahead_log_keeps_order_across_a_reopen_and_forgets_on_request() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
            assert!(store.wal_entries().unwrap().is_empty());
            for (seq, height) in [(0u64, 4u64), (1, 5), (2, 5), (300, 6)] {
                store
                    .put_wal_entry(seq, height, format!("entry {seq}").as_bytes())
                    .unwrap();
            }
            store.put_certificate(9, b"not a wal record").unwrap();
            store.delete_wal_entries(&[0]).unwrap();
        }
        let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
        let entries = store.wal_entries().unwrap();
        let seen: Vec<(u64, u64)> = entries.iter().map(|(s, h, _)| (*s, *h)).collect();
        assert_eq!(seen, vec![(1, 5), (2, 5), (300, 6)]);
        assert_eq!(entries[2].2, b"entry 300");
        store.put_validator_set(7, b"set 7").unwrap();
        store.put_validator_set(3, b"set 3").unwrap();
        let sets = store.validator_sets().unwrap();
        assert_eq!(sets, vec![(3, b"set 3".to_vec()), (7, b"set 7".to_vec())]);
        assert_eq!(
            store.wal_entries().unwrap().len(),
            3,
            "sets are not wal records"
        );
    }
}
