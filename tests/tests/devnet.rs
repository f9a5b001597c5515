//! `spn devnet` end to end: the README's run command (`./scripts/devnet.sh`) reaches ready,
//! every endpoint answers `eth_chainId`, the relayer carries a message between the example
//! SPNs; SIGINT stops everything with exit 0; a second start on the same data directory
//! resumes the same chains (the same block hashes at earlier heights, heights not reset,
//! contract state kept), and SIGTERM stops it too. With `--validators 4` the mainnet is four
//! `bft` validator processes that agree on every block.

mod common;

use alloy::primitives::{Bytes, U256};
use alloy::providers::Provider;
use common::cli::spn_json;
use common::devnet::{Devnet, Launcher};
use common::poa::{block_hash, head};
use common::*;
use spn_e2e_tests::apps::IRecordingRecipient;
use std::time::Duration;

/// Every endpoint answers `eth_chainId` with its chain's id.
async fn check_chain_ids(devnet: &Devnet) {
    assert_eq!(
        reader(&devnet.mainnet()).get_chain_id().await.unwrap(),
        DEV_CHAIN_ID
    );
    for id in [1001u32, 1002] {
        assert_eq!(
            reader(&devnet.spn(id)).get_chain_id().await.unwrap(),
            u64::from(id)
        );
    }
}

/// `spn send` from SPN 1001 to a new `RecordingRecipient` on SPN 1002, waiting until it
/// handled the message; prints how long that took (docs/performance.md). Returns it.
async fn send_to_spn_1002(
    devnet: &Devnet,
    body: &str,
    mainnet: &str,
) -> IRecordingRecipient::IRecordingRecipientInstance<alloy::providers::DynProvider> {
    let on_b = provider(&devnet.spn(1002), DEV_KEY_0);
    let recipient = IRecordingRecipient::new(deploy(&on_b, "RecordingRecipient").await, on_b);
    let sent = std::time::Instant::now();
    let to = recipient.address().to_string();
    let args = [
        "send",
        "--destination",
        "1002",
        "--recipient",
        &to,
        "--body",
        body,
    ];
    spn_json(&devnet.spn(1001), DEV_KEY_0, &args);
    eventually(
        &format!("the message to reach SPN 1002 through a {mainnet}"),
        Duration::from_secs(120),
        || async { (recipient.handled().call().await.ok()? == U256::from(1)).then_some(()) },
    )
    .await;
    eprintln!(
        "SPN 1001 -> {mainnet} -> SPN 1002: delivered {:.2?} after spn send",
        sent.elapsed()
    );
    recipient
}

/// (url, height, hash) of each chain's head.
async fn heads(devnet: &Devnet) -> Vec<(String, u64, alloy::primitives::B256)> {
    let mut out = Vec::new();
    for url in [devnet.mainnet(), devnet.spn(1001), devnet.spn(1002)] {
        let h = head(&url).await;
        let hash = block_hash(&url, h).await.expect("head block");
        out.push((url, h, hash));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_starts_relays_stops_on_signals_and_resumes_its_chains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = dir.path().join("devnet");

    // The README's command, from a checkout.
    let devnet = Devnet::start(Launcher::Script, &datadir);
    assert_eq!(devnet.ready["resumed"], false, "{}", devnet.ready);
    check_chain_ids(&devnet).await;
    assert_eq!(devnet.ready["accounts"].as_array().unwrap().len(), 10);
    // Dev accounts are funded on every chain.
    for url in [devnet.mainnet(), devnet.spn(1001), devnet.spn(1002)] {
        let balance = reader(&url)
            .get_balance(address_of(DEV_KEY_1))
            .await
            .unwrap();
        assert!(balance > U256::from(1000u64) * U256::from(10u64).pow(U256::from(18)));
    }

    // The relayer carries a message from SPN 1001 to a contract on SPN 1002.
    let recipient = send_to_spn_1002(&devnet, "through the devnet", "dev mainnet").await;
    let before = heads(&devnet).await;

    // Ctrl-C: everything stops, exit 0, no endpoint left.
    let mainnet = devnet.mainnet();
    let status = devnet.stop("INT");
    assert!(status.success(), "exit status after SIGINT: {status}");
    assert!(
        reader(&mainnet).get_chain_id().await.is_err(),
        "the mainnet still answers after the devnet stopped"
    );

    // The same data directory again: the same chains, resumed.
    let devnet = Devnet::start(Launcher::Binary, &datadir);
    assert_eq!(devnet.ready["resumed"], true, "{}", devnet.ready);
    check_chain_ids(&devnet).await;
    let urls = [devnet.mainnet(), devnet.spn(1001), devnet.spn(1002)];
    for ((_, height, hash), url) in before.iter().zip(&urls) {
        assert_eq!(
            block_hash(url, *height).await,
            Some(*hash),
            "block {height} on {url} is the one before the restart"
        );
        assert!(head(url).await >= *height, "{url}'s height went back");
    }
    let recipient = IRecordingRecipient::new(*recipient.address(), reader(&devnet.spn(1002)));
    assert_eq!(recipient.handled().call().await.unwrap(), U256::from(1));
    assert_eq!(
        recipient.lastBody().call().await.unwrap(),
        Bytes::from_static(b"through the devnet")
    );
    let log = devnet.log();
    let status = devnet.stop("TERM");
    assert!(
        status.success(),
        "exit status after SIGTERM: {status}\n{log}"
    );
}

#[test]
fn devnet_warp_still_moves_a_dev_mainnets_clock_and_refuses_bad_durations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mainnet = NodeProcess::start_dev(&dir.path().join("mainnet"), &[]);
    let warped = spn_json(&mainnet.url, DEV_KEY_0, &["devnet", "warp", "90s"]);
    assert_eq!(warped["warped"], 90, "{warped}");
    let e = common::cli::spn_fails(&mainnet.url, None, &["devnet", "warp", "5y"]);
    assert!(e.contains("unknown unit"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_with_four_validators_runs_the_mainnet_on_bft() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = dir.path().join("devnet");
    let devnet = Devnet::start_with(Launcher::Binary, &datadir, &["--validators", "4"]);
    check_chain_ids(&devnet).await;
    assert!(datadir.join("mainnet/genesis.toml").exists());
    let mainnet = devnet.mainnet();
    let target = head(&mainnet).await + 3;
    let started = std::time::Instant::now();
    while head(&mainnet).await < target {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{}",
            devnet.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Four validator processes, one chain.
    let expected = block_hash(&mainnet, target - 1).await.expect("block");
    for i in 0..4 {
        let addr = std::fs::read_to_string(datadir.join(format!("run/mainnet-{i}.addr")))
            .expect("validator address");
        let url = format!("http://{}", addr.trim());
        let started = std::time::Instant::now();
        while head(&url).await < target - 1 {
            assert!(started.elapsed() < Duration::from_secs(60), "validator {i}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(
            block_hash(&url, target - 1).await,
            Some(expected),
            "validator {i}"
        );
    }

    // The SPNs follow this mainnet as light clients: a message from SPN 1001 reaches SPN 1002
    // only through certified mainnet blocks and Mailbox storage proofs.
    send_to_spn_1002(&devnet, "proven on the way", "bft mainnet, proven").await;
    assert!(named_mainnet_block(&devnet.spn(1002)).await > 0);
    let spn_log = std::fs::read_to_string(datadir.join("logs/spn-1002.log")).expect("SPN log");
    assert!(
        spn_log.contains("following the mainnet as a light client"),
        "{spn_log}"
    );
    assert!(!spn_log.contains("refused"), "{spn_log}");

    // An SPN node given another network's spec (same chain id, other validators) refuses
    // every certificate this mainnet serves, and derives from nothing past genesis.
    let stranger = common::bft::testnet(
        &dir.path().join("stranger"),
        &[
            "--validators",
            "4",
            "--chain-id",
            &DEV_CHAIN_ID.to_string(),
            "--base-port",
            "1",
            "--dev-params",
        ],
    );
    let genesis = datadir.join("mainnet/genesis.toml");
    let refused = fooled_spn(
        dir.path(),
        "stranger-spec",
        &stranger.genesis,
        &mainnet,
        "does not verify against the validator set",
    )
    .await;
    eprintln!("a stranger spec: {refused}");
    // The right spec, but a mainnet RPC that swaps the queued message for another: the
    // message does not hash to the id proven at its index, so it is never delivered.
    let lying = common::lying_rpc::LyingRpc::start(
        &mainnet,
        &alloy::hex::encode("proven on the way"),
        &alloy::hex::encode("forged on the way"),
    )
    .await;
    let refused = fooled_spn(dir.path(), "lying-rpc", &genesis, &lying.url, "hashes to").await;
    eprintln!("a lying mainnet RPC: {refused}");
    assert!(devnet.stop("INT").success());
}

/// Starts a node of SPN 1002 (from the devnet's config, without its key) that follows the
/// mainnet through `rpc` trusting `spec`; waits for it to refuse what it is served, with
/// `reason` in the refusal, and checks it derives from nothing past genesis. Returns the line.
async fn fooled_spn(
    dir: &std::path::Path,
    name: &str,
    spec: &std::path::Path,
    rpc: &str,
    reason: &str,
) -> String {
    let config = std::fs::read_to_string(dir.join("devnet/spn-1002/spn.toml")).expect("spn.toml");
    let config: String = config
        .lines()
        .filter(|l| {
            !["mainnet_chain =", "signing_key =", "mainnet_rpc ="]
                .iter()
                .any(|field| l.starts_with(field))
        })
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replacen(
            "block_time_ms",
            &format!(
                "mainnet_chain = {:?}\nmainnet_rpc = {rpc:?}\nblock_time_ms",
                spec.display().to_string()
            ),
            1,
        );
    let config_file = dir.join(format!("{name}.toml"));
    std::fs::write(&config_file, config).expect("write config");
    let fooled = NodeProcess::start_spn(
        &dir.join(name),
        &[
            "--config",
            &config_file.display().to_string(),
            "--http.port",
            "0",
        ],
    );
    let line = eventually(
        "the SPN node to refuse what the mainnet RPC serves",
        Duration::from_secs(60),
        || async {
            let log = common::strip_ansi(&fooled.log());
            log.lines()
                .find(|l| l.contains("refused what the mainnet node served"))
                .map(str::to_string)
        },
    )
    .await;
    assert!(line.contains(reason), "{line}");
    assert_eq!(
        named_mainnet_block(&fooled.url).await,
        0,
        "{}",
        fooled.log()
    );
    fooled.kill9();
    line
}

/// The mainnet block the head of the SPN at `url` derives from (its extra data).
async fn named_mainnet_block(url: &str) -> u64 {
    let block = reader(url)
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("eth_getBlockByNumber")
        .expect("a head block");
    let extra = &block.header.extra_data;
    if extra.is_empty() {
        return 0; // the genesis block
    }
    spn_chain::Derivation::decode(extra)
        .expect("an SPN block's derivation")
        .mainnet_block
}
