// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Version
/// @notice Placeholder contract that proves the toolchain builds; it records the
///         version of the Pharos SPN contract suite.
contract Version {
    /// @notice Semantic version of the contract suite.
    string public constant VERSION = "0.1.0";

    /// @notice Version as a packed integer: major * 1e6 + minor * 1e3 + patch.
    function versionNumber() external pure returns (uint256) {
        return 0 * 1_000_000 + 1 * 1_000 + 0;
    }
}
