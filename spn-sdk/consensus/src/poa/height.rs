//! Keep what the engine knows about the height it is deciding: round, lock, proposals, votes, certificate.
//!
//! Invariants: `votes` holds at most one vote per validator and only votes that verified for
//! this height; `certificate`, once set, is never replaced; `lock` never changes once set.

use std::collections::{BTreeMap, BTreeSet};

use super::events::Lock;
use super::messages::{BlockHash, CommitCertificate, Proposal, Vote};
use super::validators::{ValidatorIndex, ValidatorSet};

/// A voter counts as live if heard from within this many rounds (votes are re-sent every round).
const LIVE_ROUNDS: u32 = 2;

/// What the node said about executing a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Execution {
    /// Asked, not answered yet.
    Pending,
    /// Executed on the head and valid.
    Valid,
    /// Invalid, or its bytes do not hash to its hash.
    Invalid,
}

/// The state of the undecided height `head + 1`.
#[derive(Debug)]
pub(super) struct HeightState {
    /// The height.
    pub height: u64,
    /// The round this node is in.
    pub round: u32,
    /// This validator's vote at this height, if it voted.
    pub lock: Option<Lock>,
    /// The latest-round proposal received from each proposer.
    pub proposals: BTreeMap<ValidatorIndex, Proposal>,
    /// Bytes of the certified block, when they came with a certificate.
    pub decided_block: Option<(BlockHash, Vec<u8>)>,
    /// What the node said about each block it was asked to execute.
    pub executions: BTreeMap<BlockHash, Execution>,
    /// Proposers whose block was invalid at this height; their proposals are ignored.
    pub disqualified: BTreeSet<ValidatorIndex>,
    /// Verified votes, one per validator.
    pub votes: BTreeMap<ValidatorIndex, Vote>,
    /// The (local) round each voter's vote was last received in.
    pub heard: BTreeMap<ValidatorIndex, u32>,
    /// The certificate, once a quorum voted for one block.
    pub certificate: Option<CommitCertificate>,
    /// The round a [`BuildBlock`](super::PoaAction::BuildBlock) is outstanding for.
    pub building: Option<u32>,
    /// `Commit` was asked for; waiting for `Committed`.
    pub committing: bool,
    /// The certificate came from others (a certificate or sync message) before this node
    /// voted: they finished without it, so it is late.
    pub late: bool,
    /// This node already let one of its rounds pass without a block, waiting for a block it
    /// heard votes for but lacks.
    pub skipped: bool,
}

impl HeightState {
    /// A fresh height, possibly with the lock restored after a restart.
    pub fn new(height: u64, lock: Option<Lock>) -> Self {
        Self {
            height,
            round: 0,
            lock,
            proposals: BTreeMap::new(),
            decided_block: None,
            executions: BTreeMap::new(),
            disqualified: BTreeSet::new(),
            votes: BTreeMap::new(),
            heard: BTreeMap::new(),
            certificate: None,
            building: None,
            committing: false,
            skipped: false,
            late: false,
        }
    }

    /// The bytes of block `hash`, if any source gave them.
    pub fn block(&self, hash: &BlockHash) -> Option<&Vec<u8>> {
        if let Some(lock) = self.lock.as_ref().filter(|l| l.block_hash == *hash) {
            return Some(&lock.block);
        }
        if let Some(p) = self.proposals.values().find(|p| p.block_hash == *hash) {
            return Some(&p.block);
        }
        self.decided_block
            .as_ref()
            .filter(|(h, _)| h == hash)
            .map(|(_, b)| b)
    }

    /// Drops the bytes of the invalid block `hash` and disqualifies the proposers that sent it.
    pub fn forget_block(&mut self, hash: &BlockHash) {
        let senders: Vec<_> = self
            .proposals
            .iter()
            .filter(|(_, p)| p.block_hash == *hash)
            .map(|(i, _)| *i)
            .collect();
        for index in senders {
            self.proposals.remove(&index);
            self.disqualified.insert(index);
        }
        if self.decided_block.as_ref().is_some_and(|(h, _)| h == hash) {
            self.decided_block = None;
        }
    }

    /// How many validators voted for `hash`.
    pub fn votes_for(&self, hash: &BlockHash) -> usize {
        self.votes
            .values()
            .filter(|v| v.block_hash == *hash)
            .count()
    }

    /// A certificate from the votes for `hash`, by increasing validator position.
    pub fn certificate_for(&self, hash: BlockHash) -> CommitCertificate {
        CommitCertificate {
            height: self.height,
            block_hash: hash,
            signatures: self
                .votes
                .values()
                .filter(|v| v.block_hash == hash)
                .map(|v| (v.validator, v.signature))
                .collect(),
        }
    }

    /// The held proposal with the most votes (ties: the latest round), unless known invalid:
    /// what an unlocked proposer re-proposes instead of building a competing block.
    pub fn most_voted_held_block(&self) -> Option<(BlockHash, Vec<u8>)> {
        self.proposals
            .values()
            .filter(|p| self.executions.get(&p.block_hash) != Some(&Execution::Invalid))
            .map(|p| (self.votes_for(&p.block_hash), p.round, p))
            .max_by_key(|(votes, round, _)| (*votes, *round))
            .map(|(_, _, p)| (p.block_hash, p.block.clone()))
    }

    /// The block an unlocked validator should join rather than start a competing one: among
    /// blocks with votes, not known invalid, that can still reach a quorum and have a voter
    /// heard from lately, the one with the most votes (ties: the latest proposal round, then
    /// the lowest hash). A proposal counts as its proposer's vote (a proposer votes for what
    /// it offers). A block whose bytes we lack counts only with more than `max_faulty` votes,
    /// so at least one honest voter holds it (and relays it): Byzantine votes for a block
    /// nobody has cannot hold the height hostage.
    pub fn preferred(&self, set: &ValidatorSet, max_faulty: usize) -> Option<BlockHash> {
        #[derive(Default)]
        struct Support {
            votes: usize,
            live: bool,
            round: u32,
        }
        let mut tally: BTreeMap<BlockHash, Support> = BTreeMap::new();
        for vote in self.votes.values() {
            let entry = tally.entry(vote.block_hash).or_default();
            entry.votes += 1;
            entry.live |= self.is_live(vote.validator);
        }
        let mut voters = self.votes.len();
        for (proposer, p) in &self.proposals {
            let entry = tally.entry(p.block_hash).or_default();
            entry.round = entry.round.max(p.round);
            if !self.votes.contains_key(proposer) {
                voters += 1;
                entry.votes += 1;
                entry.live |= p.round.saturating_add(LIVE_ROUNDS) >= self.round;
            }
        }
        let free = set.len().saturating_sub(voters);
        tally
            .into_iter()
            .filter(|(hash, s)| {
                s.live
                    && self.executions.get(hash) != Some(&Execution::Invalid)
                    && set.is_quorum(s.votes.saturating_add(free))
                    && (self.block(hash).is_some() || s.votes > max_faulty)
            })
            .max_by(|(h1, a), (h2, b)| (a.votes, a.round).cmp(&(b.votes, b.round)).then(h2.cmp(h1)))
            .map(|(hash, _)| hash)
    }

    /// Whether a live voter voted for a block we lack and do not know to be invalid.
    pub fn heard_of_missing_block(&self) -> bool {
        self.votes.values().any(|v| {
            self.is_live(v.validator)
                && self.block(&v.block_hash).is_none()
                && self.executions.get(&v.block_hash) != Some(&Execution::Invalid)
        })
    }

    /// Whether `validator`'s vote was received within the last `LIVE_ROUNDS` rounds.
    fn is_live(&self, validator: ValidatorIndex) -> bool {
        self.heard
            .get(&validator)
            .is_some_and(|r| r.saturating_add(LIVE_ROUNDS) >= self.round)
    }

    /// Whether `sig` by validator `index` for `hash` is a vote already verified and counted.
    pub fn has_verified_vote(
        &self,
        index: ValidatorIndex,
        hash: &BlockHash,
        sig: &[u8; 64],
    ) -> bool {
        self.votes
            .get(&index)
            .is_some_and(|v| v.block_hash == *hash && v.signature == *sig)
    }
}
