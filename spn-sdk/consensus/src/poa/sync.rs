//! Ask the node's block sync for certified blocks when this node is behind or lacks a final block.

use ed25519_dalek::VerifyingKey;

use super::engine::Poa;
use super::events::PoaAction;
use super::height::Execution;

impl Poa {
    /// Asks for a sync from `peer`, at most once per round.
    pub(super) fn request_sync(&mut self, peer: [u8; 32], out: &mut Vec<PoaAction>) {
        let at = (self.state.height, self.state.round);
        if self.sync_requested != Some(at) {
            self.sync_requested = Some(at);
            out.push(PoaAction::RequestSync {
                from_height: self.state.height,
                peer,
            });
        }
    }

    /// With a certificate but no valid bytes for its block, asks one of its signers (a
    /// different one each round) for the certified block.
    pub(super) fn request_decided_block(&mut self, out: &mut Vec<PoaAction>) {
        let st = &self.state;
        let Some(certificate) = st.certificate.as_ref() else {
            return;
        };
        let hash = certificate.block_hash;
        let missing =
            st.block(&hash).is_none() && st.executions.get(&hash) != Some(&Execution::Pending);
        if st.committing || !missing || certificate.signatures.is_empty() {
            return;
        }
        let pick = st.round as usize % certificate.signatures.len();
        let signer = certificate.signatures[pick].0;
        let peer = self
            .validators_at(st.height)
            .and_then(|set| set.key(signer))
            .map(VerifyingKey::to_bytes);
        if let Some(peer) = peer {
            self.request_sync(peer, out);
        }
    }
}
