// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Bridge} from "../src/Bridge.sol";
import {Mailbox} from "../src/Mailbox.sol";
import {SpnBridge} from "../src/SpnBridge.sol";
import {SpnMailbox} from "../src/SpnMailbox.sol";
import {Message} from "../src/lib/Message.sol";
import {SpnLayout} from "../src/lib/SpnLayout.sol";
import {SlotProof} from "../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Vm} from "./utils/Cheats.sol";
import {MockToken} from "./utils/Mocks.sol";
import {SpnFixture} from "./utils/SpnFixture.sol";

/// The SPN Bridge: deposits credited at the proven balance slots, transfers, withdrawals that
/// the mainnet Bridge pays, forced withdrawals marked at the proven slot.
contract SpnBridgeTest is SpnFixture {
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant CAROL = address(0xCA201);
    address internal constant USD = address(0x05D0); // a mainnet token address (a ledger key here)

    uint32 internal _n; // nonce of the next mainnet -> SPN message

    uint8 internal constant DEPOSIT = 1;
    uint8 internal constant WITHDRAW = 2;
    uint8 internal constant FORCE = 3;

    function _credit(address token, address to, uint256 amount) internal returns (bytes memory m) {
        uint32 nonce = _n++;
        m = _bridgeMessage(nonce, DEPOSIT, token, to, amount, uint256(nonce) + 1);
        _deliver(m);
        assertTrue(_status(m) == SpnMailbox.Status.Delivered, "deposit delivered");
    }

    function _force(address token, address user, uint256 amount, uint256 requestId)
        internal
        returns (bytes memory m)
    {
        m = _bridgeMessage(_n++, FORCE, token, user, amount, requestId);
        _deliver(m);
        assertTrue(_status(m) == SpnMailbox.Status.Delivered, "forced request delivered");
    }

    function _balanceSlot(address token, address account) internal view returns (uint256) {
        return uint256(vm.load(Sys.SPN_BRIDGE, SpnLayout.balanceSlot(token, account)));
    }

    function _processedSlot(uint256 requestId) internal view returns (uint256) {
        return uint256(vm.load(Sys.SPN_BRIDGE, SpnLayout.forcedProcessedSlot(requestId)));
    }

    /// Checks `m` is a withdrawal the mainnet Bridge accepts from this SPN and decodes it.
    function _decodeWithdrawal(bytes memory m)
        internal
        view
        returns (address token, address to, uint256 amount, uint256 ref)
    {
        (uint8 version,, uint32 origin, bytes32 sender, uint32 dest, bytes32 recipient) = _header(m);
        assertEq(version, Message.VERSION, "version");
        assertEq(origin, SPN, "origin");
        assertEq(sender, _b32(Sys.SPN_BRIDGE), "sender is the SPN Bridge");
        assertEq(dest, _mainnet(), "to the mainnet");
        assertEq(recipient, _b32(Sys.BRIDGE), "recipient is the mainnet Bridge");
        assertTrue(spnMailbox.outboxed(keccak256(m)), "in the outbox");
        uint8 kind;
        (kind, token, to, amount, ref) =
            abi.decode(_body(m), (uint8, address, address, uint256, uint256));
        assertEq(kind, WITHDRAW, "kind");
    }

    // ---- initialization and access ----

    function test_InitializeOnceAndLockedAtDeployment() public {
        assertEq(spnBridge.mainnetDomain(), _mainnet(), "mainnet domain");
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        spnBridge.initialize(1);
        SpnBridge fresh = new SpnBridge();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        fresh.initialize(_mainnet());
        assertEq(spnBridge.NATIVE(), NATIVE, "native id");
    }

    function test_HandleOnlyFromMailboxMainnetAndBridge() public {
        bytes memory body = abi.encode(DEPOSIT, NATIVE, ALICE, uint256(5), uint256(1));
        vm.expectRevert(SpnBridge.OnlyMailbox.selector);
        spnBridge.handle(_mainnet(), _b32(Sys.BRIDGE), body);
        vm.prank(Sys.SYSTEM_CALLER);
        vm.expectRevert(SpnBridge.OnlyMailbox.selector);
        spnBridge.handle(_mainnet(), _b32(Sys.BRIDGE), body);
        vm.prank(Sys.SPN_MAILBOX);
        vm.expectRevert(abi.encodeWithSelector(SpnBridge.UnauthorizedOrigin.selector, OTHER_SPN));
        spnBridge.handle(OTHER_SPN, _b32(Sys.BRIDGE), body);
        vm.prank(Sys.SPN_MAILBOX);
        vm.expectRevert(abi.encodeWithSelector(SpnBridge.UnauthorizedSender.selector, _b32(ALICE)));
        spnBridge.handle(_mainnet(), _b32(ALICE), body);
        vm.prank(Sys.SPN_MAILBOX);
        vm.expectRevert(
            abi.encodeWithSelector(SpnBridge.UnauthorizedSender.selector, _b32(Sys.SPN_BRIDGE))
        );
        spnBridge.handle(_mainnet(), _b32(Sys.SPN_BRIDGE), body);
        // Through the Mailbox, such messages never reach the Bridge at all.
        bytes memory fromSpn = _inbound(_n++, OTHER_SPN, _b32(Sys.BRIDGE), Sys.SPN_BRIDGE, body);
        _deliver(fromSpn);
        assertTrue(_status(fromSpn) == SpnMailbox.Status.Rejected, "other origin rejected");
        bytes memory fromUser = _inbound(_n++, _mainnet(), _b32(ALICE), Sys.SPN_BRIDGE, body);
        _deliver(fromUser);
        assertTrue(_status(fromUser) == SpnMailbox.Status.Rejected, "other sender rejected");
        assertEq(spnBridge.balanceOf(NATIVE, ALICE), 0, "nothing credited");
        assertEq(spnBridge.totalSupply(NATIVE), 0, "nothing minted");
    }

    function test_UnknownKindFailsTheMessage() public {
        bytes memory body = abi.encode(WITHDRAW, NATIVE, ALICE, uint256(5), uint256(1));
        vm.prank(Sys.SPN_MAILBOX);
        vm.expectRevert(abi.encodeWithSelector(SpnBridge.UnknownKind.selector, WITHDRAW));
        spnBridge.handle(_mainnet(), _b32(Sys.BRIDGE), body);
        bytes memory m = _bridgeMessage(_n++, 9, NATIVE, ALICE, 5, 1);
        _deliver(m);
        assertTrue(_status(m) == SpnMailbox.Status.Failed, "failed, not delivered");
        assertEq(spnBridge.totalSupply(NATIVE), 0, "nothing minted");
        // A body that does not decode fails too, without breaking the queue.
        bytes memory bad = _inbound(_n++, _mainnet(), _b32(Sys.BRIDGE), Sys.SPN_BRIDGE, hex"01");
        _deliver(bad);
        assertTrue(_status(bad) == SpnMailbox.Status.Failed, "undecodable body failed");
        assertEq(spnMailbox.inboundCount(), 2, "queue advanced");
    }

    // ---- deposits ----

    function test_DepositCreditsTheProvenBalanceSlot() public {
        vm.recordLogs();
        _credit(NATIVE, ALICE, 7 ether);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        _credit(USD, ALICE, 100);
        _credit(USD, BOB, 50);
        _credit(NATIVE, ALICE, 1 ether);
        assertEq(_balanceSlot(NATIVE, ALICE), 8 ether, "native balance at the layout slot");
        assertEq(_balanceSlot(USD, ALICE), 100, "token balance at the layout slot");
        assertEq(_balanceSlot(USD, BOB), 50, "bob at his slot");
        assertEq(spnBridge.balanceOf(NATIVE, ALICE), 8 ether, "balanceOf");
        assertEq(spnBridge.totalSupply(NATIVE), 8 ether, "native supply");
        assertEq(spnBridge.totalSupply(USD), 150, "token supply");
        bool seen;
        for (uint256 i = 0; i < logs.length; i++) {
            if (
                logs[i].emitter == Sys.SPN_BRIDGE
                    && logs[i].topics[0] == SpnBridge.DepositCredited.selector
            ) {
                assertEq(logs[i].topics[1], _b32(NATIVE), "token");
                assertEq(logs[i].topics[2], _b32(ALICE), "account");
                (uint256 amount, uint256 ref) = abi.decode(logs[i].data, (uint256, uint256));
                assertEq(amount, 7 ether, "amount");
                assertEq(ref, 1, "deposit id");
                seen = true;
            }
        }
        assertTrue(seen, "DepositCredited emitted");
    }

    // ---- transfers ----

    function test_Transfer() public {
        _credit(USD, ALICE, 100);
        vm.prank(ALICE);
        spnBridge.transfer(USD, BOB, 30);
        assertEq(_balanceSlot(USD, ALICE), 70, "alice slot");
        assertEq(_balanceSlot(USD, BOB), 30, "bob slot");
        assertEq(spnBridge.totalSupply(USD), 100, "supply unchanged");
        // To oneself: nothing moves.
        vm.prank(BOB);
        spnBridge.transfer(USD, BOB, 30);
        assertEq(spnBridge.balanceOf(USD, BOB), 30, "self transfer");
        // Too much, other token, zero address.
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(SpnBridge.InsufficientBalance.selector, USD, 30, 31));
        spnBridge.transfer(USD, ALICE, 31);
        vm.prank(BOB);
        vm.expectRevert(
            abi.encodeWithSelector(SpnBridge.InsufficientBalance.selector, NATIVE, 0, 1)
        );
        spnBridge.transfer(NATIVE, ALICE, 1);
        vm.prank(ALICE);
        vm.expectRevert(SpnBridge.InvalidRecipient.selector);
        spnBridge.transfer(USD, address(0), 1);
        vm.prank(ALICE);
        spnBridge.transfer(USD, CAROL, 70);
        assertEq(spnBridge.balanceOf(USD, ALICE), 0, "emptied");
        assertEq(spnBridge.balanceOf(USD, CAROL), 70, "carol");
    }

    // ---- withdrawals ----

    function test_WithdrawBurnsAndSendsWhatTheMainnetBridgeDecodes() public {
        _credit(USD, ALICE, 100);
        vm.recordLogs();
        vm.prank(ALICE);
        bytes32 id = spnBridge.withdraw(USD, 40, BOB);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes memory m = _dispatched(logs);
        assertEq(id, keccak256(m), "returns the message id");
        assertEq(
            vm.load(Sys.SPN_MAILBOX, SpnLayout.outboxSlot(id)), bytes32(uint256(1)), "outbox slot"
        );
        (address token, address to, uint256 amount, uint256 ref) = _decodeWithdrawal(m);
        assertEq(token, USD, "token");
        assertEq(to, BOB, "to");
        assertEq(amount, 40, "amount");
        assertEq(ref, 1, "withdrawal id");
        assertEq(spnBridge.withdrawalCount(), 1, "count");
        assertEq(_balanceSlot(USD, ALICE), 60, "burned from the slot");
        assertEq(spnBridge.totalSupply(USD), 60, "supply burned");
        Vm.Log memory w = logs[logs.length - 1];
        assertEq(w.topics[0], SpnBridge.Withdrawal.selector, "Withdrawal event");
        (uint256 a, uint256 wid, bytes32 mid) = abi.decode(w.data, (uint256, uint256, bytes32));
        assertEq(a, 40, "event amount");
        assertEq(wid, 1, "event withdrawal id");
        assertEq(mid, id, "event message id");

        vm.prank(ALICE);
        bytes32 id2 = spnBridge.withdraw(USD, 60, ALICE);
        assertTrue(id2 != id, "distinct message");
        assertEq(spnBridge.withdrawalCount(), 2, "ids increase");
        assertEq(spnBridge.totalSupply(USD), 0, "all burned");
    }

    function test_WithdrawRejectsBadInput() public {
        _credit(USD, ALICE, 10);
        vm.startPrank(ALICE);
        vm.expectRevert(SpnBridge.ZeroAmount.selector);
        spnBridge.withdraw(USD, 0, ALICE);
        vm.expectRevert(SpnBridge.InvalidRecipient.selector);
        spnBridge.withdraw(USD, 1, address(0));
        vm.expectRevert(abi.encodeWithSelector(SpnBridge.InsufficientBalance.selector, USD, 10, 11));
        spnBridge.withdraw(USD, 11, ALICE);
        vm.stopPrank();
        assertEq(spnBridge.withdrawalCount(), 0, "no withdrawal");
        assertEq(spnMailbox.outboxLength(), 0, "nothing dispatched");
    }

    /// The whole round trip in one EVM: a deposit on the mainnet Bridge is queued by the mainnet
    /// Mailbox, delivered to the SPN by system call and credited; the withdrawal the SPN Bridge
    /// sends is relayed through the Adaptor and paid by the mainnet Bridge, once.
    function test_RoundTripThroughTheMainnet() public {
        _activeSpn(SPN, 3, 10 ether);
        MockToken usd = new MockToken("USD");
        usd.mint(ALICE, 100);
        vm.startPrank(ALICE);
        usd.approve(Sys.BRIDGE, 100);
        bridge.depositERC20(SPN, address(usd), 100, ALICE);
        vm.stopPrank();
        bytes[] memory queued = mailbox.messagesFor(SPN, 0, 10);
        assertEq(queued.length, 1, "queued on the mainnet");
        _deliver(queued[0]);
        assertTrue(_status(queued[0]) == SpnMailbox.Status.Delivered, "delivered on the SPN");
        assertEq(_balanceSlot(address(usd), ALICE), 100, "credited at the slot");

        vm.recordLogs();
        vm.prank(ALICE);
        spnBridge.withdraw(address(usd), 30, BOB);
        bytes memory m = _dispatched(vm.getRecordedLogs());
        _relay(SPN, m);
        assertEq(usd.balanceOf(BOB), 30, "paid on the mainnet");
        assertEq(bridge.escrowed(SPN, address(usd)), 70, "escrow reduced");
        assertTrue(mailbox.status(keccak256(m)) == Mailbox.Status.Delivered, "delivered");
        assertTrue(bridge.withdrawalPaid(SPN, 1), "withdrawal 1 paid");
    }

    // ---- forced withdrawals ----

    function test_ForcedWithdrawalFull() public {
        _credit(NATIVE, ALICE, 10 ether);
        vm.recordLogs();
        _force(NATIVE, ALICE, 4 ether, 1);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_processedSlot(1), 1, "processed slot");
        assertTrue(spnBridge.forcedProcessed(1), "processed");
        assertEq(_balanceSlot(NATIVE, ALICE), 6 ether, "burned");
        assertEq(spnBridge.totalSupply(NATIVE), 6 ether, "supply");
        (address token, address to, uint256 amount, uint256 ref) =
            _decodeWithdrawal(_dispatched(logs));
        assertEq(token, NATIVE, "token");
        assertEq(to, ALICE, "paid to the user");
        assertEq(amount, 4 ether, "requested amount");
        assertEq(ref, spnBridge.withdrawalCount(), "withdrawal id");
        Vm.Log memory e = logs[logs.length - 3]; // then Process and ProcessId
        assertEq(e.topics[0], SpnBridge.ForcedWithdrawalProcessed.selector, "event");
        assertEq(uint256(e.topics[1]), 1, "request id");
        (uint256 requested, uint256 paid,) = abi.decode(e.data, (uint256, uint256, uint256));
        assertEq(requested, 4 ether, "requested");
        assertEq(paid, 4 ether, "paid");
    }

    function test_ForcedWithdrawalPartial() public {
        _credit(USD, ALICE, 3);
        vm.recordLogs();
        _force(USD, ALICE, 10, 5);
        (,, uint256 amount,) = _decodeWithdrawal(_dispatched(vm.getRecordedLogs()));
        assertEq(amount, 3, "what the user had");
        assertEq(_balanceSlot(USD, ALICE), 0, "emptied");
        assertEq(spnBridge.totalSupply(USD), 0, "supply");
        assertEq(_processedSlot(5), 1, "processed slot");
    }

    function test_ForcedWithdrawalZeroBalance() public {
        _credit(USD, BOB, 3);
        uint256 outbox = spnMailbox.outboxLength();
        _force(USD, ALICE, 10, 2);
        assertEq(_processedSlot(2), 1, "processed even with nothing to pay");
        assertEq(spnMailbox.outboxLength(), outbox, "no withdrawal sent");
        assertEq(spnBridge.withdrawalCount(), 0, "no withdrawal id used");
        assertEq(spnBridge.balanceOf(USD, BOB), 3, "others untouched");
    }

    function test_ForcedWithdrawalProcessedOnce() public {
        _credit(NATIVE, ALICE, 10 ether);
        _force(NATIVE, ALICE, 4 ether, 1);
        uint256 outbox = spnMailbox.outboxLength();
        // The same request again (another message carrying it): nothing happens.
        _force(NATIVE, ALICE, 4 ether, 1);
        assertEq(_balanceSlot(NATIVE, ALICE), 6 ether, "not burned twice");
        assertEq(spnMailbox.outboxLength(), outbox, "no second withdrawal");
        assertEq(_processedSlot(1), 1, "still processed");
        // Another request id is processed.
        _force(NATIVE, ALICE, 1 ether, 2);
        assertEq(_balanceSlot(NATIVE, ALICE), 5 ether, "second request");
        assertEq(_processedSlot(2), 1, "second slot");
        assertEq(_processedSlot(3), 0, "untouched slot");
    }

    /// End to end: the mainnet's forced request reaches the SPN through the queue, the SPN
    /// Bridge marks it, and the mainnet Bridge accepts the proof of that slot.
    function test_ForcedRoundTripConfirmedOnTheMainnet() public {
        _activeSpn(SPN, 3, 10 ether);
        vm.deal(ALICE, 3 ether);
        vm.startPrank(ALICE);
        bridge.depositNative{value: 2 ether}(SPN, ALICE);
        uint256 requestId = bridge.requestForcedWithdrawal{value: FORCE_BOND}(SPN, NATIVE, 5 ether);
        vm.stopPrank();
        bytes[] memory queued = mailbox.messagesFor(SPN, 0, 10);
        assertEq(queued.length, 2, "deposit and request queued");
        _deliver(queued[0]);
        assertEq(_balanceSlot(NATIVE, ALICE), 2 ether, "deposit credited");
        vm.recordLogs();
        _deliver(queued[1]);
        bytes memory w = _dispatched(vm.getRecordedLogs());
        (,, uint256 amount,) = _decodeWithdrawal(w);
        assertEq(amount, 2 ether, "pays what the user holds");
        assertEq(_processedSlot(requestId), 1, "marked at the proven slot");
        // The mainnet side proves exactly that slot.
        uint64 height = _nextHeight(SPN);
        bytes32 root = keccak256("spn state");
        _finalize(SPN, height, root);
        SlotProof memory proof = _proveSlot(
            root,
            Sys.SPN_BRIDGE,
            SpnLayout.forcedProcessedSlot(requestId),
            _processedSlot(requestId)
        );
        bridge.confirmForcedWithdrawal(requestId, height, proof);
        assertTrue(
            bridge.forcedRequest(requestId).state == Bridge.ForceState.Processed, "confirmed"
        );
    }

    // ---- conservation ----

    /// Over random deposits, transfers and withdrawals of two tokens by four accounts, the
    /// balances (read at their layout slots) always sum to the supply, which equals what was
    /// deposited minus what was withdrawn.
    function testFuzz_LedgerConservation(uint256[24] memory ops) public {
        address[4] memory who = [ALICE, BOB, CAROL, address(0xD00D)];
        address[2] memory tokens = [NATIVE, USD];
        uint256[2] memory deposited;
        uint256[2] memory withdrawn;
        for (uint256 i = 0; i < ops.length; i++) {
            uint256 op = ops[i];
            uint256 t = (op >> 8) % 2;
            address a = who[(op >> 16) % 4];
            address b = who[(op >> 24) % 4];
            uint256 amount = (op >> 32) % 1e24;
            uint256 kind = op % 3;
            if (kind == 0) {
                _credit(tokens[t], a, amount);
                deposited[t] += amount;
            } else {
                uint256 held = spnBridge.balanceOf(tokens[t], a);
                amount = held == 0 ? 0 : amount % (held + 1);
                if (kind == 1) {
                    vm.prank(a);
                    spnBridge.transfer(tokens[t], b, amount);
                } else if (amount > 0) {
                    vm.prank(a);
                    spnBridge.withdraw(tokens[t], amount, b);
                    withdrawn[t] += amount;
                }
            }
            for (uint256 k = 0; k < 2; k++) {
                uint256 sum = 0;
                for (uint256 j = 0; j < who.length; j++) {
                    sum += _balanceSlot(tokens[k], who[j]);
                }
                assertEq(sum, spnBridge.totalSupply(tokens[k]), "sum of balances == supply");
                assertEq(sum, deposited[k] - withdrawn[k], "supply == deposits - withdrawals");
            }
        }
    }
}
