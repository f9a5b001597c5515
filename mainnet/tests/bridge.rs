//! Deposits into the mainnet Bridge: measured escrow per SPN and token, no codeless tokens.

mod common;

use alloy_sol_types::{SolCall, SolValue};
use common::{assert_ok, assert_reverts_with};
use pharos_contracts::{self as sc, bridge::Bridge, liquid_stake::LiquidStake, mailbox::Mailbox};
use pharos_mainnet::system::testkit::{ether, World};
use spn_primitives::{Address, U256};

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
