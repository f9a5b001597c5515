//! `spn verify`: check that a mainnet block is final without trusting the node that serves
//! it. A light client (`pharos_mainnet::light_client`) starts from the chain spec's genesis
//! validators, follows every validator-set change by Staking storage proofs at the epoch
//! boundaries, then checks the block's finality certificate.

use alloy::providers::{Provider, ProviderBuilder};
use eyre::{eyre, Result};
use serde_json::json;
use spn_chain::{FinalityError, MainnetFinality};
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

/// Runs `spn verify` against the mainnet node at `url`.
pub async fn run(args: VerifyArgs, url: &str, as_json: bool) -> Result<()> {
    let provider = ProviderBuilder::new()
        .connect_http(
            url.parse()
                .map_err(|e| eyre!("--rpc {url} is not a URL: {e}"))?,
        )
        .erased();
    let mut mainnet =
        MainnetFinality::from_spec_file(&args.chain, provider).map_err(|e| eyre!(e))?;
    mainnet.check_chain_id().await.map_err(|e| match e {
        FinalityError::Refused(e) => eyre!(
            "{e}: pass the --rpc of a node of {}, or that node's spec",
            args.chain.display()
        ),
        FinalityError::Unreachable(e) => eyre!("cannot reach {url}: {e}"),
    })?;
    let target = match args.block.as_str() {
        "latest" | "finalized" => mainnet
            .provider()
            .get_block_number()
            .await
            .map_err(|e| eyre!("cannot reach {url}: {e}"))?,
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
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut reads = 0u64;
    let mut changes = Vec::new();
    if !as_json {
        eprintln!(
            "following the validator set from genesis ({} validators) to block {target}",
            mainnet.client().set_at(1).set.len(),
        );
    }
    let (certified, header) = mainnet
        .final_header(target, |read, change| {
            if let Some((from, size)) = change {
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
        })
        .await
        .map_err(|e| match e {
            FinalityError::Refused(reason) => eyre!(
                "NOT FINAL: {reason}. The node at {url} serves a chain the validators of {} did \
                 not finalize: check that --chain is this network's spec, or ask another node",
                args.chain.display()
            ),
            FinalityError::Unreachable(e) => eyre!("{e} (node {url})"),
        })?;
    let set = &mainnet.client().set_at(target).set;
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
