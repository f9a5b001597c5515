//! Evidence becomes a signed transaction that, executed on a chain holding the offender,
//! slashes it; evidence the contract would refuse is not sent.

use super::*;
use crate::system::testkit::{chain_with_validators, ether, genesis_validator};
use crate::validators::genesis_validators;
use alloy_sol_types::SolEvent;
use ed25519_dalek::SigningKey;
use spn_consensus::bft::VoteKind;
use spn_node::StoreOptions;
use spn_primitives::{keccak256, Address, StoredReceipt};

const CHAIN: u64 = 7447;

struct Chain {
    _dir: tempfile::TempDir,
    store: Store,
    keys: Vec<SigningKey>,
    accounts: Vec<Address>,
    reporter: SlashingReporter,
}

fn chain() -> Chain {
    let (entries, keys): (Vec<_>, Vec<_>) = (0..4)
        .map(|i| genesis_validator(CHAIN, i, ether(32)))
        .unzip();
    let reporter_key = AccountKey::new(keccak256("reporter")).unwrap();
    let mut funded: Vec<Address> = entries.iter().map(|v| v.account).collect();
    let accounts = funded.clone();
    funded.push(reporter_key.address);
    let spec = chain_with_validators(CHAIN, &funded, &entries).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
    spn_node::init_genesis(&store, &spec).unwrap();
    let known = Arc::new(KnownKeys::default());
    known.remember(&genesis_validators(&spec).unwrap().unwrap());
    Chain {
        _dir: dir,
        store,
        keys,
        accounts,
        reporter: SlashingReporter::new(CHAIN, reporter_key, known),
    }
}

fn double_vote(key: &SigningKey, index: u32, height: u64) -> Evidence {
    let vote = |hash| Vote::sign(CHAIN, height, 0, VoteKind::Precommit, hash, index, key);
    Evidence::DoubleVote {
        first: vote([1; 32]),
        second: vote([2; 32]),
    }
}

/// Executes `txs` in the next block and commits it; returns the receipts.
fn commit(store: &Store, txs: Vec<RecoveredTx>) -> Vec<StoredReceipt> {
    let head = head_header(store).unwrap();
    let executor = Executor::new(CHAIN, Arc::new(MainnetExtensions));
    let input = next_block(&head);
    let executed = executor.execute_block(store, &input, txs).unwrap();
    assert!(executed.rejected.is_empty(), "{:?}", executed.rejected);
    let prepared = store.prepare_state(&executed.changes).unwrap();
    let block = spn_node::seal_block(head.hash_slow(), &input, &executed, prepared.state_root);
    store
        .commit_block(&block, &executed.receipts, prepared)
        .unwrap();
    executed.receipts
}

fn validator_accounts(store: &Store) -> Vec<Address> {
    let executor = Executor::new(CHAIN, Arc::new(MainnetExtensions));
    staking_validators(&executor, store, &head_header(store).unwrap())
        .unwrap()
        .accounts
}

#[test]
fn a_double_vote_becomes_a_transaction_that_slashes_the_validator() {
    let c = chain();
    let txs = c
        .reporter
        .on_evidence(&double_vote(&c.keys[1], 1, 5), &c.store)
        .unwrap();
    assert_eq!(txs.len(), 1);
    let tx = &txs[0];
    assert_eq!(tx.sender, c.reporter.account.address);
    assert_eq!(tx.nonce(), 0);
    // What the network would carry: the raw transaction recovers to the reporter.
    let decoded = RecoveredTx::decode(&tx.encoded(), CHAIN).unwrap();
    assert_eq!(decoded.sender, c.reporter.account.address);

    let receipts = commit(&c.store, txs);
    assert!(receipts[0].success, "the slashing transaction succeeds");
    let slashed = receipts[0]
        .logs
        .iter()
        .find_map(|l| Staking::DoubleSignSlashed::decode_log_data(&l.data).ok())
        .expect("DoubleSignSlashed");
    assert_eq!(slashed.validator, c.accounts[1]);
    assert_eq!(slashed.amount, ether(32));
    assert_eq!(
        validator_accounts(&c.store),
        vec![c.accounts[0], c.accounts[3], c.accounts[2]],
        "the offender left the set (the last validator took its place)"
    );

    // The same evidence again, or another double vote by the banned key: nothing to send.
    for evidence in [double_vote(&c.keys[1], 1, 5), double_vote(&c.keys[1], 1, 6)] {
        assert!(c
            .reporter
            .on_evidence(&evidence, &c.store)
            .unwrap()
            .is_empty());
    }
}

#[test]
fn several_reports_in_a_row_take_consecutive_nonces() {
    let c = chain();
    let mut txs = Vec::new();
    for (i, key) in c.keys.iter().enumerate().take(2) {
        let index = u32::try_from(i).unwrap();
        txs.extend(
            c.reporter
                .on_evidence(&double_vote(key, index, 7), &c.store)
                .unwrap(),
        );
    }
    let nonces: Vec<u64> = txs.iter().map(RecoveredTx::nonce).collect();
    assert_eq!(nonces, vec![0, 1]);
    let receipts = commit(&c.store, txs);
    assert!(receipts.iter().all(|r| r.success));
    assert_eq!(validator_accounts(&c.store).len(), 2);
}

#[test]
fn votes_by_an_unknown_key_or_for_another_chain_are_not_reported() {
    let c = chain();
    let stranger = SigningKey::from_bytes(&[9; 32]);
    let e = c
        .reporter
        .on_evidence(&double_vote(&stranger, 1, 5), &c.store)
        .unwrap_err();
    assert!(e.contains("no validator key"), "{e}");

    let vote = |hash| Vote::sign(CHAIN + 1, 5, 0, VoteKind::Prevote, hash, 1, &c.keys[1]);
    let foreign = Evidence::DoubleVote {
        first: vote([1; 32]),
        second: vote([2; 32]),
    };
    assert!(c.reporter.on_evidence(&foreign, &c.store).is_err());
}
