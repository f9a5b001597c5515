// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Restaking} from "../../src/Restaking.sol";
import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {SystemFixture} from "./SystemFixture.sol";

/// The system with SPN `SPN` registered (not active) and its operator 0 as `op` (key `key`,
/// not yet registered), plus what the Restaking tests share: restaking by hand, filling and
/// leaving an SPN's operator list, and checking the list's order.
abstract contract RestakingFixture is SystemFixture {
    uint32 internal constant SPN = 7;
    address internal op;
    bytes32 internal key;

    function setUp() public virtual override {
        super.setUp();
        _registerSpn(SPN);
        op = _operatorAddr(SPN, 0);
        key = _keyOf(op);
    }

    // ---- restaking by hand ----

    /// `who` is a registered operator (registered now if need be) holding `amount` freshly
    /// minted LST, all of it approved to Restaking.
    function _fundForRestake(address who, uint256 amount) internal {
        _registerOperator(who);
        _mintLst(who, amount);
        vm.prank(who);
        lst.approve(Sys.RESTAKING, amount);
    }

    /// `who`'s restake of `amount` into `spnId` reverts with `err`.
    function _expectRestakeRevert(address who, uint32 spnId, uint256 amount, bytes memory err)
        internal
    {
        vm.prank(who);
        vm.expectRevert(err);
        restaking.restake(spnId, amount);
    }

    /// `who`'s restake of `amount` into `spnId` is refused: the operator list is full.
    function _expectNoSeat(address who, uint32 spnId, uint256 amount) internal {
        _expectRestakeRevert(
            who, spnId, amount, abi.encodeWithSelector(Restaking.TooManyOperators.selector)
        );
    }

    // ---- filling and leaving the operator list ----

    /// Operators 0..n-1 of `spnId` restake the operator minimum each.
    function _fillOperators(uint32 spnId, uint256 n) internal {
        uint256 minOp = restaking.MIN_OPERATOR_STAKE();
        for (uint256 i = 0; i < n; i++) {
            _restake(_operatorAddr(spnId, i), spnId, minOp);
        }
        assertEq(restaking.operatorsOf(spnId).length, n, "filled");
    }

    /// Operators 0..max-1 fill `spnId`'s list at the minimum each; operator max, funded and
    /// approved for the minimum, is refused a seat. Returns operator max.
    function _fillAndRefuseNewcomer(uint32 spnId) internal returns (address extra) {
        uint256 max = restaking.MAX_OPERATORS_PER_SPN();
        uint256 minOp = restaking.MIN_OPERATOR_STAKE();
        _fillOperators(spnId, max);
        extra = _operatorAddr(spnId, max);
        _fundForRestake(extra, minOp);
        _expectNoSeat(extra, spnId, minOp);
    }

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

    // ---- the operator list ----

    /// operatorsOf(spnId) is exactly `expected`, in order, and isOperatorOf agrees.
    function _assertOperators(uint32 spnId, address[] memory expected) internal view {
        address[] memory ops = restaking.operatorsOf(spnId);
        assertEq(ops.length, expected.length, "operator count");
        for (uint256 i = 0; i < ops.length; i++) {
            assertEq(ops[i], expected[i], "operator at index");
            assertTrue(restaking.isOperatorOf(spnId, ops[i]), "listed => isOperatorOf");
        }
    }

    /// The addresses of `spnId`'s operators at `indices`.
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
}
