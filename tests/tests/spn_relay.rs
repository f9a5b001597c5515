//! Two SPNs and the relayer over real processes: a contract on SPN 1001 messages a contract
//! on SPN 1002 through the mainnet; the relayer is killed mid-flight, restarted, and joined
//! by a second relayer, and every message is still handled exactly once; a reverting
//! recipient's message fails, then a retry delivers it once; bad inputs at the relayer are
//! logged and skipped.

mod common;

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolValue;
use common::cli::spn_json;
use common::mainnet::*;
use common::relay::*;
use common::*;
use pharos_contracts::{
    self as sc, message::Message, spn_bridge::SpnBridge, spn_mailbox::SpnMailbox,
};
use spn_e2e_tests::apps::{IDispatcher, IRecordingRecipient, ITestToken};
use std::time::{Duration, Instant};

const SPN_A: u32 = 1001;
const SPN_B: u32 = 1002;

fn trace_json(id: B256, config: &std::path::Path) -> serde_json::Value {
    let config = config.display().to_string();
    let out = common::cli::spn(
        "",
        None,
        &["trace", &id.to_string(), "--json", "--config", &config],
    );
    assert!(
        out.status.success(),
        "spn trace failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("trace json")
}

/// A relayer's Prometheus text from its metrics `port`.
async fn metrics_of(port: &str) -> String {
    reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn steps(trace: &serde_json::Value) -> Vec<String> {
    trace["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .map(|h| h["step"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_cross_spns_exactly_once_through_kills_and_two_relayers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mainnet = NodeProcess::start_dev(&d.join("mainnet"), &[]);
    let a = start_test_spn(d, &mainnet.url, SPN_A, DEV_KEY_1).await;
    let b = start_test_spn(d, &mainnet.url, SPN_B, DEV_KEY_2).await;
    let on_a = provider(&a.node.url, DEV_KEY_0);
    let on_b = provider(&b.node.url, DEV_KEY_0);
    let dispatcher = IDispatcher::new(deploy(&on_a, "Dispatcher").await, &on_a);
    let recipient = IRecordingRecipient::new(deploy(&on_b, "RecordingRecipient").await, &on_b);

    // Relayer 1 follows both SPNs. SPN B's list also names SPN A's node, whose checkpoint
    // signatures are for another SPN: the relayer must ignore them and carry on.
    let config = d.join("relayer.toml");
    std::fs::write(
        &config,
        relayer_config(
            &mainnet.url,
            DEV_KEY_3,
            &d.join("relayer-state.json"),
            &[
                (SPN_A, a.node.url.as_str(), &[]),
                (SPN_B, b.node.url.as_str(), &[a.node.url.as_str()]),
            ],
        ),
    )
    .unwrap();
    let small_waves = std::fs::read_to_string(&config).unwrap().replace(
        "poll_ms = 200",
        "poll_ms = 200\nmax_in_flight = 5\nmax_batch = 5",
    );
    std::fs::write(&config, small_waves).unwrap();
    let relayer = RelayerProcess::start(&config, &d.join("relayer-1.log"), &[]);

    // One message, contract to contract: handled once with origin, sender and body.
    let started = Instant::now();
    let receipt = confirm(
        "send",
        dispatcher
            .send(
                SPN_B,
                *recipient.address(),
                Bytes::from_static(b"hello spn"),
            )
            .send()
            .await,
    )
    .await;
    let id = sent_id(&receipt);
    eventually(
        "the first message to be handled",
        Duration::from_secs(60),
        || async { (recipient.handled().call().await.unwrap() == U256::from(1)).then_some(()) },
    )
    .await;
    eprintln!(
        "first message handled {:?} after dispatch",
        started.elapsed()
    );
    assert_eq!(recipient.lastOrigin().call().await.unwrap(), SPN_A);
    assert_eq!(
        recipient.lastSender().call().await.unwrap(),
        B256::left_padding_from(dispatcher.address().as_slice())
    );
    assert_eq!(
        recipient.lastBody().call().await.unwrap(),
        Bytes::from_static(b"hello spn")
    );

    // `spn trace` shows every hop with its transaction.
    let t = trace_json(id, &config);
    assert_eq!(
        steps(&t),
        [
            "dispatched",
            "checkpointed",
            "relayed",
            "archived",
            "delivered"
        ],
        "{t:#}"
    );
    assert!(t["stuck"].is_null(), "{t:#}");
    // SPN A's node answers for SPN B too: its signature is ignored, and the relayer says so.
    eventually(
        "a foreign signature to be ignored",
        Duration::from_secs(30),
        || async {
            relayer
                .log()
                .contains("ignored checkpoint signatures")
                .then_some(())
        },
    )
    .await;
    assert!(t["hops"][2]["tx"]
        .as_str()
        .is_some_and(|s| s.starts_with("0x")));

    // A reverting recipient: the message is marked failed, then a retry delivers it once.
    let failing = IRecordingRecipient::new(deploy(&on_b, "RecordingRecipient").await, &on_b);
    confirm("setFailing", failing.setFailing(true).send().await).await;
    let receipt = confirm(
        "send to failing",
        dispatcher
            .send(SPN_B, *failing.address(), Bytes::from_static(b"retry me"))
            .send()
            .await,
    )
    .await;
    let failed_id = sent_id(&receipt);
    let spn_mailbox = SpnMailbox::new(sc::SPN_MAILBOX, &on_b);
    eventually("the delivery to fail", Duration::from_secs(60), || async {
        (spn_mailbox.status(failed_id).call().await.unwrap() == 2).then_some(())
    })
    .await;
    let t = trace_json(failed_id, &config);
    assert_eq!(
        steps(&t).last().map(String::as_str),
        Some("failed"),
        "{t:#}"
    );
    assert!(t["stuck"].as_str().unwrap().contains("retry"), "{t:#}");
    confirm("fix recipient", failing.setFailing(false).send().await).await;
    // The SPN Mailbox keeps the failed message; its id matches what was dispatched.
    let kept = spn_mailbox.messageOf(failed_id).call().await.unwrap();
    assert_eq!(keccak256(&kept), failed_id);
    confirm("retry", spn_mailbox.retry(kept.clone()).send().await).await;
    assert_eq!(failing.handled().call().await.unwrap(), U256::from(1));
    let again = spn_mailbox
        .retry(kept)
        .call()
        .await
        .expect_err("second retry");
    assert!(
        again
            .as_decoded_error::<SpnMailbox::NotRetryable>()
            .is_some(),
        "{again}"
    );

    // 200 messages in flight: the relayer is SIGKILLed mid-flight and restarted, and a second
    // relayer (own key, empty cursor: everything it sees is a replay) runs alongside.
    const N: u64 = 200;
    for batch in 0..4u64 {
        confirm(
            "sendMany",
            dispatcher
                .sendMany(
                    SPN_B,
                    *recipient.address(),
                    U256::from(batch * 50),
                    U256::from(50),
                )
                .send()
                .await,
        )
        .await;
    }
    // Kill as soon as the first of the 200 is handled (the relayer sends 5 batches of 5 per
    // wave here).
    let start = Instant::now();
    while recipient.handled().call().await.unwrap() < U256::from(2) {
        assert!(start.elapsed() < Duration::from_secs(60), "nothing relayed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    relayer.kill9();
    let handled_at_kill = recipient.handled().call().await.unwrap();
    eprintln!("relayer killed with {handled_at_kill} of {} handled", N + 1);
    let mut relayer = RelayerProcess::start(&config, &d.join("relayer-1b.log"), &[]);
    let config_2 = d.join("relayer-2.toml");
    std::fs::write(
        &config_2,
        relayer_config(
            &mainnet.url,
            DEV_KEY_4,
            &d.join("relayer-2-state.json"),
            &[
                (SPN_A, a.node.url.as_str(), &[]),
                (SPN_B, b.node.url.as_str(), &[]),
            ],
        ),
    )
    .unwrap();
    let mut relayer_2 = RelayerProcess::start(&config_2, &d.join("relayer-2.log"), &[]);
    eventually(
        "all 200 messages to be handled",
        Duration::from_secs(180),
        || async {
            let h = recipient.handled().call().await.unwrap();
            (h >= U256::from(N + 1)).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(recipient.handled().call().await.unwrap(), U256::from(N + 1));
    for i in 0..N {
        let body = keccak256(U256::from(i).abi_encode());
        assert_eq!(
            recipient.timesHandled(body).call().await.unwrap(),
            U256::from(1),
            "message {i} handled once"
        );
    }
    assert!(relayer.running(), "relayer 1 crashed:\n{}", relayer.log());
    assert!(
        relayer_2.running(),
        "relayer 2 crashed:\n{}",
        relayer_2.log()
    );

    // Metrics: messages seen and relayed per SPN.
    drop(relayer_2);
    let port = free_port().to_string();
    drop(relayer);
    let relayer = RelayerProcess::start(
        &config,
        &d.join("relayer-1c.log"),
        &["--metrics.port", &port],
    );
    let metrics = metrics_of(&port).await;
    assert!(metrics.contains("spn_relayer_balance_ether"), "{metrics}");
    drop(relayer);

    // Bad input at the relayer: a message that is not in SPN A's outbox (a forged entry in its
    // retry list). The Adaptor refuses its proof; the relayer logs why, gives up at the cap,
    // and keeps relaying real messages.
    let forged = Message::new(
        9_999,
        SPN_A,
        Address::repeat_byte(0x66),
        SPN_B,
        *recipient.address(),
        Bytes::from_static(b"forged"),
    );
    let forged_id = forged.id();
    let state_path = d.join("relayer-state.json");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    state["spns"][SPN_A.to_string()]["retry"][forged_id.to_string()] = serde_json::json!({
        "message": forged.encode(),
        "block": 1,
        "attempts": 0,
        "last_error": "",
        "next_at_ms": 0
    });
    std::fs::write(&state_path, serde_json::to_vec(&state).unwrap()).unwrap();
    let capped = std::fs::read_to_string(&config)
        .unwrap()
        .replace("max_in_flight = 5", "max_in_flight = 5\nmax_attempts = 2");
    std::fs::write(&config, capped).unwrap();
    // A real message waits too: the forged one shares its batch, the batch fails its
    // simulation, and the relayer splits it so the real message still goes.
    let alongside = confirm(
        "send alongside the forged one",
        dispatcher
            .send(
                SPN_B,
                *recipient.address(),
                Bytes::from_static(b"still relaying"),
            )
            .send()
            .await,
    )
    .await;
    // Its block is covered by a checkpoint height before the relayer starts, so the relayer's
    // first round finds it next to the forged retry.
    let covered = alongside.block_number.unwrap() + 10;
    let spn_a = reader(&a.node.url);
    eventually(
        "SPN A past a checkpoint height",
        Duration::from_secs(30),
        || async { (spn_a.get_block_number().await.unwrap() > covered).then_some(()) },
    )
    .await;
    let port = free_port().to_string();
    let relayer = RelayerProcess::start(
        &config,
        &d.join("relayer-1d.log"),
        &["--metrics.port", &port],
    );
    eventually(
        "the relayer to give up on the forged message",
        Duration::from_secs(60),
        || async { relayer.log().contains("giving up").then_some(()) },
    )
    .await;
    let log = relayer.log();
    assert!(log.contains(&forged_id.to_string()), "{log}");
    assert!(log.contains("not in the SPN's outbox"), "{log}");
    assert!(
        log.contains("batch refused in simulation; relaying its messages one by one"),
        "{log}"
    );
    eventually(
        "the relayer to carry on",
        Duration::from_secs(60),
        || async { (recipient.handled().call().await.unwrap() == U256::from(N + 2)).then_some(()) },
    )
    .await;
    assert_eq!(
        sc::mailbox::Mailbox::new(sc::MAILBOX, reader(&mainnet.url))
            .status(forged_id)
            .call()
            .await
            .unwrap(),
        0,
        "the forged message never reached the mainnet Mailbox"
    );
    let metrics = metrics_of(&port).await;
    assert!(
        metrics.contains(&format!(
            "spn_relayer_relay_transactions_total{{spn=\"{SPN_A}\"}}"
        )),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_and_erc20_deposits_and_withdrawals_round_trip_with_exact_balances() {
    const SPN: u32 = 1005;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mainnet = NodeProcess::start_dev(&d.join("mainnet"), &[]);
    let spn = start_test_spn(d, &mainnet.url, SPN, DEV_KEY_1).await;
    let config = d.join("relayer.toml");
    std::fs::write(
        &config,
        relayer_config(
            &mainnet.url,
            DEV_KEY_3,
            &d.join("relayer-state.json"),
            &[(SPN, spn.node.url.as_str(), &[])],
        ),
    )
    .unwrap();
    let _relayer = RelayerProcess::start(&config, &d.join("relayer.log"), &[]);

    let user = address_of(DEV_KEY_0);
    let on_mainnet = provider(&mainnet.url, DEV_KEY_0);
    let token = deploy(&on_mainnet, "TestToken").await;
    let erc20 = ITestToken::new(token, &on_mainnet);
    confirm("mint", erc20.mint(user, ether(10)).send().await).await;

    // Deposits through the CLI: 3 native, 4 tokens.
    let spn_id = SPN.to_string();
    let token_arg = token.to_string();
    spn_json(
        &mainnet.url,
        DEV_KEY_0,
        &["deposit", "--spn", &spn_id, "--amount", "3"],
    );
    spn_json(
        &mainnet.url,
        DEV_KEY_0,
        &[
            "deposit", "--spn", &spn_id, "--amount", "4", "--token", &token_arg,
        ],
    );
    let spn_bridge = SpnBridge::new(sc::SPN_BRIDGE, reader(&spn.node.url));
    eventually(
        "both deposits credited on the SPN",
        Duration::from_secs(60),
        || async {
            let native = spn_bridge
                .balanceOf(sc::NATIVE_TOKEN, user)
                .call()
                .await
                .unwrap();
            let tokens = spn_bridge.balanceOf(token, user).call().await.unwrap();
            (native == ether(3) && tokens == ether(4)).then_some(())
        },
    )
    .await;

    // Withdraw part of each to a fresh mainnet account, through the CLI on the SPN.
    let receiver = Address::repeat_byte(0x77);
    let to = receiver.to_string();
    let out = spn_json(
        &spn.node.url,
        DEV_KEY_0,
        &["withdraw", "--amount", "1", "--to", &to],
    );
    let native_withdrawal = common::cli::hash(&out["message_id"]);
    spn_json(
        &spn.node.url,
        DEV_KEY_0,
        &[
            "withdraw",
            "--amount",
            "1500000000000000000wei",
            "--token",
            &token_arg,
            "--to",
            &to,
        ],
    );
    let mainnet_reader = reader(&mainnet.url);
    eventually(
        "both withdrawals paid on the mainnet",
        Duration::from_secs(90),
        || async {
            let native = mainnet_reader.get_balance(receiver).await.unwrap();
            let tokens = erc20.balanceOf(receiver).call().await.unwrap();
            (native == ether(1) && tokens == ether(3) / U256::from(2)).then_some(())
        },
    )
    .await;

    // Exact on both sides: the SPN ledger, the mainnet escrow, the user's tokens.
    let bridge = sc::bridge::Bridge::new(sc::BRIDGE, &mainnet_reader);
    assert_eq!(
        bridge.escrowed(SPN, sc::NATIVE_TOKEN).call().await.unwrap(),
        ether(2)
    );
    assert_eq!(
        bridge.escrowed(SPN, token).call().await.unwrap(),
        ether(5) / U256::from(2)
    );
    assert_eq!(
        spn_bridge
            .balanceOf(sc::NATIVE_TOKEN, user)
            .call()
            .await
            .unwrap(),
        ether(2)
    );
    assert_eq!(
        spn_bridge.balanceOf(token, user).call().await.unwrap(),
        ether(5) / U256::from(2)
    );
    assert_eq!(erc20.balanceOf(user).call().await.unwrap(), ether(6));
    // Paid once: a little later, nothing more arrived.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        mainnet_reader.get_balance(receiver).await.unwrap(),
        ether(1)
    );
    let t = trace_json(native_withdrawal, &config);
    assert_eq!(
        steps(&t),
        ["dispatched", "checkpointed", "relayed", "delivered"],
        "{t:#}"
    );
}
