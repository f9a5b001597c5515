//! Verify Merkle Patricia proofs for contracts: that a key holds a value (or nothing) under a root.
//!
//! Input: `abi.encode(bytes32 root, bytes32 key, bytes value, bytes[] proof)` where `key` is the
//! already-hashed trie key (`keccak256(address)` in the state trie, `keccak256(slot)` in a
//! storage trie) and `value` is the RLP leaf value, or empty to prove absence. Output: a
//! 32-byte word, 1 if the proof shows exactly that, else 0. Verification (alloy-trie) checks
//! every node hash from the root down, so re-encoded or padded proofs are refused; callers
//! key replay protection by (root, key), never by proof bytes.

use alloy_sol_types::SolValue;
use alloy_trie::{proof::verify_proof, Nibbles};
use spn_execution::revm::precompile::{
    call_eth_precompile, EthPrecompileOutput, EthPrecompileResult, PrecompileHalt, PrecompileResult,
};
use spn_primitives::{Bytes, B256, U256};

/// Base gas of a proof verification.
pub const BASE_GAS: u64 = 5_000;
/// Gas per 32-byte word of input (proof nodes are hashed once each).
pub const WORD_GAS: u64 = 8;

/// Verifies one proof; see the module docs for the encoding.
pub fn verify(input: &[u8], gas_limit: u64) -> EthPrecompileResult {
    let words = input.len().div_ceil(32) as u64;
    let gas = BASE_GAS.saturating_add(WORD_GAS.saturating_mul(words));
    if gas > gas_limit {
        return Err(PrecompileHalt::OutOfGas);
    }
    let ok = <(B256, B256, Bytes, Vec<Bytes>)>::abi_decode_params(input)
        .ok()
        .is_some_and(|(root, key, value, proof)| {
            let expected = (!value.is_empty()).then(|| value.to_vec());
            verify_proof(root, Nibbles::unpack(key), expected, &proof).is_ok()
        });
    Ok(EthPrecompileOutput::new(
        gas,
        Bytes::from(U256::from(u8::from(ok)).to_be_bytes::<32>().to_vec()),
    ))
}

pub(crate) fn verify_precompile(input: &[u8], gas_limit: u64, reservoir: u64) -> PrecompileResult {
    Ok(call_eth_precompile(verify, input, gas_limit, reservoir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::keccak256;
    use spn_trie::{MemoryNodeStore, ACCOUNT_TRIE};

    fn trie() -> (MemoryNodeStore, B256) {
        let mut store = MemoryNodeStore::new();
        let changes: Vec<_> = (0u64..200)
            .map(|i| (keccak256(i.to_be_bytes()), Some(alloy_rlp_u64(i + 1))))
            .collect();
        let update = spn_trie::update(&store, ACCOUNT_TRIE, changes).expect("update");
        store.apply(update.writes);
        (store, update.root)
    }

    fn alloy_rlp_u64(v: u64) -> Vec<u8> {
        spn_primitives::rlp::encode(U256::from(v))
    }

    fn input(root: B256, key: B256, value: Vec<u8>, proof: Vec<Bytes>) -> Vec<u8> {
        (root, key, Bytes::from(value), proof).abi_encode_params()
    }

    fn is_true(out: &EthPrecompileOutput) -> bool {
        out.bytes[31] == 1
    }

    #[test]
    fn inclusion_and_exclusion_proofs_verify() {
        let (store, root) = trie();
        let key = keccak256(7u64.to_be_bytes());
        let proof = spn_trie::proof(&store, ACCOUNT_TRIE, key).expect("proof");
        let out = verify(
            &input(root, key, alloy_rlp_u64(8), proof.clone()),
            1_000_000,
        )
        .expect("runs");
        assert!(is_true(&out));
        // The same proof with another value, or claiming absence, is false.
        assert!(!is_true(
            &verify(
                &input(root, key, alloy_rlp_u64(9), proof.clone()),
                1_000_000
            )
            .expect("runs")
        ));
        assert!(!is_true(
            &verify(&input(root, key, vec![], proof), 1_000_000).expect("runs")
        ));
        // Absent key: exclusion proof.
        let absent = keccak256(1_000u64.to_be_bytes());
        let proof = spn_trie::proof(&store, ACCOUNT_TRIE, absent).expect("proof");
        assert!(is_true(
            &verify(&input(root, absent, vec![], proof), 1_000_000).expect("runs")
        ));
    }

    #[test]
    fn forged_and_malformed_proofs_are_false() {
        let (store, root) = trie();
        let key = keccak256(7u64.to_be_bytes());
        let proof = spn_trie::proof(&store, ACCOUNT_TRIE, key).expect("proof");
        // A tampered node.
        let mut tampered = proof.clone();
        let mut last = tampered.pop().expect("leaf").to_vec();
        let n = last.len() - 1;
        last[n] ^= 1;
        tampered.push(last.into());
        assert!(!is_true(
            &verify(&input(root, key, alloy_rlp_u64(8), tampered), 1_000_000).expect("runs")
        ));
        // Zero root, empty proof, garbage input.
        assert!(!is_true(
            &verify(&input(B256::ZERO, key, alloy_rlp_u64(8), proof), 1_000_000).expect("runs")
        ));
        assert!(!is_true(
            &verify(&input(root, key, alloy_rlp_u64(8), vec![]), 1_000_000).expect("runs")
        ));
        assert!(!is_true(&verify(&[1, 2, 3], 1_000_000).expect("runs")));
    }

    #[test]
    fn out_of_gas_halts() {
        assert_eq!(verify(&[0u8; 64], BASE_GAS), Err(PrecompileHalt::OutOfGas));
    }
}
