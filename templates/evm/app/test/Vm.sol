// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The slice of forge's cheatcodes these tests use (forge-std is not needed).
interface Vm {
    function etch(address target, bytes calldata code) external;
    function prank(address sender) external;
    function expectRevert(bytes calldata revertData) external;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
