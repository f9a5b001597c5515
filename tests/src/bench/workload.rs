//! Derive funded sender keys from a seed and pre-sign EIP-1559 transfers.

use eyre::{eyre, Result};
use rayon::prelude::*;
use spn_primitives::{
    consensus::{crypto::secp256k1, SignableTransaction},
    keccak256, Address, ChainSpec, Encodable2718, GenesisAccount, TxEip1559, TxEnvelope, TxKind,
    B256, U256,
};

/// Chain id of the benchmark chain.
pub const CHAIN_ID: u64 = 7777;
/// Fee cap of every transfer (100 gwei: far above any base fee the benchmark reaches).
pub const MAX_FEE_PER_GAS: u128 = 100_000_000_000;
/// Priority fee of every transfer (1 gwei).
pub const MAX_PRIORITY_FEE_PER_GAS: u128 = 1_000_000_000;
/// Gas of a plain transfer.
pub const TRANSFER_GAS: u64 = 21_000;
/// Balance of every sender at genesis (10^24 wei = one million ether).
pub fn sender_balance() -> U256 {
    U256::from(10u64).pow(U256::from(24u64))
}

/// A funded account of the benchmark.
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    /// Its secret key.
    pub key: B256,
    /// Its address.
    pub address: Address,
}

fn secret_for(seed: u64, index: u64, attempt: u64) -> B256 {
    let mut input = b"pharos-bench/key".to_vec();
    input.extend_from_slice(&seed.to_be_bytes());
    input.extend_from_slice(&index.to_be_bytes());
    input.extend_from_slice(&attempt.to_be_bytes());
    keccak256(&input)
}

/// The address of `key`: sign a probe and recover it (the same code path nodes use).
fn address_of(key: B256) -> Option<Address> {
    let probe = keccak256(b"pharos-bench/probe");
    let sig = secp256k1::sign_message(key, probe).ok()?;
    secp256k1::recover_signer(&sig, probe).ok()
}

/// `n` senders whose keys are derived from `seed` (the same seed always gives the same keys).
pub fn senders(seed: u64, n: usize) -> Result<Vec<Sender>> {
    (0..n as u64)
        .into_par_iter()
        .map(|i| {
            // A keccak output is an invalid secp256k1 key with probability ~2^-128; retry then.
            (0..8)
                .find_map(|attempt| {
                    let key = secret_for(seed, i, attempt);
                    address_of(key).map(|address| Sender { key, address })
                })
                .ok_or_else(|| eyre!("cannot derive a key for sender {i}"))
        })
        .collect()
}

/// The receiver of transfer number `i`: a fresh address per transfer when `recipients` is 0
/// (every transfer creates an account), else one of `recipients` fixed addresses.
pub fn recipient(i: u64, recipients: u64) -> Address {
    let n = if recipients == 0 { i } else { i % recipients };
    let mut input = b"pharos-bench/recipient".to_vec();
    input.extend_from_slice(&n.to_be_bytes());
    Address::from_slice(&keccak256(&input)[12..])
}

/// Extra genesis account number `i` (state-size filler, never touched by the workload).
pub fn filler(i: u64) -> Address {
    let mut input = b"pharos-bench/filler".to_vec();
    input.extend_from_slice(&i.to_be_bytes());
    Address::from_slice(&keccak256(&input)[12..])
}

/// A chain spec that funds every sender.
pub fn chain_spec(senders: &[Sender], gas_limit: u64) -> Result<ChainSpec> {
    let mut spec =
        ChainSpec::from_toml(&format!("chain_id = {CHAIN_ID}\nname = \"pharos-bench\"\n"))
            .map_err(|e| eyre!("benchmark chain spec: {e}"))?;
    spec.gas_limit = spec.gas_limit.max(gas_limit);
    for s in senders {
        spec.alloc.insert(
            s.address,
            GenesisAccount {
                balance: sender_balance(),
                ..Default::default()
            },
        );
    }
    Ok(spec)
}

/// Signs a transfer of 1 wei from `key` to `to`.
pub fn sign_transfer(key: B256, nonce: u64, to: Address) -> Result<TxEnvelope> {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: TRANSFER_GAS,
        max_fee_per_gas: MAX_FEE_PER_GAS,
        max_priority_fee_per_gas: MAX_PRIORITY_FEE_PER_GAS,
        to: TxKind::Call(to),
        value: U256::from(1u64),
        ..Default::default()
    };
    let sig = secp256k1::sign_message(key, tx.signature_hash())
        .map_err(|e| eyre!("signing failed: {e}"))?;
    Ok(TxEnvelope::from(tx.into_signed(sig)))
}

/// Signs, on all cores, `per_sender` transfers for each sender with nonces
/// `first_nonce..first_nonce + per_sender`, ordered by nonce, then sender (the order in which
/// a block can include them). Transfer `i` of the whole run (`offset + position`) picks its
/// receiver with [`recipient`]. Returns the EIP-2718 bytes (what `eth_sendRawTransaction`
/// takes).
pub fn sign_transfers(
    senders: &[Sender],
    first_nonce: u64,
    per_sender: u64,
    offset: u64,
    recipients: u64,
) -> Result<Vec<Vec<u8>>> {
    let n = senders.len() as u64;
    (0..per_sender * n)
        .into_par_iter()
        .map(|pos| {
            let sender = (pos % n) as usize;
            let nonce = first_nonce + pos / n;
            let to = recipient(offset + pos, recipients);
            Ok(sign_transfer(senders[sender].key, nonce, to)?.encoded_2718())
        })
        .collect()
}
