// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Mailbox} from "./Mailbox.sol";
import {Registry} from "./Registry.sol";
import {Checkpoint, CheckpointDigest} from "./lib/Checkpoint.sol";
import {Ed25519} from "./lib/Ed25519.sol";
import {Message} from "./lib/Message.sol";
import {SpnLayout} from "./lib/SpnLayout.sol";
import {SlotProof, StateProof} from "./lib/StateProof.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @notice Messages of one SPN proven against one state root: the SPN Mailbox's account
///         leaf and its proof, then each message with its outbox slot's storage proof.
struct MessageBatch {
    bytes accountRlp;
    bytes[] accountProof;
    bytes[] messages;
    bytes[][] storageProofs;
}

/// @title Adaptor
/// @notice The mainnet's door for SPN state. `submitCheckpoint` finalizes an SPN block once
///         distinct signers of the SPN's current epoch holding more than two thirds of its
///         stake (and at least its quorum) signed the domain-separated digest. `relayMessage`
///         proves a message id is in the SPN Mailbox's outbox, by Merkle Patricia proofs
///         against a finalized state root, and hands the message to the Mailbox;
///         `relayMessages` does the same for a batch, proving the SPN Mailbox's account once.
contract Adaptor is Initializable {
    error SpnNotCheckpointing(uint32 spnId, Registry.Status status);
    error WrongEpoch(uint64 epoch, uint64 current);
    error EpochExpired(uint64 epoch, uint256 expiredAt);
    error ZeroRoot();
    error StaleHeight(uint64 height, uint64 finalized);
    error LengthMismatch();
    error NoSigners();
    error ZeroStake();
    error InvalidSignature();
    error NoQuorum(uint256 signed, uint256 total);
    error UnknownCheckpoint(uint32 spnId, uint64 height);
    error WrongOrigin(uint32 origin, uint32 spnId);
    error AlreadyRelayed(bytes32 messageId);
    error EmptyBatch();

    event CheckpointAccepted(uint32 indexed spnId, uint64 indexed height, uint256 signedStake);
    event MessageRelayed(uint32 indexed spnId, bytes32 indexed messageId, uint64 height);

    constructor() {
        _disableInitializers();
    }

    function initialize() external initializer {}

    /// @notice The digest validators sign for `c` on this chain.
    function checkpointDigest(Checkpoint calldata c) external view returns (bytes32) {
        return CheckpointDigest.digest(c, block.chainid, address(this));
    }

    /// @notice Finalize checkpoint `c`. `signerIndices[i]` is the position in the epoch's
    ///         validator set of the key that made `signatures[i]`; a repeated index is counted
    ///         once. Every given signature must be valid.
    function submitCheckpoint(
        Checkpoint calldata c,
        uint256[] calldata signerIndices,
        bytes[] calldata signatures
    ) external {
        if (signerIndices.length != signatures.length) {
            revert LengthMismatch();
        }
        if (signerIndices.length == 0) revert NoSigners();
        uint16 quorumBps = _checkCheckpoint(c);
        uint256 signed = _verifySigners(c, signerIndices, signatures, quorumBps);
        Registry(Sys.REGISTRY)
            .recordCheckpoint(c.spnId, c.epoch, c.height, c.blockHash, c.stateRoot);
        emit CheckpointAccepted(c.spnId, c.height, signed);
    }

    /// @dev Everything about `c` but its signatures; returns the SPN's quorum.
    function _checkCheckpoint(Checkpoint calldata c) internal view returns (uint16) {
        Registry reg = Registry(Sys.REGISTRY);
        Registry.Spn memory s = reg.spn(c.spnId);
        if (s.status != Registry.Status.Active && s.status != Registry.Status.Retired) {
            revert SpnNotCheckpointing(c.spnId, s.status);
        }
        if (c.epoch != s.currentEpoch) revert WrongEpoch(c.epoch, s.currentEpoch);
        // An epoch's set signs for at most two epoch lengths: stake that left after the
        // snapshot stays slashable (unbonding > 2 epochs) for as long as its signatures count.
        uint256 expiresAt = uint256(s.epochStartedAt) + 2 * uint256(s.params.epochLength);
        if (block.timestamp >= expiresAt) revert EpochExpired(c.epoch, expiresAt);
        if (c.stateRoot == bytes32(0) || c.blockHash == bytes32(0)) revert ZeroRoot();
        uint64 finalized = reg.latestCheckpoint(c.spnId).height;
        if (c.height <= finalized) revert StaleHeight(c.height, finalized);
        return s.params.quorumBps;
    }

    /// @dev Verify the signatures, each distinct signer once, and require the quorum.
    function _verifySigners(
        Checkpoint calldata c,
        uint256[] calldata signerIndices,
        bytes[] calldata signatures,
        uint16 quorumBps
    ) internal view returns (uint256 signed) {
        (bytes32[] memory keys, uint256[] memory stakes, uint256 total) =
            Registry(Sys.REGISTRY).epochSigners(c.spnId, c.epoch, signerIndices);
        if (total == 0) revert ZeroStake();
        bytes[] memory sigs;
        (signed, sigs) = _distinct(signerIndices, keys, stakes, signatures);
        bytes32 digest = CheckpointDigest.digest(c, block.chainid, address(this));
        bytes32[] memory msgs = new bytes32[](keys.length);
        for (uint256 i = 0; i < msgs.length; i++) {
            msgs[i] = digest;
        }
        if (!Ed25519.verifyBatch(keys, sigs, msgs)) revert InvalidSignature();
        if (signed * 3 <= total * 2 || signed * 10_000 < total * quorumBps) {
            revert NoQuorum(signed, total);
        }
    }

    /// @dev Drop repeated signer indices (set size <= 256: one bitmap word). Compacts `keys`
    ///      in place and returns the distinct signers' stake and signatures.
    function _distinct(
        uint256[] calldata signerIndices,
        bytes32[] memory keys,
        uint256[] memory stakes,
        bytes[] calldata signatures
    ) internal pure returns (uint256 signed, bytes[] memory sigs) {
        sigs = new bytes[](signerIndices.length);
        uint256 seen = 0;
        uint256 m = 0;
        for (uint256 i = 0; i < signerIndices.length; i++) {
            uint256 bit = 1 << signerIndices[i];
            if (seen & bit != 0) continue;
            seen |= bit;
            signed += stakes[i];
            keys[m] = keys[i];
            sigs[m] = signatures[i];
            m++;
        }
        assembly {
            mstore(keys, m)
            mstore(sigs, m)
        }
    }

    /// @notice Relay `message` sent by SPN `spnId`: `proof` shows the SPN Mailbox's outbox
    ///         holds the message id in the state root finalized at `height`. The message is
    ///         then the Mailbox's to queue or deliver.
    function relayMessage(
        uint32 spnId,
        uint64 height,
        bytes calldata message,
        SlotProof calldata proof
    ) external returns (bytes32 id) {
        bytes32 root = Registry(Sys.REGISTRY).stateRootAt(spnId, height);
        if (root == bytes32(0)) revert UnknownCheckpoint(spnId, height);
        Message.check(message);
        uint32 origin = Message.origin(message);
        if (origin != spnId) revert WrongOrigin(origin, spnId);
        id = keccak256(message);
        if (Mailbox(Sys.MAILBOX).status(id) != Mailbox.Status.None) revert AlreadyRelayed(id);
        StateProof.verifySlot(root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(id), 1, proof);
        Mailbox(Sys.MAILBOX).deliverVerified(message);
        emit MessageRelayed(spnId, id, height);
    }

    /// @notice Relay a batch of SPN `spnId`'s messages proven against the state root
    ///         finalized at `height`: the SPN Mailbox's account is proven once, then each
    ///         `batch.messages[i]` by its outbox slot's `batch.storageProofs[i]`. A message
    ///         the Mailbox already knows (another relayer was first) is skipped, so relayers
    ///         racing on a batch never revert each other; any other fault reverts the whole
    ///         batch. Returns how many messages were relayed.
    function relayMessages(uint32 spnId, uint64 height, MessageBatch calldata batch)
        external
        returns (uint256 relayed)
    {
        uint256 n = batch.messages.length;
        if (n != batch.storageProofs.length) revert LengthMismatch();
        if (n == 0) revert EmptyBatch();
        bytes32 root = Registry(Sys.REGISTRY).stateRootAt(spnId, height);
        if (root == bytes32(0)) revert UnknownCheckpoint(spnId, height);
        bytes32 storageRoot =
            StateProof.verifyAccount(root, Sys.SPN_MAILBOX, batch.accountRlp, batch.accountProof);
        for (uint256 i = 0; i < n; i++) {
            if (_relayProven(spnId, height, storageRoot, batch.messages[i], batch.storageProofs[i]))
            {
                relayed++;
            }
        }
    }

    /// @dev One message of a batch; false if the Mailbox already knows it.
    function _relayProven(
        uint32 spnId,
        uint64 height,
        bytes32 storageRoot,
        bytes calldata message,
        bytes[] calldata storageProof
    ) internal returns (bool) {
        Message.check(message);
        uint32 origin = Message.origin(message);
        if (origin != spnId) revert WrongOrigin(origin, spnId);
        bytes32 id = keccak256(message);
        Mailbox mailbox = Mailbox(Sys.MAILBOX);
        if (mailbox.status(id) != Mailbox.Status.None) return false;
        StateProof.verifyStorage(storageRoot, SpnLayout.outboxSlot(id), 1, storageProof);
        mailbox.deliverVerified(message);
        emit MessageRelayed(spnId, id, height);
        return true;
    }
}
