//! Order certified batches into one block per height: Tendermint's rounds (propose, prevote, precommit) with locks, and commit on a precommit quorum.
//!
//! The rules follow "The latest gossip on BFT consensus" (Buchman, Kwon, Milosevic, 2018),
//! with stake-weighted quorums; the comments name the rule each block of code implements.

use super::availability::Check;
use super::engine::{Bft, Timer};
use super::events::{BftAction, Rejection, WalEntry};
use super::height::{Candidate, Exec, Step};
use super::messages::{
    BftMessage, CertifiedBatch, CommitCertificate, Hash, Proposal, Vote, VoteKind, MAX_EXTRA_DATA,
    NIL,
};

impl Bft {
    /// Enters `round`: a fresh propose timer, and a proposal if we lead it.
    pub(super) fn start_round(&mut self, round: u32, out: &mut Vec<BftAction>) {
        let height = self.state.height;
        self.state.round = round;
        self.state.step = Step::Propose;
        self.state.building = None;
        self.state.active = true;
        let after = self.config.timeout(self.config.propose_timeout_ms, round);
        self.schedule(Timer::Propose { height, round }, after, out);
        // Lost messages can leave a round without the quorum its later timers wait for: it
        // ends after all three timeouts at most.
        let all = after
            + self.config.timeout(self.config.prevote_timeout_ms, round)
            + self.config.timeout(self.config.precommit_timeout_ms, round);
        self.schedule(Timer::Round { height, round }, all, out);
        // Our last non-nil precommit may have been lost: send it again, it can still complete
        // a quorum of its round (precommits of any round finalize).
        if let Some(((r, _), hash)) = self
            .state
            .own_votes
            .iter()
            .rfind(|((_, kind), hash)| *kind == VoteKind::Precommit && **hash != NIL)
        {
            let vote = self
                .state
                .rounds
                .get(r)
                .and_then(|rv| {
                    rv.precommits
                        .values()
                        .find(|v| Some(v.validator) == self.me && v.block_hash == *hash)
                })
                .cloned();
            if let Some(vote) = vote {
                out.push(BftAction::Broadcast(BftMessage::Vote(vote)));
            }
        }
        self.try_propose(out);
    }

    /// Whether the leader has the batches it should order: every expected proposer's, or more
    /// than two thirds of stake's and the grace for the rest has passed.
    fn batches_ready(&self) -> bool {
        let set = self.set();
        let expected: Vec<_> = (0..set.len() as u32)
            .filter(|v| !self.absent.contains(v))
            .collect();
        if !self.avail.certified.is_empty() && self.avail.has_all(&expected) {
            return true;
        }
        self.grace_passed
            && set.is_quorum(self.avail.certified_weight(set))
            && (self.busy_grace_passed || !self.busy_batch_pending(&expected))
    }

    /// Whether a batch of an expected proposer holding transactions is seen, not found
    /// invalid, and not certified yet.
    fn busy_batch_pending(&self, expected: &[crate::poa::ValidatorIndex]) -> bool {
        self.avail.batches.iter().any(|(v, (batch, check))| {
            batch.header.tx_count > 0
                && *check != Check::Invalid
                && expected.contains(v)
                && !self.avail.certified.contains_key(v)
        })
    }

    /// The leader proposes when it may: its valid block again, or a new one from the
    /// certified batches (rule: `StartRound`, proposer branch).
    pub(super) fn try_propose(&mut self, out: &mut Vec<BftAction>) {
        let (height, round) = (self.state.height, self.state.round);
        let Some(me) = self.me else {
            return;
        };
        if !self.state.active
            || self.state.committing
            || self.state.step != Step::Propose
            || self.set().leader(height, round) != me
            || self.state.own_proposals.contains(&round)
            || self.state.building.is_some()
        {
            return;
        }
        if let Some((valid_round, hash)) = self.state.valid {
            let body = self
                .state
                .candidates
                .get(&hash)
                .and_then(|c| c.proposal.clone());
            if let Some(old) = body {
                let proposal = Proposal {
                    round,
                    pol_round: Some(valid_round),
                    proposer: me,
                    ..old
                };
                // Validators that missed the prevotes of that round need them to follow.
                let polka: Vec<Vote> = self
                    .state
                    .rounds
                    .get(&valid_round)
                    .map(|rv| rv.votes_for(VoteKind::Prevote, &hash))
                    .unwrap_or_default();
                for vote in polka {
                    out.push(BftAction::Broadcast(BftMessage::Vote(vote)));
                }
                self.send_proposal(proposal, out);
                return;
            }
        }
        if !self.batches_ready() {
            return;
        }
        self.state.building = Some(round);
        self.state.building_batches = self.avail.certified.values().cloned().collect();
        let batches = self
            .state
            .building_batches
            .iter()
            .map(|c| (c.batch.header.proposer, c.batch.payload.clone()))
            .collect();
        out.push(BftAction::BuildBlock {
            height,
            round,
            batches,
        });
    }

    pub(super) fn on_block_built(
        &mut self,
        height: u64,
        round: u32,
        block_hash: Hash,
        (timestamp_ms, extra_data): (u64, Vec<u8>),
        out: &mut Vec<BftAction>,
    ) {
        if height != self.state.height || self.state.building != Some(round) {
            return;
        }
        self.state.building = None;
        if extra_data.len() > MAX_EXTRA_DATA {
            // Peers could not decode the proposal: as if the build failed (the round times out).
            return;
        }
        if round != self.state.round || self.state.step != Step::Propose {
            return;
        }
        let Some(me) = self.me else {
            return;
        };
        let batches: Vec<CertifiedBatch> = std::mem::take(&mut self.state.building_batches);
        let proposal = Proposal {
            height,
            round,
            pol_round: None,
            block_hash,
            proposer: me,
            builder: me,
            timestamp_ms,
            extra_data,
            batches,
            signature: [0; 64],
        };
        // The node built (and so executed) it.
        self.state.candidates.insert(
            block_hash,
            Candidate {
                proposal: None,
                exec: Exec::Valid,
            },
        );
        self.send_proposal(proposal, out);
    }

    fn send_proposal(&mut self, proposal: Proposal, out: &mut Vec<BftAction>) {
        let Some(key) = self.signer.as_ref() else {
            return;
        };
        let proposal = proposal.signed(self.config.chain_id, key);
        self.state.own_proposals.insert(proposal.round);
        out.push(BftAction::Persist(WalEntry::Proposal(proposal.header())));
        out.push(BftAction::Broadcast(BftMessage::Proposal(proposal.clone())));
        let candidate = self
            .state
            .candidates
            .entry(proposal.block_hash)
            .or_insert(Candidate {
                proposal: None,
                exec: Exec::Valid,
            });
        candidate.proposal = Some(proposal.clone());
        let round = proposal.round;
        self.state.round_mut(round).proposal = Some(proposal);
        self.progress(out);
    }

    /// Signs and sends our `kind` vote for `hash` in the current round, unless we already
    /// signed a different one there (never: the rules prevent it, the WAL survives restarts).
    pub(super) fn cast(&mut self, kind: VoteKind, hash: Hash, out: &mut Vec<BftAction>) {
        let (height, round) = (self.state.height, self.state.round);
        let (Some(me), Some(key)) = (self.me, self.signer.as_ref()) else {
            return;
        };
        self.state.step = match kind {
            VoteKind::Prevote => Step::Prevote,
            VoteKind::Precommit => Step::Precommit,
        };
        if self.state.own_votes.contains_key(&(round, kind)) {
            return;
        }
        let vote = Vote::sign(self.config.chain_id, height, round, kind, hash, me, key);
        self.state.own_votes.insert((round, kind), hash);
        out.push(BftAction::Persist(WalEntry::Vote(vote.clone())));
        out.push(BftAction::Broadcast(BftMessage::Vote(vote.clone())));
        self.state.round_mut(round).votes_mut(kind).insert(me, vote);
    }

    /// Applies every rule whose condition now holds, until none does.
    pub(super) fn progress(&mut self, out: &mut Vec<BftAction>) {
        for _ in 0..64 {
            if !self.started || self.state.committing || !self.step(out) {
                return;
            }
        }
    }

    /// One pass over the rules; true if something changed.
    fn step(&mut self, out: &mut Vec<BftAction>) -> bool {
        if self.try_commit(out) {
            return true;
        }
        if !self.state.active {
            return false;
        }
        let set = self.set().clone();
        let round = self.state.round;
        // Round skip: more than a third of stake is in a later round.
        let later = self
            .state
            .rounds
            .range(round.saturating_add(1)..)
            .find(|(_, rv)| set.exceeds_third(rv.weight_heard(&set)))
            .map(|(r, _)| *r);
        if let Some(r) = later {
            self.start_round(r, out);
            return true;
        }
        let rv = self.state.rounds.get(&round);
        let proposal = rv.and_then(|rv| rv.proposal.clone());
        // Propose step: prevote for the proposal (respecting the lock), or nil.
        if self.state.step == Step::Propose {
            if let Some(p) = &proposal {
                let exec = self.state.exec_of(&p.block_hash);
                let hash = p.block_hash;
                match (p.pol_round, exec) {
                    (_, None | Some(Exec::Pending)) => {}
                    (None, Some(exec)) => {
                        let ok =
                            exec == Exec::Valid && self.state.locked.is_none_or(|(_, h)| h == hash);
                        self.cast(VoteKind::Prevote, if ok { hash } else { NIL }, out);
                        return true;
                    }
                    (Some(vr), Some(exec)) if vr < round => {
                        let polka = self.state.rounds.get(&vr).is_some_and(|rv| {
                            set.is_quorum(rv.weight_for(&set, VoteKind::Prevote, &hash))
                        });
                        if polka {
                            let ok = exec == Exec::Valid
                                && self
                                    .state
                                    .locked
                                    .is_none_or(|(lr, lh)| lr <= vr || lh == hash);
                            self.cast(VoteKind::Prevote, if ok { hash } else { NIL }, out);
                            return true;
                        }
                    }
                    _ => {}
                }
            }
        }
        let Some(rv) = self.state.rounds.get(&round) else {
            return false;
        };
        // A quorum of prevotes of any kind: wait a little more before precommitting nil.
        if self.state.step == Step::Prevote
            && set.is_quorum(rv.weight_any(&set, VoteKind::Prevote))
            && self.state.prevote_timer.insert(round)
        {
            let after = self.config.timeout(self.config.prevote_timeout_ms, round);
            let height = self.state.height;
            self.schedule(Timer::Prevote { height, round }, after, out);
            return true;
        }
        // A quorum of prevotes for the valid proposed block: lock and precommit it.
        if self.state.step >= Step::Prevote && !self.state.polka_seen.contains(&round) {
            if let Some(p) = &proposal {
                let hash = p.block_hash;
                let quorum = set.is_quorum(rv.weight_for(&set, VoteKind::Prevote, &hash));
                if quorum && self.state.exec_of(&hash) == Some(Exec::Valid) {
                    self.state.polka_seen.insert(round);
                    if self.state.step == Step::Prevote {
                        self.state.locked = Some((round, hash));
                        let polka = rv.votes_for(VoteKind::Prevote, &hash);
                        out.push(BftAction::Persist(WalEntry::Locked {
                            proposal: p.clone(),
                            round,
                            polka,
                        }));
                        self.cast(VoteKind::Precommit, hash, out);
                    }
                    self.state.valid = Some((round, hash));
                    return true;
                }
            }
        }
        let rv = self.state.rounds.get(&round).expect("checked above");
        // A quorum of nil prevotes: precommit nil.
        if self.state.step == Step::Prevote
            && set.is_quorum(rv.weight_for(&set, VoteKind::Prevote, &NIL))
        {
            self.cast(VoteKind::Precommit, NIL, out);
            return true;
        }
        // A quorum of precommits of any kind: wait a little more, then the next round.
        if set.is_quorum(rv.weight_any(&set, VoteKind::Precommit))
            && self.state.precommit_timer.insert(round)
        {
            let after = self.config.timeout(self.config.precommit_timeout_ms, round);
            let height = self.state.height;
            self.schedule(Timer::Precommit { height, round }, after, out);
            return true;
        }
        false
    }

    /// Commits if some round holds a precommit quorum for a block we executed validly (or a
    /// peer's verified certificate names one). Asks for the block by sync if we lack it.
    fn try_commit(&mut self, out: &mut Vec<BftAction>) -> bool {
        let set = self.set().clone();
        let mut found: Option<CommitCertificate> = None;
        for (round, rv) in &self.state.rounds {
            if let Some(hash) = rv.quorum_block(&set, VoteKind::Precommit) {
                let signatures = rv
                    .votes_for(VoteKind::Precommit, &hash)
                    .into_iter()
                    .map(|v| (v.validator, v.signature))
                    .collect();
                found = Some(CommitCertificate {
                    height: self.state.height,
                    round: *round,
                    block_hash: hash,
                    signatures,
                });
                break;
            }
        }
        let Some(certificate) = found.or_else(|| self.state.decided.clone()) else {
            return false;
        };
        match self.state.exec_of(&certificate.block_hash) {
            Some(Exec::Valid) => {
                self.commit(certificate, out);
                true
            }
            Some(Exec::Pending) => false,
            Some(Exec::Invalid) | None => {
                // Final without a block we can execute: a quorum (so an honest validator)
                // has it. Fetch it from a signer.
                if self.state.decided.is_none() {
                    self.state.decided = Some(certificate.clone());
                }
                self.request_sync_from_signers(&certificate, out);
                false
            }
        }
    }

    fn commit(&mut self, certificate: CommitCertificate, out: &mut Vec<BftAction>) {
        let height = self.state.height;
        let hash = certificate.block_hash;
        // Proposers whose batches this block lacks are not waited for at the next height.
        self.absent.clear();
        if let Some(p) = self
            .state
            .candidates
            .get(&hash)
            .and_then(|c| c.proposal.as_ref())
        {
            let included: Vec<_> = p.batches.iter().map(|c| c.batch.header.proposer).collect();
            let n = self.set().len() as u32;
            self.absent = (0..n).filter(|v| !included.contains(v)).collect();
        }
        self.state.committing = true;
        out.push(BftAction::Commit {
            height,
            block_hash: hash,
            certificate: certificate.clone(),
        });
        out.push(BftAction::Broadcast(BftMessage::Certificate(certificate)));
    }

    pub(super) fn on_executed(
        &mut self,
        height: u64,
        hash: Hash,
        valid: bool,
        out: &mut Vec<BftAction>,
    ) {
        if height != self.state.height {
            return;
        }
        let Some(candidate) = self.state.candidates.get_mut(&hash) else {
            return;
        };
        if candidate.exec != Exec::Pending {
            return;
        }
        candidate.exec = if valid { Exec::Valid } else { Exec::Invalid };
        if !valid {
            out.push(BftAction::Rejected(Rejection::InvalidBlock {
                height,
                block_hash: hash,
            }));
        }
        self.progress(out);
    }

    fn request_sync_from_signers(
        &mut self,
        certificate: &CommitCertificate,
        out: &mut Vec<BftAction>,
    ) {
        let round = self.state.round;
        if self.state.sync_requested == Some(round) {
            return;
        }
        let set = self.set();
        // Rotate through the signers from round to round.
        let signers: Vec<_> = certificate
            .signatures
            .iter()
            .filter(|(v, _)| Some(*v) != self.me)
            .filter_map(|(v, _)| set.key(*v))
            .collect();
        if signers.is_empty() {
            return;
        }
        let peer = signers[round as usize % signers.len()].to_bytes();
        self.state.sync_requested = Some(round);
        out.push(BftAction::RequestSync {
            from_height: self.state.height,
            peer,
        });
    }

    /// If a verified message showed a later height, asks its sender's node for blocks.
    pub(super) fn request_sync_if_behind(&mut self, out: &mut Vec<BftAction>) {
        let round = self.state.round;
        if let Some((height, peer)) = self.highest_seen {
            if height > self.state.height && self.state.sync_requested != Some(round) {
                self.state.sync_requested = Some(round);
                out.push(BftAction::RequestSync {
                    from_height: self.state.height,
                    peer,
                });
            }
        }
        if let Some(certificate) = self.state.decided.clone() {
            if self.state.exec_of(&certificate.block_hash) != Some(Exec::Valid) {
                self.request_sync_from_signers(&certificate, out);
            }
        }
    }
}
