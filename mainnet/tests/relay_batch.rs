//! `relayMessages`: a batch of one SPN's messages proven against one finalized state root,
//! on the compiled Adaptor with the real Merkle Patricia precompile.

mod common;

use common::{
    assert_ok, assert_reverts_with, message, message_batch, queued_for, spn_with_checkpoint,
};
use pharos_contracts::{self as sc, adaptor::Adaptor};
use pharos_mainnet::system::testkit::{SpnState, World};
use spn_primitives::{keccak256, Address, Bytes};

const SPN: u32 = 100;
const OTHER_SPN: u32 = 200;
const HEIGHT: u64 = 20;

fn msg(nonce: u32, body: &[u8]) -> Bytes {
    message(
        nonce,
        SPN,
        Address::repeat_byte(0x51),
        OTHER_SPN,
        Address::repeat_byte(0x52),
        body,
    )
}

/// `n` messages in SPN 100's outbox at a finalized checkpoint, SPN 200 active.
fn setup(n: u32) -> (World, SpnState, Vec<Bytes>) {
    let mut world = World::new();
    let mut state = SpnState::new();
    let msgs: Vec<Bytes> = (0..n).map(|i| msg(i, &i.to_be_bytes())).collect();
    for m in &msgs {
        state.dispatch(keccak256(m));
    }
    spn_with_checkpoint(&mut world, SPN, HEIGHT, &state);
    world.active_spn(OTHER_SPN, 40, &[5, 5, 5]);
    (world, state, msgs)
}

fn relay_batch(world: &mut World, b: Adaptor::MessageBatch) -> pharos_mainnet::system::Outcome {
    let relayer = world.account(8);
    let call = Adaptor::relayMessagesCall {
        spnId: SPN,
        height: HEIGHT,
        batch: b,
    };
    world.sandbox.send(relayer, sc::ADAPTOR, &call)
}

fn queued(world: &mut World) -> Vec<Bytes> {
    queued_for(world, OTHER_SPN)
}

#[test]
fn a_batch_queues_every_message_in_order() {
    let (mut world, state, msgs) = setup(20);
    assert_ok(&relay_batch(&mut world, message_batch(&state, &msgs)));
    assert_eq!(queued(&mut world), msgs, "all 20, in batch order");
}

#[test]
fn messages_already_relayed_are_skipped_not_refused() {
    let (mut world, state, msgs) = setup(6);
    // Another relayer was first with two of them, in its own batch.
    assert_ok(&relay_batch(
        &mut world,
        message_batch(&state, &[msgs[1].clone(), msgs[4].clone()]),
    ));
    assert_ok(&relay_batch(&mut world, message_batch(&state, &msgs)));
    let q = queued(&mut world);
    assert_eq!(q.len(), 6, "each queued once");
    let expected: Vec<Bytes> = [1, 4, 0, 2, 3, 5]
        .iter()
        .map(|i| msgs[*i].clone())
        .collect();
    assert_eq!(q, expected);
    // The same batch a third time changes nothing and does not revert.
    assert_ok(&relay_batch(&mut world, message_batch(&state, &msgs)));
    assert_eq!(queued(&mut world).len(), 6);
}

#[test]
fn one_forged_message_refuses_the_whole_batch() {
    let (mut world, state, msgs) = setup(5);
    let mut b = message_batch(&state, &msgs);
    // A message not in the outbox, carrying message 3's valid proof.
    b.messages[3] = msg(99, b"forged");
    assert_reverts_with::<Adaptor::InvalidStorageProof>(&relay_batch(&mut world, b));
    assert!(queued(&mut world).is_empty(), "nothing queued");

    // A flipped byte in one storage proof.
    let mut b = message_batch(&state, &msgs);
    let node = b.storageProofs[2].last_mut().unwrap();
    let mut bytes = node.to_vec();
    let at = bytes.len() - 1;
    bytes[at] ^= 1;
    *node = bytes.into();
    assert_reverts_with::<Adaptor::InvalidStorageProof>(&relay_batch(&mut world, b));

    // The shared account proof of another account leaf.
    let mut b = message_batch(&state, &msgs);
    let mut leaf = b.accountRlp.to_vec();
    let at = leaf.len() - 40;
    leaf[at] ^= 1;
    b.accountRlp = leaf.into();
    assert_reverts_with::<Adaptor::InvalidAccountProof>(&relay_batch(&mut world, b));
    assert!(queued(&mut world).is_empty(), "still nothing queued");

    // The honest batch still goes through.
    assert_ok(&relay_batch(&mut world, message_batch(&state, &msgs)));
    assert_eq!(queued(&mut world), msgs);
}
