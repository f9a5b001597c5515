//! The Adaptor's checkpoint rules, run on the compiled contracts in revm with the mainnet's
//! ed25519 precompile and real ed25519-dalek keys.

mod common;

use common::{assert_ok, assert_reverts_with, filled};
use pharos_contracts::{
    self as sc, adaptor::Adaptor, registry::Registry, restaking::Restaking, CheckpointData,
};
use pharos_mainnet::system::testkit::{Operator, World};
use spn_primitives::{Address, B256, U256};

const SPN: u32 = 100;

fn checkpoint(epoch: u64, height: u64, tag: u8) -> CheckpointData {
    CheckpointData {
        spn_id: SPN,
        epoch,
        height,
        block_hash: filled(tag),
        state_root: filled(tag.wrapping_add(1)),
    }
}

fn four_equal() -> (World, Vec<Operator>) {
    let mut world = World::new();
    let ops = world.active_spn(SPN, 1, &[10, 10, 10, 10]);
    (world, ops)
}

fn finalized_height(world: &mut World) -> u64 {
    world
        .sandbox
        .view(sc::REGISTRY, &Registry::latestCheckpointCall { spnId: SPN })
        .unwrap()
        .height
}

#[test]
fn checkpoint_with_more_than_two_thirds_is_accepted() {
    let (mut world, ops) = four_equal();
    let c = checkpoint(1, 10, 1);
    assert_ok(&world.submit_checkpoint(&c, &[(0, &ops[0]), (1, &ops[1]), (3, &ops[3])]));
    let latest = world
        .sandbox
        .view(sc::REGISTRY, &Registry::latestCheckpointCall { spnId: SPN })
        .unwrap();
    assert_eq!(
        (latest.height, latest.blockHash, latest.stateRoot),
        (10, c.block_hash, c.state_root)
    );
    let root = world
        .sandbox
        .view(sc::REGISTRY, &Registry::stateRootAtCall { _0: SPN, _1: 10 })
        .unwrap();
    assert_eq!(root, c.state_root);
}

#[test]
fn checkpoint_with_exactly_two_thirds_is_rejected() {
    let mut world = World::new();
    let ops = world.active_spn(SPN, 1, &[10, 10, 10]);
    let out = world.submit_checkpoint(&checkpoint(1, 10, 1), &[(0, &ops[0]), (1, &ops[1])]);
    assert_reverts_with::<Adaptor::NoQuorum>(&out);
    assert_eq!(finalized_height(&mut world), 0);
}

#[test]
fn repeated_signer_is_counted_once() {
    let (mut world, ops) = four_equal();
    // One signer three times plus one more: two distinct signers of four is no quorum.
    let out = world.submit_checkpoint(
        &checkpoint(1, 10, 1),
        &[(0, &ops[0]), (0, &ops[0]), (0, &ops[0]), (1, &ops[1])],
    );
    assert_reverts_with::<Adaptor::NoQuorum>(&out);
    // Three distinct signers with a repeat among them still reach the quorum.
    let out = world.submit_checkpoint(
        &checkpoint(1, 10, 1),
        &[(0, &ops[0]), (1, &ops[1]), (1, &ops[1]), (2, &ops[2])],
    );
    assert_ok(&out);
}

#[test]
fn signer_from_another_spn_is_rejected() {
    let (mut world, _ops) = four_equal();
    let others = world.active_spn(200, 50, &[10, 10, 10, 10]);
    // SPN 200's operators claim SPN 100's set positions.
    let out = world.submit_checkpoint(
        &checkpoint(1, 10, 1),
        &[(0, &others[0]), (1, &others[1]), (2, &others[2])],
    );
    assert_reverts_with::<Adaptor::InvalidSignature>(&out);
}

#[test]
fn signer_from_an_older_epoch_is_rejected() {
    let (mut world, ops) = four_equal();
    // Operator 3 leaves; a newcomer joins; epoch 2 starts without operator 3.
    let leave = Restaking::unstakeCall {
        spnId: SPN,
        amount: pharos_mainnet::system::testkit::ether(10),
    };
    world.expect_ok(ops[3].address, sc::RESTAKING, &leave, "unstake");
    let newcomer = world.operator(9, pharos_mainnet::system::testkit::ether(10));
    assert_ok(&world.restake(&newcomer, SPN, pharos_mainnet::system::testkit::ether(10)));
    world.sandbox.warp(240);
    let rotate = sc::management::Management::rotateEpochCall { spnId: SPN };
    let anyone = world.account(3);
    world.expect_ok(anyone, sc::MANAGEMENT, &rotate, "rotateEpoch");
    let epoch = world
        .sandbox
        .view(sc::REGISTRY, &Registry::currentEpochCall { spnId: SPN })
        .unwrap();
    assert_eq!(epoch, 2);

    // A checkpoint still claiming epoch 1 is refused, even with all of epoch 1's signers.
    let old = checkpoint(1, 10, 1);
    let out = world.submit_checkpoint(
        &old,
        &[(0, &ops[0]), (1, &ops[1]), (2, &ops[2]), (3, &ops[3])],
    );
    assert_reverts_with::<Adaptor::WrongEpoch>(&out);

    // In epoch 2, the departed operator cannot stand in for the newcomer (position 3).
    let c = checkpoint(2, 10, 1);
    let out = world.submit_checkpoint(&c, &[(0, &ops[0]), (1, &ops[1]), (3, &ops[3])]);
    assert_reverts_with::<Adaptor::InvalidSignature>(&out);
    assert_ok(&world.submit_checkpoint(&c, &[(0, &ops[0]), (1, &ops[1]), (3, &newcomer)]));
}

#[test]
fn signature_over_the_wrong_domain_is_rejected() {
    let (mut world, ops) = four_equal();
    let c = checkpoint(1, 10, 1);
    for (chain_id, adaptor) in [
        (1u64, sc::ADAPTOR),
        (world.chain_id, Address::repeat_byte(9)),
    ] {
        let digest = sc::checkpoint_digest(chain_id, adaptor, &c);
        let call = Adaptor::submitCheckpointCall {
            c: c.to_sol(),
            signerIndices: vec![U256::from(0), U256::from(1), U256::from(2)],
            signatures: ops[..3].iter().map(|op| op.sign(digest)).collect(),
        };
        let from = world.account(7);
        assert_reverts_with::<Adaptor::InvalidSignature>(&world.sandbox.send(
            from,
            sc::ADAPTOR,
            &call,
        ));
    }
}

#[test]
fn the_rust_digest_matches_the_adaptor() {
    let (mut world, _) = four_equal();
    let c = checkpoint(1, 10, 1);
    let on_chain = world
        .sandbox
        .view(
            sc::ADAPTOR,
            &Adaptor::checkpointDigestCall { c: c.to_sol() },
        )
        .unwrap();
    assert_eq!(on_chain, world.digest(&c));
}

#[test]
fn zero_state_root_or_block_hash_is_rejected() {
    let (mut world, ops) = four_equal();
    let signers = [(0, &ops[0]), (1, &ops[1]), (2, &ops[2])];
    let mut c = checkpoint(1, 10, 1);
    c.state_root = B256::ZERO;
    assert_reverts_with::<Adaptor::ZeroRoot>(&world.submit_checkpoint(&c, &signers));
    let mut c = checkpoint(1, 10, 1);
    c.block_hash = B256::ZERO;
    assert_reverts_with::<Adaptor::ZeroRoot>(&world.submit_checkpoint(&c, &signers));
}

#[test]
fn height_at_or_below_the_finalized_one_is_rejected() {
    let (mut world, ops) = four_equal();
    let signers = [(0, &ops[0]), (1, &ops[1]), (2, &ops[2])];
    assert_ok(&world.submit_checkpoint(&checkpoint(1, 10, 1), &signers));
    for (height, tag) in [(10, 1), (10, 7), (9, 7), (0, 7)] {
        let out = world.submit_checkpoint(&checkpoint(1, height, tag), &signers);
        assert_reverts_with::<Adaptor::StaleHeight>(&out);
    }
    assert_ok(&world.submit_checkpoint(&checkpoint(1, 11, 3), &signers));
    assert_eq!(finalized_height(&mut world), 11);
}

#[test]
fn conflicting_quorum_checkpoint_becomes_slashable_evidence() {
    let (mut world, ops) = four_equal();
    let signers = [(0, &ops[0]), (1, &ops[1]), (2, &ops[2])];
    let honest = checkpoint(1, 10, 1);
    assert_ok(&world.submit_checkpoint(&honest, &signers));
    // The same quorum signs a different block at the same height: refused as a checkpoint...
    let conflicting = checkpoint(1, 10, 9);
    assert_reverts_with::<Adaptor::StaleHeight>(&world.submit_checkpoint(&conflicting, &signers));
    // ...and each signer's two signatures are evidence that slashes it.
    let supply_before = world
        .sandbox
        .view(sc::LST, &sc::liquid_stake::LiquidStake::totalSupplyCall {})
        .unwrap();
    let reporter = world.account(5);
    for op in &ops[..3] {
        let evidence = Restaking::slashEquivocationCall {
            a: restaking_cp(&honest),
            signatureA: op.sign(world.digest(&honest)),
            b: restaking_cp(&conflicting),
            signatureB: op.sign(world.digest(&conflicting)),
            key: op.public_key(),
        };
        assert_ok(&world.sandbox.send(reporter, sc::RESTAKING, &evidence));
        let stake = world
            .sandbox
            .view(
                sc::RESTAKING,
                &Restaking::stakeOfCall {
                    _0: SPN,
                    _1: op.address,
                },
            )
            .unwrap();
        assert_eq!(stake, U256::ZERO);
        // The same evidence twice slashes once.
        assert_reverts_with::<Restaking::EvidenceAlreadyUsed>(&world.sandbox.send(
            reporter,
            sc::RESTAKING,
            &evidence,
        ));
    }
    let supply_after = world
        .sandbox
        .view(sc::LST, &sc::liquid_stake::LiquidStake::totalSupplyCall {})
        .unwrap();
    assert_eq!(
        supply_before - supply_after,
        pharos_mainnet::system::testkit::ether(30)
    );
    // An honest signer's one signature is not evidence.
    let op = &ops[3];
    let same = Restaking::slashEquivocationCall {
        a: restaking_cp(&honest),
        signatureA: op.sign(world.digest(&honest)),
        b: restaking_cp(&honest),
        signatureB: op.sign(world.digest(&honest)),
        key: op.public_key(),
    };
    assert_reverts_with::<Restaking::NotEquivocation>(&world.sandbox.send(
        reporter,
        sc::RESTAKING,
        &same,
    ));
}

#[test]
fn forged_signature_or_unknown_signer_position_is_rejected() {
    let (mut world, ops) = four_equal();
    let c = checkpoint(1, 10, 1);
    let digest = world.digest(&c);
    let mut forged = ops[2].sign(digest).to_vec();
    forged[5] ^= 1;
    let call = Adaptor::submitCheckpointCall {
        c: c.to_sol(),
        signerIndices: vec![U256::from(0), U256::from(1), U256::from(2)],
        signatures: vec![ops[0].sign(digest), ops[1].sign(digest), forged.into()],
    };
    let from = world.account(7);
    assert_reverts_with::<Adaptor::InvalidSignature>(&world.sandbox.send(from, sc::ADAPTOR, &call));
    let out = world.submit_checkpoint(&c, &[(0, &ops[0]), (1, &ops[1]), (4, &ops[2])]);
    assert_reverts_with::<Registry::SignerIndexOutOfRange>(&out);
    let out = world.submit_checkpoint(&c, &[]);
    assert_reverts_with::<Adaptor::NoSigners>(&out);
}

#[test]
fn unregistered_or_inactive_spn_gets_no_checkpoint() {
    let mut world = World::new();
    let ops = world.active_spn(SPN, 1, &[10, 10, 10, 10]);
    let mut c = checkpoint(1, 10, 1);
    c.spn_id = 555;
    let out = world.submit_checkpoint(&c, &[(0, &ops[0]), (1, &ops[1]), (2, &ops[2])]);
    assert_reverts_with::<Adaptor::SpnNotCheckpointing>(&out);
    let owner = world.account(1);
    assert_ok(&world.register_spn(owner, 556));
    c.spn_id = 556;
    let out = world.submit_checkpoint(&c, &[(0, &ops[0]), (1, &ops[1]), (2, &ops[2])]);
    assert_reverts_with::<Adaptor::SpnNotCheckpointing>(&out);
}

fn restaking_cp(c: &CheckpointData) -> sc::restaking::Restaking::Checkpoint {
    sc::restaking::Restaking::Checkpoint {
        spnId: c.spn_id,
        epoch: c.epoch,
        height: c.height,
        blockHash: c.block_hash,
        stateRoot: c.state_root,
    }
}

#[test]
fn checkpoint_of_an_expired_epoch_is_rejected_until_the_epoch_rotates() {
    let (mut world, ops) = four_equal();
    let signers = [(0, &ops[0]), (1, &ops[1]), (2, &ops[2])];
    // Two epoch lengths (2 × 240 s) after the snapshot, epoch 1's signatures stop counting.
    world.sandbox.warp(480);
    let out = world.submit_checkpoint(&checkpoint(1, 10, 1), &signers);
    assert_reverts_with::<Adaptor::EpochExpired>(&out);
    let rotate = sc::management::Management::rotateEpochCall { spnId: SPN };
    let anyone = world.account(3);
    world.expect_ok(anyone, sc::MANAGEMENT, &rotate, "rotateEpoch");
    assert_ok(&world.submit_checkpoint(&checkpoint(2, 10, 1), &signers));
}

#[test]
fn the_same_block_signed_under_two_epochs_is_not_equivocation() {
    let (mut world, ops) = four_equal();
    let first = checkpoint(1, 10, 1);
    let mut again = first;
    again.epoch = 2;
    let op = &ops[0];
    let evidence = Restaking::slashEquivocationCall {
        a: restaking_cp(&first),
        signatureA: op.sign(world.digest(&first)),
        b: restaking_cp(&again),
        signatureB: op.sign(world.digest(&again)),
        key: op.public_key(),
    };
    let reporter = world.account(5);
    let out = world.sandbox.send(reporter, sc::RESTAKING, &evidence);
    assert_reverts_with::<Restaking::NotEquivocation>(&out);
}
