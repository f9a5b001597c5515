//! `spn devnet [start]`: start (or resume) the mainnet, register and restake the example
//! SPNs if the mainnet does not have them yet, start their nodes and a relayer, print the
//! endpoints, and run until Ctrl-C or SIGTERM, which stop everything and exit 0.

use super::layout::{
    relayer_config, ExampleSpn, Layout, EXAMPLE_SPNS, OWNER, RELAYER, RESTAKE_ETHER,
};
use super::supervisor::Supervisor;
use super::StartArgs;
use crate::revert::{status_name, ACTIVE, REGISTERED};
use crate::rpc::{call, quantity};
use eyre::{bail, eyre, Result, WrapErr};
use pharos_contracts::{self as sc, registry::Registry};
use pharos_mainnet::{DEV_ACCOUNTS, DEV_CHAIN_ID};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The running devnet's endpoints.
struct Ready {
    mainnet: String,
    spns: Vec<(ExampleSpn, String)>,
    relayer_config: PathBuf,
}

/// Starts the devnet and runs it until a signal (exit 0) or a process dies (an error).
pub async fn run(args: StartArgs, json: bool) -> Result<()> {
    let layout = Layout {
        dir: args.datadir.clone(),
    };
    let resumed = layout.mainnet().exists();
    layout.create().wrap_err_with(|| {
        format!(
            "cannot create the devnet's folders in {}",
            layout.dir.display()
        )
    })?;
    // ready.json appears once this devnet is ready, never left from an earlier run.
    let _ = std::fs::remove_file(layout.ready_file());
    let node_binary = pharos_node()?;
    let mut processes = Supervisor::default();
    let mut shutdown = std::pin::pin!(spn_node::shutdown_signal());
    eprintln!(
        "{} the devnet in {} ...",
        if resumed { "resuming" } else { "creating" },
        layout.dir.display()
    );
    let started = tokio::select! {
        started = start_all(&mut processes, &layout, &args, &node_binary) => Some(started),
        () = &mut shutdown => None,
    };
    let ready = match started {
        Some(Ok(ready)) => ready,
        Some(Err(e)) => {
            processes.stop_all().await;
            return Err(e);
        }
        None => {
            eprintln!("interrupted while starting");
            processes.stop_all().await;
            return Ok(());
        }
    };
    let summary = summary(&ready, &layout, resumed);
    std::fs::write(layout.ready_file(), format!("{summary:#}\n"))
        .wrap_err("cannot write ready.json")?;
    if json {
        println!("{summary}");
    } else {
        print_ready(&ready, &layout, resumed);
    }

    let failure = tokio::select! {
        () = &mut shutdown => None,
        why = processes.first_exit() => Some(why),
    };
    eprintln!("stopping the devnet ...");
    processes.stop_all().await;
    let _ = std::fs::remove_file(layout.ready_file());
    match failure {
        None => {
            eprintln!(
                "devnet stopped; its chains are kept in {}: `spn devnet --datadir {}` resumes them",
                layout.dir.display(),
                layout.dir.display()
            );
            Ok(())
        }
        Some(why) => {
            bail!("{why}\nthe devnet stopped; fix the cause, then run `spn devnet` again to resume")
        }
    }
}

/// `pharos-node` next to this `spn`, else on the PATH.
fn pharos_node() -> Result<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("pharos-node")))
        .filter(|p| p.is_file());
    let on_path = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("pharos-node"))
                .find(|p| p.is_file())
        })
    };
    beside.or_else(on_path).ok_or_else(|| {
        eyre!(
            "pharos-node is neither next to this spn nor on the PATH: build both with `cargo \
             build --release --bins` in the Pharos SPN checkout (./scripts/devnet.sh does it)"
        )
    })
}

fn port_arg(base: u16, offset: u16) -> String {
    if base == 0 {
        "0".into()
    } else {
        base.saturating_add(offset).to_string()
    }
}

async fn start_all(
    processes: &mut Supervisor,
    layout: &Layout,
    args: &StartArgs,
    node_binary: &Path,
) -> Result<Ready> {
    let spn_binary = std::env::current_exe().wrap_err("cannot find this spn binary")?;
    let addr_file = |name: &str| layout.run().join(format!("{name}.addr"));
    let log = |name: &str| layout.logs().join(format!("{name}.log"));

    let mainnet = if args.validators > 1 {
        start_validators(processes, layout, args, node_binary).await?
    } else {
        if layout.mainnet().join(GENESIS).exists() {
            bail!(
                "{} holds a validator network: pass --validators with its size, or use another \
                 --datadir for a one-node devnet",
                layout.dir.display()
            );
        }
        eprintln!("starting the mainnet (pharos-node --dev) ...");
        let file = addr_file("mainnet");
        let _ = std::fs::remove_file(&file);
        processes.spawn(
            "the mainnet",
            node_binary,
            &strings(&[
                "run",
                "--dev",
                "--datadir",
                &layout.mainnet().display().to_string(),
                "--http.port",
                &port_arg(args.port, 0),
                "--http.addr-file",
                &file.display().to_string(),
            ]),
            &log("mainnet"),
        )?;
        format!("http://{}", processes.wait_for_address(&file).await?)
    };
    let chain_id = quantity(&call(&mainnet, "eth_chainId", json!([])).await?)?;
    if chain_id != DEV_CHAIN_ID {
        bail!("the mainnet at {mainnet} serves chain {chain_id}, not the dev chain {DEV_CHAIN_ID}");
    }

    // On a validator mainnet the SPNs trust its nodes for nothing: they check certificates.
    let mainnet_spec = if args.validators > 1 {
        Some(
            std::path::absolute(layout.mainnet().join(GENESIS))
                .wrap_err("cannot resolve the mainnet's genesis path")?,
        )
    } else {
        None
    };
    let mut spns = Vec::new();
    for (i, spn) in EXAMPLE_SPNS.iter().enumerate() {
        let dir = layout.spn(spn.id);
        let config = dir.join("spn.toml");
        std::fs::write(&config, spn.config(&mainnet, mainnet_spec.as_deref()))
            .wrap_err_with(|| format!("cannot write {}", config.display()))?;
        register_and_restake(&spn_binary, &mainnet, spn, &config).await?;
        eprintln!("starting SPN {} ...", spn.id);
        let name = format!("spn-{}", spn.id);
        let file = addr_file(&name);
        let _ = std::fs::remove_file(&file);
        processes.spawn(
            &format!("SPN {}", spn.id),
            &spn_binary,
            &strings(&[
                "node",
                "run",
                "--config",
                &config.display().to_string(),
                "--datadir",
                &dir.join("data").display().to_string(),
                "--http.port",
                &port_arg(args.spn_port, i as u16),
                "--http.addr-file",
                &file.display().to_string(),
            ]),
            &log(&name),
        )?;
        let url = format!("http://{}", processes.wait_for_address(&file).await?);
        spns.push((*spn, url));
    }

    eprintln!("starting the relayer ...");
    let relayer_toml = layout.relayer().join("relayer.toml");
    let endpoints: Vec<(u32, String)> = spns.iter().map(|(s, url)| (s.id, url.clone())).collect();
    std::fs::write(
        &relayer_toml,
        relayer_config(&mainnet, &layout.relayer().join("state.json"), &endpoints),
    )
    .wrap_err_with(|| format!("cannot write {}", relayer_toml.display()))?;
    processes.spawn(
        "the relayer",
        &spn_binary,
        &strings(&[
            "relayer",
            "run",
            "--config",
            &relayer_toml.display().to_string(),
        ]),
        &log("relayer"),
    )?;
    processes.wait_for_log("relaying as").await?;
    Ok(Ready {
        mainnet,
        spns,
        relayer_config: relayer_toml,
    })
}

/// The genesis `pharos-node testnet` writes into the mainnet folder of a validator devnet.
const GENESIS: &str = "genesis.toml";

/// Starts (creating it on the first run) a mainnet of `args.validators` `bft` validators on
/// the dev chain id, with the dev accounts funded; returns validator 0's JSON-RPC URL.
async fn start_validators(
    processes: &mut Supervisor,
    layout: &Layout,
    args: &StartArgs,
    node_binary: &Path,
) -> Result<String> {
    let dir = layout.mainnet();
    let n = usize::from(args.validators);
    if !dir.join(GENESIS).exists() {
        if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
            bail!(
                "{} holds a one-node dev mainnet: run without --validators, or use another \
                 --datadir for a validator network",
                layout.dir.display()
            );
        }
        let base = if args.port == 0 {
            free_port_block(n)?
        } else {
            args.port
        };
        eprintln!("writing a {n}-validator mainnet (pharos-node testnet) ...");
        let out = std::process::Command::new(node_binary)
            .args(["testnet", "--validators", &n.to_string(), "--out"])
            .arg(&dir)
            .args(["--chain-id", &DEV_CHAIN_ID.to_string()])
            .args(["--base-port", &base.to_string(), "--dev-params"])
            .output()
            .wrap_err("cannot run pharos-node testnet")?;
        if !out.status.success() {
            bail!(
                "pharos-node testnet failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    let mut first = None;
    for i in 0..n {
        let config = dir.join(format!("validator-{i}")).join("config.toml");
        if !config.exists() {
            bail!(
                "{} is missing: this devnet has fewer than {n} validators; pass the --validators \
                 it was created with",
                config.display()
            );
        }
        eprintln!("starting mainnet validator {i} (pharos-node, bft) ...");
        let name = format!("mainnet-{i}");
        let file = layout.run().join(format!("{name}.addr"));
        let _ = std::fs::remove_file(&file);
        processes.spawn(
            &format!("mainnet validator {i}"),
            node_binary,
            &strings(&[
                "run",
                "--config",
                &config.display().to_string(),
                "--http.addr-file",
                &file.display().to_string(),
            ]),
            &layout.logs().join(format!("{name}.log")),
        )?;
        // One at a time, so a validator that cannot start is the one named.
        let url = format!("http://{}", processes.wait_for_address(&file).await?);
        first.get_or_insert(url);
    }
    first.ok_or_else(|| eyre!("no validator started"))
}

/// A first port for `n` validators when the user asked for any (`--port 0`): every port a
/// validator binds (JSON-RPC at base + i, its network at base + 100 + i) free now, chosen
/// below the kernel's range for outgoing connections so none of them takes one meanwhile.
fn free_port_block(n: usize) -> Result<u16> {
    let seed = std::process::id() as usize;
    for attempt in 0..200usize {
        let base = 20_000 + ((seed + attempt * 997) % 9_000) as u16;
        let free = (0..n as u16)
            .flat_map(|i| [base + i, base + 100 + i])
            .map(|p| std::net::TcpListener::bind(("127.0.0.1", p)))
            .collect::<std::io::Result<Vec<_>>>()
            .is_ok();
        if free {
            return Ok(base);
        }
    }
    bail!("no {n} free ports with room 100 above them in 20000-29100: pass --port")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Registers `spn` (dev account 0) and restakes for it (its operator's dev account) with the
/// `spn register` and `spn restake` commands, unless the mainnet already has it active.
async fn register_and_restake(
    spn_binary: &Path,
    mainnet: &str,
    spn: &ExampleSpn,
    config: &Path,
) -> Result<()> {
    let provider = alloy::providers::ProviderBuilder::new()
        .connect_http(mainnet.parse().map_err(|e| eyre!("{mainnet}: {e}"))?);
    let registry = Registry::new(sc::REGISTRY, &provider);
    let status = || async {
        registry
            .status(spn.id)
            .call()
            .await
            .map_err(|e| eyre!("Registry.status({}) on {mainnet}: {e}", spn.id))
    };
    if status().await? == 0 {
        eprintln!("registering SPN {} (owner {}) ...", spn.id, OWNER.address);
        let config = config.display().to_string();
        spn_command(
            spn_binary,
            mainnet,
            OWNER.private_key,
            &["register", "--config", &config],
        )
        .await?;
    }
    match status().await? {
        REGISTERED => {
            eprintln!(
                "restaking {RESTAKE_ETHER} ether to SPN {} (operator {}) ...",
                spn.id, spn.operator.address
            );
            let key = spn.signing_key();
            let id = spn.id.to_string();
            let amount = RESTAKE_ETHER.to_string();
            let args = [
                "restake",
                "--spn",
                &id,
                "--amount",
                &amount,
                "--operator-key",
                &key,
            ];
            spn_command(spn_binary, mainnet, spn.operator.private_key, &args).await?;
        }
        ACTIVE => {}
        other => bail!(
            "SPN {} is {} on this devnet's mainnet (an escape-hatch rehearsal?): it cannot run \
             again; start a fresh devnet with another --datadir",
            spn.id,
            status_name(other)
        ),
    }
    if status().await? != ACTIVE {
        bail!(
            "SPN {} did not become active; see `spn status --spn {} --rpc {mainnet}`",
            spn.id,
            spn.id
        );
    }
    Ok(())
}

/// `spn ARGS --rpc MAINNET --json` as the account `key`; its stderr becomes the error.
async fn spn_command(spn_binary: &Path, mainnet: &str, key: &str, args: &[&str]) -> Result<Value> {
    let out = tokio::process::Command::new(spn_binary)
        .args(args)
        .args(["--rpc", mainnet, "--json"])
        .env("SPN_PRIVATE_KEY", key)
        .env_remove("SPN_RPC")
        .output()
        .await
        .wrap_err("cannot run spn")?;
    if !out.status.success() {
        bail!(
            "`spn {}` failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).wrap_err("spn printed no JSON")
}

fn summary(ready: &Ready, layout: &Layout, resumed: bool) -> Value {
    json!({
        "status": "ready",
        "resumed": resumed,
        "datadir": layout.dir,
        "mainnet": { "rpc": ready.mainnet, "chain_id": DEV_CHAIN_ID },
        "spns": ready.spns.iter().map(|(spn, url)| json!({
            "spn_id": spn.id,
            "rpc": url,
            "chain_id": spn.id,
            "consensus": "solo",
            "operator": spn.operator.address,
        })).collect::<Vec<_>>(),
        "relayer": {
            "account": RELAYER.address,
            "config": ready.relayer_config,
        },
        "accounts": DEV_ACCOUNTS.iter().map(|a| json!({
            "address": a.address,
            "private_key": a.private_key,
        })).collect::<Vec<_>>(),
        "logs": layout.logs(),
    })
}

fn print_ready(ready: &Ready, layout: &Layout, resumed: bool) {
    let (first_id, first_url) = (ready.spns[0].0.id, &ready.spns[0].1);
    let second_id = ready.spns.get(1).map_or(first_id, |(s, _)| s.id);
    println!(
        "ready      devnet in {}{}",
        layout.dir.display(),
        if resumed { " (resumed)" } else { "" }
    );
    println!("mainnet    {}  chain {DEV_CHAIN_ID}", ready.mainnet);
    for (spn, url) in &ready.spns {
        println!(
            "spn {}   {url}  chain {}, solo, operator {}",
            spn.id, spn.id, spn.operator.address
        );
    }
    println!(
        "relayer    pays from {} ({})",
        RELAYER.address,
        ready.relayer_config.display()
    );
    println!(
        "accounts   10 dev accounts, 10 000 ether each on every chain (`pharos-node keys dev`); \
         account 0: {} key {}",
        DEV_ACCOUNTS[0].address, DEV_ACCOUNTS[0].private_key
    );
    println!("logs       {}", layout.logs().display());
    println!(
        "next       spn send --rpc {first_url} --destination {second_id} --recipient 0x<contract> --body hello"
    );
    println!("           spn new my-spn   (then its README adds it to this devnet)");
    println!(
        "           spn devnet warp 1h --rpc {}   (moves the mainnet's clock)",
        ready.mainnet
    );
    println!(
        "stop       Ctrl-C; the chains stay in {} and the next `spn devnet` resumes them",
        layout.dir.display()
    );
}
