//! Take in messages from the network: verify, detect equivocation, buffer early ones, count the rest.

use std::collections::btree_map::Entry;

use super::availability::Check;
use super::certificate::{verify_batch_certificate, verify_commit_certificate};
use super::engine::Bft;
use super::events::{BftAction, Evidence, Rejection};
use super::height::{Added, Candidate, Exec};
use super::messages::{Ack, Batch, BftMessage, CommitCertificate, Decision, Proposal, Vote};
use super::stake::StakeSet;

impl Bft {
    pub(super) fn on_message(&mut self, message: BftMessage, out: &mut Vec<BftAction>) {
        match message {
            BftMessage::Batch(b) => self.on_batch(b, out),
            BftMessage::Ack(a) => self.on_ack(a, out),
            BftMessage::Proposal(p) => self.on_proposal(p, out),
            BftMessage::Vote(v) => self.on_vote(v, out),
            BftMessage::Certificate(c) => self.on_certificate(c, out),
            BftMessage::Decision(d) => self.on_decision(d, out),
        }
    }

    /// Keeps a verified message for a later height, within bounds.
    fn buffer(&mut self, message: BftMessage, out: &mut Vec<BftAction>) {
        let height = message.height();
        if height > self.state.height.saturating_add(self.config.future_heights)
            || self.future.len() >= self.config.max_future_messages
        {
            out.push(BftAction::Rejected(Rejection::TooFarAhead { height }));
            return;
        }
        self.future.push(message);
    }

    /// Remembers that validator `key` is at `height` (for sync).
    fn note_ahead(&mut self, height: u64, key: [u8; 32]) {
        if self.highest_seen.is_none_or(|(h, _)| height > h) {
            self.highest_seen = Some((height, key));
        }
    }

    /// The set of `height`, or the rejection to report.
    fn set_for(&self, height: u64) -> Result<StakeSet, Rejection> {
        self.validators_at(height)
            .cloned()
            .ok_or(Rejection::NoValidatorSet { height })
    }

    fn on_batch(&mut self, batch: Batch, out: &mut Vec<BftAction>) {
        let height = batch.header.height;
        let proposer = batch.header.proposer;
        if height < self.state.height {
            return out.push(BftAction::Rejected(Rejection::Stale { height }));
        }
        let set = match self.set_for(height) {
            Ok(set) => set,
            Err(r) => return out.push(BftAction::Rejected(r)),
        };
        let Some(key) = set.key(proposer) else {
            let r = Rejection::UnknownValidator {
                height,
                index: proposer,
            };
            return out.push(BftAction::Rejected(r));
        };
        if !batch.verify(self.config.chain_id, key) {
            let r = Rejection::BadSignature {
                height,
                index: proposer,
            };
            return out.push(BftAction::Rejected(r));
        }
        if height > self.next.height {
            return self.buffer(BftMessage::Batch(batch), out);
        }
        let avail = self.avail_mut(height).expect("height is current or next");
        if let Some((first, _)) = avail.batches.get(&proposer) {
            if first.header == batch.header {
                let r = Rejection::Duplicate {
                    height,
                    index: proposer,
                };
                return out.push(BftAction::Rejected(r));
            }
            let mut first = first.clone();
            let mut second = batch;
            first.payload.clear();
            second.payload.clear();
            return out.push(BftAction::Misbehaviour(Evidence::DoubleBatch {
                first,
                second,
            }));
        }
        avail
            .batches
            .insert(proposer, (batch.clone(), Check::Pending));
        out.push(BftAction::ValidateBatch { batch });
        self.after_ack(height, proposer, out);
        if height == self.state.height {
            self.activate(out);
        }
        self.maybe_build_batches(out);
        self.progress(out);
    }

    fn on_ack(&mut self, ack: Ack, out: &mut Vec<BftAction>) {
        let height = ack.height;
        if height < self.state.height {
            return out.push(BftAction::Rejected(Rejection::Stale { height }));
        }
        let set = match self.set_for(height) {
            Ok(set) => set,
            Err(r) => return out.push(BftAction::Rejected(r)),
        };
        let (Some(key), Some(_)) = (set.key(ack.validator), set.key(ack.proposer)) else {
            let r = Rejection::UnknownValidator {
                height,
                index: ack.validator,
            };
            return out.push(BftAction::Rejected(r));
        };
        if !ack.verify(self.config.chain_id, key) {
            let r = Rejection::BadSignature {
                height,
                index: ack.validator,
            };
            return out.push(BftAction::Rejected(r));
        }
        if height > self.next.height {
            return self.buffer(BftMessage::Ack(ack), out);
        }
        let avail = self.avail_mut(height).expect("height is current or next");
        if !avail.add_ack(ack.proposer, ack.digest, ack.validator, ack.signature) {
            let r = Rejection::Duplicate {
                height,
                index: ack.validator,
            };
            return out.push(BftAction::Rejected(r));
        }
        self.after_ack(height, ack.proposer, out);
        if height == self.state.height {
            self.activate(out);
        }
        self.progress(out);
    }

    fn on_proposal(&mut self, proposal: Proposal, out: &mut Vec<BftAction>) {
        let height = proposal.height;
        if height < self.state.height || (height == self.state.height && self.state.committing) {
            return out.push(BftAction::Rejected(Rejection::Stale { height }));
        }
        let set = match self.set_for(height) {
            Ok(set) => set,
            Err(r) => return out.push(BftAction::Rejected(r)),
        };
        let leader = set.leader(height, proposal.round);
        if proposal.proposer != leader {
            let r = Rejection::WrongLeader {
                height,
                round: proposal.round,
                index: proposal.proposer,
                expected: leader,
            };
            return out.push(BftAction::Rejected(r));
        }
        let key = set.key(leader).expect("the leader is in the set");
        if !proposal.verify(self.config.chain_id, key) {
            let r = Rejection::BadSignature {
                height,
                index: leader,
            };
            return out.push(BftAction::Rejected(r));
        }
        if height > self.state.height {
            return self.buffer(BftMessage::Proposal(proposal), out);
        }
        if proposal.round > self.state.round.saturating_add(self.config.max_round_ahead) {
            return out.push(BftAction::Rejected(Rejection::TooFarAhead { height }));
        }
        if let Some(first) = self
            .state
            .rounds
            .get(&proposal.round)
            .and_then(|rv| rv.proposal.as_ref())
        {
            if first.signature == proposal.signature {
                let r = Rejection::Duplicate {
                    height,
                    index: leader,
                };
                return out.push(BftAction::Rejected(r));
            }
            let evidence = Evidence::DoubleProposal {
                first: first.header(),
                second: proposal.header(),
            };
            return out.push(BftAction::Misbehaviour(evidence));
        }
        if let Err(reason) = self.check_batches(&set, &proposal) {
            let r = Rejection::BadBatches {
                height,
                index: leader,
                reason,
            };
            return out.push(BftAction::Rejected(r));
        }
        // The proposal carries certified batches we may have missed: keep them (and check
        // and ack those we never received, as if they had come on their own).
        for c in &proposal.batches {
            let v = c.batch.header.proposer;
            self.avail.certified.entry(v).or_insert_with(|| c.clone());
            if let Entry::Vacant(slot) = self.avail.batches.entry(v) {
                slot.insert((c.batch.clone(), Check::Pending));
                out.push(BftAction::ValidateBatch {
                    batch: c.batch.clone(),
                });
            }
        }
        self.check_quorum_timer(out);
        let hash = proposal.block_hash;
        // A block found invalid is tried again if it comes with another body: the hash was
        // claimed, not proven, and an equivocating leader can send a bad body under a good hash.
        let body = |p: &Proposal| {
            Proposal::body_digest(p.builder, p.timestamp_ms, &p.extra_data, &p.batches)
        };
        let retry = self.state.candidates.get(&hash).is_some_and(|c| {
            c.exec == Exec::Invalid
                && c.proposal
                    .as_ref()
                    .is_none_or(|p| body(p) != body(&proposal))
        });
        if retry {
            self.state.candidates.remove(&hash);
        }
        match self.state.candidates.get_mut(&hash) {
            Some(candidate) => {
                if candidate.proposal.is_none() {
                    candidate.proposal = Some(proposal.clone());
                }
            }
            None => {
                self.state.candidates.insert(
                    hash,
                    Candidate {
                        proposal: Some(proposal.clone()),
                        exec: Exec::Pending,
                    },
                );
                out.push(BftAction::ExecuteProposal {
                    height,
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
            }
        }
        let round = proposal.round;
        self.state.round_mut(round).proposal = Some(proposal);
        self.activate(out);
        self.progress(out);
    }

    /// Checks a proposal's batches: for its height, by strictly ascending proposer, each
    /// signed by its proposer, matching its payload and certified by acks of more than two
    /// thirds of stake; and a proof-of-lock round below the proposal's round.
    fn check_batches(&self, set: &StakeSet, proposal: &Proposal) -> Result<(), String> {
        if proposal.pol_round.is_some_and(|vr| vr >= proposal.round) {
            return Err("its proof-of-lock round is not below its round".into());
        }
        if set.key(proposal.builder).is_none() {
            return Err(format!(
                "its builder {} is not a validator",
                proposal.builder
            ));
        }
        let chain_id = self.config.chain_id;
        let mut last = None;
        for c in &proposal.batches {
            let header = &c.batch.header;
            if header.height != proposal.height {
                return Err(format!("a batch is for height {}", header.height));
            }
            if last.is_some_and(|l| header.proposer <= l) {
                return Err("batches are not by strictly ascending proposer".into());
            }
            last = Some(header.proposer);
            let key = set
                .key(header.proposer)
                .ok_or_else(|| format!("batch proposer {} is not a validator", header.proposer))?;
            // A batch and certificate we verified ourselves need no second check.
            let known = self.avail.certified.get(&header.proposer).is_some_and(|k| {
                k.batch.header == *header && k.batch.signature == c.batch.signature
            });
            if known {
                continue;
            }
            if !c.batch.verify(chain_id, key) {
                return Err(format!(
                    "the batch of {} is not signed or does not match its digest",
                    header.proposer
                ));
            }
            verify_batch_certificate(chain_id, set, c)
                .map_err(|e| format!("the batch of {} is not certified: {e}", header.proposer))?;
        }
        Ok(())
    }

    fn on_vote(&mut self, vote: Vote, out: &mut Vec<BftAction>) {
        let height = vote.height;
        if height < self.state.height || (height == self.state.height && self.state.committing) {
            return out.push(BftAction::Rejected(Rejection::Stale { height }));
        }
        let set = match self.set_for(height) {
            Ok(set) => set,
            Err(r) => return out.push(BftAction::Rejected(r)),
        };
        let Some(key) = set.key(vote.validator) else {
            let r = Rejection::UnknownValidator {
                height,
                index: vote.validator,
            };
            return out.push(BftAction::Rejected(r));
        };
        if !vote.verify(self.config.chain_id, key) {
            let r = Rejection::BadSignature {
                height,
                index: vote.validator,
            };
            return out.push(BftAction::Rejected(r));
        }
        if height > self.state.height {
            let key = key.to_bytes();
            self.note_ahead(height, key);
            if height > self.state.height.saturating_add(1) {
                self.request_sync_if_behind(out);
            }
            return self.buffer(BftMessage::Vote(vote), out);
        }
        if vote.round > self.state.round.saturating_add(self.config.max_round_ahead) {
            return out.push(BftAction::Rejected(Rejection::TooFarAhead { height }));
        }
        let index = vote.validator;
        match self.state.round_mut(vote.round).add(vote.clone()) {
            Added::New => {}
            Added::Duplicate => {
                let r = Rejection::Duplicate { height, index };
                return out.push(BftAction::Rejected(r));
            }
            Added::Conflict(first) => {
                let evidence = Evidence::DoubleVote {
                    first,
                    second: vote,
                };
                out.push(BftAction::Misbehaviour(evidence));
            }
        }
        self.activate(out);
        self.progress(out);
    }

    fn on_certificate(&mut self, certificate: CommitCertificate, out: &mut Vec<BftAction>) {
        let height = certificate.height;
        if height < self.state.height || (height == self.state.height && self.state.committing) {
            return out.push(BftAction::Rejected(Rejection::Stale { height }));
        }
        let set = match self.set_for(height) {
            Ok(set) => set,
            Err(r) => return out.push(BftAction::Rejected(r)),
        };
        if let Err(error) = verify_commit_certificate(self.config.chain_id, &set, &certificate) {
            let r = Rejection::InvalidCertificate { height, error };
            return out.push(BftAction::Rejected(r));
        }
        if height > self.state.height {
            let signer = certificate.signatures.first().map(|(v, _)| *v);
            if let Some(key) = signer.and_then(|v| set.key(v)) {
                self.note_ahead(height, key.to_bytes());
            }
            self.request_sync_if_behind(out);
            return;
        }
        if self.state.decided.is_none() {
            self.state.decided = Some(certificate);
        }
        self.progress(out);
    }

    fn on_decision(&mut self, decision: Decision, out: &mut Vec<BftAction>) {
        let certificate = decision.certificate;
        let height = certificate.height;
        if height < self.state.height || (height == self.state.height && self.state.committing) {
            return out.push(BftAction::Rejected(Rejection::Stale { height }));
        }
        if height > self.state.height {
            let message = BftMessage::Decision(Decision {
                certificate,
                block: decision.block,
            });
            return self.buffer(message, out);
        }
        let set = self.set().clone();
        if let Err(error) = verify_commit_certificate(self.config.chain_id, &set, &certificate) {
            let r = Rejection::InvalidCertificate { height, error };
            return out.push(BftAction::Rejected(r));
        }
        let hash = certificate.block_hash;
        self.state.decided = Some(certificate);
        match self.state.exec_of(&hash) {
            Some(Exec::Valid) | Some(Exec::Pending) => {}
            Some(Exec::Invalid) | None => {
                self.state.candidates.insert(
                    hash,
                    Candidate {
                        proposal: None,
                        exec: Exec::Pending,
                    },
                );
                out.push(BftAction::ExecuteBlock {
                    height,
                    block_hash: hash,
                    block: decision.block,
                });
            }
        }
        self.progress(out);
    }
}
