//! Encode and decode stored values; every decoder rejects malformed bytes with an error.

use crate::error::{Result, StoreError};
use alloy_rlp::{Decodable, Encodable};
use spn_primitives::{
    AccountState, Address, Decodable2718, Encodable2718, Log, RecoveredTx, StoredReceipt,
    TxEnvelope, B256, U256,
};

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("malformed {what}"))
}

/// Big-endian u64 key.
pub fn num_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Reads a big-endian u64.
pub fn read_u64(bytes: &[u8]) -> Result<u64> {
    let arr: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| corrupt("u64"))?;
    Ok(u64::from_be_bytes(arr))
}

/// Encodes an account row.
pub fn encode_account(a: &AccountState) -> [u8; 104] {
    let mut out = [0u8; 104];
    out[..8].copy_from_slice(&a.nonce.to_be_bytes());
    out[8..40].copy_from_slice(&a.balance.to_be_bytes::<32>());
    out[40..72].copy_from_slice(a.code_hash.as_slice());
    out[72..].copy_from_slice(a.storage_root.as_slice());
    out
}

/// Decodes an account row.
pub fn decode_account(b: &[u8]) -> Result<AccountState> {
    if b.len() != 104 {
        return Err(corrupt("account"));
    }
    Ok(AccountState {
        nonce: read_u64(&b[..8])?,
        balance: U256::from_be_slice(&b[8..40]),
        code_hash: B256::from_slice(&b[40..72]),
        storage_root: B256::from_slice(&b[72..]),
    })
}

/// Key of a storage slot.
pub fn storage_key(address: &Address, slot: &U256) -> [u8; 52] {
    let mut k = [0u8; 52];
    k[..20].copy_from_slice(address.as_slice());
    k[20..].copy_from_slice(&slot.to_be_bytes::<32>());
    k
}

/// Encodes a block body: per transaction, sender(20) ‖ len(4) ‖ EIP-2718 bytes.
pub fn encode_body(txs: &[RecoveredTx]) -> Vec<u8> {
    let mut out = Vec::with_capacity(txs.iter().map(|t| t.encoded_len + 24).sum());
    for tx in txs {
        out.extend_from_slice(tx.sender.as_slice());
        out.extend_from_slice(&(tx.encoded_len as u32).to_be_bytes());
        tx.envelope.encode_2718(&mut out);
    }
    out
}

/// Decodes a block body.
pub fn decode_body(mut b: &[u8]) -> Result<Vec<RecoveredTx>> {
    let mut txs = Vec::new();
    while !b.is_empty() {
        if b.len() < 24 {
            return Err(corrupt("body"));
        }
        let sender = Address::from_slice(&b[..20]);
        let len = u32::from_be_bytes([b[20], b[21], b[22], b[23]]) as usize;
        let end = 24usize.checked_add(len).ok_or_else(|| corrupt("body"))?;
        let mut raw = b.get(24..end).ok_or_else(|| corrupt("body"))?;
        let env = TxEnvelope::decode_2718(&mut raw).map_err(|_| corrupt("transaction"))?;
        txs.push(RecoveredTx::from_trusted(env, sender));
        b = &b[end..];
    }
    Ok(txs)
}

/// Encodes receipts: per receipt, type(1) ‖ status(1) ‖ cumulative(8) ‖ gas(8) ‖
/// has_contract(1) ‖ contract(20) ‖ RLP list of logs (length-prefixed, 4 bytes).
pub fn encode_receipts(receipts: &[StoredReceipt]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in receipts {
        out.push(r.tx_type);
        out.push(u8::from(r.success));
        out.extend_from_slice(&r.cumulative_gas_used.to_be_bytes());
        out.extend_from_slice(&r.gas_used.to_be_bytes());
        out.push(u8::from(r.contract_address.is_some()));
        out.extend_from_slice(r.contract_address.unwrap_or_default().as_slice());
        let mut logs = Vec::new();
        r.logs.encode(&mut logs);
        out.extend_from_slice(&(logs.len() as u32).to_be_bytes());
        out.extend_from_slice(&logs);
    }
    out
}

/// Decodes receipts.
pub fn decode_receipts(mut b: &[u8]) -> Result<Vec<StoredReceipt>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        if b.len() < 43 {
            return Err(corrupt("receipt"));
        }
        let tx_type = b[0];
        let success = b[1] == 1;
        let cumulative_gas_used = read_u64(&b[2..10])?;
        let gas_used = read_u64(&b[10..18])?;
        let contract_address = (b[18] == 1).then(|| Address::from_slice(&b[19..39]));
        let len = u32::from_be_bytes([b[39], b[40], b[41], b[42]]) as usize;
        let end = 43usize.checked_add(len).ok_or_else(|| corrupt("receipt"))?;
        let mut logs_raw = b.get(43..end).ok_or_else(|| corrupt("receipt"))?;
        let logs = Vec::<Log>::decode(&mut logs_raw).map_err(|_| corrupt("receipt logs"))?;
        out.push(StoredReceipt {
            tx_type,
            success,
            cumulative_gas_used,
            gas_used,
            logs,
            contract_address,
        });
        b = &b[end..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::{Bytes, LogData};

    #[test]
    fn account_roundtrip() {
        let a = AccountState {
            nonce: 7,
            balance: U256::from(123456789u64),
            code_hash: B256::repeat_byte(3),
            storage_root: B256::repeat_byte(4),
        };
        assert_eq!(decode_account(&encode_account(&a)).expect("decodes"), a);
        assert!(decode_account(&[1, 2, 3]).is_err());
    }

    #[test]
    fn receipts_roundtrip_and_reject_truncation() {
        let r = StoredReceipt {
            tx_type: 2,
            success: true,
            cumulative_gas_used: 42_000,
            gas_used: 21_000,
            logs: vec![Log {
                address: Address::repeat_byte(9),
                data: LogData::new_unchecked(vec![B256::repeat_byte(1)], Bytes::from(vec![1, 2])),
            }],
            contract_address: Some(Address::repeat_byte(5)),
        };
        let enc = encode_receipts(&[r.clone(), r.clone()]);
        assert_eq!(decode_receipts(&enc).expect("decodes"), vec![r.clone(), r]);
        assert!(decode_receipts(&enc[..enc.len() - 1]).is_err());
    }
}
