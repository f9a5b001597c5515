// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Message
/// @notice Hyperlane's packed message format (version 3), so Hyperlane apps port unchanged:
///         version (1) | nonce (4) | origin (4) | sender (32) | destination (4) |
///         recipient (32) | body. The id is keccak256 of the whole message.
library Message {
    uint8 internal constant VERSION = 3;
    uint256 internal constant HEADER_LENGTH = 77;
    /// @notice Largest body a message may carry.
    uint256 internal constant MAX_BODY = 8192;

    error MalformedMessage();

    function format(
        uint32 nonce_,
        uint32 origin_,
        bytes32 sender_,
        uint32 destination_,
        bytes32 recipient_,
        bytes memory body_
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(VERSION, nonce_, origin_, sender_, destination_, recipient_, body_);
    }

    /// @notice Reverts unless `m` is a well-formed version-3 message with a bounded body.
    function check(bytes calldata m) internal pure {
        if (
            m.length < HEADER_LENGTH || m.length > HEADER_LENGTH + MAX_BODY
                || uint8(m[0]) != VERSION
        ) revert MalformedMessage();
    }

    function id(bytes calldata m) internal pure returns (bytes32) {
        return keccak256(m);
    }

    function nonce(bytes calldata m) internal pure returns (uint32) {
        return uint32(bytes4(m[1:5]));
    }

    function origin(bytes calldata m) internal pure returns (uint32) {
        return uint32(bytes4(m[5:9]));
    }

    function sender(bytes calldata m) internal pure returns (bytes32) {
        return bytes32(m[9:41]);
    }

    function destination(bytes calldata m) internal pure returns (uint32) {
        return uint32(bytes4(m[41:45]));
    }

    function recipient(bytes calldata m) internal pure returns (bytes32) {
        return bytes32(m[45:77]);
    }

    function body(bytes calldata m) internal pure returns (bytes calldata) {
        return m[77:];
    }

    function toBytes32(address a) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(a)));
    }

    /// @notice The address in `b`; reverts if `b` is not a left-padded 20-byte address.
    function toAddress(bytes32 b) internal pure returns (address) {
        if (uint256(b) >> 160 != 0) revert MalformedMessage();
        return address(uint160(uint256(b)));
    }
}
