//! Block sync between `bft` nodes: a node that fell behind asks a peer for the certified
//! blocks from a height on; each comes back as a [`Decision`] (the block and its commit
//! certificate), which the engine checks against the height's set and has re-executed.
//!
//! The request is `poa`'s (`from` u64 ‖ `max` u32, big-endian). Response: a count (u32), then
//! each [`BftMessage::Decision`] in its wire form, prefixed by its length (u32).

use spn_consensus::bft::{BftMessage, CommitCertificate, Decision};
use spn_storage::Store;

pub(crate) use crate::poa::{decode_request, encode_request, SYNC_BATCH};

/// The certified blocks from `from` on that `store` holds (at most `max`, fewer when the
/// response would grow too large).
pub(crate) fn serve(store: &Store, from: u64, max: u32) -> Result<Vec<u8>, String> {
    crate::poa::serve_with(store, from, max, |block, certificate| {
        let certificate = CommitCertificate::decode(&certificate).map_err(|e| e.to_string())?;
        Ok(BftMessage::Decision(Decision { certificate, block }).encode())
    })
}

/// Reads a response: the decisions, in order. Anything but decisions is refused.
pub(crate) fn decode_response(bytes: &[u8]) -> Result<Vec<Decision>, String> {
    crate::poa::unframe(bytes)?
        .into_iter()
        .map(
            |frame| match BftMessage::decode(frame).map_err(|e| e.to_string())? {
                BftMessage::Decision(d) => Ok(d),
                _ => Err("sync response holds a message that is not a certified block".into()),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_consensus::bft::{Vote, VoteKind};

    #[test]
    fn malformed_or_foreign_responses_are_refused() {
        assert_eq!(decode_response(&0u32.to_be_bytes()).unwrap(), vec![]);
        assert!(decode_response(&1u32.to_be_bytes()).is_err());
        assert!(decode_response(&(SYNC_BATCH + 1).to_be_bytes()).is_err());
        let decision = BftMessage::Decision(Decision {
            certificate: CommitCertificate {
                height: 1,
                round: 0,
                block_hash: [7; 32],
                signatures: vec![],
            },
            block: vec![1, 2, 3],
        })
        .encode();
        let mut one = 1u32.to_be_bytes().to_vec();
        one.extend_from_slice(&(decision.len() as u32).to_be_bytes());
        one.extend_from_slice(&decision);
        assert_eq!(decode_response(&one).unwrap().len(), 1);
        let mut trailing = one.clone();
        trailing.push(0);
        assert!(decode_response(&trailing).unwrap_err().contains("trailing"));
        let vote = BftMessage::Vote(Vote {
            kind: VoteKind::Prevote,
            height: 1,
            round: 0,
            block_hash: [0; 32],
            validator: 0,
            signature: [0; 64],
        })
        .encode();
        let mut response = 1u32.to_be_bytes().to_vec();
        response.extend_from_slice(&(vote.len() as u32).to_be_bytes());
        response.extend_from_slice(&vote);
        assert!(decode_response(&response)
            .unwrap_err()
            .contains("not a certified block"));
    }
}
