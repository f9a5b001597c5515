//! Hold the ordering state of the height being decided: rounds, votes, the lock, and the blocks proposed.

use std::collections::{BTreeMap, BTreeSet};

use super::messages::{CertifiedBatch, CommitCertificate, Hash, Proposal, Vote, VoteKind, NIL};
use super::stake::StakeSet;
use crate::poa::ValidatorIndex;

/// Where a validator is within a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Step {
    /// Waiting for the leader's proposal.
    Propose,
    /// Prevoted; waiting for a quorum of prevotes.
    Prevote,
    /// Precommitted; waiting for a quorum of precommits.
    Precommit,
}

/// What the node said about a proposed (or synced) block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Exec {
    /// Sent to the node for execution.
    Pending,
    /// Built to the claimed hash and executed validly.
    Valid,
    /// Not the claimed hash, or does not execute.
    Invalid,
}

/// A block someone proposed (or sync delivered) at this height.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// The proposal it came in, with payloads (none for a block from sync).
    pub proposal: Option<Proposal>,
    /// The node's verdict.
    pub exec: Exec,
}

/// The messages of one round.
#[derive(Debug, Default)]
pub(super) struct RoundVotes {
    /// The leader's proposal.
    pub proposal: Option<Proposal>,
    /// Prevotes by validator (the first seen).
    pub prevotes: BTreeMap<ValidatorIndex, Vote>,
    /// Precommits by validator (the first seen).
    pub precommits: BTreeMap<ValidatorIndex, Vote>,
    /// A second, conflicting vote of an equivocating validator, (kind, validator) → vote. It
    /// counts too: an equivocator's stake (under a third) may count for both blocks, which is
    /// what lets the honest validators still see a quorum the equivocator helped form.
    pub conflicting: BTreeMap<(VoteKind, ValidatorIndex), Vote>,
}

/// What adding a vote did.
pub(super) enum Added {
    /// A new vote.
    New,
    /// Already counted.
    Duplicate,
    /// The validator voted differently before: the first vote, for evidence.
    Conflict(Vote),
}

impl RoundVotes {
    /// Adds a verified vote (the first conflicting one is kept and counted as well).
    pub fn add(&mut self, vote: Vote) -> Added {
        let key = (vote.kind, vote.validator);
        if let Some(first) = self.votes(vote.kind).get(&vote.validator) {
            if first.block_hash == vote.block_hash {
                return Added::Duplicate;
            }
            let first = first.clone();
            match self.conflicting.get(&key) {
                Some(second) if second.block_hash == vote.block_hash => return Added::Duplicate,
                Some(_) => {}
                None => {
                    self.conflicting.insert(key, vote);
                }
            }
            return Added::Conflict(first);
        }
        self.votes_mut(vote.kind).insert(vote.validator, vote);
        Added::New
    }

    /// Every counted vote of `kind`: the first of each validator, then conflicting ones.
    pub fn all(&self, kind: VoteKind) -> impl Iterator<Item = &Vote> {
        self.votes(kind).values().chain(
            self.conflicting
                .iter()
                .filter(move |((k, _), _)| *k == kind)
                .map(|(_, v)| v),
        )
    }

    pub fn votes(&self, kind: VoteKind) -> &BTreeMap<ValidatorIndex, Vote> {
        match kind {
            VoteKind::Prevote => &self.prevotes,
            VoteKind::Precommit => &self.precommits,
        }
    }

    pub fn votes_mut(&mut self, kind: VoteKind) -> &mut BTreeMap<ValidatorIndex, Vote> {
        match kind {
            VoteKind::Prevote => &mut self.prevotes,
            VoteKind::Precommit => &mut self.precommits,
        }
    }

    /// The stake of validators that voted `kind` for `hash`.
    pub fn weight_for(&self, set: &StakeSet, kind: VoteKind, hash: &Hash) -> u128 {
        set.weight(
            self.all(kind)
                .filter(|v| v.block_hash == *hash)
                .map(|v| v.validator),
        )
    }

    /// The votes of `kind` for `hash` (one per validator).
    pub fn votes_for(&self, kind: VoteKind, hash: &Hash) -> Vec<Vote> {
        let mut votes: BTreeMap<ValidatorIndex, Vote> = BTreeMap::new();
        for v in self.all(kind).filter(|v| v.block_hash == *hash) {
            votes.entry(v.validator).or_insert_with(|| v.clone());
        }
        votes.into_values().collect()
    }

    /// The stake of validators that voted `kind` at all.
    pub fn weight_any(&self, set: &StakeSet, kind: VoteKind) -> u128 {
        set.weight(self.votes(kind).keys().copied())
    }

    /// The stake of validators heard from in this round (any message).
    pub fn weight_heard(&self, set: &StakeSet) -> u128 {
        let proposer = self.proposal.as_ref().map(|p| p.proposer);
        set.weight(
            self.prevotes
                .keys()
                .chain(self.precommits.keys())
                .copied()
                .chain(proposer),
        )
    }

    /// A non-nil block with votes of `kind` from more than two thirds of stake.
    pub fn quorum_block(&self, set: &StakeSet, kind: VoteKind) -> Option<Hash> {
        let hashes: BTreeSet<Hash> = self
            .all(kind)
            .map(|v| v.block_hash)
            .filter(|h| *h != NIL)
            .collect();
        hashes
            .into_iter()
            .find(|h| set.is_quorum(self.weight_for(set, kind, h)))
    }
}

/// The ordering state of one height (Tendermint's per-height variables).
#[derive(Debug)]
pub(super) struct HeightState {
    pub height: u64,
    pub round: u32,
    pub step: Step,
    /// (round, block) this validator precommitted last: it prevotes only that block, unless
    /// a later round shows a quorum of prevotes for another.
    pub locked: Option<(u32, Hash)>,
    /// (round, block) that most recently had a prevote quorum with its proposal: what this
    /// validator proposes when it leads.
    pub valid: Option<(u32, Hash)>,
    pub rounds: BTreeMap<u32, RoundVotes>,
    pub candidates: BTreeMap<Hash, Candidate>,
    /// This validator's signed votes: (round, kind) → block.
    pub own_votes: BTreeMap<(u32, VoteKind), Hash>,
    /// Rounds this validator proposed in.
    pub own_proposals: BTreeSet<u32>,
    /// Rounds whose prevote / precommit timers were started.
    pub prevote_timer: BTreeSet<u32>,
    pub precommit_timer: BTreeSet<u32>,
    /// Rounds in which the prevote-quorum rule already fired.
    pub polka_seen: BTreeSet<u32>,
    /// The round we asked the node to build a block for, and the batches it was given.
    pub building: Option<u32>,
    pub building_batches: Vec<CertifiedBatch>,
    /// Rounds run (timers started): set once the height has work.
    pub active: bool,
    /// A verified certificate for this height (from a peer), if one arrived before we could
    /// finish on our own.
    pub decided: Option<CommitCertificate>,
    /// Commit asked of the node.
    pub committing: bool,
    /// The round of the last sync request, so there is at most one per round.
    pub sync_requested: Option<u32>,
}

impl HeightState {
    pub fn new(height: u64) -> Self {
        Self {
            height,
            round: 0,
            step: Step::Propose,
            locked: None,
            valid: None,
            rounds: BTreeMap::new(),
            candidates: BTreeMap::new(),
            own_votes: BTreeMap::new(),
            own_proposals: BTreeSet::new(),
            prevote_timer: BTreeSet::new(),
            precommit_timer: BTreeSet::new(),
            polka_seen: BTreeSet::new(),
            building: None,
            building_batches: Vec::new(),
            active: false,
            decided: None,
            committing: false,
            sync_requested: None,
        }
    }

    pub fn round_mut(&mut self, round: u32) -> &mut RoundVotes {
        self.rounds.entry(round).or_default()
    }

    pub fn exec_of(&self, hash: &Hash) -> Option<Exec> {
        self.candidates.get(hash).map(|c| c.exec)
    }
}
