//! Execute, vote and commit: one vote per height, only for a block the node executed as valid.
//!
//! Invariant: `try_vote` is the only place a vote is signed for a new block, and it refuses once
//! the height's lock is set; the lock is persisted (an action before the vote) first.

use super::engine::Poa;
use super::events::{Lock, PoaAction, Rejection};
use super::height::Execution;
use super::messages::{BlockHash, PoaMessage, Proposal, Vote};

impl Poa {
    pub(super) fn on_executed(
        &mut self,
        height: u64,
        hash: BlockHash,
        valid: bool,
        out: &mut Vec<PoaAction>,
    ) {
        let st = &mut self.state;
        if height != st.height || st.committing {
            return;
        }
        if st.executions.get(&hash) != Some(&Execution::Pending) {
            return;
        }
        if valid {
            st.executions.insert(hash, Execution::Valid);
            self.try_vote(hash, out);
            self.try_commit(out);
        } else {
            st.executions.insert(hash, Execution::Invalid);
            st.forget_block(&hash);
            out.push(PoaAction::Rejected(Rejection::InvalidBlock {
                height,
                block_hash: hash,
            }));
        }
    }

    /// Whether this node may still vote at the current height.
    pub(super) fn may_vote(&self) -> bool {
        self.me.is_some() && self.state.lock.is_none() && !self.state.committing
    }

    /// Asks to execute `hash` if that can lead to a vote or a commit, votes if it is executed.
    pub(super) fn consider(&mut self, hash: BlockHash, out: &mut Vec<PoaAction>) {
        match self.state.executions.get(&hash) {
            Some(Execution::Valid) => self.try_vote(hash, out),
            Some(Execution::Pending | Execution::Invalid) => {}
            None => {
                let certified = self
                    .state
                    .certificate
                    .as_ref()
                    .is_some_and(|c| c.block_hash == hash);
                if self.may_vote() || certified {
                    self.execute(hash, out);
                }
            }
        }
        self.try_commit(out);
    }

    pub(super) fn execute(&mut self, hash: BlockHash, out: &mut Vec<PoaAction>) {
        if let Some(block) = self.state.block(&hash).cloned() {
            self.state.executions.insert(hash, Execution::Pending);
            out.push(PoaAction::ExecuteProposal {
                height: self.state.height,
                block_hash: hash,
                block,
            });
        }
    }

    /// The block others voted for that an unlocked validator should join (see
    /// `HeightState::preferred`).
    pub(super) fn preferred(&self) -> Option<BlockHash> {
        let set = self.validators_at(self.state.height)?;
        let max_faulty = (set.len() - 1) / 3;
        self.state.preferred(set, max_faulty)
    }

    /// Works towards voting for the block that is ahead: vote if it is executed, else execute
    /// it if we hold it.
    pub(super) fn pursue_preferred(&mut self, out: &mut Vec<PoaAction>) {
        if !self.may_vote() {
            return;
        }
        let Some(ahead) = self.preferred() else {
            return;
        };
        match self.state.executions.get(&ahead) {
            Some(Execution::Valid) => self.try_vote(ahead, out),
            Some(_) => {}
            None => self.execute(ahead, out),
        }
    }

    /// Votes for the executed, valid block `hash` unless this validator already voted at this
    /// height, or another block is ahead in the votes (then it joins that one instead). The
    /// lock is persisted before the vote leaves.
    pub(super) fn try_vote(&mut self, hash: BlockHash, out: &mut Vec<PoaAction>) {
        if !self.may_vote() || self.state.executions.get(&hash) != Some(&Execution::Valid) {
            return;
        }
        if self.preferred().is_some_and(|ahead| ahead != hash) {
            return;
        }
        let Some(block) = self.state.block(&hash).cloned() else {
            return;
        };
        let Some(vote) = self.sign_vote(hash) else {
            return;
        };
        let proposal = self
            .state
            .proposals
            .values()
            .filter(|p| p.block_hash == hash)
            .max_by_key(|p| p.round)
            .map(Proposal::header);
        let lock = Lock {
            height: self.state.height,
            block_hash: hash,
            block,
            proposal,
        };
        out.push(PoaAction::PersistLock(lock.clone()));
        self.state.lock = Some(lock);
        out.push(PoaAction::Broadcast(PoaMessage::Vote(vote.clone())));
        self.add_vote(vote, out);
    }

    pub(super) fn sign_vote(&self, hash: BlockHash) -> Option<Vote> {
        let (key, me) = (self.signer.as_ref()?, self.me?);
        Some(Vote::sign(
            self.config.spn_id,
            self.state.height,
            hash,
            me,
            key,
        ))
    }

    /// Commits the certified block once it is executed (asking to execute it if needed).
    pub(super) fn try_commit(&mut self, out: &mut Vec<PoaAction>) {
        let st = &mut self.state;
        if st.committing {
            return;
        }
        let Some(certificate) = st.certificate.clone() else {
            return;
        };
        let hash = certificate.block_hash;
        match st.executions.get(&hash) {
            Some(Execution::Valid) => {
                st.committing = true;
                out.push(PoaAction::Commit {
                    height: st.height,
                    block_hash: hash,
                    certificate: certificate.clone(),
                });
                if self.me.is_some() {
                    out.push(PoaAction::Broadcast(PoaMessage::Certificate(certificate)));
                }
            }
            Some(Execution::Pending | Execution::Invalid) => {}
            None => self.execute(hash, out),
        }
    }
}
