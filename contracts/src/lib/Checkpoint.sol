// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice What an SPN's validators sign: the SPN's block at `height` in `epoch`.
struct Checkpoint {
    uint32 spnId;
    uint64 epoch;
    uint64 height;
    bytes32 blockHash;
    bytes32 stateRoot;
}

/// @title CheckpointDigest
/// @notice The domain-separated digest validators sign with ed25519: bound to the mainnet
///         chain id and the Adaptor's address, so a signature is valid for one purpose only.
library CheckpointDigest {
    bytes32 internal constant TYPEHASH = keccak256(
        "PharosSPN.Checkpoint(uint256 chainId,address adaptor,uint32 spnId,uint64 epoch,"
        "uint64 height,bytes32 blockHash,bytes32 stateRoot)"
    );

    function digest(Checkpoint memory c, uint256 chainId, address adaptor)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                TYPEHASH, chainId, adaptor, c.spnId, c.epoch, c.height, c.blockHash, c.stateRoot
            )
        );
    }
}
