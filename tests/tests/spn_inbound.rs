//! An SPN node follows the mainnet: what the mainnet Mailbox queues for it is delivered in
//! order as system calls. A native deposit on the mainnet Bridge is credited on the SPN.

mod common;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use common::mainnet::*;
use common::*;
use pharos_contracts::{
    self as sc, bridge::Bridge, mailbox::Mailbox, spn_bridge::SpnBridge, spn_mailbox::SpnMailbox,
};
use std::time::Duration;

const SPN_ID: u32 = 1001;

fn spn_config(mainnet_url: &str, funded: Address) -> String {
    format!(
        "spn_id = {SPN_ID}\nname = \"demo\"\nmainnet_rpc = \"{mainnet_url}\"\n\
         mainnet_chain_id = {DEV_CHAIN_ID}\nblock_time_ms = 200\n\n[alloc]\n\
         \"{funded}\" = \"100000000000000000000\"\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mainnet_deposits_are_credited_on_the_spn_in_order_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mainnet = NodeProcess::start_dev(&dir.path().join("mainnet"), &[]);
    register_active_spn(&mainnet.url, DEV_KEY_0, SPN_ID).await;

    let user = address_of(DEV_KEY_0);
    let config = dir.path().join("spn.toml");
    std::fs::write(&config, spn_config(&mainnet.url, user)).unwrap();
    let config_arg = config.display().to_string();
    let spn_dir = dir.path().join("spn");
    let spn = NodeProcess::start_spn(&spn_dir, &["--config", &config_arg, "--http.port", "0"]);
    let spn_reader = reader(&spn.url);
    assert_eq!(spn_reader.get_chain_id().await.unwrap(), u64::from(SPN_ID));

    // Three deposits on the mainnet: 1, 2 and 3 ether to the user on the SPN.
    let bridge = Bridge::new(sc::BRIDGE, provider(&mainnet.url, DEV_KEY_0));
    for n in 1..=3u64 {
        confirm(
            "depositNative",
            bridge
                .depositNative(SPN_ID, user)
                .value(ether(n))
                .send()
                .await,
        )
        .await;
    }
    let queued = Mailbox::new(sc::MAILBOX, reader(&mainnet.url))
        .queueLength(SPN_ID)
        .call()
        .await
        .unwrap();
    assert_eq!(queued, U256::from(3));

    let spn_bridge = SpnBridge::new(sc::SPN_BRIDGE, &spn_reader);
    let spn_mailbox = SpnMailbox::new(sc::SPN_MAILBOX, &spn_reader);
    let credited = eventually(
        "the deposits on the SPN",
        Duration::from_secs(30),
        || async {
            let b = spn_bridge
                .balanceOf(sc::NATIVE_TOKEN, user)
                .call()
                .await
                .ok()?;
            (b == ether(6)).then_some(b)
        },
    )
    .await;
    assert_eq!(credited, ether(6));
    assert_eq!(
        spn_mailbox.inboundCount().call().await.unwrap(),
        U256::from(3)
    );
    assert!(spn_mailbox.lastMainnetBlock().call().await.unwrap() > 0);

    // Restart the SPN node: it resumes from its Mailbox's inbound count, delivers the next
    // deposit once, and never the first three again.
    spn.kill9();
    let spn = NodeProcess::start_spn(&spn_dir, &["--config", &config_arg, "--http.port", "0"]);
    confirm(
        "depositNative",
        bridge
            .depositNative(SPN_ID, user)
            .value(ether(4))
            .send()
            .await,
    )
    .await;
    let spn_reader = reader(&spn.url);
    let spn_bridge = SpnBridge::new(sc::SPN_BRIDGE, &spn_reader);
    eventually("the fourth deposit", Duration::from_secs(30), || async {
        let b = spn_bridge
            .balanceOf(sc::NATIVE_TOKEN, user)
            .call()
            .await
            .ok()?;
        (b == ether(10)).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let spn_mailbox = SpnMailbox::new(sc::SPN_MAILBOX, &spn_reader);
    assert_eq!(
        spn_mailbox.inboundCount().call().await.unwrap(),
        U256::from(4)
    );
    assert_eq!(
        spn_bridge
            .totalSupply(sc::NATIVE_TOKEN)
            .call()
            .await
            .unwrap(),
        ether(10),
        "each deposit credited exactly once"
    );
}
