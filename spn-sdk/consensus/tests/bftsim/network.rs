//! The simulated network: who reaches whom (partitions, twins), delays and drops, what an
//! equivocator sends instead, and block sync.

use rand::Rng;
use spn_consensus::bft::{Batch, BftMessage, Vote, NIL};

use super::node::{decode_txs, encode_txs, Role};
use super::{Ev, Sim, CHAIN};

impl Sim {
    /// Which half of the network node `j` is in (for twins and equivocation).
    pub(super) fn group(j: usize) -> u8 {
        1 + (j % 2) as u8
    }

    /// Whether `a`'s messages reach `b`.
    pub(super) fn linked(&self, a: usize, b: usize) -> bool {
        if a == b {
            return false;
        }
        if let Some(side) = &self.side {
            if side[a] != side[b] {
                return false;
            }
        }
        match (self.nodes[a].role, self.nodes[b].role) {
            (Role::Twin(s), Role::Twin(t)) => s == t,
            (Role::Twin(s), _) => Self::group(b) == s,
            (_, Role::Twin(s)) => Self::group(a) == s,
            _ => true,
        }
    }

    pub(super) fn send(&mut self, to: usize, msg: BftMessage) {
        self.messages += 1;
        if self.chaos && self.rng.random_bool(self.scenario.drop_rate) {
            return;
        }
        let after = self.delay();
        self.schedule(after, Ev::Deliver { to, msg });
    }

    pub(super) fn broadcast(&mut self, i: usize, msg: BftMessage) {
        let role = self.nodes[i].role;
        for j in 0..self.nodes.len() {
            if !self.linked(i, j) {
                continue;
            }
            match role {
                Role::Equivocator => {
                    let twin = self.conflicting(i, &msg);
                    let (mine, other) = if Self::group(j) == 1 {
                        (msg.clone(), twin)
                    } else {
                        (twin, msg.clone())
                    };
                    self.send(j, mine);
                    if self.rng.random_bool(0.3) {
                        self.send(j, other);
                    }
                }
                Role::InvalidBatches if self.rng.random_bool(0.2) => {
                    let mut forged = msg.clone();
                    if let BftMessage::Vote(v) = &mut forged {
                        v.signature[0] ^= 1;
                    }
                    self.send(j, forged);
                    self.send(j, msg.clone());
                }
                _ => self.send(j, msg.clone()),
            }
        }
    }

    /// The equivocator's other version of `msg`, validly signed.
    pub(super) fn conflicting(&self, i: usize, msg: &BftMessage) -> BftMessage {
        let key = &self.nodes[i].key;
        match msg {
            BftMessage::Vote(v) => {
                let other = if v.block_hash == NIL { [0xee; 32] } else { NIL };
                BftMessage::Vote(Vote::sign(
                    CHAIN,
                    v.height,
                    v.round,
                    v.kind,
                    other,
                    v.validator,
                    key,
                ))
            }
            BftMessage::Batch(b) => {
                let mut txs = decode_txs(&b.payload).unwrap_or_default();
                txs.pop();
                let payload = encode_txs(&txs);
                BftMessage::Batch(Batch::sign(
                    CHAIN,
                    b.header.height,
                    b.header.proposer,
                    txs.len() as u32,
                    payload,
                    key,
                ))
            }
            BftMessage::Proposal(p) => {
                let mut other = p.clone();
                other.timestamp_ms += 1;
                BftMessage::Proposal(other.signed(CHAIN, key))
            }
            other => other.clone(),
        }
    }

    pub(super) fn serve_sync(&mut self, i: usize, from_height: u64, peer: [u8; 32]) {
        let server = (0..self.nodes.len()).find(|&j| {
            self.linked(i, j)
                && self.nodes[j].is_up()
                && self.nodes[j].key.verifying_key().to_bytes() == peer
        });
        let Some(j) = server else {
            return;
        };
        if self.chaos && self.rng.random_bool(self.scenario.drop_rate) {
            return;
        }
        let decisions = self.nodes[j].decisions(from_height, 16);
        let after = self.delay() + self.delay();
        self.schedule(after, Ev::SyncReply { to: i, decisions });
    }
}
