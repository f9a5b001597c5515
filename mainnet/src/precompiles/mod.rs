//! Add the mainnet's precompiles to the EVM: ed25519 signatures (single, batch), MPT proofs.
//!
//! Addresses and gas prices are part of the protocol (documented in `docs/precompiles.md`):
//!
//! | address | precompile | gas |
//! |---|---|---|
//! | `0x…0a01` | [`ed25519::verify`] | 2 000 + 12 per 32-byte word of message |
//! | `0x…0a02` | [`ed25519::verify_batch`] | 1 000 + 1 200 per signature |
//! | `0x…0a03` | [`mpt::verify`] | 5 000 + 8 per 32-byte word of input |

pub mod ed25519;
pub mod mpt;

use revm_precompile::{PrecompileId, PrecompileSpecId, Precompiles};
use spn_execution::revm::precompile as revm_precompile;
use spn_execution::revm::primitives::hardfork::SpecId;
use spn_execution::ChainExtensions;
use spn_primitives::{address, Address};
use std::sync::OnceLock;

/// `ed25519Verify(pubkey ‖ signature ‖ message) -> bool word`.
pub const ED25519_VERIFY: Address = address!("0000000000000000000000000000000000000a01");
/// `ed25519VerifyBatch(n × (pubkey ‖ signature ‖ 32-byte message)) -> bool word`.
pub const ED25519_VERIFY_BATCH: Address = address!("0000000000000000000000000000000000000a02");

/// `mptVerify(abi.encode(root, key, value, proof)) -> bool word`.
pub const MPT_VERIFY: Address = address!("0000000000000000000000000000000000000a03");

/// The mainnet's additions to the EVM.
#[derive(Debug, Clone, Copy, Default)]
pub struct MainnetExtensions;

impl ChainExtensions for MainnetExtensions {
    fn precompiles(&self, spec: SpecId) -> &'static Precompiles {
        static SET: OnceLock<Precompiles> = OnceLock::new();
        SET.get_or_init(|| {
            let mut set = Precompiles::new(PrecompileSpecId::from_spec_id(spec)).clone();
            set.extend([
                revm_precompile::Precompile::new(
                    PrecompileId::Custom("ed25519_verify".into()),
                    ED25519_VERIFY,
                    ed25519::verify_precompile,
                ),
                revm_precompile::Precompile::new(
                    PrecompileId::Custom("ed25519_verify_batch".into()),
                    ED25519_VERIFY_BATCH,
                    ed25519::verify_batch_precompile,
                ),
                revm_precompile::Precompile::new(
                    PrecompileId::Custom("mpt_verify".into()),
                    MPT_VERIFY,
                    mpt::verify_precompile,
                ),
            ]);
            set
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pharos_precompiles_do_not_shadow_any_ethereum_precompile() {
        let ethereum = Precompiles::latest();
        for ours in [ED25519_VERIFY, ED25519_VERIFY_BATCH, MPT_VERIFY] {
            assert!(
                !ethereum.contains(&ours),
                "{ours} is an Ethereum precompile address"
            );
        }
        let set = MainnetExtensions.precompiles(SpecId::PRAGUE);
        for ours in [ED25519_VERIFY, ED25519_VERIFY_BATCH, MPT_VERIFY] {
            assert!(set.contains(&ours));
        }
        assert_eq!(set.len(), Precompiles::prague().len() + 3);
    }
}
