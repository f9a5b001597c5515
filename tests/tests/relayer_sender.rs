//! The relayer's transaction sender against a real node: its cached nonce goes stale when the
//! same account sends elsewhere; the refusal is reported, the nonce re-read, and the next send
//! lands.

mod common;

use alloy::primitives::{Address, Bytes};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use common::*;
use spn_relayer::{Call, Outcome, TxSender};
use std::time::Duration;

fn transfer_call() -> Call {
    Call {
        to: Address::repeat_byte(0x55),
        input: Bytes::new(),
        gas: 21_000,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_nonce_is_refused_then_resynced_and_the_next_send_lands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = NodeProcess::start_dev(&dir.path().join("mainnet"), &[]);
    let signer: PrivateKeySigner = DEV_KEY_1.parse().unwrap();
    let mut sender = TxSender::new(reader(&node.url), signer, Duration::from_secs(5))
        .await
        .expect("sender");

    let (sent, unsent) = sender
        .send_all(vec![transfer_call(), transfer_call()])
        .await;
    assert!(unsent.is_empty(), "{unsent:?}");
    assert_eq!(sent.iter().map(|s| s.nonce).collect::<Vec<_>>(), [0, 1]);
    for (_, outcome) in sender.wait_all(sent).await {
        assert!(matches!(outcome, Outcome::Mined(r) if r.status()));
    }

    // The same account sends from elsewhere: nonce 2 is taken behind the sender's back.
    transfer_and_wait(
        &provider(&node.url, DEV_KEY_1),
        Address::repeat_byte(0x66),
        1,
    )
    .await;

    // The sender's next transaction reuses nonce 2: refused with the node's reason, and the
    // rest of the wave is held back rather than queued behind a gap.
    let (sent, unsent) = sender
        .send_all(vec![transfer_call(), transfer_call()])
        .await;
    assert!(sent.is_empty());
    assert_eq!(unsent.len(), 2);
    assert!(unsent[0].1.contains("nonce too low"), "{}", unsent[0].1);
    assert!(unsent[1].1.contains("not sent"), "{}", unsent[1].1);

    // Resynced: the next wave lands at nonces 3 and 4.
    let (sent, unsent) = sender
        .send_all(vec![transfer_call(), transfer_call()])
        .await;
    assert!(unsent.is_empty(), "{unsent:?}");
    assert_eq!(sent.iter().map(|s| s.nonce).collect::<Vec<_>>(), [3, 4]);
    for (_, outcome) in sender.wait_all(sent).await {
        assert!(matches!(outcome, Outcome::Mined(r) if r.status()));
    }
    let reader = reader(&node.url);
    assert_eq!(
        reader
            .get_transaction_count(address_of(DEV_KEY_1))
            .await
            .unwrap(),
        5
    );
}

/// A chain that mines only every 2 s, with dev account 1 funded.
fn slow_chain(dir: &std::path::Path) -> NodeProcess {
    let genesis = format!(
        "name = \"slow\"\nchain_id = 4243\n[alloc.{}]\nbalance = \"0xd3c21bcecceda1000000\"\n",
        address_of(DEV_KEY_1)
    );
    let datadir = init_chain(dir, &genesis);
    NodeProcess::start(&datadir, &["--http.port", "0", "--block-time", "2000"], &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_waiting_longer_than_stuck_after_is_resent_with_higher_fees_and_lands_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = slow_chain(dir.path());
    let signer: PrivateKeySigner = DEV_KEY_1.parse().unwrap();
    let mut sender = TxSender::new(reader(&node.url), signer, Duration::from_millis(300))
        .await
        .expect("sender");
    let (sent, unsent) = sender.send_all(vec![transfer_call()]).await;
    assert!(unsent.is_empty(), "{unsent:?}");
    let done = sender.wait_all(sent).await;
    let (sent, outcome) = &done[0];
    assert!(
        sent.hashes.len() >= 2,
        "a transaction unmined for 2 s must be re-sent (hashes: {:?})",
        sent.hashes
    );
    let Outcome::Mined(receipt) = outcome else {
        panic!("not mined: {outcome:?}");
    };
    assert!(receipt.status());
    assert!(sent.hashes.contains(&receipt.transaction_hash));
    // One of the versions landed, once: the account's nonce moved by one.
    assert_eq!(
        reader(&node.url)
            .get_transaction_count(address_of(DEV_KEY_1))
            .await
            .unwrap(),
        1
    );
}
