//! Pack a wave's messages into `relayMessages` transactions: consecutive runs whose calldata
//! stays under the pool's transaction size limit.

use alloy::primitives::Bytes;
use std::ops::Range;

/// Messages in one relay transaction at most by default (≈ 250 000 gas each).
pub const MAX_BATCH_MESSAGES: usize = 64;
/// Calldata budget of one relay transaction: the mainnet pool refuses transactions over
/// 128 KiB, and the signature, fees and RLP framing need some room.
pub const MAX_BATCH_BYTES: usize = 120 * 1024;

/// ABI-encoded size of a `bytes` value inside a dynamic array: offset, length, padded data.
fn abi_bytes(len: usize) -> usize {
    64 + len.div_ceil(32) * 32
}

/// ABI-encoded size of a `bytes[]` inside a dynamic array.
fn abi_bytes_array(items: &[Bytes]) -> usize {
    64 + items.iter().map(|b| abi_bytes(b.len())).sum::<usize>()
}

/// Calldata one message adds to a batch: the message and its storage proof.
pub fn message_bytes(message: &Bytes, storage_proof: &[Bytes]) -> usize {
    abi_bytes(message.len()) + abi_bytes_array(storage_proof)
}

/// Calldata of a batch without its messages: selector, SPN id, height, the struct's head
/// and the shared account proof.
pub fn fixed_bytes(account_rlp: &Bytes, account_proof: &[Bytes]) -> usize {
    4 + 32 * 3 + 32 * 4 + abi_bytes(account_rlp.len()) + abi_bytes_array(account_proof) + 128
}

/// Splits messages of sizes `sizes` (calldata each adds) into consecutive runs of at most
/// `max_messages` whose total with `fixed` stays within `max_bytes`. A message too large to
/// share a batch gets one of its own.
pub fn pack(
    sizes: &[usize],
    fixed: usize,
    max_messages: usize,
    max_bytes: usize,
) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = fixed;
    for (k, size) in sizes.iter().enumerate() {
        let full = k - start == max_messages.max(1) || (k > start && bytes + size > max_bytes);
        if full {
            out.push(start..k);
            start = k;
            bytes = fixed;
        }
        bytes += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_by_count_and_by_bytes() {
        assert_eq!(pack(&[10; 5], 0, 2, 1_000), vec![0..2, 2..4, 4..5]);
        assert_eq!(pack(&[400; 5], 100, 64, 1_000), vec![0..2, 2..4, 4..5]);
        assert!(pack(&[], 100, 64, 1_000).is_empty());
    }

    #[test]
    fn an_oversized_message_travels_alone() {
        assert_eq!(pack(&[10, 5_000, 10], 0, 64, 1_000), vec![0..1, 1..2, 2..3]);
    }

    #[test]
    fn abi_sizes_match_the_encoder() {
        use alloy::sol_types::SolCall;
        use pharos_contracts::adaptor::Adaptor;
        let proof: Vec<Bytes> = vec![vec![1u8; 532].into(), vec![2u8; 83].into()];
        let messages: Vec<Bytes> = vec![vec![3u8; 177].into(), vec![4u8; 33].into()];
        let account_rlp: Bytes = vec![5u8; 104].into();
        let account_proof: Vec<Bytes> = vec![vec![6u8; 532].into(); 3];
        let call = Adaptor::relayMessagesCall {
            spnId: 1,
            height: 2,
            batch: Adaptor::MessageBatch {
                accountRlp: account_rlp.clone(),
                accountProof: account_proof.clone(),
                messages: messages.clone(),
                storageProofs: vec![proof.clone(), proof.clone()],
            },
        };
        let encoded = call.abi_encode().len();
        let estimate = fixed_bytes(&account_rlp, &account_proof)
            + messages
                .iter()
                .map(|m| message_bytes(m, &proof))
                .sum::<usize>();
        assert!(estimate >= encoded, "{estimate} under the real {encoded}");
        assert!(
            estimate <= encoded + 256,
            "{estimate} far over the real {encoded}"
        );
    }

    proptest! {
        #[test]
        fn batches_cover_everything_in_order_within_limits(
            sizes in proptest::collection::vec(1usize..3_000, 0..300),
            max_messages in 1usize..80,
        ) {
            let batches = pack(&sizes, 500, max_messages, 20_000);
            let mut next = 0;
            for b in &batches {
                prop_assert_eq!(b.start, next);
                prop_assert!(!b.is_empty() && b.len() <= max_messages);
                let total: usize = 500 + sizes[b.clone()].iter().sum::<usize>();
                prop_assert!(b.len() == 1 || total <= 20_000);
                next = b.end;
            }
            prop_assert_eq!(next, sizes.len());
        }
    }
}
