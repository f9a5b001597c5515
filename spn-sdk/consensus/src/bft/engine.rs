//! Drive one `bft` node through heights: start and restart from the write-ahead log, timers, batches, and moving to the next height.
//!
//! Message intake lives in `receive.rs`, the round rules (propose, prevote, precommit,
//! commit) in `ordering.rs`.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::{SigningKey, VerifyingKey};

use super::availability::{Availability, Own};
use super::events::{BftAction, BftEvent, WalEntry};
use super::height::{Candidate, Exec, HeightState, Step};
use super::messages::{BftMessage, Proposal, Vote, VoteKind};
use super::stake::StakeSet;
use crate::poa::ValidatorIndex;

/// Tuning of the `bft` engine; every validator of a chain must use the same `chain_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BftConfig {
    /// The chain id, bound into every signature.
    pub chain_id: u64,
    /// How long a validator waits for the round's proposal (round 0).
    pub propose_timeout_ms: u64,
    /// How long after a quorum of prevotes (not all for one block) it waits before
    /// precommitting nil.
    pub prevote_timeout_ms: u64,
    /// How long after a quorum of precommits (not all for one block) it waits before moving
    /// to the next round.
    pub precommit_timeout_ms: u64,
    /// How much longer each timeout is per round.
    pub timeout_step_ms: u64,
    /// Rounds after which timeouts stop growing.
    pub max_timeout_rounds: u32,
    /// Once batches holding more than two thirds of stake are certified, how long the leader
    /// waits for the rest before proposing without them.
    pub batch_grace_ms: u64,
    /// After that grace, a batch the leader has already seen holding transactions but not yet
    /// certified (its acks still coming: large batches take longer to check) is waited for
    /// this much longer. Leaving it out would push its transactions to a later block and
    /// make the same senders' transactions in the next batches skip for nonce gaps.
    pub busy_batch_grace_ms: u64,
    /// With no transactions anywhere, propose an empty batch (and so a block) this long after
    /// the last block; `None`: blocks only when there are transactions.
    pub idle_block_ms: Option<u64>,
    /// Verified messages for at most this many heights ahead are kept for later.
    pub future_heights: u64,
    /// At most this many early messages are kept.
    pub max_future_messages: usize,
    /// Messages for rounds more than this far ahead of ours are ignored.
    pub max_round_ahead: u32,
}

impl BftConfig {
    /// Defaults for chain `chain_id`: 1 s to propose, 0.5 s prevote/precommit waits, +0.5 s
    /// per round, 50 ms batch grace, an empty block after 1 s idle.
    pub fn new(chain_id: u64) -> Self {
        Self {
            chain_id,
            propose_timeout_ms: 1_000,
            prevote_timeout_ms: 500,
            precommit_timeout_ms: 500,
            timeout_step_ms: 500,
            max_timeout_rounds: 10,
            batch_grace_ms: 50,
            busy_batch_grace_ms: 400,
            idle_block_ms: Some(1_000),
            future_heights: 16,
            max_future_messages: 4_096,
            max_round_ahead: 64,
        }
    }

    /// `base` grown by the round's step.
    pub fn timeout(&self, base: u64, round: u32) -> u64 {
        let steps = u64::from(round.min(self.max_timeout_rounds));
        base.saturating_add(self.timeout_step_ms.saturating_mul(steps))
    }
}

/// What a timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timer {
    Propose {
        height: u64,
        round: u32,
    },
    Prevote {
        height: u64,
        round: u32,
    },
    Precommit {
        height: u64,
        round: u32,
    },
    Grace {
        height: u64,
    },
    BusyGrace {
        height: u64,
    },
    Idle {
        height: u64,
    },
    /// A round's last resort: its messages are sent again and the next round starts.
    Round {
        height: u64,
        round: u32,
    },
}

impl Timer {
    fn height(&self) -> u64 {
        match *self {
            Self::Propose { height, .. }
            | Self::Prevote { height, .. }
            | Self::Precommit { height, .. }
            | Self::Grace { height }
            | Self::BusyGrace { height }
            | Self::Idle { height }
            | Self::Round { height, .. } => height,
        }
    }
}

/// Why a validator set cannot be installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BftInstallError {
    /// The set would change a height already being decided (or one whose batches are).
    #[error("a validator set from height {from_height} comes too late: height {current} is being decided")]
    TooLate {
        /// The first height the set was meant for.
        from_height: u64,
        /// The height being decided.
        current: u64,
    },
}

/// The `bft` engine of one node (a validator, or a follower without a key).
#[derive(Debug)]
pub struct Bft {
    pub(super) config: BftConfig,
    pub(super) signer: Option<SigningKey>,
    pub(super) sets: BTreeMap<u64, StakeSet>,
    pub(super) sets_known_through: Option<u64>,
    pub(super) started: bool,
    pub(super) head: u64,
    /// Our position in the current height's set.
    pub(super) me: Option<ValidatorIndex>,
    pub(super) timers: BTreeMap<u64, Timer>,
    pub(super) timer_ids: u64,
    pub(super) state: HeightState,
    /// Batches of the current height and of the next (proposed while this one is ordered).
    pub(super) avail: Availability,
    pub(super) next: Availability,
    /// Verified messages for later heights.
    pub(super) future: Vec<BftMessage>,
    /// The highest height a verified message was seen for, and a validator that sent it.
    pub(super) highest_seen: Option<(u64, [u8; 32])>,
    /// The pool has transactions not yet in a batch.
    pub(super) txs_waiting: bool,
    /// The idle timer of the current height fired.
    pub(super) idle_passed: bool,
    /// The leader's grace for missing batches passed at the current height.
    pub(super) grace_passed: bool,
    /// The longer grace for batches seen with transactions passed at the current height.
    pub(super) busy_grace_passed: bool,
    /// Proposers whose batch was not in the last committed block (not waited for).
    pub(super) absent: BTreeSet<ValidatorIndex>,
}

impl Bft {
    /// A validator signing with `key` (it takes part at heights whose set holds its key).
    pub fn validator(config: BftConfig, key: SigningKey) -> Self {
        Self::with_signer(config, Some(key))
    }

    /// A follower: verifies and commits certified blocks, never signs.
    pub fn follower(config: BftConfig) -> Self {
        Self::with_signer(config, None)
    }

    fn with_signer(config: BftConfig, signer: Option<SigningKey>) -> Self {
        Self {
            config,
            signer,
            sets: BTreeMap::new(),
            sets_known_through: None,
            started: false,
            head: 0,
            me: None,
            timers: BTreeMap::new(),
            timer_ids: 0,
            state: HeightState::new(1),
            avail: Availability::new(1),
            next: Availability::new(2),
            future: Vec::new(),
            highest_seen: None,
            txs_waiting: false,
            idle_passed: false,
            grace_passed: false,
            busy_grace_passed: false,
            absent: BTreeSet::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &BftConfig {
        &self.config
    }

    /// This validator's public key (`None` for a follower).
    pub fn public_key(&self) -> Option<VerifyingKey> {
        self.signer.as_ref().map(SigningKey::verifying_key)
    }

    /// The latest committed height.
    pub fn head(&self) -> u64 {
        self.head
    }

    /// The height being decided, and this node's round in it.
    pub fn position(&self) -> (u64, u32) {
        (self.state.height, self.state.round)
    }

    /// A one-line summary of the height being decided, for logs.
    pub fn status(&self) -> String {
        let batches: Vec<_> = self.avail.batches.keys().collect();
        let certified: Vec<_> = self.avail.certified.keys().collect();
        let acks: Vec<_> = self
            .avail
            .acks
            .iter()
            .map(|((p, d), voters)| {
                format!("{p}:{:02x}{:?}", d[0], voters.keys().collect::<Vec<_>>())
            })
            .collect();
        format!(
            "height {} round {} step {:?} active {} batches {:?} acks {:?} certified {:?} next-certified {:?} own {} locked {} grace {} absent {:?}",
            self.state.height,
            self.state.round,
            self.state.step,
            self.state.active,
            batches,
            acks,
            certified,
            self.next.certified.keys().collect::<Vec<_>>(),
            match &self.avail.own {
                Own::None => "none",
                Own::Building => "building",
                Own::Sent(_) => "sent",
            },
            self.state.locked.is_some(),
            self.grace_passed,
            self.absent,
        )
    }

    /// The block this validator is locked on at the current height, if any.
    pub fn locked(&self) -> Option<(u32, [u8; 32])> {
        self.state.locked
    }

    /// The validator set of `height`, if one is installed.
    pub fn validators_at(&self, height: u64) -> Option<&StakeSet> {
        if self.set_unknown_at(height) {
            return None;
        }
        self.sets.range(..=height).next_back().map(|(_, set)| set)
    }

    /// Uses `validators` from `from_height` on (the next epoch's Staking snapshot). It must
    /// arrive before batches for that height are exchanged (two heights ahead).
    pub fn install_validators(
        &mut self,
        from_height: u64,
        validators: StakeSet,
    ) -> Result<(), BftInstallError> {
        if self.started && from_height <= self.state.height.saturating_add(1) {
            return Err(BftInstallError::TooLate {
                from_height,
                current: self.state.height,
            });
        }
        self.sets.insert(from_height, validators);
        Ok(())
    }

    /// Says that installed sets are known only up to `height`; later heights wait for
    /// [`Bft::install_validators`].
    pub fn validators_known_through(&mut self, height: u64) {
        self.sets_known_through = Some(height);
    }

    pub(super) fn set_unknown_at(&self, height: u64) -> bool {
        self.sets_known_through.is_some_and(|known| height > known)
    }

    /// The current height's set (always installed once started).
    pub(super) fn set(&self) -> &StakeSet {
        self.sets
            .range(..=self.state.height)
            .next_back()
            .map(|(_, s)| s)
            .expect("a set is installed for the current height")
    }

    /// Our position in the set of `height`.
    pub(super) fn me_at(&self, height: u64) -> Option<ValidatorIndex> {
        let key = self.public_key()?;
        self.validators_at(height)?.index_of(&key)
    }

    /// Handles one event and returns the actions to perform, in order.
    pub fn on_event(&mut self, event: BftEvent) -> Vec<BftAction> {
        let mut out = Vec::new();
        match event {
            BftEvent::Started {
                head,
                validators,
                wal,
            } => self.start(head, validators, wal, &mut out),
            _ if !self.started => {}
            BftEvent::Timeout { id } => self.on_timeout(id, &mut out),
            BftEvent::TransactionsPending => {
                self.txs_waiting = true;
                self.maybe_build_batches(&mut out);
            }
            BftEvent::BatchBuilt {
                height,
                tx_count,
                payload,
            } => self.on_batch_built(height, tx_count, payload, &mut out),
            BftEvent::BatchValidated {
                height,
                proposer,
                digest,
                valid,
            } => self.on_batch_validated(height, proposer, digest, valid, &mut out),
            BftEvent::BlockBuilt {
                height,
                round,
                block_hash,
                timestamp_ms,
                extra_data,
            } => self.on_block_built(
                height,
                round,
                block_hash,
                (timestamp_ms, extra_data),
                &mut out,
            ),
            BftEvent::BuildFailed { height, round } => {
                if height == self.state.height && self.state.building == Some(round) {
                    self.state.building = None;
                }
            }
            BftEvent::BlockExecuted {
                height,
                block_hash,
                valid,
            } => self.on_executed(height, block_hash, valid, &mut out),
            BftEvent::Committed { height } => {
                if self.state.committing && height == self.state.height {
                    self.head = height;
                    self.enter_height(height.saturating_add(1), Vec::new(), &mut out);
                }
            }
            BftEvent::Message(message) => self.on_message(message, &mut out),
        }
        out
    }

    fn start(
        &mut self,
        head: u64,
        validators: StakeSet,
        wal: Vec<WalEntry>,
        out: &mut Vec<BftAction>,
    ) {
        let first = head.saturating_add(1);
        self.started = true;
        self.head = head;
        self.sets.retain(|&from, _| from > first);
        self.sets.insert(first, validators);
        self.future.clear();
        self.highest_seen = None;
        self.timers.clear();
        self.avail = Availability::new(first);
        self.next = Availability::new(first.saturating_add(1));
        self.absent.clear();
        let wal = wal.into_iter().filter(|e| e.height() >= first).collect();
        self.enter_height(first, wal, out);
    }

    /// Starts deciding `height`, restoring what the write-ahead log holds for it.
    pub(super) fn enter_height(
        &mut self,
        height: u64,
        wal: Vec<WalEntry>,
        out: &mut Vec<BftAction>,
    ) {
        if let Some(base) = self.sets.range(..=height).next_back().map(|(h, _)| *h) {
            self.sets = self.sets.split_off(&base);
        }
        // Timers of decided heights are dropped; one for this height (the leader's grace,
        // started while the last height was decided) is kept.
        self.timers.retain(|_, t| t.height() >= height);
        self.me = self.me_at(height);
        self.state = HeightState::new(height);
        let next = std::mem::replace(&mut self.next, Availability::new(height.saturating_add(1)));
        self.avail = if next.height == height {
            next
        } else {
            Availability::new(height)
        };
        self.idle_passed = false;
        self.grace_passed = false;
        self.busy_grace_passed = false;
        if self.highest_seen.is_some_and(|(h, _)| h <= height) {
            self.highest_seen = None;
        }
        self.restore(wal, out);
        let first = self
            .config
            .idle_block_ms
            .unwrap_or_else(|| self.resend_period());
        self.schedule(Timer::Idle { height }, first, out);
        let buffered = std::mem::take(&mut self.future);
        let (now, later): (Vec<_>, Vec<_>) = buffered
            .into_iter()
            .filter(|m| m.height() >= height)
            .partition(|m| m.height() <= height.saturating_add(1));
        self.future = later;
        for message in now {
            self.on_message(message, out);
        }
        if self.avail.seen_anything() {
            self.activate(out);
        }
        // A certified batch of the new height may already let the leader propose, and our
        // batch for the next height may now be due.
        self.check_quorum_timer(out);
        self.maybe_build_batches(out);
        self.try_propose(out);
        self.progress(out);
    }

    /// Takes back, after a restart, what this validator signed at the current height (and
    /// its batch for the next): it will never sign anything conflicting.
    fn restore(&mut self, wal: Vec<WalEntry>, out: &mut Vec<BftAction>) {
        let height = self.state.height;
        let mut restored_round = None::<u32>;
        for entry in wal {
            match entry {
                WalEntry::Vote(vote) if vote.height == height => {
                    let round = vote.round;
                    self.state
                        .own_votes
                        .insert((round, vote.kind), vote.block_hash);
                    if vote.kind == VoteKind::Precommit
                        && vote.block_hash != super::messages::NIL
                        && self.state.locked.is_none_or(|(r, _)| r <= round)
                    {
                        self.state.locked = Some((round, vote.block_hash));
                    }
                    restored_round = Some(restored_round.map_or(round, |r| r.max(round)));
                    self.state
                        .round_mut(round)
                        .votes_mut(vote.kind)
                        .insert(vote.validator, vote.clone());
                    out.push(BftAction::Broadcast(BftMessage::Vote(vote)));
                }
                WalEntry::Proposal(p) if p.height == height => {
                    self.state.own_proposals.insert(p.round);
                    restored_round = Some(restored_round.map_or(p.round, |r| r.max(p.round)));
                }
                WalEntry::Batch(batch) => self.restore_batch(batch, out),
                WalEntry::Locked {
                    proposal,
                    round,
                    polka,
                } if proposal.height == height => {
                    self.restore_lock(proposal, round, polka, out);
                }
                _ => {}
            }
        }
        if let Some(round) = restored_round {
            self.state.round = round;
            let voted = |kind| self.state.own_votes.contains_key(&(round, kind));
            self.state.step = if voted(VoteKind::Precommit) {
                Step::Precommit
            } else if voted(VoteKind::Prevote) {
                Step::Prevote
            } else {
                Step::Propose
            };
            self.state.active = true;
            // Move on from the restored round after a while; the rules may decide sooner.
            let after = self.config.timeout(self.config.propose_timeout_ms, round);
            self.schedule(Timer::Precommit { height, round }, after, out);
        }
    }

    /// Takes back the block we locked on: its proposal (executed again, to be proposed
    /// again when we lead) and the prevotes that justify the lock (sent again).
    fn restore_lock(
        &mut self,
        proposal: Proposal,
        round: u32,
        polka: Vec<Vote>,
        out: &mut Vec<BftAction>,
    ) {
        let hash = proposal.block_hash;
        if self.state.valid.is_none_or(|(r, _)| r < round) {
            self.state.valid = Some((round, hash));
        }
        for vote in polka {
            out.push(BftAction::Broadcast(BftMessage::Vote(vote.clone())));
            self.state
                .round_mut(round)
                .prevotes
                .entry(vote.validator)
                .or_insert(vote);
        }
        if let std::collections::btree_map::Entry::Vacant(slot) = self.state.candidates.entry(hash)
        {
            out.push(BftAction::ExecuteProposal {
                height: proposal.height,
                block_hash: hash,
                proposer: proposal.builder,
                timestamp_ms: proposal.timestamp_ms,
                extra_data: proposal.extra_data.clone(),
                batches: proposal
                    .batches
                    .iter()
                    .map(|c| (c.batch.header.proposer, c.batch.payload.clone()))
                    .collect(),
            });
            slot.insert(Candidate {
                proposal: Some(proposal),
                exec: Exec::Pending,
            });
        }
    }

    /// The height has work: run its rounds (from round 0, unless restored further).
    pub(super) fn activate(&mut self, out: &mut Vec<BftAction>) {
        if self.state.active || self.state.committing {
            return;
        }
        self.state.active = true;
        self.start_round(0, out);
    }

    pub(super) fn schedule(&mut self, timer: Timer, after_ms: u64, out: &mut Vec<BftAction>) {
        self.timer_ids = self.timer_ids.wrapping_add(1);
        let id = self.timer_ids;
        self.timers.insert(id, timer);
        out.push(BftAction::ScheduleTimeout { id, after_ms });
    }

    fn on_timeout(&mut self, id: u64, out: &mut Vec<BftAction>) {
        let Some(timer) = self.timers.remove(&id) else {
            return;
        };
        let height = self.state.height;
        if self.state.committing {
            return;
        }
        match timer {
            Timer::Idle { height: h } if h == height => {
                self.idle_passed = true;
                self.maybe_build_batches(out);
                // Messages may have been lost: send our batches and acks again, and keep
                // doing so until the height is decided.
                self.resend_availability(out);
                let every = self.resend_period();
                self.schedule(Timer::Idle { height }, every, out);
            }
            Timer::Round { height: h, round } if h == height && round == self.state.round => {
                self.resend_round(out);
                self.start_round(round.saturating_add(1), out);
                self.request_sync_if_behind(out);
            }
            Timer::Grace { height: h } if h == height => {
                self.grace_passed = true;
                self.try_propose(out);
            }
            Timer::BusyGrace { height: h } if h == height => {
                self.busy_grace_passed = true;
                self.try_propose(out);
            }
            Timer::Propose { height: h, round } if h == height && round == self.state.round => {
                if self.state.step == Step::Propose {
                    self.cast(VoteKind::Prevote, super::messages::NIL, out);
                }
                self.request_sync_if_behind(out);
            }
            Timer::Prevote { height: h, round }
                if h == height && round == self.state.round && self.state.step == Step::Prevote =>
            {
                self.cast(VoteKind::Precommit, super::messages::NIL, out);
            }
            Timer::Precommit { height: h, round } if h == height && round == self.state.round => {
                self.start_round(round.saturating_add(1), out);
                self.request_sync_if_behind(out);
            }
            _ => {}
        }
        self.progress(out);
    }

    /// How often an undecided height's own batches and acks are sent again.
    fn resend_period(&self) -> u64 {
        self.config
            .idle_block_ms
            .unwrap_or(self.config.propose_timeout_ms)
            .max(self.config.propose_timeout_ms)
    }

    /// Sends again what we signed in the current round (votes, and our proposal).
    fn resend_round(&mut self, out: &mut Vec<BftAction>) {
        let Some(me) = self.me else {
            return;
        };
        let current = self.state.round;
        for (round, rv) in &self.state.rounds {
            if *round == current {
                if let Some(p) = rv.proposal.as_ref().filter(|p| p.proposer == me) {
                    out.push(BftAction::Broadcast(BftMessage::Proposal(p.clone())));
                }
            }
            // This round's votes, and earlier rounds' votes for a block (they may still
            // complete a quorum: prevotes prove locks, precommits of any round finalize).
            for vote in rv
                .prevotes
                .get(&me)
                .into_iter()
                .chain(rv.precommits.get(&me))
            {
                if *round == current || vote.block_hash != super::messages::NIL {
                    out.push(BftAction::Broadcast(BftMessage::Vote(vote.clone())));
                }
            }
        }
    }
}
