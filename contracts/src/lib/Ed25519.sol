// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Ed25519
/// @notice Verifies ed25519 signatures through the Pharos mainnet precompiles
///         (docs/precompiles.md): 0x…0a01 single, 0x…0a02 batch.
/// @dev A call to an address without code succeeds with empty return data, so a chain
///      without the precompile would look like "no answer": every function treats anything
///      but a 32-byte word equal to 1 as invalid. Fails closed.
library Ed25519 {
    address internal constant VERIFY = address(0x0a01);
    address internal constant VERIFY_BATCH = address(0x0a02);

    /// @notice True iff `signature` is a valid (strict) ed25519 signature of `message` by `pubkey`.
    function verify(bytes32 pubkey, bytes memory signature, bytes memory message)
        internal
        view
        returns (bool)
    {
        if (signature.length != 64) return false;
        return _isTrue(VERIFY, abi.encodePacked(pubkey, signature, message));
    }

    /// @notice True iff every `signatures[i]` is a valid signature of `messages[i]` by
    ///         `pubkeys[i]`, and there is at least one. Does not deduplicate signers.
    function verifyBatch(
        bytes32[] memory pubkeys,
        bytes[] memory signatures,
        bytes32[] memory messages
    ) internal view returns (bool) {
        uint256 n = pubkeys.length;
        if (n == 0 || signatures.length != n || messages.length != n) return false;
        bytes memory input = new bytes(n * 128);
        for (uint256 i = 0; i < n; i++) {
            bytes memory sig = signatures[i];
            if (sig.length != 64) return false;
            bytes32 key = pubkeys[i];
            bytes32 message = messages[i];
            assembly {
                let at := add(add(input, 0x20), mul(i, 128))
                mstore(at, key)
                mstore(add(at, 0x20), mload(add(sig, 0x20)))
                mstore(add(at, 0x40), mload(add(sig, 0x40)))
                mstore(add(at, 0x60), message)
            }
        }
        return _isTrue(VERIFY_BATCH, input);
    }

    function _isTrue(address precompile, bytes memory input) private view returns (bool) {
        (bool ok, bytes memory out) = precompile.staticcall(input);
        return ok && out.length == 32 && abi.decode(out, (uint256)) == 1;
    }
}
