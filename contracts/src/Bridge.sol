// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IMessageRecipient} from "./interfaces/IMessageRecipient.sol";
import {Mailbox} from "./Mailbox.sol";
import {Management} from "./Management.sol";
import {Registry} from "./Registry.sol";
import {Restaking} from "./Restaking.sol";
import {Message} from "./lib/Message.sol";
import {SpnLayout} from "./lib/SpnLayout.sol";
import {SlotProof, StateProof} from "./lib/StateProof.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @title Bridge
/// @notice Escrow for assets moved to SPNs. Deposits escrow the measured amount per (SPN,
///         token) and message the SPN Bridge, which mints. Withdrawals arrive as messages from
///         the SPN Bridge and are paid once each, from that SPN's escrow only. When an SPN
///         censors, a user requests a forced withdrawal; if the SPN does not prove it
///         processed the request by the deadline, anyone freezes the SPN, its operators are
///         slashed, and each user exits once with a proof of their SPN balance at the last
///         finalized checkpoint. A deposit the frozen SPN had not yet taken in at that
///         checkpoint is refunded to its depositor instead.
contract Bridge is Initializable, ReentrancyGuard, IMessageRecipient {
    using SafeERC20 for IERC20;

    /// The token id of the native coin (never a contract address).
    address public constant NATIVE = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    uint8 internal constant KIND_DEPOSIT = 1;
    uint8 internal constant KIND_WITHDRAW = 2;
    uint8 internal constant KIND_FORCE = 3;

    /// The most forced requests an SPN may have pending at once (a bound on what its
    /// operators must process, and on what a requester can make them process).
    uint256 public constant MAX_PENDING_FORCED = 256;

    enum ForceState {
        None,
        Pending,
        Processed,
        Expired
    }

    struct ForcedRequest {
        address user;
        uint32 spnId;
        uint64 deadline;
        ForceState state;
        address token;
        uint256 amount;
        uint256 bond;
    }

    /// What `refundDeposit` is given to match a deposit's commitment: the depositor (`from`),
    /// and `queueIndex`, the deposit message's index in the Mailbox queue of `spnId`.
    struct DepositRecord {
        uint32 spnId;
        address token;
        address from;
        uint256 amount;
        uint256 queueIndex;
    }

    uint256 public forceBond;
    uint256 public depositCount;
    uint256 public forcedCount;
    mapping(uint32 => mapping(address => uint256)) public escrowed;
    mapping(uint32 => mapping(uint256 => bool)) public withdrawalPaid;
    mapping(uint32 => mapping(address => mapping(address => bool))) public exited;
    mapping(uint256 => ForcedRequest) internal _forced;
    /// Bond refunds the user's account refused when its request was settled.
    mapping(address => uint256) public bondRefunds;
    /// Forced requests of each SPN neither confirmed nor expired (at most MAX_PENDING_FORCED).
    mapping(uint32 => uint256) public pendingForced;
    /// keccak256(abi.encode(spnId, token, from, amount, queueIndex)) of each deposit id.
    mapping(uint256 => bytes32) public depositCommitment;
    mapping(uint256 => bool) public depositRefunded;

    event Deposited(
        uint32 indexed spnId,
        address indexed token,
        address indexed from,
        address to,
        uint256 amount,
        bytes32 messageId
    );
    event WithdrawalPaid(
        uint32 indexed spnId,
        address indexed token,
        address indexed to,
        uint256 amount,
        uint256 withdrawalId
    );
    event ForcedWithdrawalRequested(
        uint256 indexed requestId,
        uint32 indexed spnId,
        address indexed user,
        address token,
        uint256 amount,
        uint64 deadline
    );
    event ForcedWithdrawalProcessed(uint256 indexed requestId);
    event SpnFrozen(uint32 indexed spnId, uint256 indexed requestId, uint256 slashed);
    event Exited(uint32 indexed spnId, address indexed token, address indexed user, uint256 amount);
    /// Deposit `depositId` (see Deposited) is message `queueIndex` of the Mailbox queue of
    /// `spnId`.
    event DepositQueued(uint256 indexed depositId, uint32 indexed spnId, uint256 queueIndex);
    event DepositRefunded(
        uint256 indexed depositId,
        uint32 indexed spnId,
        address indexed from,
        address token,
        uint256 amount
    );

    error ZeroAmount();
    error InvalidRecipient();
    error CodelessToken(address token);
    error NothingReceived();
    error SpnNotOpen(uint32 spnId);
    error OnlyMailbox();
    error UnauthorizedSender(bytes32 sender);
    error UnknownKind(uint8 kind);
    error AlreadyPaid(uint32 spnId, uint256 withdrawalId);
    error InsufficientEscrow(uint32 spnId, address token);
    error TransferFailed();
    error WrongBond(uint256 sent, uint256 required);
    error RequestNotPending(uint256 requestId);
    error DeadlineNotPassed(uint64 deadline);
    error NotFrozen(uint32 spnId);
    error AlreadyExited();
    error NoFinalizedState(uint32 spnId);
    error ForcedQueueFull(uint32 spnId);
    error InvalidDepositRecord(uint256 depositId);
    error DepositAlreadyRefunded(uint256 depositId);
    error DepositWasDelivered(uint256 depositId);

    constructor() {
        _disableInitializers();
    }

    function initialize(uint256 forceBond_) external initializer {
        forceBond = forceBond_;
    }

    // ---- deposits ----

    /// @notice Deposit `msg.value` native coin to `to` on SPN `spnId`.
    function depositNative(uint32 spnId, address to)
        external
        payable
        nonReentrant
        returns (bytes32)
    {
        if (msg.value == 0) revert ZeroAmount();
        return _deposit(spnId, NATIVE, to, msg.value);
    }

    /// @notice Deposit `amount` of ERC-20 `token` (approved to the Bridge) to `to` on SPN
    ///         `spnId`. Credits what the Bridge actually received.
    function depositERC20(uint32 spnId, address token, uint256 amount, address to)
        external
        nonReentrant
        returns (bytes32)
    {
        if (amount == 0) revert ZeroAmount();
        if (token == NATIVE || token.code.length == 0) revert CodelessToken(token);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received == 0) revert NothingReceived();
        return _deposit(spnId, token, to, received);
    }

    function _deposit(uint32 spnId, address token, address to, uint256 amount)
        internal
        returns (bytes32 id)
    {
        if (to == address(0)) revert InvalidRecipient();
        if (Registry(Sys.REGISTRY).status(spnId) != Registry.Status.Active) {
            revert SpnNotOpen(spnId);
        }
        escrowed[spnId][token] += amount;
        uint256 n = ++depositCount;
        // The index the deposit message takes in the SPN's queue: the SPN has credited it
        // once its inbound count passed it.
        uint256 queueIndex = Mailbox(Sys.MAILBOX).queueLength(spnId);
        depositCommitment[n] = keccak256(abi.encode(spnId, token, msg.sender, amount, queueIndex));
        bytes memory body = abi.encode(KIND_DEPOSIT, token, to, amount, n);
        id = Mailbox(Sys.MAILBOX).dispatch(spnId, Message.toBytes32(Sys.SPN_BRIDGE), body);
        emit Deposited(spnId, token, msg.sender, to, amount, id);
        emit DepositQueued(n, spnId, queueIndex);
    }

    // ---- withdrawals (messages from the SPN Bridge) ----

    /// @notice The Mailbox delivers a withdrawal the SPN Bridge sent: pay it once, from the
    ///         origin SPN's escrow. A failed payment reverts, leaving the message retryable.
    function handle(uint32 origin, bytes32 sender, bytes calldata body)
        external
        payable
        nonReentrant
    {
        if (msg.sender != Sys.MAILBOX) revert OnlyMailbox();
        if (sender != Message.toBytes32(Sys.SPN_BRIDGE)) revert UnauthorizedSender(sender);
        (uint8 kind, address token, address to, uint256 amount, uint256 ref) =
            abi.decode(body, (uint8, address, address, uint256, uint256));
        if (kind != KIND_WITHDRAW) revert UnknownKind(kind);
        if (withdrawalPaid[origin][ref]) revert AlreadyPaid(origin, ref);
        withdrawalPaid[origin][ref] = true;
        _pay(origin, token, to, amount);
        emit WithdrawalPaid(origin, token, to, amount, ref);
    }

    // ---- escape hatch ----

    /// @notice Ask SPN `spnId` to withdraw `amount` of `token` for the caller. Send exactly
    ///         `forceBond`; it comes back when the request is settled either way. At most
    ///         MAX_PENDING_FORCED requests per SPN may be pending at once.
    function requestForcedWithdrawal(uint32 spnId, address token, uint256 amount)
        external
        payable
        nonReentrant
        returns (uint256 requestId)
    {
        if (msg.value != forceBond) revert WrongBond(msg.value, forceBond);
        if (amount == 0) revert ZeroAmount();
        Registry reg = Registry(Sys.REGISTRY);
        // Users of a retired SPN keep the escape hatch.
        Registry.Status st = reg.status(spnId);
        if (st != Registry.Status.Active && st != Registry.Status.Retired) {
            revert SpnNotOpen(spnId);
        }
        if (pendingForced[spnId] >= MAX_PENDING_FORCED) revert ForcedQueueFull(spnId);
        pendingForced[spnId] += 1;
        uint64 deadline = uint64(block.timestamp) + reg.params(spnId).forceDelay;
        requestId = ++forcedCount;
        _forced[requestId] = ForcedRequest(
            msg.sender, spnId, deadline, ForceState.Pending, token, amount, msg.value
        );
        bytes memory body = abi.encode(KIND_FORCE, token, msg.sender, amount, requestId);
        Mailbox(Sys.MAILBOX).dispatch(spnId, Message.toBytes32(Sys.SPN_BRIDGE), body);
        emit ForcedWithdrawalRequested(requestId, spnId, msg.sender, token, amount, deadline);
    }

    /// @notice Prove the SPN processed forced request `requestId` (its SPN Bridge marked it
    ///         in the state finalized at `height`); the bond goes back to the user.
    function confirmForcedWithdrawal(uint256 requestId, uint64 height, SlotProof calldata proof)
        external
        nonReentrant
    {
        ForcedRequest storage r = _forced[requestId];
        if (r.state != ForceState.Pending) revert RequestNotPending(requestId);
        bytes32 root = Registry(Sys.REGISTRY).stateRootAt(r.spnId, height);
        StateProof.verifySlot(
            root, Sys.SPN_BRIDGE, SpnLayout.forcedProcessedSlot(requestId), 1, proof
        );
        r.state = ForceState.Processed;
        pendingForced[r.spnId] -= 1;
        _refundBond(r.user, r.bond);
        emit ForcedWithdrawalProcessed(requestId);
    }

    /// @notice Freeze the SPN of forced request `requestId` once its deadline passed without
    ///         proof of processing: no more checkpoints, its operators are slashed, the user's
    ///         bond is returned, and users may exit.
    function freeze(uint256 requestId) external nonReentrant {
        ForcedRequest storage r = _forced[requestId];
        if (r.state != ForceState.Pending) revert RequestNotPending(requestId);
        if (block.timestamp <= r.deadline) revert DeadlineNotPassed(r.deadline);
        r.state = ForceState.Expired;
        uint32 spnId = r.spnId;
        pendingForced[spnId] -= 1;
        if (Registry(Sys.REGISTRY).status(spnId) != Registry.Status.Frozen) {
            Management(Sys.MANAGEMENT).freeze(spnId);
        }
        uint256 slashed = Restaking(Sys.RESTAKING).slashSpn(spnId, bytes32(requestId));
        _refundBond(r.user, r.bond);
        emit SpnFrozen(spnId, requestId, slashed);
    }

    /// @notice After a freeze, take out the caller's `token` balance on SPN `spnId`, proven
    ///         by its SPN Bridge's storage at the last finalized checkpoint. Once per
    ///         (SPN, user, token).
    function exit(uint32 spnId, address token, uint256 amount, SlotProof calldata proof)
        external
        nonReentrant
    {
        Registry reg = Registry(Sys.REGISTRY);
        if (reg.status(spnId) != Registry.Status.Frozen) revert NotFrozen(spnId);
        if (amount == 0) revert ZeroAmount();
        if (exited[spnId][msg.sender][token]) revert AlreadyExited();
        bytes32 root = reg.latestCheckpoint(spnId).stateRoot;
        if (root == bytes32(0)) revert NoFinalizedState(spnId);
        StateProof.verifySlot(
            root, Sys.SPN_BRIDGE, SpnLayout.balanceSlot(token, msg.sender), amount, proof
        );
        exited[spnId][msg.sender][token] = true;
        _pay(spnId, token, msg.sender, amount);
        emit Exited(spnId, token, msg.sender, amount);
    }

    /// @notice After a freeze, give deposit `depositId` back to its depositor if the SPN had
    ///         not taken it in by the last finalized checkpoint: `d` is the deposit (as the
    ///         Deposited and DepositQueued events tell it) and `proof` shows the SPN Mailbox's
    ///         `inboundCount` was `inboundCount` in that checkpoint's state; the deposit's
    ///         queue index must not be below it. Such a deposit is in no provable balance, so
    ///         it is never paid by `exit` or a withdrawal too. Once per deposit; anyone may
    ///         call. An SPN frozen before its first checkpoint took in nothing provable:
    ///         `inboundCount` is then 0 and no proof is checked.
    function refundDeposit(
        uint256 depositId,
        DepositRecord calldata d,
        uint256 inboundCount,
        SlotProof calldata proof
    ) external nonReentrant {
        Registry reg = Registry(Sys.REGISTRY);
        if (reg.status(d.spnId) != Registry.Status.Frozen) revert NotFrozen(d.spnId);
        bytes32 commitment = depositCommitment[depositId];
        if (
            commitment == bytes32(0)
                || commitment
                    != keccak256(abi.encode(d.spnId, d.token, d.from, d.amount, d.queueIndex))
        ) revert InvalidDepositRecord(depositId);
        if (depositRefunded[depositId]) revert DepositAlreadyRefunded(depositId);
        bytes32 root = reg.latestCheckpoint(d.spnId).stateRoot;
        if (root == bytes32(0)) {
            if (inboundCount != 0) revert NoFinalizedState(d.spnId);
        } else {
            StateProof.verifySlot(
                root, Sys.SPN_MAILBOX, SpnLayout.INBOUND_COUNT_SLOT, inboundCount, proof
            );
        }
        if (d.queueIndex < inboundCount) revert DepositWasDelivered(depositId);
        depositRefunded[depositId] = true;
        _pay(d.spnId, d.token, d.from, d.amount);
        emit DepositRefunded(depositId, d.spnId, d.from, d.token, d.amount);
    }

    function forcedRequest(uint256 requestId) external view returns (ForcedRequest memory) {
        return _forced[requestId];
    }

    /// @notice Take the bond refund your account refused when your request was settled.
    function claimBondRefund() external nonReentrant {
        uint256 amount = bondRefunds[msg.sender];
        if (amount == 0) revert ZeroAmount();
        bondRefunds[msg.sender] = 0;
        _sendNative(msg.sender, amount);
    }

    // ---- internals ----

    function _pay(uint32 spnId, address token, address to, uint256 amount) internal {
        if (to == address(0)) revert InvalidRecipient();
        uint256 held = escrowed[spnId][token];
        if (held < amount) revert InsufficientEscrow(spnId, token);
        escrowed[spnId][token] = held - amount;
        if (token == NATIVE) {
            _sendNative(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    function _sendNative(address to, uint256 amount) internal {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @dev Settling a forced request never depends on the user taking the bond back:
    ///      otherwise a user could refuse it to block the SPN's proof of processing, then
    ///      accept again after the deadline and freeze the SPN. A refused refund (no return
    ///      data copied) stays claimable with `claimBondRefund`.
    function _refundBond(address user, uint256 bond) internal {
        if (bond == 0) return;
        bool ok;
        assembly ("memory-safe") {
            ok := call(gas(), user, bond, 0, 0, 0, 0)
        }
        if (!ok) bondRefunds[user] += bond;
    }
}
