//! Evidence the consensus engines report is exactly what the contracts slash: a `bft` engine
//! sees a validator double-vote and `Staking.slashDoubleSign` takes its bond; a `poa` engine
//! sees an operator double-vote and `Restaking.slashDoubleVote` takes its restaked stake. Run on
//! the compiled contracts in revm with the mainnet's ed25519 precompile.

mod common;

use alloy_sol_types::SolCall;
use common::{assert_ok, assert_reverts_with};
use ed25519_dalek::{Signer, SigningKey};
use pharos_contracts::{self as sc, restaking::Restaking, staking::Staking};
use pharos_mainnet::evidence::slash_call;
use pharos_mainnet::system::testkit::{ether, World};
use spn_consensus::bft::{
    self, Bft, BftAction, BftConfig, BftEvent, BftMessage, StakeSet, VoteKind,
};
use spn_consensus::poa::{self, Poa, PoaAction, PoaConfig, PoaEvent, PoaMessage, ValidatorSet};
use spn_primitives::{keccak256, Address, Bytes, B256, U256};

/// A mainnet validator: an account with a bond and a registered consensus key.
struct Validator {
    account: Address,
    key: SigningKey,
}

fn validator(world: &mut World, seed: u64) -> Validator {
    let account = world.account(5_000 + seed);
    let key = SigningKey::from_bytes(&keccak256(format!("bft-validator-{seed}")).0);
    let stake = world.params.min_validator_stake;
    let out = world.sandbox.transact(
        account,
        sc::STAKING,
        stake,
        Staking::stakeCall {}.abi_encode().into(),
    );
    assert!(out.success, "stake: {}", out.output);
    let digest = world
        .sandbox
        .view(
            sc::STAKING,
            &Staking::registrationDigestCall { validator: account },
        )
        .expect("registrationDigest");
    let register = Staking::registerValidatorCall {
        key: B256::from(key.verifying_key().to_bytes()),
        signature: Bytes::from(key.sign(digest.as_slice()).to_bytes().to_vec()),
    };
    world.expect_ok(account, sc::STAKING, &register, "registerValidator");
    Validator { account, key }
}

/// Feeds two conflicting prevotes by validator 1 to validator 0's engine and returns the
/// evidence it reports.
fn bft_double_vote(chain_id: u64, validators: &[Validator]) -> (bft::Vote, bft::Vote) {
    let members: Vec<_> = validators
        .iter()
        .map(|v| (v.key.verifying_key().to_bytes(), 1))
        .collect();
    let set = StakeSet::new(&members).unwrap();
    let mut engine = Bft::validator(BftConfig::new(chain_id), validators[0].key.clone());
    engine.on_event(BftEvent::Started {
        head: 0,
        validators: set,
        wal: Vec::new(),
    });
    let key = &validators[1].key;
    let first = bft::Vote::sign(chain_id, 1, 0, VoteKind::Prevote, [1; 32], 1, key);
    let second = bft::Vote::sign(chain_id, 1, 0, VoteKind::Prevote, [2; 32], 1, key);
    engine.on_event(BftEvent::Message(BftMessage::Vote(first)));
    let actions = engine.on_event(BftEvent::Message(BftMessage::Vote(second)));
    actions
        .into_iter()
        .find_map(|a| match a {
            BftAction::Misbehaviour(bft::Evidence::DoubleVote { first, second }) => {
                Some((first, second))
            }
            _ => None,
        })
        .expect("the engine reports the double vote")
}

#[test]
fn a_bft_double_vote_the_engine_reports_slashes_the_validator_on_chain() {
    let mut world = World::new();
    let validators: Vec<_> = (0..4).map(|i| validator(&mut world, i)).collect();
    let offender = &validators[1];
    let (first, second) = bft_double_vote(world.chain_id, &validators);

    // The contract signs-checks the very bytes the engine signs.
    let bytes = world
        .sandbox
        .view(
            sc::STAKING,
            &Staking::voteDigestBytesCall {
                height: first.height,
                round: first.round,
                kind: first.kind as u8,
                blockHash: B256::from(first.block_hash),
            },
        )
        .unwrap();
    assert_eq!(
        bytes.to_vec(),
        bft::vote_signing_bytes(world.chain_id, 1, 0, VoteKind::Prevote, &[1; 32])
    );

    let bonded = |world: &mut World, who: Address| {
        world
            .sandbox
            .view(sc::STAKING, &Staking::bondedCall(who))
            .unwrap()
    };
    assert_eq!(
        bonded(&mut world, offender.account),
        world.params.min_validator_stake
    );
    let reporter = world.account(77);
    let call = slash_call(
        &first,
        &second,
        B256::from(offender.key.verifying_key().to_bytes()),
    );
    assert_ok(&world.sandbox.send(reporter, sc::STAKING, &call));
    assert_eq!(bonded(&mut world, offender.account), U256::ZERO);
    let set = world
        .sandbox
        .view(sc::STAKING, &Staking::validatorsCall {})
        .unwrap();
    assert_eq!(set.accounts.len(), 3);
    assert!(!set.accounts.contains(&offender.account));
    // The same evidence again is refused.
    assert_reverts_with::<Staking::EvidenceAlreadyUsed>(&world.sandbox.send(
        reporter,
        sc::STAKING,
        &call,
    ));
}

#[test]
fn forged_or_foreign_bft_evidence_slashes_nobody() {
    let mut world = World::new();
    let validators: Vec<_> = (0..4).map(|i| validator(&mut world, i)).collect();
    let reporter = world.account(77);
    // Votes signed for another chain.
    let (first, second) = bft_double_vote(world.chain_id + 1, &validators);
    let call = slash_call(
        &first,
        &second,
        B256::from(validators[1].key.verifying_key().to_bytes()),
    );
    assert_reverts_with::<Staking::InvalidSignature>(&world.sandbox.send(
        reporter,
        sc::STAKING,
        &call,
    ));
    // Genuine votes, blamed on another validator's key.
    let (first, second) = bft_double_vote(world.chain_id, &validators);
    let call = slash_call(
        &first,
        &second,
        B256::from(validators[2].key.verifying_key().to_bytes()),
    );
    assert_reverts_with::<Staking::InvalidSignature>(&world.sandbox.send(
        reporter,
        sc::STAKING,
        &call,
    ));
    // One vote twice is not a double vote.
    let call = slash_call(
        &first,
        &first,
        B256::from(validators[1].key.verifying_key().to_bytes()),
    );
    assert_reverts_with::<Staking::NotDoubleSign>(&world.sandbox.send(
        reporter,
        sc::STAKING,
        &call,
    ));
    // Everyone keeps their bond.
    let set = world
        .sandbox
        .view(sc::STAKING, &Staking::validatorsCall {})
        .unwrap();
    assert_eq!(set.accounts.len(), 4);
}

#[test]
fn a_poa_double_vote_the_engine_reports_slashes_the_operator_on_chain() {
    const SPN: u32 = 100;
    let mut world = World::new();
    let ops = world.active_spn(SPN, 1, &[10, 10, 10, 10]);
    let keys: Vec<_> = ops
        .iter()
        .map(|o| o.key.verifying_key().to_bytes())
        .collect();
    let set = ValidatorSet::new(&keys).unwrap();
    let mut engine = Poa::validator(PoaConfig::new(SPN), ops[0].key.clone());
    engine.on_event(PoaEvent::Started {
        head: 0,
        validators: set,
        lock: None,
    });
    let first = poa::Vote::sign(SPN, 1, [1; 32], 2, &ops[2].key);
    let second = poa::Vote::sign(SPN, 1, [2; 32], 2, &ops[2].key);
    engine.on_event(PoaEvent::Message(PoaMessage::Vote(first)));
    let actions = engine.on_event(PoaEvent::Message(PoaMessage::Vote(second)));
    let (first, second) = actions
        .into_iter()
        .find_map(|a| match a {
            PoaAction::Misbehaviour(poa::Evidence::DoubleVote { first, second }) => {
                Some((first, second))
            }
            _ => None,
        })
        .expect("the engine reports the double vote");
    let stake = |world: &mut World| {
        world
            .sandbox
            .view(
                sc::RESTAKING,
                &Restaking::stakeOfCall {
                    _0: SPN,
                    _1: ops[2].address,
                },
            )
            .unwrap()
    };
    assert_eq!(stake(&mut world), ether(10));
    let call = Restaking::slashDoubleVoteCall {
        spnId: SPN,
        height: first.height,
        hashA: B256::from(first.block_hash),
        sigA: Bytes::from(first.signature.to_vec()),
        hashB: B256::from(second.block_hash),
        sigB: Bytes::from(second.signature.to_vec()),
        key: ops[2].public_key(),
    };
    let reporter = world.account(77);
    assert_ok(&world.sandbox.send(reporter, sc::RESTAKING, &call));
    assert_eq!(stake(&mut world), U256::ZERO);
    assert_reverts_with::<Restaking::EvidenceAlreadyUsed>(&world.sandbox.send(
        reporter,
        sc::RESTAKING,
        &call,
    ));
}
