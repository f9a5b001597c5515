// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bridge} from "../src/Bridge.sol";
import {SpnLayout} from "../src/lib/SpnLayout.sol";
import {SlotProof, StateProof} from "../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Vm} from "./utils/Cheats.sol";
import {EtherRefuser} from "./utils/Mocks.sol";
import {EscapeHatchFixture} from "./utils/EscapeHatchFixture.sol";

/// Refunds of deposits a frozen SPN had not taken in by its last finalized checkpoint: the
/// deposit's queue index against the SPN Mailbox's inbound count proven in that state. The
/// SPN side is the real SpnMailbox and SpnBridge, fed the mainnet queue in order.
contract DepositRefundTest is EscapeHatchFixture {
    uint256 internal _salt;

    /// Deliver the mainnet queue of SPN `SPN` to the SPN twins up to index `end` (exclusive).
    function _deliverUpTo(uint256 end) internal {
        for (uint256 i = spnMailbox.inboundCount(); i < end; i++) {
            _deliver(mailbox.messageOf(mailbox.queueAt(SPN, i)));
        }
    }

    /// The SPN Mailbox's inbound count, read from the slot the mainnet proves.
    function _inboundAtSlot() internal view returns (uint256) {
        return uint256(vm.load(Sys.SPN_MAILBOX, SpnLayout.INBOUND_COUNT_SLOT));
    }

    /// Finalize the SPN's current state under a fresh root; returns the root and the proof of
    /// its inbound count (read from the storage slot).
    function _checkpointNow() internal returns (bytes32 root, uint256 inbound, SlotProof memory p) {
        root = keccak256(abi.encode("spn state", _salt++));
        _finalize(SPN, _nextHeight(SPN), root);
        inbound = _inboundAtSlot();
        p = _inboundProof(root, inbound);
    }

    function _refund(uint256 id, Bridge.DepositRecord memory d, uint256 inbound, SlotProof memory p)
        internal
    {
        vm.prank(address(0xCAFE)); // anyone may call; the depositor is paid
        bridge.refundDeposit(id, d, inbound, p);
    }

    // ---- the layout constant ----

    function test_InboundCountSlotIsSpnMailboxInboundCount() public {
        // The Rust twin (pharos_contracts::layout::SPN_MAILBOX_INBOUND_COUNT_SLOT) is 2 too.
        assertEq(SpnLayout.INBOUND_COUNT_SLOT, bytes32(uint256(2)), "slot 2");
        assertEq(_inboundAtSlot(), 0, "nothing delivered");
        for (uint256 i = 0; i < 3; i++) {
            _depositNative(SPN, ALICE, 1 ether + i);
        }
        for (uint256 i = 1; i <= 3; i++) {
            _deliverUpTo(i);
            assertEq(spnMailbox.inboundCount(), i, "delivered");
            assertEq(_inboundAtSlot(), spnMailbox.inboundCount(), "slot holds inboundCount");
        }
        // Its neighbours are other variables: slot 1 is handleGas, slot 0 packs the domains.
        assertEq(uint256(vm.load(Sys.SPN_MAILBOX, bytes32(uint256(1)))), HANDLE_GAS, "slot 1");
        assertEq(
            uint256(vm.load(Sys.SPN_MAILBOX, bytes32(0))) & 0xffffffff, SPN, "slot 0 localDomain"
        );
    }

    // ---- the deposit's commitment ----

    function test_DepositQueuedAndCommitted() public {
        _depositNative(SPN, BOB, 1 ether); // index 0
        vm.recordLogs();
        (uint256 id, Bridge.DepositRecord memory d) = _depositToken(SPN, ALICE, 700);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(id, 2, "second deposit");
        assertEq(d.queueIndex, 1, "second in the queue");
        Vm.Log[] memory q = _logsOf(logs, Sys.BRIDGE, Bridge.DepositQueued.selector);
        assertEq(q.length, 1, "one DepositQueued");
        assertEq(q[0].topics[1], bytes32(id), "deposit id");
        assertEq(q[0].topics[2], bytes32(uint256(SPN)), "spn");
        assertEq(abi.decode(q[0].data, (uint256)), 1, "queue index");
        // The Deposited event keeps its shape.
        bytes32 deposited = keccak256("Deposited(uint32,address,address,address,uint256,bytes32)");
        assertEq(_logsOf(logs, Sys.BRIDGE, deposited).length, 1, "Deposited unchanged");
        assertEq(
            bridge.depositCommitment(id),
            keccak256(abi.encode(SPN, address(usd), ALICE, uint256(700), uint256(1))),
            "commitment"
        );
        assertEq(mailbox.queueLength(SPN), 2, "the deposit took index 1");
        assertTrue(!bridge.depositRefunded(id), "not refunded");
    }

    // ---- refunds ----

    /// Alice and Bob each deposited twice; the last checkpoint shows the first two taken in;
    /// the third was taken in after it (never finalized); then the SPN froze.
    struct Scenario {
        uint256[4] ids; // Alice 3 ether, Bob 100 USD, Alice 2 ether, Bob 50 USD
        Bridge.DepositRecord[4] records;
        bytes32 root;
        uint256 inbound;
        SlotProof proof;
        uint256 aliceThen; // balances in the last finalized state
        uint256 bobThen;
    }

    function _scenario() internal returns (Scenario memory s) {
        (s.ids[0], s.records[0]) = _depositNative(SPN, ALICE, 3 ether);
        (s.ids[1], s.records[1]) = _depositToken(SPN, BOB, 100);
        _deliverUpTo(2);
        (s.ids[2], s.records[2]) = _depositNative(SPN, ALICE, 2 ether);
        (s.ids[3], s.records[3]) = _depositToken(SPN, BOB, 50);
        (s.root, s.inbound, s.proof) = _checkpointNow();
        assertEq(s.inbound, 2, "two taken in at the checkpoint");
        s.aliceThen = spnBridge.balanceOf(NATIVE, ALICE);
        s.bobThen = spnBridge.balanceOf(address(usd), BOB);
        assertEq(s.aliceThen, 3 ether, "alice credited");
        assertEq(s.bobThen, 100, "bob credited");
        // Taken in after the last checkpoint: never finalized, still refundable.
        _deliverUpTo(3);
        _freeze(SPN);
    }

    function test_RefundOfDepositsTheFrozenSpnNeverCredited() public {
        Scenario memory s = _scenario();
        vm.recordLogs();
        _refund(s.ids[2], s.records[2], s.inbound, s.proof);
        Vm.Log[] memory r =
            _logsOf(vm.getRecordedLogs(), Sys.BRIDGE, Bridge.DepositRefunded.selector);
        assertEq(r.length, 1, "one DepositRefunded");
        assertEq(r[0].topics[1], bytes32(s.ids[2]), "deposit id");
        assertEq(r[0].topics[2], bytes32(uint256(SPN)), "spn");
        assertEq(r[0].topics[3], bytes32(uint256(uint160(ALICE))), "depositor");
        (address token, uint256 amount) = abi.decode(r[0].data, (address, uint256));
        assertEq(token, NATIVE, "token");
        assertEq(amount, 2 ether, "amount");
        assertEq(ALICE.balance, 2 ether, "refunded to the depositor");
        assertTrue(bridge.depositRefunded(s.ids[2]), "marked");
        _refund(s.ids[3], s.records[3], s.inbound, s.proof);
        assertEq(usd.balanceOf(BOB), 50, "token refunded");

        // Those taken in are in the exit proofs instead; everything comes back once.
        SlotProof memory ap = _exitProof(s.root, NATIVE, ALICE, s.aliceThen);
        vm.prank(ALICE);
        bridge.exit(SPN, NATIVE, s.aliceThen, ap);
        SlotProof memory bp = _exitProof(s.root, address(usd), BOB, s.bobThen);
        vm.prank(BOB);
        bridge.exit(SPN, address(usd), s.bobThen, bp);
        assertEq(ALICE.balance, 5 ether, "alice whole");
        assertEq(usd.balanceOf(BOB), 150, "bob whole");
        assertEq(bridge.escrowed(SPN, NATIVE), 0, "native escrow paid out");
        assertEq(bridge.escrowed(SPN, address(usd)), 0, "token escrow paid out");
    }

    function test_RefundOnceAndNeverOfADeliveredDeposit() public {
        Scenario memory s = _scenario();
        _refund(s.ids[2], s.records[2], s.inbound, s.proof);
        vm.expectRevert(abi.encodeWithSelector(Bridge.DepositAlreadyRefunded.selector, s.ids[2]));
        bridge.refundDeposit(s.ids[2], s.records[2], s.inbound, s.proof);
        for (uint256 i = 0; i < 2; i++) {
            vm.expectRevert(abi.encodeWithSelector(Bridge.DepositWasDelivered.selector, s.ids[i]));
            bridge.refundDeposit(s.ids[i], s.records[i], s.inbound, s.proof);
        }
        assertEq(ALICE.balance, 2 ether, "refunded once");
        assertEq(usd.balanceOf(BOB), 0, "nothing for the delivered deposit");
        assertEq(bridge.escrowed(SPN, NATIVE), 3 ether, "alice's credited 3 left for her exit");
    }

    function test_RefundBoundaryAtTheInboundCount() public {
        (uint256 a, Bridge.DepositRecord memory da) = _depositNative(SPN, ALICE, 1 ether);
        (uint256 b, Bridge.DepositRecord memory db) = _depositNative(SPN, BOB, 1 ether);
        _deliverUpTo(1);
        (, uint256 inbound, SlotProof memory p) = _checkpointNow();
        assertEq(inbound, 1, "one in");
        _freeze(SPN);
        // Index inbound - 1 was delivered; index inbound was not.
        vm.expectRevert(abi.encodeWithSelector(Bridge.DepositWasDelivered.selector, a));
        bridge.refundDeposit(a, da, inbound, p);
        _refund(b, db, inbound, p);
        assertEq(BOB.balance, 1 ether, "refunded");
        assertEq(ALICE.balance, 0, "delivered one not refunded");
    }

    function test_RefundRefusedOnAnSpnThatIsNotFrozen() public {
        (uint256 id, Bridge.DepositRecord memory d) = _depositNative(SPN, ALICE, 1 ether);
        (, uint256 inbound, SlotProof memory p) = _checkpointNow();
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotFrozen.selector, SPN));
        bridge.refundDeposit(id, d, inbound, p);
        // Another SPN frozen does not open this one.
        _freeze(OTHER_SPN);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotFrozen.selector, SPN));
        bridge.refundDeposit(id, d, inbound, p);
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotFrozen.selector, SPN));
        bridge.refundDeposit(id, d, inbound, p);
        assertEq(ALICE.balance, 0, "nothing paid");
        assertEq(bridge.escrowed(SPN, NATIVE), 1 ether, "escrow intact");
    }

    function test_RefundRefusesForgedRecords() public {
        (uint256 id, Bridge.DepositRecord memory d) = _depositNative(SPN, ALICE, 1 ether);
        (uint256 other, Bridge.DepositRecord memory o) = _depositNative(OTHER_SPN, BOB, 9 ether);
        (, uint256 inbound, SlotProof memory p) = _checkpointNow();
        _freeze(SPN);
        Bridge.DepositRecord[5] memory forged;
        for (uint256 i = 0; i < forged.length; i++) {
            forged[i] = Bridge.DepositRecord(d.spnId, d.token, d.from, d.amount, d.queueIndex);
        }
        forged[0].amount = 2 ether; // more than deposited
        forged[1].from = CAROL; // paid to someone else
        forged[2].token = address(usd); // another token
        forged[3].queueIndex = 5; // a later index, to pass the delivery check
        forged[4].amount = 0;
        for (uint256 i = 0; i < forged.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(Bridge.InvalidDepositRecord.selector, id));
            bridge.refundDeposit(id, forged[i], inbound, p);
        }
        // The right record under another deposit id, and ids that were never deposits.
        uint256[3] memory ids = [other, 0, 99];
        for (uint256 i = 0; i < ids.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(Bridge.InvalidDepositRecord.selector, ids[i]));
            bridge.refundDeposit(ids[i], d, inbound, p);
        }
        // Another SPN's deposit, with its own record, while that SPN is live.
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotFrozen.selector, OTHER_SPN));
        bridge.refundDeposit(other, o, inbound, p);
        // This deposit claimed for another SPN (frozen too, with nothing taken in).
        _freeze(OTHER_SPN);
        Bridge.DepositRecord memory moved =
            Bridge.DepositRecord(OTHER_SPN, d.token, d.from, d.amount, d.queueIndex);
        SlotProof memory none = _unprovenSlot(bytes32(0), Sys.SPN_MAILBOX);
        vm.expectRevert(abi.encodeWithSelector(Bridge.InvalidDepositRecord.selector, id));
        bridge.refundDeposit(id, moved, 0, none);
        assertEq(ALICE.balance + BOB.balance + CAROL.balance, 0, "nothing paid");
        _refund(id, d, inbound, p);
        assertEq(ALICE.balance, 1 ether, "the true record");
    }

    function test_RefundRefusesAWrongInboundCountProof() public {
        (uint256 id, Bridge.DepositRecord memory d) = _depositNative(SPN, ALICE, 1 ether);
        (bytes32 older,, SlotProof memory olderProof) = _checkpointNow(); // inbound 0
        _deliverUpTo(1);
        (bytes32 root, uint256 inbound, SlotProof memory p) = _checkpointNow();
        assertEq(inbound, 1, "delivered by the last checkpoint");
        _freeze(SPN);
        // Claiming the count is 0 with the proof of 1.
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        bridge.refundDeposit(id, d, 0, p);
        // The count of 0 proven at an older checkpoint.
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        bridge.refundDeposit(id, d, 0, olderProof);
        assertTrue(older != root, "two states");
        // Slot 2 of the SPN Bridge, and another slot of the SPN Mailbox, holding 0.
        SlotProof memory wrongAccount =
            _proveSlot(root, Sys.SPN_BRIDGE, SpnLayout.INBOUND_COUNT_SLOT, 0);
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        bridge.refundDeposit(id, d, 0, wrongAccount);
        SlotProof memory wrongSlot = _proveSlot(root, Sys.SPN_MAILBOX, bytes32(uint256(3)), 0);
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        bridge.refundDeposit(id, d, 0, wrongSlot);
        // No proof nodes at all.
        SlotProof memory none = SlotProof(p.accountRlp, new bytes[](0), new bytes[](0));
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        bridge.refundDeposit(id, d, 0, none);
        assertEq(ALICE.balance, 0, "nothing paid");
        // With the true count the deposit was delivered.
        vm.expectRevert(abi.encodeWithSelector(Bridge.DepositWasDelivered.selector, id));
        bridge.refundDeposit(id, d, inbound, p);
    }

    /// An SPN frozen before its first checkpoint took nothing in provably: every deposit is
    /// refundable (inbound count 0, no proof), and nothing can be exited.
    function test_RefundWhenFrozenBeforeAnyCheckpoint() public {
        (uint256 id, Bridge.DepositRecord memory d) = _depositNative(SPN, ALICE, 1 ether);
        _deliverUpTo(1); // delivered, but never finalized
        _freeze(SPN);
        SlotProof memory none = _unprovenSlot(bytes32(0), Sys.SPN_MAILBOX);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NoFinalizedState.selector, SPN));
        bridge.refundDeposit(id, d, 1, none);
        _refund(id, d, 0, none);
        assertEq(ALICE.balance, 1 ether, "refunded");
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NoFinalizedState.selector, SPN));
        bridge.exit(SPN, NATIVE, 1 ether, none);
        vm.expectRevert(abi.encodeWithSelector(Bridge.DepositAlreadyRefunded.selector, id));
        bridge.refundDeposit(id, d, 0, none);
    }

    /// A depositor that refuses the coin keeps its refund for later.
    function test_RefusedRefundStaysRefundable() public {
        EtherRefuser user = new EtherRefuser();
        vm.deal(address(user), 1 ether);
        Bridge.DepositRecord memory d =
            Bridge.DepositRecord(SPN, NATIVE, address(user), 1 ether, mailbox.queueLength(SPN));
        user.exec(Sys.BRIDGE, 1 ether, abi.encodeCall(Bridge.depositNative, (SPN, address(user))));
        uint256 id = bridge.depositCount();
        (, uint256 inbound, SlotProof memory p) = _checkpointNow();
        _freeze(SPN);
        vm.expectRevert(Bridge.TransferFailed.selector);
        bridge.refundDeposit(id, d, inbound, p);
        assertTrue(!bridge.depositRefunded(id), "not marked");
        user.setAccepting(true);
        bridge.refundDeposit(id, d, inbound, p);
        assertEq(address(user).balance, 1 ether, "refunded");
    }
}
