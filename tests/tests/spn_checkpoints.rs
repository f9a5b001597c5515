//! An SPN validator signs checkpoints of its own blocks (`spn_getCheckpoint`), and the mainnet
//! Adaptor finalizes them.

mod common;

use alloy::primitives::{keccak256, U256};
use alloy::providers::Provider;
use common::mainnet::*;
use common::*;
use pharos_contracts::{self as sc, adaptor::Adaptor, registry::Registry};
use spn_chain::SignedCheckpoint;
use std::time::{Duration, Instant};

const SPN_ID: u32 = 1002;
const SEED: &str = "spn-1002-validator";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validator_checkpoints_are_finalized_by_the_mainnet_adaptor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mainnet = NodeProcess::start_dev(&dir.path().join("mainnet"), &[]);
    let validator = Operator::new(&mainnet.url, DEV_KEY_1, SEED);
    register_spn_with(
        &mainnet.url,
        DEV_KEY_0,
        SPN_ID,
        std::slice::from_ref(&validator),
    )
    .await;

    let config = dir.path().join("spn.toml");
    std::fs::write(
        &config,
        format!(
            "spn_id = {SPN_ID}\nname = \"checkpointed\"\nmainnet_rpc = \"{}\"\n\
             mainnet_chain_id = {DEV_CHAIN_ID}\nblock_time_ms = 100\ncheckpoint_interval = 5\n\
             signing_key = \"{}\"\n",
            mainnet.url,
            keccak256(SEED.as_bytes())
        ),
    )
    .unwrap();
    let config_arg = config.display().to_string();
    let spn = NodeProcess::start_spn(
        &dir.path().join("spn"),
        &["--config", &config_arg, "--http.port", "0"],
    );
    let spn_reader = reader(&spn.url);
    let start = Instant::now();
    while spn_reader.get_block_number().await.unwrap() < 12 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the SPN does not produce blocks"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The latest checkpoint height is a multiple of the interval, over the node's own block.
    let cp: SignedCheckpoint = spn_reader
        .raw_request("spn_getCheckpoint".into(), Vec::<u64>::new())
        .await
        .expect("spn_getCheckpoint");
    assert_eq!(cp.spn_id, SPN_ID);
    assert_eq!(cp.epoch, 1);
    assert!(
        cp.height >= 10 && cp.height.is_multiple_of(5),
        "height {}",
        cp.height
    );
    assert_eq!(cp.signer, validator.public_key());
    let block = spn_reader
        .get_block_by_number(cp.height.into())
        .await
        .unwrap()
        .expect("block");
    assert_eq!(cp.block_hash, block.header.hash);
    assert_eq!(cp.state_root, block.header.state_root);
    assert_eq!(
        cp.digest,
        sc::checkpoint_digest(DEV_CHAIN_ID, sc::ADAPTOR, &cp.data())
    );

    // Finalized on the mainnet with the validator's signature.
    let relayer = provider(&mainnet.url, DEV_KEY_0);
    let adaptor = Adaptor::new(sc::ADAPTOR, &relayer);
    let c = cp.data().to_sol();
    confirm(
        "submitCheckpoint",
        adaptor
            .submitCheckpoint(c.clone(), vec![U256::ZERO], vec![cp.signature.clone()])
            .send()
            .await,
    )
    .await;
    let registry = Registry::new(sc::REGISTRY, reader(&mainnet.url));
    let latest = registry.latestCheckpoint(SPN_ID).call().await.unwrap();
    assert_eq!(
        (latest.height, latest.stateRoot),
        (cp.height, cp.state_root)
    );

    // A checkpoint at an earlier height than the finalized one is refused, clearly.
    let older: SignedCheckpoint = spn_reader
        .raw_request("spn_getCheckpoint".into(), vec![5u64])
        .await
        .expect("spn_getCheckpoint(5)");
    let mut stale = c;
    stale.height = older.height;
    stale.blockHash = older.block_hash;
    stale.stateRoot = older.state_root;
    let err = adaptor
        .submitCheckpoint(stale, vec![U256::ZERO], vec![older.signature])
        .call()
        .await
        .expect_err("stale checkpoint");
    assert!(
        err.as_decoded_error::<Adaptor::StaleHeight>().is_some(),
        "expected StaleHeight, got {err}"
    );

    // Bad requests get a clear JSON-RPC error.
    for (height, expected) in [
        (7u64, "not a checkpoint height"),
        (1_000_000_000, "not built yet"),
    ] {
        let err = spn_reader
            .raw_request::<_, SignedCheckpoint>("spn_getCheckpoint".into(), vec![height])
            .await
            .expect_err("bad height");
        assert!(err.to_string().contains(expected), "{err}");
    }
}
