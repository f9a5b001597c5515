// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IMessageRecipient} from "./interfaces/IMessageRecipient.sol";
import {Registry} from "./Registry.sol";
import {Message} from "./lib/Message.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @title Mailbox
/// @notice The mainnet's authoritative archive of cross-network messages (Hyperlane format).
///         Messages to an SPN - dispatched here by mainnet accounts and contracts, or relayed
///         from another SPN by the Adaptor - are queued per destination in order; the SPN's
///         block producers must include them in that order. Messages to the mainnet are
///         delivered to the recipient's `handle`; a recipient that reverts leaves the message
///         failed and retryable. Each message id is delivered at most once.
contract Mailbox is Initializable {
    enum Status {
        None,
        Queued, // archived for an SPN destination
        Delivered, // handled by its mainnet recipient
        Failed // its mainnet recipient reverted: anyone may retry
    }

    uint32 public localDomain;
    mapping(bytes32 => Status) public status;
    mapping(uint32 => uint32) public nonce; // next nonce of mainnet-originated messages per destination
    mapping(uint32 => bytes32[]) internal _queue;
    mapping(bytes32 => bytes) internal _messages;

    event Dispatch(
        address indexed sender, uint32 indexed destination, bytes32 indexed recipient, bytes message
    );
    event DispatchId(bytes32 indexed messageId);
    event Queued(uint32 indexed destination, uint256 indexed index, bytes32 indexed messageId);
    event Process(uint32 indexed origin, bytes32 indexed sender, address indexed recipient);
    event ProcessId(bytes32 indexed messageId);
    event DeliveryFailed(bytes32 indexed messageId, bytes reason);

    error OnlyAdaptor();
    error InvalidDestination(uint32 destination);
    error InvalidRecipient();
    error BodyTooLarge();
    error AlreadyKnown(bytes32 messageId);
    error NotRetryable(bytes32 messageId);
    error SystemRecipient(address recipient);

    constructor() {
        _disableInitializers();
    }

    function initialize() external initializer {
        localDomain = uint32(block.chainid);
    }

    /// @notice Send `body` to `recipient` on SPN `destination`; returns the message id.
    function dispatch(uint32 destination, bytes32 recipient, bytes calldata body)
        external
        returns (bytes32 id)
    {
        if (destination == localDomain) revert InvalidDestination(destination);
        // A retired SPN still hears from the Bridge (forced withdrawals), from no one else.
        Registry.Status st = Registry(Sys.REGISTRY).status(destination);
        if (
            st != Registry.Status.Active
                && !(st == Registry.Status.Retired && msg.sender == Sys.BRIDGE)
        ) revert InvalidDestination(destination);
        if (recipient == bytes32(0)) revert InvalidRecipient();
        if (body.length > Message.MAX_BODY) revert BodyTooLarge();
        // Only the Bridge speaks to the SPN's system contracts.
        address to = Message.toAddress(recipient);
        if (Sys.isSystem(to) && msg.sender != Sys.BRIDGE) revert SystemRecipient(to);
        uint32 n = nonce[destination]++;
        bytes memory message = Message.format(
            n, localDomain, Message.toBytes32(msg.sender), destination, recipient, body
        );
        id = keccak256(message);
        _enqueue(destination, id, message);
        emit Dispatch(msg.sender, destination, recipient, message);
        emit DispatchId(id);
    }

    /// @notice The Adaptor hands over a message it proved was sent by an SPN: queue it for
    ///         its destination SPN or deliver it here.
    function deliverVerified(bytes calldata message) external {
        if (msg.sender != Sys.ADAPTOR) revert OnlyAdaptor();
        Message.check(message);
        bytes32 id = keccak256(message);
        if (status[id] != Status.None) revert AlreadyKnown(id);
        uint32 destination = Message.destination(message);
        if (destination == localDomain) {
            _checkRecipient(message);
            _deliver(id, message);
        } else {
            Registry.Status st = Registry(Sys.REGISTRY).status(destination);
            if (st == Registry.Status.None) revert InvalidDestination(destination);
            // An SPN's system contracts are no recipients either: only the mainnet Bridge
            // (through `dispatch`) speaks to them, and an SPN attests any sender it likes.
            uint256 to = uint256(Message.recipient(message));
            if (to >> 160 == 0 && Sys.isSystem(address(uint160(to)))) {
                revert SystemRecipient(address(uint160(to)));
            }
            _enqueue(destination, id, message);
        }
    }

    /// @notice Try again to deliver a message whose recipient reverted.
    function retry(bytes calldata message) external {
        bytes32 id = keccak256(message);
        if (status[id] != Status.Failed) revert NotRetryable(id);
        _deliver(id, message);
    }

    /// @notice True if `recipient` is a system contract that may not receive `message`.
    ///         Only the SPN Bridge may message the mainnet Bridge.
    function _checkRecipient(bytes calldata message) internal pure {
        address to = Message.toAddress(Message.recipient(message));
        if (!Sys.isSystem(to)) return;
        if (to == Sys.BRIDGE && Message.sender(message) == Message.toBytes32(Sys.SPN_BRIDGE)) {
            return;
        }
        revert SystemRecipient(to);
    }

    function _deliver(bytes32 id, bytes calldata message) internal {
        address recipient = Message.toAddress(Message.recipient(message));
        // Marked before the call: a reentrant relay or retry of the same id is refused.
        status[id] = Status.Delivered;
        bool ok = recipient.code.length > 0;
        bytes memory reason = "recipient has no code";
        if (ok) {
            try IMessageRecipient(recipient)
                .handle(Message.origin(message), Message.sender(message), Message.body(message)) {}
            catch (bytes memory r) {
                ok = false;
                reason = r;
            }
        }
        if (ok) {
            delete _messages[id];
            emit Process(Message.origin(message), Message.sender(message), recipient);
            emit ProcessId(id);
        } else {
            status[id] = Status.Failed;
            if (_messages[id].length == 0) _messages[id] = message;
            emit DeliveryFailed(id, reason);
        }
    }

    function _enqueue(uint32 destination, bytes32 id, bytes memory message) internal {
        status[id] = Status.Queued;
        _messages[id] = message;
        uint256 index = _queue[destination].length;
        _queue[destination].push(id);
        emit Queued(destination, index, id);
    }

    // ---- reads (SPN block producers and relayers) ----

    function queueLength(uint32 destination) external view returns (uint256) {
        return _queue[destination].length;
    }

    function queueAt(uint32 destination, uint256 index) external view returns (bytes32) {
        return _queue[destination][index];
    }

    /// @notice Up to `max` queued messages for `destination` starting at `from`, in order.
    function messagesFor(uint32 destination, uint256 from, uint256 max)
        external
        view
        returns (bytes[] memory out)
    {
        bytes32[] storage q = _queue[destination];
        uint256 end = from + max;
        if (end > q.length) end = q.length;
        if (from >= end) return new bytes[](0);
        out = new bytes[](end - from);
        for (uint256 i = from; i < end; i++) {
            out[i - from] = _messages[q[i]];
        }
    }

    function messageOf(bytes32 id) external view returns (bytes memory) {
        return _messages[id];
    }
}
