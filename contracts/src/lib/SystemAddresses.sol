// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title SystemAddresses
/// @notice Where the system contracts live. Mainnet contracts are predeployed by the mainnet
///         genesis; the SPN twins by every SPN genesis (docs/system-contracts.md).
library SystemAddresses {
    // Mainnet.
    address internal constant REGISTRY = address(0x1001);
    address internal constant MANAGEMENT = address(0x1002);
    address internal constant STAKING = address(0x1003);
    address internal constant LST = address(0x1004);
    address internal constant RESTAKING = address(0x1005);
    address internal constant ADAPTOR = address(0x1006);
    address internal constant MAILBOX = address(0x1007);
    address internal constant BRIDGE = address(0x1008);

    // Every SPN.
    address internal constant SPN_MAILBOX = address(0x2001);
    address internal constant SPN_BRIDGE = address(0x2002);

    /// revm's system-call caller: the SPN node delivers inbound messages (and records the
    /// mainnet block it derived them from) as system calls from it at the start of a block.
    address internal constant SYSTEM_CALLER = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;

    /// @notice True for every system contract address on either side.
    function isSystem(address a) internal pure returns (bool) {
        uint160 v = uint160(a);
        return (v >= 0x1001 && v <= 0x1008) || v == 0x2001 || v == 0x2002;
    }
}
