// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Restaking} from "../src/Restaking.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {RestakingFixture} from "./utils/RestakingFixture.sol";

/// An SPN's operator list: seats (at most MAX_OPERATORS_PER_SPN), leaving by full exit with
/// swap-and-pop, and the minimum operator stake a restake must reach and an unstake must
/// leave (or nothing).
contract RestakingSeatsTest is RestakingFixture {
    /// The error of a restake or unstake that would leave less than the operator minimum.
    function _belowMinimum() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether);
    }

    /// `who`, with no active stake in `spnId`, gets 1 ether of LST and restakes it: one wei
    /// short of the minimum is refused, exactly the minimum accepted.
    function _restakeFromNothing(address who, uint32 spnId) internal {
        _fundForRestake(who, 1 ether);
        _expectRestakeRevert(who, spnId, 1 ether - 1, _belowMinimum());
        vm.prank(who);
        restaking.restake(spnId, 1 ether);
    }

    // ---- seats ----

    function test_TooManyOperatorsPerSpn() public {
        uint256 minOp = restaking.MIN_OPERATOR_STAKE();
        _fillAndRefuseNewcomer(SPN);
        // An existing operator may still add stake.
        _restake(_operatorAddr(SPN, 0), SPN, 1);
        assertEq(restaking.stakeOf(SPN, _operatorAddr(SPN, 0)), minOp + 1, "topped up");
    }

    // ---- minimum operator stake ----

    function test_MinOperatorStakeIsOneEther() public view {
        assertEq(restaking.MIN_OPERATOR_STAKE(), 1 ether, "minimum");
    }

    function test_RestakeBelowMinimumReverts() public {
        _fundForRestake(op, 1 ether);
        _expectRestakeRevert(op, SPN, 1 ether - 1, _belowMinimum());
        _expectRestakeRevert(op, SPN, 1, _belowMinimum());
        // Nothing moved and no seat was taken.
        assertEq(lst.balanceOf(op), 1 ether, "lst kept");
        assertEq(restaking.stakeOf(SPN, op), 0, "no stake");
        assertEq(restaking.totalStake(SPN), 0, "no total");
        assertTrue(!restaking.isOperatorOf(SPN, op), "not an operator of the spn");
        assertEq(restaking.operatorsOf(SPN).length, 0, "not listed");
        // Exactly the minimum is enough.
        vm.prank(op);
        restaking.restake(SPN, 1 ether);
        assertEq(restaking.stakeOf(SPN, op), 1 ether, "at the minimum");
        assertTrue(restaking.isOperatorOf(SPN, op), "listed");
    }

    function test_RestakeTopUpCountsExistingStake() public {
        _restake(op, SPN, 1 ether);
        // Already at the minimum: any top-up is fine.
        _restake(op, SPN, 1);
        assertEq(restaking.stakeOf(SPN, op), 1 ether + 1, "topped up by one wei");
        // Back down to exactly the minimum (the least a partial unstake may leave), and up
        // again by one wei: the existing stake counts towards the minimum.
        vm.prank(op);
        restaking.unstake(SPN, 1);
        assertEq(restaking.stakeOf(SPN, op), 1 ether, "at the minimum");
        _restake(op, SPN, 1);
        assertEq(restaking.stakeOf(SPN, op), 1 ether + 1, "topped up again");
        // Stake that is only unbonding does not count: after a full unstake the top-up
        // must bring the active stake back to the minimum on its own.
        _unstakeAll(op, SPN);
        _restakeFromNothing(op, SPN);
        assertEq(restaking.stakeOf(SPN, op), 1 ether, "back at the minimum");
        assertEq(restaking.unstakingOf(SPN, op), 1 ether + 2, "still unbonding");
    }

    function test_RestakeMinimumIsPerSpn() public {
        _registerSpn(8);
        _restake(op, SPN, 5 ether);
        // Stake in another SPN does not count.
        _fundForRestake(op, 1 ether);
        _expectRestakeRevert(op, 8, 1 ether - 1, _belowMinimum());
        // Nor does stake still unbonding in the same SPN.
        vm.prank(op);
        restaking.unstake(SPN, 5 ether);
        _expectRestakeRevert(op, SPN, 1 ether - 1, _belowMinimum());
    }

    function testFuzz_RestakeMinimum(uint256 amount) public {
        uint256 a = bound(amount, 1, 3 ether);
        _fundForRestake(op, a);
        vm.prank(op);
        if (a < 1 ether) vm.expectRevert(_belowMinimum());
        restaking.restake(SPN, a);
        assertEq(restaking.stakeOf(SPN, op), a < 1 ether ? 0 : a, "stake");
        assertTrue(restaking.isOperatorOf(SPN, op) == (a >= 1 ether), "listed iff accepted");
    }

    // ---- leaving the operator list ----

    function test_FullExitLeavesOperatorList() public {
        _restake(op, SPN, 5 ether);
        _unstakeAll(op, SPN);
        // While unbonding it is still slashable and keeps its seat.
        assertTrue(restaking.isOperatorOf(SPN, op), "listed while unbonding");
        assertEq(restaking.operatorsOf(SPN).length, 1, "still listed");
        _withdraw(op, SPN);
        assertTrue(!restaking.isOperatorOf(SPN, op), "no longer an operator of the spn");
        assertEq(restaking.operatorsOf(SPN).length, 0, "list emptied");
        assertEq(lst.balanceOf(op), 5 ether, "lst back");
        // The key registration itself stays.
        assertEq(restaking.operatorKey(op), key, "still a registered operator");
    }

    function test_PartialWithdrawKeepsSeat() public {
        _restake(op, SPN, 5 ether);
        vm.prank(op);
        restaking.unstake(SPN, 4 ether);
        _withdraw(op, SPN);
        assertTrue(restaking.isOperatorOf(SPN, op), "active stake left: still listed");
        assertEq(restaking.operatorsOf(SPN).length, 1, "listed");
    }

    function test_RestakeWhileUnbondingKeepsSeat() public {
        _restake(op, SPN, 5 ether);
        _unstakeAll(op, SPN);
        _restake(op, SPN, 1 ether);
        _withdraw(op, SPN);
        assertTrue(restaking.isOperatorOf(SPN, op), "restaked before withdrawing");
        assertEq(restaking.operatorsOf(SPN).length, 1, "listed once");
    }

    function test_LeftOperatorMayRejoin() public {
        address op1 = _operatorAddr(SPN, 1);
        _restake(op, SPN, 2 ether);
        _restake(op1, SPN, 2 ether);
        _exit(op, SPN);
        _assertOperators(SPN, _ops(SPN, _idx(1)));
        // Rejoining needs the minimum again and appends once.
        _restakeFromNothing(op, SPN);
        _assertOperators(SPN, _ops(SPN, _idx(1, 0)));
        // And it can leave again.
        _exit(op, SPN);
        _assertOperators(SPN, _ops(SPN, _idx(1)));
    }

    function test_LeavingOneSpnKeepsOthers() public {
        _registerSpn(8);
        _restake(op, SPN, 2 ether);
        _restake(op, 8, 2 ether);
        _exit(op, SPN);
        assertTrue(!restaking.isOperatorOf(SPN, op), "left SPN");
        assertTrue(restaking.isOperatorOf(8, op), "still in 8");
        assertEq(restaking.operatorsOf(8).length, 1, "8 listed");
        assertEq(restaking.stakeOf(8, op), 2 ether, "8 stake");
    }

    function test_FreedSeatReusableWhenListFull() public {
        uint256 max = restaking.MAX_OPERATORS_PER_SPN();
        uint256 minOp = restaking.MIN_OPERATOR_STAKE();
        address extra = _fillAndRefuseNewcomer(SPN);

        // A full unstake alone frees nothing: the seat is held until the withdrawal.
        address leaver = _operatorAddr(SPN, 100);
        _unstakeAll(leaver, SPN);
        _expectNoSeat(extra, SPN, minOp);

        _withdraw(leaver, SPN);
        assertEq(restaking.operatorsOf(SPN).length, max - 1, "a seat freed");
        assertTrue(!restaking.isOperatorOf(SPN, leaver), "leaver gone");
        vm.prank(extra);
        restaking.restake(SPN, minOp);
        address[] memory ops = restaking.operatorsOf(SPN);
        assertEq(ops.length, max, "full again");
        // The last operator filled the hole, the newcomer was appended.
        assertEq(ops[100], _operatorAddr(SPN, max - 1), "last moved into the hole");
        assertEq(ops[max - 1], extra, "newcomer at the end");
        assertTrue(restaking.isOperatorOf(SPN, extra), "newcomer listed");

        // Full again: the next newcomer is refused, and the leaver cannot come back.
        address another = _operatorAddr(SPN, max + 1);
        _fundForRestake(another, minOp);
        _expectNoSeat(another, SPN, minOp);
        vm.prank(leaver);
        lst.approve(Sys.RESTAKING, minOp);
        _expectNoSeat(leaver, SPN, minOp);
    }

    function test_SwapAndPopWhenMiddleOperatorLeaves() public {
        _fillOperators(SPN, 5); // [0, 1, 2, 3, 4]
        // A middle operator leaves: the last takes its index.
        _exit(_operatorAddr(SPN, 1), SPN);
        _assertOperators(SPN, _ops(SPN, _idx(0, 4, 2, 3)));
        // The moved operator's position was updated: it can leave from its new index.
        _exit(_operatorAddr(SPN, 4), SPN);
        _assertOperators(SPN, _ops(SPN, _idx(0, 3, 2)));
        // The last operator leaves (swaps with itself).
        _exit(_operatorAddr(SPN, 2), SPN);
        _assertOperators(SPN, _ops(SPN, _idx(0, 3)));
        // The first leaves.
        _exit(_operatorAddr(SPN, 0), SPN);
        _assertOperators(SPN, _ops(SPN, _idx(3)));
        // A newcomer and a returning operator append after the survivor.
        _restake(_operatorAddr(SPN, 5), SPN, 1 ether);
        _restake(_operatorAddr(SPN, 1), SPN, 1 ether);
        _assertOperators(SPN, _ops(SPN, _idx(3, 5, 1)));
        // The only remaining original leaves: positions of the appended ones stay right.
        _exit(_operatorAddr(SPN, 3), SPN);
        _assertOperators(SPN, _ops(SPN, _idx(1, 5)));
        _exit(_operatorAddr(SPN, 5), SPN);
        _assertOperators(SPN, _ops(SPN, _idx(1)));
        _exit(_operatorAddr(SPN, 1), SPN);
        _assertOperators(SPN, new address[](0));
        for (uint256 i = 0; i < 6; i++) {
            assertTrue(!restaking.isOperatorOf(SPN, _operatorAddr(SPN, i)), "nobody left");
        }
    }

    function test_EpochSnapshotFollowsSwappedOrder() public {
        _activeSpn(SPN + 10, 4, 5 ether); // epoch 1: [0, 1, 2, 3]
        uint32 id = SPN + 10;
        _exit(_operatorAddr(id, 0), id);
        vm.warp(block.timestamp + EPOCH_LENGTH);
        management.rotateEpoch(id);
        (address[] memory set,,, uint256 total) = registry.epochSet(id, 2);
        assertEq(set.length, 3, "three left");
        assertEq(set[0], _operatorAddr(id, 3), "last moved to the front");
        assertEq(set[1], _operatorAddr(id, 1), "second");
        assertEq(set[2], _operatorAddr(id, 2), "third");
        assertEq(total, 15 ether, "total");
    }

    function testFuzz_OperatorListConsistent(uint256 seed) public {
        // Random joins and full exits; the list always holds exactly the operators with
        // active or unbonding stake, each once, and isOperatorOf agrees.
        uint256 n = 12;
        for (uint256 step = 0; step < 40; step++) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            address who = _operatorAddr(SPN, r % n);
            if (restaking.stakeOf(SPN, who) == 0 && restaking.unstakingOf(SPN, who) == 0) {
                _restake(who, SPN, 1 ether + (r >> 8) % 1 ether);
            } else if (restaking.stakeOf(SPN, who) > 0 && (r >> 128) % 2 == 0) {
                _unstakeAll(who, SPN);
            } else if (restaking.unstakingOf(SPN, who) > 0) {
                _withdraw(who, SPN);
            } else {
                _restake(who, SPN, 1);
            }
            address[] memory ops = restaking.operatorsOf(SPN);
            uint256 expected = 0;
            for (uint256 i = 0; i < n; i++) {
                address o = _operatorAddr(SPN, i);
                bool holds = restaking.stakeOf(SPN, o) > 0 || restaking.unstakingOf(SPN, o) > 0;
                assertTrue(restaking.isOperatorOf(SPN, o) == holds, "isOperatorOf iff stake");
                assertEq(_occurrences(ops, o), holds ? 1 : 0, "listed once iff stake");
                if (holds) expected++;
            }
            assertEq(ops.length, expected, "no strangers");
        }
    }

    // ---- unstake: all or down to the operator minimum ----

    function _expectUnstakeBelowMinimum(address who, uint32 spnId, uint256 amount) internal {
        vm.prank(who);
        vm.expectRevert(_belowMinimum());
        restaking.unstake(spnId, amount);
    }

    function test_UnstakeLeavingDustRejected() public {
        _restake(op, SPN, 5 ether);
        // Leaving 1 wei, or one wei less than the minimum, is refused.
        _expectUnstakeBelowMinimum(op, SPN, 5 ether - 1);
        _expectUnstakeBelowMinimum(op, SPN, 4 ether + 1);
        // Nothing changed.
        assertEq(restaking.stakeOf(SPN, op), 5 ether, "stake kept");
        assertEq(restaking.unstakingOf(SPN, op), 0, "nothing unbonding");
        assertEq(restaking.releaseAt(SPN, op), 0, "no release time");
        assertEq(restaking.totalStake(SPN), 5 ether, "total kept");
        assertEq(lst.balanceOf(Sys.RESTAKING), 5 ether, "lst held");
        // Leaving exactly the minimum is fine.
        vm.prank(op);
        restaking.unstake(SPN, 4 ether);
        assertEq(restaking.stakeOf(SPN, op), 1 ether, "exactly the minimum left");
        assertEq(restaking.unstakingOf(SPN, op), 4 ether, "unbonding");
        assertEq(restaking.totalStake(SPN), 1 ether, "total");
        // From the minimum only everything may go: pending stake does not make up for it.
        _expectUnstakeBelowMinimum(op, SPN, 1);
        _expectUnstakeBelowMinimum(op, SPN, 1 ether - 1);
        vm.prank(op);
        restaking.unstake(SPN, 1 ether);
        assertEq(restaking.stakeOf(SPN, op), 0, "all gone");
        assertEq(restaking.unstakingOf(SPN, op), 5 ether, "all unbonding");
        assertEq(restaking.totalStake(SPN), 0, "total zero");
        assertTrue(restaking.isOperatorOf(SPN, op), "listed while unbonding");
    }

    function test_FullUnstakeAlwaysAccepted() public {
        // One wei above the minimum: only 1 wei may be unstaked partially (leaving exactly
        // the minimum); anything more must be all of it.
        _restake(op, SPN, 1 ether + 1);
        _expectUnstakeBelowMinimum(op, SPN, 2);
        _expectUnstakeBelowMinimum(op, SPN, 1 ether);
        vm.prank(op);
        restaking.unstake(SPN, 1 ether + 1);
        assertEq(restaking.unstakingOf(SPN, op), 1 ether + 1, "all unbonding");
        assertEq(restaking.stakeOf(SPN, op), 0, "full unstake");
        // Exactly the minimum: all of it is fine too.
        address op1 = _operatorAddr(SPN, 1);
        _restake(op1, SPN, 1 ether);
        vm.prank(op1);
        restaking.unstake(SPN, 1 ether);
        assertEq(restaking.stakeOf(SPN, op1), 0, "full unstake at the minimum");
        assertEq(restaking.unstakingOf(SPN, op1), 1 ether, "unbonding");
    }

    function test_UnstakeErrorOrder() public {
        _restake(op, SPN, 2 ether);
        // Zero and too much are reported as before, not as a minimum violation.
        vm.prank(op);
        vm.expectRevert(Restaking.ZeroAmount.selector);
        restaking.unstake(SPN, 0);
        vm.prank(op);
        vm.expectRevert(Restaking.InsufficientStake.selector);
        restaking.unstake(SPN, 2 ether + 1);
        // Nothing staked at all.
        vm.prank(op);
        vm.expectRevert(Restaking.InsufficientStake.selector);
        restaking.unstake(SPN + 1, 1);
    }

    function test_UnstakeMinimumIsPerSpn() public {
        // A large stake in another SPN does not let this one drop below the minimum.
        _registerSpn(8);
        _restake(op, SPN, 2 ether);
        _restake(op, 8, 100 ether);
        _expectUnstakeBelowMinimum(op, SPN, 1.5 ether);
        vm.prank(op);
        restaking.unstake(8, 99 ether);
        assertEq(restaking.stakeOf(8, op), 1 ether, "other spn at the minimum");
        assertEq(restaking.stakeOf(SPN, op), 2 ether, "this spn untouched");
    }

    /// Accepted iff 0 < amount <= held and what is left is 0 or at least the minimum.
    function testFuzz_UnstakeMinimum(uint256 held, uint256 amount) public {
        uint256 h = bound(held, 1 ether, 5 ether);
        uint256 a = amount % 2 == 0
            ? bound(amount, 0, h + 1)
            : h - bound(amount >> 1, 0, 2 ether > h ? h : 2 ether);
        _restake(op, SPN, h);
        bool ok = a > 0 && a <= h && (a == h || h - a >= 1 ether);
        vm.prank(op);
        (bool success, bytes memory err) =
            Sys.RESTAKING.call(abi.encodeCall(Restaking.unstake, (SPN, a)));
        assertTrue(success == ok, "outcome");
        if (ok) {
            assertEq(restaking.stakeOf(SPN, op), h - a, "stake");
            assertEq(restaking.unstakingOf(SPN, op), a, "unbonding");
        } else {
            bytes memory want = a == 0
                ? abi.encodeWithSelector(Restaking.ZeroAmount.selector)
                : a > h
                    ? abi.encodeWithSelector(Restaking.InsufficientStake.selector)
                    : _belowMinimum();
            assertEq(err, want, "error");
            assertEq(restaking.stakeOf(SPN, op), h, "stake kept");
        }
        uint256 left = restaking.stakeOf(SPN, op);
        assertTrue(left == 0 || left >= 1 ether, "never dust");
    }
}
