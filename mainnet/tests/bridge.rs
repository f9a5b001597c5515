//! Deposits into the mainnet Bridge: measured escrow per SPN and token, no codeless tokens,
//! and refunds of those a frozen SPN never took in.

mod common;

use alloy_sol_types::{SolCall, SolValue};
use common::{assert_ok, assert_reverts_with};
use pharos_contracts::{self as sc, bridge::Bridge, liquid_stake::LiquidStake, mailbox::Mailbox};
use pharos_mainnet::system::testkit::{ether, SpnState, World};
use spn_primitives::{keccak256, Address, B256, U256};

const SPN: u32 = 100;

fn escrowed(world: &mut World, token: Address) -> U256 {
    world
        .sandbox
        .view(sc::BRIDGE, &Bridge::escrowedCall { _0: SPN, _1: token })
        .unwrap()
}

#[test]
fn deposit_of_a_codeless_token_is_rejected() {
    let mut world = World::new();
    world.active_spn(SPN, 1, &[10, 10, 10]);
    let user = world.account(30);
    for token in [Address::ZERO, Address::repeat_byte(0x42), sc::NATIVE_TOKEN] {
        let call = Bridge::depositERC20Call {
            spnId: SPN,
            token,
            amount: ether(1),
            to: user,
        };
        let out = world.sandbox.send(user, sc::BRIDGE, &call);
        assert_reverts_with::<Bridge::CodelessToken>(&out);
        assert_eq!(escrowed(&mut world, token), U256::ZERO);
    }
    let queued = world
        .sandbox
        .view(sc::MAILBOX, &Mailbox::queueLengthCall { destination: SPN })
        .unwrap();
    assert_eq!(queued, U256::ZERO, "no deposit message was sent");
}

#[test]
fn native_deposit_is_escrowed_and_messaged_to_the_spn_bridge() {
    let mut world = World::new();
    world.active_spn(SPN, 1, &[10, 10, 10]);
    let user = world.account(31);
    let call = Bridge::depositNativeCall {
        spnId: SPN,
        to: user,
    };
    let out = world
        .sandbox
        .transact(user, sc::BRIDGE, ether(4), call.abi_encode().into());
    assert_ok(&out);
    assert_eq!(escrowed(&mut world, sc::NATIVE_TOKEN), ether(4));
    let queued = world
        .sandbox
        .view(
            sc::MAILBOX,
            &Mailbox::messagesForCall {
                destination: SPN,
                from: U256::ZERO,
                max: U256::from(5),
            },
        )
        .unwrap();
    assert_eq!(queued.len(), 1);
    let m = &queued[0];
    assert_eq!(
        &m[45..77],
        sc::SPN_BRIDGE.into_word().as_slice(),
        "to the SPN Bridge"
    );
    assert_eq!(
        &m[9..41],
        sc::BRIDGE.into_word().as_slice(),
        "from the mainnet Bridge"
    );
    let (kind, token, to, amount, nonce) =
        <(U256, Address, Address, U256, U256)>::abi_decode_params(&m[77..]).unwrap();
    assert_eq!(
        (kind, token, to, amount, nonce),
        (
            U256::from(1),
            sc::NATIVE_TOKEN,
            user,
            ether(4),
            U256::from(1)
        )
    );
}

#[test]
fn erc20_deposit_credits_what_the_bridge_received() {
    let mut world = World::new();
    world.active_spn(SPN, 1, &[10, 10, 10]);
    // The LST is a real ERC-20: stake for some, approve the Bridge, deposit.
    let op = world.operator(77, ether(6));
    let approve = LiquidStake::approveCall {
        spender: sc::BRIDGE,
        value: ether(6),
    };
    world.expect_ok(op.address, sc::LST, &approve, "approve");
    let call = Bridge::depositERC20Call {
        spnId: SPN,
        token: sc::LST,
        amount: ether(6),
        to: op.address,
    };
    assert_ok(&world.sandbox.send(op.address, sc::BRIDGE, &call));
    assert_eq!(escrowed(&mut world, sc::LST), ether(6));
    let held = world
        .sandbox
        .view(
            sc::LST,
            &LiquidStake::balanceOfCall {
                account: sc::BRIDGE,
            },
        )
        .unwrap();
    assert_eq!(held, ether(6));
}

#[test]
fn deposit_to_an_spn_that_is_not_active_is_rejected() {
    let mut world = World::new();
    let user = world.account(32);
    assert_ok(&world.register_spn(user, SPN));
    let call = Bridge::depositNativeCall {
        spnId: SPN,
        to: user,
    };
    let out = world
        .sandbox
        .transact(user, sc::BRIDGE, ether(1), call.abi_encode().into());
    assert_reverts_with::<Bridge::SpnNotOpen>(&out);
    let out = world.sandbox.transact(
        user,
        sc::BRIDGE,
        ether(1),
        Bridge::depositNativeCall {
            spnId: 999,
            to: user,
        }
        .abi_encode()
        .into(),
    );
    assert_reverts_with::<Bridge::SpnNotOpen>(&out);
    assert_eq!(world.sandbox.balance(sc::BRIDGE), U256::ZERO);
}

/// The SPN Mailbox's `inboundCount` slot.
fn inbound_count_slot() -> B256 {
    B256::from(sc::layout::SPN_MAILBOX_INBOUND_COUNT_SLOT)
}

fn bridge_proof(p: sc::adaptor::Adaptor::SlotProof) -> Bridge::SlotProof {
    Bridge::SlotProof {
        accountRlp: p.accountRlp,
        accountProof: p.accountProof,
        storageProof: p.storageProof,
    }
}

/// A frozen SPN whose last finalized state (a real trie, proven through the real Merkle
/// Patricia precompile) shows `taken_in` inbound messages: deposits at queue indices below it
/// stay with the SPN's balances, the others are refunded to their depositor once. With
/// `taken_in` 0 the slot is absent and the proof is one of absence.
#[test]
fn frozen_spn_refunds_the_deposits_it_never_took_in() {
    for taken_in in [0u64, 1] {
        let mut world = World::new();
        let ops = world.active_spn(SPN, 1, &[10, 10, 10]);
        let user = world.account(40);
        let mut records = Vec::new();
        for (i, amount) in [ether(3), ether(2)].into_iter().enumerate() {
            let call = Bridge::depositNativeCall {
                spnId: SPN,
                to: user,
            };
            assert_ok(
                &world
                    .sandbox
                    .transact(user, sc::BRIDGE, amount, call.abi_encode().into()),
            );
            let record = Bridge::DepositRecord {
                spnId: SPN,
                token: sc::NATIVE_TOKEN,
                from: user,
                amount,
                queueIndex: U256::from(i),
            };
            let id = U256::from(i + 1);
            let commitment = world
                .sandbox
                .view(sc::BRIDGE, &Bridge::depositCommitmentCall(id))
                .unwrap();
            assert_eq!(commitment, keccak256(record.abi_encode()), "commitment");
            records.push((id, record));
        }
        // The SPN Mailbox's storage as a real one has it: domains, handle gas, inbound count.
        let mut state = SpnState::new();
        state.set(sc::SPN_MAILBOX, B256::ZERO, U256::from(SPN));
        state.set(
            sc::SPN_MAILBOX,
            B256::with_last_byte(1),
            U256::from(1_000_000),
        );
        state.set(sc::SPN_MAILBOX, inbound_count_slot(), U256::from(taken_in));
        let c = sc::CheckpointData {
            spn_id: SPN,
            epoch: 1,
            height: 10,
            block_hash: keccak256("block-10"),
            state_root: state.root(),
        };
        assert_ok(&world.submit_checkpoint(&c, &[(0, &ops[0]), (1, &ops[1]), (2, &ops[2])]));

        // Not frozen yet: refused.
        let proof = bridge_proof(state.proof(sc::SPN_MAILBOX, inbound_count_slot()));
        let refund = |i: usize, count: u64| Bridge::refundDepositCall {
            depositId: records[i].0,
            d: records[i].1.clone(),
            inboundCount: U256::from(count),
            proof: proof.clone(),
        };
        assert_reverts_with::<Bridge::NotFrozen>(&world.sandbox.send(
            user,
            sc::BRIDGE,
            &refund(1, taken_in),
        ));

        // Freeze through an ignored forced request.
        let requester = world.account(41);
        let request = Bridge::requestForcedWithdrawalCall {
            spnId: SPN,
            token: sc::NATIVE_TOKEN,
            amount: ether(1),
        };
        let bond = world.params.force_bond;
        assert_ok(&world.sandbox.transact(
            requester,
            sc::BRIDGE,
            bond,
            request.abi_encode().into(),
        ));
        world.sandbox.warp(301);
        let freeze = Bridge::freezeCall {
            requestId: U256::from(1),
        };
        assert_ok(&world.sandbox.send(requester, sc::BRIDGE, &freeze));

        // A false count is refused, whichever way it lies.
        let wrong = if taken_in == 0 { 1 } else { 0 };
        assert_reverts_with::<StateProof::InvalidStorageProof>(&world.sandbox.send(
            user,
            sc::BRIDGE,
            &refund(1, wrong),
        ));
        // Deposit 0 was taken in iff the count passed it; deposit 1 never was.
        let before = world.sandbox.balance(user);
        let first = world.sandbox.send(user, sc::BRIDGE, &refund(0, taken_in));
        if taken_in == 0 {
            assert_ok(&first);
        } else {
            assert_reverts_with::<Bridge::DepositWasDelivered>(&first);
        }
        assert_ok(&world.sandbox.send(user, sc::BRIDGE, &refund(1, taken_in)));
        let refunded = if taken_in == 0 { ether(5) } else { ether(2) };
        assert_eq!(world.sandbox.balance(user) - before, refunded, "refunded");
        assert_reverts_with::<Bridge::DepositAlreadyRefunded>(&world.sandbox.send(
            user,
            sc::BRIDGE,
            &refund(1, taken_in),
        ));
        assert_eq!(escrowed(&mut world, sc::NATIVE_TOKEN), ether(5) - refunded);
    }
}

alloy_sol_types::sol! {
    library StateProof {
        error InvalidStorageProof();
    }
}
