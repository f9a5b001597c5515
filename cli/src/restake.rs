//! `spn restake` and `spn unstake`: an operator's stake in an SPN (Staking → LST →
//! Restaking), the operator key's proof of possession, and the SPN's activation once it holds
//! enough stake.

use crate::amount::{ether, Amount};
use crate::revert::{status_name, when, ACTIVE, REGISTERED};
use crate::wallet::{confirm, event, progress, read, KeySource, Wallet};
use crate::Globals;
use alloy::primitives::{Address, Bytes, B256};
use alloy::providers::DynProvider;
use clap::Args;
use ed25519_dalek::{Signer, SigningKey};
use eyre::{bail, eyre, Result};
use pharos_contracts::{
    self as sc, liquid_stake::LiquidStake, management::Management, registry::Registry,
    restaking::Restaking, staking::Staking,
};
use serde_json::{json, Map, Value};

/// `spn restake` options.
#[derive(Debug, Args)]
pub struct RestakeArgs {
    /// The SPN to restake to.
    #[arg(long, value_name = "ID")]
    pub spn: u32,
    /// How much: `5`, `0.5`, `5ether` or `5000000000000000000wei`.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: Amount,
    /// The operator's ed25519 secret key (32 bytes hex, e.g. from `openssl rand -hex 32`);
    /// needed the first time this account restakes, to register the key.
    #[arg(
        long,
        env = "SPN_OPERATOR_KEY",
        hide_env_values = true,
        value_name = "HEX"
    )]
    pub operator_key: Option<String>,
    /// Restake LST the account already holds instead of staking native coin for it first.
    #[arg(long)]
    pub skip_stake: bool,
}

/// `spn unstake` options.
#[derive(Debug, Args)]
pub struct UnstakeArgs {
    /// The SPN to unstake from.
    #[arg(long, value_name = "ID")]
    pub spn: u32,
    /// How much to unstake (`2`, `2ether`, `…wei`); the rest must stay at 1 lsPHRS or more.
    #[arg(
        long,
        allow_hyphen_values = true,
        required_unless_present = "withdraw",
        conflicts_with = "withdraw"
    )]
    pub amount: Option<Amount>,
    /// Withdraw the LST whose unbonding delay has passed.
    #[arg(long)]
    pub withdraw: bool,
}

/// Stakes (unless `--skip-stake`), registers the operator key if the account has none,
/// restakes, and activates the SPN if it is registered and now has enough stake.
pub async fn restake(args: RestakeArgs, g: &Globals) -> Result<()> {
    let done = restake_as(&args, &g.rpc, &g.key).await?;
    if g.json {
        println!("{}", done.json);
    } else {
        print!("{}", done.text);
    }
    Ok(())
}

/// What a restake did: its `--json` object and its text for people.
pub struct Restaked {
    /// The `--json` output.
    pub json: Value,
    /// The text output (lines ending in newlines).
    pub text: String,
}

/// [`restake`] on the mainnet at `rpc`, signed by `signer`.
pub async fn restake_as(args: &RestakeArgs, rpc: &str, signer: &KeySource) -> Result<Restaked> {
    let amount = args.amount.wei()?;
    let key = args.operator_key.as_deref().map(operator_key).transpose()?;
    let wallet = Wallet::connect(rpc, signer).await?;
    let p = wallet.provider();
    let me = wallet.address;
    let spn = args.spn;
    let registry = Registry::new(sc::REGISTRY, p);
    let restaking = Restaking::new(sc::RESTAKING, p);
    let lst = LiquidStake::new(sc::LST, p);
    let mut out = Map::new();

    let status = read("Registry.status", registry.status(spn).call()).await?;
    if status != REGISTERED && status != ACTIVE {
        bail!(
            "SPN {spn} is {} on {}: it takes stake only while Registered or Active{}",
            status_name(status),
            wallet.chain.url,
            if status == 0 {
                " (register it with `spn register --config spn.toml`)"
            } else {
                ""
            }
        );
    }

    let register_key = key_to_register(&restaking, me, key.as_ref()).await?;

    if args.skip_stake {
        let held = read("LiquidStake.balanceOf", lst.balanceOf(me).call()).await?;
        if held < amount {
            bail!(
                "account {me} holds {} lsPHRS, less than {}; drop --skip-stake to stake native \
                 coin for it first",
                ether(held),
                ether(amount)
            );
        }
    } else {
        let balance = wallet.balance().await?;
        if balance <= amount {
            bail!(
                "account {me} holds {} ether, not enough to stake {} and pay gas; fund it, or \
                 restake LST it holds with --skip-stake",
                ether(balance),
                ether(amount)
            );
        }
        let staking = Staking::new(sc::STAKING, p);
        let r = confirm("Staking.stake", staking.stake().value(amount).send().await).await?;
        out.insert("stake_tx".into(), json!(r.transaction_hash));
        progress(format!("staked {} ether for as much lsPHRS", ether(amount)));
    }

    if let Some(k) = register_key {
        let digest = read(
            "Restaking.registrationDigest",
            restaking.registrationDigest(me).call(),
        )
        .await?;
        let pop = Bytes::from(k.sign(digest.as_slice()).to_bytes().to_vec());
        let r = confirm(
            "Restaking.registerOperator",
            restaking.registerOperator(public_key(k), pop).send().await,
        )
        .await?;
        out.insert("register_tx".into(), json!(r.transaction_hash));
        progress(format!("registered operator key {}", public_key(k)));
    }

    let allowance = read(
        "LiquidStake.allowance",
        lst.allowance(me, sc::RESTAKING).call(),
    )
    .await?;
    if allowance < amount {
        let r = confirm(
            "LiquidStake.approve",
            lst.approve(sc::RESTAKING, amount).send().await,
        )
        .await?;
        out.insert("approve_tx".into(), json!(r.transaction_hash));
    }
    let r = confirm(
        "Restaking.restake",
        restaking.restake(spn, amount).send().await,
    )
    .await?;
    let restake_tx = r.transaction_hash;

    let mine = read("Restaking.stakeOf", restaking.stakeOf(spn, me).call()).await?;
    let total = read("Restaking.totalStake", restaking.totalStake(spn).call()).await?;
    let min_stake = read("Registry.params", registry.params(spn).call())
        .await?
        .minStake;
    let operator_key = read("Restaking.operatorKey", restaking.operatorKey(me).call()).await?;
    let mut activated = None;
    if status == REGISTERED && total >= min_stake {
        let management = Management::new(sc::MANAGEMENT, p);
        let r = confirm("Management.activate", management.activate(spn).send().await).await?;
        let epoch = read("Registry.currentEpoch", registry.currentEpoch(spn).call()).await?;
        activated = Some((r.transaction_hash, epoch));
    }
    let status = read("Registry.status", registry.status(spn).call()).await?;
    let missing = min_stake.saturating_sub(total);

    out.extend([
        ("spn_id".into(), json!(spn)),
        ("operator".into(), json!(me)),
        ("operator_key".into(), json!(operator_key)),
        ("amount".into(), json!(amount.to_string())),
        ("restake_tx".into(), json!(restake_tx)),
        ("operator_stake".into(), json!(mine.to_string())),
        ("spn_stake".into(), json!(total.to_string())),
        ("min_stake".into(), json!(min_stake.to_string())),
        ("missing".into(), json!(missing.to_string())),
        ("status".into(), json!(status_name(status))),
        ("activated".into(), json!(activated.is_some())),
    ]);
    if let Some((tx, epoch)) = activated {
        out.insert("activate_tx".into(), json!(tx));
        out.insert("epoch".into(), json!(epoch));
    }
    let mut text = format!(
        "restaked {} lsPHRS to SPN {spn} as {me} (key {operator_key})\n\
         tx         {restake_tx}\n\
         stake      this operator {} lsPHRS, the SPN {} of the {} it needs\n",
        ether(amount),
        ether(mine),
        ether(total),
        ether(min_stake)
    );
    text += &match activated {
        Some((tx, epoch)) => format!("activated  SPN {spn} is Active, epoch {epoch} (tx {tx})\n"),
        None if status == REGISTERED => format!(
            "not active SPN {spn} needs {} more lsPHRS restaked before it can be activated\n",
            ether(missing)
        ),
        None => format!("status     SPN {spn} is {}\n", status_name(status)),
    };
    Ok(Restaked {
        json: Value::Object(out),
        text,
    })
}

/// Starts unstaking `--amount`, or with `--withdraw` takes back what finished unbonding.
pub async fn unstake(args: UnstakeArgs, g: &Globals) -> Result<()> {
    let amount = args.amount.as_ref().map(Amount::wei).transpose()?;
    let wallet = Wallet::connect(&g.rpc, &g.key).await?;
    let me = wallet.address;
    let spn = args.spn;
    let restaking = Restaking::new(sc::RESTAKING, wallet.provider());

    let Some(amount) = amount else {
        let r = confirm("Restaking.withdraw", restaking.withdraw(spn).send().await).await?;
        let paid = event::<Restaking::Withdrawn>(&r, sc::RESTAKING)
            .map(|e| e.amount)
            .unwrap_or_default();
        if g.json {
            let out = json!({
                "spn_id": spn, "operator": me, "withdrawn": paid.to_string(),
                "tx_hash": r.transaction_hash,
            });
            println!("{out}");
        } else {
            println!(
                "withdrew {} lsPHRS unstaked from SPN {spn} to {me}",
                ether(paid)
            );
            println!("tx         {}", r.transaction_hash);
        }
        return Ok(());
    };

    let held = read("Restaking.stakeOf", restaking.stakeOf(spn, me).call()).await?;
    if held < amount {
        bail!(
            "account {me} has {} lsPHRS restaked in SPN {spn}, less than {}",
            ether(held),
            ether(amount)
        );
    }
    let r = confirm(
        "Restaking.unstake",
        restaking.unstake(spn, amount).send().await,
    )
    .await?;
    let release = event::<Restaking::Unstaked>(&r, sc::RESTAKING)
        .map(|e| e.releaseAt)
        .ok_or_else(|| eyre!("Restaking.unstake logged no Unstaked event"))?;
    let pending = read(
        "Restaking.unstakingOf",
        restaking.unstakingOf(spn, me).call(),
    )
    .await?;
    if g.json {
        let out = json!({
            "spn_id": spn, "operator": me, "amount": amount.to_string(),
            "operator_stake": held.saturating_sub(amount).to_string(), "unstaking": pending.to_string(),
            "release_at": release, "tx_hash": r.transaction_hash,
        });
        println!("{out}");
    } else {
        println!(
            "unstaking {} lsPHRS from SPN {spn}; {} lsPHRS stay restaked",
            ether(amount),
            ether(held.saturating_sub(amount))
        );
        println!("tx         {}", r.transaction_hash);
        println!(
            "withdraw   {} lsPHRS after {}: spn unstake --spn {spn} --withdraw",
            ether(pending),
            when(release)
        );
    }
    Ok(())
}

/// The key to register now: `None` if the account has one already (and `--operator-key`, if
/// given, is that key); `key` if the account has none and nobody else holds `key`.
async fn key_to_register<'k>(
    restaking: &Restaking::RestakingInstance<&DynProvider>,
    me: Address,
    key: Option<&'k SigningKey>,
) -> Result<Option<&'k SigningKey>> {
    let registered = read("Restaking.operatorKey", restaking.operatorKey(me).call()).await?;
    match key {
        None if registered.is_zero() => bail!(
            "account {me} has no operator key yet: pass --operator-key <ed25519 secret key, 32 \
             bytes hex> (e.g. `openssl rand -hex 32`; keep it: the SPN's checkpoints are signed \
             with it)"
        ),
        None => Ok(None),
        Some(k) if !registered.is_zero() => {
            if public_key(k) != registered {
                bail!(
                    "account {me} is registered with operator key {registered}, and \
                     --operator-key is another key ({}); pass the registered key, or use \
                     another account",
                    public_key(k)
                );
            }
            Ok(None)
        }
        Some(k) => {
            let owner = read(
                "Restaking.keyOwner",
                restaking.keyOwner(public_key(k)).call(),
            )
            .await?;
            if owner != Address::ZERO {
                bail!(
                    "operator key {} is already registered by {owner}; each key serves one \
                     account: use another --operator-key",
                    public_key(k)
                );
            }
            Ok(Some(k))
        }
    }
}

/// Parses an ed25519 secret key: 32 bytes as hex (never echoed back: it is a secret).
fn operator_key(text: &str) -> Result<SigningKey> {
    let text = text.trim();
    let bytes = alloy::primitives::hex::decode(text).map_err(|_| {
        eyre!("--operator-key is not hex; give the ed25519 secret key as 64 hex digits")
    })?;
    let bytes: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        eyre!(
            "--operator-key must be an ed25519 secret key of 32 bytes (64 hex digits), not {} \
             bytes",
            bytes.len()
        )
    })?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// The key's public half, as Restaking stores it.
fn public_key(key: &SigningKey) -> B256 {
    B256::from(key.verifying_key().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_keys_are_32_bytes_of_hex_and_never_echoed() {
        let secret = "11".repeat(32);
        assert!(operator_key(&secret).is_ok());
        assert!(operator_key(&format!("0x{secret}")).is_ok());
        let e = operator_key(&"ab".repeat(31)).unwrap_err().to_string();
        assert!(e.contains("32 bytes") && e.contains("not 31"), "{e}");
        assert!(!e.contains("abab"), "{e}");
        let e = operator_key("zz").unwrap_err().to_string();
        assert!(e.contains("not hex"), "{e}");
    }

    #[test]
    fn the_public_key_is_what_restaking_stores() {
        let key = operator_key(&"11".repeat(32)).unwrap();
        assert_eq!(public_key(&key).0, key.verifying_key().to_bytes());
        assert_ne!(public_key(&key), B256::ZERO);
    }
}
