//! Encode `poa` messages and locks as bytes for the network and the disk, and decode them
//! from untrusted input (every length is bounded and checked; trailing bytes are refused).
//!
//! Layout: a tag byte, then fixed-width big-endian integers, 32-byte hashes, 64-byte
//! signatures, and byte strings prefixed with their u32 length.

use super::events::Lock;
use super::messages::{CommitCertificate, Decision, PoaMessage, Proposal, Vote};
pub use crate::codec::WireError;
use crate::codec::{Reader, Writer};

/// The largest block bytes a message may carry.
pub const MAX_BLOCK_BYTES: usize = 16 * 1024 * 1024;

/// The most signatures a certificate may carry.
pub const MAX_CERTIFICATE_SIGNATURES: usize = 1_024;

const TAG_PROPOSAL: u8 = 1;
const TAG_VOTE: u8 = 2;
const TAG_CERTIFICATE: u8 = 3;
const TAG_DECISION: u8 = 4;
const LOCK_VERSION: u8 = 1;

impl PoaMessage {
    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            Self::Proposal(p) => {
                w.u8(TAG_PROPOSAL);
                w.proposal(p);
            }
            Self::Vote(v) => {
                w.u8(TAG_VOTE);
                w.u64(v.height);
                w.bytes32(&v.block_hash);
                w.u32(v.validator);
                w.raw(&v.signature);
            }
            Self::Certificate(c) => {
                w.u8(TAG_CERTIFICATE);
                w.certificate(c);
            }
            Self::Decision(d) => {
                w.u8(TAG_DECISION);
                w.certificate(&d.certificate);
                w.blob(&d.block);
            }
        }
        w.0
    }

    /// Reads a message from untrusted bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let message = match r.u8()? {
            TAG_PROPOSAL => Self::Proposal(r.proposal()?),
            TAG_VOTE => Self::Vote(Vote {
                height: r.u64()?,
                block_hash: r.bytes32()?,
                validator: r.u32()?,
                signature: r.bytes64()?,
            }),
            TAG_CERTIFICATE => Self::Certificate(r.certificate()?),
            TAG_DECISION => Self::Decision(Decision {
                certificate: r.certificate()?,
                block: r.blob(MAX_BLOCK_BYTES)?,
            }),
            tag => return Err(WireError(format!("unknown message tag {tag}"))),
        };
        r.finish()?;
        Ok(message)
    }
}

impl CommitCertificate {
    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.certificate(self);
        w.0
    }

    /// Reads a certificate.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let c = r.certificate()?;
        r.finish()?;
        Ok(c)
    }
}

impl Lock {
    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(LOCK_VERSION);
        w.u64(self.height);
        w.bytes32(&self.block_hash);
        w.blob(&self.block);
        match &self.proposal {
            Some(p) => {
                w.u8(1);
                w.proposal(p);
            }
            None => w.u8(0),
        }
        w.0
    }

    /// Reads a stored lock.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(bytes);
        let version = r.u8()?;
        if version != LOCK_VERSION {
            return Err(WireError(format!("unknown lock version {version}")));
        }
        let lock = Self {
            height: r.u64()?,
            block_hash: r.bytes32()?,
            block: r.blob(MAX_BLOCK_BYTES)?,
            proposal: match r.u8()? {
                0 => None,
                1 => Some(r.proposal()?),
                flag => return Err(WireError(format!("bad proposal flag {flag}"))),
            },
        };
        r.finish()?;
        Ok(lock)
    }
}

trait PoaWrite {
    fn proposal(&mut self, p: &Proposal);
    fn certificate(&mut self, c: &CommitCertificate);
}

impl PoaWrite for Writer {
    fn proposal(&mut self, p: &Proposal) {
        self.u64(p.height);
        self.u32(p.round);
        self.bytes32(&p.block_hash);
        self.u32(p.proposer);
        self.raw(&p.signature);
        self.blob(&p.block);
    }
    fn certificate(&mut self, c: &CommitCertificate) {
        self.u64(c.height);
        self.bytes32(&c.block_hash);
        self.u32(c.signatures.len() as u32);
        for (index, signature) in &c.signatures {
            self.u32(*index);
            self.raw(signature);
        }
    }
}

trait PoaRead {
    fn proposal(&mut self) -> Result<Proposal, WireError>;
    fn certificate(&mut self) -> Result<CommitCertificate, WireError>;
}

impl PoaRead for Reader<'_> {
    fn proposal(&mut self) -> Result<Proposal, WireError> {
        Ok(Proposal {
            height: self.u64()?,
            round: self.u32()?,
            block_hash: self.bytes32()?,
            proposer: self.u32()?,
            signature: self.bytes64()?,
            block: self.blob(MAX_BLOCK_BYTES)?,
        })
    }
    fn certificate(&mut self) -> Result<CommitCertificate, WireError> {
        let height = self.u64()?;
        let block_hash = self.bytes32()?;
        let count = self.count(MAX_CERTIFICATE_SIGNATURES, "signatures")?;
        let mut signatures = Vec::with_capacity(count);
        for _ in 0..count {
            signatures.push((self.u32()?, self.bytes64()?));
        }
        Ok(CommitCertificate {
            height,
            block_hash,
            signatures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn samples() -> Vec<PoaMessage> {
        let key = SigningKey::from_bytes(&[7; 32]);
        let vote = Vote::sign(9, 4, [1; 32], 2, &key);
        let certificate = CommitCertificate {
            height: 4,
            block_hash: [1; 32],
            signatures: vec![(0, [3; 64]), (2, vote.signature)],
        };
        vec![
            PoaMessage::Proposal(Proposal::sign(9, 4, 1, [1; 32], vec![5; 100], 1, &key)),
            PoaMessage::Vote(vote),
            PoaMessage::Certificate(certificate.clone()),
            PoaMessage::Decision(Decision {
                certificate,
                block: vec![8; 10],
            }),
        ]
    }

    #[test]
    fn messages_and_locks_round_trip() {
        for m in samples() {
            assert_eq!(PoaMessage::decode(&m.encode()).unwrap(), m);
        }
        let PoaMessage::Proposal(p) = &samples()[0] else {
            unreachable!()
        };
        let lock = Lock {
            height: 4,
            block_hash: [1; 32],
            block: vec![5; 100],
            proposal: Some(p.header()),
        };
        assert_eq!(Lock::decode(&lock.encode()).unwrap(), lock);
        let bare = Lock {
            proposal: None,
            ..lock
        };
        assert_eq!(Lock::decode(&bare.encode()).unwrap(), bare);
    }

    #[test]
    fn truncated_padded_or_oversized_input_is_refused() {
        for m in samples() {
            let bytes = m.encode();
            for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
                assert!(PoaMessage::decode(&bytes[..cut]).is_err(), "cut at {cut}");
            }
            let mut padded = bytes.clone();
            padded.push(0);
            assert!(PoaMessage::decode(&padded)
                .unwrap_err()
                .0
                .contains("trailing"));
        }
        assert!(PoaMessage::decode(&[99]).unwrap_err().0.contains("tag 99"));
        let mut huge = vec![TAG_DECISION];
        huge.extend_from_slice(&[0; 8 + 32]);
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(PoaMessage::decode(&huge)
            .unwrap_err()
            .0
            .contains("signatures exceeds"));
    }
}
