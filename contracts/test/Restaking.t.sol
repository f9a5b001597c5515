// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Registry} from "../src/Registry.sol";
import {Restaking} from "../src/Restaking.sol";
import {Checkpoint} from "../src/lib/Checkpoint.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Vm} from "./utils/Cheats.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";

contract RestakingTest is SystemFixture {
    uint32 internal constant SPN = 7;
    address internal op;
    bytes32 internal key;

    function setUp() public override {
        super.setUp();
        _registerSpn(SPN);
        op = _operatorAddr(SPN, 0);
        key = _keyOf(op);
    }

    function test_InitializeCannotBeRerun() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        restaking.initialize(1);
        assertEq(restaking.unbondingDelay(), RESTAKING_UNBONDING_DELAY, "unchanged");
    }

    // ---- registration with proof of possession ----

    function test_RegisterOperatorWithProofOfPossession() public {
        bytes memory pop = _pop(op);
        vm.prank(op);
        restaking.registerOperator(key, pop);
        assertEq(restaking.operatorKey(op), key, "key");
        assertEq(restaking.keyOwner(key), op, "owner");
    }

    function test_RegistrationDigestIsDomainSeparated() public view {
        bytes32 expected =
            keccak256(abi.encode(restaking.REGISTER_TYPEHASH(), block.chainid, Sys.RESTAKING, op));
        assertEq(restaking.registrationDigest(op), expected, "digest");
    }

    function test_RegisterOperatorRejectsZeroKey() public {
        bytes memory sig = _sign(bytes32(0), restaking.registrationDigest(op));
        vm.prank(op);
        vm.expectRevert(Restaking.InvalidKey.selector);
        restaking.registerOperator(bytes32(0), sig);
    }

    function test_RegisterOperatorRejectsTakenKey() public {
        _registerOperator(op);
        address other = address(0xBEEF);
        bytes memory sig = _sign(key, restaking.registrationDigest(other));
        vm.prank(other);
        vm.expectRevert(Restaking.InvalidKey.selector);
        restaking.registerOperator(key, sig);
    }

    function test_RegisterOperatorTwiceReverts() public {
        _registerOperator(op);
        bytes32 k2 = keccak256("second key");
        bytes memory sig = _sign(k2, restaking.registrationDigest(op));
        vm.prank(op);
        vm.expectRevert(Restaking.AlreadyRegistered.selector);
        restaking.registerOperator(k2, sig);
    }

    function test_RegisterOperatorRejectsBadProofOfPossession() public {
        // Someone else's proof (a different operator address in the digest).
        bytes memory stolen = _sign(key, restaking.registrationDigest(address(0xBEEF)));
        vm.prank(op);
        vm.expectRevert(Restaking.InvalidProofOfPossession.selector);
        restaking.registerOperator(key, stolen);
        // Signed by another key.
        bytes memory wrongKey = _sign(keccak256("other"), restaking.registrationDigest(op));
        vm.prank(op);
        vm.expectRevert(Restaking.InvalidProofOfPossession.selector);
        restaking.registerOperator(key, wrongKey);
        // Malformed length.
        vm.prank(op);
        vm.expectRevert(Restaking.InvalidProofOfPossession.selector);
        restaking.registerOperator(key, new bytes(63));
    }

    // ---- restake ----

    function test_RestakeMovesLstAndTracksStake() public {
        _restake(op, SPN, 5 ether);
        assertEq(restaking.stakeOf(SPN, op), 5 ether, "stake");
        assertEq(restaking.totalStake(SPN), 5 ether, "total");
        assertEq(lst.balanceOf(Sys.RESTAKING), 5 ether, "held");
        assertEq(lst.balanceOf(op), 0, "moved");
        assertTrue(restaking.isOperatorOf(SPN, op), "operator of");
        _restake(op, SPN, 1 ether);
        assertEq(restaking.stakeOf(SPN, op), 6 ether, "added");
        assertEq(restaking.operatorsOf(SPN).length, 1, "listed once");
    }

    function test_RestakeToSeveralSpns() public {
        _registerSpn(8);
        _restake(op, SPN, 5 ether);
        _restake(op, 8, 3 ether);
        assertEq(restaking.stakeOf(8, op), 3 ether, "second spn");
        assertEq(restaking.totalStake(SPN), 5 ether, "first spn");
    }

    function test_RestakeRequiresOperator() public {
        _mintLst(op, 1 ether);
        vm.prank(op);
        vm.expectRevert(Restaking.NotOperator.selector);
        restaking.restake(SPN, 1 ether);
    }

    function test_RestakeZeroReverts() public {
        _registerOperator(op);
        vm.prank(op);
        vm.expectRevert(Restaking.ZeroAmount.selector);
        restaking.restake(SPN, 0);
    }

    function test_RestakeRequiresOpenSpn() public {
        _registerOperator(op);
        _mintLst(op, 1 ether);
        vm.prank(op);
        lst.approve(Sys.RESTAKING, 1 ether);
        // Unknown.
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(Restaking.SpnNotOpen.selector, uint32(99)));
        restaking.restake(99, 1 ether);
        // Retired.
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(Restaking.SpnNotOpen.selector, SPN));
        restaking.restake(SPN, 1 ether);
        // Frozen.
        _registerSpn(9);
        vm.prank(Sys.MANAGEMENT);
        registry.setStatus(9, Registry.Status.Frozen);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(Restaking.SpnNotOpen.selector, uint32(9)));
        restaking.restake(9, 1 ether);
    }

    function test_RestakeToActiveSpn() public {
        _activeSpn(3, 1, MIN_SPN_STAKE);
        _restake(op, 3, 1 ether);
        assertEq(restaking.totalStake(3), MIN_SPN_STAKE + 1 ether, "added to active");
    }

    function test_RestakeWithoutAllowanceReverts() public {
        _registerOperator(op);
        _mintLst(op, 1 ether);
        vm.prank(op);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, Sys.RESTAKING, 0, 1 ether
            )
        );
        restaking.restake(SPN, 1 ether);
    }

    function test_TooManyOperatorsPerSpn() public {
        uint256 max = restaking.MAX_OPERATORS_PER_SPN();
        uint256 minOp = restaking.MIN_OPERATOR_STAKE();
        _fillOperators(SPN, max);
        address extra = _operatorAddr(SPN, max);
        _registerOperator(extra);
        _mintLst(extra, minOp);
        vm.startPrank(extra);
        lst.approve(Sys.RESTAKING, minOp);
        vm.expectRevert(Restaking.TooManyOperators.selector);
        restaking.restake(SPN, minOp);
        vm.stopPrank();
        // An existing operator may still add stake.
        _restake(_operatorAddr(SPN, 0), SPN, 1);
        assertEq(restaking.stakeOf(SPN, _operatorAddr(SPN, 0)), minOp + 1, "topped up");
    }

    /// Operators 0..n-1 of `spnId` restake the operator minimum each.
    function _fillOperators(uint32 spnId, uint256 n) internal {
        uint256 minOp = restaking.MIN_OPERATOR_STAKE();
        for (uint256 i = 0; i < n; i++) {
            _restake(_operatorAddr(spnId, i), spnId, minOp);
        }
        assertEq(restaking.operatorsOf(spnId).length, n, "filled");
    }

    // ---- minimum operator stake ----

    function test_MinOperatorStakeIsOneEther() public view {
        assertEq(restaking.MIN_OPERATOR_STAKE(), 1 ether, "minimum");
    }

    function test_RestakeBelowMinimumReverts() public {
        _registerOperator(op);
        _mintLst(op, 1 ether);
        vm.prank(op);
        lst.approve(Sys.RESTAKING, 1 ether);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether));
        restaking.restake(SPN, 1 ether - 1);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether));
        restaking.restake(SPN, 1);
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
        _mintLst(op, 1 ether);
        vm.startPrank(op);
        lst.approve(Sys.RESTAKING, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether));
        restaking.restake(SPN, 1 ether - 1);
        restaking.restake(SPN, 1 ether);
        vm.stopPrank();
        assertEq(restaking.stakeOf(SPN, op), 1 ether, "back at the minimum");
        assertEq(restaking.unstakingOf(SPN, op), 1 ether + 2, "still unbonding");
    }

    function test_RestakeMinimumIsPerSpn() public {
        _registerSpn(8);
        _restake(op, SPN, 5 ether);
        // Stake in another SPN does not count.
        _mintLst(op, 1 ether);
        vm.startPrank(op);
        lst.approve(Sys.RESTAKING, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether));
        restaking.restake(8, 1 ether - 1);
        vm.stopPrank();
        // Nor does stake still unbonding in the same SPN.
        vm.prank(op);
        restaking.unstake(SPN, 5 ether);
        vm.startPrank(op);
        vm.expectRevert(abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether));
        restaking.restake(SPN, 1 ether - 1);
        vm.stopPrank();
    }

    function testFuzz_RestakeMinimum(uint256 amount) public {
        uint256 a = bound(amount, 1, 3 ether);
        _registerOperator(op);
        _mintLst(op, a);
        vm.startPrank(op);
        lst.approve(Sys.RESTAKING, a);
        if (a < 1 ether) {
            vm.expectRevert(abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether));
        }
        restaking.restake(SPN, a);
        vm.stopPrank();
        assertEq(restaking.stakeOf(SPN, op), a < 1 ether ? 0 : a, "stake");
        assertTrue(restaking.isOperatorOf(SPN, op) == (a >= 1 ether), "listed iff accepted");
    }

    // ---- unstake / withdraw ----

    function test_UnstakeThenWithdrawAfterDelay() public {
        _restake(op, SPN, 5 ether);
        uint256 t0 = block.timestamp;
        vm.prank(op);
        restaking.unstake(SPN, 2 ether);
        assertEq(restaking.stakeOf(SPN, op), 3 ether, "active");
        assertEq(restaking.unstakingOf(SPN, op), 2 ether, "pending");
        assertEq(restaking.totalStake(SPN), 3 ether, "total");
        uint64 release = uint64(t0 + RESTAKING_UNBONDING_DELAY);
        assertEq(restaking.releaseAt(SPN, op), release, "release");

        vm.warp(release - 1);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(Restaking.StillUnbonding.selector, release));
        restaking.withdraw(SPN);

        vm.warp(release);
        vm.prank(op);
        assertEq(restaking.withdraw(SPN), 2 ether, "withdrawn");
        assertEq(lst.balanceOf(op), 2 ether, "lst back");
        vm.prank(op);
        vm.expectRevert(Restaking.NothingToWithdraw.selector);
        restaking.withdraw(SPN);
    }

    function test_FurtherUnstakeRestartsDelay() public {
        _restake(op, SPN, 5 ether);
        vm.prank(op);
        restaking.unstake(SPN, 1 ether);
        vm.warp(block.timestamp + RESTAKING_UNBONDING_DELAY - 1);
        vm.prank(op);
        restaking.unstake(SPN, 1 ether);
        uint64 release = uint64(block.timestamp + RESTAKING_UNBONDING_DELAY);
        vm.warp(block.timestamp + 1);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(Restaking.StillUnbonding.selector, release));
        restaking.withdraw(SPN);
        vm.warp(release);
        vm.prank(op);
        assertEq(restaking.withdraw(SPN), 2 ether, "whole pending amount");
    }

    function test_UnstakeZeroReverts() public {
        _restake(op, SPN, 1 ether);
        vm.prank(op);
        vm.expectRevert(Restaking.ZeroAmount.selector);
        restaking.unstake(SPN, 0);
    }

    function test_UnstakeMoreThanStakedReverts() public {
        _restake(op, SPN, 1 ether);
        vm.prank(op);
        vm.expectRevert(Restaking.InsufficientStake.selector);
        restaking.unstake(SPN, 1 ether + 1);
        vm.prank(op);
        vm.expectRevert(Restaking.InsufficientStake.selector);
        restaking.unstake(SPN + 1, 1);
    }

    function test_WithdrawNothingReverts() public {
        vm.prank(op);
        vm.expectRevert(Restaking.NothingToWithdraw.selector);
        restaking.withdraw(SPN);
    }

    // ---- leaving the operator list ----

    function _unstakeAll(address who, uint32 spnId) internal {
        uint256 st = restaking.stakeOf(spnId, who);
        vm.prank(who);
        restaking.unstake(spnId, st);
    }

    function _withdraw(address who, uint32 spnId) internal {
        uint256 release = restaking.releaseAt(spnId, who);
        if (block.timestamp < release) vm.warp(release);
        vm.prank(who);
        restaking.withdraw(spnId);
    }

    /// `who` unstakes everything it has in `spnId` and withdraws it after the delay.
    function _exit(address who, uint32 spnId) internal {
        _unstakeAll(who, spnId);
        _withdraw(who, spnId);
    }

    /// operatorsOf(spnId) is exactly `expected`, in order, and isOperatorOf agrees.
    function _assertOperators(uint32 spnId, address[] memory expected) internal view {
        address[] memory ops = restaking.operatorsOf(spnId);
        assertEq(ops.length, expected.length, "operator count");
        for (uint256 i = 0; i < ops.length; i++) {
            assertEq(ops[i], expected[i], "operator at index");
            assertTrue(restaking.isOperatorOf(spnId, ops[i]), "listed => isOperatorOf");
        }
    }

    function _ops(uint32 spnId, uint256[] memory indices)
        internal
        pure
        returns (address[] memory out)
    {
        out = new address[](indices.length);
        for (uint256 i = 0; i < indices.length; i++) {
            out[i] = _operatorAddr(spnId, indices[i]);
        }
    }

    function _idx(uint256 a) internal pure returns (uint256[] memory r) {
        r = new uint256[](1);
        r[0] = a;
    }

    function _idx(uint256 a, uint256 b) internal pure returns (uint256[] memory r) {
        r = new uint256[](2);
        (r[0], r[1]) = (a, b);
    }

    function _idx(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory r) {
        r = new uint256[](3);
        (r[0], r[1], r[2]) = (a, b, c);
    }

    function _idx(uint256 a, uint256 b, uint256 c, uint256 d)
        internal
        pure
        returns (uint256[] memory r)
    {
        r = new uint256[](4);
        (r[0], r[1], r[2], r[3]) = (a, b, c, d);
    }

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
        _mintLst(op, 1 ether);
        vm.startPrank(op);
        lst.approve(Sys.RESTAKING, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether));
        restaking.restake(SPN, 1 ether - 1);
        restaking.restake(SPN, 1 ether);
        vm.stopPrank();
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
        _fillOperators(SPN, max);
        address extra = _operatorAddr(SPN, max);
        _registerOperator(extra);
        _mintLst(extra, minOp);
        vm.prank(extra);
        lst.approve(Sys.RESTAKING, minOp);
        vm.prank(extra);
        vm.expectRevert(Restaking.TooManyOperators.selector);
        restaking.restake(SPN, minOp);

        // A full unstake alone frees nothing: the seat is held until the withdrawal.
        address leaver = _operatorAddr(SPN, 100);
        _unstakeAll(leaver, SPN);
        vm.prank(extra);
        vm.expectRevert(Restaking.TooManyOperators.selector);
        restaking.restake(SPN, minOp);

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
        _registerOperator(another);
        _mintLst(another, minOp);
        vm.prank(another);
        lst.approve(Sys.RESTAKING, minOp);
        vm.prank(another);
        vm.expectRevert(Restaking.TooManyOperators.selector);
        restaking.restake(SPN, minOp);
        vm.startPrank(leaver);
        lst.approve(Sys.RESTAKING, minOp);
        vm.expectRevert(Restaking.TooManyOperators.selector);
        restaking.restake(SPN, minOp);
        vm.stopPrank();
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
                uint256 seen = 0;
                for (uint256 j = 0; j < ops.length; j++) {
                    if (ops[j] == o) seen++;
                }
                assertEq(seen, holds ? 1 : 0, "listed once iff stake");
                if (holds) expected++;
            }
            assertEq(ops.length, expected, "no strangers");
        }
    }

    // ---- slashing ----

    function _pair(bytes32 rootA, bytes32 rootB, uint64 height)
        internal
        pure
        returns (Checkpoint memory a, Checkpoint memory b)
    {
        a = Checkpoint(SPN, 1, height, keccak256("block"), rootA);
        b = Checkpoint(SPN, 1, height, keccak256("block"), rootB);
    }

    function test_SlashEquivocationBurnsActiveAndPendingStake() public {
        _restake(op, SPN, 5 ether);
        vm.prank(op);
        restaking.unstake(SPN, 2 ether);
        (Checkpoint memory a, Checkpoint memory b) = _pair(keccak256("a"), keccak256("b"), 100);
        uint256 supply = lst.totalSupply();
        vm.prank(address(0xCAFE)); // anyone may submit evidence
        uint256 slashed =
            restaking.slashEquivocation(a, _sign(key, _digest(a)), b, _sign(key, _digest(b)), key);
        assertEq(slashed, 5 ether, "active + pending");
        assertEq(restaking.stakeOf(SPN, op), 0, "active gone");
        assertEq(restaking.unstakingOf(SPN, op), 0, "pending gone");
        assertEq(restaking.totalStake(SPN), 0, "total");
        assertEq(lst.totalSupply(), supply - 5 ether, "burned");
        assertEq(lst.balanceOf(Sys.RESTAKING), 0, "nothing held");
        vm.warp(block.timestamp + RESTAKING_UNBONDING_DELAY);
        vm.prank(op);
        vm.expectRevert(Restaking.NothingToWithdraw.selector);
        restaking.withdraw(SPN);
    }

    function test_SlashEquivocationOnlyTouchesThatSpn() public {
        _registerSpn(8);
        _restake(op, SPN, 5 ether);
        _restake(op, 8, 3 ether);
        (Checkpoint memory a, Checkpoint memory b) = _pair(keccak256("a"), keccak256("b"), 100);
        restaking.slashEquivocation(a, _sign(key, _digest(a)), b, _sign(key, _digest(b)), key);
        assertEq(restaking.stakeOf(8, op), 3 ether, "other spn untouched");
    }

    function test_SlashEquivocationEvidenceUsedOnce() public {
        _restake(op, SPN, 5 ether);
        (Checkpoint memory a, Checkpoint memory b) = _pair(keccak256("a"), keccak256("b"), 100);
        bytes memory sa = _sign(key, _digest(a));
        bytes memory sb = _sign(key, _digest(b));
        restaking.slashEquivocation(a, sa, b, sb, key);
        _restake(op, SPN, 1 ether);
        vm.expectRevert(Restaking.EvidenceAlreadyUsed.selector);
        restaking.slashEquivocation(a, sa, b, sb, key);
        // Swapped order is the same evidence (same spn, height, key).
        vm.expectRevert(Restaking.EvidenceAlreadyUsed.selector);
        restaking.slashEquivocation(b, sb, a, sa, key);
    }

    function test_SlashEquivocationRejectsNonEquivocation() public {
        _restake(op, SPN, 5 ether);
        (Checkpoint memory a, Checkpoint memory b) = _pair(keccak256("a"), keccak256("a"), 100);
        bytes memory sa = _sign(key, _digest(a));
        vm.expectRevert(Restaking.NotEquivocation.selector);
        restaking.slashEquivocation(a, sa, b, sa, key); // same checkpoint twice
        b.height = 101;
        b.stateRoot = keccak256("b");
        vm.expectRevert(Restaking.NotEquivocation.selector);
        restaking.slashEquivocation(a, sa, b, _sign(key, _digest(b)), key); // other height
        b.height = 100;
        b.spnId = SPN + 1;
        vm.expectRevert(Restaking.NotEquivocation.selector);
        restaking.slashEquivocation(a, sa, b, _sign(key, _digest(b)), key); // other spn
    }

    function test_SlashEquivocationRejectsBadSignatures() public {
        _restake(op, SPN, 5 ether);
        (Checkpoint memory a, Checkpoint memory b) = _pair(keccak256("a"), keccak256("b"), 100);
        bytes memory sa = _sign(key, _digest(a));
        bytes memory sb = _sign(key, _digest(b));
        vm.expectRevert(Restaking.InvalidSignature.selector);
        restaking.slashEquivocation(a, sa, b, sa, key);
        vm.expectRevert(Restaking.InvalidSignature.selector);
        restaking.slashEquivocation(a, _sign(keccak256("other"), _digest(a)), b, sb, key);
        // A signature over another domain (e.g. another adaptor address) is no evidence.
        bytes32 foreign = keccak256(abi.encode(_digest(a), "elsewhere"));
        vm.expectRevert(Restaking.InvalidSignature.selector);
        restaking.slashEquivocation(a, _sign(key, foreign), b, sb, key);
    }

    function test_SlashEquivocationRejectsUnknownKey() public {
        bytes32 stranger = keccak256("stranger");
        (Checkpoint memory a, Checkpoint memory b) = _pair(keccak256("a"), keccak256("b"), 100);
        vm.expectRevert(Restaking.UnknownKey.selector);
        restaking.slashEquivocation(
            a, _sign(stranger, _digest(a)), b, _sign(stranger, _digest(b)), stranger
        );
    }

    function test_SlashSpnOnlyBridge() public {
        _restake(op, SPN, 5 ether);
        vm.expectRevert(Restaking.OnlyBridge.selector);
        restaking.slashSpn(SPN, bytes32(0));
        vm.prank(Sys.BRIDGE);
        assertEq(restaking.slashSpn(SPN, bytes32(uint256(1))), 5 ether, "bridge slashes");
        assertEq(restaking.totalStake(SPN), 0, "total");
    }

    function testFuzz_RestakeUnstakeAccounting(uint96 a, uint96 b, uint96 u) public {
        uint256 sa = bound(a, 1 ether, type(uint96).max);
        uint256 sb = bound(b, 1 ether, type(uint96).max);
        address op2 = _operatorAddr(SPN, 1);
        _restake(op, SPN, sa);
        _restake(op2, SPN, sb);
        // Half the runs leave at most 2 ether, so both sides of the minimum come up often.
        uint256 un =
            u % 2 == 0 ? bound(u, 1, sa) : sa - bound(uint256(u) >> 1, 0, _min(sa - 1, 2 ether));
        // All, or down to at least the operator minimum.
        bool allowed = un == sa || sa - un >= 1 ether;
        vm.prank(op);
        if (!allowed) {
            vm.expectRevert(abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether));
            restaking.unstake(SPN, un);
            assertEq(restaking.stakeOf(SPN, op), sa, "refused: stake kept");
            assertEq(restaking.unstakingOf(SPN, op), 0, "refused: nothing unbonding");
            assertEq(restaking.totalStake(SPN), sa + sb, "refused: total kept");
            // The whole stake may always go.
            un = sa;
            vm.prank(op);
        }
        restaking.unstake(SPN, un);
        assertEq(restaking.totalStake(SPN), sa + sb - un, "total");
        assertTrue(
            restaking.stakeOf(SPN, op) == 0 || restaking.stakeOf(SPN, op) >= 1 ether, "no dust"
        );
        assertEq(lst.balanceOf(Sys.RESTAKING), sa + sb, "all held until withdrawn");
        vm.warp(block.timestamp + RESTAKING_UNBONDING_DELAY);
        vm.prank(op);
        restaking.withdraw(SPN);
        assertEq(lst.balanceOf(Sys.RESTAKING), sa + sb - un, "held");
        assertEq(lst.balanceOf(op), un, "returned");
        // A full exit gives up the seat; anything left keeps it.
        assertTrue(restaking.isOperatorOf(SPN, op) == (un < sa), "op seat");
        assertEq(restaking.operatorsOf(SPN).length, un < sa ? 2 : 1, "listed");
        assertTrue(restaking.isOperatorOf(SPN, op2), "op2 stays");
    }

    function _min(uint256 x, uint256 y) internal pure returns (uint256) {
        return x < y ? x : y;
    }

    // ---- unstake: all or down to the operator minimum ----

    function _expectUnstakeBelowMinimum(address who, uint32 spnId, uint256 amount) internal {
        vm.prank(who);
        vm.expectRevert(abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether));
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
                    : abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, 1 ether);
            assertEq(err, want, "error");
            assertEq(restaking.stakeOf(SPN, op), h, "stake kept");
        }
        uint256 left = restaking.stakeOf(SPN, op);
        assertTrue(left == 0 || left >= 1 ether, "never dust");
    }

    // ---- slashing removes the operator from the list ----

    /// Evidence that `o` signed two roots for SPN `SPN` at `height`; returns the slashed
    /// amount.
    function _equivocate(address o, uint64 height) internal returns (uint256) {
        (Checkpoint memory a, Checkpoint memory b) =
            _pair(keccak256(abi.encode("a", height)), keccak256(abi.encode("b", height)), height);
        bytes32 k = _keyOf(o);
        return restaking.slashEquivocation(a, _sign(k, _digest(a)), b, _sign(k, _digest(b)), k);
    }

    function test_SlashedOperatorLeavesOperatorList() public {
        _fillOperators(SPN, 4); // [0, 1, 2, 3]
        address victim = _operatorAddr(SPN, 1);
        _restake(victim, SPN, 2 ether); // 3 ether active
        vm.prank(victim);
        restaking.unstake(SPN, 1 ether); // 2 active + 1 pending
        assertEq(_equivocate(victim, 100), 3 ether, "active + pending");
        // Swap-and-pop: the last operator took the victim's index.
        _assertOperators(SPN, _ops(SPN, _idx(0, 3, 2)));
        assertTrue(!restaking.isOperatorOf(SPN, victim), "no longer an operator of the spn");
        assertEq(restaking.totalStake(SPN), 3 ether, "the others' stake");
        // Nothing left to withdraw (and no second removal from the list).
        vm.warp(block.timestamp + RESTAKING_UNBONDING_DELAY);
        vm.prank(victim);
        vm.expectRevert(Restaking.NothingToWithdraw.selector);
        restaking.withdraw(SPN);
        // The moved operator's position was updated: it can be slashed from its new index.
        assertEq(_equivocate(_operatorAddr(SPN, 3), 101), 1 ether, "moved one slashed");
        _assertOperators(SPN, _ops(SPN, _idx(0, 2)));
        // The key registration itself stays.
        assertEq(restaking.operatorKey(victim), _keyOf(victim), "still a registered operator");
    }

    function test_SlashedUnbondingOperatorLeavesOperatorList() public {
        _fillOperators(SPN, 3);
        address leaver = _operatorAddr(SPN, 0);
        // Fully unstaked but not withdrawn: still listed and slashable.
        _unstakeAll(leaver, SPN);
        assertEq(_equivocate(leaver, 100), 1 ether, "pending slashed");
        _assertOperators(SPN, _ops(SPN, _idx(2, 1)));
        assertTrue(!restaking.isOperatorOf(SPN, leaver), "left");
    }

    function test_SlashOfNonMemberTouchesNoList() public {
        // Registered, staked elsewhere, nothing in SPN: slashing SPN takes nothing and does
        // not try to remove it from a list it is not on.
        _registerSpn(8);
        _fillOperators(SPN, 2);
        address outsider = _operatorAddr(SPN, 5);
        _restake(outsider, 8, 3 ether);
        assertEq(_equivocate(outsider, 100), 0, "nothing to slash here");
        _assertOperators(SPN, _ops(SPN, _idx(0, 1)));
        assertTrue(restaking.isOperatorOf(8, outsider), "still in 8");
        assertEq(restaking.stakeOf(8, outsider), 3 ether, "8 untouched");
        // Likewise an operator that was already slashed.
        assertEq(_equivocate(_operatorAddr(SPN, 0), 101), 1 ether, "slashed");
        assertEq(_equivocate(_operatorAddr(SPN, 0), 102), 0, "nothing left");
        _assertOperators(SPN, _ops(SPN, _idx(1)));
    }

    function test_SlashedOperatorSeatReusable() public {
        uint256 max = restaking.MAX_OPERATORS_PER_SPN();
        _fillOperators(SPN, max);
        address extra = _operatorAddr(SPN, max);
        _registerOperator(extra);
        _mintLst(extra, 1 ether);
        vm.prank(extra);
        lst.approve(Sys.RESTAKING, 1 ether);
        vm.prank(extra);
        vm.expectRevert(Restaking.TooManyOperators.selector);
        restaking.restake(SPN, 1 ether);
        // Slashing frees the seat at once (no unbonding to wait for).
        address victim = _operatorAddr(SPN, 100);
        _equivocate(victim, 100);
        address[] memory ops = restaking.operatorsOf(SPN);
        assertEq(ops.length, max - 1, "a seat freed");
        assertEq(ops[100], _operatorAddr(SPN, max - 1), "last moved into the hole");
        vm.prank(extra);
        restaking.restake(SPN, 1 ether);
        ops = restaking.operatorsOf(SPN);
        assertEq(ops.length, max, "full again");
        assertEq(ops[max - 1], extra, "newcomer at the end");
        // The slashed operator cannot come back while the list is full...
        _mintLst(victim, 1 ether);
        vm.startPrank(victim);
        lst.approve(Sys.RESTAKING, 1 ether);
        vm.expectRevert(Restaking.TooManyOperators.selector);
        restaking.restake(SPN, 1 ether);
        vm.stopPrank();
        // ...but may once a seat frees again.
        _equivocate(_operatorAddr(SPN, 0), 101);
        vm.prank(victim);
        restaking.restake(SPN, 1 ether);
        ops = restaking.operatorsOf(SPN);
        assertEq(ops.length, max, "full");
        assertEq(ops[max - 1], victim, "slashed operator rejoined at the end");
        assertEq(restaking.stakeOf(SPN, victim), 1 ether, "fresh stake");
    }

    function test_SlashedOperatorMayRejoin() public {
        _fillOperators(SPN, 3);
        address victim = _operatorAddr(SPN, 0);
        _equivocate(victim, 100);
        _assertOperators(SPN, _ops(SPN, _idx(2, 1)));
        _restake(victim, SPN, 1 ether);
        _assertOperators(SPN, _ops(SPN, _idx(2, 1, 0)));
        // And it can leave the ordinary way afterwards.
        _exit(victim, SPN);
        _assertOperators(SPN, _ops(SPN, _idx(2, 1)));
    }

    /// Slashed events of Restaking for `spnId` among `logs`: operators and amounts, in order.
    function _slashEvents(Vm.Log[] memory logs, uint32 spnId)
        internal
        pure
        returns (address[] memory who, uint256[] memory amounts)
    {
        uint256 n = 0;
        for (uint256 i = 0; i < logs.length; i++) {
            if (_isSlashed(logs[i], spnId)) n++;
        }
        who = new address[](n);
        amounts = new uint256[](n);
        uint256 j = 0;
        for (uint256 i = 0; i < logs.length; i++) {
            if (!_isSlashed(logs[i], spnId)) continue;
            who[j] = address(uint160(uint256(logs[i].topics[2])));
            (amounts[j],) = abi.decode(logs[i].data, (uint256, bytes32));
            j++;
        }
    }

    function _isSlashed(Vm.Log memory l, uint32 spnId) internal pure returns (bool) {
        return l.emitter == Sys.RESTAKING && l.topics.length == 3
            && l.topics[0] == Restaking.Slashed.selector && l.topics[1] == bytes32(uint256(spnId));
    }

    /// slashSpn slashes every listed operator exactly once (last listed first), for its
    /// active plus pending stake, and empties the list.
    function _slashSpnAndCheck(uint32 spnId) internal {
        address[] memory before = restaking.operatorsOf(spnId);
        uint256 n = before.length;
        uint256[] memory owed = new uint256[](n);
        uint256 sum = 0;
        for (uint256 i = 0; i < n; i++) {
            owed[i] = restaking.stakeOf(spnId, before[i]) + restaking.unstakingOf(spnId, before[i]);
            sum += owed[i];
        }
        uint256 supply = lst.totalSupply();
        uint256 held = lst.balanceOf(Sys.RESTAKING);
        vm.recordLogs();
        vm.prank(Sys.BRIDGE);
        uint256 slashed = restaking.slashSpn(spnId, bytes32(uint256(42)));
        (address[] memory who, uint256[] memory amounts) = _slashEvents(vm.getRecordedLogs(), spnId);
        assertEq(slashed, sum, "slashed everything");
        assertEq(who.length, n, "one event per operator");
        for (uint256 i = 0; i < n; i++) {
            // Backwards over the list: the last listed is slashed first.
            assertEq(who[i], before[n - 1 - i], "slash order");
            assertEq(amounts[i], owed[n - 1 - i], "slashed amount");
            assertTrue(!restaking.isOperatorOf(spnId, before[i]), "left the list");
            assertEq(restaking.stakeOf(spnId, before[i]), 0, "no active stake");
            assertEq(restaking.unstakingOf(spnId, before[i]), 0, "nothing pending");
        }
        assertEq(restaking.operatorsOf(spnId).length, 0, "list emptied");
        assertEq(restaking.totalStake(spnId), 0, "total zero");
        assertEq(lst.totalSupply(), supply - sum, "burned");
        assertEq(lst.balanceOf(Sys.RESTAKING), held - sum, "lst gone");
        // A second slash finds nothing.
        vm.recordLogs();
        vm.prank(Sys.BRIDGE);
        assertEq(restaking.slashSpn(spnId, bytes32(uint256(43))), 0, "nothing left");
        (who,) = _slashEvents(vm.getRecordedLogs(), spnId);
        assertEq(who.length, 0, "no events");
    }

    function test_SlashSpnSlashesEachOperatorOnce() public {
        // 20 operators with distinct stakes; some partly unbonding, some fully unbonding,
        // some that left (not slashed), and an order shuffled by swap-and-pop.
        uint256 n = 20;
        for (uint256 i = 0; i < n; i++) {
            _restake(_operatorAddr(SPN, i), SPN, 1 ether + i * 0.1 ether);
        }
        for (uint256 i = 3; i < n; i += 3) {
            vm.prank(_operatorAddr(SPN, i));
            restaking.unstake(SPN, i * 0.1 ether); // down to exactly the minimum (or none)
        }
        _unstakeAll(_operatorAddr(SPN, 4), SPN);
        _unstakeAll(_operatorAddr(SPN, 7), SPN);
        _exit(_operatorAddr(SPN, 5), SPN);
        _exit(_operatorAddr(SPN, 11), SPN);
        assertEq(restaking.operatorsOf(SPN).length, n - 2, "two left");
        // Another SPN's operators are not touched.
        _registerSpn(8);
        _restake(_operatorAddr(SPN, 1), 8, 2 ether);
        _slashSpnAndCheck(SPN);
        assertEq(restaking.stakeOf(8, _operatorAddr(SPN, 1)), 2 ether, "other spn untouched");
        assertTrue(restaking.isOperatorOf(8, _operatorAddr(SPN, 1)), "still in 8");
        // Those who had left keep what they withdrew.
        assertEq(lst.balanceOf(_operatorAddr(SPN, 5)), 1.5 ether, "left before");
    }

    function test_SlashSpnFullOperatorList() public {
        uint256 max = restaking.MAX_OPERATORS_PER_SPN();
        _fillOperators(SPN, max);
        _slashSpnAndCheck(SPN);
        // The emptied list takes new operators again.
        _restake(_operatorAddr(SPN, 0), SPN, 1 ether);
        _assertOperators(SPN, _ops(SPN, _idx(0)));
    }

    function test_SlashSpnSingleAndEmpty() public {
        // Nobody listed: nothing happens.
        _slashSpnAndCheck(SPN);
        _fillOperators(SPN, 1);
        _slashSpnAndCheck(SPN);
    }

    function testFuzz_SlashSpnAfterRandomChurn(uint256 seed) public {
        uint256 pool = 10;
        for (uint256 step = 0; step < 30; step++) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            address who = _operatorAddr(SPN, r % pool);
            uint256 st = restaking.stakeOf(SPN, who);
            uint256 action = (r >> 8) % 4;
            if (action == 0 || (st == 0 && restaking.unstakingOf(SPN, who) == 0)) {
                _restake(who, SPN, 1 ether + (r >> 16) % 1 ether);
            } else if (action == 1 && st > 0) {
                _unstakeAll(who, SPN);
            } else if (action == 2 && st > 1 ether) {
                vm.prank(who);
                restaking.unstake(SPN, st - 1 ether);
            } else if (restaking.unstakingOf(SPN, who) > 0) {
                _withdraw(who, SPN);
            } else {
                _equivocate(who, uint64(1000 + step));
            }
        }
        _slashSpnAndCheck(SPN);
        for (uint256 i = 0; i < pool; i++) {
            assertTrue(!restaking.isOperatorOf(SPN, _operatorAddr(SPN, i)), "nobody left");
        }
    }
}
