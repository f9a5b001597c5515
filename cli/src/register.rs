//! `spn register`: register an SPN on the mainnet (`Management.register`) from its config.

use crate::amount::ether;
use crate::dev_restake::{check_dev_chain, dev_restake, dev_validators};
use crate::wallet::{confirm, Wallet};
use crate::Globals;
use clap::Args;
use eyre::{bail, Result};
use pharos_contracts::{self as sc, management::Management, management::Registry as Sol};
use serde_json::json;
use std::path::PathBuf;

/// `spn register` options.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The SPN's config file: spn_id, name, checkpoint_interval, mainnet_rpc and the
    /// optional [register] section (consensus, quorum_bps, force_delay_s, epoch_length_s,
    /// min_stake, slash_bps, slash_to). The mainnet is `mainnet_rpc` unless --rpc or SPN_RPC is given.
    #[arg(long, default_value = "spn.toml")]
    pub config: PathBuf,
    /// Dev mainnet only: then restake for every validator in the `validators/` folder beside
    /// the config (the files `spn new` writes), each from the dev account `spn new` made its
    /// operator (dev account n for validator-n.toml), so the SPN is active when this returns.
    #[arg(long)]
    pub dev_restake: bool,
}

/// Registers the SPN the config describes, owned by the `--private-key` account.
pub async fn run(args: RegisterArgs, g: &Globals) -> Result<()> {
    let config = crate::node::load_config(&args.config)?;
    let register = config.register.clone().unwrap_or_default();
    let url = if g.rpc_given {
        g.rpc.as_str()
    } else {
        config.mainnet_rpc.as_str()
    };
    let wallet = Wallet::connect(url, &g.key).await?;
    // Read before anything is sent: a bad folder must not leave the SPN half set up.
    let validators = match args.dev_restake {
        true => {
            check_dev_chain(wallet.chain.chain_id)?;
            Some(dev_validators(&args.config)?)
        }
        false => None,
    };
    if wallet.chain.chain_id != config.mainnet_chain_id {
        bail!(
            "{url} serves chain {}, but {} says the mainnet is chain {}: point mainnet_rpc (or \
             --rpc) at the mainnet, or fix mainnet_chain_id",
            wallet.chain.chain_id,
            args.config.display(),
            config.mainnet_chain_id
        );
    }

    let params = Sol::Params {
        checkpointInterval: config.checkpoint_interval,
        quorumBps: register.quorum_bps,
        forceDelay: register.force_delay_s,
        epochLength: register.epoch_length_s,
        minStake: register.min_stake,
        slashBps: register.slash_bps,
        slashTo: register.slash_to.unwrap_or_default(),
    };
    let management = Management::new(sc::MANAGEMENT, wallet.provider());
    let call = management.register(
        config.spn_id,
        config.name.clone(),
        register.consensus.kind(),
        params,
    );
    let receipt = confirm("Management.register", call.send().await).await?;
    let restaked = match &validators {
        Some(v) => {
            let chain = wallet.chain.chain_id;
            dev_restake(url, chain, config.spn_id, register.min_stake, v).await?
        }
        None => Vec::new(),
    };
    let status = match restaked.last() {
        Some(r) => r.json["status"]
            .as_str()
            .unwrap_or("Registered")
            .to_string(),
        None => "Registered".to_string(),
    };

    let consensus = register.consensus.name();
    if g.json {
        let out = json!({
            "spn_id": config.spn_id,
            "name": config.name,
            "owner": wallet.address,
            "consensus": consensus,
            "status": status,
            "params": {
                "checkpoint_interval": config.checkpoint_interval,
                "quorum_bps": register.quorum_bps,
                "force_delay_s": register.force_delay_s,
                "epoch_length_s": register.epoch_length_s,
                "min_stake": register.min_stake.to_string(),
                "slash_bps": register.slash_bps,
                "slash_to": register.slash_to,
            },
            "tx_hash": receipt.transaction_hash,
            "block": receipt.block_number,
            "restaked": restaked.iter().map(|r| r.json.clone()).collect::<Vec<_>>(),
        });
        println!("{out}");
    } else {
        println!(
            "registered SPN {} ({}, {consensus}) owned by {}",
            config.spn_id, config.name, wallet.address
        );
        println!("tx         {}", receipt.transaction_hash);
        for r in &restaked {
            print!("{}", r.text);
        }
        if restaked.is_empty() {
            println!(
                "next       operators restake {} lsPHRS in all to activate it: spn restake \
                 --spn {} --amount 5 --operator-key <ed25519 secret>",
                ether(register.min_stake),
                config.spn_id
            );
        } else {
            println!("next       run its validators (README.md); the SPN is {status}",);
        }
    }
    Ok(())
}
