// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {SpnMailbox} from "../src/SpnMailbox.sol";
import {Message} from "../src/lib/Message.sol";
import {SpnLayout} from "../src/lib/SpnLayout.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Vm} from "./utils/Cheats.sol";
import {HandlerTargets, ModelHandler} from "./utils/InvariantHelpers.sol";
import {Recipient, ReentrantRecipient} from "./utils/Mocks.sol";
import {
    BombRecipient,
    GasBurner,
    HungryRecipient,
    ReentrantRetrier,
    SpnFixture,
    SpnHelpers
} from "./utils/SpnFixture.sol";

/// The SPN Mailbox: dispatch into the provable outbox, in-order inbound delivery by system
/// calls that never revert once well ordered, failure and retry.
contract SpnMailboxTest is SpnFixture {
    address internal constant ALICE = address(0xA11CE);
    address internal constant APP = address(0xA99); // a sender on another chain

    Recipient internal recipient;
    uint32 internal _n; // nonce of the next test message

    function setUp() public override {
        super.setUp();
        recipient = new Recipient();
    }

    /// A fresh message from APP on OTHER_SPN to `to`.
    function _msgTo(address to, bytes memory body) internal returns (bytes memory) {
        return _inbound(_n++, OTHER_SPN, _b32(APP), to, body);
    }

    function _handled(bytes memory m) internal view returns (uint256) {
        (,, uint32 origin, bytes32 sender,,) = _header(m);
        return recipient.handled(keccak256(abi.encode(origin, sender, _body(m))));
    }

    function _expectRejected(bytes memory m, SpnMailbox.RejectReason why) internal {
        uint256 before = spnMailbox.inboundCount();
        vm.recordLogs();
        uint256 index = _deliver(m);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(index, before, "index");
        assertEq(spnMailbox.inboundCount(), before + 1, "rejection advances the count");
        bool seen;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] == SpnMailbox.InboundRejected.selector) {
                assertEq(uint256(logs[i].topics[1]), index, "rejected index");
                assertEq(logs[i].topics[2], keccak256(m), "rejected id");
                assertEq(abi.decode(logs[i].data, (uint256)), uint256(why), "reject reason");
                seen = true;
            }
        }
        assertTrue(seen, "InboundRejected emitted");
    }

    // ---- initialization ----

    function test_InitializeOnceAndLockedAtDeployment() public {
        assertEq(spnMailbox.localDomain(), SPN, "local domain");
        assertEq(spnMailbox.mainnetDomain(), _mainnet(), "mainnet domain");
        assertEq(spnMailbox.handleGas(), HANDLE_GAS, "handle gas");
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        spnMailbox.initialize(9, 10, 1);
        SpnMailbox fresh = new SpnMailbox();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        fresh.initialize(SPN, _mainnet(), HANDLE_GAS);
    }

    function test_InitializeRejectsBadParameters() public {
        address a = address(0xBEEF01);
        vm.etch(a, address(new SpnMailbox()).code);
        SpnMailbox m = SpnMailbox(a);
        vm.expectRevert(SpnMailbox.InvalidDomain.selector);
        m.initialize(0, 1, HANDLE_GAS);
        vm.expectRevert(SpnMailbox.InvalidDomain.selector);
        m.initialize(1, 0, HANDLE_GAS);
        vm.expectRevert(SpnMailbox.InvalidDomain.selector);
        m.initialize(5, 5, HANDLE_GAS);
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.InvalidHandleGas.selector, 0));
        m.initialize(SPN, 1, 0);
        uint256 tooMuch = m.MAX_HANDLE_GAS() + 1;
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.InvalidHandleGas.selector, tooMuch));
        m.initialize(SPN, 1, tooMuch);
        m.initialize(SPN, 1, HANDLE_GAS);
    }

    // ---- dispatch ----

    function test_DispatchWritesTheProvableOutboxSlot() public {
        vm.recordLogs();
        vm.prank(ALICE);
        bytes32 id = spnMailbox.dispatch(_mainnet(), _b32(address(0x1234)), "hello");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes memory expected =
            Message.format(0, SPN, _b32(ALICE), _mainnet(), _b32(address(0x1234)), "hello");
        assertEq(id, keccak256(expected), "id is keccak of the message");
        assertEq(
            vm.load(Sys.SPN_MAILBOX, SpnLayout.outboxSlot(id)),
            bytes32(uint256(1)),
            "outbox slot holds 1"
        );
        assertTrue(spnMailbox.outboxed(id), "outboxed");
        assertTrue(!spnMailbox.outboxed(keccak256("other")), "not outboxed");
        assertEq(spnMailbox.outboxLength(), 1, "outbox length");
        assertEq(spnMailbox.outboxAt(0), id, "outbox entry");
        // Events: Dispatch(sender, destination, recipient, message) then DispatchId(id).
        assertEq(_dispatched(logs), expected, "Dispatch carries the message");
        assertEq(logs.length, 2, "two events");
        assertEq(logs[0].topics[1], _b32(ALICE), "indexed sender");
        assertEq(uint256(logs[0].topics[2]), _mainnet(), "indexed destination");
        assertEq(logs[0].topics[3], _b32(address(0x1234)), "indexed recipient");
        assertEq(logs[1].topics[0], SpnMailbox.DispatchId.selector, "DispatchId");
        assertEq(logs[1].topics[1], id, "DispatchId id");
        // Nothing else in the outbox region: the neighbouring id's slot is empty.
        assertEq(
            vm.load(Sys.SPN_MAILBOX, SpnLayout.outboxSlot(bytes32(uint256(id) + 1))),
            bytes32(0),
            "other slot empty"
        );
    }

    function test_DispatchNoncePerDestination() public {
        vm.startPrank(ALICE);
        bytes32 a0 = spnMailbox.dispatch(_mainnet(), _b32(address(0x1234)), "a");
        bytes32 b0 = spnMailbox.dispatch(OTHER_SPN, _b32(address(0x1234)), "a");
        bytes32 a1 = spnMailbox.dispatch(_mainnet(), _b32(address(0x1234)), "a");
        vm.stopPrank();
        assertEq(spnMailbox.nonce(_mainnet()), 2, "mainnet nonce");
        assertEq(spnMailbox.nonce(OTHER_SPN), 1, "other SPN nonce");
        assertEq(spnMailbox.nonce(99), 0, "untouched");
        assertEq(
            a1,
            keccak256(Message.format(1, SPN, _b32(ALICE), _mainnet(), _b32(address(0x1234)), "a")),
            "second to mainnet has nonce 1"
        );
        assertEq(
            b0,
            keccak256(Message.format(0, SPN, _b32(ALICE), OTHER_SPN, _b32(address(0x1234)), "a")),
            "first to the other SPN has nonce 0"
        );
        assertTrue(a0 != a1, "same content, distinct ids");
        assertEq(spnMailbox.outboxLength(), 3, "outbox length");
        assertEq(spnMailbox.outboxAt(2), a1, "outbox order");
    }

    function test_DispatchRejectsBadInput() public {
        uint32 local = SPN;
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.InvalidDestination.selector, local));
        spnMailbox.dispatch(local, _b32(address(1)), "");
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.InvalidDestination.selector, 0));
        spnMailbox.dispatch(0, _b32(address(1)), "");
        vm.expectRevert(SpnMailbox.InvalidRecipient.selector);
        spnMailbox.dispatch(_mainnet(), bytes32(0), "");
        vm.expectRevert(SpnMailbox.InvalidRecipient.selector);
        spnMailbox.dispatch(_mainnet(), bytes32(uint256(1) << 160), "");
        vm.expectRevert(SpnMailbox.BodyTooLarge.selector);
        spnMailbox.dispatch(_mainnet(), _b32(address(1)), new bytes(Message.MAX_BODY + 1));
        assertEq(spnMailbox.outboxLength(), 0, "nothing dispatched");
        assertEq(spnMailbox.nonce(_mainnet()), 0, "no nonce used");
        // The largest body is fine.
        spnMailbox.dispatch(_mainnet(), _b32(address(1)), new bytes(Message.MAX_BODY));
        assertEq(spnMailbox.outboxLength(), 1, "largest body dispatched");
    }

    function test_DispatchRefusesSystemRecipients() public {
        address[10] memory sys = _systemContracts();
        for (uint256 i = 0; i < sys.length; i++) {
            // A user reaches no system contract, on the mainnet or on another SPN.
            vm.prank(ALICE);
            vm.expectRevert(abi.encodeWithSelector(SpnMailbox.SystemRecipient.selector, sys[i]));
            spnMailbox.dispatch(_mainnet(), _b32(sys[i]), "x");
            vm.prank(ALICE);
            vm.expectRevert(abi.encodeWithSelector(SpnMailbox.SystemRecipient.selector, sys[i]));
            spnMailbox.dispatch(OTHER_SPN, _b32(sys[i]), "x");
            // The SPN Bridge reaches only the mainnet Bridge, and only on the mainnet.
            if (sys[i] != Sys.BRIDGE) {
                vm.prank(Sys.SPN_BRIDGE);
                vm.expectRevert(abi.encodeWithSelector(SpnMailbox.SystemRecipient.selector, sys[i]));
                spnMailbox.dispatch(_mainnet(), _b32(sys[i]), "x");
            }
        }
        vm.prank(Sys.SPN_BRIDGE);
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.SystemRecipient.selector, Sys.BRIDGE));
        spnMailbox.dispatch(OTHER_SPN, _b32(Sys.BRIDGE), "x");
        // Nor does another system contract speak to the mainnet Bridge.
        vm.prank(Sys.SPN_MAILBOX);
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.SystemRecipient.selector, Sys.BRIDGE));
        spnMailbox.dispatch(_mainnet(), _b32(Sys.BRIDGE), "x");
        assertEq(spnMailbox.outboxLength(), 0, "nothing dispatched");

        vm.prank(Sys.SPN_BRIDGE);
        bytes32 id = spnMailbox.dispatch(_mainnet(), _b32(Sys.BRIDGE), "withdrawal");
        assertTrue(spnMailbox.outboxed(id), "SPN Bridge -> mainnet Bridge allowed");
    }

    function testFuzz_DispatchSystemRecipientOnlyFromSpnBridge(address from, uint16 low) public {
        address to = address(uint160(low));
        vm.assume(from != Sys.SPN_BRIDGE);
        vm.prank(from);
        if (Sys.isSystem(to)) {
            vm.expectRevert(abi.encodeWithSelector(SpnMailbox.SystemRecipient.selector, to));
            spnMailbox.dispatch(_mainnet(), _b32(to), "x");
        } else if (to != address(0)) {
            bytes32 id = spnMailbox.dispatch(_mainnet(), _b32(to), "x");
            assertTrue(spnMailbox.outboxed(id), "ordinary recipient allowed");
        }
    }

    // ---- system calls: who and in which order ----

    function test_OnlySystemCallerDelivers() public {
        bytes memory m = _msgTo(address(recipient), "x");
        vm.expectRevert(SpnMailbox.OnlySystem.selector);
        spnMailbox.deliverInbound(0, m);
        vm.prank(Sys.SPN_MAILBOX);
        vm.expectRevert(SpnMailbox.OnlySystem.selector);
        spnMailbox.deliverInbound(0, m);
        vm.expectRevert(SpnMailbox.OnlySystem.selector);
        spnMailbox.setMainnetBlock(1);
        assertEq(spnMailbox.inboundCount(), 0, "nothing delivered");
    }

    function test_MainnetBlockIsMonotonic() public {
        vm.startPrank(Sys.SYSTEM_CALLER);
        spnMailbox.setMainnetBlock(10);
        assertEq(spnMailbox.lastMainnetBlock(), 10, "set");
        spnMailbox.setMainnetBlock(10); // the same block again: fine
        spnMailbox.setMainnetBlock(12);
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.MainnetBlockDecreased.selector, 12, 11));
        spnMailbox.setMainnetBlock(11);
        vm.stopPrank();
        assertEq(spnMailbox.lastMainnetBlock(), 12, "kept");
    }

    function test_InOrderDeliveryAndOutOfOrderRejected() public {
        bytes memory m0 = _msgTo(address(recipient), "m0");
        bytes memory m1 = _msgTo(address(recipient), "m1");
        bytes memory m2 = _msgTo(address(recipient), "m2");
        vm.startPrank(Sys.SYSTEM_CALLER);
        // The first index is 0: starting at 1 skips a message.
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.OutOfOrder.selector, 0, 1));
        spnMailbox.deliverInbound(1, m1);
        spnMailbox.deliverInbound(0, m0);
        // Skip: index 2 while 1 is expected.
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.OutOfOrder.selector, 1, 2));
        spnMailbox.deliverInbound(2, m2);
        // Replay of an index already used, with the same or another message.
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.OutOfOrder.selector, 1, 0));
        spnMailbox.deliverInbound(0, m0);
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.OutOfOrder.selector, 1, 0));
        spnMailbox.deliverInbound(0, m1);
        spnMailbox.deliverInbound(1, m1);
        spnMailbox.deliverInbound(2, m2);
        vm.expectRevert(
            abi.encodeWithSelector(SpnMailbox.OutOfOrder.selector, 3, type(uint256).max)
        );
        spnMailbox.deliverInbound(type(uint256).max, m2);
        vm.stopPrank();
        assertEq(spnMailbox.inboundCount(), 3, "three delivered");
        assertEq(recipient.calls(), 3, "each handled once");
        assertEq(_handled(m0), 1, "m0 once");
        assertEq(_handled(m1), 1, "m1 once");
        assertEq(_handled(m2), 1, "m2 once");
        assertEq(recipient.lastBody(), "m2", "last in order");
        assertTrue(_status(m1) == SpnMailbox.Status.Delivered, "delivered");
    }

    function test_DeliveryEmitsProcessAndPassesTheMessage() public {
        bytes memory m = _msgTo(address(recipient), "payload");
        vm.recordLogs();
        _deliver(m);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(recipient.lastOrigin(), OTHER_SPN, "origin");
        assertEq(recipient.lastSender(), _b32(APP), "sender");
        assertEq(recipient.lastBody(), "payload", "body");
        Vm.Log memory p = logs[logs.length - 2];
        assertEq(p.topics[0], SpnMailbox.Process.selector, "Process");
        assertEq(uint256(p.topics[1]), OTHER_SPN, "Process origin");
        assertEq(p.topics[2], _b32(APP), "Process sender");
        assertEq(p.topics[3], _b32(address(recipient)), "Process recipient");
        Vm.Log memory pid = logs[logs.length - 1];
        assertEq(pid.topics[0], SpnMailbox.ProcessId.selector, "ProcessId");
        assertEq(pid.topics[1], keccak256(m), "ProcessId id");
    }

    // ---- rejections never revert ----

    function test_MalformedMessagesRejectedWithoutRevert() public {
        bytes memory good = _msgTo(address(recipient), "x");
        // Too short.
        _expectRejected(hex"03", SpnMailbox.RejectReason.Malformed);
        _expectRejected("", SpnMailbox.RejectReason.Malformed);
        bytes memory header = new bytes(Message.HEADER_LENGTH - 1);
        header[0] = 0x03;
        _expectRejected(header, SpnMailbox.RejectReason.Malformed);
        // Wrong version.
        bytes memory v2 = bytes.concat(good);
        v2[0] = 0x02;
        _expectRejected(v2, SpnMailbox.RejectReason.Malformed);
        // Body too large.
        _expectRejected(
            _msgTo(address(recipient), new bytes(Message.MAX_BODY + 1)),
            SpnMailbox.RejectReason.Malformed
        );
        assertTrue(_status(v2) == SpnMailbox.Status.Rejected, "rejected status");
        assertEq(recipient.calls(), 0, "nothing handled");
        // The queue goes on.
        _deliver(good);
        assertEq(recipient.calls(), 1, "next message delivered");
        assertEq(spnMailbox.inboundCount(), 6, "count");
    }

    function test_WrongDestinationRejected() public {
        bytes memory m = Message.format(0, OTHER_SPN, _b32(APP), 99, _b32(address(recipient)), "x");
        _expectRejected(m, SpnMailbox.RejectReason.WrongDestination);
        m = Message.format(0, OTHER_SPN, _b32(APP), _mainnet(), _b32(address(recipient)), "x");
        _expectRejected(m, SpnMailbox.RejectReason.WrongDestination);
        assertTrue(_status(m) == SpnMailbox.Status.Rejected, "rejected");
        assertEq(recipient.calls(), 0, "nothing handled");
    }

    function test_NonAddressRecipientRejected() public {
        bytes memory m = Message.format(
            0,
            OTHER_SPN,
            _b32(APP),
            SPN,
            bytes32(uint256(uint160(address(recipient))) | 1 << 200),
            "x"
        );
        _expectRejected(m, SpnMailbox.RejectReason.InvalidRecipient);
    }

    function test_DuplicateRejectedAndStatusKept() public {
        bytes memory m = _msgTo(address(recipient), "x");
        _deliver(m);
        _expectRejected(m, SpnMailbox.RejectReason.Duplicate);
        assertTrue(_status(m) == SpnMailbox.Status.Delivered, "stays delivered");
        assertEq(_handled(m), 1, "handled once");

        // A failed message seen again stays failed and retryable.
        recipient.setFailing(true);
        bytes memory f = _msgTo(address(recipient), "f");
        _deliver(f);
        assertTrue(_status(f) == SpnMailbox.Status.Failed, "failed");
        _expectRejected(f, SpnMailbox.RejectReason.Duplicate);
        assertTrue(_status(f) == SpnMailbox.Status.Failed, "stays failed");
        assertEq(spnMailbox.messageOf(keccak256(f)), f, "still stored");

        // A rejected one stays rejected.
        bytes memory r = hex"0300";
        _expectRejected(r, SpnMailbox.RejectReason.Malformed);
        _expectRejected(r, SpnMailbox.RejectReason.Duplicate);
        assertTrue(_status(r) == SpnMailbox.Status.Rejected, "stays rejected");
    }

    function test_SystemRecipientsRejected() public {
        address[9] memory sys = _systemContractsExcept(Sys.SPN_BRIDGE);
        for (uint256 i = 0; i < sys.length; i++) {
            // Even from the mainnet Bridge.
            _expectRejected(
                _inbound(_n++, _mainnet(), _b32(Sys.BRIDGE), sys[i], "x"),
                SpnMailbox.RejectReason.SystemRecipient
            );
            _expectRejected(_msgTo(sys[i], "x"), SpnMailbox.RejectReason.SystemRecipient);
        }
    }

    function test_SpnBridgeOnlyHearsTheMainnetBridge() public {
        bytes memory body = abi.encode(uint8(1), NATIVE, ALICE, uint256(5), uint256(1));
        // The mainnet Bridge's address, but from another SPN (which attests any sender).
        _expectRejected(
            _inbound(_n++, OTHER_SPN, _b32(Sys.BRIDGE), Sys.SPN_BRIDGE, body),
            SpnMailbox.RejectReason.SystemRecipient
        );
        // Another mainnet sender.
        _expectRejected(
            _inbound(_n++, _mainnet(), _b32(ALICE), Sys.SPN_BRIDGE, body),
            SpnMailbox.RejectReason.SystemRecipient
        );
        _expectRejected(
            _inbound(_n++, _mainnet(), _b32(Sys.MAILBOX), Sys.SPN_BRIDGE, body),
            SpnMailbox.RejectReason.SystemRecipient
        );
        // A sender word that is the Bridge's address with high bits set.
        _expectRejected(
            _inbound(
                _n++,
                _mainnet(),
                bytes32(uint256(uint160(Sys.BRIDGE)) | 1 << 255),
                Sys.SPN_BRIDGE,
                body
            ),
            SpnMailbox.RejectReason.SystemRecipient
        );
        assertEq(spnBridge.balanceOf(NATIVE, ALICE), 0, "nothing credited");
        // The mainnet Bridge itself.
        bytes memory ok = _inbound(_n++, _mainnet(), _b32(Sys.BRIDGE), Sys.SPN_BRIDGE, body);
        _deliver(ok);
        assertTrue(_status(ok) == SpnMailbox.Status.Delivered, "delivered");
        assertEq(spnBridge.balanceOf(NATIVE, ALICE), 5, "credited");
    }

    // ---- failure, gas and retry ----

    function test_CodelessRecipientFailsThenRetriesOnceDeployed() public {
        address later = address(0xC0DE);
        bytes memory m = _msgTo(later, "x");
        _deliver(m);
        assertTrue(_status(m) == SpnMailbox.Status.Failed, "failed");
        assertEq(spnMailbox.messageOf(keccak256(m)), m, "stored for retry");
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.RecipientHasNoCode.selector, later));
        spnMailbox.retry(m);
        vm.etch(later, address(recipient).code);
        spnMailbox.retry(m);
        assertTrue(_status(m) == SpnMailbox.Status.Delivered, "delivered");
        assertEq(Recipient(later).calls(), 1, "once");
    }

    function test_GasBurnerFailsButDeliveryContinues() public {
        GasBurner burner = new GasBurner();
        bytes memory m = _msgTo(address(burner), new bytes(Message.MAX_BODY));
        uint256 before = gasleft();
        _deliver(m);
        uint256 used = before - gasleft();
        assertTrue(_status(m) == SpnMailbox.Status.Failed, "failed");
        assertEq(spnMailbox.inboundCount(), 1, "count advanced");
        // The recipient's cap plus the Mailbox's own work (storing the failed message):
        // comfortably inside one 30M system call.
        assertLe(used, HANDLE_GAS + 7_000_000, "delivery gas bounded");
        // The next message is unaffected.
        bytes memory next = _msgTo(address(recipient), "next");
        _deliver(next);
        assertTrue(_status(next) == SpnMailbox.Status.Delivered, "next delivered");
    }

    function test_HandleGasCapAndUncappedRetry() public {
        HungryRecipient hungry = new HungryRecipient(HANDLE_GAS + 500_000);
        bytes memory m = _msgTo(address(hungry), "x");
        _deliver(m);
        assertTrue(_status(m) == SpnMailbox.Status.Failed, "capped delivery failed");
        assertEq(hungry.calls(), 0, "not handled");
        // A retry gives the recipient all the caller's gas.
        spnMailbox.retry(m);
        assertTrue(_status(m) == SpnMailbox.Status.Delivered, "retry delivered");
        assertEq(hungry.calls(), 1, "handled once");
    }

    function test_ReturndataBombIsTruncated() public {
        BombRecipient bomb = new BombRecipient(400_000);
        bytes memory m = _msgTo(address(bomb), "x");
        vm.recordLogs();
        uint256 before = gasleft();
        _deliver(m);
        uint256 used = before - gasleft();
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertTrue(_status(m) == SpnMailbox.Status.Failed, "failed");
        Vm.Log memory f = logs[logs.length - 1];
        assertEq(f.topics[0], SpnMailbox.DeliveryFailed.selector, "DeliveryFailed");
        bytes memory reason = abi.decode(f.data, (bytes));
        assertEq(reason.length, spnMailbox.MAX_REASON(), "reason truncated");
        assertLe(used, HANDLE_GAS + 1_000_000, "no blow-up");
    }

    function test_FailingRecipientRetriedExactlyOnce() public {
        recipient.setFailing(true);
        bytes memory m = _msgTo(address(recipient), "x");
        bytes32 id = keccak256(m);
        vm.recordLogs();
        _deliver(m);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertTrue(_status(m) == SpnMailbox.Status.Failed, "failed");
        assertEq(spnMailbox.inboundCount(), 1, "count advanced");
        assertEq(spnMailbox.messageOf(id), m, "stored for retry");
        Vm.Log memory f = logs[logs.length - 1];
        assertEq(f.topics[0], SpnMailbox.DeliveryFailed.selector, "DeliveryFailed");
        assertEq(f.topics[1], id, "failed id");
        assertEq(
            abi.decode(f.data, (bytes)),
            abi.encodeWithSignature("Error(string)", "recipient: failing"),
            "reason"
        );

        // Still failing: the retry reverts with the recipient's reason and nothing changes.
        vm.expectRevert(bytes("recipient: failing"));
        spnMailbox.retry(m);
        assertTrue(_status(m) == SpnMailbox.Status.Failed, "stays failed");
        assertEq(spnMailbox.messageOf(id), m, "still stored");

        recipient.setFailing(false);
        spnMailbox.retry(m);
        assertTrue(_status(m) == SpnMailbox.Status.Delivered, "delivered");
        assertEq(_handled(m), 1, "handled once");
        assertEq(spnMailbox.messageOf(id), "", "storage freed");
        vm.expectRevert(abi.encodeWithSelector(SpnMailbox.NotRetryable.selector, id));
        spnMailbox.retry(m);
        assertEq(_handled(m), 1, "still once");
    }

    function test_RetryRefusesUnknownDeliveredAndRejected() public {
        bytes memory unknown = _msgTo(address(recipient), "u");
        vm.expectRevert(
            abi.encodeWithSelector(SpnMailbox.NotRetryable.selector, keccak256(unknown))
        );
        spnMailbox.retry(unknown);
        bytes memory delivered = _msgTo(address(recipient), "d");
        _deliver(delivered);
        vm.expectRevert(
            abi.encodeWithSelector(SpnMailbox.NotRetryable.selector, keccak256(delivered))
        );
        spnMailbox.retry(delivered);
        bytes memory rejected = _msgTo(Sys.MAILBOX, "r");
        _deliver(rejected);
        vm.expectRevert(
            abi.encodeWithSelector(SpnMailbox.NotRetryable.selector, keccak256(rejected))
        );
        spnMailbox.retry(rejected);
        assertEq(_handled(delivered), 1, "once");
    }

    function test_ReentrantRetryDuringInboundDeliveryRefused() public {
        ReentrantRecipient r = new ReentrantRecipient(Sys.SPN_MAILBOX);
        bytes memory m = _msgTo(address(r), "x");
        r.setMessage(m);
        _deliver(m);
        assertTrue(_status(m) == SpnMailbox.Status.Delivered, "delivered");
        assertEq(r.calls(), 1, "handled once");
        assertTrue(r.reentryFailed(), "reentrant retry refused");
    }

    function test_ReentrantRetryDuringRetryRefused() public {
        ReentrantRetrier r = new ReentrantRetrier();
        bytes memory m = _msgTo(address(r), "x");
        r.setTarget(m);
        r.setFailing(true);
        _deliver(m);
        assertTrue(_status(m) == SpnMailbox.Status.Failed, "failed");
        r.setFailing(false);
        spnMailbox.retry(m);
        assertTrue(_status(m) == SpnMailbox.Status.Delivered, "delivered");
        assertEq(r.calls(), 1, "handled exactly once");
        assertTrue(r.retryRefused(), "inner retry refused");
        assertEq(
            r.retryError(),
            abi.encodeWithSelector(SpnMailbox.NotRetryable.selector, keccak256(m)),
            "refused as not retryable"
        );
        assertTrue(r.deliverRefused(), "inner deliverInbound refused");
        assertEq(spnMailbox.inboundCount(), 1, "count unchanged by the reentry");
    }

    function test_RetryOfAnotherFailedMessageFromHandle() public {
        recipient.setFailing(true);
        bytes memory other = _msgTo(address(recipient), "other");
        _deliver(other);
        recipient.setFailing(false);
        ReentrantRetrier r = new ReentrantRetrier();
        r.setTarget(other);
        bytes memory m = _msgTo(address(r), "x");
        _deliver(m);
        assertTrue(_status(m) == SpnMailbox.Status.Delivered, "outer delivered");
        assertTrue(!r.retryRefused(), "inner retry of another message works");
        assertTrue(_status(other) == SpnMailbox.Status.Delivered, "other delivered");
        assertEq(_handled(other), 1, "other once");
    }
}

/// Random inbound traffic through the system-call path: fresh messages to a recipient that
/// toggles failure, duplicates, malformed and misaddressed messages, out-of-order indices,
/// retries. Ghost state counts every successful delivery per message id.
contract SpnInboundHandler is SpnHelpers, ModelHandler {
    Recipient public recipient;
    bytes[] internal _messages;
    mapping(bytes32 => uint256) public ghostDelivered;
    uint256 public ghostInbound; // accepted deliverInbound calls
    uint32 internal _n;

    constructor(Recipient r) {
        recipient = r;
    }

    function _key(bytes memory m) internal pure returns (bytes32) {
        (,, uint32 origin, bytes32 sender,,) = _header(m);
        return keccak256(abi.encode(origin, sender, _body(m)));
    }

    /// Deliver `m` at the next index and account for whatever the recipient handled.
    function _push(bytes memory m) internal {
        bool wellFormed = m.length >= Message.HEADER_LENGTH;
        bytes32 k = wellFormed ? _key(m) : bytes32(0);
        uint256 before = wellFormed ? recipient.handled(k) : 0;
        uint256 calls = recipient.calls();
        uint256 index = spnMailbox.inboundCount();
        vm.prank(Sys.SYSTEM_CALLER);
        try spnMailbox.deliverInbound(index, m) {
            ghostInbound++;
        } catch {
            _unexpected("well-ordered delivery reverted");
        }
        if (spnMailbox.inboundCount() != index + 1) _unexpected("count did not advance");
        if (wellFormed) ghostDelivered[keccak256(m)] += recipient.handled(k) - before;
        else if (recipient.calls() != calls) _unexpected("malformed message handled");
    }

    function deliverFresh(uint256 seed) external {
        bytes memory m = _inbound(
            _n++,
            seed % 2 == 0 ? OTHER_SPN : _mainnet(),
            _b32(address(uint160(0xA000 + seed % 3))),
            address(recipient),
            abi.encode("fresh", _n, seed)
        );
        _messages.push(m);
        _push(m);
    }

    function deliverAgain(uint256 pick) external {
        if (_messages.length == 0) return;
        _push(_messages[pick % _messages.length]);
    }

    function deliverMalformed(uint256 seed) external {
        bytes memory m = abi.encodePacked(uint8(seed % 5), seed);
        _push(m);
    }

    function deliverMisaddressed(uint256 seed) external {
        bytes memory m = Message.format(
            _n++,
            OTHER_SPN,
            _b32(address(0xA000)),
            uint32(SPN + 1 + seed % 3),
            _b32(address(recipient)),
            abi.encode(seed)
        );
        _messages.push(m);
        _push(m);
    }

    function deliverOutOfOrder(uint256 pick, uint256 offset) external {
        if (_messages.length == 0) return;
        uint256 count = spnMailbox.inboundCount();
        offset = bound(offset, 1, 5);
        uint256 index = offset <= count && pick % 2 == 0 ? count - offset : count + offset;
        vm.prank(Sys.SYSTEM_CALLER);
        try spnMailbox.deliverInbound(index, _messages[pick % _messages.length]) {
            _unexpected("out-of-order delivery accepted");
        } catch {}
        if (spnMailbox.inboundCount() != count) _unexpected("count moved");
    }

    function retry(uint256 pick) external {
        if (_messages.length == 0) return;
        bytes memory m = _messages[pick % _messages.length];
        bytes32 k = _key(m);
        uint256 before = recipient.handled(k);
        bool wasFailed = spnMailbox.status(keccak256(m)) == SpnMailbox.Status.Failed;
        try spnMailbox.retry(m) {
            if (!wasFailed) _unexpected("retry of a non-failed message accepted");
        } catch {}
        ghostDelivered[keccak256(m)] += recipient.handled(k) - before;
    }

    function toggleRecipient() external {
        recipient.setFailing(!recipient.failing());
    }

    function messageCount() external view returns (uint256) {
        return _messages.length;
    }

    function messageAt(uint256 i) external view returns (bytes memory) {
        return _messages[i];
    }
}

contract SpnMailboxInvariantTest is SpnFixture, HandlerTargets {
    SpnInboundHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new SpnInboundHandler(new Recipient());
        vm.label(address(handler), "SpnInboundHandler");
    }

    function _handler() internal view override returns (address) {
        return address(handler);
    }

    function _handlerSelectors() internal pure override returns (bytes4[] memory sel) {
        sel = new bytes4[](7);
        sel[0] = SpnInboundHandler.deliverFresh.selector;
        sel[1] = SpnInboundHandler.deliverAgain.selector;
        sel[2] = SpnInboundHandler.deliverMalformed.selector;
        sel[3] = SpnInboundHandler.deliverMisaddressed.selector;
        sel[4] = SpnInboundHandler.deliverOutOfOrder.selector;
        sel[5] = SpnInboundHandler.retry.selector;
        sel[6] = SpnInboundHandler.toggleRecipient.selector;
    }

    /// Each inbound message reached its recipient at most once; exactly once iff Delivered;
    /// a failed one is stored for retry; every well-ordered delivery advanced the count.
    function invariant_SpnInboundDeliveredAtMostOnce() public view {
        _assertOutcomesMatchModel(handler);
        assertEq(spnMailbox.inboundCount(), handler.ghostInbound(), "inbound count");
        uint256 n = handler.messageCount();
        for (uint256 i = 0; i < n; i++) {
            bytes memory m = handler.messageAt(i);
            bytes32 id = keccak256(m);
            uint256 d = handler.ghostDelivered(id);
            assertLe(d, 1, "delivered twice");
            SpnMailbox.Status st = spnMailbox.status(id);
            assertEq(d, st == SpnMailbox.Status.Delivered ? 1 : 0, "status vs deliveries");
            if (st == SpnMailbox.Status.Failed) {
                assertEq(spnMailbox.messageOf(id), m, "failed message stored");
            }
            (,,,, uint32 dest,) = _header(m);
            if (dest != SPN) {
                assertTrue(st == SpnMailbox.Status.Rejected, "misaddressed rejected");
            }
        }
    }
}
