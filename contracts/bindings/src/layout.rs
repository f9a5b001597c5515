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

/// Storage slot of `SpnMailbox.inboundCount` (the next inbound queue index), from the
/// compiler's storage layout; a test in `spn-chain` checks it against the contract.
pub const SPN_MAILBOX_INBOUND_COUNT_SLOT: U256 = U256::from_limbs([2, 0, 0, 0]);

/// Storage slot packing `localDomain` (bits 0..32), `mainnetDomain` (32..64) and
/// `lastMainnetBlock` (64..128) of the SPN Mailbox.
pub const SPN_MAILBOX_MAINNET_BLOCK_SLOT: U256 = U256::ZERO;

/// `lastMainnetBlock` out of [`SPN_MAILBOX_MAINNET_BLOCK_SLOT`]'s word.
pub fn spn_mailbox_mainnet_block(word: U256) -> u64 {
    (word >> 64usize).to::<u128>() as u64
}
