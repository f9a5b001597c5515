// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Adaptor} from "../src/Adaptor.sol";
import {Bridge} from "../src/Bridge.sol";
import {Mailbox} from "../src/Mailbox.sol";
import {Registry} from "../src/Registry.sol";
import {Restaking} from "../src/Restaking.sol";
import {Checkpoint} from "../src/lib/Checkpoint.sol";
import {Message} from "../src/lib/Message.sol";
import {SpnLayout} from "../src/lib/SpnLayout.sol";
import {SlotProof, StateProof} from "../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";
import {EtherRefuser, FeeToken, MockToken} from "./utils/Mocks.sol";

/// Deposits, withdrawals by message, and the escape hatch (forced withdrawal, freeze, exit).
contract BridgeTest is SystemFixture {
    uint32 internal constant SPN = 7;
    uint32 internal constant SPN2 = 8;
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);

    MockToken internal usd;
    FeeToken internal fee;

    function setUp() public override {
        super.setUp();
        _activeSpn(SPN, 3, 10 ether);
        _activeSpn(SPN2, 3, 10 ether);
        usd = new MockToken("USD");
        fee = new FeeToken(100); // 1 %
    }

    function _depositNative(uint32 spnId, address from, uint256 amount) internal returns (bytes32) {
        vm.deal(from, from.balance + amount);
        vm.prank(from);
        return bridge.depositNative{value: amount}(spnId, from);
    }

    function _depositToken(uint32 spnId, MockToken token, address from, uint256 amount)
        internal
        returns (bytes32 id)
    {
        token.mint(from, amount);
        vm.startPrank(from);
        token.approve(Sys.BRIDGE, amount);
        id = bridge.depositERC20(spnId, address(token), amount, from);
        vm.stopPrank();
    }

    function _decodeBody(bytes32 id)
        internal
        view
        returns (uint8 kind, address token, address to, uint256 amount, uint256 ref)
    {
        bytes memory m = mailbox.messageOf(id);
        bytes memory body = new bytes(m.length - 77);
        for (uint256 i = 0; i < body.length; i++) {
            body[i] = m[77 + i];
        }
        return abi.decode(body, (uint8, address, address, uint256, uint256));
    }

    function test_InitializeCannotBeRerun() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        bridge.initialize(0);
        assertEq(bridge.forceBond(), FORCE_BOND, "bond");
    }

    // ---- deposits ----

    function test_DepositNativeEscrowsAndMessagesTheSpnBridge() public {
        vm.deal(ALICE, 5 ether);
        vm.prank(ALICE);
        bytes32 id = bridge.depositNative{value: 5 ether}(SPN, BOB);
        assertEq(bridge.escrowed(SPN, NATIVE), 5 ether, "escrowed");
        assertEq(bridge.escrowed(SPN2, NATIVE), 0, "per spn");
        assertEq(Sys.BRIDGE.balance, 5 ether, "held");
        assertEq(bridge.depositCount(), 1, "count");
        bytes memory expected = Message.format(
            0,
            _mainnet(),
            _b32(Sys.BRIDGE),
            SPN,
            _b32(Sys.SPN_BRIDGE),
            abi.encode(uint8(1), NATIVE, BOB, 5 ether, uint256(1))
        );
        assertEq(mailbox.messageOf(id), expected, "deposit message");
        assertTrue(mailbox.status(id) == Mailbox.Status.Queued, "queued for the SPN");
    }

    function test_DepositNativeRejects() public {
        vm.deal(ALICE, 10 ether);
        vm.startPrank(ALICE);
        vm.expectRevert(Bridge.ZeroAmount.selector);
        bridge.depositNative{value: 0}(SPN, ALICE);
        vm.expectRevert(Bridge.InvalidRecipient.selector);
        bridge.depositNative{value: 1}(SPN, address(0));
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, uint32(99)));
        bridge.depositNative{value: 1}(99, ALICE);
        vm.stopPrank();
        _registerSpn(9);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, uint32(9)));
        bridge.depositNative{value: 1}(9, ALICE);
        vm.prank(SPN_OWNER);
        management.retire(SPN2);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, SPN2));
        bridge.depositNative{value: 1}(SPN2, ALICE);
        vm.prank(Sys.BRIDGE);
        management.freeze(SPN);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, SPN));
        bridge.depositNative{value: 1}(SPN, ALICE);
        assertEq(Sys.BRIDGE.balance, 0, "nothing kept");
    }

    function test_DepositERC20() public {
        bytes32 id = _depositToken(SPN, usd, ALICE, 1000);
        assertEq(bridge.escrowed(SPN, address(usd)), 1000, "escrowed");
        assertEq(usd.balanceOf(Sys.BRIDGE), 1000, "held");
        (uint8 kind, address token, address to, uint256 amount, uint256 ref) = _decodeBody(id);
        assertEq(kind, 1, "deposit kind");
        assertEq(token, address(usd), "token");
        assertEq(to, ALICE, "to");
        assertEq(amount, 1000, "amount");
        assertEq(ref, 1, "deposit number");
    }

    function test_DepositFeeOnTransferCreditsWhatArrived() public {
        fee.mint(ALICE, 10_000);
        vm.startPrank(ALICE);
        fee.approve(Sys.BRIDGE, 10_000);
        bytes32 id = bridge.depositERC20(SPN, address(fee), 10_000, BOB);
        vm.stopPrank();
        assertEq(fee.balanceOf(Sys.BRIDGE), 9_900, "arrived");
        assertEq(bridge.escrowed(SPN, address(fee)), 9_900, "escrowed what arrived");
        (,,, uint256 amount,) = _decodeBody(id);
        assertEq(amount, 9_900, "SPN mints what arrived");
    }

    function test_DepositOfNothingReceivedReverts() public {
        fee.setFee(10_000); // everything burned in transit
        fee.mint(ALICE, 100);
        vm.startPrank(ALICE);
        fee.approve(Sys.BRIDGE, 100);
        vm.expectRevert(Bridge.NothingReceived.selector);
        bridge.depositERC20(SPN, address(fee), 100, ALICE);
        vm.stopPrank();
    }

    function test_DepositCodelessTokenRejected() public {
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.CodelessToken.selector, address(0xDEAD)));
        bridge.depositERC20(SPN, address(0xDEAD), 1, ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.CodelessToken.selector, NATIVE));
        bridge.depositERC20(SPN, NATIVE, 1, ALICE);
        vm.stopPrank();
    }

    function test_DepositERC20Rejects() public {
        usd.mint(ALICE, 100);
        vm.startPrank(ALICE);
        vm.expectRevert(Bridge.ZeroAmount.selector);
        bridge.depositERC20(SPN, address(usd), 0, ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, Sys.BRIDGE, 0, 100
            )
        );
        bridge.depositERC20(SPN, address(usd), 100, ALICE);
        usd.approve(Sys.BRIDGE, 100);
        vm.expectRevert(Bridge.InvalidRecipient.selector);
        bridge.depositERC20(SPN, address(usd), 100, address(0));
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, uint32(99)));
        bridge.depositERC20(99, address(usd), 100, ALICE);
        vm.stopPrank();
    }

    // ---- withdrawals ----

    function test_WithdrawalPaidOnceViaMailbox() public {
        _depositNative(SPN, ALICE, 10 ether);
        bytes memory m = _withdrawMessage(SPN, 0, NATIVE, BOB, 4 ether, 1);
        bytes32 id = _relay(SPN, m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Delivered, "delivered");
        assertEq(BOB.balance, 4 ether, "paid");
        assertEq(bridge.escrowed(SPN, NATIVE), 6 ether, "escrow reduced");
        assertTrue(bridge.withdrawalPaid(SPN, 1), "marked");

        // The same message is never relayed twice.
        (uint64 h, SlotProof memory proof) = _prepareRelay(SPN, m);
        vm.expectRevert(abi.encodeWithSelector(Adaptor.AlreadyRelayed.selector, id));
        adaptor.relayMessage(SPN, h, m, proof);

        // Another message carrying the same withdrawal id is refused by the Bridge: the
        // message fails, nothing is paid.
        bytes memory again = _withdrawMessage(SPN, 1, NATIVE, BOB, 4 ether, 1);
        bytes32 id2 = _relay(SPN, again);
        assertTrue(mailbox.status(id2) == Mailbox.Status.Failed, "failed");
        mailbox.retry(again);
        assertTrue(mailbox.status(id2) == Mailbox.Status.Failed, "still failed");
        assertEq(BOB.balance, 4 ether, "paid once");
        assertEq(bridge.escrowed(SPN, NATIVE), 6 ether, "escrow unchanged");
    }

    function test_WithdrawalOfErc20() public {
        _depositToken(SPN, usd, ALICE, 1000);
        _relay(SPN, _withdrawMessage(SPN, 0, address(usd), BOB, 600, 7));
        assertEq(usd.balanceOf(BOB), 600, "paid");
        assertEq(bridge.escrowed(SPN, address(usd)), 400, "escrow");
    }

    function test_HandleOnlyMailbox() public {
        bytes memory body = _withdrawBody(NATIVE, BOB, 1, 1);
        bytes32 spnBridge = _b32(Sys.SPN_BRIDGE);
        vm.expectRevert(Bridge.OnlyMailbox.selector);
        bridge.handle(SPN, spnBridge, body);
        vm.prank(Sys.ADAPTOR);
        vm.expectRevert(Bridge.OnlyMailbox.selector);
        bridge.handle(SPN, spnBridge, body);
    }

    function test_HandleRejectsOtherSenders() public {
        _depositNative(SPN, ALICE, 10 ether);
        bytes memory body = _withdrawBody(NATIVE, BOB, 1, 1);
        bytes32[3] memory senders = [_b32(ALICE), _b32(Sys.BRIDGE), _b32(Sys.SPN_MAILBOX)];
        for (uint256 i = 0; i < senders.length; i++) {
            vm.prank(Sys.MAILBOX);
            vm.expectRevert(abi.encodeWithSelector(Bridge.UnauthorizedSender.selector, senders[i]));
            bridge.handle(SPN, senders[i], body);
        }
        // And through the Adaptor the Mailbox refuses them before the Bridge sees them.
        bytes memory m = Message.format(0, SPN, _b32(ALICE), _mainnet(), _b32(Sys.BRIDGE), body);
        (uint64 h, SlotProof memory proof) = _prepareRelay(SPN, m);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.SystemRecipient.selector, Sys.BRIDGE));
        adaptor.relayMessage(SPN, h, m, proof);
        assertEq(BOB.balance, 0, "nothing paid");
    }

    function test_HandleRejectsOtherKinds() public {
        _depositNative(SPN, ALICE, 10 ether);
        bytes32 spnBridge = _b32(Sys.SPN_BRIDGE);
        for (uint8 kind = 0; kind < 5; kind++) {
            if (kind == 2) continue;
            bytes memory body = abi.encode(kind, NATIVE, BOB, 1 ether, uint256(1));
            vm.prank(Sys.MAILBOX);
            vm.expectRevert(abi.encodeWithSelector(Bridge.UnknownKind.selector, kind));
            bridge.handle(SPN, spnBridge, body);
        }
        // A malformed body fails the message; it never pays.
        bytes memory m = Message.format(0, SPN, spnBridge, _mainnet(), _b32(Sys.BRIDGE), hex"0102");
        bytes32 id = _relay(SPN, m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Failed, "failed");
    }

    function test_WithdrawalPaidOnlyFromOriginEscrow() public {
        _depositNative(SPN, ALICE, 10 ether);
        bytes memory body = _withdrawBody(NATIVE, BOB, 1 ether, 1);
        bytes32 spnBridge = _b32(Sys.SPN_BRIDGE);
        vm.prank(Sys.MAILBOX);
        vm.expectRevert(abi.encodeWithSelector(Bridge.InsufficientEscrow.selector, SPN2, NATIVE));
        bridge.handle(SPN2, spnBridge, body);
        // Through the Adaptor the message fails and stays retryable.
        bytes memory m = _withdrawMessage(SPN2, 0, NATIVE, BOB, 1 ether, 1);
        bytes32 id = _relay(SPN2, m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Failed, "failed");
        assertEq(bridge.escrowed(SPN, NATIVE), 10 ether, "other escrow untouched");
        _depositNative(SPN2, ALICE, 1 ether);
        mailbox.retry(m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Delivered, "delivered");
        assertEq(BOB.balance, 1 ether, "paid");
        assertEq(bridge.escrowed(SPN2, NATIVE), 0, "spn2 escrow used");
        assertEq(bridge.escrowed(SPN, NATIVE), 10 ether, "spn escrow untouched");
    }

    function test_WithdrawalPaymentFailuresAreRetryable() public {
        _depositNative(SPN, ALICE, 10 ether);
        bytes32 spnBridge = _b32(Sys.SPN_BRIDGE);
        vm.prank(Sys.MAILBOX);
        vm.expectRevert(Bridge.InvalidRecipient.selector);
        bridge.handle(SPN, spnBridge, _withdrawBody(NATIVE, address(0), 1, 1));

        EtherRefuser r = new EtherRefuser();
        bytes memory m = _withdrawMessage(SPN, 0, NATIVE, address(r), 1 ether, 2);
        bytes32 id = _relay(SPN, m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Failed, "refused: failed");
        assertTrue(!bridge.withdrawalPaid(SPN, 2), "not marked");
        assertEq(bridge.escrowed(SPN, NATIVE), 10 ether, "escrow intact");
        r.setAccepting(true);
        mailbox.retry(m);
        assertTrue(mailbox.status(id) == Mailbox.Status.Delivered, "delivered");
        assertEq(address(r).balance, 1 ether, "paid");
    }

    // ---- forced withdrawals ----

    function _request(address user, uint32 spnId, address token, uint256 amount)
        internal
        returns (uint256)
    {
        vm.deal(user, user.balance + FORCE_BOND);
        vm.prank(user);
        return bridge.requestForcedWithdrawal{value: FORCE_BOND}(spnId, token, amount);
    }

    function test_RequestForcedWithdrawal() public {
        vm.warp(1000);
        uint256 id = _request(ALICE, SPN, address(usd), 500);
        assertEq(id, 1, "first request");
        Bridge.ForcedRequest memory r = bridge.forcedRequest(id);
        assertEq(r.user, ALICE, "user");
        assertEq(r.spnId, SPN, "spn");
        assertEq(r.deadline, 1000 + FORCE_DELAY, "deadline");
        assertTrue(r.state == Bridge.ForceState.Pending, "pending");
        assertEq(r.token, address(usd), "token");
        assertEq(r.amount, 500, "amount");
        assertEq(r.bond, FORCE_BOND, "bond");
        assertEq(Sys.BRIDGE.balance, FORCE_BOND, "bond held");
        // The SPN must include it like any inbound message.
        bytes32 mid = mailbox.queueAt(SPN, mailbox.queueLength(SPN) - 1);
        (uint8 kind, address token, address to, uint256 amount, uint256 ref) = _decodeBody(mid);
        assertEq(kind, 3, "force kind");
        assertEq(token, address(usd), "token");
        assertEq(to, ALICE, "user");
        assertEq(amount, 500, "amount");
        assertEq(ref, id, "request id");
    }

    function test_RequestForcedWithdrawalRejects() public {
        vm.deal(ALICE, 1 ether);
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.WrongBond.selector, 0, FORCE_BOND));
        bridge.requestForcedWithdrawal(SPN, NATIVE, 1);
        vm.expectRevert(
            abi.encodeWithSelector(Bridge.WrongBond.selector, FORCE_BOND + 1, FORCE_BOND)
        );
        bridge.requestForcedWithdrawal{value: FORCE_BOND + 1}(SPN, NATIVE, 1);
        vm.expectRevert(Bridge.ZeroAmount.selector);
        bridge.requestForcedWithdrawal{value: FORCE_BOND}(SPN, NATIVE, 0);
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, uint32(99)));
        bridge.requestForcedWithdrawal{value: FORCE_BOND}(99, NATIVE, 1);
        vm.stopPrank();
        // Registered, not yet active.
        _registerSpn(9);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, uint32(9)));
        bridge.requestForcedWithdrawal{value: FORCE_BOND}(9, NATIVE, 1);
        vm.prank(Sys.BRIDGE);
        management.freeze(SPN);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, SPN));
        bridge.requestForcedWithdrawal{value: FORCE_BOND}(SPN, NATIVE, 1);
        assertEq(bridge.forcedCount(), 0, "no request recorded");
        assertEq(ALICE.balance, 1 ether, "bond kept by the user");
    }

    // ---- escape hatch of a retired SPN ----

    function test_ForcedWithdrawalOnRetiredSpn() public {
        _depositNative(SPN, BOB, 10 ether);
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        // Retired: no new deposits, and users cannot message it directly...
        vm.deal(BOB, 1 ether);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, SPN));
        bridge.depositNative{value: 1 ether}(SPN, BOB);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(Mailbox.InvalidDestination.selector, SPN));
        mailbox.dispatch(SPN, _b32(BOB), "let me out");

        // ...but the escape hatch stays open, and the request is queued for the SPN.
        uint256 queued = mailbox.queueLength(SPN);
        uint256 t = block.timestamp;
        uint256 id = _request(BOB, SPN, NATIVE, 4 ether);
        Bridge.ForcedRequest memory r = bridge.forcedRequest(id);
        assertTrue(r.state == Bridge.ForceState.Pending, "pending");
        assertEq(r.spnId, SPN, "spn");
        assertEq(r.deadline, t + FORCE_DELAY, "deadline");
        assertEq(r.bond, FORCE_BOND, "bond");
        assertEq(mailbox.queueLength(SPN), queued + 1, "dispatched to the retired SPN");
        bytes32 mid = mailbox.queueAt(SPN, queued);
        assertTrue(mailbox.status(mid) == Mailbox.Status.Queued, "queued");
        (uint8 kind, address token, address to, uint256 amount, uint256 ref) = _decodeBody(mid);
        assertEq(kind, 3, "force kind");
        assertEq(token, NATIVE, "token");
        assertEq(to, BOB, "user");
        assertEq(amount, 4 ether, "amount");
        assertEq(ref, id, "request id");

        // The retired SPN still checkpoints, proves it processed the request, and the bond
        // comes back; it stays retired.
        (uint64 h, SlotProof memory proof) = _proveProcessed(SPN, id);
        bridge.confirmForcedWithdrawal(id, h, proof);
        assertTrue(bridge.forcedRequest(id).state == Bridge.ForceState.Processed, "processed");
        assertEq(BOB.balance, 1 ether + FORCE_BOND, "bond back");
        assertTrue(registry.status(SPN) == Registry.Status.Retired, "still retired");
        // Its withdrawal still pays from the escrow.
        _relay(SPN, _withdrawMessage(SPN, 0, NATIVE, BOB, 4 ether, 1));
        assertEq(bridge.escrowed(SPN, NATIVE), 6 ether, "paid from escrow");
    }

    function test_IgnoredForcedWithdrawalFreezesRetiredSpn() public {
        _depositNative(SPN, ALICE, 10 ether);
        bytes32 root = keccak256("before retirement");
        _finalize(SPN, 500, root);
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        uint256 id = _request(ALICE, SPN, NATIVE, 10 ether);
        vm.warp(block.timestamp + FORCE_DELAY + 1);
        uint256 supply = lst.totalSupply();
        bridge.freeze(id);
        assertTrue(registry.status(SPN) == Registry.Status.Frozen, "frozen");
        assertEq(restaking.totalStake(SPN), 0, "operators slashed");
        assertEq(lst.totalSupply(), supply - 30 ether, "stake burned");
        assertEq(ALICE.balance, FORCE_BOND, "bond back");
        // The user exits with the balance proven at the last checkpoint.
        SlotProof memory p = _exitProof(root, NATIVE, ALICE, 10 ether);
        vm.prank(ALICE);
        bridge.exit(SPN, NATIVE, 10 ether, p);
        assertEq(ALICE.balance, FORCE_BOND + 10 ether, "exited");
        // Once frozen, no more forced requests.
        vm.deal(ALICE, ALICE.balance + FORCE_BOND);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.SpnNotOpen.selector, SPN));
        bridge.requestForcedWithdrawal{value: FORCE_BOND}(SPN, NATIVE, 1);
    }

    function test_RetiredSpnOperatorsUnbondingStaySlashable() public {
        // forceDelay < restaking unbonding delay: operators who start unstaking when a
        // forced request arrives are still slashable when it expires.
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        uint256 id = _request(ALICE, SPN, NATIVE, 1 ether);
        for (uint256 i = 0; i < 3; i++) {
            address op = _operatorAddr(SPN, i);
            vm.prank(op);
            restaking.unstake(SPN, 10 ether);
        }
        vm.warp(bridge.forcedRequest(id).deadline + 1);
        for (uint256 i = 0; i < 3; i++) {
            address op = _operatorAddr(SPN, i);
            uint64 release = restaking.releaseAt(SPN, op);
            vm.prank(op);
            vm.expectRevert(abi.encodeWithSelector(Restaking.StillUnbonding.selector, release));
            restaking.withdraw(SPN);
        }
        uint256 supply = lst.totalSupply();
        bridge.freeze(id);
        assertEq(lst.totalSupply(), supply - 30 ether, "unbonding stake burned");
        for (uint256 i = 0; i < 3; i++) {
            assertEq(restaking.unstakingOf(SPN, _operatorAddr(SPN, i)), 0, "slashed");
        }
    }

    function _proveProcessed(uint32 spnId, uint256 requestId)
        internal
        returns (uint64 height, SlotProof memory proof)
    {
        height = _nextHeight(spnId);
        bytes32 root = keccak256(abi.encode("processed", spnId, requestId, height));
        _finalize(spnId, height, root);
        proof = _proveSlot(root, Sys.SPN_BRIDGE, SpnLayout.forcedProcessedSlot(requestId), 1);
    }

    function test_ConfirmForcedWithdrawalReturnsBond() public {
        uint256 id = _request(ALICE, SPN, NATIVE, 1 ether);
        (uint64 h, SlotProof memory proof) = _proveProcessed(SPN, id);
        vm.prank(address(0xCAFE)); // anyone (e.g. an operator) may confirm
        bridge.confirmForcedWithdrawal(id, h, proof);
        assertTrue(bridge.forcedRequest(id).state == Bridge.ForceState.Processed, "processed");
        assertEq(ALICE.balance, FORCE_BOND, "bond back");
        vm.expectRevert(abi.encodeWithSelector(Bridge.RequestNotPending.selector, id));
        bridge.confirmForcedWithdrawal(id, h, proof);
        vm.warp(block.timestamp + FORCE_DELAY + 1);
        vm.expectRevert(abi.encodeWithSelector(Bridge.RequestNotPending.selector, id));
        bridge.freeze(id);
        assertTrue(registry.status(SPN) == Registry.Status.Active, "not frozen");
    }

    function test_ConfirmForcedWithdrawalRejects() public {
        vm.expectRevert(abi.encodeWithSelector(Bridge.RequestNotPending.selector, 5));
        bridge.confirmForcedWithdrawal(5, 0, _unprovenSlot(bytes32(0), Sys.SPN_BRIDGE));
        uint256 id = _request(ALICE, SPN, NATIVE, 1 ether);
        // No checkpoint at that height.
        SlotProof memory none = _unprovenSlot(bytes32(0), Sys.SPN_BRIDGE);
        vm.expectRevert(StateProof.ZeroStateRoot.selector);
        bridge.confirmForcedWithdrawal(id, 12345, none);
        // A checkpoint that does not show the request processed.
        uint64 h = _nextHeight(SPN);
        bytes32 root = keccak256("unprocessed");
        _finalize(SPN, h, root);
        SlotProof memory p = _unprovenSlot(root, Sys.SPN_BRIDGE);
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        bridge.confirmForcedWithdrawal(id, h, p);
        // Another request's slot, or the SPN Mailbox's storage.
        p = _proveSlot(root, Sys.SPN_BRIDGE, SpnLayout.forcedProcessedSlot(id + 1), 1);
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        bridge.confirmForcedWithdrawal(id, h, p);
        bytes32 root2 = keccak256("mailbox");
        uint64 h2 = _nextHeight(SPN);
        _finalize(SPN, h2, root2);
        p = _proveSlot(root2, Sys.SPN_MAILBOX, SpnLayout.forcedProcessedSlot(id), 1);
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        bridge.confirmForcedWithdrawal(id, h2, p);
        assertTrue(bridge.forcedRequest(id).state == Bridge.ForceState.Pending, "pending");
    }

    function test_FreezeAfterDeadlineSlashesAndReturnsBond() public {
        _depositNative(SPN, BOB, 10 ether);
        uint256 id = _request(ALICE, SPN, NATIVE, 1 ether);
        uint64 deadline = bridge.forcedRequest(id).deadline;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(Bridge.DeadlineNotPassed.selector, deadline));
        bridge.freeze(id);
        vm.warp(deadline + 1);
        uint256 supply = lst.totalSupply();
        vm.prank(address(0xCAFE)); // anyone
        bridge.freeze(id);
        assertTrue(registry.status(SPN) == Registry.Status.Frozen, "frozen");
        assertTrue(bridge.forcedRequest(id).state == Bridge.ForceState.Expired, "expired");
        assertEq(restaking.totalStake(SPN), 0, "operators slashed");
        assertEq(lst.totalSupply(), supply - 30 ether, "stake burned");
        assertEq(restaking.totalStake(SPN2), 30 ether, "other spn untouched");
        assertEq(ALICE.balance, FORCE_BOND, "bond back");
        vm.expectRevert(abi.encodeWithSelector(Bridge.RequestNotPending.selector, id));
        bridge.freeze(id);
        // No more checkpoints for a frozen SPN.
        Checkpoint memory c = _checkpoint(SPN, 1000, keccak256("late"));
        bytes[] memory sigs = _signatures(c, _range(3));
        uint256[] memory idx = _range(3);
        vm.expectRevert(
            abi.encodeWithSelector(
                Adaptor.SpnNotCheckpointing.selector, SPN, Registry.Status.Frozen
            )
        );
        adaptor.submitCheckpoint(c, idx, sigs);
    }

    function test_FreezeUnknownRequestReverts() public {
        vm.expectRevert(abi.encodeWithSelector(Bridge.RequestNotPending.selector, 1));
        bridge.freeze(1);
    }

    function test_SecondExpiredRequestOnFrozenSpn() public {
        uint256 a = _request(ALICE, SPN, NATIVE, 1 ether);
        uint256 b = _request(BOB, SPN, NATIVE, 1 ether);
        vm.warp(block.timestamp + FORCE_DELAY + 1);
        bridge.freeze(a);
        bridge.freeze(b);
        assertEq(BOB.balance, FORCE_BOND, "second bond back");
        assertTrue(bridge.forcedRequest(b).state == Bridge.ForceState.Expired, "expired");
    }

    function test_RetiredSpnWithPendingRequestCanBeFrozen() public {
        uint256 id = _request(ALICE, SPN, NATIVE, 1 ether);
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        vm.warp(block.timestamp + FORCE_DELAY + 1);
        bridge.freeze(id);
        assertTrue(registry.status(SPN) == Registry.Status.Frozen, "frozen");
    }

    function test_ConfirmAfterDeadlineBeforeFreeze() public {
        uint256 id = _request(ALICE, SPN, NATIVE, 1 ether);
        vm.warp(block.timestamp + FORCE_DELAY + 1);
        (uint64 h, SlotProof memory proof) = _proveProcessed(SPN, id);
        bridge.confirmForcedWithdrawal(id, h, proof);
        vm.expectRevert(abi.encodeWithSelector(Bridge.RequestNotPending.selector, id));
        bridge.freeze(id);
    }

    /// A requester that refuses its bond refund must not be able to block the SPN from
    /// proving it processed the request, and then (accepting again) freeze it and have its
    /// operators slashed.
    function test_RefusedBondCannotBlockConfirmation() public {
        EtherRefuser user = new EtherRefuser();
        vm.deal(address(user), FORCE_BOND);
        bytes memory call = abi.encodeCall(Bridge.requestForcedWithdrawal, (SPN, NATIVE, 1 ether));
        uint256 id = abi.decode(user.exec(Sys.BRIDGE, FORCE_BOND, call), (uint256));
        (uint64 h, SlotProof memory proof) = _proveProcessed(SPN, id);
        bridge.confirmForcedWithdrawal(id, h, proof); // the refund is refused; still confirmed
        assertTrue(bridge.forcedRequest(id).state == Bridge.ForceState.Processed, "processed");
        vm.warp(block.timestamp + FORCE_DELAY + 1);
        user.setAccepting(true);
        vm.expectRevert(abi.encodeWithSelector(Bridge.RequestNotPending.selector, id));
        bridge.freeze(id);
        assertTrue(registry.status(SPN) == Registry.Status.Active, "not frozen");
        assertEq(restaking.totalStake(SPN), 30 ether, "not slashed");
        // The refused bond is kept for the user.
        assertEq(bridge.bondRefunds(address(user)), FORCE_BOND, "owed");
        vm.prank(address(user));
        bridge.claimBondRefund();
        assertEq(address(user).balance, FORCE_BOND, "claimed");
        assertEq(bridge.bondRefunds(address(user)), 0, "settled");
    }

    /// Nor can it keep an expired request from freezing the SPN.
    function test_RefusedBondCannotBlockFreeze() public {
        EtherRefuser user = new EtherRefuser();
        vm.deal(address(user), FORCE_BOND);
        bytes memory call = abi.encodeCall(Bridge.requestForcedWithdrawal, (SPN, NATIVE, 1 ether));
        uint256 id = abi.decode(user.exec(Sys.BRIDGE, FORCE_BOND, call), (uint256));
        vm.warp(block.timestamp + FORCE_DELAY + 1);
        bridge.freeze(id);
        assertTrue(registry.status(SPN) == Registry.Status.Frozen, "frozen");
        assertEq(bridge.bondRefunds(address(user)), FORCE_BOND, "owed");
        // Claiming while still refusing reverts and keeps the claim.
        vm.prank(address(user));
        vm.expectRevert(Bridge.TransferFailed.selector);
        bridge.claimBondRefund();
        vm.prank(address(0xCAFE));
        vm.expectRevert(Bridge.ZeroAmount.selector);
        bridge.claimBondRefund();
    }

    // ---- exits ----

    function _freeze(uint32 spnId) internal {
        uint256 id = _request(address(0xF00D), spnId, NATIVE, 1);
        vm.warp(block.timestamp + FORCE_DELAY + 1);
        bridge.freeze(id);
    }

    function _exitProof(bytes32 root, address token, address user, uint256 amount)
        internal
        returns (SlotProof memory)
    {
        return _proveSlot(root, Sys.SPN_BRIDGE, SpnLayout.balanceSlot(token, user), amount);
    }

    function test_ExitOncePerUserAndToken() public {
        _depositNative(SPN, ALICE, 10 ether);
        _depositToken(SPN, usd, ALICE, 1000);
        bytes32 root = keccak256("last");
        _finalize(SPN, 500, root);
        _freeze(SPN);

        SlotProof memory p = _exitProof(root, NATIVE, ALICE, 3 ether);
        uint256 before = ALICE.balance;
        vm.prank(ALICE);
        bridge.exit(SPN, NATIVE, 3 ether, p);
        assertEq(ALICE.balance, before + 3 ether, "paid");
        assertEq(bridge.escrowed(SPN, NATIVE), 7 ether, "escrow");
        assertTrue(bridge.exited(SPN, ALICE, NATIVE), "marked");
        vm.prank(ALICE);
        vm.expectRevert(Bridge.AlreadyExited.selector);
        bridge.exit(SPN, NATIVE, 3 ether, p);

        // Another token is a separate exit.
        p = _exitProof(root, address(usd), ALICE, 1000);
        vm.prank(ALICE);
        bridge.exit(SPN, address(usd), 1000, p);
        assertEq(usd.balanceOf(ALICE), 1000, "token paid");
        // Another user's proven balance is not yours.
        p = _exitProof(root, NATIVE, BOB, 1 ether);
        vm.prank(ALICE);
        vm.expectRevert(Bridge.AlreadyExited.selector);
        bridge.exit(SPN, NATIVE, 1 ether, p);
        vm.prank(address(0xCAFE));
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        bridge.exit(SPN, NATIVE, 1 ether, p);
        vm.prank(BOB);
        bridge.exit(SPN, NATIVE, 1 ether, p);
    }

    function test_ExitRejects() public {
        _depositNative(SPN, ALICE, 10 ether);
        bytes32 old = keccak256("old");
        _finalize(SPN, 400, old);
        bytes32 root = keccak256("last");
        _finalize(SPN, 500, root);
        SlotProof memory p = _exitProof(root, NATIVE, ALICE, 3 ether);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NotFrozen.selector, SPN));
        bridge.exit(SPN, NATIVE, 3 ether, p);
        _freeze(SPN);
        vm.startPrank(ALICE);
        vm.expectRevert(Bridge.ZeroAmount.selector);
        bridge.exit(SPN, NATIVE, 0, p);
        // More than proven.
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        bridge.exit(SPN, NATIVE, 3 ether + 1, p);
        vm.stopPrank();
        // A balance proven at an older checkpoint does not count.
        SlotProof memory stale = _exitProof(old, NATIVE, ALICE, 5 ether);
        vm.prank(ALICE);
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        bridge.exit(SPN, NATIVE, 5 ether, stale);
        // More than the SPN's escrow.
        SlotProof memory big = _exitProof(root, NATIVE, BOB, 11 ether);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(Bridge.InsufficientEscrow.selector, SPN, NATIVE));
        bridge.exit(SPN, NATIVE, 11 ether, big);
    }

    function test_ExitWithoutFinalizedStateReverts() public {
        _freeze(SPN);
        SlotProof memory p = _unprovenSlot(bytes32(0), Sys.SPN_BRIDGE);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Bridge.NoFinalizedState.selector, SPN));
        bridge.exit(SPN, NATIVE, 1, p);
    }

    function test_ExitAndRelayedWithdrawalStayWithinEscrow() public {
        _depositNative(SPN, ALICE, 10 ether);
        // At the last checkpoint, Alice had withdrawn 4 (burned on the SPN, message in the
        // outbox) and holds 6.
        bytes memory m = _withdrawMessage(SPN, 0, NATIVE, ALICE, 4 ether, 1);
        bytes32 root = keccak256("final");
        _finalize(SPN, 100, root);
        SlotProof memory exitProof = _exitProof(root, NATIVE, ALICE, 6 ether);
        _freeze(SPN);
        _relayAt(SPN, 100, root, m); // messages already in the checkpoint still relay
        vm.prank(ALICE);
        bridge.exit(SPN, NATIVE, 6 ether, exitProof);
        assertEq(bridge.escrowed(SPN, NATIVE), 0, "all paid out, once");
        assertEq(ALICE.balance, 10 ether, "everything back");
    }

    // ---- fuzz ----

    function testFuzz_DepositNative(uint96 amount, address to) public {
        vm.assume(to != address(0));
        uint256 a = bound(amount, 1, type(uint96).max);
        vm.deal(ALICE, a);
        vm.prank(ALICE);
        bytes32 id = bridge.depositNative{value: a}(SPN, to);
        assertEq(bridge.escrowed(SPN, NATIVE), a, "escrowed");
        assertEq(Sys.BRIDGE.balance, a, "held");
        (, address token, address who, uint256 credited,) = _decodeBody(id);
        assertEq(token, NATIVE, "token");
        assertEq(who, to, "to");
        assertEq(credited, a, "credited");
    }

    function testFuzz_DepositFeeToken(uint128 amount, uint16 feeBps) public {
        uint256 a = bound(amount, 1, type(uint128).max);
        uint256 f = bound(feeBps, 0, 9_999);
        fee.setFee(f);
        fee.mint(ALICE, a);
        vm.startPrank(ALICE);
        fee.approve(Sys.BRIDGE, a);
        uint256 arrives = a - a * f / 10_000;
        if (arrives == 0) {
            vm.expectRevert(Bridge.NothingReceived.selector);
            bridge.depositERC20(SPN, address(fee), a, ALICE);
        } else {
            bytes32 id = bridge.depositERC20(SPN, address(fee), a, ALICE);
            (,,, uint256 credited,) = _decodeBody(id);
            assertEq(credited, arrives, "credited what arrived");
            assertEq(bridge.escrowed(SPN, address(fee)), arrives, "escrowed");
            assertEq(fee.balanceOf(Sys.BRIDGE), arrives, "held");
        }
        vm.stopPrank();
    }

    function testFuzz_WithdrawWithinEscrow(uint96 deposit, uint96 withdraw) public {
        uint256 d = bound(deposit, 1, type(uint96).max);
        uint256 w = bound(withdraw, 1, type(uint96).max);
        _depositNative(SPN, ALICE, d);
        vm.prank(Sys.MAILBOX);
        if (w > d) {
            vm.expectRevert(abi.encodeWithSelector(Bridge.InsufficientEscrow.selector, SPN, NATIVE));
            bridge.handle(SPN, _b32(Sys.SPN_BRIDGE), _withdrawBody(NATIVE, BOB, w, 1));
        } else {
            bridge.handle(SPN, _b32(Sys.SPN_BRIDGE), _withdrawBody(NATIVE, BOB, w, 1));
            assertEq(BOB.balance, w, "paid");
            assertEq(bridge.escrowed(SPN, NATIVE), d - w, "escrow");
        }
    }
}
