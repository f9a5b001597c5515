// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title SpnLayout
/// @notice Storage slots of the SPN-side system contracts that mainnet contracts prove by
///         Merkle Patricia storage proofs against a checkpointed SPN state root. Part of the
///         protocol: the SPN Mailbox and Bridge write exactly these slots.
library SpnLayout {
    /// Base of the SPN Mailbox outbox: `outbox[messageId] = 1` once dispatched.
    bytes32 internal constant OUTBOX = keccak256("pharos.spn.mailbox.outbox");
    /// Base of the SPN Bridge balances: `balance[token][account]` in base units.
    bytes32 internal constant BALANCES = keccak256("pharos.spn.bridge.balances");
    /// Base of the SPN Bridge forced requests: `processed[requestId] = 1` once processed.
    bytes32 internal constant FORCED_PROCESSED = keccak256("pharos.spn.bridge.forced");
    /// `SpnMailbox.inboundCount` (the number of inbound messages processed, i.e. the next
    /// inbound queue index), from the compiler's storage layout: slot 0 packs the domains
    /// and `lastMainnetBlock`, slot 1 is `handleGas` (Initializable keeps its state in an
    /// ERC-7201 slot). test/DepositRefund.t.sol checks it against a real SpnMailbox.
    bytes32 internal constant INBOUND_COUNT_SLOT = bytes32(uint256(2));

    function outboxSlot(bytes32 messageId) internal pure returns (bytes32) {
        return keccak256(abi.encode(messageId, OUTBOX));
    }

    function balanceSlot(address token, address account) internal pure returns (bytes32) {
        return keccak256(abi.encode(account, keccak256(abi.encode(token, BALANCES))));
    }

    function forcedProcessedSlot(uint256 requestId) internal pure returns (bytes32) {
        return keccak256(abi.encode(requestId, FORCED_PROCESSED));
    }
}
