//! Keep what a consensus engine must not forget across a crash: its last vote (lock) and the
//! finality certificate of each committed block, in the `META` column family under
//! `consensus/`. Records are opaque bytes; the engine encodes them.

use crate::codec::num_key;
use crate::error::Result;
use crate::tables;
use crate::Store;
use rocksdb::WriteOptions;

const LOCK_KEY: &[u8] = b"consensus/lock";
const CERTIFICATE_PREFIX: &[u8] = b"consensus/certificate/";

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
}
