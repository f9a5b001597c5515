//! Helpers shared by the system-contract tests.
#![allow(dead_code)]

use alloy_sol_types::{SolError, SolValue};
use pharos_contracts as sc;
use pharos_mainnet::system::testkit::{Operator, SpnState, World};
use pharos_mainnet::system::Outcome;
use spn_primitives::{keccak256, Address, Bytes, GenesisAccount, B256, U256};

/// Assert that `out` reverted with custom error `E`.
#[track_caller]
pub fn assert_reverts_with<E: SolError>(out: &Outcome) {
    assert!(!out.success, "expected {} but it succeeded", E::SIGNATURE);
    assert!(
        out.output.len() >= 4 && out.output[..4] == E::SELECTOR,
        "expected {}, got revert data {}",
        E::SIGNATURE,
        out.output
    );
}

/// Assert success, showing the revert data otherwise.
#[track_caller]
pub fn assert_ok(out: &Outcome) {
    assert!(out.success, "reverted: {}", out.output);
}

/// A Hyperlane v3 message.
pub fn message(
    nonce: u32,
    origin: u32,
    sender: Address,
    destination: u32,
    recipient: Address,
    body: &[u8],
) -> Bytes {
    sc::message::Message::new(nonce, origin, sender, destination, recipient, body.to_vec()).encode()
}

/// Deploy the RecordingRecipient fixture at a fixed address.
pub fn deploy_recipient(world: &mut World) -> Address {
    let artifact: serde_json::Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/RecordingRecipient.json"
    ))
    .unwrap();
    let code: Bytes = artifact["deployedBytecode"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let address = Address::from_word(keccak256("recording-recipient"));
    world.sandbox.put_account(
        address,
        &GenesisAccount {
            nonce: 1,
            code: Some(code),
            ..Default::default()
        },
    );
    address
}

/// An active SPN `spn_id` with four equal operators (10 ether each) and a finalized
/// checkpoint at `height` over `state`.
pub fn spn_with_checkpoint(
    world: &mut World,
    spn_id: u32,
    height: u64,
    state: &SpnState,
) -> Vec<Operator> {
    let ops = world.active_spn(spn_id, u64::from(spn_id) * 100, &[10, 10, 10, 10]);
    let c = sc::CheckpointData {
        spn_id,
        epoch: 1,
        height,
        block_hash: keccak256(format!("block-{height}")),
        state_root: state.root(),
    };
    assert_ok(&world.submit_checkpoint(&c, &[(0, &ops[0]), (1, &ops[1]), (2, &ops[2])]));
    ops
}

/// A withdrawal body as the SPN Bridge sends it.
pub fn withdrawal_body(token: Address, to: Address, amount: U256, id: u64) -> Vec<u8> {
    (U256::from(2u8), token, to, amount, U256::from(id)).abi_encode_params()
}

/// A B256 with every byte `b`.
pub fn filled(b: u8) -> B256 {
    B256::repeat_byte(b)
}

/// `msgs` with their SPN Mailbox outbox proofs in `state`, as one `relayMessages` batch.
pub fn message_batch(state: &SpnState, msgs: &[Bytes]) -> sc::adaptor::Adaptor::MessageBatch {
    let mut b = sc::adaptor::Adaptor::MessageBatch {
        accountRlp: Bytes::new(),
        accountProof: vec![],
        messages: msgs.to_vec(),
        storageProofs: vec![],
    };
    for m in msgs {
        let p = state.proof(sc::SPN_MAILBOX, sc::layout::outbox_slot(keccak256(m)));
        b.accountRlp = p.accountRlp;
        b.accountProof = p.accountProof;
        b.storageProofs.push(p.storageProof);
    }
    b
}

/// The messages the mainnet Mailbox queued for SPN `destination` (the first 1 000).
pub fn queued_for(world: &mut World, destination: u32) -> Vec<Bytes> {
    world
        .sandbox
        .view(
            sc::MAILBOX,
            &sc::mailbox::Mailbox::messagesForCall {
                destination,
                from: U256::ZERO,
                max: U256::from(1_000),
            },
        )
        .unwrap()
}
