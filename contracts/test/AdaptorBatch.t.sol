// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Adaptor, MessageBatch} from "../src/Adaptor.sol";
import {Mailbox} from "../src/Mailbox.sol";
import {Message} from "../src/lib/Message.sol";
import {SpnLayout} from "../src/lib/SpnLayout.sol";
import {SlotProof, StateProof} from "../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";
import {Vm} from "./utils/Cheats.sol";
import {Recipient} from "./utils/Mocks.sol";

/// `relayMessages`: a batch proven against one finalized root, the account proven once.
contract AdaptorBatchTest is SystemFixture {
    uint32 internal constant SPN = 7;
    uint64 internal constant HEIGHT = 100;
    bytes32 internal constant ROOT = keccak256("batch root");

    Recipient internal r;

    function setUp() public override {
        super.setUp();
        _activeSpn(SPN, 3, 10 ether);
        _finalize(SPN, HEIGHT, ROOT);
        r = new Recipient();
    }

    function _msg(uint32 nonce) internal view returns (bytes memory) {
        return Message.format(
            nonce, SPN, _b32(address(0xA11CE)), _mainnet(), _b32(address(r)), abi.encode(nonce)
        );
    }

    /// `n` messages, each proven in the SPN Mailbox's outbox under ROOT.
    function _batch(uint32 n) internal returns (MessageBatch memory b) {
        b.messages = new bytes[](n);
        b.storageProofs = new bytes[][](n);
        for (uint32 i = 0; i < n; i++) {
            b.messages[i] = _msg(i);
            SlotProof memory p = _proveSlot(
                ROOT, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(b.messages[i])), 1
            );
            b.accountRlp = p.accountRlp;
            b.accountProof = p.accountProof;
            b.storageProofs[i] = p.storageProof;
        }
    }

    function _send(MessageBatch memory b) internal returns (uint256) {
        return adaptor.relayMessages(SPN, HEIGHT, b);
    }

    function _expectNothingDelivered(MessageBatch memory b) internal view {
        assertEq(r.calls(), 0, "nothing handled");
        for (uint256 i = 0; i < b.messages.length; i++) {
            assertTrue(mailbox.status(keccak256(b.messages[i])) == Mailbox.Status.None, "unknown");
        }
    }

    function test_BatchDeliversEveryMessageInOrder() public {
        MessageBatch memory b = _batch(5);
        vm.recordLogs();
        assertEq(_send(b), 5, "relayed");
        assertEq(r.calls(), 5, "handled");
        assertEq(r.lastBody(), abi.encode(uint32(4)), "last in order");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 seen;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter != address(adaptor)) continue;
            assertEq(logs[i].topics[0], Adaptor.MessageRelayed.selector, "event");
            assertEq(logs[i].topics[2], keccak256(b.messages[seen]), "relayed in order");
            seen++;
        }
        assertEq(seen, 5, "one MessageRelayed each");
        for (uint256 i = 0; i < 5; i++) {
            assertTrue(
                mailbox.status(keccak256(b.messages[i])) == Mailbox.Status.Delivered, "delivered"
            );
        }
    }

    function test_BatchSkipsMessagesAlreadyRelayed() public {
        MessageBatch memory b = _batch(4);
        // Another relayer was first with message 2 alone.
        adaptor.relayMessage(
            SPN, HEIGHT, b.messages[2], SlotProof(b.accountRlp, b.accountProof, b.storageProofs[2])
        );
        assertEq(_send(b), 3, "the other three");
        assertEq(r.calls(), 4, "each handled once");
        // The whole batch again: nothing to do, and no revert.
        assertEq(_send(b), 0, "all known");
        assertEq(r.calls(), 4, "still once each");
    }

    function test_BatchWithAnUnprovenMessageRevertsWhole() public {
        MessageBatch memory b = _batch(3);
        b.messages[1] = _msg(99); // not in the outbox: its proof is for message 1
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        _send(b);
        _expectNothingDelivered(b);
    }

    function test_BatchWithAForeignAccountProofReverts() public {
        MessageBatch memory b = _batch(2);
        b.accountRlp = _accountRlp(keccak256("another storage root"));
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        _send(b);
        _expectNothingDelivered(b);
    }

    function test_BatchWithAnotherOriginReverts() public {
        MessageBatch memory b = _batch(2);
        b.messages[1] =
            Message.format(1, SPN + 1, _b32(address(0xA11CE)), _mainnet(), _b32(address(r)), "x");
        vm.expectRevert(abi.encodeWithSelector(Adaptor.WrongOrigin.selector, SPN + 1, SPN));
        _send(b);
        _expectNothingDelivered(b);
    }

    function test_BatchShapeAndCheckpointChecked() public {
        MessageBatch memory b = _batch(2);
        MessageBatch memory bad =
            MessageBatch(b.accountRlp, b.accountProof, b.messages, new bytes[][](1));
        vm.expectRevert(Adaptor.LengthMismatch.selector);
        adaptor.relayMessages(SPN, HEIGHT, bad);
        bad = MessageBatch(b.accountRlp, b.accountProof, new bytes[](0), new bytes[][](0));
        vm.expectRevert(Adaptor.EmptyBatch.selector);
        adaptor.relayMessages(SPN, HEIGHT, bad);
        vm.expectRevert(abi.encodeWithSelector(Adaptor.UnknownCheckpoint.selector, SPN, 101));
        adaptor.relayMessages(SPN, 101, b);
        _expectNothingDelivered(b);
    }

    function test_BatchKeepsFailedDeliveriesRetryable() public {
        MessageBatch memory b = _batch(2);
        r.setFailing(true);
        assertEq(_send(b), 2, "both relayed");
        bytes32 id = keccak256(b.messages[0]);
        assertTrue(mailbox.status(id) == Mailbox.Status.Failed, "failed, kept");
        r.setFailing(false);
        mailbox.retry(b.messages[0]);
        assertTrue(mailbox.status(id) == Mailbox.Status.Delivered, "retried");
        assertEq(r.calls(), 1, "once");
    }
}
