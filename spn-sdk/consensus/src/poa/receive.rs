//! Take in messages: verify them against the height's validator set, keep early ones, count votes.
//!
//! Order of checks, cheapest first: height (stale messages cost nothing), then membership and
//! proposer, then signatures. Only verified messages change state or are buffered.

use ed25519_dalek::VerifyingKey;

use super::certificate::verify_certificate_trusting;
use super::engine::Poa;
use super::events::{Evidence, PoaAction, Rejection};
use super::messages::{CommitCertificate, PoaMessage, Proposal, Vote};

impl Poa {
    /// Handles a message from the network or the node's block sync.
    pub(super) fn on_message(&mut self, message: PoaMessage, out: &mut Vec<PoaAction>) {
        let height = message.height();
        let current = self.state.height;
        if height < current || (height == current && self.state.committing) {
            out.push(PoaAction::Rejected(Rejection::Stale { height }));
            return;
        }
        if height == current && self.is_redundant(&message) {
            return;
        }
        let peer = match self.verify(&message) {
            Ok(peer) => peer,
            // Signed by a set this node does not know yet: nobody's fault.
            Err(rejection) if rejection.is_fault() && self.set_unknown_at(height) => {
                out.push(PoaAction::Rejected(Rejection::NoValidatorSet { height }));
                return;
            }
            Err(rejection) => {
                out.push(PoaAction::Rejected(rejection));
                return;
            }
        };
        if height > current {
            self.keep_for_later(message, peer, out);
            return;
        }
        match message {
            PoaMessage::Vote(vote) => self.add_vote(vote, out),
            PoaMessage::Proposal(proposal) => self.on_proposal(proposal, out),
            PoaMessage::Certificate(certificate) => self.on_certificate(certificate, None, out),
            PoaMessage::Decision(decision) => {
                self.on_certificate(decision.certificate, Some(decision.block), out)
            }
        }
    }

    /// A certificate for the block we already hold a certificate for adds nothing (every
    /// validator broadcasts one), so it is not verified again.
    fn is_redundant(&self, message: &PoaMessage) -> bool {
        let ours = self.state.certificate.as_ref().map(|c| c.block_hash);
        match message {
            PoaMessage::Certificate(c) => ours == Some(c.block_hash),
            PoaMessage::Decision(d) => {
                ours == Some(d.certificate.block_hash)
                    && self.state.block(&d.certificate.block_hash).is_some()
            }
            _ => false,
        }
    }

    /// Checks signer, proposer and signatures; returns the key of a validator that signed.
    fn verify(&self, message: &PoaMessage) -> Result<[u8; 32], Rejection> {
        let height = message.height();
        let spn_id = self.config.spn_id;
        let set = self
            .validators_at(height)
            .ok_or(Rejection::NoValidatorSet { height })?;
        let member = |index| {
            set.key(index)
                .ok_or(Rejection::UnknownValidator { height, index })
        };
        match message {
            PoaMessage::Vote(vote) => {
                let key = member(vote.validator)?;
                if !vote.verify(spn_id, key) {
                    return Err(Rejection::BadSignature {
                        height,
                        index: vote.validator,
                    });
                }
                Ok(key.to_bytes())
            }
            PoaMessage::Proposal(p) => {
                let key = member(p.proposer)?;
                let expected = set.proposer(height, p.round);
                if p.proposer != expected {
                    return Err(Rejection::WrongProposer {
                        height,
                        round: p.round,
                        index: p.proposer,
                        expected,
                    });
                }
                if !p.verify(spn_id, key) {
                    return Err(Rejection::BadSignature {
                        height,
                        index: p.proposer,
                    });
                }
                Ok(key.to_bytes())
            }
            PoaMessage::Certificate(c)
            | PoaMessage::Decision(super::Decision { certificate: c, .. }) => {
                // Signatures equal to votes we verified need not be verified twice.
                let current = height == self.state.height;
                verify_certificate_trusting(spn_id, set, c, |index, sig| {
                    current && self.state.has_verified_vote(index, &c.block_hash, sig)
                })
                .map_err(|error| Rejection::InvalidCertificate { height, error })?;
                let first = c.signatures.first().and_then(|(i, _)| set.key(*i));
                Ok(first.map(VerifyingKey::to_bytes).unwrap_or_default())
            }
        }
    }

    /// Keeps a verified message for a later height, and asks to sync when it shows that the
    /// network has committed heights this node has not.
    fn keep_for_later(&mut self, message: PoaMessage, peer: [u8; 32], out: &mut Vec<PoaAction>) {
        let height = message.height();
        let ahead = height.saturating_sub(self.state.height);
        if self.highest_seen.is_none_or(|(h, _)| height > h) {
            self.highest_seen = Some((height, peer));
        }
        // A certificate for a later height, or a vote two heights ahead, means our height is
        // already committed elsewhere. Decisions come from a sync already under way.
        let behind = match &message {
            PoaMessage::Certificate(_) => true,
            PoaMessage::Vote(_) | PoaMessage::Proposal(_) => ahead >= 2,
            PoaMessage::Decision(_) => false,
        };
        if behind {
            self.request_sync(peer, out);
        }
        if ahead > self.config.future_heights
            || self.future.len() >= self.config.max_future_messages
        {
            out.push(PoaAction::Rejected(Rejection::TooFarAhead { height }));
            return;
        }
        self.future.push(message);
    }

    /// Counts a verified vote for the current height; a quorum for one block makes the
    /// certificate.
    pub(super) fn add_vote(&mut self, vote: Vote, out: &mut Vec<PoaAction>) {
        let st = &mut self.state;
        st.heard.insert(vote.validator, st.round);
        match st.votes.get(&vote.validator) {
            Some(first) if first.block_hash == vote.block_hash => {
                out.push(PoaAction::Rejected(Rejection::Duplicate {
                    height: vote.height,
                    index: vote.validator,
                }));
                return;
            }
            Some(first) => {
                out.push(PoaAction::Misbehaviour(Evidence::DoubleVote {
                    first: first.clone(),
                    second: vote,
                }));
                return;
            }
            None => {}
        }
        let hash = vote.block_hash;
        st.votes.insert(vote.validator, vote);
        let quorum = self
            .sets
            .range(..=st.height)
            .next_back()
            .is_some_and(|(_, set)| set.is_quorum(st.votes_for(&hash)));
        if quorum && st.certificate.is_none() {
            st.certificate = Some(st.certificate_for(hash));
            // We may hold the block without having executed it (locked on another one).
            self.consider(hash, out);
            self.request_decided_block(out);
        }
        self.pursue_preferred(out);
    }

    /// A verified proposal by the current height's rightful proposer of its round.
    fn on_proposal(&mut self, proposal: Proposal, out: &mut Vec<PoaAction>) {
        let st = &mut self.state;
        let (height, index) = (proposal.height, proposal.proposer);
        if st.disqualified.contains(&index) {
            out.push(PoaAction::Rejected(Rejection::ProposerDisqualified {
                height,
                index,
            }));
            return;
        }
        if let Some(held) = st.proposals.get(&index) {
            if held.round == proposal.round && held.block_hash != proposal.block_hash {
                out.push(PoaAction::Misbehaviour(Evidence::DoubleProposal {
                    first: held.header(),
                    second: proposal.header(),
                }));
                return;
            }
            if held.round >= proposal.round {
                out.push(PoaAction::Rejected(Rejection::Duplicate { height, index }));
                return;
            }
        }
        let (round, hash) = (proposal.round, proposal.block_hash);
        st.proposals.insert(index, proposal);
        // The proposer is in a later round: follow it there, so we propose in turn with it.
        if round > st.round {
            self.start_round(round, out);
        }
        self.consider(hash, out);
    }

    /// A verified certificate for the current height, with the block when it came from sync.
    fn on_certificate(
        &mut self,
        certificate: CommitCertificate,
        block: Option<Vec<u8>>,
        out: &mut Vec<PoaAction>,
    ) {
        let st = &mut self.state;
        let hash = certificate.block_hash;
        match &st.certificate {
            Some(first) if first.block_hash != hash => {
                out.push(PoaAction::Misbehaviour(Evidence::ConflictingCertificates {
                    first: first.clone(),
                    second: certificate,
                }));
                return;
            }
            Some(_) => {}
            None => {
                // Finished by the others without our vote: we are behind them.
                st.late = st.lock.is_none();
                st.certificate = Some(certificate);
            }
        }
        if let Some(block) = block {
            use super::height::Execution;
            let usable =
                st.block(&hash).is_some() && st.executions.get(&hash) != Some(&Execution::Invalid);
            if !usable {
                // Bytes that failed before may have been a peer's forgery: try these.
                if st.executions.get(&hash) == Some(&Execution::Invalid) {
                    st.executions.remove(&hash);
                }
                st.decided_block = Some((hash, block));
            }
        }
        self.consider(hash, out);
        self.request_decided_block(out);
    }
}
