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
