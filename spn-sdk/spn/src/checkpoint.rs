//! Sign checkpoints of this SPN's own blocks and serve them as `spn_getCheckpoint`.
//!
//! A validator signs, on request, the domain-separated digest the mainnet Adaptor verifies,
//! for a block of its own canonical chain at a checkpoint height, under the SPN's current
//! mainnet epoch. Signing the same block again under a newer epoch is safe: only two
//! different blocks or states for one height are slashable.

use alloy::providers::DynProvider;
use ed25519_dalek::{Signer, SigningKey};
use pharos_contracts::{checkpoint_digest, registry::Registry, CheckpointData, ADAPTOR, REGISTRY};
use serde::Serialize;
use spn_node::Store;
use spn_primitives::{Bytes, StateView, B256};
use spn_rpc::{ErrorObjectOwned, Methods, RpcModule};
use std::sync::{Arc, OnceLock};

/// A checkpoint with one validator's signature, as `spn_getCheckpoint` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedCheckpoint {
    /// The SPN.
    pub spn_id: u32,
    /// The mainnet epoch it was signed under.
    pub epoch: u64,
    /// The SPN block height.
    pub height: u64,
    /// The SPN block hash.
    pub block_hash: B256,
    /// The SPN state root.
    pub state_root: B256,
    /// The digest signed.
    pub digest: B256,
    /// The validator's ed25519 public key.
    pub signer: B256,
    /// The ed25519 signature of `digest`.
    pub signature: Bytes,
}

impl SignedCheckpoint {
    /// The checkpoint without its signature.
    pub fn data(&self) -> CheckpointData {
        CheckpointData {
            spn_id: self.spn_id,
            epoch: self.epoch,
            height: self.height,
            block_hash: self.block_hash,
            state_root: self.state_root,
        }
    }
}

/// Signs checkpoints of the local chain with one validator key.
pub struct Checkpointer {
    key: SigningKey,
    spn_id: u32,
    interval: u64,
    mainnet_chain_id: u64,
    mainnet: DynProvider,
    store: OnceLock<Arc<Store>>,
}

impl Checkpointer {
    /// A signer for `spn_id` with `key`, every `interval` blocks, reading epochs from `mainnet`.
    pub fn new(
        key: SigningKey,
        spn_id: u32,
        interval: u64,
        mainnet_chain_id: u64,
        mainnet: DynProvider,
    ) -> Arc<Self> {
        Arc::new(Self {
            key,
            spn_id,
            interval: interval.max(1),
            mainnet_chain_id,
            mainnet,
            store: OnceLock::new(),
        })
    }

    /// Attach the node's database (once it is open).
    pub fn attach(&self, store: Arc<Store>) {
        let _ = self.store.set(store);
    }

    /// The signed checkpoint at `height`, or at the latest checkpoint height if `None`.
    pub async fn checkpoint(&self, height: Option<u64>) -> Result<SignedCheckpoint, String> {
        let store = self.store.get().ok_or("the node is starting")?;
        let (head, _) = store
            .head()
            .map_err(|e| e.to_string())?
            .ok_or("the chain has no blocks yet")?;
        let height = height.unwrap_or(head - head % self.interval);
        if height == 0 || !height.is_multiple_of(self.interval) {
            return Err(format!(
                "{height} is not a checkpoint height (a positive multiple of {})",
                self.interval
            ));
        }
        if height > head {
            return Err(format!("block {height} is not built yet (head is {head})"));
        }
        let header = store
            .header(height)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("block {height} is missing"))?;
        let block_hash = StateView::block_hash(store.as_ref(), height)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("block {height} is missing"))?;
        let epoch = Registry::new(REGISTRY, &self.mainnet)
            .currentEpoch(self.spn_id)
            .call()
            .await
            .map_err(|e| format!("cannot read the SPN's epoch from the mainnet: {e}"))?;
        if epoch == 0 {
            return Err(format!(
                "SPN {} is not active on the mainnet yet",
                self.spn_id
            ));
        }
        let data = CheckpointData {
            spn_id: self.spn_id,
            epoch,
            height,
            block_hash,
            state_root: header.state_root,
        };
        let digest = checkpoint_digest(self.mainnet_chain_id, ADAPTOR, &data);
        Ok(SignedCheckpoint {
            spn_id: self.spn_id,
            epoch,
            height,
            block_hash,
            state_root: header.state_root,
            digest,
            signer: B256::from(self.key.verifying_key().to_bytes()),
            signature: Bytes::from(self.key.sign(digest.as_slice()).to_bytes().to_vec()),
        })
    }

    /// `spn_getCheckpoint([height])`.
    pub fn rpc_methods(self: &Arc<Self>) -> Result<Methods, String> {
        let mut module = RpcModule::new(self.clone());
        module
            .register_async_method("spn_getCheckpoint", |params, this, _| async move {
                let mut seq = params.sequence();
                let height: Option<u64> = seq.optional_next().unwrap_or(None);
                this.checkpoint(height)
                    .await
                    .map_err(|e| ErrorObjectOwned::owned(-32000, e, None::<()>))
            })
            .map_err(|e| e.to_string())?;
        Ok(module.into())
    }
}
