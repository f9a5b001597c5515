//! Block sync between `bft` nodes: a node that fell behind asks a peer for the certified
//! blocks from a height on; each comes back as a [`Decision`] (the block and its commit
//! certificate), which the engine checks against the height's set and has re-executed.
//!
//! The request is `poa`'s (`from` u64 ‖ `max` u32, big-endian). Response: a count (u32), then
//! each [`BftMessage::Decision`] in its wire form, prefixed by its length (u32).

use crate::poa::encode_block;
use spn_consensus::bft::{BftMessage, CommitCertificate, Decision};
use spn_primitives::SealedBlock;
use spn_storage::Store;

pub(crate) use crate::poa::{decode_request, encode_request, SYNC_BATCH};

/// Response bytes a server stops adding blocks at (below the network's message cap).
const MAX_RESPONSE_BYTES: usize = 3 * 1024 * 1024;

/// The certified blocks from `from` on that `store` holds (at most `max`, fewer when the
/// response would grow too large).
pub(crate) fn serve(store: &Store, from: u64, max: u32) -> Result<Vec<u8>, String> {
    let head = store
        .head()
        .map_err(|e| e.to_string())?
        .map_or(0, |(n, _)| n);
    let from = from.max(1);
    let last = head.min(from.saturating_add(u64::from(max.min(SYNC_BATCH))) - 1);
    let mut decisions = Vec::new();
    let mut size = 4;
    for height in from..=last {
        let Some(decision) = decision_at(store, height)? else {
            break;
        };
        let bytes = BftMessage::Decision(decision).encode();
        size += 4 + bytes.len();
        if size > MAX_RESPONSE_BYTES && !decisions.is_empty() {
            break;
        }
        decisions.push(bytes);
    }
    let mut out = (decisions.len() as u32).to_be_bytes().to_vec();
    for d in decisions {
        out.extend_from_slice(&(d.len() as u32).to_be_bytes());
        out.extend_from_slice(&d);
    }
    Ok(out)
}

fn decision_at(store: &Store, height: u64) -> Result<Option<Decision>, String> {
    let err = |e: spn_storage::StoreError| e.to_string();
    let (Some(header), Some(body), Some(certificate)) = (
        store.header(height).map_err(err)?,
        store.body(height).map_err(err)?,
        store.certificate(height).map_err(err)?,
    ) else {
        return Ok(None);
    };
    let certificate = CommitCertificate::decode(&certificate).map_err(|e| e.to_string())?;
    Ok(Some(Decision {
        certificate,
        block: encode_block(&SealedBlock::new(header, body)),
    }))
}

/// Reads a response: the decisions, in order. Anything but decisions is refused.
pub(crate) fn decode_response(mut bytes: &[u8]) -> Result<Vec<Decision>, String> {
    let mut take = |n: usize| -> Result<&[u8], String> {
        if bytes.len() < n {
            return Err("truncated sync response".to_string());
        }
        let (head, rest) = bytes.split_at(n);
        bytes = rest;
        Ok(head)
    };
    let count = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes"));
    if count > SYNC_BATCH {
        return Err(format!(
            "sync response with {count} blocks exceeds {SYNC_BATCH}"
        ));
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        match BftMessage::decode(take(len)?).map_err(|e| e.to_string())? {
            BftMessage::Decision(d) => out.push(d),
            _ => return Err("sync response holds a message that is not a certified block".into()),
        }
    }
    if !bytes.is_empty() {
        return Err("trailing bytes after the sync response".into());
    }
    Ok(out)
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
