// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Registry} from "../src/Registry.sol";
import {Restaking} from "../src/Restaking.sol";
import {Checkpoint} from "../src/lib/Checkpoint.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
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
        for (uint256 i = 0; i < max; i++) {
            _restake(_operatorAddr(SPN, i), SPN, 1);
        }
        address extra = _operatorAddr(SPN, max);
        _registerOperator(extra);
        _mintLst(extra, 1);
        vm.startPrank(extra);
        lst.approve(Sys.RESTAKING, 1);
        vm.expectRevert(Restaking.TooManyOperators.selector);
        restaking.restake(SPN, 1);
        vm.stopPrank();
        // An existing operator may still add stake.
        _restake(_operatorAddr(SPN, 0), SPN, 1);
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
        uint256 sa = bound(a, 1, type(uint96).max);
        uint256 sb = bound(b, 1, type(uint96).max);
        address op2 = _operatorAddr(SPN, 1);
        _restake(op, SPN, sa);
        _restake(op2, SPN, sb);
        uint256 un = bound(u, 1, sa);
        vm.prank(op);
        restaking.unstake(SPN, un);
        assertEq(restaking.totalStake(SPN), sa + sb - un, "total");
        assertEq(lst.balanceOf(Sys.RESTAKING), sa + sb, "all held until withdrawn");
        vm.warp(block.timestamp + RESTAKING_UNBONDING_DELAY);
        vm.prank(op);
        restaking.withdraw(SPN);
        assertEq(lst.balanceOf(Sys.RESTAKING), sa + sb - un, "held");
        assertEq(lst.balanceOf(op), un, "returned");
    }
}
