//! `spn exit`: after a freeze, take your SPN Bridge balance at the SPN's last finalized
//! checkpoint out of the mainnet Bridge, with a storage proof fetched from any SPN node's RPC
//! or read from an SPN node's data directory (the node may be dead).

use crate::amount::whole;
use crate::revert::status_name;
use crate::wallet::{confirm, event, read, with_progress, Wallet};
use crate::Globals;
use alloy::eips::BlockId;
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy_trie::TrieAccount;
use eyre::{bail, eyre, Result};
use pharos_contracts::{self as sc, bridge::Bridge, layout, registry::Registry};
use serde_json::json;
use spn_node::{Store, StoreOptions};
use std::path::{Path, PathBuf};

const FROZEN: u8 = 3;

/// `spn exit` options.
#[derive(Debug, clap::Args)]
pub struct ExitArgs {
    /// The frozen SPN.
    #[arg(long, value_name = "ID")]
    pub spn: u32,
    /// The mainnet token to exit (default: the native coin).
    #[arg(long, value_name = "0xTOKEN")]
    pub token: Option<Address>,
    /// An SPN node's RPC that still answers (an archive of the SPN Bridge's past states).
    #[arg(long, value_name = "URL", conflicts_with = "datadir")]
    pub spn_rpc: Option<String>,
    /// An SPN node's data directory, read directly (the node must be stopped).
    #[arg(long, value_name = "DIR", required_unless_present = "spn_rpc")]
    pub datadir: Option<PathBuf>,
}

/// A balance slot of the SPN Bridge proven at one SPN block.
struct BalanceProof {
    value: U256,
    state_root: B256,
    proof: Bridge::SlotProof,
}

fn account_rlp(nonce: u64, balance: U256, storage_root: B256, code_hash: B256) -> Bytes {
    alloy_rlp::encode(TrieAccount {
        nonce,
        balance,
        storage_root,
        code_hash,
    })
    .into()
}

async fn proof_from_rpc(url: &str, slot: B256, height: u64) -> Result<BalanceProof> {
    let spn = ProviderBuilder::new()
        .connect_http(url.parse().map_err(|e| eyre!("--spn-rpc {url}: {e}"))?)
        .erased();
    let block = spn
        .get_block_by_number(height.into())
        .await
        .map_err(|e| {
            eyre!("cannot reach the SPN node at {url} ({e}); pass another --spn-rpc or --datadir")
        })?
        .ok_or_else(|| {
            eyre!("the SPN node at {url} has no block {height}: is it synced, and this SPN's?")
        })?;
    let proof = spn
        .get_proof(sc::SPN_BRIDGE, vec![slot])
        .block_id(BlockId::number(height))
        .await
        .map_err(|e| {
            eyre!("the SPN node at {url} cannot prove block {height} ({e}); it must keep the SPN Bridge's history (every `spn node` does)")
        })?;
    let storage = proof
        .storage_proof
        .into_iter()
        .next()
        .ok_or_else(|| eyre!("the SPN node at {url} returned no storage proof"))?;
    Ok(BalanceProof {
        value: storage.value,
        state_root: block.header.state_root,
        proof: Bridge::SlotProof {
            accountRlp: account_rlp(
                proof.nonce,
                proof.balance,
                proof.storage_hash,
                proof.code_hash,
            ),
            accountProof: proof.account_proof,
            storageProof: storage.proof,
        },
    })
}

fn proof_from_datadir(dir: &Path, slot: B256, height: u64) -> Result<BalanceProof> {
    if !dir.join("db").is_dir() {
        bail!(
            "{} is not an SPN node's data directory (no db/ inside)",
            dir.display()
        );
    }
    let options = StoreOptions {
        proof_history: vec![sc::SPN_MAILBOX, sc::SPN_BRIDGE],
        ..Default::default()
    };
    let store = Store::open(dir, &options).map_err(|e| {
        eyre!(
            "cannot open {} ({e}); if its node still runs, stop it or use --spn-rpc",
            dir.display()
        )
    })?;
    let header = store
        .header(height)
        .map_err(|e| eyre!("{e}"))?
        .ok_or_else(|| {
            eyre!(
                "{} holds no block {height}: it is behind the checkpoint, or another SPN's",
                dir.display()
            )
        })?;
    let proof = store
        .account_proof_at(sc::SPN_BRIDGE, &[slot], height)
        .map_err(|e| eyre!("cannot prove block {height} from {} ({e})", dir.display()))?;
    let (_, value, nodes) = proof
        .storage
        .into_iter()
        .next()
        .ok_or_else(|| eyre!("no storage proof"))?;
    let rlp = match proof.account {
        Some(a) => account_rlp(a.nonce, a.balance, a.storage_root, a.code_hash),
        None => bail!(
            "the SPN Bridge has no account at block {height} in {}",
            dir.display()
        ),
    };
    Ok(BalanceProof {
        value,
        state_root: header.state_root,
        proof: Bridge::SlotProof {
            accountRlp: rlp,
            accountProof: proof.account_proof,
            storageProof: nodes,
        },
    })
}

/// Proves the caller's balance at the last finalized checkpoint and exits it.
pub async fn run(args: ExitArgs, g: &Globals) -> Result<()> {
    let wallet = Wallet::connect(&g.rpc, g.private_key.as_deref()).await?;
    let p = wallet.provider().clone();
    let me = wallet.address;
    let spn = args.spn;
    let token = args.token.unwrap_or(sc::NATIVE_TOKEN);
    let registry = Registry::new(sc::REGISTRY, &p);
    let status = read("Registry.status", registry.status(spn).call()).await?;
    if status != FROZEN {
        bail!(
            "SPN {spn} is {}, not frozen: exits open after a freeze. A forced withdrawal the SPN \
             leaves unproven past its deadline allows one: `spn withdraw --force --spn {spn}`, \
             then `spn freeze --request ID`",
            status_name(status)
        );
    }
    let bridge = Bridge::new(sc::BRIDGE, &p);
    if read("Bridge.exited", bridge.exited(spn, me, token).call()).await? {
        bail!("{me} already exited its {token} balance from SPN {spn}: an exit pays once");
    }
    let checkpoint = read(
        "Registry.latestCheckpoint",
        registry.latestCheckpoint(spn).call(),
    )
    .await?;
    if checkpoint.stateRoot == B256::ZERO {
        bail!("SPN {spn} never finalized a checkpoint: there is no state to prove a balance in");
    }
    let height = checkpoint.height;
    let slot = layout::balance_slot(token, me);
    let fetched = match (&args.spn_rpc, &args.datadir) {
        (Some(url), _) => {
            with_progress(
                proof_from_rpc(url, slot, height),
                &format!("fetching the proof of your balance at SPN block {height} from {url}"),
            )
            .await?
        }
        (None, Some(dir)) => {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || proof_from_datadir(&dir, slot, height))
                .await
                .map_err(|e| eyre!("reading the data directory failed: {e}"))??
        }
        (None, None) => bail!("pass --spn-rpc URL or --datadir DIR: where to read the SPN's state"),
    };
    if fetched.state_root != checkpoint.stateRoot {
        bail!(
            "the SPN state found has root {} at block {height}, but the mainnet finalized {}: \
             that source is on another chain; use another --spn-rpc or --datadir",
            fetched.state_root,
            checkpoint.stateRoot
        );
    }
    if fetched.value.is_zero() {
        bail!("{me} held no {token} on SPN {spn} at its last finalized checkpoint (block {height}): nothing to exit");
    }
    let sent = bridge
        .exit(spn, token, fetched.value, fetched.proof)
        .send()
        .await;
    let receipt = confirm("Bridge.exit", sent).await?;
    let exited = event::<Bridge::Exited>(&receipt, sc::BRIDGE)
        .ok_or_else(|| eyre!("transaction {} logged no exit", receipt.transaction_hash))?;
    if g.json {
        println!(
            "{}",
            json!({
                "spn_id": spn,
                "token": token,
                "user": me,
                "amount": exited.amount.to_string(),
                "checkpoint_height": height,
                "tx_hash": receipt.transaction_hash,
            })
        );
    } else {
        let what = if token == sc::NATIVE_TOKEN {
            format!("{} ether", whole(exited.amount, 18))
        } else {
            format!("{} base units of token {token}", exited.amount)
        };
        println!("exited     {what} from frozen SPN {spn} to {me} (your balance at its checkpoint, block {height})");
        println!("tx         {}", receipt.transaction_hash);
    }
    Ok(())
}
