//! Turn the `bft` engine's evidence into slashing: two conflicting votes by one validator
//! become a signed `Staking.slashDoubleSign` transaction, which the node submits like one sent
//! over RPC. Other evidence (two batches, two proposals) has no on-chain slashing yet and is
//! logged.
//!
//! A vote names its signer only by position in its height's set, so the reporter looks for the
//! key whose signature both votes carry among every key the node has seen in a set
//! ([`KnownKeys`]) and the Staking contract's current validators. Before signing it runs the
//! call on the latest state: evidence already used, or against a key already slashed or
//! unknown to the contract, is logged and not sent (it would only burn the reporter's gas).

use crate::keys::AccountKey;
use crate::precompiles::MainnetExtensions;
use crate::validators::{staking_validators, KnownKeys};
use alloy_sol_types::{SolCall, SolInterface};
use ed25519_dalek::{Signature, VerifyingKey};
use parking_lot::Mutex;
use pharos_contracts::{self as sc, staking::Staking};
use spn_consensus::bft::{vote_signing_bytes, Evidence, Vote};
use spn_execution::{BlockInput, CallError, CallRequest, Executor};
use spn_node::{next_base_fee, EvidenceHandler, Store};
use spn_primitives::consensus::{crypto::secp256k1::sign_message, SignableTransaction};
use spn_primitives::{Bytes, Header, RecoveredTx, TxEip1559, TxKind, B256, U256};
use std::sync::Arc;

/// Gas the simulation of a slashing call may use.
const CALL_GAS_CAP: u64 = 10_000_000;
/// The tip a slashing transaction offers: 1 gwei.
const PRIORITY_FEE: u128 = 1_000_000_000;
/// Blocks after which a nonce this reporter used but the chain never took is used again.
const NONCE_RETRY_BLOCKS: u64 = 20;

/// The mainnet's [`EvidenceHandler`]: signs `Staking.slashDoubleSign` with an account key.
pub struct SlashingReporter {
    chain_id: u64,
    executor: Executor,
    account: AccountKey,
    known: Arc<KnownKeys>,
    /// The next nonce to use and the head it was reserved at.
    next_nonce: Mutex<Option<(u64, u64)>>,
}

impl SlashingReporter {
    /// A reporter on chain `chain_id` paying with `account`, finding keys in `known`.
    pub fn new(chain_id: u64, account: AccountKey, known: Arc<KnownKeys>) -> Self {
        Self {
            chain_id,
            executor: Executor::new(chain_id, Arc::new(MainnetExtensions)),
            account,
            known,
            next_nonce: Mutex::new(None),
        }
    }

    /// The key among `candidates` whose valid signatures both votes carry.
    pub fn signer_of(&self, first: &Vote, second: &Vote, candidates: &[[u8; 32]]) -> Option<B256> {
        let signed_by = |vote: &Vote, key: &VerifyingKey| {
            let bytes = vote_signing_bytes(
                self.chain_id,
                vote.height,
                vote.round,
                vote.kind,
                &vote.block_hash,
            );
            key.verify_strict(&bytes, &Signature::from_bytes(&vote.signature))
                .is_ok()
        };
        candidates
            .iter()
            .filter_map(|k| VerifyingKey::from_bytes(k).ok())
            .find(|k| signed_by(first, k) && signed_by(second, k))
            .map(|k| B256::from(k.to_bytes()))
    }

    fn slash_double_vote(
        &self,
        first: &Vote,
        second: &Vote,
        store: &Store,
    ) -> Result<Vec<RecoveredTx>, String> {
        let head = head_header(store)?;
        let mut candidates = self.known.keys();
        let current = staking_validators(&self.executor, store, &head)?;
        candidates.extend(current.keys.iter().map(|k| k.0));
        let Some(key) = self.signer_of(first, second, &candidates) else {
            return Err(format!(
                "double vote at height {} round {}: signed by no validator key this node knows",
                first.height, first.round
            ));
        };
        let call = slash_call(first, second, key);
        let input: Bytes = call.abi_encode().into();
        let block = next_block(&head);
        let request = CallRequest {
            from: Some(self.account.address),
            to: Some(sc::STAKING),
            input: input.clone(),
            ..Default::default()
        };
        let gas = match self
            .executor
            .estimate_gas(store, &block, &request, CALL_GAS_CAP)
        {
            Ok(gas) => gas,
            Err(CallError::Revert { output }) => {
                tracing::info!(
                    %key,
                    height = first.height,
                    reason = %revert_reason(&output),
                    "double-vote evidence not submitted: the Staking contract would refuse it"
                );
                return Ok(Vec::new());
            }
            Err(e) => return Err(format!("simulating Staking.slashDoubleSign: {e}")),
        };
        let max_fee = u128::from(block.base_fee) * 2 + PRIORITY_FEE;
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: self.reserve_nonce(store, head.number)?,
            // A margin over the estimate: state may move before the block that includes it.
            gas_limit: gas.saturating_add(gas / 4).saturating_add(20_000),
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: PRIORITY_FEE,
            to: TxKind::Call(sc::STAKING),
            value: U256::ZERO,
            input,
            ..Default::default()
        };
        let cost = U256::from(tx.gas_limit) * U256::from(max_fee);
        let balance = store
            .account(&self.account.address)
            .map_err(|e| e.to_string())?
            .map(|a| a.balance)
            .unwrap_or_default();
        if balance < cost {
            return Err(format!(
                "the evidence account {} holds {balance} wei, less than the {cost} wei a \
                 slashing transaction may cost: fund it",
                self.account.address
            ));
        }
        let signature = sign_message(self.account.secret, tx.signature_hash())
            .map_err(|e| format!("signing the slashing transaction: {e}"))?;
        let signed =
            RecoveredTx::from_trusted(tx.into_signed(signature).into(), self.account.address);
        tracing::warn!(
            %key,
            height = first.height,
            round = first.round,
            kind = ?first.kind,
            tx = %signed.hash,
            "a validator double-voted: submitting Staking.slashDoubleSign"
        );
        Ok(vec![signed])
    }

    /// The nonce for the next transaction: the account's nonce on chain, or one past the last
    /// this reporter signed while the chain has not caught up with it (for some
    /// [`NONCE_RETRY_BLOCKS`]: after that the chain's nonce is used again, replacing a
    /// transaction that never made it).
    fn reserve_nonce(&self, store: &Store, head: u64) -> Result<u64, String> {
        let on_chain = store
            .account(&self.account.address)
            .map_err(|e| e.to_string())?
            .map(|a| a.nonce)
            .unwrap_or_default();
        let mut next = self.next_nonce.lock();
        let nonce = match *next {
            Some((n, at)) if n > on_chain && head < at.saturating_add(NONCE_RETRY_BLOCKS) => n,
            _ => on_chain,
        };
        *next = Some((nonce.saturating_add(1), head));
        Ok(nonce)
    }
}

impl EvidenceHandler for SlashingReporter {
    fn on_evidence(&self, evidence: &Evidence, store: &Store) -> Result<Vec<RecoveredTx>, String> {
        match evidence {
            Evidence::DoubleVote { first, second } => self.slash_double_vote(first, second, store),
            Evidence::DoubleBatch { first, .. } => {
                tracing::warn!(
                    height = first.header.height,
                    proposer = first.header.proposer,
                    "a validator signed two batches for one height (no on-chain slashing for it)"
                );
                Ok(Vec::new())
            }
            Evidence::DoubleProposal { first, .. } => {
                tracing::warn!(
                    height = first.height,
                    round = first.round,
                    "a leader signed two proposals for one round (no on-chain slashing for it)"
                );
                Ok(Vec::new())
            }
        }
    }
}

/// `Staking.slashDoubleSign` for two votes signed by `key`.
pub fn slash_call(first: &Vote, second: &Vote, key: B256) -> Staking::slashDoubleSignCall {
    Staking::slashDoubleSignCall {
        height: first.height,
        round: first.round,
        kind: first.kind as u8,
        hashA: B256::from(first.block_hash),
        sigA: Bytes::from(first.signature.to_vec()),
        hashB: B256::from(second.block_hash),
        sigB: Bytes::from(second.signature.to_vec()),
        key,
    }
}

fn head_header(store: &Store) -> Result<Header, String> {
    let (number, _) = store
        .head()
        .map_err(|e| e.to_string())?
        .ok_or("the store holds no block")?;
    store
        .header(number)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("block {number}'s header is missing"))
}

/// The environment of the block after `head`, as far as a call needs it.
fn next_block(head: &Header) -> BlockInput {
    BlockInput {
        number: head.number + 1,
        timestamp: head.timestamp,
        beneficiary: head.beneficiary,
        gas_limit: head.gas_limit,
        base_fee: next_base_fee(head),
        prevrandao: head.mix_hash,
        extra_data: Bytes::new(),
    }
}

fn revert_reason(output: &Bytes) -> String {
    match Staking::StakingErrors::abi_decode(output) {
        Ok(e) => format!("{e:?}"),
        Err(_) => output.to_string(),
    }
}

#[cfg(test)]
#[path = "evidence_tests.rs"]
mod tests;
