//! Build the genesis block from a chain spec, or check that a database holds that chain.

use crate::error::NodeError;
use spn_primitives::{
    consensus::EMPTY_OMMER_ROOT_HASH, keccak256, AccountUpdate, ChainSpec, Header, SealedBlock,
    StateChangeset, StorageUpdate, B256, EMPTY_ROOT_HASH, KECCAK_EMPTY, U256,
};
use spn_storage::Store;
use tracing::info;

/// The state changes that create the genesis accounts of `spec`.
pub fn genesis_changeset(spec: &ChainSpec) -> StateChangeset {
    let mut changes = StateChangeset::default();
    for (address, account) in &spec.alloc {
        let code_hash = match &account.code {
            Some(code) if !code.is_empty() => {
                let hash = keccak256(code);
                changes.contracts.push((hash, code.clone()));
                hash
            }
            _ => KECCAK_EMPTY,
        };
        changes.accounts.push((
            *address,
            Some(AccountUpdate {
                nonce: account.nonce,
                balance: account.balance,
                code_hash,
            }),
        ));
        if !account.storage.is_empty() {
            let slots = account
                .storage
                .iter()
                .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                .collect();
            changes.storage.push((
                *address,
                StorageUpdate {
                    wiped: false,
                    slots,
                },
            ));
        }
    }
    changes
}

/// Writes the genesis block of `spec` into an empty store, or checks that a non-empty store
/// holds the same chain. Returns the head block number.
pub fn init_genesis(store: &Store, spec: &ChainSpec) -> Result<u64, NodeError> {
    if let Some((head, _)) = store.head()? {
        let stored = store.chain_id()?;
        if stored != Some(spec.chain_id) {
            return Err(NodeError::WrongChain(format!(
                "data directory {} holds chain id {}, but the chain spec says {}; \
                 use another --datadir or the matching chain spec",
                store.dir().display(),
                stored.map_or("unknown".to_string(), |c| c.to_string()),
                spec.chain_id
            )));
        }
        store.check_consistency()?;
        return Ok(head);
    }
    let prepared = store
        .prepare_state(&genesis_changeset(spec))?
        .with_chain_id(spec.chain_id);
    let header = Header {
        parent_hash: B256::ZERO,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        state_root: prepared.state_root,
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        number: 0,
        gas_limit: spec.gas_limit,
        timestamp: spec.genesis_timestamp,
        extra_data: spec.extra_data.clone(),
        base_fee_per_gas: Some(spec.initial_base_fee),
        ..Default::default()
    };
    let block = SealedBlock::new(header, Vec::new());
    store.commit_block(&block, &[], prepared)?;
    info!(hash = %block.hash, chain_id = spec.chain_id, "wrote genesis block");
    Ok(0)
}
