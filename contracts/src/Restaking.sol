// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {LiquidStake} from "./LiquidStake.sol";
import {Registry} from "./Registry.sol";
import {Checkpoint, CheckpointDigest} from "./lib/Checkpoint.sol";
import {Ed25519} from "./lib/Ed25519.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @title Restaking
/// @notice Operators restake the LST to SPNs under one ed25519 key. Stake is kept per
///         (SPN, operator) pair; unstaking waits `unbondingDelay` and stays slashable until
///         withdrawn. Slashing by evidence (one key signed two different checkpoints for one
///         SPN height, or two different votes for one height of a `poa` SPN's consensus)
///         burns all of the operator's stake in the SPN. When the Bridge freezes an
///         SPN, every operator of it loses the SPN's `slashBps` share of its active and
///         unbonding stake (burned, or sent to the SPN's `slashTo`), leaves its operator list,
///         and the rest unbonds (withdrawable after `unbondingDelay`).
contract Restaking is Initializable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant REGISTER_TYPEHASH =
        keccak256("PharosSPN.RegisterOperator(uint256 chainId,address restaking,address operator)");
    uint256 public constant MAX_OPERATORS_PER_SPN = 256;
    /// The least stake an operator may hold in an SPN after restaking: the operator list of
    /// an SPN is bounded, so a seat costs real stake.
    uint256 public constant MIN_OPERATOR_STAKE = 1 ether;
    /// Domain tag of the vote signatures of the SPN `poa` consensus (see `poaVoteBytes`).
    bytes public constant POA_VOTE_DOMAIN = "pharos-poa-vote-v1";

    uint256 public unbondingDelay;
    mapping(address => bytes32) public operatorKey;
    mapping(bytes32 => address) public keyOwner;
    mapping(uint32 => mapping(address => uint256)) public stakeOf;
    mapping(uint32 => mapping(address => uint256)) public unstakingOf;
    mapping(uint32 => mapping(address => uint64)) public releaseAt;
    mapping(uint32 => uint256) public totalStake;
    mapping(uint32 => address[]) internal _operators;
    mapping(uint32 => mapping(address => bool)) public isOperatorOf;
    mapping(uint32 => mapping(address => uint256)) internal _position; // index + 1 in _operators
    mapping(bytes32 => bool) public evidenceUsed;

    event OperatorRegistered(address indexed operator, bytes32 key);
    event Restaked(uint32 indexed spnId, address indexed operator, uint256 amount);
    event Unstaked(
        uint32 indexed spnId, address indexed operator, uint256 amount, uint64 releaseAt
    );
    event Withdrawn(uint32 indexed spnId, address indexed operator, uint256 amount);
    event Slashed(uint32 indexed spnId, address indexed operator, uint256 amount, bytes32 reason);
    /// A frozen SPN's operators were slashed: `amount` in all, `slashBps` of each operator's
    /// stake, sent to `slashTo` (address(0): burned).
    event SpnSlashed(
        uint32 indexed spnId, bytes32 reason, uint256 amount, uint16 slashBps, address slashTo
    );
    /// `operator`'s `key` voted for two different blocks at `height` of `poa` SPN `spnId`;
    /// `amount` of its stake there was burned (`Slashed` carries the evidence id as reason).
    event DoubleVoteSlashed(
        uint32 indexed spnId, address indexed operator, bytes32 key, uint64 height, uint256 amount
    );

    error InvalidKey();
    error AlreadyRegistered();
    error InvalidProofOfPossession();
    error NotOperator();
    error SpnNotOpen(uint32 spnId);
    error ZeroAmount();
    error BelowMinimumStake(uint256 minimum);
    error InsufficientStake();
    error TooManyOperators();
    error StillUnbonding(uint64 releaseAt);
    error NothingToWithdraw();
    error NotEquivocation();
    error InvalidSignature();
    error UnknownKey();
    error EvidenceAlreadyUsed();
    error OnlyBridge();

    constructor() {
        _disableInitializers();
    }

    function initialize(uint256 unbondingDelay_) external initializer {
        unbondingDelay = unbondingDelay_;
    }

    /// @notice The message an operator's key signs to prove it holds the key.
    function registrationDigest(address operator) public view returns (bytes32) {
        return keccak256(abi.encode(REGISTER_TYPEHASH, block.chainid, address(this), operator));
    }

    /// @notice Register the caller as an operator with ed25519 `key`; `signature` is the key's
    ///         signature of `registrationDigest(msg.sender)`.
    function registerOperator(bytes32 key, bytes calldata signature) external {
        if (key == bytes32(0) || keyOwner[key] != address(0)) revert InvalidKey();
        if (operatorKey[msg.sender] != bytes32(0)) revert AlreadyRegistered();
        bytes memory message = abi.encodePacked(registrationDigest(msg.sender));
        if (!Ed25519.verify(key, signature, message)) revert InvalidProofOfPossession();
        operatorKey[msg.sender] = key;
        keyOwner[key] = msg.sender;
        emit OperatorRegistered(msg.sender, key);
    }

    /// @notice Restake `amount` LST (approved to this contract) to `spnId`.
    function restake(uint32 spnId, uint256 amount) external nonReentrant {
        if (operatorKey[msg.sender] == bytes32(0)) revert NotOperator();
        if (amount == 0) revert ZeroAmount();
        Registry.Status st = Registry(Sys.REGISTRY).status(spnId);
        if (st != Registry.Status.Registered && st != Registry.Status.Active) {
            revert SpnNotOpen(spnId);
        }
        if (stakeOf[spnId][msg.sender] + amount < MIN_OPERATOR_STAKE) {
            revert BelowMinimumStake(MIN_OPERATOR_STAKE);
        }
        if (!isOperatorOf[spnId][msg.sender]) {
            if (_operators[spnId].length >= MAX_OPERATORS_PER_SPN) revert TooManyOperators();
            isOperatorOf[spnId][msg.sender] = true;
            _operators[spnId].push(msg.sender);
            _position[spnId][msg.sender] = _operators[spnId].length;
        }
        IERC20(Sys.LST).safeTransferFrom(msg.sender, address(this), amount);
        stakeOf[spnId][msg.sender] += amount;
        totalStake[spnId] += amount;
        emit Restaked(spnId, msg.sender, amount);
    }

    /// @notice Start unstaking `amount` from `spnId`. It stays slashable until withdrawn;
    ///         a further unstake restarts the delay for the whole pending amount.
    function unstake(uint32 spnId, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 held = stakeOf[spnId][msg.sender];
        if (held < amount) revert InsufficientStake();
        // All or down to the minimum: a seat is never held for dust.
        if (held - amount != 0 && held - amount < MIN_OPERATOR_STAKE) {
            revert BelowMinimumStake(MIN_OPERATOR_STAKE);
        }
        stakeOf[spnId][msg.sender] -= amount;
        totalStake[spnId] -= amount;
        unstakingOf[spnId][msg.sender] += amount;
        uint64 release = uint64(block.timestamp + unbondingDelay);
        releaseAt[spnId][msg.sender] = release;
        emit Unstaked(spnId, msg.sender, amount, release);
    }

    /// @notice Take back LST whose unstaking delay has passed.
    function withdraw(uint32 spnId) external nonReentrant returns (uint256 amount) {
        amount = unstakingOf[spnId][msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        uint64 release = releaseAt[spnId][msg.sender];
        if (block.timestamp < release) revert StillUnbonding(release);
        unstakingOf[spnId][msg.sender] = 0;
        // An operator with nothing left in the SPN gives up its seat in the operator list
        // (an operator of a frozen SPN already left it when it was slashed).
        if (stakeOf[spnId][msg.sender] == 0 && isOperatorOf[spnId][msg.sender]) {
            _leave(spnId, msg.sender);
        }
        IERC20(Sys.LST).safeTransfer(msg.sender, amount);
        emit Withdrawn(spnId, msg.sender, amount);
    }

    /// @notice Slash the operator whose `key` signed two different blocks or states for the
    ///         same SPN and height. Anyone may submit the evidence; each (SPN, height, key) once.
    function slashEquivocation(
        Checkpoint calldata a,
        bytes calldata signatureA,
        Checkpoint calldata b,
        bytes calldata signatureB,
        bytes32 key
    ) external returns (uint256 slashed) {
        if (a.spnId != b.spnId || a.height != b.height) revert NotEquivocation();
        bytes32 digestA = CheckpointDigest.digest(a, block.chainid, Sys.ADAPTOR);
        bytes32 digestB = CheckpointDigest.digest(b, block.chainid, Sys.ADAPTOR);
        // Two different blocks (or states) for one height. The same block signed again, e.g.
        // under a newer epoch, is not evidence.
        if (a.blockHash == b.blockHash && a.stateRoot == b.stateRoot) revert NotEquivocation();
        if (
            !Ed25519.verify(key, signatureA, abi.encodePacked(digestA))
                || !Ed25519.verify(key, signatureB, abi.encodePacked(digestB))
        ) revert InvalidSignature();
        address operator = keyOwner[key];
        if (operator == address(0)) revert UnknownKey();
        bytes32 evidence = keccak256(abi.encode(a.spnId, a.height, key));
        if (evidenceUsed[evidence]) revert EvidenceAlreadyUsed();
        evidenceUsed[evidence] = true;
        slashed = _slash(a.spnId, operator, evidence);
    }

    /// @notice The exact bytes an operator's key signs for a vote of the SPN `poa` consensus
    ///         (integers big-endian, no padding): "pharos-poa-vote-v1" ‖ spnId (uint32) ‖
    ///         height (uint64) ‖ blockHash (bytes32).
    function poaVoteBytes(uint32 spnId, uint64 height, bytes32 blockHash)
        public
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(POA_VOTE_DOMAIN, spnId, height, blockHash);
    }

    /// @notice Slash the operator whose `key` voted for two different blocks (`hashA`, `hashB`)
    ///         at one `height` of `poa` SPN `spnId`: `sigA` and `sigB` are the key's ed25519
    ///         signatures of `poaVoteBytes(spnId, height, hashA)` and `(…, hashB)` (a poa vote
    ///         names no round: an honest operator votes once per height). Burns all of the
    ///         operator's active and pending stake in that SPN, as `slashEquivocation` does.
    ///         Anyone may submit the evidence; each (SPN, height, key) once, separately from
    ///         checkpoint equivocation evidence for the same height.
    function slashDoubleVote(
        uint32 spnId,
        uint64 height,
        bytes32 hashA,
        bytes calldata sigA,
        bytes32 hashB,
        bytes calldata sigB,
        bytes32 key
    ) external returns (uint256 slashed) {
        if (hashA == hashB) revert NotEquivocation();
        if (
            !Ed25519.verify(key, sigA, poaVoteBytes(spnId, height, hashA))
                || !Ed25519.verify(key, sigB, poaVoteBytes(spnId, height, hashB))
        ) revert InvalidSignature();
        address operator = keyOwner[key];
        if (operator == address(0)) revert UnknownKey();
        bytes32 evidence = keccak256(abi.encode("poa-double-vote", spnId, height, key));
        if (evidenceUsed[evidence]) revert EvidenceAlreadyUsed();
        evidenceUsed[evidence] = true;
        slashed = _slash(spnId, operator, evidence);
        emit DoubleVoteSlashed(spnId, operator, key, height, slashed);
    }

    /// @notice The Bridge slashes every operator of an SPN it freezes: the SPN's `slashBps`
    ///         share of each one's active and of its unbonding stake (rounded up), burned or
    ///         sent to the SPN's `slashTo`. Each operator leaves the SPN's operator list; what
    ///         it keeps unbonds and may be withdrawn `unbondingDelay` from now (still slashable
    ///         by equivocation evidence until then).
    function slashSpn(uint32 spnId, bytes32 reason)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        if (msg.sender != Sys.BRIDGE) revert OnlyBridge();
        Registry.Params memory p = Registry(Sys.REGISTRY).params(spnId);
        address[] storage ops = _operators[spnId];
        // Backwards: each slashed operator leaves the list by swap-and-pop.
        for (uint256 i = ops.length; i > 0; i--) {
            slashed += _slashShare(spnId, ops[i - 1], p.slashBps, reason);
        }
        if (slashed != 0) {
            if (p.slashTo == address(0)) {
                LiquidStake(Sys.LST).burn(slashed);
            } else {
                IERC20(Sys.LST).safeTransfer(p.slashTo, slashed);
            }
        }
        emit SpnSlashed(spnId, reason, slashed, p.slashBps, p.slashTo);
    }

    function _leave(uint32 spnId, address operator) internal {
        address[] storage ops = _operators[spnId];
        uint256 index = _position[spnId][operator];
        address last = ops[ops.length - 1];
        ops[index - 1] = last;
        _position[spnId][last] = index;
        ops.pop();
        delete _position[spnId][operator];
        isOperatorOf[spnId][operator] = false;
    }

    function operatorsOf(uint32 spnId) external view returns (address[] memory) {
        return _operators[spnId];
    }

    /// Burn all of `operator`'s stake in `spnId` (equivocation).
    function _slash(uint32 spnId, address operator, bytes32 reason)
        internal
        returns (uint256 amount)
    {
        uint256 active = stakeOf[spnId][operator];
        uint256 pending = unstakingOf[spnId][operator];
        amount = active + pending;
        if (amount == 0) return 0;
        stakeOf[spnId][operator] = 0;
        unstakingOf[spnId][operator] = 0;
        totalStake[spnId] -= active;
        // An operator of a frozen SPN left the list when the freeze slashed it.
        if (isOperatorOf[spnId][operator]) _leave(spnId, operator);
        LiquidStake(Sys.LST).burn(amount);
        emit Slashed(spnId, operator, amount, reason);
    }

    /// Take `bps` of listed `operator`'s active and pending stake in `spnId` (the caller
    /// disposes of it), take it off the list and move what is left to unbonding.
    function _slashShare(uint32 spnId, address operator, uint256 bps, bytes32 reason)
        internal
        returns (uint256 amount)
    {
        uint256 active = stakeOf[spnId][operator];
        uint256 pending = unstakingOf[spnId][operator];
        uint256 fromActive = _share(active, bps);
        amount = fromActive + _share(pending, bps);
        uint256 kept = active + pending - amount;
        stakeOf[spnId][operator] = 0;
        totalStake[spnId] -= active;
        unstakingOf[spnId][operator] = kept;
        _leave(spnId, operator);
        if (kept != 0) {
            uint64 release = uint64(block.timestamp + unbondingDelay);
            releaseAt[spnId][operator] = release;
            emit Unstaked(spnId, operator, active - fromActive, release);
        }
        if (amount != 0) emit Slashed(spnId, operator, amount, reason);
    }

    /// `bps` basis points of `x`, rounded up (at most `x`).
    function _share(uint256 x, uint256 bps) internal pure returns (uint256) {
        if (bps >= 10_000) return x;
        return (x * bps + 9_999) / 10_000;
    }
}
