//! The digest SPN validators sign for a checkpoint (`contracts/src/lib/Checkpoint.sol`).

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::sol_types::SolValue;

/// What validators sign: SPN `spn_id`'s block at `height` in `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckpointData {
    /// The SPN (its chain id).
    pub spn_id: u32,
    /// The validator-set epoch in the mainnet Registry.
    pub epoch: u64,
    /// The SPN block height.
    pub height: u64,
    /// The SPN block hash.
    pub block_hash: B256,
    /// The SPN state root after the block.
    pub state_root: B256,
}

impl CheckpointData {
    /// The Adaptor's ABI type for this checkpoint (`submitCheckpoint`, `checkpointDigest`).
    pub fn to_sol(&self) -> crate::adaptor::Adaptor::Checkpoint {
        crate::adaptor::Adaptor::Checkpoint {
            spnId: self.spn_id,
            epoch: self.epoch,
            height: self.height,
            blockHash: self.block_hash,
            stateRoot: self.state_root,
        }
    }
}

/// The type string hashed into every digest.
pub const CHECKPOINT_TYPE: &str =
    "PharosSPN.Checkpoint(uint256 chainId,address adaptor,uint32 spnId,\
uint64 epoch,uint64 height,bytes32 blockHash,bytes32 stateRoot)";

/// The domain-separated digest of `c` for the Adaptor at `adaptor` on mainnet `chain_id`.
pub fn checkpoint_digest(chain_id: u64, adaptor: Address, c: &CheckpointData) -> B256 {
    keccak256(
        (
            keccak256(CHECKPOINT_TYPE.as_bytes()),
            U256::from(chain_id),
            adaptor,
            c.spn_id,
            c.epoch,
            c.height,
            c.block_hash,
            c.state_root,
        )
            .abi_encode(),
    )
}
