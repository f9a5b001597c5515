//! Hyperlane's packed message format, version 3 (`contracts/src/lib/Message.sol`).

use alloy::primitives::{keccak256, Address, Bytes, B256};

/// The format version.
pub const VERSION: u8 = 3;
/// Bytes before the body.
pub const HEADER_LENGTH: usize = 77;

/// A cross-network message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The sender's per-destination sequence number.
    pub nonce: u32,
    /// The origin domain (chain id).
    pub origin: u32,
    /// The sender, left-padded.
    pub sender: B256,
    /// The destination domain (chain id).
    pub destination: u32,
    /// The recipient, left-padded.
    pub recipient: B256,
    /// The payload.
    pub body: Bytes,
}

impl Message {
    /// A message between two addresses.
    pub fn new(
        nonce: u32,
        origin: u32,
        sender: Address,
        destination: u32,
        recipient: Address,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            nonce,
            origin,
            sender: sender.into_word(),
            destination,
            recipient: recipient.into_word(),
            body: body.into(),
        }
    }

    /// The packed bytes.
    pub fn encode(&self) -> Bytes {
        let mut m = Vec::with_capacity(HEADER_LENGTH + self.body.len());
        m.push(VERSION);
        m.extend_from_slice(&self.nonce.to_be_bytes());
        m.extend_from_slice(&self.origin.to_be_bytes());
        m.extend_from_slice(self.sender.as_slice());
        m.extend_from_slice(&self.destination.to_be_bytes());
        m.extend_from_slice(self.recipient.as_slice());
        m.extend_from_slice(&self.body);
        m.into()
    }

    /// Parse packed bytes; `None` if too short or another version.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < HEADER_LENGTH || bytes[0] != VERSION {
            return None;
        }
        let u32_at = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        Some(Self {
            nonce: u32_at(1),
            origin: u32_at(5),
            sender: B256::from_slice(&bytes[9..41]),
            destination: u32_at(41),
            recipient: B256::from_slice(&bytes[45..77]),
            body: Bytes::copy_from_slice(&bytes[77..]),
        })
    }

    /// The message id: keccak256 of the packed bytes.
    pub fn id(&self) -> B256 {
        keccak256(self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_short_or_foreign_versions() {
        let m = Message::new(
            7,
            1001,
            Address::repeat_byte(1),
            31337,
            Address::repeat_byte(2),
            vec![9u8; 5],
        );
        let bytes = m.encode();
        assert_eq!(bytes.len(), HEADER_LENGTH + 5);
        assert_eq!(Message::decode(&bytes), Some(m.clone()));
        assert_eq!(m.id(), keccak256(&bytes));
        assert_eq!(Message::decode(&bytes[..76]), None);
        let mut other = bytes.to_vec();
        other[0] = 2;
        assert_eq!(Message::decode(&other), None);
    }
}
