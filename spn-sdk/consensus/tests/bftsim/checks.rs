//! What every run checks as it happens (commits, signatures, evidence) and when it is done.

use spn_consensus::bft::{
    owner_index, verify_commit_certificate, CommitCertificate, Evidence, Hash, WalEntry,
};

use super::node::{Role, Tx};
use super::{Sim, CHAIN};

impl Sim {
    /// Honest keys never sign conflicting messages, across restarts.
    pub(super) fn check_signed(&mut self, i: usize, entry: &WalEntry) {
        if !self.nodes[i].is_honest() {
            return;
        }
        let k = self.nodes[i].key_index;
        match entry {
            WalEntry::Vote(v) => {
                let first = *self
                    .votes_signed
                    .entry((k, v.height, v.round, v.kind))
                    .or_insert(v.block_hash);
                assert_eq!(
                    first, v.block_hash,
                    "node {i} signed two {:?}s at h{} r{}",
                    v.kind, v.height, v.round
                );
            }
            WalEntry::Batch(b) => {
                let first = *self
                    .batches_signed
                    .entry((k, b.header.height))
                    .or_insert(b.header.digest);
                assert_eq!(
                    first, b.header.digest,
                    "node {i} signed two batches at h{}",
                    b.header.height
                );
            }
            WalEntry::Proposal(_) | WalEntry::Locked { .. } => {}
        }
    }

    /// Evidence must be real: both signatures verify, same signer and slot, different content.
    pub(super) fn check_evidence(&mut self, evidence: Evidence) {
        match evidence {
            Evidence::DoubleVote { first, second } => {
                let key = self.set.key(first.validator).expect("member");
                assert!(first.verify(CHAIN, key) && second.verify(CHAIN, key));
                assert_eq!(
                    (first.validator, first.height, first.round, first.kind),
                    (second.validator, second.height, second.round, second.kind)
                );
                assert_ne!(first.block_hash, second.block_hash);
                let offender = self
                    .nodes
                    .iter()
                    .find(|n| n.key_index == first.validator)
                    .expect("node");
                assert!(
                    !offender.is_honest(),
                    "evidence against honest validator {}",
                    first.validator
                );
                self.double_votes += 1;
            }
            Evidence::DoubleBatch { first, second } => {
                assert_eq!(first.header.proposer, second.header.proposer);
                assert_ne!(first.header, second.header);
                let offender = self
                    .nodes
                    .iter()
                    .find(|n| n.key_index == first.header.proposer)
                    .expect("node");
                assert!(
                    !offender.is_honest(),
                    "batch evidence against an honest validator"
                );
                self.other_evidence += 1;
            }
            Evidence::DoubleProposal { first, second } => {
                let offender = self
                    .nodes
                    .iter()
                    .find(|n| n.key_index == first.proposer)
                    .expect("node");
                assert!(
                    !offender.is_honest() && first != second,
                    "proposal evidence against an honest validator"
                );
                self.other_evidence += 1;
            }
        }
    }

    pub(super) fn commit(
        &mut self,
        i: usize,
        height: u64,
        hash: Hash,
        certificate: CommitCertificate,
    ) {
        let node = &mut self.nodes[i];
        assert_eq!(height, node.head() + 1, "node {i} commits out of order");
        assert_eq!((certificate.height, certificate.block_hash), (height, hash));
        if let Err(e) = verify_commit_certificate(CHAIN, &self.set, &certificate) {
            panic!("node {i} commits height {height} with a certificate that fails: {e}");
        }
        let block = node
            .executed
            .get(&hash)
            .cloned()
            .unwrap_or_else(|| panic!("node {i} commits height {height} before executing it"));
        if node.is_honest() {
            let first = *self.committed.entry(height).or_insert(hash);
            assert_eq!(
                first, hash,
                "SAFETY: two blocks committed at height {height}"
            );
        }
        if node.synced.contains(&height) {
            node.commits_by_sync += 1;
        }
        node.chain.push((hash, block, certificate));
        node.executed.clear();
        node.in_flight.retain(|h, _| *h > height);
        node.wal.retain(|e| e.height() > height);
    }

    /// Transactions whose owner is honest (the ones liveness promises to commit).
    pub(super) fn owed(&self) -> Vec<Tx> {
        let n = self.scenario.n;
        let byzantine = self.scenario.byzantine != Role::Honest;
        self.next_nonce
            .iter()
            .flat_map(|(s, count)| (0..*count).map(move |nonce| (*s, nonce)))
            .filter(|(s, _)| !(byzantine && owner_index(&s.to_be_bytes(), n) == 0))
            .collect()
    }

    pub(super) fn done(&self) -> bool {
        let owed = self.owed();
        self.honest().all(|i| {
            let node = &self.nodes[i];
            if !node.is_up() || node.head() < self.scenario.target {
                return false;
            }
            let committed = node.committed_txs();
            owed.iter().all(|tx| committed.contains(tx))
        })
    }
}
