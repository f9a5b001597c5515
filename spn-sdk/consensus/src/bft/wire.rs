//! Encode `bft` messages and write-ahead-log entries as bytes for the network and the disk, and decode them from untrusted input.
//!
//! Layout: a tag byte, then fixed-width big-endian integers, 32-byte hashes, 64-byte
//! signatures, and byte strings and lists prefixed with their u32 length (every length is
//! bounded; trailing bytes are refused).

use super::events::WalEntry;
use super::messages::{
    Ack, Batch, BatchHeader, BftMessage, CertifiedBatch, CommitCertificate, Decision, Proposal,
    SignatureBytes, Vote, VoteKind, MAX_EXTRA_DATA,
};
use super::stake::StakeSet;
use crate::codec::{Reader, WireError, Writer};
use crate::poa::ValidatorIndex;

/// The largest batch payload or block a message may carry.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;

/// The most signatures (or batches, or votes) one list may hold.
pub const MAX_LIST: usize = StakeSet::MAX_VALIDATORS;

const TAG_BATCH: u8 = 1;
const TAG_ACK: u8 = 2;
const TAG_PROPOSAL: u8 = 3;
const TAG_VOTE: u8 = 4;
const TAG_CERTIFICATE: u8 = 5;
const TAG_DECISION: u8 = 6;
const WAL_BATCH: u8 = 11;
const WAL_PROPOSAL: u8 = 12;
const WAL_VOTE: u8 = 13;
const WAL_LOCKED: u8 = 14;

impl BftMessage {
    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            Self::Batch(b) => {
                w.u8(TAG_BATCH);
                put_batch(&mut w, b);
            }
            Self::Ack(a) => {
                w.u8(TAG_ACK);
                w.u64(a.height);
                w.u32(a.proposer);
                w.bytes32(&a.digest);
                w.u32(a.validator);
                w.raw(&a.signature);
            }
            Self::Proposal(p) => {
                w.u8(TAG_PROPOSAL);
                put_proposal(&mut w, p);
            }
            Self::Vote(v) => {
                w.u8(TAG_VOTE);
                put_vote(&mut w, v);
            }
            Self::Certificate(c) => {
                w.u8(TAG_CERTIFICATE);
                put_certificate(&mut w, c);
            }
            Self::Decision(d) => {
                w.u8(TAG_DECISION);
                put_certificate(&mut w, &d.certificate);
                w.blob(&d.block);
            }
        }
        w.0
    }

    /// Reads a message from untrusted bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let message = match r.u8()? {
            TAG_BATCH => Self::Batch(get_batch(&mut r)?),
            TAG_ACK => Self::Ack(Ack {
                height: r.u64()?,
                proposer: r.u32()?,
                digest: r.bytes32()?,
                validator: r.u32()?,
                signature: r.bytes64()?,
            }),
            TAG_PROPOSAL => Self::Proposal(get_proposal(&mut r)?),
            TAG_VOTE => Self::Vote(get_vote(&mut r)?),
            TAG_CERTIFICATE => Self::Certificate(get_certificate(&mut r)?),
            TAG_DECISION => Self::Decision(Decision {
                certificate: get_certificate(&mut r)?,
                block: r.blob(MAX_PAYLOAD_BYTES)?,
            }),
            tag => return Err(WireError(format!("unknown bft message tag {tag}"))),
        };
        r.finish()?;
        Ok(message)
    }
}

impl CommitCertificate {
    /// The stored form (kept with each block).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        put_certificate(&mut w, self);
        w.0
    }

    /// Reads a stored certificate.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let c = get_certificate(&mut r)?;
        r.finish()?;
        Ok(c)
    }
}

impl WalEntry {
    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            Self::Batch(b) => {
                w.u8(WAL_BATCH);
                put_batch(&mut w, b);
            }
            Self::Proposal(p) => {
                w.u8(WAL_PROPOSAL);
                put_proposal(&mut w, p);
            }
            Self::Vote(v) => {
                w.u8(WAL_VOTE);
                put_vote(&mut w, v);
            }
            Self::Locked {
                proposal,
                round,
                polka,
            } => {
                w.u8(WAL_LOCKED);
                put_proposal(&mut w, proposal);
                w.u32(*round);
                w.u32(polka.len() as u32);
                for v in polka {
                    put_vote(&mut w, v);
                }
            }
        }
        w.0
    }

    /// Reads a stored entry.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let entry = match r.u8()? {
            WAL_BATCH => Self::Batch(get_batch(&mut r)?),
            WAL_PROPOSAL => Self::Proposal(get_proposal(&mut r)?),
            WAL_VOTE => Self::Vote(get_vote(&mut r)?),
            WAL_LOCKED => {
                let proposal = get_proposal(&mut r)?;
                let round = r.u32()?;
                let count = r.count(MAX_LIST, "votes")?;
                let mut polka = Vec::with_capacity(count);
                for _ in 0..count {
                    polka.push(get_vote(&mut r)?);
                }
                Self::Locked {
                    proposal,
                    round,
                    polka,
                }
            }
            tag => return Err(WireError(format!("unknown write-ahead log tag {tag}"))),
        };
        r.finish()?;
        Ok(entry)
    }
}

fn put_batch(w: &mut Writer, b: &Batch) {
    w.u64(b.header.height);
    w.u32(b.header.proposer);
    w.u32(b.header.tx_count);
    w.bytes32(&b.header.digest);
    w.raw(&b.signature);
    w.blob(&b.payload);
}

fn get_batch(r: &mut Reader<'_>) -> Result<Batch, WireError> {
    Ok(Batch {
        header: BatchHeader {
            height: r.u64()?,
            proposer: r.u32()?,
            tx_count: r.u32()?,
            digest: r.bytes32()?,
        },
        signature: r.bytes64()?,
        payload: r.blob(MAX_PAYLOAD_BYTES)?,
    })
}

fn put_signatures(w: &mut Writer, signatures: &[(ValidatorIndex, SignatureBytes)]) {
    w.u32(signatures.len() as u32);
    for (index, signature) in signatures {
        w.u32(*index);
        w.raw(signature);
    }
}

fn get_signatures(r: &mut Reader<'_>) -> Result<Vec<(ValidatorIndex, SignatureBytes)>, WireError> {
    let count = r.count(MAX_LIST, "signatures")?;
    let mut signatures = Vec::with_capacity(count);
    for _ in 0..count {
        signatures.push((r.u32()?, r.bytes64()?));
    }
    Ok(signatures)
}

fn put_proposal(w: &mut Writer, p: &Proposal) {
    w.u64(p.height);
    w.u32(p.round);
    w.u32(p.pol_round.unwrap_or(u32::MAX));
    w.bytes32(&p.block_hash);
    w.u32(p.proposer);
    w.u32(p.builder);
    w.u64(p.timestamp_ms);
    w.blob(&p.extra_data);
    w.raw(&p.signature);
    w.u32(p.batches.len() as u32);
    for c in &p.batches {
        put_batch(w, &c.batch);
        put_signatures(w, &c.acks);
    }
}

fn get_proposal(r: &mut Reader<'_>) -> Result<Proposal, WireError> {
    let height = r.u64()?;
    let round = r.u32()?;
    let pol_round = Some(r.u32()?).filter(|vr| *vr != u32::MAX);
    let block_hash = r.bytes32()?;
    let proposer = r.u32()?;
    let builder = r.u32()?;
    let timestamp_ms = r.u64()?;
    let extra_data = r.blob(MAX_EXTRA_DATA)?;
    let signature = r.bytes64()?;
    let count = r.count(MAX_LIST, "batches")?;
    let mut batches = Vec::with_capacity(count);
    for _ in 0..count {
        batches.push(CertifiedBatch {
            batch: get_batch(r)?,
            acks: get_signatures(r)?,
        });
    }
    Ok(Proposal {
        height,
        round,
        pol_round,
        block_hash,
        proposer,
        builder,
        timestamp_ms,
        extra_data,
        batches,
        signature,
    })
}

fn put_vote(w: &mut Writer, v: &Vote) {
    w.u64(v.height);
    w.u32(v.round);
    w.u8(v.kind as u8);
    w.bytes32(&v.block_hash);
    w.u32(v.validator);
    w.raw(&v.signature);
}

fn get_vote(r: &mut Reader<'_>) -> Result<Vote, WireError> {
    let height = r.u64()?;
    let round = r.u32()?;
    let kind = match r.u8()? {
        1 => VoteKind::Prevote,
        2 => VoteKind::Precommit,
        k => return Err(WireError(format!("unknown vote kind {k}"))),
    };
    Ok(Vote {
        height,
        round,
        kind,
        block_hash: r.bytes32()?,
        validator: r.u32()?,
        signature: r.bytes64()?,
    })
}

fn put_certificate(w: &mut Writer, c: &CommitCertificate) {
    w.u64(c.height);
    w.u32(c.round);
    w.bytes32(&c.block_hash);
    put_signatures(w, &c.signatures);
}

fn get_certificate(r: &mut Reader<'_>) -> Result<CommitCertificate, WireError> {
    Ok(CommitCertificate {
        height: r.u64()?,
        round: r.u32()?,
        block_hash: r.bytes32()?,
        signatures: get_signatures(r)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn samples() -> Vec<BftMessage> {
        let key = SigningKey::from_bytes(&[7; 32]);
        let batch = Batch::sign(9, 4, 1, 2, vec![5; 40], &key);
        let ack = Ack::sign(9, &batch.header, 3, &key);
        let vote = Vote::sign(9, 4, 2, VoteKind::Precommit, [1; 32], 2, &key);
        let certificate = CommitCertificate {
            height: 4,
            round: 2,
            block_hash: [1; 32],
            signatures: vec![(0, [3; 64]), (2, vote.signature)],
        };
        let proposal = Proposal {
            height: 4,
            round: 2,
            pol_round: Some(1),
            block_hash: [1; 32],
            proposer: 2,
            builder: 1,
            timestamp_ms: 1_700_000_000_000,
            extra_data: vec![9; 13],
            batches: vec![CertifiedBatch {
                batch: batch.clone(),
                acks: vec![(3, ack.signature)],
            }],
            signature: [0; 64],
        }
        .signed(9, &key);
        vec![
            BftMessage::Batch(batch),
            BftMessage::Ack(ack),
            BftMessage::Proposal(proposal.clone()),
            BftMessage::Proposal(Proposal {
                pol_round: None,
                batches: vec![],
                ..proposal
            }),
            BftMessage::Vote(vote),
            BftMessage::Certificate(certificate.clone()),
            BftMessage::Decision(Decision {
                certificate,
                block: vec![8; 10],
            }),
        ]
    }

    #[test]
    fn messages_certificates_and_wal_entries_round_trip() {
        for m in samples() {
            assert_eq!(BftMessage::decode(&m.encode()).unwrap(), m);
        }
        let samples = samples();
        let (
            BftMessage::Batch(b),
            BftMessage::Proposal(p),
            BftMessage::Vote(v),
            BftMessage::Certificate(c),
        ) = (&samples[0], &samples[2], &samples[4], &samples[5])
        else {
            unreachable!()
        };
        assert_eq!(CommitCertificate::decode(&c.encode()).unwrap(), *c);
        for entry in [
            WalEntry::Batch(b.clone()),
            WalEntry::Proposal(p.header()),
            WalEntry::Vote(v.clone()),
            WalEntry::Locked {
                proposal: p.clone(),
                round: 1,
                polka: vec![v.clone(), v.clone()],
            },
        ] {
            assert_eq!(WalEntry::decode(&entry.encode()).unwrap(), entry);
        }
    }

    #[test]
    fn truncated_padded_or_oversized_input_is_refused() {
        for m in samples() {
            let bytes = m.encode();
            for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
                assert!(BftMessage::decode(&bytes[..cut]).is_err(), "cut at {cut}");
            }
            let mut padded = bytes.clone();
            padded.push(0);
            assert!(BftMessage::decode(&padded)
                .unwrap_err()
                .0
                .contains("trailing"));
        }
        assert!(BftMessage::decode(&[99]).unwrap_err().0.contains("tag 99"));
        // A vote of an unknown kind.
        let BftMessage::Vote(v) = &samples()[4] else {
            unreachable!()
        };
        let mut bytes = BftMessage::Vote(v.clone()).encode();
        bytes[1 + 8 + 4] = 3;
        assert!(BftMessage::decode(&bytes)
            .unwrap_err()
            .0
            .contains("vote kind"));
        // A certificate claiming more signatures than any set has.
        let mut huge = vec![TAG_CERTIFICATE];
        huge.extend_from_slice(&[0; 8 + 4 + 32]);
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(BftMessage::decode(&huge).unwrap_err().0.contains("exceeds"));
        // A batch claiming a payload over the limit.
        let mut big = vec![TAG_BATCH];
        big.extend_from_slice(&[0; 8 + 4 + 4 + 32 + 64]);
        big.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(BftMessage::decode(&big).unwrap_err().0.contains("limit"));
        // A proposal with more extra data than a header may carry.
        let BftMessage::Proposal(p) = &samples()[2] else {
            unreachable!()
        };
        let mut long = p.clone();
        long.extra_data = vec![0; MAX_EXTRA_DATA + 1];
        let err = BftMessage::decode(&BftMessage::Proposal(long).encode()).unwrap_err();
        assert!(err.0.contains("limit"), "{err:?}");
    }
}
