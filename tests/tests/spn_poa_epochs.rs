//! A `poa` SPN's validator set follows the mainnet Registry while it runs: three validators
//! start in epoch 1, next to a fourth node whose key is in no epoch yet (it follows). A
//! transaction sent to that follower is gossiped to the validators and mined. Then the fourth
//! operator restakes and the epoch is rotated on the mainnet: every node switches to the
//! four-validator set at the same height, derived from the mainnet block the chain names, so
//! afterwards the chain survives losing a validator (3 of 4 votes), which with three it could
//! not (3 of 3).

mod common;

use common::cli::spn_json;
use common::mainnet::*;
use common::poa::*;
use common::relay::{DEV_KEY_3, DEV_KEY_4};
use common::*;
use pharos_contracts::{self as sc, management::Management, registry::Registry};
use std::path::PathBuf;
use std::time::Duration;

const SPN: u32 = 1201;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_registry_epoch_changes_the_validator_set_at_one_height_everywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mainnet = NodeProcess::start_dev(&d.join("mainnet"), &[]);
    let m = mainnet.url.as_str();

    let vs: Vec<Validator> = (1..=4).map(|i| validator(&format!("epoch-v{i}"))).collect();
    let configs: Vec<PathBuf> = (0..4)
        .map(|i| {
            let peers: Vec<&Validator> = (0..4).filter(|j| *j != i).map(|j| &vs[j]).collect();
            let path = write_config(d, m, SPN, &vs[i], &peers, "poa");
            // Epochs of three seconds, so the test may rotate one.
            let text = std::fs::read_to_string(&path).unwrap().replace(
                "consensus = \"poa\"\n",
                "consensus = \"poa\"\nepoch_length_s = 3\n",
            );
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    let out = spn_json(
        "",
        DEV_KEY_0,
        &["register", "--config", &configs[0].display().to_string()],
    );
    assert!(out["spn_id"].is_number(), "{out}");
    for (v, account) in vs.iter().zip([DEV_KEY_1, DEV_KEY_2, DEV_KEY_3]) {
        restake(m, account, SPN, v, "1");
    }
    let registry = Registry::new(sc::REGISTRY, reader(m));
    assert_eq!(registry.currentEpoch(SPN).call().await.unwrap(), 1);

    let start = |i: usize| {
        NodeProcess::start_spn(
            &d.join(format!("v{i}")),
            &[
                "--config",
                &configs[i].display().to_string(),
                "--http.port",
                "0",
            ],
        )
    };
    let mut nodes: Vec<Option<NodeProcess>> = (0..4).map(|i| Some(start(i))).collect();
    let all: Vec<String> = nodes
        .iter()
        .map(|n| n.as_ref().unwrap().url.clone())
        .collect();
    let all_refs: Vec<&str> = all.iter().map(String::as_str).collect();
    same_block_everywhere(&all_refs, 3).await;

    // The follower never proposes: a transaction sent to it is mined only if it reaches the
    // validators' pools.
    let on_follower = provider(all_refs[3], DEV_KEY_0);
    let receipt = tokio::time::timeout(
        Duration::from_secs(30),
        transfer_and_wait(&on_follower, address_of(DEV_KEY_4), 1),
    )
    .await
    .expect("a transaction sent to the follower is gossiped and mined");
    assert!(receipt.status());

    // A fourth operator restakes; epoch 1 keeps three validators until the rotation.
    restake(m, DEV_KEY_4, SPN, &vs[3], "1");
    let management = Management::new(sc::MANAGEMENT, provider(m, DEV_KEY_0));
    // Anyone may rotate once the epoch is over (a simulation first: a refused send would
    // still use up a nonce in the provider's cache).
    eventually("epoch 1 to be over", Duration::from_secs(30), || async {
        management.rotateEpoch(SPN).call().await.ok()
    })
    .await;
    confirm("rotateEpoch", management.rotateEpoch(SPN).send().await).await;
    assert_eq!(registry.currentEpoch(SPN).call().await.unwrap(), 2);
    let set = registry.epochSet(SPN, 2).call().await.unwrap();
    assert_eq!(set.keys.len(), 4, "the fourth operator is in epoch 2");

    let after = head(all_refs[0]).await + 3;
    same_block_everywhere(&all_refs, after).await;
    let switched = eventually(
        "every validator to switch to the four-validator set",
        Duration::from_secs(60),
        || async {
            let heights: Vec<String> = nodes
                .iter()
                .map(|n| n.as_ref().unwrap().log())
                .filter_map(|log| {
                    log.lines()
                        .find(|l| l.contains("the validator set changes"))
                        .and_then(|l| l.split("height=").nth(1))
                        .map(|h| h.split_whitespace().next().unwrap_or("").to_string())
                })
                .collect();
            (heights.len() == 4).then_some(heights)
        },
    )
    .await;
    assert!(
        switched.windows(2).all(|w| w[0] == w[1]),
        "the set changed at different heights: {switched:?}"
    );

    // With four validators, three votes are a quorum: losing one no longer stops the chain.
    nodes[0].take().unwrap().kill9();
    let survivors: Vec<&str> = all_refs[1..].to_vec();
    let now = head(survivors[0]).await;
    same_block_everywhere(&survivors, now + 5).await;
    for n in nodes.iter().flatten() {
        let log = n.log();
        assert!(!log.contains("panicked"), "{log}");
    }
}
