//! An SPN: a chain built from the same engine as the mainnet, with the SPN-side Mailbox and
//! Bridge in its genesis, and every message the mainnet Mailbox archives for it delivered,
//! in order, as system calls at the start of its blocks.

mod checkpoint;
mod config;
mod derivation;
mod extensions;
mod genesis;
mod inbound;
mod inbound_proven;
mod logs;
mod mainnet_finality;
mod node;
mod proofs;
mod validators;

pub use checkpoint::{Checkpointer, SignedCheckpoint};
pub use config::{P2pConfig, RegisterConfig, SpnConfig, SpnConfigError, SpnConsensus};
pub use derivation::{Derivation, DERIVATION_LEN, DERIVATION_VERSION};
pub use extensions::SpnExtensions;
pub use genesis::spn_chain_spec;
pub use inbound::{follow_mainnet, InboundFeed, MAX_MESSAGES_PER_BLOCK};
pub use inbound_proven::follow_final_mainnet;
pub use logs::{logs_between, LOG_CHUNK};
pub use mainnet_finality::{account_proof_from, FinalityError, MainnetFinality};
pub use node::{SpnNode, SpnNodeOptions};
pub use proofs::{account_leaf, proof_from_store};
/// What a project building its own SPN node needs besides this crate.
pub use spn_node::shutdown_signal;
pub use spn_primitives::{Address, Bytes, ChainSpec, GenesisAccount, U256};
pub use validators::{
    epoch_members, epoch_set, epoch_validators, wait_for_validators, EpochMembers, EpochStarts,
    RegistrySchedule,
};
