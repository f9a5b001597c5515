// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The SPN Mailbox, which every SPN has at 0x…2001 (Hyperlane's Mailbox interface).
interface ISpnMailbox {
    function dispatch(uint32 destination, bytes32 recipient, bytes calldata body)
        external
        returns (bytes32 messageId);
}

/// @title Messenger
/// @notice An example SPN application. `send` dispatches a message through this SPN's
///         Mailbox to a contract on another SPN (or the mainnet); relayers carry it through
///         the mainnet, and the destination's Mailbox calls that contract's `handle`. This
///         contract's own `handle` records the messages it receives.
/// @dev Recipients implement Hyperlane's `handle(uint32 origin, bytes32 sender, bytes body)`,
///      so apps written for Hyperlane port unchanged. Only the Mailbox may call `handle`:
///      anyone else could forge a message.
contract Messenger {
    ISpnMailbox public constant MAILBOX = ISpnMailbox(0x0000000000000000000000000000000000002001);

    /// Messages received so far.
    uint256 public received;
    /// The last message's origin domain (an SPN id, or the mainnet's chain id).
    uint32 public lastOrigin;
    /// The last message's sender on its origin chain, left-padded to 32 bytes.
    bytes32 public lastSender;
    /// The last message's body.
    bytes public lastBody;

    event Sent(bytes32 indexed messageId, uint32 indexed destination, bytes32 recipient, bytes body);
    event Received(uint32 indexed origin, bytes32 indexed sender, bytes body);

    error OnlyMailbox(address caller);

    /// Sends `body` to `recipient` on `destination`; returns the message id (`spn trace` it).
    function send(uint32 destination, address recipient, bytes calldata body)
        external
        returns (bytes32 messageId)
    {
        bytes32 to = bytes32(uint256(uint160(recipient)));
        messageId = MAILBOX.dispatch(destination, to, body);
        emit Sent(messageId, destination, to, body);
    }

    /// Receives a message: the Mailbox calls this when one for this contract arrives.
    function handle(uint32 origin, bytes32 sender, bytes calldata body) external payable {
        if (msg.sender != address(MAILBOX)) revert OnlyMailbox(msg.sender);
        received += 1;
        lastOrigin = origin;
        lastSender = sender;
        lastBody = body;
        emit Received(origin, sender, body);
    }
}
