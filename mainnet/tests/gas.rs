//! Gas of the checkpoint and relay paths, on the compiled contracts with the real precompiles.
//! Deterministic; the numbers are recorded in docs/performance.md. Print them with
//! `cargo test --release -p pharos-mainnet --test gas -- --nocapture`.

mod common;

use common::{assert_ok, message, message_batch, spn_with_checkpoint};
use pharos_contracts::{self as sc, adaptor::Adaptor, CheckpointData};
use pharos_mainnet::system::testkit::{Operator, SpnState, World};
use spn_primitives::{keccak256, Address};

/// Gas of `submitCheckpoint` signed by every one of `n` equal operators.
fn checkpoint_gas(n: usize) -> u64 {
    let mut world = World::new();
    let stakes = vec![10u64; n];
    let ops = world.active_spn(100, 1, &stakes);
    let c = CheckpointData {
        spn_id: 100,
        epoch: 1,
        height: 10,
        block_hash: keccak256("block"),
        state_root: keccak256("state"),
    };
    let signers: Vec<(usize, &Operator)> = ops.iter().enumerate().collect();
    let out = world.submit_checkpoint(&c, &signers);
    assert_ok(&out);
    out.gas_used
}

/// Gas of `relayMessage` for a message in an SPN state of `accounts` accounts whose Mailbox
/// outbox holds `outbox` messages, queued for another SPN.
fn relay_gas(accounts: u64, outbox: u32) -> (u64, usize, usize) {
    let mut world = World::new();
    let mut state = SpnState::with_bystanders(accounts);
    let mut target = None;
    for i in 0..outbox {
        let m = message(
            i,
            100,
            Address::repeat_byte(0x51),
            200,
            Address::repeat_byte(0x52),
            &[7u8; 100],
        );
        state.dispatch(keccak256(&m));
        target = Some(m);
    }
    let msg = target.expect("at least one message");
    spn_with_checkpoint(&mut world, 100, 20, &state);
    world.active_spn(200, 40, &[5, 5, 5]);
    let proof = state.proof(sc::SPN_MAILBOX, sc::layout::outbox_slot(keccak256(&msg)));
    let depth = (proof.accountProof.len(), proof.storageProof.len());
    let relayer = world.account(8);
    let call = Adaptor::relayMessageCall {
        spnId: 100,
        height: 20,
        message: msg,
        proof,
    };
    let out = world.sandbox.send(relayer, sc::ADAPTOR, &call);
    assert_ok(&out);
    (out.gas_used, depth.0, depth.1)
}

#[test]
fn submit_checkpoint_gas_grows_linearly_with_signers() {
    let mut last = 0;
    for n in [4, 16, 64] {
        let gas = checkpoint_gas(n);
        println!(
            "submitCheckpoint, {n:>2} signers: {gas} gas ({} per signer)",
            gas / n as u64
        );
        assert!(gas > last);
        // A budget, not a timing: 64 signers fit comfortably in a 30M-gas block.
        assert!(
            gas < 150_000 + 25_000 * n as u64,
            "{n} signers used {gas} gas"
        );
        last = gas;
    }
}

/// Gas per message of `relayMessages` with `n` of 1 000 outbox messages in a 10 000-account
/// SPN state.
fn batch_gas_per_message(n: u32) -> u64 {
    let mut world = World::new();
    let mut state = SpnState::with_bystanders(10_000);
    let msgs: Vec<_> = (0..1_000)
        .map(|i| {
            message(
                i,
                100,
                Address::repeat_byte(0x51),
                200,
                Address::repeat_byte(0x52),
                &[7u8; 100],
            )
        })
        .collect();
    for m in &msgs {
        state.dispatch(keccak256(m));
    }
    spn_with_checkpoint(&mut world, 100, 20, &state);
    world.active_spn(200, 40, &[5, 5, 5]);
    let batch = message_batch(&state, &msgs[..n as usize]);
    let relayer = world.account(8);
    let call = Adaptor::relayMessagesCall {
        spnId: 100,
        height: 20,
        batch,
    };
    let out = world.sandbox.send(relayer, sc::ADAPTOR, &call);
    assert_ok(&out);
    out.gas_used / u64::from(n)
}

#[test]
fn relay_messages_gas_per_message_falls_with_the_batch() {
    let single = batch_gas_per_message(1);
    let batched = batch_gas_per_message(50);
    println!("relayMessages, 10 000 accounts / 1 000 outbox messages: 1 per batch {single} gas, 50 per batch {batched} gas per message");
    assert!(
        batched < single,
        "{batched} per message in a batch vs {single} alone"
    );
    assert!(batched < 400_000, "{batched} gas per batched message");
}

#[test]
fn relay_message_gas() {
    for (accounts, outbox) in [(16, 1), (10_000, 1_000)] {
        let (gas, account_nodes, storage_nodes) = relay_gas(accounts, outbox);
        println!(
            "relayMessage, {accounts} accounts / {outbox} outbox messages (proof nodes {account_nodes}+{storage_nodes}): {gas} gas"
        );
        assert!(gas < 600_000, "relay used {gas} gas");
    }
}
