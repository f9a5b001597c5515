// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Hyperlane's recipient interface: the Mailbox calls `handle` to deliver a message.
interface IMessageRecipient {
    function handle(uint32 origin, bytes32 sender, bytes calldata body) external payable;
}
