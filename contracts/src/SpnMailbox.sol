// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IMessageRecipient} from "./interfaces/IMessageRecipient.sol";
import {Message} from "./lib/Message.sol";
import {SpnLayout} from "./lib/SpnLayout.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @title SpnMailbox
/// @notice Every SPN's twin of the mainnet Mailbox (predeployed at SPN_MAILBOX).
///         Outbound: `dispatch` writes `outbox[id] = 1` at SpnLayout.outboxSlot(id), which
///         relayers prove to the mainnet Adaptor against a checkpointed state root.
///         Inbound: the block producer replays the mainnet Mailbox queue for this SPN, in
///         order, as system calls to `deliverInbound`. A well-ordered delivery never reverts
///         (a reverting required system call would halt the chain): a message that can never
///         be delivered is recorded as Rejected, a recipient that reverts leaves it Failed and
///         retryable by anyone. Each message id is delivered at most once.
contract SpnMailbox is Initializable {
    enum Status {
        None,
        Delivered, // handled by its recipient
        Failed, // its recipient reverted or had no code: anyone may retry
        Rejected // could never be delivered (malformed, misaddressed, duplicate, forbidden)
    }

    /// Why an inbound message was rejected (the `reason` of `InboundRejected`).
    enum RejectReason {
        None, // not rejected
        Malformed, // not a version-3 message of bounded length
        WrongDestination, // not addressed to this SPN
        Duplicate, // its id was already delivered, failed or rejected
        InvalidRecipient, // the recipient is not a left-padded address
        SystemRecipient // a system contract that may not receive it
    }

    /// Upper bound of `handleGas`: a delivery (recipient's gas, the failed message's storage,
    /// events) must fit in revm's 30M system-call gas with a wide margin.
    uint256 public constant MAX_HANDLE_GAS = 10_000_000;
    /// At most this many bytes of a failing recipient's revert data are copied and logged
    /// during an inbound delivery (a returndata bomb must not exhaust the system call).
    uint256 public constant MAX_REASON = 256;

    uint32 public localDomain;
    uint32 public mainnetDomain;
    /// The finalized mainnet block the current SPN block derived its inbound messages from.
    uint64 public lastMainnetBlock;
    /// Gas given to a recipient's `handle` during an inbound delivery.
    uint256 public handleGas;
    /// Number of inbound messages processed: the index the next delivery must carry.
    uint256 public inboundCount;
    mapping(uint32 => uint32) public nonce; // next nonce per destination
    mapping(bytes32 => Status) public status; // inbound message id => status
    mapping(bytes32 => bytes) internal _failed; // failed inbound message id => message
    bytes32[] internal _outbox;

    event Dispatch(
        address indexed sender, uint32 indexed destination, bytes32 indexed recipient, bytes message
    );
    event DispatchId(bytes32 indexed messageId);
    event Process(uint32 indexed origin, bytes32 indexed sender, address indexed recipient);
    event ProcessId(bytes32 indexed messageId);
    event DeliveryFailed(bytes32 indexed messageId, bytes reason);
    event InboundRejected(uint256 indexed index, bytes32 indexed messageId, RejectReason reason);
    event MainnetBlock(uint64 indexed number);

    error OnlySystem();
    error OutOfOrder(uint256 expected, uint256 got);
    error InvalidDomain();
    error InvalidHandleGas(uint256 handleGas);
    error InvalidDestination(uint32 destination);
    error InvalidRecipient();
    error BodyTooLarge();
    error SystemRecipient(address recipient);
    error MainnetBlockDecreased(uint64 last, uint64 got);
    error NotRetryable(bytes32 messageId);
    error RecipientHasNoCode(address recipient);

    modifier onlySystem() {
        if (msg.sender != Sys.SYSTEM_CALLER) revert OnlySystem();
        _;
    }

    constructor() {
        _disableInitializers();
    }

    /// @param localDomain_ this SPN's id (its chain id)
    /// @param mainnetDomain_ the mainnet's chain id
    /// @param handleGas_ gas for a recipient's `handle` during inbound delivery
    function initialize(uint32 localDomain_, uint32 mainnetDomain_, uint256 handleGas_)
        external
        initializer
    {
        if (localDomain_ == 0 || mainnetDomain_ == 0 || localDomain_ == mainnetDomain_) {
            revert InvalidDomain();
        }
        if (handleGas_ == 0 || handleGas_ > MAX_HANDLE_GAS) revert InvalidHandleGas(handleGas_);
        localDomain = localDomain_;
        mainnetDomain = mainnetDomain_;
        handleGas = handleGas_;
    }

    // ---- outbound ----

    /// @notice Send `body` to `recipient` on `destination` (the mainnet or another SPN, routed
    ///         through the mainnet); returns the message id.
    function dispatch(uint32 destination, bytes32 recipient, bytes calldata body)
        external
        returns (bytes32 id)
    {
        if (destination == 0 || destination == localDomain) {
            revert InvalidDestination(destination);
        }
        // The mainnet Mailbox (and every SPN Mailbox) only delivers to 20-byte addresses.
        if (recipient == bytes32(0) || uint256(recipient) >> 160 != 0) revert InvalidRecipient();
        if (body.length > Message.MAX_BODY) revert BodyTooLarge();
        // System contracts are no recipients: only the SPN Bridge speaks to the mainnet Bridge.
        address to = address(uint160(uint256(recipient)));
        if (
            Sys.isSystem(to)
                && !(msg.sender == Sys.SPN_BRIDGE
                    && destination == mainnetDomain
                    && to == Sys.BRIDGE)
        ) revert SystemRecipient(to);

        uint32 n = nonce[destination]++;
        bytes memory message = Message.format(
            n, localDomain, Message.toBytes32(msg.sender), destination, recipient, body
        );
        id = keccak256(message);
        bytes32 slot = SpnLayout.outboxSlot(id);
        assembly ("memory-safe") {
            sstore(slot, 1)
        }
        _outbox.push(id);
        emit Dispatch(msg.sender, destination, recipient, message);
        emit DispatchId(id);
    }

    /// @notice True once message `id` was dispatched from here (the slot relayers prove).
    function outboxed(bytes32 id) external view returns (bool) {
        bytes32 slot = SpnLayout.outboxSlot(id);
        uint256 v;
        assembly ("memory-safe") {
            v := sload(slot)
        }
        return v == 1;
    }

    function outboxLength() external view returns (uint256) {
        return _outbox.length;
    }

    function outboxAt(uint256 i) external view returns (bytes32) {
        return _outbox[i];
    }

    // ---- inbound (system calls by the block producer) ----

    /// @notice Record the finalized mainnet block this SPN block derived from. Called first in
    ///         each block; never goes back.
    function setMainnetBlock(uint64 number) external onlySystem {
        uint64 last = lastMainnetBlock;
        if (number < last) revert MainnetBlockDecreased(last, number);
        if (number != last) {
            lastMainnetBlock = number;
            emit MainnetBlock(number);
        }
    }

    /// @notice Deliver the message at index `queueIndex` of the mainnet Mailbox's queue for
    ///         this SPN. Reverts only for a caller other than the system or an index other than
    ///         `inboundCount` (a skipped, reordered or replayed index); every other input is
    ///         processed - delivered, failed or rejected - and advances `inboundCount`.
    function deliverInbound(uint256 queueIndex, bytes calldata message) external onlySystem {
        uint256 expected = inboundCount;
        if (queueIndex != expected) revert OutOfOrder(expected, queueIndex);
        inboundCount = expected + 1;

        bytes32 id = keccak256(message);
        if (status[id] != Status.None) {
            // Known already: keep its status (a failed message stays retryable).
            emit InboundRejected(queueIndex, id, RejectReason.Duplicate);
            return;
        }
        RejectReason why = _rejection(message);
        if (why != RejectReason.None) {
            status[id] = Status.Rejected;
            emit InboundRejected(queueIndex, id, why);
            return;
        }

        address recipient = address(uint160(uint256(Message.recipient(message))));
        // Marked before the call: a reentrant retry of the same id is refused.
        status[id] = Status.Delivered;
        bool ok;
        bytes memory reason;
        if (recipient.code.length == 0) {
            ok = false;
            reason = abi.encodeWithSelector(RecipientHasNoCode.selector, recipient);
        } else {
            (ok, reason) = _callCapped(recipient, handleGas, _handleCall(message));
        }
        if (ok) {
            emit Process(Message.origin(message), Message.sender(message), recipient);
            emit ProcessId(id);
        } else {
            status[id] = Status.Failed;
            _failed[id] = message;
            emit DeliveryFailed(id, reason);
        }
    }

    /// @notice Try again to deliver a failed inbound message, with all the gas the caller
    ///         gives. Reverts with the recipient's reason if it fails again (the message stays
    ///         Failed); a delivered message is never delivered again.
    function retry(bytes calldata message) external {
        bytes32 id = keccak256(message);
        if (status[id] != Status.Failed) revert NotRetryable(id);
        address recipient = address(uint160(uint256(Message.recipient(message))));
        if (recipient.code.length == 0) revert RecipientHasNoCode(recipient);
        // Marked before the call: a reentrant retry of the same id is refused.
        status[id] = Status.Delivered;
        delete _failed[id];
        (bool ok, bytes memory reason) = recipient.call(_handleCall(message));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
        emit Process(Message.origin(message), Message.sender(message), recipient);
        emit ProcessId(id);
    }

    /// @notice The stored bytes of a failed inbound message (empty otherwise).
    function messageOf(bytes32 id) external view returns (bytes memory) {
        return _failed[id];
    }

    // ---- internals ----

    /// Why a message not seen before may not be handed to its recipient (None if it may);
    /// the checks of Message.check, without reverting.
    function _rejection(bytes calldata m) internal view returns (RejectReason) {
        if (
            m.length < Message.HEADER_LENGTH || m.length > Message.HEADER_LENGTH + Message.MAX_BODY
                || uint8(m[0]) != Message.VERSION
        ) return RejectReason.Malformed;
        if (Message.destination(m) != localDomain) return RejectReason.WrongDestination;
        uint256 to = uint256(Message.recipient(m));
        if (to >> 160 != 0) return RejectReason.InvalidRecipient;
        address recipient = address(uint160(to));
        if (recipient == Sys.SPN_BRIDGE) {
            // Only the mainnet Bridge speaks to the SPN Bridge.
            if (
                Message.origin(m) == mainnetDomain
                    && Message.sender(m) == Message.toBytes32(Sys.BRIDGE)
            ) return RejectReason.None;
            return RejectReason.SystemRecipient;
        }
        if (Sys.isSystem(recipient)) return RejectReason.SystemRecipient;
        return RejectReason.None;
    }

    function _handleCall(bytes calldata m) internal pure returns (bytes memory) {
        return abi.encodeCall(
            IMessageRecipient.handle, (Message.origin(m), Message.sender(m), Message.body(m))
        );
    }

    /// Call `target` with at most `gas_` gas and copy at most MAX_REASON bytes of its revert
    /// data, so that nothing the recipient does can make the caller run out of gas.
    function _callCapped(address target, uint256 gas_, bytes memory data)
        internal
        returns (bool ok, bytes memory reason)
    {
        assembly ("memory-safe") {
            ok := call(gas_, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
        if (ok) return (true, reason);
        uint256 size;
        assembly ("memory-safe") {
            size := returndatasize()
        }
        if (size > MAX_REASON) size = MAX_REASON;
        reason = new bytes(size);
        assembly ("memory-safe") {
            returndatacopy(add(reason, 0x20), 0, size)
        }
    }
}
