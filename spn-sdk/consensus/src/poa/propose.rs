//! Offer blocks as the round's proposer: re-propose what others already voted for, else build.
//!
//! A new block is built only when this node knows of no block it should offer instead: it is
//! not locked, no voted block is ahead, it holds no proposal, it is not just back from a restart
//! or behind, and (after round 0) the proposal delay has passed, so a block the others voted
//! for and re-sent on their timeouts could reach it first. Each rule makes a vote split, the
//! stall of the lock rule, less likely (see the `poa` module docs).

use super::engine::Poa;
use super::events::PoaAction;
use super::height::Execution;
use super::messages::{BlockHash, PoaMessage, Proposal};

impl Poa {
    /// As proposer of the current round: re-propose the locked block; else the block others
    /// voted for that is ahead (or wait for it, if we lack its bytes); else a held proposal;
    /// else ask the node to build a new block — unless we just restarted, or heard a vote for
    /// a block we lack (then one round is let pass, once per height, for it to be relayed).
    pub(super) fn propose(&mut self, out: &mut Vec<PoaAction>) {
        let (Some(key), Some(me)) = (self.signer.as_ref(), self.me) else {
            return;
        };
        let (height, round) = (self.state.height, self.state.round);
        let ours = self
            .state
            .proposals
            .get(&me)
            .is_some_and(|p| p.round == round);
        if self.state.certificate.is_some() || self.state.building.is_some() || ours {
            // Decided (only the block is missing; sync fetches it), or already proposing.
            return;
        }
        let held = match (&self.state.lock, self.preferred()) {
            (Some(lock), _) => Some((lock.block_hash, lock.block.clone())),
            (None, Some(ahead)) => match self.state.block(&ahead) {
                Some(block) => Some((ahead, block.clone())),
                // Its voters send it again on their timeouts; a rival now would split votes.
                None => return,
            },
            (None, None) => self.state.most_voted_held_block(),
        };
        if held.is_none() {
            if self.listening {
                return;
            }
            if !self.state.skipped && self.state.heard_of_missing_block() {
                self.state.skipped = true;
                return;
            }
            if round > 0 && self.config.proposal_delay_ms > 0 && !self.build_delay_passed {
                if self.build_timer.is_none() {
                    let id = self.next_timer_id();
                    self.build_timer = Some(id);
                    out.push(PoaAction::ScheduleTimeout {
                        id,
                        after_ms: self.config.proposal_delay_ms,
                    });
                }
                return;
            }
        }
        let Some((hash, block)) = held else {
            self.state.building = Some(round);
            out.push(PoaAction::BuildBlock { height, round });
            return;
        };
        let proposal = Proposal::sign(self.config.spn_id, height, round, hash, block, me, key);
        self.state.proposals.insert(me, proposal.clone());
        out.push(PoaAction::Broadcast(PoaMessage::Proposal(proposal)));
        self.consider(hash, out);
    }

    pub(super) fn on_block_built(
        &mut self,
        height: u64,
        round: u32,
        hash: BlockHash,
        block: Vec<u8>,
        out: &mut Vec<PoaAction>,
    ) {
        let st = &mut self.state;
        if height != st.height || st.building != Some(round) || st.committing {
            return;
        }
        st.building = None;
        // A block built for a round that has passed is dropped: the next proposer may already
        // have offered another one.
        if round != st.round || st.lock.is_some() {
            return;
        }
        if self.preferred().is_some_and(|ahead| ahead != hash) {
            // While it was built, others voted for another block: offer that one instead.
            self.propose(out);
            return;
        }
        let (Some(key), Some(me)) = (self.signer.as_ref(), self.me) else {
            return;
        };
        let st = &mut self.state;
        let proposal = Proposal::sign(self.config.spn_id, height, round, hash, block, me, key);
        st.proposals.insert(me, proposal.clone());
        // Building executed it.
        st.executions.insert(hash, Execution::Valid);
        out.push(PoaAction::Broadcast(PoaMessage::Proposal(proposal)));
        self.try_vote(hash, out);
        self.try_commit(out);
    }

    /// The proposal recorded in a restored lock, with its bytes, if it still verifies.
    pub(super) fn restored_proposal(&self) -> Option<Proposal> {
        let lock = self.state.lock.as_ref()?;
        let header = lock.proposal.as_ref()?;
        let proposal = Proposal {
            block: lock.block.clone(),
            ..header.clone()
        };
        let set = self.validators_at(lock.height)?;
        let key = set.key(proposal.proposer)?;
        let rightful = set.proposer(proposal.height, proposal.round) == proposal.proposer;
        let matches = proposal.height == lock.height && proposal.block_hash == lock.block_hash;
        (rightful && matches && proposal.verify(self.config.spn_id, key)).then_some(proposal)
    }
}
