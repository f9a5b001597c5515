// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Registry} from "../src/Registry.sol";
import {Restaking} from "../src/Restaking.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {RestakingFixture} from "./utils/RestakingFixture.sol";

/// Restaking basics: operator registration with proof of possession, restake, unstake and
/// withdrawal after the unbonding delay. The operator list and the minimum stake are in
/// RestakingSeats.t.sol, slashing in RestakingSlashing.t.sol.
contract RestakingTest is RestakingFixture {
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
        _fundForRestake(op, 1 ether);
        // Unknown.
        _expectRestakeRevert(
            op, 99, 1 ether, abi.encodeWithSelector(Restaking.SpnNotOpen.selector, uint32(99))
        );
        // Retired.
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        _expectRestakeRevert(
            op, SPN, 1 ether, abi.encodeWithSelector(Restaking.SpnNotOpen.selector, SPN)
        );
        // Frozen.
        _registerSpn(9);
        vm.prank(Sys.MANAGEMENT);
        registry.setStatus(9, Registry.Status.Frozen);
        _expectRestakeRevert(
            op, 9, 1 ether, abi.encodeWithSelector(Restaking.SpnNotOpen.selector, uint32(9))
        );
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
}
