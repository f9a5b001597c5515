//! The `spn` commands a team, its operators and its users run against the mainnet and an SPN:
//! `register`, `restake`, `unstake`, `send`, `deposit` and `withdraw`, as real processes
//! against a real `pharos-node --dev` (and `spn node run`), checked through the contracts.

mod common;

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::Provider;
use common::cli::*;
use common::mainnet::*;
use common::*;
use ed25519_dalek::SigningKey;
use pharos_contracts::{
    self as sc, bridge::Bridge, mailbox::Mailbox, message::Message, registry::Registry,
    restaking::Restaking, spn_bridge::SpnBridge, spn_mailbox::SpnMailbox, staking::Staking,
};
use spn_e2e_tests::apps::{IRecordingRecipient, ITestToken};
use std::path::Path;
use std::time::Duration;

/// The SPN these tests register.
const SPN_ID: u32 = 1003;
/// `Registry.Status` values.
const REGISTERED: u8 = 1;
const ACTIVE: u8 = 2;
/// `Mailbox.Status.Queued`.
const QUEUED: u8 = 1;
/// An RPC endpoint nothing listens on: commands that must fail before any network traffic
/// would otherwise say they cannot reach it.
const DEAD_RPC: &str = "http://127.0.0.1:9";

/// The SPN's config, with a `[register]` section that needs 10 ether of restaked stake.
/// An SPN config registered with `consensus` (`poa` needs validators with a [p2p] section to
/// run; a lone node runs `solo`).
fn write_config(dir: &Path, mainnet_url: &str, funded: Address, consensus: &str) -> String {
    let path = dir.join("spn.toml");
    let text = format!(
        "spn_id = {SPN_ID}\nname = \"cli-demo\"\nmainnet_rpc = \"{mainnet_url}\"\n\
         mainnet_chain_id = {DEV_CHAIN_ID}\nblock_time_ms = 200\ncheckpoint_interval = 20\n\n\
         [alloc]\n\"{funded}\" = \"100000000000000000000\"\n\n\
         [register]\nconsensus = \"{consensus}\"\nmin_stake = \"10000000000000000000\"\n"
    );
    std::fs::write(&path, text).expect("write spn.toml");
    path.display().to_string()
}

/// A deterministic ed25519 operator key, as the hex `--operator-key` takes.
fn operator_key(seed: &str) -> (String, B256) {
    let secret = keccak256(seed.as_bytes());
    let public = SigningKey::from_bytes(&secret.0).verifying_key().to_bytes();
    (alloy::primitives::hex::encode(secret), B256::from(public))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_restake_activate_and_unstake_through_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mainnet = NodeProcess::start_dev(&dir.path().join("mainnet"), &[]);
    let owner = address_of(DEV_KEY_0);
    let config = write_config(dir.path(), &mainnet.url, owner, "poa");
    let registry = Registry::new(sc::REGISTRY, reader(&mainnet.url));
    let restaking = Restaking::new(sc::RESTAKING, reader(&mainnet.url));

    // Register from the config alone: no --rpc, the mainnet is the config's mainnet_rpc.
    let out = spn_json("", DEV_KEY_0, &["register", "--config", &config]);
    assert_eq!(out["spn_id"], SPN_ID);
    assert_eq!(out["consensus"], "poa");
    let record = registry.spn(SPN_ID).call().await.expect("Registry.spn");
    assert_eq!(record.status, REGISTERED);
    assert_eq!(record.owner, owner);
    assert_eq!(record.name, "cli-demo");
    assert_eq!(record.consensus, 1, "poa");
    assert_eq!(record.params.minStake, ether(10));
    assert_eq!(record.params.checkpointInterval, 20);
    assert_eq!(
        (
            record.params.quorumBps,
            record.params.forceDelay,
            record.params.epochLength
        ),
        (6667, 300, 240),
        "the [register] defaults"
    );
    let tx = hash(&out["tx_hash"]);
    let receipt = reader(&mainnet.url)
        .get_transaction_receipt(tx)
        .await
        .expect("receipt")
        .expect("the printed tx was mined");
    assert!(receipt.status());

    // The first operator stakes, registers its key and restakes 5: not enough yet.
    let (secret1, public1) = operator_key("cli-operator-1");
    let out = spn_json(
        &mainnet.url,
        DEV_KEY_1,
        &[
            "restake",
            "--spn",
            &SPN_ID.to_string(),
            "--amount",
            "5",
            "--operator-key",
            &secret1,
        ],
    );
    assert_eq!(out["activated"], false, "{out}");
    assert_eq!(out["status"], "Registered");
    assert_eq!(out["missing"], ether(5).to_string());
    assert_eq!(hash(&out["operator_key"]), public1);
    let op1 = address_of(DEV_KEY_1);
    assert_eq!(restaking.operatorKey(op1).call().await.unwrap(), public1);
    assert_eq!(
        restaking.stakeOf(SPN_ID, op1).call().await.unwrap(),
        ether(5)
    );
    assert_eq!(registry.status(SPN_ID).call().await.unwrap(), REGISTERED);

    // The second reaches the minimum; the command activates the SPN and says so.
    let (secret2, public2) = operator_key("cli-operator-2");
    let out = spn(
        &mainnet.url,
        Some(DEV_KEY_2),
        &[
            "restake",
            "--spn",
            &SPN_ID.to_string(),
            "--amount",
            "5ether",
            "--operator-key",
            &format!("0x{secret2}"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("SPN {SPN_ID} is Active, epoch 1")),
        "{stdout}"
    );
    assert_eq!(registry.status(SPN_ID).call().await.unwrap(), ACTIVE);
    assert_eq!(registry.currentEpoch(SPN_ID).call().await.unwrap(), 1);
    let set = registry.epochSet(SPN_ID, 1).call().await.unwrap();
    assert_eq!(set.keys.len(), 2);
    assert!(set.keys.contains(&public1) && set.keys.contains(&public2));
    assert_eq!(set.totalStake, ether(10));

    // `spn status --spn` shows the same record, as a team checks its SPN.
    let status = spn_json(
        &mainnet.url,
        DEV_KEY_0,
        &["status", "--spn", &SPN_ID.to_string()],
    );
    assert_eq!(status["status"], "active", "{status}");
    assert_eq!(status["epoch"], 1, "{status}");
    assert_eq!(status["consensus"], "poa", "{status}");
    assert_eq!(
        status["validators"].as_array().map(Vec::len),
        Some(2),
        "{status}"
    );
    assert_eq!(status["total_stake"], ether(10).to_string(), "{status}");
    let err = spn_fails(&mainnet.url, None, &["status", "--spn", "4242"]);
    assert!(
        err.contains("not registered") && err.contains("spn register"),
        "{err}"
    );

    // A registered operator restakes more without its key, from LST it stakes now.
    let out = spn_json(
        &mainnet.url,
        DEV_KEY_1,
        &["restake", "--spn", &SPN_ID.to_string(), "--amount", "1"],
    );
    assert_eq!(out["operator_stake"], ether(6).to_string());
    assert_eq!(out["activated"], false, "already active");
    assert!(out["register_tx"].is_null(), "the key is registered once");

    // `--skip-stake` restakes LST the account holds, and refuses when it holds too little.
    let err = spn_fails(
        &mainnet.url,
        Some(DEV_KEY_2),
        &[
            "restake",
            "--spn",
            &SPN_ID.to_string(),
            "--amount",
            "1",
            "--skip-stake",
        ],
    );
    assert!(
        err.contains("holds 0 lsPHRS") && err.contains("drop --skip-stake"),
        "{err}"
    );
    let staking = Staking::new(sc::STAKING, provider(&mainnet.url, DEV_KEY_2));
    confirm("stake", staking.stake().value(ether(2)).send().await).await;
    let out = spn_json(
        &mainnet.url,
        DEV_KEY_2,
        &[
            "restake",
            "--spn",
            &SPN_ID.to_string(),
            "--amount",
            "2",
            "--skip-stake",
        ],
    );
    assert!(out["stake_tx"].is_null(), "nothing staked: {out}");
    assert_eq!(out["operator_stake"], ether(7).to_string());

    // Unstake part: it stays slashable until withdrawn after the unbonding delay.
    let out = spn_json(
        &mainnet.url,
        DEV_KEY_1,
        &[
            "unstake",
            "--spn",
            &SPN_ID.to_string(),
            "--amount",
            "2000000000000000000wei",
        ],
    );
    assert_eq!(out["operator_stake"], ether(4).to_string());
    assert_eq!(
        restaking.stakeOf(SPN_ID, op1).call().await.unwrap(),
        ether(4)
    );
    assert_eq!(
        restaking.unstakingOf(SPN_ID, op1).call().await.unwrap(),
        ether(2)
    );
    let release = out["release_at"].as_u64().expect("release_at");
    assert_eq!(
        restaking.releaseAt(SPN_ID, op1).call().await.unwrap(),
        release
    );

    // Withdrawing before the delay is refused with the time it can be done.
    let err = spn_fails(
        &mainnet.url,
        Some(DEV_KEY_1),
        &["unstake", "--spn", &SPN_ID.to_string(), "--withdraw"],
    );
    assert!(
        err.contains("still unbonding") && err.contains(&release.to_string()),
        "{err}"
    );
    // Unstaking below the 1 LST seat minimum is refused by Restaking, with its reason.
    let err = spn_fails(
        &mainnet.url,
        Some(DEV_KEY_1),
        &["unstake", "--spn", &SPN_ID.to_string(), "--amount", "3.5"],
    );
    assert!(err.contains("at least 1 lsPHRS"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_deposit_and_withdraw_through_the_cli_reach_the_spn_and_its_outbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mainnet = NodeProcess::start_dev(&dir.path().join("mainnet"), &[]);
    let user = address_of(DEV_KEY_0);
    let config = write_config(dir.path(), &mainnet.url, user, "solo");
    spn_json("", DEV_KEY_0, &["register", "--config", &config]);
    for (key, seed) in [(DEV_KEY_1, "send-op-1"), (DEV_KEY_2, "send-op-2")] {
        let (secret, _) = operator_key(seed);
        spn_json(
            &mainnet.url,
            key,
            &[
                "restake",
                "--spn",
                &SPN_ID.to_string(),
                "--amount",
                "5",
                "--operator-key",
                &secret,
            ],
        );
    }
    let spn_node = NodeProcess::start_spn(
        &dir.path().join("spn"),
        &["--config", &config, "--http.port", "0"],
    );
    let mainnet_reader = reader(&mainnet.url);
    let spn_reader = reader(&spn_node.url);
    let mailbox = Mailbox::new(sc::MAILBOX, &mainnet_reader);
    let spn_id = SPN_ID.to_string();

    // A message from the mainnet to a contract on the SPN: queued, then handled there.
    let recipient = deploy(&provider(&spn_node.url, DEV_KEY_0), "RecordingRecipient").await;
    let out = spn_json(
        &mainnet.url,
        DEV_KEY_0,
        &[
            "send",
            "--destination",
            &spn_id,
            "--recipient",
            &recipient.to_string(),
            "--body",
            "hello spn",
        ],
    );
    assert_eq!(out["mailbox"], "mainnet");
    let id = hash(&out["message_id"]);
    let index = out["queue_index"].as_u64().expect("queue_index");
    assert_eq!(
        mailbox
            .queueAt(SPN_ID, U256::from(index))
            .call()
            .await
            .unwrap(),
        id
    );
    assert_eq!(mailbox.status(id).call().await.unwrap(), QUEUED);
    let packed = mailbox.messageOf(id).call().await.unwrap();
    assert_eq!(keccak256(&packed), id, "the printed id is the message's");
    let message = Message::decode(&packed).expect("message");
    assert_eq!(
        (message.origin, message.destination),
        (DEV_CHAIN_ID as u32, SPN_ID)
    );
    assert_eq!(
        (message.sender, message.recipient),
        (user.into_word(), recipient.into_word())
    );
    assert_eq!(message.body.as_ref(), b"hello spn");
    let recording = IRecordingRecipient::new(recipient, &spn_reader);
    eventually(
        "the message handled on the SPN",
        Duration::from_secs(30),
        || async { (recording.handled().call().await.ok()? == U256::from(1)).then_some(()) },
    )
    .await;
    assert_eq!(
        recording.lastBody().call().await.unwrap().as_ref(),
        b"hello spn"
    );
    assert_eq!(
        recording.lastOrigin().call().await.unwrap(),
        DEV_CHAIN_ID as u32
    );

    // Deposits: native, then an ERC-20 the command approves first.
    let bridge = Bridge::new(sc::BRIDGE, &mainnet_reader);
    let out = spn_json(
        &mainnet.url,
        DEV_KEY_0,
        &["deposit", "--spn", &spn_id, "--amount", "3"],
    );
    assert_eq!(out["amount"], ether(3).to_string());
    let native_id = hash(&out["message_id"]);
    let index = out["queue_index"].as_u64().expect("queue_index");
    assert_eq!(
        mailbox
            .queueAt(SPN_ID, U256::from(index))
            .call()
            .await
            .unwrap(),
        native_id
    );
    assert_eq!(
        bridge
            .escrowed(SPN_ID, sc::NATIVE_TOKEN)
            .call()
            .await
            .unwrap(),
        ether(3)
    );

    let token = deploy(&provider(&mainnet.url, DEV_KEY_0), "TestToken").await;
    let erc20 = ITestToken::new(token, provider(&mainnet.url, DEV_KEY_0));
    confirm("mint", erc20.mint(user, ether(10)).send().await).await;
    let out = spn_json(
        &mainnet.url,
        DEV_KEY_0,
        &[
            "deposit",
            "--spn",
            &spn_id,
            "--amount",
            "4",
            "--token",
            &token.to_string(),
        ],
    );
    assert_eq!(out["amount"], ether(4).to_string());
    assert!(out["approve_tx"].is_string(), "{out}");
    let token_id = hash(&out["message_id"]);
    assert_eq!(
        bridge.escrowed(SPN_ID, token).call().await.unwrap(),
        ether(4)
    );
    assert_eq!(erc20.balanceOf(user).call().await.unwrap(), ether(6));
    assert_eq!(
        mailbox.queueLength(SPN_ID).call().await.unwrap(),
        U256::from(3),
        "the message and two deposits"
    );
    assert_eq!(mailbox.status(token_id).call().await.unwrap(), QUEUED);

    // The SPN credits both.
    let spn_bridge = SpnBridge::new(sc::SPN_BRIDGE, &spn_reader);
    eventually(
        "the deposits on the SPN",
        Duration::from_secs(30),
        || async {
            let native = spn_bridge
                .balanceOf(sc::NATIVE_TOKEN, user)
                .call()
                .await
                .ok()?;
            let tokens = spn_bridge.balanceOf(token, user).call().await.ok()?;
            (native == ether(3) && tokens == ether(4)).then_some(())
        },
    )
    .await;

    // Withdraw on the SPN: burned there, the message to the mainnet Bridge in the outbox.
    let spn_mailbox = SpnMailbox::new(sc::SPN_MAILBOX, &spn_reader);
    let out = spn_json(&spn_node.url, DEV_KEY_0, &["withdraw", "--amount", "1"]);
    let withdrawal = hash(&out["message_id"]);
    assert!(spn_mailbox.outboxed(withdrawal).call().await.unwrap());
    assert_eq!(
        spn_bridge
            .balanceOf(sc::NATIVE_TOKEN, user)
            .call()
            .await
            .unwrap(),
        ether(2)
    );
    let err = spn_fails(
        &spn_node.url,
        Some(DEV_KEY_0),
        &["withdraw", "--amount", "1", "--token", &token.to_string()],
    );
    assert!(err.contains("needs a unit"), "{err}");
    let out = spn_json(
        &spn_node.url,
        DEV_KEY_0,
        &[
            "withdraw",
            "--amount",
            "1500000000000000000wei",
            "--token",
            &token.to_string(),
        ],
    );
    assert!(spn_mailbox
        .outboxed(hash(&out["message_id"]))
        .call()
        .await
        .unwrap());
    assert_eq!(
        spn_bridge.balanceOf(token, user).call().await.unwrap(),
        ether(4) - ether(3) / U256::from(2)
    );
    // Withdrawing more than the SPN balance is refused before anything is sent.
    let err = spn_fails(
        &spn_node.url,
        Some(DEV_KEY_0),
        &["withdraw", "--amount", "100"],
    );
    assert!(err.contains("less than"), "{err}");

    // A message from the SPN to the mainnet goes through the SPN Mailbox's outbox.
    let out = spn_json(
        &spn_node.url,
        DEV_KEY_0,
        &[
            "send",
            "--destination",
            &DEV_CHAIN_ID.to_string(),
            "--recipient",
            &Address::repeat_byte(0x42).to_string(),
            "--body",
            "0x0102",
        ],
    );
    assert_eq!(out["mailbox"], "spn");
    assert_eq!(out["origin"], SPN_ID);
    assert!(spn_mailbox
        .outboxed(hash(&out["message_id"]))
        .call()
        .await
        .unwrap());
    assert_eq!(
        spn_mailbox.outboxLength().call().await.unwrap(),
        U256::from(3),
        "two withdrawals and a message"
    );

    // The mainnet Mailbox does not send to the mainnet itself; the error says where to start.
    let err = spn_fails(
        &mainnet.url,
        Some(DEV_KEY_0),
        &[
            "send",
            "--destination",
            &DEV_CHAIN_ID.to_string(),
            "--recipient",
            &recipient.to_string(),
        ],
    );
    assert!(err.contains("starts on an SPN"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_the_same_spn_twice_fails_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mainnet = NodeProcess::start_dev(&dir.path().join("mainnet"), &[]);
    let config = write_config(dir.path(), &mainnet.url, address_of(DEV_KEY_0), "poa");
    spn_json("", DEV_KEY_0, &["register", "--config", &config]);
    let nonce = reader(&mainnet.url)
        .get_transaction_count(address_of(DEV_KEY_1))
        .await
        .unwrap();

    let out = spn(
        &mainnet.url,
        Some(DEV_KEY_1),
        &["register", "--config", &config],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("SPN {SPN_ID} is already registered")),
        "{err}"
    );
    assert!(err.contains("choose another spn_id"), "{err}");
    assert_eq!(
        reader(&mainnet.url)
            .get_transaction_count(address_of(DEV_KEY_1))
            .await
            .unwrap(),
        nonce,
        "nothing was sent"
    );
    let record = Registry::new(sc::REGISTRY, reader(&mainnet.url))
        .spn(SPN_ID)
        .call()
        .await
        .unwrap();
    assert_eq!(
        record.owner,
        address_of(DEV_KEY_0),
        "the first owner keeps it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_with_parameters_the_mainnet_refuses_says_which() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mainnet = NodeProcess::start_dev(&dir.path().join("mainnet"), &[]);
    let config = write_config(dir.path(), &mainnet.url, address_of(DEV_KEY_0), "poa");
    // The dev unbonding delay is 600 s: a forced withdrawal may not take that long.
    let text = std::fs::read_to_string(&config).unwrap() + "force_delay_s = 600\n";
    std::fs::write(&config, text).unwrap();
    let err = spn_fails("", Some(DEV_KEY_0), &["register", "--config", &config]);
    assert!(
        err.contains("forceDelay must be shorter than the restaking unbonding delay")
            && err.contains("[register]"),
        "{err}"
    );
    // Values no mainnet takes are refused from the config, naming the field.
    let text = std::fs::read_to_string(&config).unwrap() + "quorum_bps = 5000\n";
    std::fs::write(&config, text).unwrap();
    let err = spn_fails("", Some(DEV_KEY_0), &["register", "--config", &config]);
    assert!(err.contains("register.quorum_bps"), "{err}");
    let status = Registry::new(sc::REGISTRY, reader(&mainnet.url))
        .status(SPN_ID)
        .call()
        .await
        .unwrap();
    assert_eq!(status, 0, "nothing registered");
}

#[test]
fn a_missing_private_key_is_named_with_its_flag_and_env_var() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), DEAD_RPC, Address::ZERO, "poa");
    for args in [
        vec!["register", "--config", &config],
        vec!["restake", "--spn", "7", "--amount", "5", "--skip-stake"],
        vec!["unstake", "--spn", "7", "--withdraw"],
        vec!["send", "--destination", "7", "--recipient", DEAD_ADDRESS],
        vec!["deposit", "--spn", "7", "--amount", "1"],
        vec!["withdraw", "--amount", "1"],
    ] {
        let err = spn_fails(DEAD_RPC, None, &args);
        assert!(
            err.contains("--private-key") && err.contains("SPN_PRIVATE_KEY"),
            "spn {args:?}: {err}"
        );
        assert!(
            !err.contains("cannot reach"),
            "checked before connecting: {err}"
        );
    }
    // A malformed key is refused without being echoed back.
    let err = spn_fails(
        DEAD_RPC,
        Some("0xdeadbeefdeadbeef"),
        &["deposit", "--spn", "7", "--amount", "1"],
    );
    assert!(err.contains("not a secp256k1 private key"), "{err}");
    assert!(!err.contains("deadbeef"), "{err}");
}

/// Any address, for commands that fail before they would use it.
const DEAD_ADDRESS: &str = "0x00000000000000000000000000000000000000aa";

#[test]
fn a_malformed_amount_is_refused_before_anything_is_sent() {
    for amount in ["5dollars", "-1", "0", "abc", "1.5wei", "1e18", ""] {
        let err = spn_fails(
            DEAD_RPC,
            Some(DEV_KEY_0),
            &["deposit", "--spn", "7", "--amount", amount],
        );
        assert!(err.contains("--amount"), "{amount:?}: {err}");
        assert!(
            err.contains("5ether") || err.contains("zero"),
            "{amount:?}: the error shows the format: {err}"
        );
        assert!(!err.contains("cannot reach"), "{amount:?}: {err}");
    }
}

#[test]
fn restake_with_a_wrong_length_operator_key_is_refused() {
    let short = "ab".repeat(31);
    let long = "ab".repeat(33);
    for (key, bytes) in [(short.as_str(), "31"), (long.as_str(), "33")] {
        let err = spn_fails(
            DEAD_RPC,
            Some(DEV_KEY_0),
            &[
                "restake",
                "--spn",
                "7",
                "--amount",
                "5",
                "--operator-key",
                key,
            ],
        );
        assert!(
            err.contains("--operator-key") && err.contains("32 bytes") && err.contains(bytes),
            "{err}"
        );
        assert!(!err.contains(key), "the secret is not echoed: {err}");
        assert!(!err.contains("cannot reach"), "{err}");
    }
    let err = spn_fails(
        DEAD_RPC,
        Some(DEV_KEY_0),
        &[
            "restake",
            "--spn",
            "7",
            "--amount",
            "5",
            "--operator-key",
            "not-hex",
        ],
    );
    assert!(err.contains("not hex"), "{err}");
}
