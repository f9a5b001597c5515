//! The `bft` write-ahead log on disk: every batch, proposal, lock and vote this validator
//! signs is appended (fsynced) before it is sent, and handed back to the engine after a
//! restart, so a crash at any instant never makes the validator sign a conflicting message.

use crate::error::NodeError;
use spn_consensus::bft::WalEntry;
use spn_storage::Store;
use std::sync::Arc;

pub(crate) struct Wal {
    store: Arc<Store>,
    next_seq: u64,
    /// (seq, height) of the records on disk.
    records: Vec<(u64, u64)>,
}

impl Wal {
    /// Opens the log and returns the entries above `head`, in the order written. An
    /// unreadable record stops the node: starting without it could mean signing twice.
    pub(crate) fn open(store: Arc<Store>, head: u64) -> Result<(Self, Vec<WalEntry>), NodeError> {
        let stored = store.wal_entries()?;
        let mut entries = Vec::new();
        let mut records = Vec::new();
        let mut next_seq = 0;
        for (seq, height, bytes) in stored {
            next_seq = next_seq.max(seq + 1);
            records.push((seq, height));
            if height <= head {
                continue;
            }
            let entry = WalEntry::decode(&bytes).map_err(|e| {
                NodeError::WrongChain(format!(
                    "write-ahead-log record {seq} (height {height}) is unreadable ({e}); \
                     refusing to start rather than risk signing twice"
                ))
            })?;
            entries.push(entry);
        }
        let mut wal = Self {
            store,
            next_seq,
            records,
        };
        wal.forget_through(head)?;
        Ok((wal, entries))
    }

    /// Appends `entry` durably.
    pub(crate) async fn append(&mut self, entry: &WalEntry) -> Result<(), NodeError> {
        let (seq, height, bytes) = (self.next_seq, entry.height(), entry.encode());
        self.next_seq += 1;
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.put_wal_entry(seq, height, &bytes))
            .await
            .map_err(|e| NodeError::Rpc(format!("write-ahead-log task failed: {e}")))??;
        self.records.push((seq, height));
        Ok(())
    }

    /// Drops the records of heights up to `height` (committed).
    pub(crate) fn forget_through(&mut self, height: u64) -> Result<(), NodeError> {
        let old: Vec<u64> = self
            .records
            .iter()
            .filter(|(_, h)| *h <= height)
            .map(|(s, _)| *s)
            .collect();
        if !old.is_empty() {
            self.store.delete_wal_entries(&old)?;
            self.records.retain(|(_, h)| *h > height);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_consensus::bft::{Vote, VoteKind};
    use spn_storage::StoreOptions;

    fn vote(height: u64, round: u32) -> WalEntry {
        WalEntry::Vote(Vote {
            kind: VoteKind::Prevote,
            height,
            round,
            block_hash: [height as u8; 32],
            validator: 1,
            signature: [3; 64],
        })
    }

    #[tokio::test]
    async fn entries_above_the_head_come_back_after_a_restart_in_order() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Arc::new(Store::open(dir.path(), &StoreOptions::default()).unwrap());
            let (mut wal, entries) = Wal::open(store, 0).unwrap();
            assert!(entries.is_empty());
            for e in [vote(1, 0), vote(2, 0), vote(2, 1), vote(3, 0)] {
                wal.append(&e).await.unwrap();
            }
            wal.forget_through(1).unwrap();
        }
        let store = Arc::new(Store::open(dir.path(), &StoreOptions::default()).unwrap());
        let (mut wal, entries) = Wal::open(store.clone(), 2).unwrap();
        assert_eq!(entries, vec![vote(3, 0)]);
        assert_eq!(store.wal_entries().unwrap().len(), 1, "height 2 forgotten");
        wal.append(&vote(4, 0)).await.unwrap();
        let (_, entries) = Wal::open(store, 2).unwrap();
        assert_eq!(
            entries,
            vec![vote(3, 0), vote(4, 0)],
            "sequence numbers go on"
        );
    }

    #[test]
    fn an_unreadable_record_stops_the_node() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), &StoreOptions::default()).unwrap());
        store.put_wal_entry(0, 5, b"garbage").unwrap();
        let err = Wal::open(store, 0).err().expect("refused");
        assert!(err.to_string().contains("refusing to start"), "{err}");
    }
}
