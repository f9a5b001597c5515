//! The escape hatch's first two steps, on the mainnet: `spn withdraw --force` (ask a censoring
//! or dead SPN for your funds, then watch the deadline), `spn freeze` (once a request expired
//! unproven) and `spn status --request`.

use crate::amount::whole;
use crate::bridge::WithdrawArgs;
use crate::revert::{status_name, when, ACTIVE, FROZEN, RETIRED};
use crate::wallet::{confirm, event, read, Wallet};
use crate::Globals;
use alloy::primitives::U256;
use alloy::providers::{DynProvider, Provider};
use eyre::{bail, eyre, Result};
use pharos_contracts::{self as sc, bridge::Bridge, registry::Registry};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `Bridge.ForceState` values.
const STATE_NAMES: [&str; 4] = ["unknown", "pending", "honoured", "expired"];
const PENDING: u8 = 1;
const HONOURED: u8 = 2;

/// `spn freeze` options.
#[derive(Debug, clap::Args)]
pub struct FreezeArgs {
    /// The forced-withdrawal request whose deadline passed unproven.
    #[arg(long, value_name = "ID")]
    pub request: u64,
}

/// The mainnet's time: its newest block's, or the wall clock if that is later.
pub async fn chain_now(p: &DynProvider) -> Result<u64> {
    let block = p
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .map_err(|e| eyre!("cannot read the mainnet's latest block: {e}"))?
        .ok_or_else(|| eyre!("the mainnet has no latest block"))?;
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(block.header.timestamp.max(wall))
}

fn countdown(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
        seconds % 60,
    );
    match (d, h) {
        (0, 0) => format!("{m}m {s:02}s"),
        (0, _) => format!("{h}h {m:02}m {s:02}s"),
        _ => format!("{d}d {h:02}h {m:02}m"),
    }
}

/// `spn withdraw --force --spn ID`: request on the mainnet Bridge (--rpc), then show the
/// countdown until the SPN honours it or the deadline passes.
pub async fn request(args: WithdrawArgs, g: &Globals) -> Result<()> {
    let Some(spn) = args.spn else {
        bail!("--force needs --spn ID: the SPN that must process the request");
    };
    if args.to.is_some() {
        bail!("a forced withdrawal always pays the requesting account; drop --to");
    }
    let wallet = Wallet::connect(&g.rpc, &g.key).await?;
    if !wallet.chain.has_code(sc::BRIDGE).await? {
        bail!(
            "{} has no mainnet Bridge at {}: a forced withdrawal is requested on the mainnet; \
             pass its RPC URL as --rpc",
            wallet.chain.url,
            sc::BRIDGE
        );
    }
    let p = wallet.provider().clone();
    let token = args.token.unwrap_or(sc::NATIVE_TOKEN);
    let (value, decimals) = if token == sc::NATIVE_TOKEN {
        (args.amount.wei()?, 18)
    } else {
        let erc20 = crate::bridge::Erc20::new(token, &p);
        let decimals = crate::bridge::token_decimals(&erc20, token, &args.amount).await?;
        (args.amount.base_units(decimals)?, decimals)
    };
    let registry = Registry::new(sc::REGISTRY, &p);
    let status = read("Registry.status", registry.status(spn).call()).await?;
    if status != ACTIVE && status != RETIRED {
        bail!(
            "SPN {spn} is {}: forced withdrawals go to active or retired SPNs{}",
            status_name(status),
            if status == FROZEN {
                "; it is frozen already, so take your funds with `spn exit`"
            } else {
                ""
            }
        );
    }
    let bridge = Bridge::new(sc::BRIDGE, &p);
    let bond = read("Bridge.forceBond", bridge.forceBond().call()).await?;
    let sent = bridge
        .requestForcedWithdrawal(spn, token, value)
        .value(bond)
        .send()
        .await;
    let receipt = confirm("Bridge.requestForcedWithdrawal", sent).await?;
    let requested = event::<Bridge::ForcedWithdrawalRequested>(&receipt, sc::BRIDGE)
        .ok_or_else(|| eyre!("transaction {} logged no request", receipt.transaction_hash))?;
    let id: u64 = requested.requestId.saturating_to();
    if g.json {
        println!(
            "{}",
            json!({
                "request_id": id,
                "spn_id": spn,
                "user": wallet.address,
                "token": token,
                "amount": value.to_string(),
                "bond": bond.to_string(),
                "deadline": requested.deadline,
                "tx_hash": receipt.transaction_hash,
            })
        );
        if args.no_wait {
            return Ok(());
        }
    } else {
        println!(
            "forced withdrawal #{id}: {} from SPN {spn} to {} (bond {} ether, returned either way)",
            whole(value, decimals),
            wallet.address,
            whole(bond, 18)
        );
        println!("tx         {}", receipt.transaction_hash);
        println!("deadline   {}", when(requested.deadline));
        if args.no_wait {
            println!(
                "next       `spn status --request {id}` shows it; if the deadline passes unproven, \
                 `spn freeze --request {id}`, then `spn exit --spn {spn}`"
            );
            return Ok(());
        }
    }
    watch(&p, id, g.json).await
}

/// Shows the countdown of request `id` until it is settled or its deadline passes.
async fn watch(p: &DynProvider, id: u64, as_json: bool) -> Result<()> {
    let bridge = Bridge::new(sc::BRIDGE, p);
    let tty = std::io::stderr().is_terminal();
    let mut last_line = 0u64;
    if !as_json {
        eprintln!("waiting for the SPN to process it (Ctrl-C stops watching; the request stays)");
    }
    loop {
        let r = read(
            "Bridge.forcedRequest",
            bridge.forcedRequest(U256::from(id)).call(),
        )
        .await?;
        let now = chain_now(p).await?;
        let outcome = match r.state {
            HONOURED => Some("honoured"),
            PENDING if now > r.deadline => Some("expired"),
            PENDING => None,
            _ => Some("expired"),
        };
        if let Some(outcome) = outcome {
            if tty {
                eprintln!();
            }
            if as_json {
                println!("{}", json!({ "request_id": id, "outcome": outcome }));
            } else if outcome == "honoured" {
                println!(
                    "honoured   the SPN processed request #{id}: your bond is back, and its \
                     withdrawal message pays you on the mainnet once relayed (`spn trace` follows it)"
                );
            } else {
                println!(
                    "expired    the deadline passed without proof that SPN {} processed request \
                     #{id}.\nnext       `spn freeze --request {id}` (anyone may) freezes the SPN and \
                     slashes its operators; then `spn exit --spn {} --spn-rpc URL` (or --datadir \
                     DIR) pays your balance at its last finalized checkpoint",
                    r.spnId, r.spnId
                );
            }
            return Ok(());
        }
        let left = r.deadline.saturating_sub(now);
        let line = format!(
            "request #{id} pending on SPN {}: deadline in {}",
            r.spnId,
            countdown(left)
        );
        if tty {
            eprint!("\r{line}   ");
            let _ = std::io::stderr().flush();
        } else if as_json || now >= last_line + 30 {
            eprintln!("{line}");
            last_line = now;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// `spn freeze --request ID`: freeze the SPN of an expired request.
pub async fn freeze(args: FreezeArgs, g: &Globals) -> Result<()> {
    let wallet = Wallet::connect(&g.rpc, &g.key).await?;
    let p = wallet.provider().clone();
    let bridge = Bridge::new(sc::BRIDGE, &p);
    let id = args.request;
    let r = read(
        "Bridge.forcedRequest",
        bridge.forcedRequest(U256::from(id)).call(),
    )
    .await?;
    match r.state {
        PENDING => {}
        0 => bail!("there is no forced-withdrawal request #{id} on this mainnet (--rpc)"),
        HONOURED => bail!(
            "request #{id} was honoured: SPN {} proved it processed it, so it cannot be frozen \
             for it",
            r.spnId
        ),
        _ => bail!(
            "request #{id} already froze SPN {}; take your funds with `spn exit --spn {}`",
            r.spnId,
            r.spnId
        ),
    }
    let now = chain_now(&p).await?;
    if now <= r.deadline {
        bail!(
            "request #{id}'s deadline has not passed: {}. Freezing is allowed after it, if the \
             SPN has not proven it processed the request by then",
            when(r.deadline)
        );
    }
    let receipt = confirm("Bridge.freeze", bridge.freeze(U256::from(id)).send().await).await?;
    let frozen = event::<Bridge::SpnFrozen>(&receipt, sc::BRIDGE)
        .ok_or_else(|| eyre!("transaction {} logged no freeze", receipt.transaction_hash))?;
    if g.json {
        println!(
            "{}",
            json!({
                "spn_id": frozen.spnId,
                "request_id": id,
                "slashed": frozen.slashed.to_string(),
                "tx_hash": receipt.transaction_hash,
            })
        );
    } else {
        println!(
            "frozen     SPN {}: no more checkpoints; its operators were slashed {} LST",
            frozen.spnId,
            whole(frozen.slashed, 18)
        );
        println!("tx         {}", receipt.transaction_hash);
        println!(
            "next       each user takes their balance at the last finalized checkpoint: `spn \
             exit --spn {} --spn-rpc URL` (or --datadir DIR of any SPN node's data)",
            frozen.spnId
        );
    }
    Ok(())
}

/// `spn status --request ID`: a forced-withdrawal request as the mainnet (--rpc) sees it.
pub async fn status(url: &str, id: u64, as_json: bool) -> Result<()> {
    let chain = crate::wallet::Chain::connect(url).await?;
    let p = chain.provider.clone();
    let r = read(
        "Bridge.forcedRequest",
        Bridge::new(sc::BRIDGE, &p)
            .forcedRequest(U256::from(id))
            .call(),
    )
    .await?;
    if r.state == 0 {
        bail!("there is no forced-withdrawal request #{id} on the mainnet at {url}");
    }
    let now = chain_now(&p).await?;
    let state = STATE_NAMES[usize::from(r.state.min(3))];
    let freezable = r.state == PENDING && now > r.deadline;
    let next = match r.state {
        PENDING if freezable => {
            format!("the deadline passed unproven: anyone may `spn freeze --request {id}`")
        }
        PENDING => format!(
            "SPN {} must process it and a relayer prove it before the deadline, in {}",
            r.spnId,
            countdown(r.deadline - now)
        ),
        HONOURED => "settled: the SPN processed it and the bond was returned".to_string(),
        _ => format!(
            "SPN {} was frozen for it: `spn exit --spn {}` pays balances at its last checkpoint",
            r.spnId, r.spnId
        ),
    };
    if as_json {
        println!(
            "{}",
            json!({
                "request_id": id,
                "spn_id": r.spnId,
                "user": r.user,
                "token": r.token,
                "amount": r.amount.to_string(),
                "bond": r.bond.to_string(),
                "deadline": r.deadline,
                "state": state,
                "chain_time": now,
                "freezable": freezable,
                "next": next,
            })
        );
    } else {
        println!("request    #{id} on SPN {}  {state}", r.spnId);
        println!("user       {}", r.user);
        println!("amount     {} of token {}", r.amount, r.token);
        println!("deadline   {}", when(r.deadline));
        println!("next       {next}");
    }
    Ok(())
}
