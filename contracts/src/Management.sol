// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Registry} from "./Registry.sol";
import {Restaking} from "./Restaking.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @title Management
/// @notice The SPN lifecycle: register → active (once its restaked stake reaches the minimum;
///         the first epoch is snapshotted) → frozen (by the Bridge) or retired (by its owner).
///         Epochs rotate after `epochLength`; parameter changes take effect `paramDelay`
///         seconds after the owner proposes them.
contract Management is Initializable {
    struct PendingParams {
        Registry.Params params;
        uint64 effectiveAt;
    }

    uint16 public constant MIN_QUORUM_BPS = 6667;
    uint64 public constant MIN_FORCE_DELAY = 60;
    uint64 public constant MAX_FORCE_DELAY = 30 days;

    uint256 public paramDelay;
    uint256 public minSpnStake;
    mapping(uint32 => PendingParams) internal _pending;

    event ParamsProposed(uint32 indexed spnId, uint64 effectiveAt);
    event Activated(uint32 indexed spnId, uint256 stake);
    event Frozen(uint32 indexed spnId);
    event Retired(uint32 indexed spnId);

    error InvalidSpnId(uint32 spnId);
    error InvalidName();
    error InvalidParams(string reason);
    error NotOwner();
    error WrongStatus(Registry.Status status);
    error NotEnoughStake(uint256 stake, uint256 needed);
    error EpochNotOver(uint64 endsAt);
    error NoPendingParams();
    error ParamsNotYetEffective(uint64 effectiveAt);
    error OnlyBridge();

    constructor() {
        _disableInitializers();
    }

    function initialize(uint256 paramDelay_, uint256 minSpnStake_) external initializer {
        paramDelay = paramDelay_;
        minSpnStake = minSpnStake_;
    }

    /// @notice Register an SPN; its id is its chain id and its Mailbox domain.
    function register(
        uint32 spnId,
        string calldata name,
        Registry.ConsensusKind consensus,
        Registry.Params calldata params
    ) external returns (uint32) {
        if (spnId == 0 || spnId == uint32(block.chainid)) {
            revert InvalidSpnId(spnId);
        }
        uint256 len = bytes(name).length;
        if (len == 0 || len > 64) revert InvalidName();
        _check(params);
        Registry(Sys.REGISTRY).create(spnId, msg.sender, name, consensus, params);
        return spnId;
    }

    /// @notice Make a registered SPN active once its restaked stake reaches its minimum;
    ///         snapshots the first epoch. Anyone may call.
    function activate(uint32 spnId) external {
        Registry reg = Registry(Sys.REGISTRY);
        Registry.Status st = reg.status(spnId);
        if (st != Registry.Status.Registered) revert WrongStatus(st);
        uint256 stake = _snapshot(spnId, reg.params(spnId).minStake);
        reg.setStatus(spnId, Registry.Status.Active);
        emit Activated(spnId, stake);
    }

    /// @notice Start the next epoch once the current one is `epochLength` old, applying
    ///         parameter changes that are due. Anyone may call.
    function rotateEpoch(uint32 spnId) external {
        Registry reg = Registry(Sys.REGISTRY);
        Registry.Spn memory s = reg.spn(spnId);
        // A retired SPN keeps checkpointing (withdrawals, escape hatch), so it keeps rotating.
        bool retiredAfterActive = s.status == Registry.Status.Retired && s.currentEpoch != 0;
        if (s.status != Registry.Status.Active && !retiredAfterActive) {
            revert WrongStatus(s.status);
        }
        uint64 endsAt = s.epochStartedAt + s.params.epochLength;
        if (block.timestamp < endsAt) revert EpochNotOver(endsAt);
        PendingParams storage p = _pending[spnId];
        if (p.effectiveAt != 0 && block.timestamp >= p.effectiveAt) _applyPending(spnId);
        _snapshot(spnId, reg.params(spnId).minStake);
    }

    /// @notice The owner proposes new parameters; they apply after `paramDelay`.
    function proposeParams(uint32 spnId, Registry.Params calldata params) external {
        Registry reg = Registry(Sys.REGISTRY);
        if (reg.ownerOf(spnId) != msg.sender) revert NotOwner();
        _check(params);
        uint64 effectiveAt = uint64(block.timestamp + paramDelay);
        _pending[spnId] = PendingParams(params, effectiveAt);
        emit ParamsProposed(spnId, effectiveAt);
    }

    /// @notice Apply proposed parameters whose delay has passed, to an SPN that is not yet
    ///         active. Anyone may call. An active SPN's parameters change only at an epoch
    ///         rotation, so an epoch's rules (its length, hence its expiry) never move under it.
    function applyParams(uint32 spnId) external {
        Registry.Status st = Registry(Sys.REGISTRY).status(spnId);
        if (st != Registry.Status.Registered) revert WrongStatus(st);
        PendingParams storage p = _pending[spnId];
        if (p.effectiveAt == 0) revert NoPendingParams();
        if (block.timestamp < p.effectiveAt) revert ParamsNotYetEffective(p.effectiveAt);
        _applyPending(spnId);
    }

    function pendingParams(uint32 spnId) external view returns (PendingParams memory) {
        return _pending[spnId];
    }

    /// @notice The owner retires the SPN: no new deposits, stake or messages to it.
    function retire(uint32 spnId) external {
        Registry reg = Registry(Sys.REGISTRY);
        if (reg.ownerOf(spnId) != msg.sender) revert NotOwner();
        Registry.Status st = reg.status(spnId);
        if (st != Registry.Status.Registered && st != Registry.Status.Active) {
            revert WrongStatus(st);
        }
        reg.setStatus(spnId, Registry.Status.Retired);
        emit Retired(spnId);
    }

    /// @notice The Bridge freezes an SPN that let a forced withdrawal expire.
    function freeze(uint32 spnId) external {
        if (msg.sender != Sys.BRIDGE) revert OnlyBridge();
        Registry reg = Registry(Sys.REGISTRY);
        Registry.Status st = reg.status(spnId);
        if (st != Registry.Status.Active && st != Registry.Status.Retired) {
            revert WrongStatus(st);
        }
        reg.setStatus(spnId, Registry.Status.Frozen);
        emit Frozen(spnId);
    }

    function _applyPending(uint32 spnId) internal {
        Registry.Params memory params = _pending[spnId].params;
        delete _pending[spnId];
        Registry(Sys.REGISTRY).setParams(spnId, params);
    }

    function _snapshot(uint32 spnId, uint256 minStake) internal returns (uint256 total) {
        Restaking rs = Restaking(Sys.RESTAKING);
        address[] memory all = rs.operatorsOf(spnId);
        uint256 n = 0;
        for (uint256 i = 0; i < all.length; i++) {
            if (rs.stakeOf(spnId, all[i]) > 0) n++;
        }
        address[] memory ops = new address[](n);
        bytes32[] memory keys = new bytes32[](n);
        uint256[] memory stakes = new uint256[](n);
        uint256 j = 0;
        for (uint256 i = 0; i < all.length; i++) {
            uint256 st = rs.stakeOf(spnId, all[i]);
            if (st == 0) continue;
            ops[j] = all[i];
            keys[j] = rs.operatorKey(all[i]);
            stakes[j] = st;
            total += st;
            j++;
        }
        if (total < minStake || total == 0) revert NotEnoughStake(total, minStake);
        Registry(Sys.REGISTRY).startEpoch(spnId, ops, keys, stakes);
    }

    function _check(Registry.Params calldata p) internal view {
        if (p.checkpointInterval == 0) revert InvalidParams("checkpointInterval is zero");
        if (p.quorumBps < MIN_QUORUM_BPS || p.quorumBps > 10_000) {
            revert InvalidParams("quorumBps must be within 6667..10000");
        }
        if (p.forceDelay < MIN_FORCE_DELAY || p.forceDelay > MAX_FORCE_DELAY) {
            revert InvalidParams("forceDelay must be within 60 s..30 days");
        }
        if (p.forceDelay >= Restaking(Sys.RESTAKING).unbondingDelay()) {
            // Operators who let a forced request expire must still be slashable.
            revert InvalidParams("forceDelay must be shorter than the restaking unbonding delay");
        }
        if (p.epochLength == 0) revert InvalidParams("epochLength is zero");
        if (2 * uint256(p.epochLength) >= Restaking(Sys.RESTAKING).unbondingDelay()) {
            // A set's signatures count for up to two epochs; its stake must outlast them.
            revert InvalidParams("two epochs must be shorter than the restaking unbonding delay");
        }
        if (p.minStake < minSpnStake) revert InvalidParams("minStake below the network minimum");
        if (p.slashBps == 0 || p.slashBps > 10_000) {
            revert InvalidParams("slashBps must be within 1..10000");
        }
        if (Sys.isSystem(p.slashTo)) {
            // Slashed LST sent to a system contract would be stuck there.
            revert InvalidParams("slashTo may not be a system contract");
        }
    }
}
