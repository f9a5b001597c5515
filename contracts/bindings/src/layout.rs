//! Storage slots of the SPN-side system contracts that mainnet contracts prove
//! (`contracts/src/lib/SpnLayout.sol`): SPN nodes write them, relayers prove them.

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::sol_types::SolValue;

fn base(tag: &str) -> B256 {
    keccak256(tag.as_bytes())
}

/// `outbox[messageId]` of the SPN Mailbox: 1 once the message was dispatched.
pub fn outbox_slot(message_id: B256) -> B256 {
    keccak256((message_id, base("pharos.spn.mailbox.outbox")).abi_encode())
}

/// `balance[token][account]` of the SPN Bridge.
pub fn balance_slot(token: Address, account: Address) -> B256 {
    let inner = keccak256((token, base("pharos.spn.bridge.balances")).abi_encode());
    keccak256((account, inner).abi_encode())
}

/// `processed[requestId]` of the SPN Bridge: 1 once the forced request was processed.
pub fn forced_processed_slot(request_id: U256) -> B256 {
    keccak256((request_id, base("pharos.spn.bridge.forced")).abi_encode())
}
