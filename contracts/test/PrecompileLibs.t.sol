// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ed25519} from "../src/lib/Ed25519.sol";
import {MerklePatricia} from "../src/lib/MerklePatricia.sol";

interface Vm {
    function etch(address target, bytes calldata code) external;
}

/// Answers every call with the 32-byte word 1 (a stand-in precompile).
contract AlwaysTrue {
    fallback(bytes calldata) external returns (bytes memory) {
        return abi.encode(uint256(1));
    }
}

/// Answers every call with empty data (what a call to a codeless address returns).
contract Silent {
    fallback(bytes calldata) external returns (bytes memory) {
        return "";
    }
}

/// The wrappers fail closed: no precompile, a silent one, or malformed arguments never verify.
contract PrecompileLibsTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function sig() internal pure returns (bytes memory) {
        return new bytes(64);
    }

    function test_NoPrecompileMeansNotVerified() public view {
        // forge's EVM has no Pharos precompiles: calls hit empty addresses and succeed silently.
        require(!Ed25519.verify(bytes32(uint256(1)), sig(), "m"), "ed25519 without precompile");
        bytes[] memory proof = new bytes[](1);
        require(
            !MerklePatricia.verify(bytes32(uint256(1)), bytes32(0), "", proof),
            "mpt without precompile"
        );
    }

    function test_SilentPrecompileMeansNotVerified() public {
        vm.etch(Ed25519.VERIFY, address(new Silent()).code);
        require(!Ed25519.verify(bytes32(uint256(1)), sig(), "m"), "silent precompile");
    }

    function test_TrueAnswerIsPassedThrough() public {
        vm.etch(Ed25519.VERIFY, address(new AlwaysTrue()).code);
        vm.etch(Ed25519.VERIFY_BATCH, address(new AlwaysTrue()).code);
        vm.etch(MerklePatricia.VERIFY, address(new AlwaysTrue()).code);
        require(Ed25519.verify(bytes32(uint256(1)), sig(), "m"), "single");
        bytes32[] memory keys = new bytes32[](1);
        bytes[] memory sigs = new bytes[](1);
        bytes32[] memory msgs = new bytes32[](1);
        sigs[0] = sig();
        require(Ed25519.verifyBatch(keys, sigs, msgs), "batch");
        bytes[] memory proof = new bytes[](1);
        require(MerklePatricia.verify(bytes32(uint256(1)), bytes32(0), "", proof), "mpt");
    }

    function test_MalformedArgumentsNeverReachThePrecompile() public {
        vm.etch(Ed25519.VERIFY, address(new AlwaysTrue()).code);
        vm.etch(Ed25519.VERIFY_BATCH, address(new AlwaysTrue()).code);
        vm.etch(MerklePatricia.VERIFY, address(new AlwaysTrue()).code);
        require(!Ed25519.verify(bytes32(uint256(1)), new bytes(63), "m"), "short signature");
        bytes32[] memory none = new bytes32[](0);
        require(!Ed25519.verifyBatch(none, new bytes[](0), none), "empty batch");
        bytes32[] memory two = new bytes32[](2);
        require(!Ed25519.verifyBatch(two, new bytes[](1), two), "length mismatch");
        bytes[] memory proof = new bytes[](1);
        require(!MerklePatricia.verify(bytes32(0), bytes32(0), "", proof), "zero root");
        require(
            !MerklePatricia.verify(bytes32(uint256(1)), bytes32(0), "", new bytes[](0)), "no proof"
        );
    }
}
