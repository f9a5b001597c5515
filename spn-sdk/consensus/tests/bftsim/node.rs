//! The simulated node around one `bft` engine: a durable chain and write-ahead log, a pool of
//! simulated transfers, batch building and validation, and deterministic block building.
//!
//! A transaction is 8 bytes: sender (u32) ‖ nonce (u32). A block executes the batches in order
//! and keeps each transaction whose nonce is its sender's next one (so duplicates and gaps are
//! skipped); its bytes are height ‖ parent ‖ timestamp ‖ leader ‖ the kept transactions, and
//! its hash is SHA-256 of them.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::SigningKey;
use spn_consensus::bft::{
    owner_index, sha256, Bft, BftConfig, CommitCertificate, Decision, Hash, WalEntry,
};

/// A simulated transfer.
pub type Tx = (u32, u32);

/// How a node misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Follows the protocol (crashes and restarts are not misbehaviour).
    Honest,
    /// Signs conflicting votes, proposals and batches for the two halves of the network.
    Equivocator,
    /// Never runs.
    Silent,
    /// One of two copies of one key, each reaching half of the network.
    Twin(u8),
    /// Sends batches with other validators' transactions and junk, and forged signatures.
    InvalidBatches,
}

/// One running copy of a validator.
pub struct SimNode {
    pub key_index: u32,
    pub key: SigningKey,
    pub role: Role,
    pub engine: Option<Bft>,
    pub incarnation: u64,
    /// Durable: committed blocks (hash, bytes, certificate); height `i + 1` at index `i`.
    pub chain: Vec<(Hash, Vec<u8>, CommitCertificate)>,
    /// Durable: the write-ahead log.
    pub wal: Vec<WalEntry>,
    /// Volatile: blocks executed valid at the current height.
    pub executed: BTreeMap<Hash, Vec<u8>>,
    /// Volatile: transactions in this validator's unfinished batches, by batch height.
    pub in_flight: BTreeMap<u64, Vec<Tx>>,
    /// Commits of blocks delivered by sync.
    pub commits_by_sync: u64,
    pub synced: BTreeSet<u64>,
}

impl SimNode {
    pub fn new(key_index: u32, key: SigningKey, role: Role) -> Self {
        Self {
            key_index,
            key,
            role,
            engine: None,
            incarnation: 0,
            chain: Vec::new(),
            wal: Vec::new(),
            executed: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            commits_by_sync: 0,
            synced: BTreeSet::new(),
        }
    }

    pub fn head(&self) -> u64 {
        self.chain.len() as u64
    }

    pub fn head_hash(&self) -> Hash {
        self.chain.last().map_or([0; 32], |(h, _, _)| *h)
    }

    pub fn head_timestamp(&self) -> u64 {
        self.chain
            .last()
            .and_then(|(_, b, _)| SimBlock::decode(b))
            .map_or(0, |b| b.timestamp)
    }

    pub fn is_up(&self) -> bool {
        self.engine.is_some()
    }

    /// Honest nodes (crashing ones included) are the ones safety and liveness are checked on.
    pub fn is_honest(&self) -> bool {
        self.role == Role::Honest
    }

    pub fn boot(&mut self, config: &BftConfig) {
        self.incarnation += 1;
        self.executed.clear();
        self.in_flight.clear();
        self.engine = Some(Bft::validator(config.clone(), self.key.clone()));
    }

    pub fn crash(&mut self) {
        self.engine = None;
        self.executed.clear();
        self.in_flight.clear();
    }

    /// The next nonce of every sender after the committed chain.
    pub fn nonces(&self) -> BTreeMap<u32, u32> {
        let mut nonces = BTreeMap::new();
        for (_, bytes, _) in &self.chain {
            if let Some(block) = SimBlock::decode(bytes) {
                for (sender, nonce) in block.txs {
                    nonces.insert(sender, nonce + 1);
                }
            }
        }
        nonces
    }

    /// The transactions of the committed chain.
    pub fn committed_txs(&self) -> BTreeSet<Tx> {
        self.chain
            .iter()
            .filter_map(|(_, b, _)| SimBlock::decode(b))
            .flat_map(|b| b.txs)
            .collect()
    }

    /// This validator's batch for `height`: its own senders' pending transactions, in nonce
    /// order, not in an unfinished batch, at most `max`.
    pub fn build_batch(
        &mut self,
        height: u64,
        pool: &BTreeSet<Tx>,
        n: usize,
        max: usize,
    ) -> Vec<Tx> {
        let committed = self.nonces();
        let taken: BTreeSet<Tx> = self.in_flight.values().flatten().copied().collect();
        let mut batch = Vec::new();
        let mut next: BTreeMap<u32, u32> = BTreeMap::new();
        for &(sender, nonce) in pool {
            if owner_index(&sender.to_be_bytes(), n) != self.key_index {
                continue;
            }
            let expect = next
                .get(&sender)
                .copied()
                .unwrap_or_else(|| committed.get(&sender).copied().unwrap_or(0));
            if nonce < expect {
                continue;
            }
            if taken.contains(&(sender, nonce)) {
                next.insert(sender, nonce + 1);
                continue;
            }
            if nonce != expect || batch.len() >= max {
                continue;
            }
            batch.push((sender, nonce));
            next.insert(sender, nonce + 1);
        }
        self.in_flight.insert(height, batch.clone());
        batch
    }

    /// Blocks from `from` on, at most `max`, as sync serves them.
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

/// Encodes transactions as a batch payload.
pub fn encode_txs(txs: &[Tx]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(txs.len() * 8);
    for (sender, nonce) in txs {
        bytes.extend_from_slice(&sender.to_be_bytes());
        bytes.extend_from_slice(&nonce.to_be_bytes());
    }
    bytes
}

/// Decodes a batch payload.
pub fn decode_txs(bytes: &[u8]) -> Option<Vec<Tx>> {
    if !bytes.len().is_multiple_of(8) {
        return None;
    }
    Some(
        bytes
            .chunks(8)
            .map(|c| {
                (
                    u32::from_be_bytes(c[..4].try_into().unwrap()),
                    u32::from_be_bytes(c[4..].try_into().unwrap()),
                )
            })
            .collect(),
    )
}

/// A simulated block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimBlock {
    pub height: u64,
    pub parent: Hash,
    pub timestamp: u64,
    pub leader: u32,
    pub txs: Vec<Tx>,
}

impl SimBlock {
    /// Builds the block of `height` on the node's head from `batches` (the rule every node
    /// applies the same way).
    pub fn build(
        node: &SimNode,
        height: u64,
        timestamp: u64,
        leader: u32,
        batches: &[(u32, Vec<u8>)],
    ) -> Option<Self> {
        let mut nonces = node.nonces();
        let mut txs = Vec::new();
        for (_, payload) in batches {
            for (sender, nonce) in decode_txs(payload)? {
                let next = nonces.entry(sender).or_insert(0);
                if nonce == *next {
                    txs.push((sender, nonce));
                    *next += 1;
                }
            }
        }
        Some(Self {
            height,
            parent: node.head_hash(),
            timestamp,
            leader,
            txs,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&self.height.to_be_bytes());
        b.extend_from_slice(&self.parent);
        b.extend_from_slice(&self.timestamp.to_be_bytes());
        b.extend_from_slice(&self.leader.to_be_bytes());
        b.extend_from_slice(&encode_txs(&self.txs));
        b
    }

    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < 52 {
            return None;
        }
        Some(Self {
            height: u64::from_be_bytes(bytes[..8].try_into().ok()?),
            parent: bytes[8..40].try_into().ok()?,
            timestamp: u64::from_be_bytes(bytes[40..48].try_into().ok()?),
            leader: u32::from_be_bytes(bytes[48..52].try_into().ok()?),
            txs: decode_txs(&bytes[52..])?,
        })
    }

    pub fn hash(&self) -> Hash {
        sha256(&self.encode())
    }
}
