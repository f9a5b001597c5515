//! Drive one node through heights and rounds: start, timeouts, proposing, voting, committing.
//!
//! Message intake (verification, buffering, counting) lives in `receive.rs`; this file holds the
//! engine's state and every transition that is not a received message.

use std::collections::BTreeMap;

use ed25519_dalek::{SigningKey, VerifyingKey};

use super::events::{Lock, PoaAction, PoaEvent};
use super::height::HeightState;
use super::messages::PoaMessage;
use super::validators::{ValidatorIndex, ValidatorSet};

/// Tuning of the `poa` engine; every node of an SPN must use the same `spn_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoaConfig {
    /// The SPN's id, bound into every signature.
    pub spn_id: u32,
    /// How long round 0 of a height lasts before moving to round 1.
    pub round_timeout_ms: u64,
    /// How much longer each further round lasts.
    pub round_timeout_step_ms: u64,
    /// Rounds after which the timeout stops growing.
    pub max_timeout_rounds: u32,
    /// In rounds after the first, how long a proposer with no block in hand waits before
    /// building one, so that a block others voted for (re-sent on their timeouts) can reach
    /// it first. Should exceed the usual message delay.
    pub proposal_delay_ms: u64,
    /// How many heights ahead of the current one verified messages are kept for later.
    pub future_heights: u64,
    /// At most this many early messages are kept (a bound on memory).
    pub max_future_messages: usize,
}

impl PoaConfig {
    /// Defaults for SPN `spn_id`: 2 s first round, +1 s per round up to 10 rounds, 0.5 s
    /// proposal delay.
    pub fn new(spn_id: u32) -> Self {
        Self {
            spn_id,
            round_timeout_ms: 2_000,
            round_timeout_step_ms: 1_000,
            max_timeout_rounds: 10,
            proposal_delay_ms: 500,
            future_heights: 32,
            max_future_messages: 1_024,
        }
    }

    /// The timeout of `round`.
    pub fn timeout_ms(&self, round: u32) -> u64 {
        let steps = u64::from(round.min(self.max_timeout_rounds));
        self.round_timeout_ms
            .saturating_add(self.round_timeout_step_ms.saturating_mul(steps))
    }
}

/// Why a validator set cannot be installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    /// The set would change a height already being decided (or decided).
    #[error("a validator set from height {from_height} comes too late: height {current} is being decided")]
    TooLate {
        /// The first height the set was meant for.
        from_height: u64,
        /// The height being decided.
        current: u64,
    },
}

/// The proof-of-authority engine of one node (a validator, or a follower without a key).
#[derive(Debug)]
pub struct Poa {
    pub(super) config: PoaConfig,
    pub(super) signer: Option<SigningKey>,
    /// Validator sets by the first height they apply to.
    pub(super) sets: BTreeMap<u64, ValidatorSet>,
    /// With sets that change as the chain grows: the last height whose set is known.
    /// `None`: the installed sets hold for every height.
    pub(super) sets_known_through: Option<u64>,
    pub(super) started: bool,
    /// The latest committed height.
    pub(super) head: u64,
    /// Our position in the current height's set, if we are a member.
    pub(super) me: Option<ValidatorIndex>,
    /// The last timer id handed out.
    pub(super) timer_ids: u64,
    /// The id of the current round's timeout (any other round timer is stale).
    pub(super) timer: u64,
    /// The id of the proposal-delay timer of the current round, while it runs.
    pub(super) build_timer: Option<u64>,
    /// The current round's proposal delay has passed.
    pub(super) build_delay_passed: bool,
    pub(super) state: HeightState,
    /// Verified messages for later heights.
    pub(super) future: Vec<PoaMessage>,
    /// The highest height a verified message was seen for, and a validator that sent it.
    pub(super) highest_seen: Option<(u64, [u8; 32])>,
    /// The (height, round) of the last sync request, so there is at most one per round.
    pub(super) sync_requested: Option<(u64, u32)>,
    /// Restarted, or finished the last height after the others: until the next timeout, hear
    /// the others (who may be rounds ahead) before building a block that could compete with
    /// one they already voted for.
    pub(super) listening: bool,
    /// Restarted and not yet through a round: that round lasts the longest timeout, so the
    /// others' periodic re-sends reach us before we propose.
    pub(super) restarted: bool,
}

impl Poa {
    /// A validator signing with `key` (it votes only at heights whose set contains its key).
    pub fn validator(config: PoaConfig, key: SigningKey) -> Self {
        Self::with_signer(config, Some(key))
    }

    /// A follower: verifies and commits certified blocks, never signs.
    pub fn follower(config: PoaConfig) -> Self {
        Self::with_signer(config, None)
    }

    fn with_signer(config: PoaConfig, signer: Option<SigningKey>) -> Self {
        Self {
            config,
            signer,
            sets: BTreeMap::new(),
            sets_known_through: None,
            started: false,
            head: 0,
            me: None,
            timer_ids: 0,
            timer: 0,
            build_timer: None,
            build_delay_passed: false,
            state: HeightState::new(1, None),
            future: Vec::new(),
            highest_seen: None,
            sync_requested: None,
            listening: false,
            restarted: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PoaConfig {
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

    /// This validator's vote at the current height, if it voted.
    pub fn lock(&self) -> Option<&Lock> {
        self.state.lock.as_ref()
    }

    /// The validator set of `height`, if one is installed.
    pub fn validators_at(&self, height: u64) -> Option<&ValidatorSet> {
        self.sets.range(..=height).next_back().map(|(_, set)| set)
    }

    /// Uses `validators` from `from_height` on (e.g. the next epoch's Registry snapshot).
    /// It must arrive before that height is being decided.
    pub fn install_validators(
        &mut self,
        from_height: u64,
        validators: ValidatorSet,
    ) -> Result<(), InstallError> {
        if self.started && from_height <= self.state.height {
            return Err(InstallError::TooLate {
                from_height,
                current: self.state.height,
            });
        }
        self.sets.insert(from_height, validators);
        Ok(())
    }

    /// Says that the installed sets are known only up to `height` (each later set is
    /// installed as the chain reaches it, e.g. read from the Registry epoch a committed block
    /// names). A message for a later height that does not verify against the latest installed
    /// set is then refused as [`Rejection::NoValidatorSet`], not held against its sender.
    pub fn validators_known_through(&mut self, height: u64) {
        self.sets_known_through = Some(height);
    }

    /// Whether the set of `height` may still change (it is past the known heights).
    pub(super) fn set_unknown_at(&self, height: u64) -> bool {
        self.sets_known_through.is_some_and(|known| height > known)
    }

    /// Handles one event and returns the actions to perform, in order.
    pub fn on_event(&mut self, event: PoaEvent) -> Vec<PoaAction> {
        let mut out = Vec::new();
        match event {
            PoaEvent::Started {
                head,
                validators,
                lock,
            } => self.start(head, validators, lock, &mut out),
            _ if !self.started => {}
            PoaEvent::Timeout { id } => self.on_timeout(id, &mut out),
            PoaEvent::BlockBuilt {
                height,
                round,
                block_hash,
                block,
            } => self.on_block_built(height, round, block_hash, block, &mut out),
            PoaEvent::BuildFailed { height, round } => {
                if height == self.state.height && self.state.building == Some(round) {
                    self.state.building = None;
                }
            }
            PoaEvent::ProposalExecuted {
                height,
                block_hash,
                valid,
            } => self.on_executed(height, block_hash, valid, &mut out),
            PoaEvent::Committed { height } => {
                if self.state.committing && height == self.state.height {
                    self.head = height;
                    self.listening |= self.state.late;
                    self.restarted = false;
                    self.enter_height(height.saturating_add(1), None, &mut out);
                }
            }
            PoaEvent::Message(message) => self.on_message(message, &mut out),
        }
        out
    }

    fn start(
        &mut self,
        head: u64,
        validators: ValidatorSet,
        lock: Option<Lock>,
        out: &mut Vec<PoaAction>,
    ) {
        let first = head.saturating_add(1);
        self.started = true;
        self.head = head;
        self.sets.retain(|&from, _| from > first);
        self.sets.insert(first, validators);
        self.future.clear();
        self.highest_seen = None;
        // Only a node starting from genesis may build at once: the others are starting too.
        self.listening = head > 0;
        self.restarted = head > 0;
        self.enter_height(first, lock.filter(|l| l.height == first), out);
    }

    /// Starts deciding `height`, with the lock restored after a restart, if any.
    fn enter_height(&mut self, height: u64, lock: Option<Lock>, out: &mut Vec<PoaAction>) {
        // Sets that no longer apply to any undecided height are dropped.
        if let Some(base) = self.sets.range(..=height).next_back().map(|(h, _)| *h) {
            self.sets = self.sets.split_off(&base);
        }
        let me = self
            .public_key()
            .and_then(|key| self.validators_at(height)?.index_of(&key));
        self.me = me;
        self.state = HeightState::new(height, lock);
        self.sync_requested = None;
        if self.highest_seen.is_some_and(|(h, _)| h <= height) {
            self.highest_seen = None;
        }
        // After a restart, the vote recorded before the crash is cast again (it is the same
        // signature: ed25519 is deterministic), never a different one, and the proposal it
        // followed is held again, to be relayed.
        if let Some(proposal) = self.restored_proposal() {
            self.state.proposals.insert(proposal.proposer, proposal);
        }
        if let Some(hash) = self.state.lock.as_ref().map(|l| l.block_hash) {
            if let Some(vote) = self.sign_vote(hash) {
                out.push(PoaAction::Broadcast(PoaMessage::Vote(vote.clone())));
                self.add_vote(vote, out);
            }
        }
        // Messages that arrived early are taken in before proposing, so the proposal can
        // follow what others already voted for. One may move us to a later round.
        let timer = self.timer;
        let buffered = std::mem::take(&mut self.future);
        let (now, later): (Vec<_>, Vec<_>) = buffered
            .into_iter()
            .filter(|m| m.height() >= height)
            .partition(|m| m.height() == height);
        self.future = later;
        for message in now {
            self.on_message(message, out);
        }
        if self.timer == timer && !self.state.committing {
            self.start_round(0, out);
        }
    }

    /// Enters `round` of the current height: a fresh timer, and a proposal if it is ours.
    pub(super) fn start_round(&mut self, round: u32, out: &mut Vec<PoaAction>) {
        self.state.round = round;
        self.state.building = None;
        self.build_timer = None;
        self.build_delay_passed = false;
        self.timer = self.next_timer_id();
        let after_ms = if self.restarted && round == 0 {
            self.config.timeout_ms(self.config.max_timeout_rounds)
        } else {
            self.config.timeout_ms(round)
        };
        out.push(PoaAction::ScheduleTimeout {
            id: self.timer,
            after_ms,
        });
        let proposer = self
            .validators_at(self.state.height)
            .map(|set| set.proposer(self.state.height, round));
        if self.me.is_some() && self.me == proposer {
            self.propose(out);
        }
    }

    pub(super) fn next_timer_id(&mut self) -> u64 {
        self.timer_ids = self.timer_ids.wrapping_add(1);
        self.timer_ids
    }

    fn on_timeout(&mut self, id: u64, out: &mut Vec<PoaAction>) {
        if self.build_timer == Some(id) && !self.state.committing {
            self.build_timer = None;
            self.build_delay_passed = true;
            self.propose(out);
            return;
        }
        if id != self.timer || self.state.committing {
            return;
        }
        self.listening = false;
        self.restarted = false;
        let next = self.state.round.saturating_add(1);
        // Our vote may have been lost: send it again every round, with the signed proposal of
        // the block it is for, so validators that missed that proposal can join it.
        if let Some(vote) = self.me.and_then(|me| self.state.votes.get(&me)).cloned() {
            self.state.heard.insert(vote.validator, next);
            let relay = self
                .state
                .proposals
                .values()
                .find(|p| p.block_hash == vote.block_hash)
                .cloned();
            out.push(PoaAction::Broadcast(PoaMessage::Vote(vote)));
            if let Some(proposal) = relay {
                out.push(PoaAction::Broadcast(PoaMessage::Proposal(proposal)));
            }
        }
        self.start_round(next, out);
        self.pursue_preferred(out);
        // Still behind, or final without the block: ask a peer for certified blocks.
        if let Some((height, peer)) = self.highest_seen {
            if height > self.state.height {
                self.request_sync(peer, out);
            }
        }
        self.request_decided_block(out);
    }
}
