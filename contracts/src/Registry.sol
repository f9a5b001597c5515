// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @title Registry
/// @notice The record of every SPN: owner, name, consensus kind, parameters, status, the
///         validator set of each epoch (a snapshot of restaked stake) and the finalized
///         checkpoints. Written only by Management (records, epochs) and the Adaptor
///         (checkpoints); read by everyone.
contract Registry is Initializable {
    enum Status {
        None,
        Registered,
        Active,
        Frozen,
        Retired
    }

    enum ConsensusKind {
        Solo,
        Poa,
        Bft
    }

    struct Params {
        uint64 checkpointInterval; // SPN blocks between checkpoints
        uint16 quorumBps; // share of epoch stake a checkpoint needs, in basis points (> 2/3)
        uint64 forceDelay; // seconds an SPN has to process a forced withdrawal
        uint64 epochLength; // seconds between validator-set snapshots
        uint256 minStake; // restaked LST needed to become (and rotate while) active
        uint16 slashBps; // share of each operator's restaked stake slashed on a freeze (1..10000)
        address slashTo; // who receives slashed LST; address(0) burns it
    }

    struct Spn {
        address owner;
        Status status;
        ConsensusKind consensus;
        uint64 registeredAt;
        uint64 currentEpoch;
        uint64 epochStartedAt;
        string name;
        Params params;
    }

    struct EpochSet {
        address[] operators;
        bytes32[] keys;
        uint256[] stakes;
        uint256 totalStake;
    }

    struct FinalizedCheckpoint {
        uint64 epoch;
        uint64 height;
        bytes32 blockHash;
        bytes32 stateRoot;
        uint64 finalizedAt; // mainnet timestamp
        uint64 mainnetBlock;
    }

    /// The largest validator set an epoch may have (signer bitmaps are one word).
    uint256 public constant MAX_EPOCH_SET = 256;

    mapping(uint32 => Spn) internal _spns;
    uint32[] internal _ids;
    mapping(uint32 => mapping(uint64 => EpochSet)) internal _epochs;
    mapping(uint32 => FinalizedCheckpoint) internal _latest;
    mapping(uint32 => mapping(uint64 => bytes32)) public stateRootAt;

    event SpnRegistered(uint32 indexed spnId, address indexed owner, string name);
    event StatusChanged(uint32 indexed spnId, Status status);
    event ParamsChanged(uint32 indexed spnId);
    event EpochStarted(uint32 indexed spnId, uint64 epoch, uint256 totalStake, uint256 size);
    event CheckpointFinalized(
        uint32 indexed spnId,
        uint64 indexed height,
        uint64 epoch,
        bytes32 blockHash,
        bytes32 stateRoot
    );

    error OnlyManagement();
    error OnlyAdaptor();
    error UnknownSpn(uint32 spnId);
    error AlreadyRegistered(uint32 spnId);
    error BadEpochSet();
    error StaleCheckpoint(uint64 height, uint64 finalized);
    error ZeroRoot();
    error SignerIndexOutOfRange(uint256 index);

    constructor() {
        _disableInitializers();
    }

    function initialize() external initializer {}

    modifier onlyManagement() {
        if (msg.sender != Sys.MANAGEMENT) revert OnlyManagement();
        _;
    }

    // ---- writes (Management) ----

    function create(
        uint32 spnId,
        address owner,
        string calldata name,
        ConsensusKind consensus,
        Params calldata initialParams
    ) external onlyManagement {
        if (_spns[spnId].status != Status.None) {
            revert AlreadyRegistered(spnId);
        }
        Spn storage s = _spns[spnId];
        s.owner = owner;
        s.status = Status.Registered;
        s.consensus = consensus;
        s.registeredAt = uint64(block.timestamp);
        s.name = name;
        s.params = initialParams;
        _ids.push(spnId);
        emit SpnRegistered(spnId, owner, name);
    }

    function setStatus(uint32 spnId, Status newStatus) external onlyManagement {
        _known(spnId).status = newStatus;
        emit StatusChanged(spnId, newStatus);
    }

    function setParams(uint32 spnId, Params calldata newParams) external onlyManagement {
        _known(spnId).params = newParams;
        emit ParamsChanged(spnId);
    }

    /// @notice Start the next epoch with this validator set; returns its number.
    function startEpoch(
        uint32 spnId,
        address[] calldata operators,
        bytes32[] calldata keys,
        uint256[] calldata stakes
    ) external onlyManagement returns (uint64 epoch) {
        Spn storage s = _known(spnId);
        uint256 n = operators.length;
        if (n == 0 || n > MAX_EPOCH_SET || keys.length != n || stakes.length != n) {
            revert BadEpochSet();
        }
        uint256 total = 0;
        for (uint256 i = 0; i < n; i++) {
            if (stakes[i] == 0 || keys[i] == bytes32(0)) revert BadEpochSet();
            total += stakes[i];
        }
        epoch = s.currentEpoch + 1;
        EpochSet storage set = _epochs[spnId][epoch];
        set.operators = operators;
        set.keys = keys;
        set.stakes = stakes;
        set.totalStake = total;
        s.currentEpoch = epoch;
        s.epochStartedAt = uint64(block.timestamp);
        emit EpochStarted(spnId, epoch, total, n);
    }

    // ---- writes (Adaptor) ----

    /// @notice Record a checkpoint the Adaptor verified. Finalized checkpoints are never
    ///         replaced: the height must exceed the latest one.
    function recordCheckpoint(
        uint32 spnId,
        uint64 epoch,
        uint64 height,
        bytes32 blockHash,
        bytes32 stateRoot
    ) external {
        if (msg.sender != Sys.ADAPTOR) revert OnlyAdaptor();
        _known(spnId);
        if (blockHash == bytes32(0) || stateRoot == bytes32(0)) revert ZeroRoot();
        FinalizedCheckpoint storage latest = _latest[spnId];
        if (height <= latest.height) revert StaleCheckpoint(height, latest.height);
        _latest[spnId] = FinalizedCheckpoint(
            epoch, height, blockHash, stateRoot, uint64(block.timestamp), uint64(block.number)
        );
        stateRootAt[spnId][height] = stateRoot;
        emit CheckpointFinalized(spnId, height, epoch, blockHash, stateRoot);
    }

    // ---- reads ----

    function spn(uint32 spnId) external view returns (Spn memory) {
        return _spns[spnId];
    }

    function status(uint32 spnId) external view returns (Status) {
        return _spns[spnId].status;
    }

    function ownerOf(uint32 spnId) external view returns (address) {
        return _spns[spnId].owner;
    }

    function params(uint32 spnId) external view returns (Params memory) {
        return _spns[spnId].params;
    }

    function currentEpoch(uint32 spnId) external view returns (uint64) {
        return _spns[spnId].currentEpoch;
    }

    function spnCount() external view returns (uint256) {
        return _ids.length;
    }

    function spnIds() external view returns (uint32[] memory) {
        return _ids;
    }

    function epochSet(uint32 spnId, uint64 epoch)
        external
        view
        returns (
            address[] memory operators,
            bytes32[] memory keys,
            uint256[] memory stakes,
            uint256 totalStake
        )
    {
        EpochSet storage set = _epochs[spnId][epoch];
        return (set.operators, set.keys, set.stakes, set.totalStake);
    }

    /// @notice The keys and stakes of the signers at `indices` in an epoch set, and its total.
    function epochSigners(uint32 spnId, uint64 epoch, uint256[] calldata indices)
        external
        view
        returns (bytes32[] memory keys, uint256[] memory stakes, uint256 totalStake)
    {
        EpochSet storage set = _epochs[spnId][epoch];
        uint256 size = set.keys.length;
        keys = new bytes32[](indices.length);
        stakes = new uint256[](indices.length);
        for (uint256 i = 0; i < indices.length; i++) {
            uint256 index = indices[i];
            if (index >= size) revert SignerIndexOutOfRange(index);
            keys[i] = set.keys[index];
            stakes[i] = set.stakes[index];
        }
        totalStake = set.totalStake;
    }

    function latestCheckpoint(uint32 spnId) external view returns (FinalizedCheckpoint memory) {
        return _latest[spnId];
    }

    function _known(uint32 spnId) internal view returns (Spn storage s) {
        s = _spns[spnId];
        if (s.status == Status.None) revert UnknownSpn(spnId);
    }
}
