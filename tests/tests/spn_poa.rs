//! A `poa` SPN of three validator processes next to a `solo` SPN, both registered and
//! restaked through the CLI: blocks are final with all three votes and identical on every
//! validator; mainnet deposits are derived into the same block everywhere; a contract on the
//! poa SPN messages a contract on the solo SPN through the mainnet, handled exactly once; a
//! SIGKILLed validator halts the chain without a fork (3 of 3 are needed), then catches up by
//! sync after a restart and the chain goes on.

mod common;

use alloy::primitives::{Bytes, B256, U256};
use common::cli::spn_json;
use common::mainnet::*;
use common::poa::*;
use common::relay::*;
use common::*;
use pharos_contracts::{self as sc, registry::Registry, spn_bridge::SpnBridge};
use spn_e2e_tests::apps::{IDispatcher, IRecordingRecipient};
use std::path::PathBuf;
use std::time::Duration;

const SPN_POA: u32 = 1101;
const SPN_SOLO: u32 = 1102;
/// Anvil/hardhat dev account 5, the relayer's mainnet account.
const DEV_KEY_5: &str = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poa_spn_of_three_validators_finalizes_derives_and_messages_a_solo_spn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mainnet = NodeProcess::start_dev(&d.join("mainnet"), &[]);
    let m = mainnet.url.as_str();

    // Register both SPNs and restake their operators through the CLI.
    let vs = [
        validator("poa-v1"),
        validator("poa-v2"),
        validator("poa-v3"),
    ];
    let configs: Vec<PathBuf> = (0..3)
        .map(|i| {
            let peers: Vec<&Validator> = (0..3).filter(|j| *j != i).map(|j| &vs[j]).collect();
            write_config(d, m, SPN_POA, &vs[i], &peers, "poa")
        })
        .collect();
    let solo = validator("solo-v1");
    let solo_config = write_config(d, m, SPN_SOLO, &solo, &[], "solo");
    for config in [&configs[0], &solo_config] {
        let out = spn_json(
            "",
            DEV_KEY_0,
            &["register", "--config", &config.display().to_string()],
        );
        assert!(out["spn_id"].is_number(), "{out}");
    }
    for (v, account) in vs.iter().zip([DEV_KEY_1, DEV_KEY_2, DEV_KEY_3]) {
        restake(m, account, SPN_POA, v, "1");
    }
    restake(m, DEV_KEY_4, SPN_SOLO, &solo, "3");
    let registry = Registry::new(sc::REGISTRY, reader(m));
    let set = registry.epochSet(SPN_POA, 1).call().await.expect("epoch 1");
    assert_eq!(set.keys.len(), 3, "all three validators in the first epoch");

    // Three validator processes (fixed RPC ports: one restarts) and the solo SPN.
    let http_ports: Vec<String> = (0..3).map(|_| free_port().to_string()).collect();
    let start = |i: usize| {
        NodeProcess::start_spn(
            &d.join(format!("poa-{i}")),
            &[
                "--config",
                &configs[i].display().to_string(),
                "--http.port",
                &http_ports[i],
            ],
        )
    };
    let mut nodes: Vec<Option<NodeProcess>> = (0..3).map(|i| Some(start(i))).collect();
    let urls: Vec<String> = nodes
        .iter()
        .map(|n| n.as_ref().unwrap().url.clone())
        .collect();
    let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let solo_node = NodeProcess::start_spn(
        &d.join("solo"),
        &[
            "--config",
            &solo_config.display().to_string(),
            "--http.port",
            "0",
        ],
    );
    same_block_everywhere(&url_refs, 5).await;

    // A deposit on the mainnet is derived into the same block on every validator.
    let depositor = address_of(DEV_KEY_0);
    let out = spn_json(
        m,
        DEV_KEY_0,
        &["deposit", "--spn", &SPN_POA.to_string(), "--amount", "2"],
    );
    assert_eq!(out["amount"], ether(2).to_string());
    let bridge = |url: &str| SpnBridge::new(sc::SPN_BRIDGE, reader(url));
    let credited_at = eventually(
        "the deposit to be credited on validator 1",
        Duration::from_secs(60),
        || async {
            let balance = bridge(url_refs[0])
                .balanceOf(sc::NATIVE_TOKEN, depositor)
                .call()
                .await
                .ok()?;
            (balance == ether(2)).then_some(head(url_refs[0]).await)
        },
    )
    .await;
    same_block_everywhere(&url_refs, credited_at).await;
    for url in &url_refs {
        let at = bridge(url)
            .balanceOf(sc::NATIVE_TOKEN, depositor)
            .block(credited_at.into())
            .call()
            .await
            .expect("balance");
        assert_eq!(at, ether(2), "credited by block {credited_at} on {url}");
    }

    // A contract on the poa SPN (deployed through validator 2) messages a contract on the
    // solo SPN; the relayer collects checkpoint signatures from all three validators.
    let on_poa = provider(url_refs[1], DEV_KEY_0);
    let on_solo = provider(&solo_node.url, DEV_KEY_0);
    let dispatcher = IDispatcher::new(deploy(&on_poa, "Dispatcher").await, &on_poa);
    let recipient =
        IRecordingRecipient::new(deploy(&on_solo, "RecordingRecipient").await, &on_solo);
    let relayer_toml = d.join("relayer.toml");
    std::fs::write(
        &relayer_toml,
        relayer_config(
            m,
            DEV_KEY_5,
            &d.join("relayer-state.json"),
            &[
                (SPN_POA, url_refs[0], url_refs.as_slice()),
                (SPN_SOLO, solo_node.url.as_str(), &[]),
            ],
        ),
    )
    .unwrap();
    let _relayer = RelayerProcess::start(&relayer_toml, &d.join("relayer.log"), &[]);
    confirm(
        "send",
        dispatcher
            .send(
                SPN_SOLO,
                *recipient.address(),
                Bytes::from_static(b"from poa"),
            )
            .send()
            .await,
    )
    .await;
    eventually(
        "the message to be handled on the solo SPN",
        Duration::from_secs(90),
        || async { (recipient.handled().call().await.ok()? == U256::from(1)).then_some(()) },
    )
    .await;
    assert_eq!(recipient.lastOrigin().call().await.unwrap(), SPN_POA);
    assert_eq!(
        recipient.lastSender().call().await.unwrap(),
        B256::left_padding_from(dispatcher.address().as_slice())
    );
    assert_eq!(
        recipient.lastBody().call().await.unwrap(),
        Bytes::from_static(b"from poa")
    );

    // One validator killed: three of three votes are needed, so the chain stops, unforked.
    nodes[2].take().unwrap().kill9();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let halted = head(url_refs[0]).await.max(head(url_refs[1]).await);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        head(url_refs[0]).await <= halted && head(url_refs[1]).await <= halted,
        "no block is final without the third validator"
    );
    same_block_everywhere(
        &url_refs[..2],
        head(url_refs[0]).await.min(head(url_refs[1]).await),
    )
    .await;

    // Restarted, it catches up and the chain goes on; all three agree.
    nodes[2] = Some(start(2));
    let target = halted + 5;
    same_block_everywhere(&url_refs, target).await;
    let log = nodes[2].as_ref().unwrap().log();
    assert!(
        log.contains("poa started"),
        "the restarted validator runs poa:\n{log}"
    );

    // Still exactly once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(recipient.handled().call().await.unwrap(), U256::from(1));
}
