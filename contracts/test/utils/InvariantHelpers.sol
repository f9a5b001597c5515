// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// What every invariant handler shares: an outcome that contradicts the handler's model is
/// counted (and the last one described) instead of reverting, so the campaign goes on and an
/// invariant reports it (HandlerTargets._assertOutcomesMatchModel).
abstract contract ModelHandler {
    uint256 public unexpected;
    string public lastUnexpected;

    function _unexpected(string memory what) internal {
        unexpected++;
        lastUnexpected = what;
    }
}

/// Points forge's invariant fuzzer at one handler contract and the functions of it to call.
abstract contract HandlerTargets {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    /// The handler the fuzzer drives.
    function _handler() internal view virtual returns (address);

    /// The handler functions the fuzzer may call.
    function _handlerSelectors() internal pure virtual returns (bytes4[] memory);

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = _handler();
    }

    function targetSelectors() public view returns (FuzzSelector[] memory s) {
        s = new FuzzSelector[](1);
        s[0] = FuzzSelector(_handler(), _handlerSelectors());
    }

    /// Revert with the last unexpected outcome `h` saw, if any.
    function _assertOutcomesMatchModel(ModelHandler h) internal view {
        if (h.unexpected() != 0) revert(h.lastUnexpected());
    }
}
