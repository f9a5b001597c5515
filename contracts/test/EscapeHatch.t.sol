// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Adaptor} from "../src/Adaptor.sol";
import {Bridge} from "../src/Bridge.sol";
import {Mailbox} from "../src/Mailbox.sol";
import {Registry} from "../src/Registry.sol";
import {Checkpoint} from "../src/lib/Checkpoint.sol";
import {Rlp} from "../src/lib/Rlp.sol";
import {SpnLayout} from "../src/lib/SpnLayout.sol";
import {SlotProof, StateProof} from "../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {EscapeHatchFixture} from "./utils/EscapeHatchFixture.sol";

/// The escape hatch at its edges: the freeze deadline to the second, the bounded queue of
/// forced requests, and attacks on exits (paying a balance twice, someone else's balance,
/// an unfinalized state, a live SPN, a withdrawal relayed after the exit).
contract EscapeHatchTest is EscapeHatchFixture {
    // ---- the deadline ----

    function test_FreezeRefusedUntilTheDeadlinePassed() public {
        _depositNative(SPN, BOB, 10 ether);
        uint256 id = _request(ALICE, SPN, NATIVE, 1 ether);
        uint64 deadline = bridge.forcedRequest(id).deadline;
        assertEq(deadline, block.timestamp + FORCE_DELAY, "deadline");
        uint64[2] memory early = [deadline - 1, deadline];
        for (uint256 i = 0; i < early.length; i++) {
            vm.warp(early[i]);
            vm.prank(address(0xCAFE));
            vm.expectRevert(abi.encodeWithSelector(Bridge.DeadlineNotPassed.selector, deadline));
            bridge.freeze(id);
            assertTrue(registry.status(SPN) == Registry.Status.Active, "still active");
            assertTrue(bridge.forcedRequest(id).state == Bridge.ForceState.Pending, "pending");
            assertEq(restaking.totalStake(SPN), 30 ether, "nobody slashed");
            assertEq(bridge.pendingForced(SPN), 1, "still pending");
        }
        vm.warp(deadline + 1);
        vm.prank(address(0xCAFE));
        bridge.freeze(id);
        assertTrue(registry.status(SPN) == Registry.Status.Frozen, "frozen one second later");
        assertTrue(bridge.forcedRequest(id).state == Bridge.ForceState.Expired, "expired");
        assertEq(restaking.totalStake(SPN), 0, "slashed");
        assertEq(bridge.pendingForced(SPN), 0, "settled");
    }

    /// The SPN may prove a request processed at any time until somebody freezes it: one
    /// second before, at and after the deadline.
    function test_ConfirmWorksAroundTheDeadlineUntilAFreeze() public {
        uint256 a = _request(ALICE, SPN, NATIVE, 1 ether);
        uint256 b = _request(BOB, SPN, NATIVE, 1 ether);
        uint256 c = _request(CAROL, SPN, NATIVE, 1 ether);
        uint64 deadline = bridge.forcedRequest(a).deadline;
        uint256[3] memory ids = [a, b, c];
        uint64[3] memory times = [deadline - 1, deadline, deadline + 1];
        for (uint256 i = 0; i < 3; i++) {
            vm.warp(times[i]);
            (uint64 h, SlotProof memory proof) = _proveProcessed(SPN, ids[i]);
            bridge.confirmForcedWithdrawal(ids[i], h, proof);
            assertTrue(
                bridge.forcedRequest(ids[i]).state == Bridge.ForceState.Processed, "processed"
            );
            assertEq(bridge.pendingForced(SPN), 2 - i, "pending count");
            vm.expectRevert(abi.encodeWithSelector(Bridge.RequestNotPending.selector, ids[i]));
            bridge.freeze(ids[i]);
        }
        assertTrue(registry.status(SPN) == Registry.Status.Active, "never frozen");
        assertEq(restaking.totalStake(SPN), 30 ether, "never slashed");
        assertEq(ALICE.balance + BOB.balance + CAROL.balance, 3 * FORCE_BOND, "bonds back");
    }

    /// Once frozen, the expired request cannot be confirmed; another request of the frozen
    /// SPN settles either way (proven processed in a finalized state, or expired, slashing
    /// nothing more).
    function test_RequestsAfterTheFreeze() public {
        uint256 a = _request(ALICE, SPN, NATIVE, 1 ether);
        uint256 b = _request(BOB, SPN, NATIVE, 1 ether);
        uint256 c = _request(CAROL, SPN, NATIVE, 1 ether);
        (uint64 h, SlotProof memory proofB) = _proveProcessed(SPN, b);
        vm.warp(bridge.forcedRequest(a).deadline + 1);
        bridge.freeze(a);
        assertEq(bridge.pendingForced(SPN), 2, "two left");
        SlotProof memory proofA = _proveSlot(
            registry.stateRootAt(SPN, h), Sys.SPN_BRIDGE, SpnLayout.forcedProcessedSlot(a), 1
        );
        vm.expectRevert(abi.encodeWithSelector(Bridge.RequestNotPending.selector, a));
        bridge.confirmForcedWithdrawal(a, h, proofA);
        bridge.confirmForcedWithdrawal(b, h, proofB);
        assertEq(BOB.balance, FORCE_BOND, "bond back");
        vm.recordLogs();
        bridge.freeze(c);
        assertEq(
            _logsOf(vm.getRecordedLogs(), Sys.BRIDGE, Bridge.SpnFrozen.selector).length,
            1,
            "one SpnFrozen"
        );
        assertTrue(bridge.forcedRequest(c).state == Bridge.ForceState.Expired, "expired");
        assertEq(CAROL.balance, FORCE_BOND, "bond back");
        assertEq(bridge.pendingForced(SPN), 0, "none pending");
    }

    // ---- the bounded queue ----

    function test_ForcedQueueBoundedPerSpn() public {
        uint256 max = bridge.MAX_PENDING_FORCED();
        assertEq(max, 256, "bound");
        uint256 first = _request(ALICE, SPN, NATIVE, 1);
        for (uint256 i = 1; i < max; i++) {
            _request(ALICE, SPN, NATIVE, 1);
        }
        assertEq(bridge.pendingForced(SPN), max, "full");
        uint256 queued = mailbox.queueLength(SPN);
        vm.deal(BOB, FORCE_BOND);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(Bridge.ForcedQueueFull.selector, SPN));
        bridge.requestForcedWithdrawal{value: FORCE_BOND}(SPN, NATIVE, 1);
        assertEq(BOB.balance, FORCE_BOND, "bond kept by the user");
        assertEq(mailbox.queueLength(SPN), queued, "nothing queued");
        assertEq(bridge.forcedCount(), max, "no request recorded");
        // Per SPN: the other SPN's queue is open.
        vm.prank(BOB);
        bridge.requestForcedWithdrawal{value: FORCE_BOND}(OTHER_SPN, NATIVE, 1);
        assertEq(bridge.pendingForced(OTHER_SPN), 1, "other spn");
        // A confirmation frees a place.
        (uint64 h, SlotProof memory proof) = _proveProcessed(SPN, first);
        bridge.confirmForcedWithdrawal(first, h, proof);
        assertEq(bridge.pendingForced(SPN), max - 1, "one confirmed");
        uint256 again = _request(BOB, SPN, NATIVE, 1);
        assertEq(bridge.pendingForced(SPN), max, "full again");
        vm.deal(CAROL, FORCE_BOND);
        vm.prank(CAROL);
        vm.expectRevert(abi.encodeWithSelector(Bridge.ForcedQueueFull.selector, SPN));
        bridge.requestForcedWithdrawal{value: FORCE_BOND}(SPN, NATIVE, 1);
        // So does an expiry.
        vm.warp(bridge.forcedRequest(again).deadline + 1);
        bridge.freeze(first + 1);
        assertEq(bridge.pendingForced(SPN), max - 1, "one expired");
        bridge.freeze(again);
        assertEq(bridge.pendingForced(SPN), max - 2, "two expired");
        assertEq(bridge.pendingForced(OTHER_SPN), 1, "other spn untouched");
    }

    // ---- attacks on exits (each refused, nothing paid) ----

    /// Alice holds 6 ether and Bob 4 in the last finalized state of a frozen SPN.
    function _frozenWithBalances() internal returns (bytes32 root) {
        _depositNative(SPN, ALICE, 6 ether);
        _depositNative(SPN, BOB, 4 ether);
        root = keccak256("last finalized");
        _finalize(SPN, 500, root);
        _freeze(SPN);
    }

    /// An account leaf of the SPN Bridge other than `_proveSlot`'s (nonce 1), whose storage
    /// the mock verifier accepts as holding `amount` at `user`'s balance slot, with other
    /// proof nodes: a second, differently encoded proof of the same balance.
    function _otherEncoding(bytes32 root, address user, uint256 amount)
        internal
        returns (SlotProof memory p)
    {
        bytes32 storageRoot = keccak256(abi.encode("other storage root", root));
        bytes memory leaf = abi.encodePacked(
            hex"f844", hex"01", hex"80", hex"a0", storageRoot, hex"a0", keccak256("code")
        );
        mpt.allow(root, keccak256(abi.encodePacked(Sys.SPN_BRIDGE)), leaf);
        bytes32 slotKey = keccak256(abi.encode(SpnLayout.balanceSlot(NATIVE, user)));
        mpt.allow(storageRoot, slotKey, Rlp.encodeUint(amount));
        p.accountRlp = leaf;
        p.accountProof = new bytes[](3);
        (p.accountProof[0], p.accountProof[1], p.accountProof[2]) = (hex"c0", hex"c1", hex"c2");
        p.storageProof = new bytes[](2);
        (p.storageProof[0], p.storageProof[1]) = (hex"c3", hex"c4");
    }

    function test_SecondExitOfTheSameBalanceRefused() public {
        bytes32 root = _frozenWithBalances();
        // Alice exits with a proof through a second account leaf the verifier accepts.
        SlotProof memory other = _otherEncoding(root, ALICE, 6 ether);
        vm.prank(ALICE);
        bridge.exit(SPN, NATIVE, 6 ether, other);
        assertEq(ALICE.balance, 6 ether, "paid once");

        // Then with the usual proof, that proof with extra nodes, and the first one again:
        // whatever the verifier accepts, the exit is keyed by (spn, user, token).
        SlotProof memory p = _exitProof(root, NATIVE, ALICE, 6 ether);
        bytes[] memory accountNodes = new bytes[](2);
        (accountNodes[0], accountNodes[1]) = (p.accountProof[0], hex"deadbeef");
        bytes[] memory storageNodes = new bytes[](2);
        (storageNodes[0], storageNodes[1]) = (p.storageProof[0], hex"00");
        SlotProof memory extra = SlotProof(p.accountRlp, accountNodes, storageNodes);
        SlotProof[3] memory attempts = [p, extra, other];
        for (uint256 i = 0; i < attempts.length; i++) {
            vm.prank(ALICE);
            vm.expectRevert(Bridge.AlreadyExited.selector);
            bridge.exit(SPN, NATIVE, 6 ether, attempts[i]);
        }
        assertEq(ALICE.balance, 6 ether, "nothing more");
        assertEq(bridge.escrowed(SPN, NATIVE), 4 ether, "bob's share left");
        assertTrue(bridge.exited(SPN, ALICE, NATIVE), "marked");
    }

    function test_ExitOfSomeoneElsesBalanceRefused() public {
        bytes32 root = _frozenWithBalances();
        SlotProof memory bobs = _exitProof(root, NATIVE, BOB, 4 ether);
        // Alice (who has not exited) and an outsider present Bob's proof: the slot is the
        // caller's.
        address[2] memory thieves = [ALICE, CAROL];
        for (uint256 i = 0; i < thieves.length; i++) {
            vm.prank(thieves[i]);
            vm.expectRevert(StateProof.InvalidStorageProof.selector);
            bridge.exit(SPN, NATIVE, 4 ether, bobs);
            assertTrue(!bridge.exited(SPN, thieves[i], NATIVE), "not marked");
        }
        // Nor does the token of the proof change: Bob's native balance is not a USD balance.
        vm.prank(BOB);
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        bridge.exit(SPN, address(usd), 4 ether, bobs);
        assertEq(ALICE.balance + CAROL.balance, 0, "nothing paid");
        assertEq(bridge.escrowed(SPN, NATIVE), 10 ether, "escrow intact");
        vm.prank(BOB);
        bridge.exit(SPN, NATIVE, 4 ether, bobs);
        assertEq(BOB.balance, 4 ether, "the owner exits");
    }

    function test_ExitAgainstAStateOtherThanTheFinalizedOneRefused() public {
        _depositNative(SPN, ALICE, 10 ether);
        bytes32 older = keccak256("older");
        _finalize(SPN, 400, older);
        bytes32 last = keccak256("last");
        _finalize(SPN, 500, last);
        _freeze(SPN);
        // A newer state (Alice received more after the last checkpoint) that was never
        // finalized, and cannot be any more.
        bytes32 newer = keccak256("newer, unfinalized");
        Checkpoint memory c = _checkpoint(SPN, 600, newer);
        uint256[] memory idx = _range(3);
        bytes[] memory sigs = _signatures(c, idx);
        vm.expectRevert(
            abi.encodeWithSelector(
                Adaptor.SpnNotCheckpointing.selector, SPN, Registry.Status.Frozen
            )
        );
        adaptor.submitCheckpoint(c, idx, sigs);
        SlotProof memory fromNewer = _exitProof(newer, NATIVE, ALICE, 10 ether);
        vm.prank(ALICE);
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        bridge.exit(SPN, NATIVE, 10 ether, fromNewer);
        // An older finalized state does not count either.
        SlotProof memory fromOlder = _exitProof(older, NATIVE, ALICE, 10 ether);
        vm.prank(ALICE);
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        bridge.exit(SPN, NATIVE, 10 ether, fromOlder);
        // The account leaf of the finalized state with the storage of the newer one.
        SlotProof memory mixed = _exitProof(last, NATIVE, ALICE, 2 ether);
        mixed.storageProof = fromNewer.storageProof;
        mpt.allow(
            _storageRootFor(newer, Sys.SPN_BRIDGE),
            keccak256(abi.encode(SpnLayout.balanceSlot(NATIVE, ALICE))),
            Rlp.encodeUint(10 ether)
        );
        vm.prank(ALICE);
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        bridge.exit(SPN, NATIVE, 10 ether, mixed);
        assertEq(ALICE.balance, 0, "nothing paid");
        assertEq(bridge.escrowed(SPN, NATIVE), 10 ether, "escrow intact");
    }

    function test_ExitOnAnSpnThatIsNotFrozenRefused() public {
        _depositNative(SPN, ALICE, 10 ether);
        _depositNative(OTHER_SPN, ALICE, 10 ether);
        bytes32 root = keccak256("live state");
        _finalize(SPN, 500, root);
        SlotProof memory p = _exitProof(root, NATIVE, ALICE, 10 ether);
        // Active.
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotFrozen.selector, SPN));
        bridge.exit(SPN, NATIVE, 10 ether, p);
        // Another SPN frozen does not open this one.
        _freeze(OTHER_SPN);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotFrozen.selector, SPN));
        bridge.exit(SPN, NATIVE, 10 ether, p);
        // Retired.
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotFrozen.selector, SPN));
        bridge.exit(SPN, NATIVE, 10 ether, p);
        // Unknown.
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotFrozen.selector, uint32(99)));
        bridge.exit(99, NATIVE, 10 ether, p);
        assertEq(ALICE.balance, 0, "nothing paid");
        assertEq(bridge.escrowed(SPN, NATIVE), 10 ether, "escrow intact");
    }

    /// At the last checkpoint Alice had sent a 4 ether withdrawal (in the outbox, burned on
    /// the SPN) and held 6. She exits the 6 first; the withdrawal still relays and pays its 4;
    /// nothing is paid twice by any path.
    function test_WithdrawalRelayedAfterTheExitPaysOnlyItsValue() public {
        _depositNative(SPN, ALICE, 10 ether);
        _depositNative(SPN, BOB, 5 ether);
        bytes memory m = _withdrawMessage(SPN, 0, NATIVE, ALICE, 4 ether, 1);
        bytes32 root = keccak256("final");
        _finalize(SPN, 100, root);
        _freeze(SPN);
        SlotProof memory p = _exitProof(root, NATIVE, ALICE, 6 ether);
        vm.prank(ALICE);
        bridge.exit(SPN, NATIVE, 6 ether, p);
        assertEq(ALICE.balance, 6 ether, "the balance");
        bytes32 id = _relayAt(SPN, 100, root, m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Delivered, "delivered");
        assertEq(ALICE.balance, 10 ether, "the balance and the withdrawal");

        // Again: the message, another message with the same withdrawal id, the exit.
        SlotProof memory mp =
            _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(m)), 1);
        vm.expectRevert(abi.encodeWithSelector(Adaptor.AlreadyRelayed.selector, id));
        adaptor.relayMessage(SPN, 100, m, mp);
        bytes memory copy = _withdrawMessage(SPN, 1, NATIVE, ALICE, 4 ether, 1);
        bytes32 copyId = _relayAt(SPN, 100, root, copy);
        assertTrue(mailbox.status(copyId) == Mailbox.Status.Failed, "same withdrawal id fails");
        vm.prank(ALICE);
        vm.expectRevert(Bridge.AlreadyExited.selector);
        bridge.exit(SPN, NATIVE, 6 ether, p);
        assertEq(ALICE.balance, 10 ether, "nothing twice");
        assertEq(bridge.escrowed(SPN, NATIVE), 5 ether, "bob's 5 left");
        // Bob's exit takes the rest, and nothing more is there to take.
        SlotProof memory bp = _exitProof(root, NATIVE, BOB, 5 ether);
        vm.prank(BOB);
        bridge.exit(SPN, NATIVE, 5 ether, bp);
        assertEq(bridge.escrowed(SPN, NATIVE), 0, "all paid out, once");
        assertEq(Sys.BRIDGE.balance, 0, "nothing left (bonds returned)");
    }

    /// An exit never takes from another SPN's escrow, even when its own runs short.
    function test_ExitBeyondItsSpnsEscrowRefused() public {
        _depositNative(SPN, ALICE, 1 ether);
        _depositNative(OTHER_SPN, BOB, 50 ether);
        bytes32 root = keccak256("inflated");
        _finalize(SPN, 100, root);
        _freeze(SPN);
        SlotProof memory p = _exitProof(root, NATIVE, ALICE, 2 ether);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.InsufficientEscrow.selector, SPN, NATIVE));
        bridge.exit(SPN, NATIVE, 2 ether, p);
        assertEq(bridge.escrowed(OTHER_SPN, NATIVE), 50 ether, "other escrow intact");
        assertTrue(!bridge.exited(SPN, ALICE, NATIVE), "not marked");
    }
}
