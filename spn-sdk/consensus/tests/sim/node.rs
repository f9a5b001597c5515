//! The simulated node around one engine: a durable chain and lock, a volatile execution cache,
//! and the blocks it builds.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::SigningKey;
use spn_consensus::poa::{BlockHash, CommitCertificate, Decision, Lock, Poa, PoaConfig};

/// The simulated SPN's id.
pub const SPN: u32 = 4242;

/// One running copy of a validator (a twin is a second copy of the same key).
pub struct SimNode {
    /// Position of its key in the validator set.
    pub key_index: usize,
    /// Its signing key.
    pub key: SigningKey,
    /// 0 for an honest node; twins of one key get 1 and 2 (their blocks differ).
    pub salt: u8,
    /// Blocks this node builds are invalid (a Byzantine proposer).
    pub builds_invalid: bool,
    /// The engine while the node is up.
    pub engine: Option<Poa>,
    /// Bumped at each restart, so timers and results of a previous life are dropped.
    pub incarnation: u64,
    /// Durable: committed blocks (hash, bytes, certificate), height `i + 1` at index `i`.
    pub chain: Vec<(BlockHash, Vec<u8>, CommitCertificate)>,
    /// Durable: the last lock persisted.
    pub lock: Option<Lock>,
    /// Volatile: blocks executed valid at the current height.
    pub executed: BTreeMap<BlockHash, Vec<u8>>,
    /// Heights a certified block was delivered for by sync.
    pub synced: BTreeSet<u64>,
    /// Commits of blocks that arrived by sync.
    pub commits_by_sync: u64,
}

impl SimNode {
    /// A node for validator `key_index` with `key`, down until started.
    pub fn new(key_index: usize, key: SigningKey, salt: u8, builds_invalid: bool) -> Self {
        Self {
            key_index,
            key,
            salt,
            builds_invalid,
            engine: None,
            incarnation: 0,
            chain: Vec::new(),
            lock: None,
            executed: BTreeMap::new(),
            synced: BTreeSet::new(),
            commits_by_sync: 0,
        }
    }

    /// The committed head.
    pub fn head(&self) -> u64 {
        self.chain.len() as u64
    }

    /// Whether the node is up.
    pub fn is_up(&self) -> bool {
        self.engine.is_some()
    }

    /// Twins are the Byzantine copies; everyone else is honest.
    pub fn is_honest(&self) -> bool {
        self.salt == 0
    }

    /// A fresh engine (the caller sends it `Started`); volatile state is lost.
    pub fn boot(&mut self, config: &PoaConfig) {
        self.incarnation += 1;
        self.executed.clear();
        self.engine = Some(Poa::validator(config.clone(), self.key.clone()));
    }

    /// The node crashes: the engine and everything volatile are gone.
    pub fn crash(&mut self) {
        self.engine = None;
        self.executed.clear();
    }

    /// The certified blocks from `from` on, at most `max`, as sync serves them.
    pub fn decisions(&self, from: u64, max: usize) -> Vec<Decision> {
        let start = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
        self.chain
            .iter()
            .skip(start)
            .take(max)
            .map(|(_, block, certificate)| Decision {
                certificate: certificate.clone(),
                block: block.clone(),
            })
            .collect()
    }
}

/// A simulated block: the node's encoding of (height, round, proposer, salt, validity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimBlock {
    /// Its height.
    pub height: u64,
    /// The round it was built for.
    pub round: u32,
    /// Who built it.
    pub proposer: u32,
    /// Distinguishes the blocks of twins.
    pub salt: u8,
    /// Whether executing it succeeds.
    pub valid: bool,
}

impl SimBlock {
    /// Its bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![b'B'];
        bytes.extend_from_slice(&self.height.to_be_bytes());
        bytes.extend_from_slice(&self.round.to_be_bytes());
        bytes.extend_from_slice(&self.proposer.to_be_bytes());
        bytes.push(self.salt);
        bytes.push(u8::from(self.valid));
        bytes
    }

    /// Parses bytes made by [`SimBlock::encode`].
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 19 || bytes[0] != b'B' {
            return None;
        }
        Some(Self {
            height: u64::from_be_bytes(bytes[1..9].try_into().ok()?),
            round: u32::from_be_bytes(bytes[9..13].try_into().ok()?),
            proposer: u32::from_be_bytes(bytes[13..17].try_into().ok()?),
            salt: bytes[17],
            valid: bytes[18] == 1,
        })
    }
}

/// The simulated block hash: the block's bytes, zero-padded (injective, so hashes of
/// different blocks differ).
pub fn block_hash(bytes: &[u8]) -> BlockHash {
    let mut hash = [0u8; 32];
    let n = bytes.len().min(32);
    hash[..n].copy_from_slice(&bytes[..n]);
    hash
}
