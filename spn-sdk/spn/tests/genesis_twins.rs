//! The SPN genesis holds working twins, and the storage slots the block producer reads are the
//! contract's.

use alloy_sol_types::{SolCall, SolValue};
use pharos_contracts::{
    self as sc, layout, message::Message, spn_bridge::SpnBridge, spn_mailbox::SpnMailbox,
};
use spn_chain::{spn_chain_spec, SpnConfig};
use spn_execution::{NoExtensions, Sandbox};
use spn_primitives::{Address, U256};
use std::sync::Arc;

fn config() -> SpnConfig {
    SpnConfig::from_toml(
        "spn_id = 1001\nname = \"demo\"\nmainnet_rpc = \"http://127.0.0.1:8545\"\nmainnet_chain_id = 31337\n",
    )
    .unwrap()
}

fn deposit(index: u32, to: Address, amount: U256) -> Message {
    let body = (
        U256::from(1),
        sc::NATIVE_TOKEN,
        to,
        amount,
        U256::from(index + 1),
    )
        .abi_encode_params();
    Message::new(index, 31337, sc::BRIDGE, 1001, sc::SPN_BRIDGE, body)
}

#[test]
fn inbound_deposits_credit_the_spn_bridge_in_queue_order() {
    let spec = spn_chain_spec(&config()).unwrap();
    let mut sb = Sandbox::from_alloc(spec.chain_id, 0, Arc::new(NoExtensions), &spec.alloc);
    let user = Address::repeat_byte(0x42);
    let set = SpnMailbox::setMainnetBlockCall { number: 12 };
    assert!(sb.send(sc::SYSTEM_CALLER, sc::SPN_MAILBOX, &set).success);
    for i in 0..3u32 {
        let call = SpnMailbox::deliverInboundCall {
            queueIndex: U256::from(i),
            message: deposit(i, user, U256::from(100 + i)).encode(),
        };
        let out = sb.send(sc::SYSTEM_CALLER, sc::SPN_MAILBOX, &call);
        assert!(out.success, "{}", out.output);
    }
    // Out of order: refused.
    let skip = SpnMailbox::deliverInboundCall {
        queueIndex: U256::from(5),
        message: deposit(5, user, U256::from(1)).encode(),
    };
    assert!(!sb.send(sc::SYSTEM_CALLER, sc::SPN_MAILBOX, &skip).success);
    let balance = sb
        .view(
            sc::SPN_BRIDGE,
            &SpnBridge::balanceOfCall {
                token: sc::NATIVE_TOKEN,
                account: user,
            },
        )
        .unwrap();
    assert_eq!(balance, U256::from(303));

    // The slots the block producer reads hold what the views say.
    let count = sb
        .view(sc::SPN_MAILBOX, &SpnMailbox::inboundCountCall {})
        .unwrap();
    let storage = sb.storage(sc::SPN_MAILBOX);
    let slot = |s: U256| {
        storage
            .get(&spn_primitives::B256::from(s))
            .map(|v| U256::from_be_bytes(v.0))
            .unwrap_or_default()
    };
    assert_eq!(count, U256::from(3));
    assert_eq!(slot(layout::SPN_MAILBOX_INBOUND_COUNT_SLOT), count);
    let block = sb
        .view(sc::SPN_MAILBOX, &SpnMailbox::lastMainnetBlockCall {})
        .unwrap();
    assert_eq!(block, 12);
    assert_eq!(
        layout::spn_mailbox_mainnet_block(slot(layout::SPN_MAILBOX_MAINNET_BLOCK_SLOT)),
        12
    );
    // Nobody else may deliver.
    let call = SpnMailbox::deliverInboundCall {
        queueIndex: U256::from(3),
        message: deposit(3, user, U256::from(1)).encode(),
    };
    assert!(
        !sb.transact(user, sc::SPN_MAILBOX, U256::ZERO, call.abi_encode().into())
            .success
    );
}
