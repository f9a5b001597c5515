// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// The slice of forge's cheatcode interface these tests use (forge-std is not available).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function etch(address target, bytes calldata code) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function deal(address account, uint256 balance) external;
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function expectRevert() external;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata data) external;
    function store(address target, bytes32 slot, bytes32 value) external;
    function load(address target, bytes32 slot) external view returns (bytes32);
    function label(address account, string calldata name) external;
    function assume(bool condition) external pure;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
    function chainId(uint256 newChainId) external;
    // Real ed25519 (RFC 8032; `privateKey` is the 32-byte seed). Pass an empty `namespace`:
    // a non-empty one is prepended to the message.
    function publicKeyEd25519(bytes32 privateKey) external pure returns (bytes32 publicKey);
    function signEd25519(bytes calldata namespace, bytes calldata message, bytes32 privateKey)
        external
        pure
        returns (bytes memory signature);
    function verifyEd25519(
        bytes calldata signature,
        bytes calldata namespace,
        bytes calldata message,
        bytes32 publicKey
    ) external pure returns (bool valid);
}

/// A cheatcode handle and a few assertion helpers (plain `require`, readable messages).
abstract contract Cheats {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) {
            revert(string.concat(what, ": ", Strings.toString(a), " != ", Strings.toString(b)));
        }
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) {
            revert(
                string.concat(
                    what,
                    ": ",
                    Strings.toHexString(uint256(a), 32),
                    " != ",
                    Strings.toHexString(uint256(b), 32)
                )
            );
        }
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) {
            revert(
                string.concat(what, ": ", Strings.toHexString(a), " != ", Strings.toHexString(b))
            );
        }
    }

    function assertEq(bytes memory a, bytes memory b, string memory what) internal pure {
        require(keccak256(a) == keccak256(b), what);
    }

    function assertTrue(bool c, string memory what) internal pure {
        require(c, what);
    }

    function assertLe(uint256 a, uint256 b, string memory what) internal pure {
        if (a > b) {
            revert(string.concat(what, ": ", Strings.toString(a), " > ", Strings.toString(b)));
        }
    }

    /// `x` mapped into [lo, hi] (inclusive); the fuzzer's values stay uniform enough.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        require(lo <= hi, "bound: lo > hi");
        if (x >= lo && x <= hi) return x;
        uint256 size = hi - lo;
        if (size == type(uint256).max) return x;
        return lo + (x % (size + 1));
    }
}
