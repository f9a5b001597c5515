//! Message relay: storage proofs against a finalized SPN state root, verified on the compiled
//! Adaptor in revm by the mainnet's Merkle Patricia precompile.

mod common;

use common::{
    assert_ok, assert_reverts_with, deploy_recipient, message, queued_for, spn_with_checkpoint,
    withdrawal_body,
};
use pharos_contracts::{self as sc, adaptor::Adaptor, bridge::Bridge, mailbox::Mailbox};
use pharos_mainnet::system::testkit::{ether, SpnState, World};
use spn_primitives::{keccak256, Address, Bytes, U256};

const SPN: u32 = 100;
const OTHER_SPN: u32 = 200;
const HEIGHT: u64 = 20;

fn relay(
    world: &mut World,
    height: u64,
    msg: &Bytes,
    proof: Adaptor::SlotProof,
) -> pharos_mainnet::system::Outcome {
    let relayer = world.account(8);
    let call = Adaptor::relayMessageCall {
        spnId: SPN,
        height,
        message: msg.clone(),
        proof,
    };
    world.sandbox.send(relayer, sc::ADAPTOR, &call)
}

fn status(world: &mut World, msg: &Bytes) -> u8 {
    world
        .sandbox
        .view(
            sc::MAILBOX,
            &<Mailbox::statusCall as alloy_sol_types::SolCall>::new((keccak256(msg),)),
        )
        .unwrap()
}

/// SPN 100 with `msgs` in its outbox at a finalized checkpoint.
fn setup(msgs: &[&Bytes]) -> (World, SpnState) {
    let mut world = World::new();
    let mut state = SpnState::new();
    for m in msgs {
        state.dispatch(keccak256(m));
    }
    spn_with_checkpoint(&mut world, SPN, HEIGHT, &state);
    (world, state)
}

fn proof_of(state: &SpnState, msg: &Bytes) -> Adaptor::SlotProof {
    state.proof(sc::SPN_MAILBOX, sc::layout::outbox_slot(keccak256(msg)))
}

#[test]
fn valid_storage_proof_relays_to_a_mainnet_recipient() {
    let sender = Address::repeat_byte(0x51);
    let mut world = World::new();
    let recipient = deploy_recipient(&mut world);
    let msg = message(
        0,
        SPN,
        sender,
        world.chain_id as u32,
        recipient,
        b"hello mainnet",
    );
    let mut state = SpnState::new();
    state.dispatch(keccak256(&msg));
    spn_with_checkpoint(&mut world, SPN, HEIGHT, &state);

    assert_ok(&relay(&mut world, HEIGHT, &msg, proof_of(&state, &msg)));
    assert_eq!(status(&mut world, &msg), 2, "delivered");
    let out = world.sandbox.call(
        Address::ZERO,
        recipient,
        alloy_sol_types::SolCall::abi_encode(&handledCall {}).into(),
    );
    assert_eq!(U256::from_be_slice(&out.output), U256::from(1));
}

alloy_sol_types::sol! {
    function handled() external view returns (uint256);
}

#[test]
fn valid_storage_proof_queues_a_message_for_another_spn() {
    let msg = message(
        0,
        SPN,
        Address::repeat_byte(0x51),
        OTHER_SPN,
        Address::repeat_byte(0x52),
        b"to spn 200",
    );
    let (mut world, state) = setup(&[&msg]);
    world.active_spn(OTHER_SPN, 40, &[5, 5, 5]);
    assert_ok(&relay(&mut world, HEIGHT, &msg, proof_of(&state, &msg)));
    assert_eq!(status(&mut world, &msg), 1, "queued for SPN 200");
    assert_eq!(queued_for(&mut world, OTHER_SPN), vec![msg]);
}

#[test]
fn the_same_message_again_is_rejected() {
    let msg = message(
        0,
        SPN,
        Address::repeat_byte(0x51),
        OTHER_SPN,
        Address::repeat_byte(0x52),
        b"once",
    );
    let (mut world, state) = setup(&[&msg]);
    world.active_spn(OTHER_SPN, 40, &[5, 5, 5]);
    assert_ok(&relay(&mut world, HEIGHT, &msg, proof_of(&state, &msg)));
    assert_reverts_with::<Adaptor::AlreadyRelayed>(&relay(
        &mut world,
        HEIGHT,
        &msg,
        proof_of(&state, &msg),
    ));
    let len = world
        .sandbox
        .view(
            sc::MAILBOX,
            &Mailbox::queueLengthCall {
                destination: OTHER_SPN,
            },
        )
        .unwrap();
    assert_eq!(len, U256::from(1));
}

#[test]
fn altered_proof_is_rejected() {
    let msg = message(
        0,
        SPN,
        Address::repeat_byte(0x51),
        OTHER_SPN,
        Address::repeat_byte(0x52),
        b"proof",
    );
    let (mut world, state) = setup(&[&msg]);
    world.active_spn(OTHER_SPN, 40, &[5, 5, 5]);
    let good = proof_of(&state, &msg);

    // A flipped byte in the last storage proof node.
    let mut p = good.clone();
    let last = p.storageProof.len() - 1;
    let mut node = p.storageProof[last].to_vec();
    let at = node.len() - 1;
    node[at] ^= 1;
    p.storageProof[last] = node.into();
    assert_reverts_with::<Adaptor::InvalidStorageProof>(&relay(&mut world, HEIGHT, &msg, p));

    // A different account leaf (e.g. another storage root).
    let mut p = good.clone();
    let mut leaf = p.accountRlp.to_vec();
    let at = leaf.len() - 40;
    leaf[at] ^= 1;
    p.accountRlp = leaf.into();
    assert_reverts_with::<Adaptor::InvalidAccountProof>(&relay(&mut world, HEIGHT, &msg, p));

    // A truncated account proof.
    let mut p = good.clone();
    p.accountProof.pop();
    assert_reverts_with::<Adaptor::InvalidAccountProof>(&relay(&mut world, HEIGHT, &msg, p));

    // A message that is not in the outbox, with another message's valid proof.
    let forged = message(
        1,
        SPN,
        Address::repeat_byte(0x51),
        OTHER_SPN,
        Address::repeat_byte(0x52),
        b"forged",
    );
    assert_reverts_with::<Adaptor::InvalidStorageProof>(&relay(
        &mut world,
        HEIGHT,
        &forged,
        good.clone(),
    ));

    // A height that was never finalized, and a message claiming another origin.
    assert_reverts_with::<Adaptor::UnknownCheckpoint>(&relay(
        &mut world,
        HEIGHT + 1,
        &msg,
        good.clone(),
    ));
    let foreign = message(
        0,
        300,
        Address::repeat_byte(0x51),
        OTHER_SPN,
        Address::repeat_byte(0x52),
        b"proof",
    );
    assert_reverts_with::<Adaptor::WrongOrigin>(&relay(&mut world, HEIGHT, &foreign, good.clone()));

    // Nothing of that changed anything: the real message still relays once.
    assert_eq!(status(&mut world, &msg), 0);
    assert_ok(&relay(&mut world, HEIGHT, &msg, good));
}

#[test]
fn system_contract_as_recipient_is_rejected() {
    let mut world = World::new();
    let mainnet = world.chain_id as u32;
    let sender = Address::repeat_byte(0x51);
    let targets = [
        sc::REGISTRY,
        sc::MANAGEMENT,
        sc::STAKING,
        sc::LST,
        sc::RESTAKING,
        sc::ADAPTOR,
        sc::MAILBOX,
        sc::BRIDGE,
    ];
    let msgs: Vec<Bytes> = targets
        .iter()
        .map(|t| {
            message(
                0,
                SPN,
                sender,
                mainnet,
                *t,
                &withdrawal_body(sc::NATIVE_TOKEN, sender, ether(1), 1),
            )
        })
        .collect();
    let mut state = SpnState::new();
    for m in &msgs {
        state.dispatch(keccak256(m));
    }
    spn_with_checkpoint(&mut world, SPN, HEIGHT, &state);
    for m in &msgs {
        let out = relay(&mut world, HEIGHT, m, proof_of(&state, m));
        assert_reverts_with::<Mailbox::SystemRecipient>(&out);
        assert_eq!(status(&mut world, m), 0);
    }
}

#[test]
fn withdrawal_from_the_spn_bridge_is_paid_exactly_once() {
    let mut world = World::new();
    let mainnet = world.chain_id as u32;
    let user = world.account(21);
    let payee = Address::repeat_byte(0x77);
    // Escrow first: the user deposits 3 ether to SPN 100 (needs an active SPN).
    let ops = world.active_spn(SPN, 1, &[10, 10, 10, 10]);
    let deposit = Bridge::depositNativeCall {
        spnId: SPN,
        to: user,
    };
    let out = world.sandbox.transact(
        user,
        sc::BRIDGE,
        ether(3),
        alloy_sol_types::SolCall::abi_encode(&deposit).into(),
    );
    assert_ok(&out);

    let body = withdrawal_body(sc::NATIVE_TOKEN, payee, ether(2), 1);
    let msg = message(0, SPN, sc::SPN_BRIDGE, mainnet, sc::BRIDGE, &body);
    // The same withdrawal id in a second message must not pay again.
    let again = message(1, SPN, sc::SPN_BRIDGE, mainnet, sc::BRIDGE, &body);
    // A user contract on the SPN impersonating the Bridge's message.
    let impostor = message(
        2,
        SPN,
        Address::repeat_byte(0x66),
        mainnet,
        sc::BRIDGE,
        &withdrawal_body(sc::NATIVE_TOKEN, payee, ether(1), 2),
    );
    let mut state = SpnState::new();
    for m in [&msg, &again, &impostor] {
        state.dispatch(keccak256(m));
    }
    let c = sc::CheckpointData {
        spn_id: SPN,
        epoch: 1,
        height: HEIGHT,
        block_hash: keccak256("b"),
        state_root: state.root(),
    };
    assert_ok(&world.submit_checkpoint(&c, &[(0, &ops[0]), (1, &ops[1]), (2, &ops[2])]));

    assert_ok(&relay(&mut world, HEIGHT, &msg, proof_of(&state, &msg)));
    assert_eq!(world.sandbox.balance(payee), ether(2));
    assert_eq!(status(&mut world, &msg), 2);
    assert_reverts_with::<Adaptor::AlreadyRelayed>(&relay(
        &mut world,
        HEIGHT,
        &msg,
        proof_of(&state, &msg),
    ));

    // The duplicate id is delivered but its payment fails: it stays failed, nothing paid.
    assert_ok(&relay(&mut world, HEIGHT, &again, proof_of(&state, &again)));
    assert_eq!(status(&mut world, &again), 3, "failed, not paid");
    // Only the SPN Bridge may message the mainnet Bridge.
    let out = relay(&mut world, HEIGHT, &impostor, proof_of(&state, &impostor));
    assert_reverts_with::<Mailbox::SystemRecipient>(&out);
    assert_eq!(world.sandbox.balance(payee), ether(2));
    let escrow = world
        .sandbox
        .view(
            sc::BRIDGE,
            &Bridge::escrowedCall {
                _0: SPN,
                _1: sc::NATIVE_TOKEN,
            },
        )
        .unwrap();
    assert_eq!(escrow, ether(1));
}
