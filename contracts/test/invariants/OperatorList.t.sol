// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {HandlerTargets} from "../utils/InvariantHelpers.sol";
import {SystemFixture} from "../utils/SystemFixture.sol";
import {OperatorListHandler} from "./OperatorListHandler.sol";

/// The operator list of an SPN stays exactly its stake holders under random restakes,
/// unstakes, withdrawals and slashes (OperatorListHandler).
contract OperatorListInvariantsTest is SystemFixture, HandlerTargets {
    OperatorListHandler internal handler;
    uint32 internal constant SPN = 9;

    function setUp() public override {
        super.setUp();
        _registerSpn(SPN);
        handler = new OperatorListHandler();
        vm.label(address(handler), "OperatorListHandler");
    }

    function _handler() internal view override returns (address) {
        return address(handler);
    }

    function _handlerSelectors() internal pure override returns (bytes4[] memory sel) {
        sel = new bytes4[](6);
        sel[0] = OperatorListHandler.restake.selector;
        sel[1] = OperatorListHandler.unstake.selector;
        sel[2] = OperatorListHandler.withdraw.selector;
        sel[3] = OperatorListHandler.warp.selector;
        sel[4] = OperatorListHandler.slashEquivocation.selector;
        sel[5] = OperatorListHandler.slashSpn.selector;
    }

    /// operatorsOf lists exactly the pool operators with active or unbonding stake, each
    /// once; isOperatorOf agrees; active stakes sum to totalStake and the LST held covers
    /// active plus unbonding stake.
    function invariant_OperatorListMatchesStake() public view {
        address[] memory ops = restaking.operatorsOf(SPN);
        uint256 holders = 0;
        uint256 active = 0;
        uint256 pending = 0;
        for (uint256 i = 0; i < handler.POOL(); i++) {
            address o = handler.operator(i);
            uint256 st = restaking.stakeOf(SPN, o);
            uint256 un = restaking.unstakingOf(SPN, o);
            active += st;
            pending += un;
            bool holds = st > 0 || un > 0;
            if (holds) holders++;
            assertTrue(st == 0 || st >= restaking.MIN_OPERATOR_STAKE(), "active stake is dust");
            assertTrue(restaking.isOperatorOf(SPN, o) == holds, "isOperatorOf iff stake");
            assertEq(_occurrences(ops, o), holds ? 1 : 0, "listed once iff stake");
        }
        assertEq(ops.length, holders, "only stake holders listed");
        assertEq(restaking.totalStake(SPN), active, "total stake");
        assertEq(lst.balanceOf(Sys.RESTAKING), active + pending, "lst held");
        assertEq(
            lst.balanceOf(Sys.RESTAKING),
            handler.ghostIn() - handler.ghostOut() - handler.ghostBurned(),
            "lst held == restaked - withdrawn - slashed"
        );
        // Every seat taken was given up again or is still held.
        assertEq(handler.joins(), handler.leaves() + ops.length, "joins == leaves + seats");
    }

    /// Every action's outcome matched the model (minimum stake, seats, unbonding).
    function invariant_OperatorOutcomesMatchModel() public view {
        _assertOutcomesMatchModel(handler);
    }
}
