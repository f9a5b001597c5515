// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerklePatricia} from "./MerklePatricia.sol";
import {Rlp} from "./Rlp.sol";

/// @notice A storage slot's proof against a state root, as `eth_getProof` returns it: the
///         account's RLP leaf and its account proof, then the slot's storage proof.
struct SlotProof {
    bytes accountRlp;
    bytes[] accountProof;
    bytes[] storageProof;
}

/// @title StateProof
/// @notice Verify that `account`'s storage slot `slot` holds `value` in the state whose root
///         is `stateRoot`, through the Merkle Patricia precompile. Fails closed.
library StateProof {
    error ZeroStateRoot();
    error InvalidAccountProof();
    error InvalidStorageProof();

    function verifySlot(
        bytes32 stateRoot,
        address account,
        bytes32 slot,
        uint256 value,
        SlotProof calldata proof
    ) internal view {
        bytes32 storageRoot =
            verifyAccount(stateRoot, account, proof.accountRlp, proof.accountProof);
        verifyStorage(storageRoot, slot, value, proof.storageProof);
    }

    /// @notice Verify `account`'s RLP leaf against `stateRoot`; returns its storage root.
    function verifyAccount(
        bytes32 stateRoot,
        address account,
        bytes calldata accountRlp,
        bytes[] calldata accountProof
    ) internal view returns (bytes32 storageRoot) {
        if (stateRoot == bytes32(0)) revert ZeroStateRoot();
        if (!MerklePatricia.verify(
                stateRoot, keccak256(abi.encodePacked(account)), accountRlp, accountProof
            )) revert InvalidAccountProof();
        storageRoot = Rlp.accountStorageRoot(accountRlp);
    }

    /// @notice Verify that slot `slot` holds `value` under the account storage root
    ///         `storageRoot` (as `verifyAccount` returns it). A zero slot is not in the trie:
    ///         `value` 0 takes a proof of absence.
    function verifyStorage(
        bytes32 storageRoot,
        bytes32 slot,
        uint256 value,
        bytes[] calldata storageProof
    ) internal view {
        if (!MerklePatricia.verify(
                storageRoot, keccak256(abi.encode(slot)), storageLeaf(value), storageProof
            )) revert InvalidStorageProof();
    }

    /// @notice The leaf value the storage trie holds for `value`: its RLP, or nothing for 0
    ///         (zero slots are deleted).
    function storageLeaf(uint256 value) internal pure returns (bytes memory) {
        return value == 0 ? bytes("") : Rlp.encodeUint(value);
    }
}
