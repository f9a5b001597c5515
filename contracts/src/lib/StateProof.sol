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
        if (stateRoot == bytes32(0)) revert ZeroStateRoot();
        if (!MerklePatricia.verify(
                stateRoot,
                keccak256(abi.encodePacked(account)),
                proof.accountRlp,
                proof.accountProof
            )) revert InvalidAccountProof();
        bytes32 storageRoot = Rlp.accountStorageRoot(proof.accountRlp);
        if (!MerklePatricia.verify(
                storageRoot, keccak256(abi.encode(slot)), Rlp.encodeUint(value), proof.storageProof
            )) revert InvalidStorageProof();
    }
}
