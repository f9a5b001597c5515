// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Mailbox} from "../src/Mailbox.sol";
import {Registry} from "../src/Registry.sol";
import {Message} from "../src/lib/Message.sol";
import {SlotProof} from "../src/lib/StateProof.sol";
import {Adaptor} from "../src/Adaptor.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";
import {Recipient, ReentrantRecipient} from "./utils/Mocks.sol";

/// The Mailbox: dispatch to SPNs, delivery of relayed messages, failure and retry.
contract MailboxTest is SystemFixture {
    uint32 internal constant SPN = 7;
    uint32 internal constant SPN2 = 8;
    address internal constant ALICE = address(0xA11CE);

    function setUp() public override {
        super.setUp();
        _activeSpn(SPN, 3, 10 ether);
        _activeSpn(SPN2, 3, 10 ether);
    }

    function _from(uint32 nonce, address recipient, bytes memory body)
        internal
        view
        returns (bytes memory)
    {
        return Message.format(nonce, SPN, _b32(ALICE), _mainnet(), _b32(recipient), body);
    }

    /// Relay `m` from SPN and expect the relay to revert with `err`.
    function _expectRelayRevert(bytes memory m, bytes memory err) internal {
        (uint64 h, SlotProof memory proof) = _prepareRelay(SPN, m);
        vm.expectRevert(err);
        adaptor.relayMessage(SPN, h, m, proof);
    }

    function test_InitializeCannotBeRerun() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        mailbox.initialize();
        assertEq(mailbox.localDomain(), block.chainid, "local domain");
    }

    // ---- dispatch ----

    function test_DispatchQueuesInOrder() public {
        vm.prank(ALICE);
        bytes32 id0 = mailbox.dispatch(SPN, _b32(address(0x1234)), "first");
        vm.prank(ALICE);
        bytes32 id1 = mailbox.dispatch(SPN, _b32(address(0x1234)), "second");
        vm.prank(ALICE);
        mailbox.dispatch(SPN2, _b32(address(0x1234)), "other spn");
        bytes memory expected0 =
            Message.format(0, _mainnet(), _b32(ALICE), SPN, _b32(address(0x1234)), "first");
        assertEq(id0, keccak256(expected0), "id is keccak of the message");
        assertEq(mailbox.messageOf(id0), expected0, "archived");
        assertTrue(mailbox.status(id0) == Mailbox.Status.Queued, "queued");
        assertEq(mailbox.nonce(SPN), 2, "nonce per destination");
        assertEq(mailbox.nonce(SPN2), 1, "nonce per destination");
        assertEq(mailbox.queueLength(SPN), 2, "queue length");
        assertEq(mailbox.queueAt(SPN, 1), id1, "order");
        bytes[] memory out = mailbox.messagesFor(SPN, 0, 10);
        assertEq(out.length, 2, "both");
        assertEq(out[0], expected0, "first first");
        out = mailbox.messagesFor(SPN, 1, 1);
        assertEq(out.length, 1, "window");
        assertEq(keccak256(out[0]), id1, "second");
        assertEq(mailbox.messagesFor(SPN, 2, 5).length, 0, "past the end");
        assertEq(mailbox.messagesFor(SPN, 9, 5).length, 0, "far past the end");
    }

    function test_DispatchRejectsBadDestinations() public {
        uint32 local = _mainnet();
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, local));
        mailbox.dispatch(local, _b32(address(1)), "");
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, uint32(99)));
        mailbox.dispatch(99, _b32(address(1)), "");
        _registerSpn(9);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, uint32(9)));
        mailbox.dispatch(9, _b32(address(1)), "");
        vm.prank(SPN_OWNER);
        management.retire(SPN2);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, SPN2));
        mailbox.dispatch(SPN2, _b32(address(1)), "");
        vm.prank(Sys.BRIDGE);
        management.freeze(SPN);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, SPN));
        mailbox.dispatch(SPN, _b32(address(1)), "");
    }

    function test_DispatchToRetiredSpnOnlyFromBridge() public {
        vm.prank(SPN_OWNER);
        management.retire(SPN2);
        uint32 nonceBefore = mailbox.nonce(SPN2);
        uint256 queued = mailbox.queueLength(SPN2);
        // A plain user's dispatch is refused, to any recipient.
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, SPN2));
        mailbox.dispatch(SPN2, _b32(address(1)), "hello");
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, SPN2));
        mailbox.dispatch(SPN2, _b32(Sys.SPN_BRIDGE), "hello");
        // So is a contract's (any caller but the Bridge).
        vm.prank(Sys.ADAPTOR);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, SPN2));
        mailbox.dispatch(SPN2, _b32(address(1)), "hello");
        assertEq(mailbox.nonce(SPN2), nonceBefore, "no nonce used");
        assertEq(mailbox.queueLength(SPN2), queued, "nothing queued");

        // The Bridge still reaches the retired SPN.
        vm.prank(Sys.BRIDGE);
        bytes32 id = mailbox.dispatch(SPN2, _b32(Sys.SPN_BRIDGE), "forced");
        bytes memory expected = Message.format(
            nonceBefore, _mainnet(), _b32(Sys.BRIDGE), SPN2, _b32(Sys.SPN_BRIDGE), "forced"
        );
        assertEq(id, keccak256(expected), "id");
        assertTrue(mailbox.status(id) == Mailbox.Status.Queued, "queued");
        assertEq(mailbox.queueLength(SPN2), queued + 1, "appended");
        assertEq(mailbox.queueAt(SPN2, queued), id, "in order");
        assertEq(mailbox.messageOf(id), expected, "stored");
        assertEq(mailbox.nonce(SPN2), nonceBefore + 1, "nonce");
    }

    function test_BridgeCannotDispatchToInactiveSpns() public {
        // Retired is the only non-active status the Bridge may still reach.
        _registerSpn(9);
        vm.prank(Sys.BRIDGE);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, uint32(9)));
        mailbox.dispatch(9, _b32(Sys.SPN_BRIDGE), "");
        vm.prank(Sys.BRIDGE);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, uint32(99)));
        mailbox.dispatch(99, _b32(Sys.SPN_BRIDGE), "");
        vm.prank(Sys.BRIDGE);
        management.freeze(SPN);
        vm.prank(Sys.BRIDGE);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, SPN));
        mailbox.dispatch(SPN, _b32(Sys.SPN_BRIDGE), "");
        // Retired then frozen: closed to the Bridge too.
        vm.prank(SPN_OWNER);
        management.retire(SPN2);
        vm.prank(Sys.BRIDGE);
        management.freeze(SPN2);
        vm.prank(Sys.BRIDGE);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, SPN2));
        mailbox.dispatch(SPN2, _b32(Sys.SPN_BRIDGE), "");
        vm.prank(Sys.BRIDGE);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, _mainnet()));
        mailbox.dispatch(_mainnet(), _b32(Sys.SPN_BRIDGE), "");
    }

    function test_DispatchRejectsBadRecipientsAndBodies() public {
        vm.expectRevert(Mailbox.InvalidRecipient.selector);
        mailbox.dispatch(SPN, bytes32(0), "");
        vm.expectRevert(Mailbox.BodyTooLarge.selector);
        mailbox.dispatch(SPN, _b32(address(1)), new bytes(Message.MAX_BODY + 1));
        mailbox.dispatch(SPN, _b32(address(1)), new bytes(Message.MAX_BODY));
        vm.expectRevert(Message.MalformedMessage.selector);
        mailbox.dispatch(SPN, bytes32(uint256(1) << 160), "");
    }

    function test_DispatchToSystemContractsOnlyByBridge() public {
        address[10] memory system = _systemContracts();
        for (uint256 i = 0; i < system.length; i++) {
            vm.prank(ALICE);
            vm.expectRevert(abi.encodeWithSelector(Mailbox.SystemRecipient.selector, system[i]));
            mailbox.dispatch(SPN, _b32(system[i]), "mint me");
        }
        vm.prank(Sys.BRIDGE);
        mailbox.dispatch(SPN, _b32(Sys.SPN_BRIDGE), "from the bridge");
    }

    // ---- delivery of relayed messages ----

    function test_DeliverVerifiedOnlyAdaptor() public {
        bytes memory m = _from(0, address(new Recipient()), "x");
        vm.expectRevert(Mailbox.OnlyAdaptor.selector);
        mailbox.deliverVerified(m);
        vm.prank(ALICE);
        vm.expectRevert(Mailbox.OnlyAdaptor.selector);
        mailbox.deliverVerified(m);
    }

    function test_DeliverVerifiedChecksFormatAndDuplicates() public {
        Recipient r = new Recipient();
        bytes memory m = _from(0, address(r), "x");
        vm.startPrank(Sys.ADAPTOR);
        vm.expectRevert(Message.MalformedMessage.selector);
        mailbox.deliverVerified(new bytes(10));
        mailbox.deliverVerified(m);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.AlreadyKnown.selector, keccak256(m)));
        mailbox.deliverVerified(m);
        vm.stopPrank();
        assertEq(r.calls(), 1, "once");
    }

    function test_FailedDeliveryThenRetry() public {
        Recipient r = new Recipient();
        r.setFailing(true);
        bytes memory m = _from(0, address(r), "pay me");
        bytes32 id = _relay(SPN, m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Failed, "failed");
        assertEq(mailbox.messageOf(id), m, "kept for retry");
        assertEq(r.calls(), 0, "not handled");
        // Retrying while the recipient still reverts leaves it failed.
        mailbox.retry(m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Failed, "still failed");
        r.setFailing(false);
        vm.prank(address(0xCAFE)); // anyone may retry
        mailbox.retry(m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Delivered, "delivered");
        assertEq(r.calls(), 1, "handled once");
        assertEq(mailbox.messageOf(id).length, 0, "archive cleared");
        vm.expectRevert(abi.encodeWithSelector(Mailbox.NotRetryable.selector, id));
        mailbox.retry(m);
        // And it cannot be relayed again either.
        _expectRelayRevert(m, abi.encodeWithSelector(Adaptor.AlreadyRelayed.selector, id));
        assertEq(r.calls(), 1, "still once");
    }

    function test_RecipientWithoutCodeFailsThenRetries() public {
        address later = address(0xC0DE);
        bytes memory m = _from(0, later, "x");
        bytes32 id = _relay(SPN, m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Failed, "no code: failed");
        vm.etch(later, address(new Recipient()).code);
        mailbox.retry(m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Delivered, "delivered");
        assertEq(Recipient(later).calls(), 1, "handled");
    }

    function test_RetryUnknownOrQueuedReverts() public {
        bytes memory m = _from(0, address(1), "x");
        vm.expectRevert(abi.encodeWithSelector(Mailbox.NotRetryable.selector, keccak256(m)));
        mailbox.retry(m);
        bytes32 id = mailbox.dispatch(SPN, _b32(address(1)), "queued");
        bytes memory queued = mailbox.messageOf(id);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.NotRetryable.selector, id));
        mailbox.retry(queued);
    }

    function test_ReentrantRetryRefused() public {
        ReentrantRecipient r = new ReentrantRecipient(Sys.MAILBOX);
        bytes memory m = _from(0, address(r), "x");
        r.setMessage(m);
        bytes32 id = _relay(SPN, m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Delivered, "delivered");
        assertEq(r.calls(), 1, "handled once");
        assertTrue(r.reentryFailed(), "reentrant retry refused");
    }

    function test_SystemContractsAreNotRecipients() public {
        address[9] memory system = _systemContractsExcept(Sys.BRIDGE);
        for (uint256 i = 0; i < system.length; i++) {
            bytes memory m = _from(uint32(i), system[i], "x");
            _expectRelayRevert(
                m, abi.encodeWithSelector(Mailbox.SystemRecipient.selector, system[i])
            );
        }
        // The Bridge only from the SPN Bridge.
        bytes memory fake = _from(99, Sys.BRIDGE, _withdrawBody(NATIVE, ALICE, 1, 1));
        _expectRelayRevert(
            fake, abi.encodeWithSelector(Mailbox.SystemRecipient.selector, Sys.BRIDGE)
        );
    }

    function test_NonAddressRecipientRejected() public {
        bytes memory m =
            Message.format(0, SPN, _b32(ALICE), _mainnet(), bytes32(uint256(1) << 200), "x");
        _expectRelayRevert(m, abi.encodeWithSelector(Message.MalformedMessage.selector));
    }

    // ---- SPN to SPN ----

    function test_CrossSpnMessageIsQueuedForDestination() public {
        bytes memory m = Message.format(0, SPN, _b32(ALICE), SPN2, _b32(address(0x1234)), "to spn2");
        bytes32 id = _relay(SPN, m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Queued, "queued");
        assertEq(mailbox.queueLength(SPN2), 1, "in SPN2's queue");
        assertEq(mailbox.messagesFor(SPN2, 0, 1)[0], m, "archived as sent");
        assertEq(mailbox.queueLength(SPN), 0, "not in the origin's queue");
        // Once only.
        vm.prank(Sys.ADAPTOR);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.AlreadyKnown.selector, id));
        mailbox.deliverVerified(m);
    }

    function test_CrossSpnToUnknownDestinationRejected() public {
        bytes memory m = Message.format(0, SPN, _b32(ALICE), 99, _b32(address(0x1234)), "x");
        _expectRelayRevert(
            m, abi.encodeWithSelector(Mailbox.InvalidDestination.selector, uint32(99))
        );
    }

    /// An SPN cannot address another SPN's system contracts (e.g. claim to be the mainnet
    /// Bridge and have SPN2's Bridge mint): system contracts are not message recipients.
    function test_CrossSpnToSystemRecipientRejected() public {
        address[2] memory spnSystem = [Sys.SPN_BRIDGE, Sys.SPN_MAILBOX];
        for (uint256 i = 0; i < spnSystem.length; i++) {
            bytes memory m = Message.format(
                uint32(i),
                SPN,
                _b32(Sys.BRIDGE), // a forged sender: SPN's validators attest whatever they like
                SPN2,
                _b32(spnSystem[i]),
                abi.encode(uint8(1), NATIVE, ALICE, 1000 ether, 1)
            );
            _expectRelayRevert(
                m, abi.encodeWithSelector(Mailbox.SystemRecipient.selector, spnSystem[i])
            );
        }
        assertEq(mailbox.queueLength(SPN2), 0, "nothing queued for SPN2");
    }

    // ---- fuzz ----

    function testFuzz_DispatchFormat(address sender, uint160 recipient, bytes calldata body)
        public
    {
        vm.assume(recipient != 0 && !Sys.isSystem(address(recipient)));
        vm.assume(body.length <= Message.MAX_BODY);
        vm.prank(sender);
        bytes32 id = mailbox.dispatch(SPN, bytes32(uint256(recipient)), body);
        bytes memory m = mailbox.messageOf(id);
        assertEq(
            m,
            Message.format(0, _mainnet(), _b32(sender), SPN, bytes32(uint256(recipient)), body),
            "format"
        );
        assertEq(keccak256(m), id, "id");
    }
}
