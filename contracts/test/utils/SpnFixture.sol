// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMessageRecipient} from "../../src/interfaces/IMessageRecipient.sol";
import {SpnBridge} from "../../src/SpnBridge.sol";
import {SpnMailbox} from "../../src/SpnMailbox.sol";
import {Message} from "../../src/lib/Message.sol";
import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {Vm} from "./Cheats.sol";
import {SystemFixture, SystemHelpers} from "./SystemFixture.sol";

/// Handles on the SPN twins at their fixed addresses and helpers to drive them the way the SPN
/// node does: inbound messages as system calls from SYSTEM_CALLER, in queue order. The SPN of
/// these tests is `SPN`; its mainnet is this EVM's chain (the mainnet system contracts live at
/// their own addresses in the same EVM, so a test can run a full round trip).
abstract contract SpnHelpers is SystemHelpers {
    SpnMailbox internal constant spnMailbox = SpnMailbox(Sys.SPN_MAILBOX);
    SpnBridge internal constant spnBridge = SpnBridge(Sys.SPN_BRIDGE);

    uint32 internal constant SPN = 7;
    uint32 internal constant OTHER_SPN = 8;
    uint256 internal constant HANDLE_GAS = 1_000_000;

    bytes32 internal constant DISPATCH_TOPIC = keccak256("Dispatch(address,uint32,bytes32,bytes)");

    /// Etch both twins at their fixed addresses and initialize them once, as an SPN genesis does.
    function _deploySpn() internal {
        vm.etch(Sys.SPN_MAILBOX, address(new SpnMailbox()).code);
        vm.etch(Sys.SPN_BRIDGE, address(new SpnBridge()).code);
        spnMailbox.initialize(SPN, _mainnet(), HANDLE_GAS);
        spnBridge.initialize(_mainnet());
        vm.label(Sys.SPN_MAILBOX, "SpnMailbox");
        vm.label(Sys.SPN_BRIDGE, "SpnBridge");
    }

    /// A message to this SPN's `recipient`.
    function _inbound(
        uint32 nonce,
        uint32 origin,
        bytes32 sender,
        address recipient,
        bytes memory body
    ) internal pure returns (bytes memory) {
        return Message.format(nonce, origin, sender, SPN, _b32(recipient), body);
    }

    /// A message of the mainnet Bridge to the SPN Bridge, as Bridge.sol sends it.
    function _bridgeMessage(
        uint32 nonce,
        uint8 kind,
        address token,
        address account,
        uint256 amount,
        uint256 ref
    ) internal view returns (bytes memory) {
        return Message.format(
            nonce,
            _mainnet(),
            _b32(Sys.BRIDGE),
            SPN,
            _b32(Sys.SPN_BRIDGE),
            abi.encode(kind, token, account, amount, ref)
        );
    }

    /// Deliver `m` as the next inbound message; returns its index.
    function _deliver(bytes memory m) internal returns (uint256 index) {
        index = spnMailbox.inboundCount();
        vm.prank(Sys.SYSTEM_CALLER);
        spnMailbox.deliverInbound(index, m);
    }

    function _status(bytes memory m) internal view returns (SpnMailbox.Status) {
        return spnMailbox.status(keccak256(m));
    }

    /// The message of the last Dispatch event of the SPN Mailbox in `logs`.
    function _dispatched(Vm.Log[] memory logs) internal pure returns (bytes memory m) {
        for (uint256 i = logs.length; i > 0; i--) {
            Vm.Log memory l = logs[i - 1];
            if (l.emitter == Sys.SPN_MAILBOX && l.topics[0] == DISPATCH_TOPIC) {
                return abi.decode(l.data, (bytes));
            }
        }
        revert("no Dispatch event");
    }

    /// The header fields of `m`: version, nonce, origin, sender, destination, recipient.
    function _header(bytes memory m)
        internal
        pure
        returns (uint8 version, uint32 nonce, uint32 from, bytes32 sender, uint32 dest, bytes32 to)
    {
        require(m.length >= Message.HEADER_LENGTH, "short message");
        assembly {
            let p := add(m, 32)
            version := byte(0, mload(p))
            nonce := shr(224, mload(add(p, 1)))
            from := shr(224, mload(add(p, 5)))
            sender := mload(add(p, 9))
            dest := shr(224, mload(add(p, 41)))
            to := mload(add(p, 45))
        }
    }

    function _body(bytes memory m) internal pure returns (bytes memory b) {
        b = new bytes(m.length - Message.HEADER_LENGTH);
        for (uint256 i = 0; i < b.length; i++) {
            b[i] = m[Message.HEADER_LENGTH + i];
        }
    }
}

/// The mainnet system contracts (SystemFixture) plus the SPN twins.
abstract contract SpnFixture is SystemFixture, SpnHelpers {
    function setUp() public virtual override {
        super.setUp();
        _deploySpn();
    }
}

/// A recipient whose `handle` burns all the gas it is given.
contract GasBurner is IMessageRecipient {
    function handle(uint32, bytes32, bytes calldata) external payable {
        while (true) {}
    }
}

/// A recipient that reverts with `size` bytes of revert data (a returndata bomb).
contract BombRecipient is IMessageRecipient {
    uint256 public immutable size;

    constructor(uint256 size_) {
        size = size_;
    }

    function handle(uint32, bytes32, bytes calldata) external payable {
        uint256 s = size;
        assembly {
            revert(0, s)
        }
    }
}

/// A recipient that needs more gas than an inbound delivery gives it (only a retry works).
contract HungryRecipient is IMessageRecipient {
    uint256 public immutable need;
    uint256 public calls;

    constructor(uint256 need_) {
        need = need_;
    }

    function handle(uint32, bytes32, bytes calldata) external payable {
        require(gasleft() >= need, "hungry");
        calls++;
    }
}

/// A recipient that can be told to fail, and from inside `handle` tries to have a message
/// delivered again (its own by default): by `retry` and by `deliverInbound`.
contract ReentrantRetrier is IMessageRecipient {
    address internal constant MAILBOX = Sys.SPN_MAILBOX;

    bool public failing;
    uint256 public calls;
    bytes public target;
    bool public retryRefused;
    bytes public retryError;
    bool public deliverRefused;

    function setFailing(bool f) external {
        failing = f;
    }

    function setTarget(bytes calldata m) external {
        target = m;
    }

    function handle(uint32, bytes32, bytes calldata) external payable {
        require(!failing, "retrier: failing");
        calls++;
        (bool ok, bytes memory err) = MAILBOX.call(abi.encodeCall(SpnMailbox.retry, (target)));
        retryRefused = !ok;
        retryError = err;
        uint256 next = SpnMailbox(MAILBOX).inboundCount();
        (ok,) = MAILBOX.call(abi.encodeCall(SpnMailbox.deliverInbound, (next, target)));
        deliverRefused = !ok;
    }
}
