//! What an SPN block is derived from, written in its header's extra data.
//!
//! Every SPN block names a final mainnet block `M` and the number `k` of inbound messages it
//! applies. The rule every node checks, whether it built the block or imports it: with `next`
//! the SPN Mailbox's inbound count on the parent state and `len(M)` the mainnet Mailbox's queue
//! length for this SPN at `M`,
//!
//! - `M` is not below the mainnet block the parent named (derivation never goes back), and
//! - `k = min(MAX_MESSAGES_PER_BLOCK, len(M) − next)`: every message queued up to `M` and not
//!   delivered yet is applied, oldest first, up to the per-block cap.
//!
//! So a block can neither skip nor reorder a message (the SPN Mailbox also refuses out-of-order
//! delivery), nor leave out messages its mainnet block makes available.

use spn_primitives::Bytes;

/// The format version written as the first byte.
pub const DERIVATION_VERSION: u8 = 1;

/// The encoded length: version, mainnet block (u64), message count (u32), big-endian.
pub const DERIVATION_LEN: usize = 1 + 8 + 4;

/// What an SPN block applies from the mainnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Derivation {
    /// The final mainnet block the block derives from.
    pub mainnet_block: u64,
    /// How many inbound messages it applies, from the SPN Mailbox's next inbound index on.
    pub messages: u32,
}

impl Derivation {
    /// The header extra data.
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(DERIVATION_LEN);
        out.push(DERIVATION_VERSION);
        out.extend_from_slice(&self.mainnet_block.to_be_bytes());
        out.extend_from_slice(&self.messages.to_be_bytes());
        out.into()
    }

    /// Reads a header's extra data.
    pub fn decode(extra_data: &[u8]) -> Result<Self, String> {
        if extra_data.len() != DERIVATION_LEN {
            return Err(format!(
                "extra data has {} bytes, an SPN block's derivation has {DERIVATION_LEN}",
                extra_data.len()
            ));
        }
        if extra_data[0] != DERIVATION_VERSION {
            return Err(format!(
                "derivation version {} is unknown (expected {DERIVATION_VERSION})",
                extra_data[0]
            ));
        }
        let mut block = [0u8; 8];
        block.copy_from_slice(&extra_data[1..9]);
        let mut count = [0u8; 4];
        count.copy_from_slice(&extra_data[9..13]);
        Ok(Self {
            mainnet_block: u64::from_be_bytes(block),
            messages: u32::from_be_bytes(count),
        })
    }

    /// How many messages a block deriving from a mainnet block whose queue length is
    /// `queue_length` must apply when the SPN Mailbox's next inbound index is `next`.
    pub fn required_messages(queue_length: u64, next: u64, cap: usize) -> u32 {
        queue_length.saturating_sub(next).min(cap as u64) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_shapes() {
        let d = Derivation {
            mainnet_block: 1 << 40,
            messages: 256,
        };
        assert_eq!(Derivation::decode(&d.encode()).unwrap(), d);
        assert!(Derivation::decode(&[]).unwrap_err().contains("0 bytes"));
        let mut v2 = d.encode().to_vec();
        v2[0] = 2;
        assert!(Derivation::decode(&v2).unwrap_err().contains("version 2"));
    }

    #[test]
    fn applies_everything_queued_up_to_the_cap() {
        assert_eq!(Derivation::required_messages(10, 4, 256), 6);
        assert_eq!(Derivation::required_messages(1_000, 4, 256), 256);
        assert_eq!(Derivation::required_messages(3, 4, 256), 0);
    }
}
