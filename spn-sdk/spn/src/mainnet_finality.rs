//! A `bft` mainnet followed as a light client over JSON-RPC: from the mainnet's chain spec
//! alone it checks that a block is final (`bft_getCertificate`, following every validator-set
//! change by `eth_getProof` of the Staking contract) and proves contract storage at final
//! blocks. `spn verify` and an SPN node's mainnet follower both use it; the checks themselves
//! are the pure [`pharos_mainnet::light_client`].

use alloy::eips::BlockId;
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::EIP1186AccountProofResponse;
use pharos_mainnet::light_client::{
    add_proven_slots, slots_to_prove, AccountProof, LightClient, ProvenSlots,
};
use pharos_mainnet::validators::{genesis_validators, Epochs};
use spn_node::CertifiedHeader;
use spn_primitives::Header;
use std::path::Path;

/// Rounds of `eth_getProof` one set read takes (length, elements, bonds and keys).
const PROOF_ROUNDS: usize = 4;

/// Why a block could not be shown final.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinalityError {
    /// The node did not answer, or answered something unreadable: ask again or elsewhere.
    #[error("{0}")]
    Unreachable(String),
    /// The node's answer is refused: it serves a chain the spec's validators did not finalize.
    #[error("{0}")]
    Refused(String),
}

/// A light client of the mainnet, reading from one node it does not trust.
pub struct MainnetFinality {
    client: LightClient,
    provider: DynProvider,
}

impl MainnetFinality {
    /// A client trusting only the chain spec at `spec` (a `bft` mainnet's `genesis.toml`),
    /// reading from `provider`.
    pub fn from_spec_file(spec: &Path, provider: DynProvider) -> Result<Self, String> {
        let (mainnet, chain) =
            pharos_mainnet::cli::load_spec(spec).map_err(|e| format!("{e:#}"))?;
        let genesis = genesis_validators(&chain)?.ok_or_else(|| {
            format!(
                "{} names no validators: a solo chain's blocks carry no finality certificates \
                 (point it at the spec of a bft network)",
                spec.display()
            )
        })?;
        let epochs = Epochs::new(mainnet.bft.epoch_blocks)?;
        Ok(Self {
            client: LightClient::new(chain.chain_id, epochs, genesis),
            provider,
        })
    }

    /// The node it reads from.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The pure client: the sets it has proven so far.
    pub fn client(&self) -> &LightClient {
        &self.client
    }

    /// Refuses a node of another chain than the spec's.
    pub async fn check_chain_id(&self) -> Result<(), FinalityError> {
        let node = self
            .provider
            .get_chain_id()
            .await
            .map_err(|e| FinalityError::Unreachable(format!("eth_chainId: {e}")))?;
        if node != self.client.chain_id() {
            return Err(FinalityError::Refused(format!(
                "the node runs chain {node}, but the chain spec is chain {}",
                self.client.chain_id()
            )));
        }
        Ok(())
    }

    /// Block `number`'s header, once its certificate verifies; follows every set read below
    /// it first, calling `on_read(block, new set's first height and size)` after each.
    pub async fn final_header(
        &mut self,
        number: u64,
        mut on_read: impl FnMut(u64, Option<(u64, usize)>),
    ) -> Result<(CertifiedHeader, Header), FinalityError> {
        while let Some(read) = self.client.pending_read(number) {
            let certified = self.certificate(read).await?;
            let header = self
                .client
                .verify(&certified)
                .map_err(|e| FinalityError::Refused(e.to_string()))?;
            let proofs = self.staking_proofs(read, &header).await?;
            let change = self
                .client
                .apply_set_read(&header, &proofs)
                .map_err(|e| FinalityError::Refused(e.to_string()))?
                .map(|from| (from, self.client.set_at(from).set.len()));
            on_read(read, change);
        }
        let certified = self.certificate(number).await?;
        let header = self
            .client
            .verify(&certified)
            .map_err(|e| FinalityError::Refused(e.to_string()))?;
        Ok((certified, header))
    }

    /// `bft_getCertificate(number)`, unchecked.
    pub async fn certificate(&self, number: u64) -> Result<CertifiedHeader, FinalityError> {
        self.provider
            .raw_request::<_, CertifiedHeader>("bft_getCertificate".into(), (number,))
            .await
            .map_err(|e| {
                let e = e.to_string();
                FinalityError::Unreachable(if e.contains("-32601") || e.contains("not found") {
                    "the node serves no bft certificates (a solo dev chain has none): use a \
                     node of a bft network"
                        .to_string()
                } else {
                    format!("bft_getCertificate({number}): {e}")
                })
            })
    }

    /// `eth_getProof` of `address`'s `slots` at block `number`, unchecked.
    pub async fn account_proof(
        &self,
        address: Address,
        slots: Vec<B256>,
        number: u64,
    ) -> Result<AccountProof, FinalityError> {
        let asked = slots.len();
        let answer = self
            .provider
            .get_proof(address, slots)
            .block_id(BlockId::number(number))
            .await
            .map_err(|e| {
                FinalityError::Unreachable(format!(
                    "eth_getProof of {address} at block {number}: {e}; the node must keep that \
                     contract's history from genesis (pharos-node does for data directories \
                     it creates)"
                ))
            })?;
        if answer.storage_proof.len() != asked {
            return Err(FinalityError::Refused(format!(
                "eth_getProof of {address} at block {number} answered {} slots for {asked}",
                answer.storage_proof.len()
            )));
        }
        Ok(account_proof_from(answer))
    }

    /// Every Staking slot the set read after `header` needs, each answer checked as it comes
    /// (so a bad proof is named at once).
    async fn staking_proofs(
        &self,
        number: u64,
        header: &Header,
    ) -> Result<Vec<AccountProof>, FinalityError> {
        let mut known = ProvenSlots::new();
        let mut proofs = Vec::new();
        for _ in 0..PROOF_ROUNDS {
            let slots = slots_to_prove(&known).map_err(FinalityError::Refused)?;
            if slots.is_empty() {
                return Ok(proofs);
            }
            let proof = self
                .account_proof(pharos_contracts::STAKING, slots, number)
                .await?;
            add_proven_slots(header.state_root, &proof, &mut known).map_err(|e| {
                FinalityError::Refused(format!(
                    "the Staking proof at block {number} does not verify: {e}"
                ))
            })?;
            proofs.push(proof);
        }
        Err(FinalityError::Refused(format!(
            "the node did not prove the Staking slots asked for at block {number}"
        )))
    }
}

/// An `eth_getProof` answer as the light client reads it.
pub fn account_proof_from(proof: EIP1186AccountProofResponse) -> AccountProof {
    AccountProof {
        account: alloy_trie::TrieAccount {
            nonce: proof.nonce,
            balance: proof.balance,
            storage_root: proof.storage_hash,
            code_hash: proof.code_hash,
        },
        account_proof: proof.account_proof,
        storage: proof
            .storage_proof
            .into_iter()
            .map(|s| (s.key.as_b256(), s.value, s.proof))
            .collect(),
    }
}
