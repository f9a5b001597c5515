//! Exchange one height's batches: build and sign our own, check and ack the others', certify, and send them again when messages may have been lost.

use super::availability::{Availability, Check, Own};
use super::engine::{Bft, Timer};
use super::events::{BftAction, Rejection, WalEntry};
use super::messages::{Ack, Batch, BftMessage};
use crate::poa::ValidatorIndex;

impl Bft {
    /// The batches of `height`, if it is the current or the next height.
    pub(super) fn avail_mut(&mut self, height: u64) -> Option<&mut Availability> {
        if height == self.avail.height {
            Some(&mut self.avail)
        } else if height == self.next.height {
            Some(&mut self.next)
        } else {
            None
        }
    }

    pub(super) fn restore_batch(&mut self, batch: Batch, out: &mut Vec<BftAction>) {
        let height = batch.header.height;
        let Some(me) = self.me_at(height) else {
            return;
        };
        if batch.header.proposer != me {
            return;
        }
        let Some(avail) = self.avail_mut(height) else {
            return;
        };
        avail.own = Own::Sent(batch.clone());
        avail.batches.insert(me, (batch.clone(), Check::Valid));
        out.push(BftAction::Broadcast(BftMessage::Batch(batch.clone())));
        self.ack(height, &batch, out);
    }

    /// Sends again our batches (this height and next) and our acks of this height's batches.
    pub(super) fn resend_availability(&mut self, out: &mut Vec<BftAction>) {
        for avail in [&self.avail, &self.next] {
            if let Own::Sent(batch) = &avail.own {
                out.push(BftAction::Broadcast(BftMessage::Batch(batch.clone())));
            }
        }
        let Some(me) = self.me else {
            return;
        };
        for ((proposer, digest), voters) in &self.avail.acks {
            if let Some(signature) = voters.get(&me) {
                let ack = Ack {
                    height: self.avail.height,
                    proposer: *proposer,
                    digest: *digest,
                    validator: me,
                    signature: *signature,
                };
                out.push(BftAction::Broadcast(BftMessage::Ack(ack)));
            }
        }
    }

    /// Asks the node for this validator's batches of the current and next height when they
    /// are due: when there are transactions, when others sent theirs, or when idle too long.
    /// The next height's batch waits until this height's is certified (one ahead at most).
    pub(super) fn maybe_build_batches(&mut self, out: &mut Vec<BftAction>) {
        if self.state.committing {
            return;
        }
        let height = self.state.height;
        if let Some(me) = self.me {
            let due = self.txs_waiting
                || !self.avail.batches.is_empty()
                || self.idle_passed
                || self.state.active;
            if self.avail.own == Own::None && due {
                self.avail.own = Own::Building;
                self.txs_waiting = false;
                out.push(BftAction::BuildBatch { height });
            }
            let ahead = height.saturating_add(1);
            let due_next = self.txs_waiting || !self.next.batches.is_empty();
            if self.next.own == Own::None
                && due_next
                && self.avail.own_certified(me)
                && self.me_at(ahead).is_some()
            {
                self.next.own = Own::Building;
                self.txs_waiting = false;
                out.push(BftAction::BuildBatch { height: ahead });
            }
        }
    }

    pub(super) fn on_batch_built(
        &mut self,
        height: u64,
        tx_count: u32,
        payload: Vec<u8>,
        out: &mut Vec<BftAction>,
    ) {
        let Some(me) = self.me_at(height) else {
            return;
        };
        let Some(key) = self.signer.clone() else {
            return;
        };
        let chain_id = self.config.chain_id;
        let Some(avail) = self.avail_mut(height) else {
            return;
        };
        if avail.own != Own::Building {
            return;
        }
        let batch = Batch::sign(chain_id, height, me, tx_count, payload, &key);
        avail.own = Own::Sent(batch.clone());
        avail.batches.insert(me, (batch.clone(), Check::Valid));
        out.push(BftAction::Persist(WalEntry::Batch(batch.clone())));
        out.push(BftAction::Broadcast(BftMessage::Batch(batch.clone())));
        self.ack(height, &batch, out);
        if height == self.state.height {
            self.activate(out);
        }
        self.progress(out);
    }

    /// Acks `batch` (once per proposer) and counts our own ack.
    pub(super) fn ack(&mut self, height: u64, batch: &Batch, out: &mut Vec<BftAction>) {
        let (Some(me), Some(key)) = (self.me_at(height), self.signer.as_ref()) else {
            return;
        };
        let ack = Ack::sign(self.config.chain_id, &batch.header, me, key);
        let Some(avail) = self.avail_mut(height) else {
            return;
        };
        if avail.add_ack(ack.proposer, ack.digest, me, ack.signature) {
            out.push(BftAction::Broadcast(BftMessage::Ack(ack.clone())));
        }
        self.after_ack(height, batch.header.proposer, out);
    }

    /// Certifies the batch if its acks now suffice, and lets what depends on that happen.
    pub(super) fn after_ack(
        &mut self,
        height: u64,
        proposer: ValidatorIndex,
        out: &mut Vec<BftAction>,
    ) {
        let Some(set) = self.validators_at(height).cloned() else {
            return;
        };
        let Some(avail) = self.avail_mut(height) else {
            return;
        };
        if avail.try_certify(&set, proposer) {
            if height == self.state.height {
                self.check_quorum_timer(out);
                self.try_propose(out);
            }
            self.maybe_build_batches(out);
        }
    }

    /// Starts the leader's grace timer when certified batches first pass two thirds of stake.
    pub(super) fn check_quorum_timer(&mut self, out: &mut Vec<BftAction>) {
        let set = self.set().clone();
        if !self.avail.quorum_reached && set.is_quorum(self.avail.certified_weight(&set)) {
            self.avail.quorum_reached = true;
            let height = self.state.height;
            self.schedule(Timer::Grace { height }, self.config.batch_grace_ms, out);
            let busy = self
                .config
                .batch_grace_ms
                .saturating_add(self.config.busy_batch_grace_ms);
            self.schedule(Timer::BusyGrace { height }, busy, out);
        }
    }

    pub(super) fn on_batch_validated(
        &mut self,
        height: u64,
        proposer: ValidatorIndex,
        digest: [u8; 32],
        valid: bool,
        out: &mut Vec<BftAction>,
    ) {
        let Some(avail) = self.avail_mut(height) else {
            return;
        };
        let Some((batch, check)) = avail.batches.get_mut(&proposer) else {
            return;
        };
        if batch.header.digest != digest || *check != Check::Pending {
            return;
        }
        if !valid {
            *check = Check::Invalid;
            out.push(BftAction::Rejected(Rejection::InvalidBatch {
                height,
                index: proposer,
            }));
            return;
        }
        *check = Check::Valid;
        let batch = batch.clone();
        self.ack(height, &batch, out);
        self.progress(out);
    }
}
