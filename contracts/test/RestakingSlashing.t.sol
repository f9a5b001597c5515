// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Restaking} from "../src/Restaking.sol";
import {Checkpoint} from "../src/lib/Checkpoint.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Vm} from "./utils/Cheats.sol";
import {RestakingFixture} from "./utils/RestakingFixture.sol";

/// Slashing restaked stake: by equivocation evidence (one operator) and by the Bridge (the
/// whole SPN); a slashed operator leaves the operator list.
contract RestakingSlashingTest is RestakingFixture {
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
        address extra = _fillAndRefuseNewcomer(SPN);
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
        _fundForRestake(victim, 1 ether);
        _expectNoSeat(victim, SPN, 1 ether);
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
