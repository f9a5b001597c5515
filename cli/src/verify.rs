//! `spn verify`: check that a mainnet block is final without trusting the node that serves
//! it. A light client (`pharos_mainnet::light_client`) starts from the chain spec's genesis
//! validators, follows every validator-set change by Staking storage proofs at the epoch
//! boundaries, then checks the block's finality certificate.

use crate::rpc::{call, quantity};
use alloy::rpc::types::EIP1186AccountProofResponse;
use eyre::{eyre, Result, WrapErr};
use pharos_mainnet::light_client::{
    add_proven_slots, slots_to_prove, LightClient, ProvenSlots, StakingProof,
};
use pharos_mainnet::validators::{genesis_validators, Epochs};
use serde_json::{json, Value};
use spn_node::CertifiedHeader;
use std::path::PathBuf;
use std::time::Instant;

/// `spn verify` options.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The block to check: a number, or `latest`.
    #[arg(default_value = "latest")]
    pub block: String,
    /// The mainnet's chain spec (the genesis TOML its validators were started from, or
    /// `chain.toml` in a node's data directory): the only thing the check trusts.
    #[arg(long, value_name = "FILE")]
    pub chain: PathBuf,
}

/// Rounds of `eth_getProof` one set read takes (length, elements, bonds and keys).
const PROOF_ROUNDS: usize = 4;

/// Runs `spn verify` against the mainnet node at `url`.
pub async fn run(args: VerifyArgs, url: &str, as_json: bool) -> Result<()> {
    let (mainnet, spec) = pharos_mainnet::cli::load_spec(&args.chain)?;
    let genesis = genesis_validators(&spec)
        .map_err(|e| eyre!(e))?
        .ok_or_else(|| {
            eyre!(
                "{} names no validators: a solo chain's blocks carry no finality certificates \
             (point --chain at the spec of a bft network)",
                args.chain.display()
            )
        })?;
    let epochs = Epochs::new(mainnet.bft.epoch_blocks).map_err(|e| eyre!(e))?;
    let node_chain = quantity(&call(url, "eth_chainId", json!([])).await?)?;
    if node_chain != spec.chain_id {
        return Err(eyre!(
            "the node at {url} runs chain {node_chain}, but {} is chain {}; pass the --rpc of \
             that network's node, or its spec",
            args.chain.display(),
            spec.chain_id
        ));
    }
    let target = match args.block.as_str() {
        "latest" | "finalized" => quantity(&call(url, "eth_blockNumber", json!([])).await?)?,
        n => n
            .parse::<u64>()
            .or_else(|_| u64::from_str_radix(n.trim_start_matches("0x"), 16))
            .map_err(|_| eyre!("the block must be a number or `latest`, not {n:?}"))?,
    };
    if target == 0 {
        return Err(eyre!(
            "block 0 is the genesis the chain spec fixes; ask for block 1 or later"
        ));
    }
    let genesis_size = genesis.set.len();
    let mut client = LightClient::new(spec.chain_id, epochs, genesis);
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut reads = 0u64;
    let mut changes = Vec::new();
    if !as_json {
        eprintln!(
            "following the validator set from genesis ({genesis_size} validators, a new epoch \
             every {} blocks) to block {target}",
            epochs.blocks()
        );
    }
    while let Some(read) = client.pending_read(target) {
        let certified = certificate(url, read).await?;
        let header = client
            .verify(&certified)
            .map_err(|e| refused(e.to_string(), url, &args.chain))?;
        let proofs = staking_proofs(url, read, header.state_root).await?;
        if let Some(from) = client
            .apply_set_read(&header, &proofs)
            .map_err(|e| refused(e.to_string(), url, &args.chain))?
        {
            let size = client.set_at(from).set.len();
            changes.push(json!({"from": from, "validators": size}));
            if !as_json {
                eprintln!("  block {read}: a new set of {size} validators from block {from}");
            }
        }
        reads += 1;
        if !as_json && last_progress.elapsed().as_secs() >= 1 {
            eprintln!("  … block {read}: {reads} epoch boundaries checked");
            last_progress = Instant::now();
        }
    }
    let certified = certificate(url, target).await?;
    let header = client
        .verify(&certified)
        .map_err(|e| refused(e.to_string(), url, &args.chain))?;
    let set = &client.set_at(target).set;
    let signers: Vec<u32> = certified.signatures.iter().map(|s| s.validator).collect();
    let signed = set.weight(signers.iter().copied());
    let share = signed as f64 * 100.0 / set.total().max(1) as f64;
    if as_json {
        println!(
            "{}",
            json!({
                "block": target,
                "hash": certified.block_hash,
                "stateRoot": header.state_root,
                "timestamp": header.timestamp,
                "round": certified.round,
                "signers": signers.len(),
                "validators": set.len(),
                "signedStake": signed.to_string(),
                "totalStake": set.total().to_string(),
                "epochBoundariesChecked": reads,
                "setChanges": changes,
                "final": true,
            })
        );
    } else {
        println!(
            "block {target} is final: {} signed in round {} by {} of {} validators ({share:.1}% of the stake)",
            certified.block_hash,
            certified.round,
            signers.len(),
            set.len()
        );
        println!("state root {}", header.state_root);
        println!(
            "checked from the chain spec alone: {reads} epoch boundaries, {} set changes, {:.1} s",
            changes.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn refused(reason: String, url: &str, chain: &std::path::Path) -> eyre::Report {
    eyre!(
        "NOT FINAL: {reason}. The node at {url} serves a chain the validators of {} did not \
         finalize: check that --chain is this network's spec, or ask another node",
        chain.display()
    )
}

async fn certificate(url: &str, number: u64) -> Result<CertifiedHeader> {
    let value = call(url, "bft_getCertificate", json!([number]))
        .await
        .map_err(|e| {
            if e.to_string().contains("-32601") {
                eyre!(
                    "the node at {url} serves no bft certificates (a solo dev chain has none); \
                     point --rpc at a node of a bft network"
                )
            } else {
                e
            }
        })?;
    serde_json::from_value(value)
        .wrap_err_with(|| format!("the certificate of block {number} from {url} is malformed"))
}

/// Proves every Staking slot the set read after block `number` needs, checking each answer
/// as it comes (so a bad proof is named at once).
async fn staking_proofs(
    url: &str,
    number: u64,
    state_root: alloy::primitives::B256,
) -> Result<Vec<StakingProof>> {
    let mut known = ProvenSlots::new();
    let mut proofs = Vec::new();
    for _ in 0..PROOF_ROUNDS {
        let slots = slots_to_prove(&known).map_err(|e| eyre!(e))?;
        if slots.is_empty() {
            return Ok(proofs);
        }
        let answer = call(
            url,
            "eth_getProof",
            json!([pharos_contracts::STAKING, slots, format!("{number:#x}")]),
        )
        .await
        .map_err(|e| {
            eyre!(
                "{e:#}; the node must keep the Staking contract's history from genesis (pharos-node \
                 does for data directories it creates)"
            )
        })?;
        let proof = staking_proof(answer)
            .wrap_err_with(|| format!("the Staking proof at block {number} is malformed"))?;
        add_proven_slots(state_root, &proof, &mut known).map_err(|e| {
            eyre!("NOT FINAL: the Staking proof at block {number} does not verify: {e}")
        })?;
        proofs.push(proof);
    }
    Err(eyre!(
        "the node at {url} did not prove the Staking slots asked for at block {number}"
    ))
}

fn staking_proof(answer: Value) -> Result<StakingProof> {
    let proof: EIP1186AccountProofResponse = serde_json::from_value(answer)?;
    Ok(StakingProof {
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
    })
}
