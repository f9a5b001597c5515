//! Proofs of SPN state for the mainnet's contracts, from an SPN node's RPC or read from a
//! data directory: both come as an `eth_getProof` answer, whose account leaf the contracts'
//! `SlotProof` carries.

use alloy::primitives::{Address, Bytes, B256};
use alloy::rpc::types::EIP1186AccountProofResponse;
use alloy_trie::TrieAccount;
use spn_node::Store;

/// The RLP of the account leaf an `eth_getProof` answer proves (`SlotProof.accountRlp`).
pub fn account_leaf(proof: &EIP1186AccountProofResponse) -> Bytes {
    alloy_rlp::encode(TrieAccount {
        nonce: proof.nonce,
        balance: proof.balance,
        storage_root: proof.storage_hash,
        code_hash: proof.code_hash,
    })
    .into()
}

/// The `eth_getProof` answer for `account`'s `slots` at block `height`, read from `store`
/// (which must keep the account's history, as SPN nodes do for their twins).
pub fn proof_from_store(
    store: &Store,
    account: Address,
    slots: &[B256],
    height: u64,
) -> Result<EIP1186AccountProofResponse, String> {
    let proof = store
        .account_proof_at(account, slots, height)
        .map_err(|e| e.to_string())?;
    let keys = slots.iter().map(|s| (*s).into()).collect();
    Ok(spn_rpc::proof_response(proof, keys))
}
