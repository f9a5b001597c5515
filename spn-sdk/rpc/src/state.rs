//! Serve account state at the head: balances, code, storage, nonces and Merkle proofs.

use crate::block_tag::StateAt;
use crate::error::{internal, invalid_params, RpcResult};
use crate::handler::Handler;
use alloy_rpc_types_eth::{BlockId, EIP1186AccountProofResponse, EIP1186StorageProof};
use alloy_serde::storage::JsonStorageKey;
use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use spn_primitives::{Address, Bytes, StateView, B256, EMPTY_ROOT_HASH, KECCAK_EMPTY, U256};

/// Most storage keys one `eth_getProof` call may ask for.
pub(crate) const MAX_PROOF_KEYS: usize = 1_024;

/// The state part of the `eth` namespace.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthStateApi {
    /// The balance of an account, in wei.
    #[method(name = "getBalance")]
    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;

    /// The code of an account.
    #[method(name = "getCode")]
    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;

    /// The value of a storage slot, as 32 bytes.
    #[method(name = "getStorageAt")]
    fn storage_at(
        &self,
        address: Address,
        slot: JsonStorageKey,
        block: Option<BlockId>,
    ) -> RpcResult<B256>;

    /// The account's nonce; with `pending`, counting its pooled transactions.
    #[method(name = "getTransactionCount")]
    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;

    /// EIP-1186 account and storage proofs against the head's state root.
    #[method(name = "getProof")]
    async fn proof(
        &self,
        address: Address,
        keys: Vec<JsonStorageKey>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse>;
}

#[async_trait]
impl EthStateApiServer for Handler {
    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        self.state_at(block)?;
        let account = self.store().account(&address).map_err(internal)?;
        Ok(account.map(|a| a.balance).unwrap_or_default())
    }

    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        self.state_at(block)?;
        let snap = self.store().snapshot_state();
        let Some(account) = snap.account(&address).map_err(internal)? else {
            return Ok(Bytes::new());
        };
        if account.code_hash == KECCAK_EMPTY {
            return Ok(Bytes::new());
        }
        Ok(snap
            .code(&account.code_hash)
            .map_err(internal)?
            .unwrap_or_default())
    }

    fn storage_at(
        &self,
        address: Address,
        slot: JsonStorageKey,
        block: Option<BlockId>,
    ) -> RpcResult<B256> {
        self.state_at(block)?;
        let slot = U256::from_be_bytes(slot.as_b256().0);
        let value = StateView::storage(self.store(), &address, &slot).map_err(internal)?;
        Ok(B256::from(value))
    }

    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        let at = self.state_at(block)?;
        let state_nonce = self
            .store()
            .account(&address)
            .map_err(internal)?
            .map_or(0, |a| a.nonce);
        let nonce = match at {
            StateAt::Latest => state_nonce,
            StateAt::Pending => self
                .backend
                .pending_nonce(&address)
                .map_or(state_nonce, |n| n.max(state_nonce)),
        };
        Ok(U256::from(nonce))
    }

    async fn proof(
        &self,
        address: Address,
        keys: Vec<JsonStorageKey>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse> {
        if keys.len() > MAX_PROOF_KEYS {
            return Err(invalid_params(format!(
                "too many storage keys: {}, maximum is {MAX_PROOF_KEYS}",
                keys.len()
            )));
        }
        self.blocking(move |h| {
            let slots: Vec<B256> = keys.iter().map(JsonStorageKey::as_b256).collect();
            let proof = match h.state_at(block) {
                Ok(_) => h.store().account_proof(address, &slots),
                // Past states of accounts whose history the node keeps stay provable.
                Err(refused) => match block.map(|id| h.resolve_block(id)).transpose()? {
                    Some(Some(n)) if h.store().keeps_history(&address) => {
                        h.store().account_proof_at(address, &slots, n)
                    }
                    _ => return Err(refused),
                },
            }
            .map_err(internal)?;
            Ok(proof_response(proof, keys))
        })
        .await
    }
}

/// The EIP-1186 answer; a missing account has nonce and balance 0, `codeHash` = keccak of
/// empty code and `storageHash` = the empty trie root. Keys are echoed as the client sent them.
pub fn proof_response(
    proof: spn_storage::AccountProof,
    keys: Vec<JsonStorageKey>,
) -> EIP1186AccountProofResponse {
    let account = proof.account;
    let storage_proof = keys
        .into_iter()
        .zip(proof.storage)
        .map(|(key, (_, value, nodes))| EIP1186StorageProof {
            key,
            value,
            proof: nodes,
        })
        .collect();
    EIP1186AccountProofResponse {
        address: proof.address,
        balance: account.map(|a| a.balance).unwrap_or_default(),
        code_hash: account.map_or(KECCAK_EMPTY, |a| a.code_hash),
        nonce: account.map_or(0, |a| a.nonce),
        storage_hash: account.map_or(EMPTY_ROOT_HASH, |a| a.storage_root),
        account_proof: proof.account_proof,
        storage_proof,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::AccountState;

    #[test]
    fn missing_account_proof_uses_empty_hashes() {
        let proof = spn_storage::AccountProof {
            block_number: 3,
            address: Address::repeat_byte(1),
            account: None,
            account_proof: vec![Bytes::from_static(&[0xc0])],
            storage: vec![(B256::ZERO, U256::ZERO, Vec::new())],
        };
        let key = JsonStorageKey::Number(U256::ZERO);
        let r = proof_response(proof, vec![key]);
        assert_eq!(r.nonce, 0);
        assert_eq!(r.balance, U256::ZERO);
        assert_eq!(r.code_hash, KECCAK_EMPTY);
        assert_eq!(r.storage_hash, EMPTY_ROOT_HASH);
        assert_eq!(r.storage_proof.len(), 1);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["storageProof"][0]["key"], "0x0");
        assert_eq!(json["accountProof"][0], "0xc0");
    }

    #[test]
    fn existing_account_proof_reports_its_fields() {
        let account = AccountState {
            nonce: 4,
            balance: U256::from(99),
            code_hash: B256::repeat_byte(7),
            storage_root: B256::repeat_byte(8),
        };
        let proof = spn_storage::AccountProof {
            block_number: 3,
            address: Address::repeat_byte(1),
            account: Some(account),
            account_proof: Vec::new(),
            storage: Vec::new(),
        };
        let r = proof_response(proof, Vec::new());
        assert_eq!(r.nonce, 4);
        assert_eq!(r.balance, U256::from(99));
        assert_eq!(r.code_hash, B256::repeat_byte(7));
        assert_eq!(r.storage_hash, B256::repeat_byte(8));
    }
}
