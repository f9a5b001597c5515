//! A validator that double-signs is slashed on chain from the evidence. `pharos-node testnet`
//! writes a four-validator `bft` mainnet; validators 0, 1 and 2 run as `pharos-node` processes,
//! and validator 3 is an equivocator run by this test (`common::rogue`): it joins their network
//! under its own key and, in every round it sees a prevote, signs two prevotes for different
//! blocks. The honest validators turn the conflicting votes into `Staking.slashDoubleSign`
//! transactions signed with their `account.key`. Over JSON-RPC the test then sees the Staking
//! contract take validator 3's whole bond, burn its LST, ban its key and drop it from the set,
//! exactly once: though the equivocator goes on signing and the same evidence is sent again,
//! there is one `DoubleSignSlashed` event and `totalSlashed` is one bond. The three honest
//! validators install the set without validator 3 at the next epoch, go on making blocks, and
//! hold the same chain.

mod common;

use alloy::network::TransactionResponse;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use common::bft::*;
use common::rogue::Equivocator;
use common::*;
use ed25519_dalek::SigningKey;
use pharos_contracts::{self as sc, liquid_stake::LiquidStake, staking::Staking};
use pharos_mainnet::evidence::slash_call;
use spn_consensus::bft::owner_index;
use spn_network::PeerAddr;
use spn_node::SET_LAG;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the honest validators have to get validator 3 slashed once it equivocates.
const SLASH_TIMEOUT: Duration = Duration::from_secs(90);
/// Blocks per epoch of the testnet: the set without the slashed validator comes soon.
const EPOCH_BLOCKS: u64 = 10;

#[test]
fn a_validator_that_double_signs_is_slashed_once_from_the_evidence() {
    common::bft::block_on(double_signer_is_slashed());
}

async fn double_signer_is_slashed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = free_port_block(4).to_string();
    let epoch = EPOCH_BLOCKS.to_string();
    let net = testnet_with_an_uncensored_reporter(
        dir.path(),
        &[
            "--validators",
            "4",
            "--base-port",
            &base,
            "--block-time",
            "500",
            "--epoch-blocks",
            &epoch,
        ],
    );
    let honest: Vec<NodeProcess> = (0..3).map(|i| net.start(i)).collect();
    let all_urls = net.url_refs();
    let urls = &all_urls[..3];
    let reader = reader(urls[0]);
    let staking = Staking::new(sc::STAKING, &reader);

    // Validator 3 at its position in the Staking contract's list: the engine's order.
    let (key, listen, peers) = validator_identity(&net.configs[3]);
    let public = B256::from(key.verifying_key().to_bytes());
    let genesis_set = staking.validators().call().await.expect("validators()");
    assert_eq!(
        genesis_set.keys.len(),
        4,
        "genesis registers four validators"
    );
    let index = genesis_set
        .keys
        .iter()
        .position(|k| *k == public)
        .expect("validator 3's key is in the genesis set");
    let account = genesis_set.accounts[index];
    let bond = genesis_set.stakes[index];
    let mut reporters: Vec<Address> = (genesis_set.accounts.iter().copied())
        .filter(|a| *a != account)
        .collect();
    reporters.sort();
    let rogue = Equivocator::start(net.chain_id, key, index as u32, listen, peers).await;

    let started = Instant::now();
    while !staking.keyBanned(public).call().await.unwrap_or(false) {
        if started.elapsed() > SLASH_TIMEOUT {
            panic!(
                "validator 3 was not slashed within {SLASH_TIMEOUT:?}: the equivocator, \
                 connected to {} validators, double-signed in {} rounds; heads {:?}\n{}",
                rogue.peers().await,
                rogue.double_votes().len(),
                heights(urls).await,
                evidence_lines(&honest)
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let slashed_after = started.elapsed();

    // The evidence: two of the equivocator's prevotes, reported by an honest validator.
    let slashes = slash_events(&staking).await;
    assert_eq!(slashes.len(), 1, "one slashing: {slashes:?}");
    let (event, log) = &slashes[0];
    assert_eq!(
        (event.validator, event.key, event.kind, event.amount),
        (account, public, 1, bond),
        "validator 3's key slashed for a prevote, its whole bond taken"
    );
    let double_votes = rogue.double_votes();
    let evidence = double_votes
        .get(&(event.height, event.round))
        .unwrap_or_else(|| panic!("{event:?} names a round the equivocator did not sign in"));
    let tx_hash = log.transaction_hash.expect("log transaction");
    let tx = reader
        .get_transaction_by_hash(tx_hash)
        .await
        .expect("eth_getTransactionByHash")
        .expect("the slashing transaction");
    assert!(
        reporters.contains(&tx.from()),
        "sent by an honest validator's account {reporters:?}, not {}",
        tx.from()
    );

    // What slashDoubleSign changes.
    assert_eq!(
        staking.bonded(account).call().await.expect("bonded"),
        U256::ZERO
    );
    assert_eq!(
        staking.totalSlashed().call().await.expect("totalSlashed"),
        bond
    );
    let lst = LiquidStake::new(sc::LST, &reader);
    assert_eq!(
        lst.balanceOf(account).call().await.expect("LST balance"),
        U256::ZERO,
        "the LST minted for the slashed bond is burned"
    );
    let set = staking.validators().call().await.expect("validators()");
    let mut left = set.accounts.clone();
    left.sort();
    assert_eq!(left, reporters, "validator 3 left the set");
    assert!(!set.keys.contains(&public));

    // The three install the set without validator 3 at the next boundary and go on.
    let slashed_in = log.block_number.expect("log block");
    let without = first_height_deciding_after(slashed_in);
    all_reach(urls, without + 5, Duration::from_secs(90)).await;
    for (i, node) in honest.iter().enumerate() {
        let log = node.log();
        assert!(
            log.lines()
                .any(|l| l.contains("validator set from the Staking contract")
                    && l.contains(&format!("first_height={without}"))
                    && l.contains("validators=3")),
            "validator {i} installs the set without validator 3 at height {without}:\n{}",
            evidence_lines(std::slice::from_ref(node))
        );
    }

    // The same evidence again, and fresh evidence of another height, slash nobody twice.
    let submitter = Staking::new(sc::STAKING, provider(urls[0], DEV_KEY_0));
    let same = submitter.call_builder(&slash_call(&evidence.0, &evidence.1, public));
    let refused = same.call().await.expect_err("the same evidence twice");
    assert!(
        matches!(
            refused.as_decoded_interface_error::<Staking::StakingErrors>(),
            Some(Staking::StakingErrors::EvidenceAlreadyUsed(_))
        ),
        "{refused}"
    );
    let receipt = same
        .gas(1_000_000)
        .send()
        .await
        .expect("send the evidence again")
        .get_receipt()
        .await
        .expect("its receipt");
    assert!(!receipt.status(), "the same evidence is refused on chain");
    let later = rogue
        .double_votes()
        .into_iter()
        .find(|((height, _), _)| *height > event.height)
        .map(|(_, pair)| pair)
        .expect("the equivocator double-signed after the reported height");
    let later = submitter.call_builder(&slash_call(&later.0, &later.1, public));
    let refused = later
        .call()
        .await
        .expect_err("evidence against a slashed key");
    assert!(
        matches!(
            refused.as_decoded_interface_error::<Staking::StakingErrors>(),
            Some(Staking::StakingErrors::KeyAlreadySlashed(_))
        ),
        "{refused}"
    );
    assert_eq!(slash_events(&staking).await.len(), 1, "still one slashing");
    assert_eq!(
        staking.totalSlashed().call().await.expect("totalSlashed"),
        bond,
        "one bond slashed, once"
    );

    let top = heights(urls).await.into_iter().min().unwrap_or_default();
    identical_chains(urls, top).await;
    eprintln!(
        "bft double sign: validator 3 double-signed at ({}, {}) and was slashed {} wei in block \
         {slashed_in}, {:.1} s after it began; it double-signed in {} rounds in all; blocks \
         1..={top} identical on validators 0..=2, the set without validator 3 from height {without}",
        event.height,
        event.round,
        event.amount,
        slashed_after.as_secs_f64(),
        rogue.double_votes().len()
    );
}

/// A testnet in which the equivocator, validator 3, does not own every honest validator's
/// account. Only a sender's owner batches its transactions (`StakeSet::owner_of`), so the
/// slashing reports of an account the equivocator owns wait for the equivocator, which never
/// batches: with all three honest accounts its own (1 in 64), no report could reach a block
/// while it is in the set, and another testnet is drawn.
fn testnet_with_an_uncensored_reporter(dir: &Path, args: &[&str]) -> Testnet {
    for attempt in 0..8 {
        let net = testnet(&dir.join(format!("net-{attempt}")), args);
        let genesis = std::fs::read_to_string(&net.genesis).expect("genesis");
        let spec: toml::Table = toml::from_str(&genesis).expect("genesis toml");
        let validators = spec["validators"].as_array().expect("validators");
        let owner = |v: &toml::Value| {
            let account: Address = v["account"]
                .as_str()
                .expect("account")
                .parse()
                .expect("hex");
            owner_index(account.as_slice(), validators.len())
        };
        if validators[..3].iter().any(|v| owner(v) != 3) {
            return net;
        }
    }
    panic!("eight testnets in a row whose honest accounts validator 3 owns");
}

/// Validator `config`'s consensus key, validator-network address and peers, as
/// `pharos-node testnet` wrote them.
fn validator_identity(config: &Path) -> (SigningKey, SocketAddr, Vec<PeerAddr>) {
    let text = std::fs::read_to_string(config).expect("validator config");
    let table: toml::Table = toml::from_str(&text).expect("config toml");
    let p2p = &table["p2p"];
    let listen = format!(
        "{}:{}",
        p2p["addr"].as_str().expect("p2p.addr"),
        p2p["port"].as_integer().expect("p2p.port")
    );
    let peers = p2p["peers"].as_array().expect("p2p.peers").iter();
    let peers = peers.map(|p| p.as_str().expect("peer").parse().expect("peer address"));
    let key_file = table["validator"]["key"].as_str().expect("validator.key");
    let secret: B256 = std::fs::read_to_string(key_file)
        .expect("validator key file")
        .trim()
        .parse()
        .expect("a hex secret");
    (
        SigningKey::from_bytes(&secret.0),
        listen.parse().expect("p2p address"),
        peers.collect(),
    )
}

/// Every `DoubleSignSlashed` event of the chain.
async fn slash_events(
    staking: &Staking::StakingInstance<&DynProvider>,
) -> Vec<(Staking::DoubleSignSlashed, alloy::rpc::types::Log)> {
    staking
        .DoubleSignSlashed_filter()
        .from_block(0)
        .query()
        .await
        .expect("DoubleSignSlashed logs")
}

/// The first height decided by a validator set read on block `block`'s state or a later one.
fn first_height_deciding_after(block: u64) -> u64 {
    let read = (block..)
        .find(|h| (h + SET_LAG) % EPOCH_BLOCKS == 1)
        .expect("a boundary");
    read + SET_LAG
}

async fn heights(urls: &[&str]) -> Vec<u64> {
    let mut all = Vec::new();
    for url in urls {
        all.push(height(url).await);
    }
    all
}

/// What the nodes logged about equivocation, evidence and validator sets (for failures).
fn evidence_lines(nodes: &[NodeProcess]) -> String {
    let words = ["equivocat", "double", "evidence", "validator set", "slash"];
    let mut out = String::new();
    for node in nodes {
        out.push_str(&format!("--- {}\n", node.log.display()));
        let log = node.log();
        let lines: Vec<&str> = (log.lines())
            .filter(|l| words.iter().any(|w| l.contains(w)))
            .collect();
        for line in &lines[lines.len().saturating_sub(20)..] {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
