//! Block sync between `poa` nodes: a node that fell behind asks a peer for the certified
//! blocks from a height on and commits them in order, each checked against its certificate
//! and re-executed by the engine like any proposal.
//!
//! Request: `from` (u64) ‖ `max` (u32), big-endian. Response: a count (u32), then each
//! [`PoaMessage::Decision`] in its wire form, prefixed by its length (u32).

use super::codec::encode_block;
use spn_consensus::poa::{CommitCertificate, Decision, PoaMessage};
use spn_primitives::SealedBlock;
use spn_storage::Store;

/// The most blocks one sync response carries.
pub const SYNC_BATCH: u32 = 64;

/// Response bytes a server stops adding blocks at (below the network's message cap).
const MAX_RESPONSE_BYTES: usize = 3 * 1024 * 1024;

/// Encodes a request for up to `max` blocks from `from` on.
pub fn encode_request(from: u64, max: u32) -> Vec<u8> {
    let mut out = from.to_be_bytes().to_vec();
    out.extend_from_slice(&max.to_be_bytes());
    out
}

/// Reads a request: (from, max).
pub fn decode_request(bytes: &[u8]) -> Result<(u64, u32), String> {
    if bytes.len() != 12 {
        return Err(format!(
            "sync request of {} bytes, expected 12",
            bytes.len()
        ));
    }
    let mut from = [0u8; 8];
    from.copy_from_slice(&bytes[..8]);
    let mut max = [0u8; 4];
    max.copy_from_slice(&bytes[8..]);
    Ok((u64::from_be_bytes(from), u32::from_be_bytes(max)))
}

/// The certified blocks from `from` on that `store` holds (at most `max`, and fewer when the
/// response would grow too large).
pub fn serve(store: &Store, from: u64, max: u32) -> Result<Vec<u8>, String> {
    serve_with(store, from, max, |block, certificate| {
        let certificate = CommitCertificate::decode(&certificate).map_err(|e| e.to_string())?;
        Ok(PoaMessage::Decision(Decision { certificate, block }).encode())
    })
}

/// A sync response for the blocks from `from` on (at most `max`, fewer past
/// [`MAX_RESPONSE_BYTES`]): each stored block with its certificate, encoded by `decision`
/// (the engine's message for a certified block), then framed.
pub(crate) fn serve_with(
    store: &Store,
    from: u64,
    max: u32,
    decision: impl Fn(Vec<u8>, Vec<u8>) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, String> {
    let err = |e: spn_storage::StoreError| e.to_string();
    let head = store.head().map_err(err)?.map_or(0, |(n, _)| n);
    let mut frames = Vec::new();
    let mut size = 4;
    let from = from.max(1);
    let last = head.min(from.saturating_add(u64::from(max.min(SYNC_BATCH))) - 1);
    for height in from..=last {
        let (Some(header), Some(body), Some(certificate)) = (
            store.header(height).map_err(err)?,
            store.body(height).map_err(err)?,
            store.certificate(height).map_err(err)?,
        ) else {
            break;
        };
        let bytes = decision(encode_block(&SealedBlock::new(header, body)), certificate)?;
        size += 4 + bytes.len();
        if size > MAX_RESPONSE_BYTES && !frames.is_empty() {
            break;
        }
        frames.push(bytes);
    }
    let mut out = (frames.len() as u32).to_be_bytes().to_vec();
    for f in frames {
        out.extend_from_slice(&(f.len() as u32).to_be_bytes());
        out.extend_from_slice(&f);
    }
    Ok(out)
}

/// Reads a response: the decisions, in order. Anything but decisions is refused.
pub fn decode_response(bytes: &[u8]) -> Result<Vec<Decision>, String> {
    unframe(bytes)?
        .into_iter()
        .map(
            |frame| match PoaMessage::decode(frame).map_err(|e| e.to_string())? {
                PoaMessage::Decision(d) => Ok(d),
                _ => Err("sync response holds a message that is not a certified block".into()),
            },
        )
        .collect()
}

/// The frames of a sync response (a count, then each frame behind its length), refusing
/// more than [`SYNC_BATCH`], truncation and trailing bytes.
pub(crate) fn unframe(mut bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
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
        out.push(take(len)?);
    }
    if !bytes.is_empty() {
        return Err("trailing bytes after the sync response".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_malformed_responses_are_refused() {
        assert_eq!(decode_request(&encode_request(9, 3)).unwrap(), (9, 3));
        assert!(decode_request(&[0; 11]).is_err());
        assert_eq!(decode_response(&0u32.to_be_bytes()).unwrap(), vec![]);
        assert!(decode_response(&1u32.to_be_bytes()).is_err());
        assert!(decode_response(&(SYNC_BATCH + 1).to_be_bytes()).is_err());
        let vote = PoaMessage::Vote(spn_consensus::poa::Vote {
            height: 1,
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
