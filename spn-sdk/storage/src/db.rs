//! Open the database, hold the data directory lock, and check consistency on start.

use crate::codec::{decode_account, num_key, read_u64};
use crate::error::{Result, StoreError};
use crate::history::HistorySet;
use crate::tables::{self, KEY_CHAIN_ID, KEY_HEAD, KEY_SCHEMA, SCHEMA_VERSION};
use fs4::fs_std::FileExt;
use rocksdb::{BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, Options, DB};
use spn_primitives::{AccountState, Address, Header, B256};
use std::fs::File;
use std::path::{Path, PathBuf};
use tracing::{info, warn};

/// Tuning knobs for the database.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Shared block cache size in bytes.
    pub cache_bytes: usize,
    /// fsync the write-ahead log on every block commit (survives power loss, not just crashes).
    pub sync_writes: bool,
    /// Accounts whose past states stay provable (`eth_getProof` at any block); recorded from
    /// genesis on, so set it before the datadir is created.
    pub proof_history: Vec<Address>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            cache_bytes: 256 << 20,
            sync_writes: true,
            proof_history: Vec::new(),
        }
    }
}

/// The chain database: RocksDB plus the exclusive lock on its data directory.
pub struct Store {
    pub(crate) db: DB,
    pub(crate) sync_writes: bool,
    pub(crate) history: HistorySet,
    pub(crate) history_active: bool,
    dir: PathBuf,
    _lock: File,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).finish()
    }
}

impl Store {
    /// Opens (or creates) the database under `dir`, taking an exclusive lock on the directory.
    pub fn open(dir: &Path, options: &StoreOptions) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            context: format!("creating data directory {}", dir.display()),
            source,
        })?;
        let lock_path = dir.join("LOCK");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| StoreError::Io {
                context: format!("opening {}", lock_path.display()),
                source,
            })?;
        if !FileExt::try_lock_exclusive(&lock).unwrap_or(false) {
            return Err(StoreError::Locked {
                path: dir.display().to_string(),
            });
        }

        let cache = Cache::new_lru_cache(options.cache_bytes);
        let mut block = BlockBasedOptions::default();
        block.set_block_cache(&cache);
        block.set_bloom_filter(10.0, false);
        block.set_cache_index_and_filter_blocks(true);
        let mut cf_opts = Options::default();
        cf_opts.set_block_based_table_factory(&block);
        cf_opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        let mut db_opts = Options::default();
        db_opts.create_if_missing(true);
        db_opts.create_missing_column_families(true);
        db_opts.increase_parallelism(2);
        db_opts.set_max_background_jobs(2);
        db_opts.set_keep_log_file_num(3);
        let cfs = tables::ALL
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, cf_opts.clone()));
        let db = DB::open_cf_descriptors(&db_opts, dir.join("db"), cfs)?;
        let mut store = Self {
            db,
            sync_writes: options.sync_writes,
            history: HistorySet::new(&options.proof_history),
            history_active: false,
            dir: dir.to_path_buf(),
            _lock: lock,
        };
        store.check_schema()?;
        store.history_active = store.history_recordable()?;
        Ok(store)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn cf(&self, name: &str) -> Result<&ColumnFamily> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| StoreError::Corrupt(format!("missing column family {name}")))
    }

    /// History is recorded only if it was from genesis on: a datadir created without it
    /// would answer with missing nodes.
    fn history_recordable(&self) -> Result<bool> {
        if self.history.is_empty() {
            return Ok(false);
        }
        let meta = self.cf(tables::META)?;
        if self.head()?.is_none() || self.db.get_cf(meta, tables::KEY_HISTORY_FROM)?.is_some() {
            return Ok(true);
        }
        warn!("this datadir was created without proof history; past states cannot be proven");
        Ok(false)
    }

    fn check_schema(&self) -> Result<()> {
        let meta = self.cf(tables::META)?;
        match self.db.get_cf(meta, KEY_SCHEMA)? {
            None => {
                self.db
                    .put_cf(meta, KEY_SCHEMA, SCHEMA_VERSION.to_be_bytes())?;
                Ok(())
            }
            Some(v) if read_u64(&v)? == SCHEMA_VERSION => Ok(()),
            Some(v) => Err(StoreError::Mismatch(format!(
                "database schema version {} is not supported (expected {SCHEMA_VERSION}); \
                 use a new --datadir",
                read_u64(&v)?
            ))),
        }
    }

    /// The chain id this database was created for, if initialized.
    pub fn chain_id(&self) -> Result<Option<u64>> {
        let meta = self.cf(tables::META)?;
        self.db
            .get_cf(meta, KEY_CHAIN_ID)?
            .map(|v| read_u64(&v))
            .transpose()
    }

    /// The head: latest committed block number and hash, if any block is stored.
    pub fn head(&self) -> Result<Option<(u64, B256)>> {
        let meta = self.cf(tables::META)?;
        match self.db.get_cf(meta, KEY_HEAD)? {
            None => Ok(None),
            Some(v) if v.len() == 40 => Ok(Some((read_u64(&v)?, B256::from_slice(&v[8..])))),
            Some(_) => Err(StoreError::Corrupt("malformed head pointer".into())),
        }
    }

    /// Reads an account from the latest state.
    pub fn account(&self, address: &Address) -> Result<Option<AccountState>> {
        let cf = self.cf(tables::ACCOUNTS)?;
        self.db
            .get_pinned_cf(cf, address.as_slice())?
            .map(|v| decode_account(&v))
            .transpose()
    }

    /// Verifies the database on start: the head block exists, its header's state root equals
    /// the trie's root, and nothing is stored above the head (anything there is removed).
    /// Returns an error, and the node must not start, if the state does not match the head.
    pub fn check_consistency(&self) -> Result<()> {
        let Some((number, hash)) = self.head()? else {
            return Ok(());
        };
        let header: Header = self
            .header(number)?
            .ok_or_else(|| StoreError::Corrupt(format!("head block {number} has no header")))?;
        if header.hash_slow() != hash {
            return Err(StoreError::Corrupt(format!(
                "head block {number} header hash does not match the head pointer"
            )));
        }
        let root = self.state_root()?;
        if root != header.state_root {
            return Err(StoreError::Corrupt(format!(
                "state root {root} does not match head block {number} (expects {}); \
                 the state is partial — restore a backup or resync into a new --datadir",
                header.state_root
            )));
        }
        // Heal: drop canonical entries above the head (a write that never became the head).
        let canon = self.cf(tables::CANONICAL)?;
        let mut stray = 0u64;
        let mut batch = rocksdb::WriteBatch::default();
        let iter = self.db.iterator_cf(
            canon,
            rocksdb::IteratorMode::From(&num_key(number + 1), rocksdb::Direction::Forward),
        );
        for item in iter {
            let (k, _) = item?;
            batch.delete_cf(canon, &k);
            stray += 1;
        }
        if stray > 0 {
            warn!(stray, "removed entries above the head");
            self.db.write(batch)?;
        }
        info!(number, %hash, "database consistent");
        Ok(())
    }
}
