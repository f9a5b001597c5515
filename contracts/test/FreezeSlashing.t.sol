// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bridge} from "../src/Bridge.sol";
import {Management} from "../src/Management.sol";
import {Registry} from "../src/Registry.sol";
import {Restaking} from "../src/Restaking.sol";
import {Checkpoint} from "../src/lib/Checkpoint.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Vm} from "./utils/Cheats.sol";
import {EscapeHatchFixture} from "./utils/EscapeHatchFixture.sol";

/// What a freeze takes from the SPN's operators: the SPN's `slashBps` share of each one's
/// active and unbonding stake, burned or sent to its `slashTo`; the rest unbonds. And the
/// validation of those two parameters.
contract FreezeSlashingTest is EscapeHatchFixture {
    uint32 internal constant S = 20;
    address internal constant TREASURY = address(0x7EA5);

    function _params(uint16 bps, address to) internal pure returns (Registry.Params memory p) {
        p = _defaultParams();
        p.slashBps = bps;
        p.slashTo = to;
    }

    /// Register `spnId` with `bps` and `to`, three operators restake 10 LST each, activate.
    function _spnWith(uint32 spnId, uint16 bps, address to) internal {
        vm.prank(SPN_OWNER);
        management.register(spnId, "slashing", Registry.ConsensusKind.Bft, _params(bps, to));
        for (uint256 i = 0; i < 3; i++) {
            _restake(_operatorAddr(spnId, i), spnId, 10 ether);
        }
        management.activate(spnId);
    }

    function _op(uint256 i) internal pure returns (address) {
        return _operatorAddr(S, i);
    }

    /// Freeze `spnId` through an expired forced request; returns the logs of the freeze.
    function _freezeLogged(uint32 spnId) internal returns (Vm.Log[] memory logs) {
        uint256 id = _request(FREEZER, spnId, NATIVE, 1);
        vm.warp(bridge.forcedRequest(id).deadline + 1);
        vm.recordLogs();
        bridge.freeze(id);
        logs = vm.getRecordedLogs();
    }

    function _slashedTotal(Vm.Log[] memory logs) internal pure returns (uint256 total) {
        Vm.Log[] memory f = _logsOf(logs, Sys.BRIDGE, Bridge.SpnFrozen.selector);
        require(f.length == 1, "one SpnFrozen");
        total = abi.decode(f[0].data, (uint256));
    }

    /// `x` * `bps` / 10000, rounded up.
    function _ceilShare(uint256 x, uint256 bps) internal pure returns (uint256) {
        return (x * bps + 9_999) / 10_000;
    }

    // ---- amount and destination ----

    function test_FreezeBurnsTheShareAndUnbondsTheRest() public {
        _spnWith(S, 2500, address(0));
        vm.prank(_op(1));
        restaking.unstake(S, 4 ether); // 6 active + 4 unbonding
        _restake(_op(2), S, 3); // 10 ether + 3 wei
        uint256 supply = lst.totalSupply();
        uint256 held = lst.balanceOf(Sys.RESTAKING);
        uint256[3] memory share = [
            uint256(2.5 ether),
            uint256(1.5 ether + 1 ether),
            _ceilShare(10 ether + 3, 2500) // rounded up: 2.5 ether + 1
        ];
        assertEq(share[2], 2.5 ether + 1, "rounded up");
        uint256[3] memory kept = [uint256(7.5 ether), uint256(7.5 ether), 7.5 ether + 2];
        uint256 total = share[0] + share[1] + share[2];

        Vm.Log[] memory logs = _freezeLogged(S);
        assertEq(_slashedTotal(logs), total, "SpnFrozen amount");
        assertEq(lst.totalSupply(), supply - total, "the share burned");
        assertEq(lst.balanceOf(Sys.RESTAKING), held - total, "the rest held");
        assertEq(restaking.totalStake(S), 0, "no active stake");
        assertEq(restaking.operatorsOf(S).length, 0, "operators left the list");
        uint64 release = uint64(block.timestamp + RESTAKING_UNBONDING_DELAY);
        Vm.Log[] memory slashed = _logsOf(logs, Sys.RESTAKING, Restaking.Slashed.selector);
        assertEq(slashed.length, 3, "one Slashed per operator");
        for (uint256 i = 0; i < 3; i++) {
            address o = _op(i);
            assertTrue(!restaking.isOperatorOf(S, o), "not an operator");
            assertEq(restaking.stakeOf(S, o), 0, "active gone");
            assertEq(restaking.unstakingOf(S, o), kept[i], "the rest unbonds");
            assertEq(restaking.releaseAt(S, o), release, "after the unbonding delay");
            // Backwards over the list: operator 2 first.
            Vm.Log memory l = slashed[2 - i];
            assertEq(l.topics[2], bytes32(uint256(uint160(o))), "slashed operator");
            (uint256 amount, bytes32 reason) = abi.decode(l.data, (uint256, bytes32));
            assertEq(amount, share[i], "slashed share");
            assertEq(reason, bytes32(bridge.forcedCount()), "reason: the request");
        }
        Vm.Log[] memory spn = _logsOf(logs, Sys.RESTAKING, Restaking.SpnSlashed.selector);
        assertEq(spn.length, 1, "one SpnSlashed");
        (, uint256 sum, uint16 bps, address to) =
            abi.decode(spn[0].data, (bytes32, uint256, uint16, address));
        assertEq(sum, total, "sum");
        assertEq(bps, 2500, "bps");
        assertEq(to, address(0), "burned");

        // The rest comes out after the delay, not before; never twice.
        vm.warp(release - 1);
        vm.prank(_op(0));
        vm.expectRevert(abi.encodeWithSelector(Restaking.StillUnbonding.selector, release));
        restaking.withdraw(S);
        vm.warp(release);
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(_op(i));
            assertEq(restaking.withdraw(S), kept[i], "withdrawn");
            assertEq(lst.balanceOf(_op(i)), kept[i], "operator holds the rest");
            vm.prank(_op(i));
            vm.expectRevert(Restaking.NothingToWithdraw.selector);
            restaking.withdraw(S);
        }
        assertEq(lst.balanceOf(Sys.RESTAKING), held - total - 22.5 ether - 2, "nothing left behind");
        // A frozen SPN takes no stake.
        _mintLst(_op(0), 1 ether);
        vm.startPrank(_op(0));
        lst.approve(Sys.RESTAKING, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Restaking.SpnNotOpen.selector, S));
        restaking.restake(S, 1 ether);
        vm.stopPrank();
    }

    function test_FreezeSendsTheShareToSlashTo() public {
        _spnWith(S, 5000, TREASURY);
        uint256 supply = lst.totalSupply();
        uint256 held = lst.balanceOf(Sys.RESTAKING);
        Vm.Log[] memory logs = _freezeLogged(S);
        assertEq(_slashedTotal(logs), 15 ether, "half of 30");
        assertEq(lst.balanceOf(TREASURY), 15 ether, "sent to slashTo");
        assertEq(lst.totalSupply(), supply, "nothing burned");
        assertEq(lst.balanceOf(Sys.RESTAKING), held - 15 ether, "the rest held");
        Vm.Log[] memory spn = _logsOf(logs, Sys.RESTAKING, Restaking.SpnSlashed.selector);
        (,,, address to) = abi.decode(spn[0].data, (bytes32, uint256, uint16, address));
        assertEq(to, TREASURY, "destination in the event");
        for (uint256 i = 0; i < 3; i++) {
            assertEq(restaking.unstakingOf(S, _op(i)), 5 ether, "half unbonds");
        }
    }

    function test_FullSlashToAnAddressLeavesNothing() public {
        _spnWith(S, 10_000, TREASURY);
        vm.prank(_op(0));
        restaking.unstake(S, 10 ether); // fully unbonding: still slashed
        uint256 held = lst.balanceOf(Sys.RESTAKING);
        Vm.Log[] memory logs = _freezeLogged(S);
        assertEq(_slashedTotal(logs), 30 ether, "everything");
        assertEq(lst.balanceOf(TREASURY), 30 ether, "all sent");
        assertEq(lst.balanceOf(Sys.RESTAKING), held - 30 ether, "nothing held");
        assertEq(_logsOf(logs, Sys.RESTAKING, Restaking.Unstaked.selector).length, 0, "no rest");
        vm.warp(block.timestamp + RESTAKING_UNBONDING_DELAY);
        vm.prank(_op(0));
        vm.expectRevert(Restaking.NothingToWithdraw.selector);
        restaking.withdraw(S);
    }

    /// The defaults (10000, burn) of the fixture's SPNs: everything burned, as before.
    function test_DefaultParamsBurnEverything() public {
        assertEq(registry.params(SPN).slashBps, 10_000, "default bps");
        assertEq(registry.params(SPN).slashTo, address(0), "default burn");
        uint256 supply = lst.totalSupply();
        _freezeLogged(SPN);
        assertEq(lst.totalSupply(), supply - 30 ether, "all burned");
        assertEq(restaking.totalStake(OTHER_SPN), 30 ether, "other spn untouched");
    }

    /// What an operator keeps after a freeze is still slashable by equivocation evidence
    /// until withdrawn; that slash burns it all and touches no operator list.
    function test_KeptStakeStillSlashableByEquivocation() public {
        _spnWith(S, 1000, TREASURY);
        _restake(_op(0), OTHER_SPN, 2 ether); // also an operator elsewhere
        _freezeLogged(S);
        address o = _op(0);
        assertEq(restaking.unstakingOf(S, o), 9 ether, "kept 90%");
        Checkpoint memory a = Checkpoint(S, 1, 77, keccak256("block"), keccak256("a"));
        Checkpoint memory b = Checkpoint(S, 1, 77, keccak256("block"), keccak256("b"));
        bytes32 k = _keyOf(o);
        uint256 supply = lst.totalSupply();
        uint256 slashed =
            restaking.slashEquivocation(a, _sign(k, _digest(a)), b, _sign(k, _digest(b)), k);
        assertEq(slashed, 9 ether, "the kept stake");
        assertEq(lst.totalSupply(), supply - 9 ether, "burned");
        assertEq(restaking.unstakingOf(S, o), 0, "nothing left");
        assertEq(restaking.operatorsOf(S).length, 0, "list still empty");
        assertTrue(restaking.isOperatorOf(OTHER_SPN, o), "other spn seat kept");
        assertEq(restaking.operatorsOf(OTHER_SPN).length, 4, "other list intact");
        vm.warp(block.timestamp + RESTAKING_UNBONDING_DELAY);
        vm.prank(o);
        vm.expectRevert(Restaking.NothingToWithdraw.selector);
        restaking.withdraw(S);
    }

    /// Parameters proposed by the owner apply at the next rotation; the freeze uses the ones
    /// in force.
    function test_FreezeUsesTheParametersInForce() public {
        _spnWith(S, 2500, address(0));
        vm.prank(SPN_OWNER);
        management.proposeParams(S, _params(10_000, TREASURY));
        vm.warp(block.timestamp + PARAM_DELAY);
        management.rotateEpoch(S);
        assertEq(registry.params(S).slashBps, 10_000, "applied");
        _freezeLogged(S);
        assertEq(lst.balanceOf(TREASURY), 30 ether, "new destination and share");
    }

    // ---- validation ----

    function _expectBadParams(uint32 spnId, Registry.Params memory p, string memory reason)
        internal
    {
        vm.prank(SPN_OWNER);
        vm.expectRevert(abi.encodeWithSelector(Management.InvalidParams.selector, reason));
        management.register(spnId, "bad", Registry.ConsensusKind.Bft, p);
        vm.prank(SPN_OWNER);
        vm.expectRevert(abi.encodeWithSelector(Management.InvalidParams.selector, reason));
        management.proposeParams(SPN, p);
    }

    function test_SlashParamsValidated() public {
        string memory bpsReason = "slashBps must be within 1..10000";
        _expectBadParams(30, _params(0, address(0)), bpsReason);
        _expectBadParams(30, _params(10_001, address(0)), bpsReason);
        _expectBadParams(30, _params(type(uint16).max, TREASURY), bpsReason);
        string memory toReason = "slashTo may not be a system contract";
        address[10] memory sys = _systemContracts();
        for (uint256 i = 0; i < sys.length; i++) {
            _expectBadParams(30, _params(10_000, sys[i]), toReason);
        }
        assertEq(uint256(registry.status(30)), uint256(Registry.Status.None), "not registered");
        // The edges are accepted.
        vm.startPrank(SPN_OWNER);
        management.register(31, "one bps", Registry.ConsensusKind.Bft, _params(1, TREASURY));
        management.register(32, "all", Registry.ConsensusKind.Bft, _params(10_000, address(0)));
        management.proposeParams(SPN, _params(1, address(0)));
        vm.stopPrank();
        assertEq(registry.params(31).slashBps, 1, "1 bps");
        assertEq(registry.params(31).slashTo, TREASURY, "slashTo recorded");
        assertEq(registry.params(32).slashBps, 10_000, "10000 bps");
        assertEq(management.pendingParams(SPN).params.slashBps, 1, "proposed");
    }

    // ---- fuzz ----

    /// For any stake, unbonding part and share: the freeze takes exactly the rounded-up
    /// share of each part, the operator keeps the rest (unbonding), and no LST is created or
    /// lost.
    function testFuzz_FreezeSlashShare(uint96 stake, uint96 unbond, uint16 bps, bool toTreasury)
        public
    {
        uint256 a = bound(stake, MIN_SPN_STAKE, 1_000_000 ether);
        uint256 b = bound(bps, 1, 10_000);
        address to = toTreasury ? TREASURY : address(0);
        vm.prank(SPN_OWNER);
        management.register(S, "fuzz", Registry.ConsensusKind.Bft, _params(uint16(b), to));
        address o = _op(0);
        _restake(o, S, a);
        management.activate(S);
        // Unbond nothing, everything, or part of it leaving at least the operator minimum.
        uint256 u = bound(unbond, 0, a - 1 ether);
        if (unbond % 5 == 0) u = a;
        if (u != 0) {
            vm.prank(o);
            restaking.unstake(S, u);
        }
        uint256 supply = lst.totalSupply();
        uint256 held = lst.balanceOf(Sys.RESTAKING);
        uint256 expected = _ceilShare(a - u, b) + _ceilShare(u, b);
        Vm.Log[] memory logs = _freezeLogged(S);
        assertEq(_slashedTotal(logs), expected, "slashed");
        assertEq(restaking.unstakingOf(S, o), a - expected, "kept");
        assertEq(lst.balanceOf(Sys.RESTAKING), held - expected, "held");
        assertEq(lst.balanceOf(TREASURY), toTreasury ? expected : 0, "sent");
        assertEq(lst.totalSupply(), toTreasury ? supply : supply - expected, "burned");
        assertTrue(expected * 10_000 >= a * b, "at least the share");
        assertEq(restaking.totalStake(S), 0, "no active stake");
        assertEq(restaking.operatorsOf(S).length, 0, "left");
    }
}
