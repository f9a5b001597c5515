//! Encode a block for proposals and block sync, and decode a peer's block: the header as RLP,
//! then the EIP-2718 transactions as an RLP list. Senders are never sent: the importer
//! recovers them itself.

use spn_primitives::{
    recover_batch,
    rlp::{Decodable, Encodable},
    Bytes, Header, SealedBlock,
};

/// The wire form of `block`.
pub fn encode_block(block: &SealedBlock) -> Vec<u8> {
    let mut out = Vec::with_capacity(block.header.length() + 128 * block.transactions.len());
    block.header.encode(&mut out);
    let txs: Vec<Bytes> = block.transactions.iter().map(|t| t.encoded()).collect();
    txs.encode(&mut out);
    out
}

/// Reads a peer's block for chain `chain_id`, recovering every sender.
pub fn decode_block(bytes: &[u8], chain_id: u64) -> Result<SealedBlock, String> {
    let mut buf = bytes;
    let header = Header::decode(&mut buf).map_err(|e| format!("block header: {e}"))?;
    let raw = Vec::<Bytes>::decode(&mut buf).map_err(|e| format!("block body: {e}"))?;
    if !buf.is_empty() {
        return Err(format!("{} trailing bytes after the block", buf.len()));
    }
    let mut transactions = Vec::with_capacity(raw.len());
    for (i, tx) in recover_batch(&raw, chain_id).into_iter().enumerate() {
        transactions.push(tx.map_err(|e| format!("transaction {i}: {e}"))?);
    }
    Ok(SealedBlock::new(header, transactions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::{
        consensus::{crypto::secp256k1::sign_message, SignableTransaction},
        Address, RecoveredTx, TxEip1559, TxKind, B256, U256,
    };

    fn tx(nonce: u64) -> RecoveredTx {
        let tx = TxEip1559 {
            chain_id: 5,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 10,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(3),
            ..Default::default()
        };
        let sig = sign_message(B256::repeat_byte(9), tx.signature_hash()).unwrap();
        RecoveredTx::recover(tx.into_signed(sig).into(), 5).unwrap()
    }

    #[test]
    fn blocks_round_trip_with_senders_recovered() {
        let header = Header {
            number: 7,
            extra_data: Bytes::from_static(b"x"),
            ..Default::default()
        };
        let block = SealedBlock::new(header, vec![tx(0), tx(1)]);
        let decoded = decode_block(&encode_block(&block), 5).unwrap();
        assert_eq!(decoded, block);
    }

    #[test]
    fn malformed_or_foreign_blocks_are_refused() {
        let block = SealedBlock::new(Header::default(), vec![tx(0)]);
        let bytes = encode_block(&block);
        assert!(decode_block(&bytes[..bytes.len() - 1], 5).is_err());
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(decode_block(&padded, 5).unwrap_err().contains("trailing"));
        assert!(decode_block(&bytes, 6)
            .unwrap_err()
            .contains("transaction 0"));
    }
}
