//! Transactions gossiped between `poa` validators, so a transaction sent to any node reaches
//! the next proposer's pool: a tag byte no consensus message uses, then each transaction's
//! EIP-2718 bytes behind a 4-byte length.

use spn_primitives::{Bytes, RecoveredTx};

/// First byte of a transaction batch on the validators' topic (consensus messages use 1–4).
pub(crate) const TAG_TRANSACTIONS: u8 = 0x54;
/// Transactions in one gossip message at most.
pub(crate) const MAX_BATCH: usize = 256;
/// Bytes of one gossip message at most (under the network's message limit).
pub(crate) const MAX_BATCH_BYTES: usize = 512 * 1024;

/// Encodes `txs` (at most [`MAX_BATCH`]) as one gossip message.
pub(crate) fn encode_txs(txs: &[RecoveredTx]) -> Vec<u8> {
    let mut out = vec![TAG_TRANSACTIONS];
    for tx in txs {
        let raw = tx.encoded();
        out.extend_from_slice(&(raw.len() as u32).to_be_bytes());
        out.extend_from_slice(&raw);
    }
    out
}

/// The raw transactions of a gossip message that starts with [`TAG_TRANSACTIONS`].
pub(crate) fn decode_txs(data: &[u8]) -> Result<Vec<Bytes>, String> {
    let mut rest = match data.split_first() {
        Some((&TAG_TRANSACTIONS, rest)) => rest,
        _ => return Err("not a transaction batch".into()),
    };
    if data.len() > MAX_BATCH_BYTES {
        return Err(format!("a transaction batch of {} bytes", data.len()));
    }
    let mut out = Vec::new();
    while !rest.is_empty() {
        if out.len() == MAX_BATCH {
            return Err(format!("more than {MAX_BATCH} transactions in one batch"));
        }
        let (len, tail) = rest
            .split_first_chunk::<4>()
            .ok_or("a truncated transaction length")?;
        let len = u32::from_be_bytes(*len) as usize;
        if len == 0 || len > tail.len() {
            return Err(format!(
                "a transaction of {len} bytes in {} left",
                tail.len()
            ));
        }
        out.push(Bytes::copy_from_slice(&tail[..len]));
        rest = &tail[len..];
    }
    if out.is_empty() {
        return Err("an empty transaction batch".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::consensus::SignableTransaction;
    use spn_primitives::primitives::Signature;
    use spn_primitives::{Address, TxEip1559, TxEnvelope, TxKind, U256};

    fn tx(nonce: u64) -> RecoveredTx {
        let t = TxEip1559 {
            chain_id: 7,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 10,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(nonce),
            ..Default::default()
        };
        let sig = Signature::new(U256::from(1), U256::from(2), false);
        RecoveredTx::from_trusted(TxEnvelope::Eip1559(t.into_signed(sig)), Address::ZERO)
    }

    #[test]
    fn batches_round_trip() {
        let txs = vec![tx(0), tx(1), tx(2)];
        let decoded = decode_txs(&encode_txs(&txs)).unwrap();
        let expected: Vec<Bytes> = txs.iter().map(RecoveredTx::encoded).collect();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn malformed_batches_are_refused() {
        let good = encode_txs(&[tx(0)]);
        assert!(decode_txs(&good[..good.len() - 1]).is_err(), "truncated");
        assert!(decode_txs(&good[..3]).is_err(), "truncated length");
        assert!(decode_txs(&[TAG_TRANSACTIONS]).is_err(), "empty");
        assert!(decode_txs(&[1, 0, 0, 0, 1, 0]).is_err(), "a consensus tag");
        let mut zero = vec![TAG_TRANSACTIONS];
        zero.extend_from_slice(&0u32.to_be_bytes());
        assert!(decode_txs(&zero).is_err(), "zero length");
        let many: Vec<RecoveredTx> = (0..=MAX_BATCH as u64).map(tx).collect();
        assert!(decode_txs(&encode_txs(&many)).is_err(), "too many");
    }
}
