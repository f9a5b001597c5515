// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title MerklePatricia
/// @notice Verifies Ethereum Merkle Patricia proofs through the Pharos mainnet precompile
///         at 0x…0a03 (docs/precompiles.md).
/// @dev `key` is the hashed trie key (keccak256(address) or keccak256(slot)); `value` is the
///      RLP leaf value, empty to prove absence. Fails closed: anything but a 32-byte word equal
///      to 1 (including no precompile at the address) is "not proven". Key replay protection
///      by (root, key), never by proof bytes.
library MerklePatricia {
    address internal constant VERIFY = address(0x0a03);

    /// @notice True iff `proof` shows that `key` holds `value` in the trie with root `root`.
    function verify(bytes32 root, bytes32 key, bytes memory value, bytes[] memory proof)
        internal
        view
        returns (bool)
    {
        if (root == bytes32(0) || proof.length == 0) return false;
        (bool ok, bytes memory out) = VERIFY.staticcall(abi.encode(root, key, value, proof));
        return ok && out.length == 32 && abi.decode(out, (uint256)) == 1;
    }
}
