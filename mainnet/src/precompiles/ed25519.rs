//! Verify ed25519 signatures for contracts (validator and operator keys are ed25519).
//!
//! Invariants: malformed input (wrong length, non-canonical key or signature) is never an
//! error that aborts the transaction; it answers "false". Gas is charged before any work.

use ed25519_dalek::{Signature, VerifyingKey};
use spn_execution::revm::precompile::{
    call_eth_precompile, EthPrecompileOutput, EthPrecompileResult, PrecompileHalt, PrecompileResult,
};
use spn_primitives::{Bytes, U256};

/// Base gas of a single verification.
pub const VERIFY_BASE_GAS: u64 = 2_000;
/// Gas per 32-byte word of the signed message.
pub const VERIFY_WORD_GAS: u64 = 12;
/// Base gas of a batch verification.
pub const BATCH_BASE_GAS: u64 = 1_000;
/// Gas per signature in a batch.
pub const BATCH_SIG_GAS: u64 = 1_200;

const KEY: usize = 32;
const SIG: usize = 64;
const BATCH_ITEM: usize = KEY + SIG + 32;

fn word(ok: bool) -> Bytes {
    Bytes::from(U256::from(u8::from(ok)).to_be_bytes::<32>().to_vec())
}

fn parse(key: &[u8], sig: &[u8]) -> Option<(VerifyingKey, Signature)> {
    let key = VerifyingKey::from_bytes(key.try_into().ok()?).ok()?;
    let sig = Signature::from_slice(sig).ok()?;
    Some((key, sig))
}

/// Verifies one signature. Input: `pubkey(32) ‖ signature(64) ‖ message`; output: a 32-byte
/// word, 1 if the signature is valid (strict verification: no malleable signatures, no
/// small-order keys), 0 otherwise.
pub fn verify(input: &[u8], gas_limit: u64) -> EthPrecompileResult {
    let words = input.len().saturating_sub(KEY + SIG).div_ceil(32) as u64;
    let gas = VERIFY_BASE_GAS.saturating_add(VERIFY_WORD_GAS.saturating_mul(words));
    if gas > gas_limit {
        return Err(PrecompileHalt::OutOfGas);
    }
    let ok = input.len() >= KEY + SIG
        && parse(&input[..KEY], &input[KEY..KEY + SIG])
            .is_some_and(|(key, sig)| key.verify_strict(&input[KEY + SIG..], &sig).is_ok());
    Ok(EthPrecompileOutput::new(gas, word(ok)))
}

/// Verifies `n` signatures over 32-byte messages at once. Input: `n × (pubkey ‖ signature ‖
/// message32)`; output: 1 if every signature is valid (and n > 0), else 0.
pub fn verify_batch(input: &[u8], gas_limit: u64) -> EthPrecompileResult {
    let n = (input.len() / BATCH_ITEM) as u64;
    let gas = BATCH_BASE_GAS.saturating_add(BATCH_SIG_GAS.saturating_mul(n));
    if gas > gas_limit {
        return Err(PrecompileHalt::OutOfGas);
    }
    if n == 0 || !input.len().is_multiple_of(BATCH_ITEM) {
        return Ok(EthPrecompileOutput::new(gas, word(false)));
    }
    let mut keys = Vec::with_capacity(n as usize);
    let mut sigs = Vec::with_capacity(n as usize);
    let mut msgs = Vec::with_capacity(n as usize);
    for item in input.chunks_exact(BATCH_ITEM) {
        let Some((key, sig)) = parse(&item[..KEY], &item[KEY..KEY + SIG]) else {
            return Ok(EthPrecompileOutput::new(gas, word(false)));
        };
        // Batch verification is not strict: reject weak keys up front like `verify_strict`.
        if key.is_weak() {
            return Ok(EthPrecompileOutput::new(gas, word(false)));
        }
        keys.push(key);
        sigs.push(sig);
        msgs.push(&item[KEY + SIG..]);
    }
    let ok = ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok();
    Ok(EthPrecompileOutput::new(gas, word(ok)))
}

pub(crate) fn verify_precompile(input: &[u8], gas_limit: u64, reservoir: u64) -> PrecompileResult {
    Ok(call_eth_precompile(verify, input, gas_limit, reservoir))
}

pub(crate) fn verify_batch_precompile(
    input: &[u8],
    gas_limit: u64,
    reservoir: u64,
) -> PrecompileResult {
    Ok(call_eth_precompile(
        verify_batch,
        input,
        gas_limit,
        reservoir,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(i: u8) -> SigningKey {
        SigningKey::from_bytes(&[i; 32])
    }

    fn single(k: &SigningKey, msg: &[u8]) -> Vec<u8> {
        let mut input = k.verifying_key().to_bytes().to_vec();
        input.extend_from_slice(&k.sign(msg).to_bytes());
        input.extend_from_slice(msg);
        input
    }

    fn is_true(out: &EthPrecompileOutput) -> bool {
        out.bytes[31] == 1
    }

    #[test]
    fn valid_signature_verifies_and_charges_per_word() {
        let out = verify(&single(&key(1), b"checkpoint digest"), 10_000).expect("runs");
        assert!(is_true(&out));
        assert_eq!(out.gas_used, VERIFY_BASE_GAS + VERIFY_WORD_GAS);
    }

    #[test]
    fn forged_signature_is_false_not_an_error() {
        let mut input = single(&key(1), b"checkpoint digest");
        input[40] ^= 1;
        assert!(!is_true(&verify(&input, 10_000).expect("runs")));
        // Another key's signature over the same message.
        let mut other = single(&key(2), b"checkpoint digest");
        other[..32].copy_from_slice(&key(1).verifying_key().to_bytes());
        assert!(!is_true(&verify(&other, 10_000).expect("runs")));
        // Too short.
        assert!(!is_true(&verify(&[0u8; 50], 10_000).expect("runs")));
    }

    #[test]
    fn out_of_gas_halts_before_any_work() {
        assert_eq!(
            verify(&single(&key(1), b"m"), VERIFY_BASE_GAS - 1),
            Err(PrecompileHalt::OutOfGas)
        );
    }

    fn batch(items: &[(SigningKey, [u8; 32])]) -> Vec<u8> {
        items
            .iter()
            .flat_map(|(k, m)| {
                let mut v = k.verifying_key().to_bytes().to_vec();
                v.extend_from_slice(&k.sign(m).to_bytes());
                v.extend_from_slice(m);
                v
            })
            .collect()
    }

    #[test]
    fn batch_is_true_only_if_every_signature_is_valid() {
        let items: Vec<_> = (1..=5u8).map(|i| (key(i), [i; 32])).collect();
        let input = batch(&items);
        let out = verify_batch(&input, 100_000).expect("runs");
        assert!(is_true(&out));
        assert_eq!(out.gas_used, BATCH_BASE_GAS + 5 * BATCH_SIG_GAS);
        for byte in [0usize, 40, 100, 127] {
            let mut bad = input.clone();
            bad[BATCH_ITEM * 3 + byte] ^= 0x80;
            assert!(
                !is_true(&verify_batch(&bad, 100_000).expect("runs")),
                "byte {byte}"
            );
        }
        assert!(!is_true(
            &verify_batch(&input[..input.len() - 1], 100_000).expect("runs")
        ));
        assert!(!is_true(&verify_batch(&[], 100_000).expect("runs")));
    }

    #[test]
    fn batch_rejects_a_duplicated_signer_set_only_when_invalid() {
        // The same valid item twice is still valid: counting distinct signers is the caller's job.
        let items = vec![(key(1), [7; 32]), (key(1), [7; 32])];
        assert!(is_true(
            &verify_batch(&batch(&items), 100_000).expect("runs")
        ));
    }
}
