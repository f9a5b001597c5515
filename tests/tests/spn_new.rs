//! `spn new` end to end, for each consensus: the rendered project is rustfmt-clean, builds
//! against this workspace (a path dependency, its Cargo.lock, its build cache) and passes
//! its own tests (Rust and forge); registered on a dev mainnet and restaked for, its
//! validators run its node, and a message sent from another SPN, carried by a relayer, is
//! delivered to the project's example app.

mod common;

use alloy::primitives::{Bytes, B256};
use common::cli::spn_json;
use common::poa::same_block_everywhere;
use common::project::{wait_for, IMessenger, Project};
use common::relay::{relayer_config, start_test_spn, RelayerProcess};
use common::*;
use pharos_mainnet::DEV_ACCOUNTS;
use std::time::{Duration, Instant};

/// The example SPN that sends, and the project's SPN id.
const ORIGIN: u32 = 1001;
const SPN_ID: u32 = 1003;

/// One scenario at a time: each builds a project and runs a mainnet, two SPNs and a relayer.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn new_spn_receives_a_message(consensus: &str, name: &str) {
    let _serial = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mainnet = NodeProcess::start_dev(&d.join("mainnet"), &[]);

    let base_port = free_port().to_string();
    let project = Project::new(
        &common::project::fixed_dir(name),
        name,
        &mainnet.url,
        &[
            "--consensus",
            consensus,
            "--spn-id",
            &SPN_ID.to_string(),
            "--base-port",
            &base_port,
            "--sdk",
            &common::project::workspace().display().to_string(),
        ],
    );
    assert_eq!(project.created["consensus"], consensus);
    // The SDK's exact dependency versions come along.
    assert!(project.dir.join("Cargo.lock").is_file());

    project.cargo(&["fmt", "--check"]);
    project.cargo(&["build", "--release"]);
    project.cargo(&["test", "--release"]);
    project.install_and_test_app();
    eprintln!("{consensus}: built and tested in {:.0?}", started.elapsed());

    // Another SPN (one validator, operated by dev account 8) and a relayer (dev account 7).
    let origin = start_test_spn(d, &mainnet.url, ORIGIN, DEV_ACCOUNTS[8].private_key).await;
    let relayer_toml = d.join("relayer.toml");
    std::fs::write(
        &relayer_toml,
        relayer_config(
            &mainnet.url,
            DEV_ACCOUNTS[7].private_key,
            &d.join("relayer-state.json"),
            &[(ORIGIN, &origin.node.url, &[])],
        ),
    )
    .unwrap();
    let _relayer = RelayerProcess::start(&relayer_toml, &d.join("relayer.log"), &[]);

    // The project's SPN: registered, restaked for by each validator, its nodes running.
    project.register_and_restake(&mainnet.url);
    let validators = project.start_validators(d);
    let url = validators[0].url.clone();
    let messenger = project.deploy_messenger(&url);

    let sent = spn_json(
        &origin.node.url,
        DEV_KEY_0,
        &[
            "send",
            "--destination",
            &SPN_ID.to_string(),
            "--recipient",
            &messenger.to_string(),
            "--body",
            "hello from 1001",
        ],
    );
    let sent_at = Instant::now();
    let app = IMessenger::new(messenger, reader(&url));
    wait_for(
        "the message to reach the project's app",
        Duration::from_secs(120),
        || async { app.received().call().await.is_ok_and(|n| n == 1) },
    )
    .await;
    eprintln!(
        "{consensus}: delivered {:.1?} after dispatch ({:.0?} in all)",
        sent_at.elapsed(),
        started.elapsed()
    );
    assert_eq!(app.lastOrigin().call().await.unwrap(), ORIGIN);
    assert_eq!(
        app.lastSender().call().await.unwrap(),
        B256::left_padding_from(common::address_of(DEV_KEY_0).as_slice())
    );
    assert_eq!(
        app.lastBody().call().await.unwrap(),
        Bytes::from_static(b"hello from 1001")
    );
    assert_eq!(sent["destination"], SPN_ID, "{sent}");

    // Every validator holds the same chain.
    let urls: Vec<&str> = validators.iter().map(|v| v.url.as_str()).collect();
    let head = common::poa::head(&url).await;
    same_block_everywhere(&urls, head).await;

    if consensus == "bft" {
        // Each validator serves the head's finality certificate, signed by the registered
        // operators' keys, as a light client or another chain's node would check it.
        let keys: Vec<B256> = project.created["validators"]
            .as_array()
            .expect("validators")
            .iter()
            .map(|v| v["public_key"].as_str().unwrap().parse().unwrap())
            .collect();
        for url in &urls {
            common::bft::assert_block_certified(url, head, &keys).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_solo_spn_builds_tests_registers_and_receives_a_message() {
    new_spn_receives_a_message("solo", "demo-solo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_poa_spn_builds_tests_registers_and_receives_a_message() {
    new_spn_receives_a_message("poa", "demo-poa").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_bft_spn_builds_tests_registers_and_receives_a_message() {
    new_spn_receives_a_message("bft", "demo-bft").await;
}

#[test]
fn spn_new_refuses_bad_names_and_existing_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    let pow = common::cli::spn_fails("", None, &["new", "x", "--consensus", "pow", "--dir", &d]);
    assert!(pow.contains("solo, poa, bft"), "{pow}");
    let bad = common::cli::spn_fails("", None, &["new", "My DEX", "--dir", &d]);
    assert!(bad.contains("lowercase"), "{bad}");
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    let taken = common::cli::spn_fails("", None, &["new", "taken", "--dir", &d]);
    assert!(taken.contains("already exists"), "{taken}");
    assert_eq!(
        std::fs::read_dir(dir.path().join("taken")).unwrap().count(),
        0,
        "nothing written into it"
    );
}
