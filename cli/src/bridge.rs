//! `spn deposit` (mainnet Bridge → an account on an SPN) and `spn withdraw` (SPN Bridge → an
//! account on the mainnet).

use crate::amount::{whole, Amount};
use crate::revert::{status_name, ACTIVE};
use crate::send::Dispatched;
use crate::wallet::{confirm, event, progress, read, Wallet};
use crate::Globals;
use alloy::primitives::{Address, U256};
use alloy::providers::DynProvider;
use clap::Args;
use eyre::{bail, eyre, Result};
use pharos_contracts::{self as sc, bridge::Bridge, registry::Registry, spn_bridge::SpnBridge};
use serde_json::json;

alloy::sol! {
    /// The ERC-20 functions a deposit needs.
    #[sol(rpc)]
    interface Erc20 {
        function decimals() external view returns (uint8);
        function balanceOf(address account) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
    }
}

/// `spn deposit` options.
#[derive(Debug, Args)]
pub struct DepositArgs {
    /// The SPN to deposit to.
    #[arg(long, value_name = "ID")]
    pub spn: u32,
    /// How much: `5`, `0.5`, `5ether`, `5000000000000000000wei`; a bare number counts whole
    /// tokens of --token's decimals.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: Amount,
    /// An ERC-20 token on the mainnet (approved to the Bridge as needed); the native coin if
    /// absent.
    #[arg(long, value_name = "0xTOKEN")]
    pub token: Option<Address>,
    /// The account credited on the SPN (default: the sender).
    #[arg(long, value_name = "0xADDRESS")]
    pub to: Option<Address>,
}

/// `spn withdraw` options.
#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// How much: `5`, `5ether`, `5000000000000000000wei`. For an ERC-20 give the unit (the SPN
    /// does not know the token's decimals): `…wei` for base units, `…ether` for 18 decimals.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: Amount,
    /// The mainnet address of the token to withdraw (default: the mainnet's native coin).
    #[arg(long, value_name = "0xTOKEN")]
    pub token: Option<Address>,
    /// The account paid on the mainnet (default: the sender).
    #[arg(long, value_name = "0xADDRESS")]
    pub to: Option<Address>,
    /// Escape hatch: request the withdrawal on the mainnet (--rpc is the mainnet), which the
    /// SPN must process before a deadline or be frozen, then watch the deadline.
    #[arg(long, requires = "spn")]
    pub force: bool,
    /// With --force: the SPN holding the funds.
    #[arg(long, value_name = "ID", requires = "force")]
    pub spn: Option<u32>,
    /// With --force: return once the request is sent instead of watching the deadline.
    #[arg(long, requires = "force")]
    pub no_wait: bool,
}

/// Deposits on the mainnet Bridge and prints what it escrowed and the message to the SPN.
pub async fn deposit(args: DepositArgs, g: &Globals) -> Result<()> {
    if args.token.is_none() {
        args.amount.wei()?;
    }
    let wallet = Wallet::connect(&g.rpc, &g.key).await?;
    if !wallet.chain.has_code(sc::BRIDGE).await? {
        bail!(
            "{} has no mainnet Bridge at {}: deposits are made on the mainnet; pass its RPC URL \
             as --rpc",
            wallet.chain.url,
            sc::BRIDGE
        );
    }
    let p = wallet.provider();
    let me = wallet.address;
    let spn = args.spn;
    let to = args.to.unwrap_or(me);
    let registry = Registry::new(sc::REGISTRY, p);
    let status = read("Registry.status", registry.status(spn).call()).await?;
    if status != ACTIVE {
        bail!(
            "SPN {spn} is {}: deposits open once it is active (operators restake to it with \
             `spn restake`)",
            status_name(status)
        );
    }
    let bridge = Bridge::new(sc::BRIDGE, p);
    let mut approve_tx = None;
    let (token, decimals, receipt) = match args.token {
        None => {
            let value = args.amount.wei()?;
            let balance = wallet.balance().await?;
            if balance <= value {
                bail!(
                    "account {me} holds {} ether, not enough to deposit {} and pay gas",
                    whole(balance, 18),
                    whole(value, 18)
                );
            }
            let sent = bridge.depositNative(spn, to).value(value).send().await;
            (
                sc::NATIVE_TOKEN,
                18,
                confirm("Bridge.depositNative", sent).await?,
            )
        }
        Some(token) => {
            if !wallet.chain.has_code(token).await? {
                bail!("{token} has no code on the mainnet: --token takes an ERC-20's address");
            }
            let erc20 = Erc20::new(token, p);
            let decimals = token_decimals(&erc20, token, &args.amount).await?;
            let value = args.amount.base_units(decimals)?;
            let held = read("balanceOf", erc20.balanceOf(me).call()).await?;
            if held < value {
                bail!(
                    "account {me} holds {} of token {token}, less than {}",
                    whole(held, decimals),
                    whole(value, decimals)
                );
            }
            let allowance = read("allowance", erc20.allowance(me, sc::BRIDGE).call()).await?;
            if allowance < value {
                let r = confirm("approve", erc20.approve(sc::BRIDGE, value).send().await).await?;
                progress(format!(
                    "approved the Bridge to take {} of {token}",
                    whole(value, decimals)
                ));
                approve_tx = Some(r.transaction_hash);
            }
            let sent = bridge.depositERC20(spn, token, value, to).send().await;
            (token, decimals, confirm("Bridge.depositERC20", sent).await?)
        }
    };
    let deposited = event::<Bridge::Deposited>(&receipt, sc::BRIDGE)
        .ok_or_else(|| eyre!("transaction {} logged no deposit", receipt.transaction_hash))?;
    let dispatched = Dispatched::from_receipt(&receipt, sc::MAILBOX)?;

    if g.json {
        let out = json!({
            "spn_id": spn,
            "token": token,
            "from": me,
            "to": to,
            "amount": deposited.amount.to_string(),
            "decimals": decimals,
            "message_id": deposited.messageId,
            "queue_index": dispatched.queue_index,
            "tx_hash": receipt.transaction_hash,
            "approve_tx": approve_tx,
        });
        println!("{out}");
    } else {
        let what = if token == sc::NATIVE_TOKEN {
            "ether".to_string()
        } else {
            format!("of token {token}")
        };
        println!(
            "deposited  {} {what} to {to} on SPN {spn} (escrowed by the mainnet Bridge)",
            whole(deposited.amount, decimals)
        );
        println!("message    {}", deposited.messageId);
        println!("tx         {}", receipt.transaction_hash);
        if let Some(index) = dispatched.queue_index {
            println!(
                "queued     for SPN {spn} at index {index}; the SPN credits it when its blocks \
                 reach the message"
            );
        }
    }
    Ok(())
}

/// Withdraws from the SPN Bridge and prints the message that carries it to the mainnet.
pub async fn withdraw(args: WithdrawArgs, g: &Globals) -> Result<()> {
    let token = args.token.unwrap_or(sc::NATIVE_TOKEN);
    if token != sc::NATIVE_TOKEN && !args.amount.has_unit() {
        bail!(
            "--amount for token {token} needs a unit: the SPN does not know the token's decimals; \
             give base units (e.g. 3000000wei) or 18-decimal units (e.g. 3ether)"
        );
    }
    let value = args.amount.wei()?;
    let wallet = Wallet::connect(&g.rpc, &g.key).await?;
    if !wallet.chain.has_code(sc::SPN_BRIDGE).await? {
        bail!(
            "{} is not an SPN (no SPN Bridge at {}): withdrawals start on the SPN; pass its RPC \
             URL as --rpc",
            wallet.chain.url,
            sc::SPN_BRIDGE
        );
    }
    let me = wallet.address;
    let to = args.to.unwrap_or(me);
    let spn_bridge = SpnBridge::new(sc::SPN_BRIDGE, wallet.provider());
    let held = read(
        "SpnBridge.balanceOf",
        spn_bridge.balanceOf(token, me).call(),
    )
    .await?;
    if held < value {
        bail!(
            "account {me} holds {} on this SPN, less than {}",
            fmt_token(token, held),
            fmt_token(token, value)
        );
    }
    let sent = spn_bridge.withdraw(token, value, to).send().await;
    let receipt = confirm("SpnBridge.withdraw", sent).await?;
    let withdrawal = event::<SpnBridge::Withdrawal>(&receipt, sc::SPN_BRIDGE).ok_or_else(|| {
        eyre!(
            "transaction {} logged no withdrawal",
            receipt.transaction_hash
        )
    })?;
    let mainnet = read("SpnBridge.mainnetDomain", spn_bridge.mainnetDomain().call()).await?;

    if g.json {
        let out = json!({
            "spn_id": wallet.chain.chain_id,
            "token": token,
            "from": me,
            "to": to,
            "amount": value.to_string(),
            "withdrawal_id": withdrawal.withdrawalId.to_string(),
            "message_id": withdrawal.messageId,
            "destination": mainnet,
            "tx_hash": receipt.transaction_hash,
            "block": receipt.block_number,
        });
        println!("{out}");
    } else {
        println!(
            "withdrawing {} to {to} on the mainnet (chain {mainnet})",
            fmt_token(token, value)
        );
        println!("withdrawal #{}", withdrawal.withdrawalId);
        println!("message    {}", withdrawal.messageId);
        println!("tx         {}", receipt.transaction_hash);
        println!(
            "next       once a relayer delivers the message, the mainnet Bridge pays; its status \
             there is Mailbox.status({}) (2 = delivered)",
            withdrawal.messageId
        );
    }
    Ok(())
}

/// The decimals `amount` of ERC-20 `token` counts in: the token's, or 18 when the amount has
/// a unit and the token does not say.
pub async fn token_decimals(
    erc20: &Erc20::Erc20Instance<&DynProvider>,
    token: Address,
    amount: &Amount,
) -> Result<u8> {
    match erc20.decimals().call().await {
        Ok(d) => Ok(d),
        Err(_) if amount.has_unit() => Ok(18),
        Err(e) => bail!(
            "cannot read decimals() of token {token} ({e}); is it an ERC-20 on this chain? Give \
             the amount with a unit (…wei for base units) to skip this"
        ),
    }
}

/// An amount of a bridged token: ether for the native coin, base units for an ERC-20.
fn fmt_token(token: Address, v: U256) -> String {
    if token == sc::NATIVE_TOKEN {
        format!("{} ether", whole(v, 18))
    } else {
        format!("{v} base units of token {token}")
    }
}
