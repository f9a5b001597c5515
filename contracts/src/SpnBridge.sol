// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IMessageRecipient} from "./interfaces/IMessageRecipient.sol";
import {SpnMailbox} from "./SpnMailbox.sol";
import {Message} from "./lib/Message.sol";
import {SpnLayout} from "./lib/SpnLayout.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @title SpnBridge
/// @notice Every SPN's twin of the mainnet Bridge (predeployed at SPN_BRIDGE): one ledger of
///         all bridged assets, keyed by the mainnet token address (NATIVE for the mainnet's
///         native coin). Deposits from the mainnet Bridge mint; withdrawals burn and message
///         the mainnet Bridge, which pays from this SPN's escrow. Forced withdrawals requested
///         on the mainnet are processed here and marked at SpnLayout.forcedProcessedSlot, which
///         the mainnet proves. Balances live at SpnLayout.balanceSlot, which the mainnet's exit
///         path proves after a freeze.
contract SpnBridge is Initializable, ReentrancyGuard, IMessageRecipient {
    /// The token id of the mainnet's native coin (never a contract address).
    address public constant NATIVE = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    uint8 internal constant KIND_DEPOSIT = 1;
    uint8 internal constant KIND_WITHDRAW = 2;
    uint8 internal constant KIND_FORCE = 3;

    uint32 public mainnetDomain;
    /// Withdrawals sent to the mainnet (voluntary and forced); the last one's id.
    uint256 public withdrawalCount;
    mapping(address => uint256) internal _totalSupply;

    event DepositCredited(
        address indexed token, address indexed account, uint256 amount, uint256 depositId
    );
    event Transfer(address indexed token, address indexed from, address indexed to, uint256 amount);
    event Withdrawal(
        address indexed token,
        address indexed from,
        address indexed to,
        uint256 amount,
        uint256 withdrawalId,
        bytes32 messageId
    );
    event ForcedWithdrawalProcessed(
        uint256 indexed requestId,
        address indexed token,
        address indexed account,
        uint256 requested,
        uint256 paid,
        uint256 withdrawalId
    );

    error InvalidDomain();
    error OnlyMailbox();
    error UnauthorizedOrigin(uint32 origin);
    error UnauthorizedSender(bytes32 sender);
    error UnknownKind(uint8 kind);
    error ZeroAmount();
    error InvalidRecipient();
    error InsufficientBalance(address token, uint256 balance, uint256 needed);

    constructor() {
        _disableInitializers();
    }

    /// @param mainnetDomain_ the mainnet's chain id (the SPN Mailbox's `mainnetDomain`)
    function initialize(uint32 mainnetDomain_) external initializer {
        if (mainnetDomain_ == 0) revert InvalidDomain();
        mainnetDomain = mainnetDomain_;
    }

    // ---- messages from the mainnet Bridge ----

    /// @notice The SPN Mailbox delivers a message of the mainnet Bridge: a deposit to credit,
    ///         or a forced withdrawal to process.
    function handle(uint32 origin, bytes32 sender, bytes calldata body)
        external
        payable
        nonReentrant
    {
        if (msg.sender != Sys.SPN_MAILBOX) revert OnlyMailbox();
        if (origin != mainnetDomain) revert UnauthorizedOrigin(origin);
        if (sender != Message.toBytes32(Sys.BRIDGE)) revert UnauthorizedSender(sender);
        (uint8 kind, address token, address account, uint256 amount, uint256 ref) =
            abi.decode(body, (uint8, address, address, uint256, uint256));
        if (kind == KIND_DEPOSIT) {
            _mint(token, account, amount);
            emit DepositCredited(token, account, amount, ref);
        } else if (kind == KIND_FORCE) {
            _processForced(ref, token, account, amount);
        } else {
            revert UnknownKind(kind);
        }
    }

    /// Pay what the user holds, up to the requested amount, as a withdrawal to the same account
    /// on the mainnet, and mark the request processed. A request is processed once.
    function _processForced(uint256 requestId, address token, address account, uint256 amount)
        internal
    {
        bytes32 slot = SpnLayout.forcedProcessedSlot(requestId);
        uint256 done;
        assembly ("memory-safe") {
            done := sload(slot)
        }
        if (done != 0) return;
        assembly ("memory-safe") {
            sstore(slot, 1)
        }
        uint256 held = _balance(token, account);
        uint256 paid = amount < held ? amount : held;
        uint256 withdrawalId = 0;
        if (paid != 0 && account != address(0)) {
            (withdrawalId,) = _withdraw(token, account, account, paid);
        } else {
            paid = 0;
        }
        emit ForcedWithdrawalProcessed(requestId, token, account, amount, paid, withdrawalId);
    }

    // ---- users ----

    /// @notice Move `amount` of `token` from the caller to `to` on this SPN.
    function transfer(address token, address to, uint256 amount) external nonReentrant {
        if (to == address(0)) revert InvalidRecipient();
        uint256 held = _balance(token, msg.sender);
        if (held < amount) revert InsufficientBalance(token, held, amount);
        if (to != msg.sender) {
            _setBalance(token, msg.sender, held - amount);
            _setBalance(token, to, _balance(token, to) + amount);
        }
        emit Transfer(token, msg.sender, to, amount);
    }

    /// @notice Burn `amount` of the caller's `token` and have the mainnet Bridge pay it to `to`
    ///         once the message is relayed; returns the message id.
    function withdraw(address token, uint256 amount, address to)
        external
        nonReentrant
        returns (bytes32 messageId)
    {
        if (amount == 0) revert ZeroAmount();
        // The mainnet Bridge refuses to pay the zero address: the value would be stuck.
        if (to == address(0)) revert InvalidRecipient();
        (, messageId) = _withdraw(token, msg.sender, to, amount);
    }

    // ---- reads ----

    /// @notice `account`'s balance of `token` (stored at SpnLayout.balanceSlot).
    function balanceOf(address token, address account) external view returns (uint256) {
        return _balance(token, account);
    }

    function totalSupply(address token) external view returns (uint256) {
        return _totalSupply[token];
    }

    /// @notice True once forced request `requestId` was processed (the slot the mainnet proves).
    function forcedProcessed(uint256 requestId) external view returns (bool) {
        bytes32 slot = SpnLayout.forcedProcessedSlot(requestId);
        uint256 v;
        assembly ("memory-safe") {
            v := sload(slot)
        }
        return v == 1;
    }

    // ---- internals ----

    function _withdraw(address token, address from, address to, uint256 amount)
        internal
        returns (uint256 withdrawalId, bytes32 messageId)
    {
        _burn(token, from, amount);
        withdrawalId = ++withdrawalCount;
        bytes memory body = abi.encode(KIND_WITHDRAW, token, to, amount, withdrawalId);
        messageId = SpnMailbox(Sys.SPN_MAILBOX)
            .dispatch(mainnetDomain, Message.toBytes32(Sys.BRIDGE), body);
        emit Withdrawal(token, from, to, amount, withdrawalId, messageId);
    }

    function _mint(address token, address account, uint256 amount) internal {
        _totalSupply[token] += amount;
        _setBalance(token, account, _balance(token, account) + amount);
    }

    function _burn(address token, address account, uint256 amount) internal {
        uint256 held = _balance(token, account);
        if (held < amount) revert InsufficientBalance(token, held, amount);
        _setBalance(token, account, held - amount);
        _totalSupply[token] -= amount;
    }

    function _balance(address token, address account) internal view returns (uint256 v) {
        bytes32 slot = SpnLayout.balanceSlot(token, account);
        assembly ("memory-safe") {
            v := sload(slot)
        }
    }

    function _setBalance(address token, address account, uint256 v) internal {
        bytes32 slot = SpnLayout.balanceSlot(token, account);
        assembly ("memory-safe") {
            sstore(slot, v)
        }
    }
}
