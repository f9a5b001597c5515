//! `spn exit`: after a freeze, take your SPN Bridge balance at the SPN's last finalized
//! checkpoint out of the mainnet Bridge, with a storage proof fetched from any SPN node's RPC
//! or read from an SPN node's data directory (the node may be dead).

use crate::amount::whole;
use crate::revert::{status_name, FROZEN};
use crate::wallet::{confirm, event, read, with_progress, Wallet};
use crate::Globals;
use alloy::eips::BlockId;
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::EIP1186AccountProofResponse;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use eyre::{bail, eyre, Result};
use pharos_contracts::{self as sc, bridge::Bridge, layout, registry::Registry};
use serde_json::json;
use spn_chain::{account_leaf, logs_between, proof_from_store};
use spn_node::{Store, StoreOptions};
use std::path::{Path, PathBuf};

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

/// A storage slot of an SPN twin (SPN Bridge or SPN Mailbox) proven at one SPN block.
struct SlotAt {
    value: U256,
    state_root: B256,
    proof: Bridge::SlotProof,
}

/// The single slot an `eth_getProof` answer (from either source) proves, under `state_root`.
fn slot_at(proof: EIP1186AccountProofResponse, state_root: B256) -> Result<SlotAt> {
    let account_rlp = account_leaf(&proof);
    let storage = proof
        .storage_proof
        .into_iter()
        .next()
        .ok_or_else(|| eyre!("the proof holds no storage proof"))?;
    Ok(SlotAt {
        value: storage.value,
        state_root,
        proof: Bridge::SlotProof {
            accountRlp: account_rlp,
            accountProof: proof.account_proof,
            storageProof: storage.proof,
        },
    })
}

async fn proof_from_rpc(url: &str, account: Address, slot: B256, height: u64) -> Result<SlotAt> {
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
        .get_proof(account, vec![slot])
        .block_id(BlockId::number(height))
        .await
        .map_err(|e| {
            eyre!("the SPN node at {url} cannot prove block {height} ({e}); it must keep the SPN Bridge's history (every `spn node` does)")
        })?;
    slot_at(proof, block.header.state_root)
}

fn proof_from_datadir(dir: &Path, account: Address, slot: B256, height: u64) -> Result<SlotAt> {
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
    let proof = proof_from_store(&store, account, &[slot], height)
        .map_err(|e| eyre!("cannot prove block {height} from {} ({e})", dir.display()))?;
    slot_at(proof, header.state_root)
}

/// Proves the caller's balance at the last finalized checkpoint and exits it.
pub async fn run(args: ExitArgs, g: &Globals) -> Result<()> {
    let wallet = Wallet::connect(&g.rpc, &g.key).await?;
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
    let checkpoint = read(
        "Registry.latestCheckpoint",
        registry.latestCheckpoint(spn).call(),
    )
    .await?;
    // An SPN frozen before any checkpoint has no balances to prove, only deposits to refund.
    let checkpointed = checkpoint.stateRoot != B256::ZERO;
    let height = checkpoint.height;
    let source = Source {
        rpc: args.spn_rpc.clone(),
        datadir: args.datadir.clone(),
        root: checkpoint.stateRoot,
        height,
    };
    let already = read("Bridge.exited", bridge.exited(spn, me, token).call()).await?;
    let balance = if already || !checkpointed {
        None
    } else {
        let fetched = source
            .slot(sc::SPN_BRIDGE, layout::balance_slot(token, me))
            .await?;
        (!fetched.value.is_zero()).then_some(fetched)
    };
    let deposits = refundable_deposits(&p, &source, spn, me, token).await?;
    if balance.is_none() && deposits.is_empty() {
        if already {
            bail!("{me} already exited its {token} balance from SPN {spn} and has no deposit left to refund: an exit pays once");
        }
        bail!("{me} held no {token} on SPN {spn} at its last finalized checkpoint (block {height}) and has no deposit it never credited: nothing to exit");
    }
    let mut exited_amount = U256::ZERO;
    let mut exit_tx = None;
    if let Some(fetched) = balance {
        let sent = bridge
            .exit(spn, token, fetched.value, fetched.proof)
            .send()
            .await;
        let receipt = confirm("Bridge.exit", sent).await?;
        let exited = event::<Bridge::Exited>(&receipt, sc::BRIDGE)
            .ok_or_else(|| eyre!("transaction {} logged no exit", receipt.transaction_hash))?;
        exited_amount = exited.amount;
        exit_tx = Some(receipt.transaction_hash);
    }
    let mut refunds = Vec::new();
    for (id, record, count, proof) in deposits {
        let amount = record.amount;
        let sent = bridge.refundDeposit(id, record, count, proof).send().await;
        let receipt = confirm("Bridge.refundDeposit", sent).await?;
        refunds.push((id, amount, receipt.transaction_hash));
    }
    let refunded: U256 = refunds.iter().map(|(_, a, _)| *a).sum();
    if g.json {
        let refunds: Vec<_> = refunds
            .iter()
            .map(|(id, amount, tx)| json!({ "deposit_id": id.to_string(), "amount": amount.to_string(), "tx_hash": tx }))
            .collect();
        println!(
            "{}",
            json!({
                "spn_id": spn,
                "token": token,
                "user": me,
                "amount": exited_amount.to_string(),
                "checkpoint_height": height,
                "tx_hash": exit_tx,
                "refunds": refunds,
                "refunded": refunded.to_string(),
            })
        );
    } else {
        let what = |v: U256| {
            if token == sc::NATIVE_TOKEN {
                format!("{} ether", whole(v, 18))
            } else {
                format!("{v} base units of token {token}")
            }
        };
        if let Some(tx) = exit_tx {
            println!("exited     {} from frozen SPN {spn} to {me} (your balance at its checkpoint, block {height})", what(exited_amount));
            println!("tx         {tx}");
        }
        for (id, amount, tx) in &refunds {
            println!(
                "refunded   deposit #{id}: {} the SPN never credited (tx {tx})",
                what(*amount)
            );
        }
    }
    Ok(())
}

/// Where the SPN's state is read, and the finalized checkpoint it must match.
struct Source {
    rpc: Option<String>,
    datadir: Option<PathBuf>,
    root: B256,
    height: u64,
}

impl Source {
    /// `account`'s `slot` at the checkpoint, with its proof, from the RPC or the datadir.
    async fn slot(&self, account: Address, slot: B256) -> Result<SlotAt> {
        let height = self.height;
        if self.root == B256::ZERO {
            // Nothing finalized: the mainnet takes every value as zero, without a proof.
            return Ok(SlotAt {
                value: U256::ZERO,
                state_root: B256::ZERO,
                proof: Bridge::SlotProof {
                    accountRlp: Bytes::new(),
                    accountProof: vec![],
                    storageProof: vec![],
                },
            });
        }
        let fetched = match (&self.rpc, &self.datadir) {
            (Some(url), _) => {
                with_progress(
                    proof_from_rpc(url, account, slot, height),
                    &format!("fetching a proof at SPN block {height} from {url}"),
                )
                .await?
            }
            (None, Some(dir)) => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || proof_from_datadir(&dir, account, slot, height))
                    .await
                    .map_err(|e| eyre!("reading the data directory failed: {e}"))??
            }
            (None, None) => {
                bail!("pass --spn-rpc URL or --datadir DIR: where to read the SPN's state")
            }
        };
        if fetched.state_root != self.root {
            bail!(
                "the SPN state found has root {} at block {height}, but the mainnet finalized {}: \
                 that source is on another chain; use another --spn-rpc or --datadir",
                fetched.state_root,
                self.root
            );
        }
        Ok(fetched)
    }
}

/// The caller's deposits of `token` to `spn` that the SPN had not taken in by its last
/// finalized checkpoint and that were not refunded yet, each with the SPN Mailbox's inbound
/// count and its proof.
async fn refundable_deposits(
    p: &DynProvider,
    source: &Source,
    spn: u32,
    me: Address,
    token: Address,
) -> Result<Vec<(U256, Bridge::DepositRecord, U256, Bridge::SlotProof)>> {
    let head = p
        .get_block_number()
        .await
        .map_err(|e| eyre!("cannot read the mainnet head: {e}"))?;
    let spn_topic = B256::from(U256::from(spn));
    let deposited = Filter::new()
        .address(sc::BRIDGE)
        .event_signature(Bridge::Deposited::SIGNATURE_HASH)
        .topic1(spn_topic)
        .topic3(me.into_word());
    let queued = Filter::new()
        .address(sc::BRIDGE)
        .event_signature(Bridge::DepositQueued::SIGNATURE_HASH)
        .topic2(spn_topic);
    let deposited = logs_between(p, &deposited, 0, head)
        .await
        .map_err(|e| eyre!("reading your deposits: {e}"))?;
    if deposited.is_empty() {
        return Ok(Vec::new());
    }
    let queued = logs_between(p, &queued, 0, head)
        .await
        .map_err(|e| eyre!("reading queued deposits: {e}"))?;
    let bridge = Bridge::new(sc::BRIDGE, p);
    let mut candidates = Vec::new();
    for log in &deposited {
        let d = log
            .log_decode::<Bridge::Deposited>()
            .map_err(|e| eyre!("undecodable Deposited log: {e}"))?
            .inner
            .data;
        if d.token != token {
            continue;
        }
        // The deposit's DepositQueued is the next log of the same transaction.
        let Some(q) = queued.iter().find(|q| {
            q.transaction_hash == log.transaction_hash
                && q.log_index == log.log_index.map(|i| i + 1)
        }) else {
            continue;
        };
        let q = q
            .log_decode::<Bridge::DepositQueued>()
            .map_err(|e| eyre!("undecodable DepositQueued log: {e}"))?
            .inner
            .data;
        if read(
            "Bridge.depositRefunded",
            bridge.depositRefunded(q.depositId).call(),
        )
        .await?
        {
            continue;
        }
        candidates.push((
            q.depositId,
            Bridge::DepositRecord {
                spnId: spn,
                token,
                from: me,
                amount: d.amount,
                queueIndex: q.queueIndex,
            },
        ));
    }
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let count = source
        .slot(
            sc::SPN_MAILBOX,
            B256::from(layout::SPN_MAILBOX_INBOUND_COUNT_SLOT),
        )
        .await?;
    Ok(candidates
        .into_iter()
        .filter(|(_, r)| r.queueIndex >= count.value)
        .map(|(id, r)| (id, r, count.value, count.proof.clone()))
        .collect())
}
