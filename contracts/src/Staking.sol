// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {LiquidStake} from "./LiquidStake.sol";
import {Ed25519} from "./lib/Ed25519.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @title Staking
/// @notice Stake the native token, receive the LST one to one. Unbonding burns the LST and
///         pays the native token back after `unbondingDelay`. Accounts that register an
///         ed25519 key and keep at least `minValidatorStake` bonded form the validator set.
contract Staking is Initializable, ReentrancyGuard {
    struct Unbonding {
        uint256 amount;
        uint64 releaseAt;
    }

    bytes32 public constant REGISTER_TYPEHASH =
        keccak256("PharosSPN.RegisterValidator(uint256 chainId,address staking,address validator)");
    uint256 public constant MAX_VALIDATORS = 128;

    uint256 public unbondingDelay;
    uint256 public minValidatorStake;
    uint256 public totalBonded;
    mapping(address => uint256) public bonded;
    mapping(address => bytes32) public validatorKey;
    mapping(bytes32 => address) public keyOwner;
    address[] internal _validators;
    mapping(address => Unbonding[]) internal _unbondings;
    mapping(address => uint256) internal _validatorPosition; // index + 1 in _validators

    event Staked(address indexed account, uint256 amount);
    event ValidatorRegistered(address indexed account, bytes32 key);
    event ValidatorRemoved(address indexed account);
    event Unbonded(address indexed account, uint256 amount, uint64 releaseAt);
    event Withdrawn(address indexed account, uint256 amount);

    error ZeroAmount();
    error InvalidKey();
    error AlreadyRegistered();
    error InvalidProofOfPossession();
    error TooManyValidators();
    error InsufficientBond();
    error TooManyUnbondings();
    error NothingToWithdraw();
    error TransferFailed();

    constructor() {
        _disableInitializers();
    }

    function initialize(uint256 unbondingDelay_, uint256 minValidatorStake_) external initializer {
        unbondingDelay = unbondingDelay_;
        minValidatorStake = minValidatorStake_;
    }

    /// @notice Bond `msg.value` and receive as many LST.
    function stake() external payable nonReentrant {
        if (msg.value == 0) revert ZeroAmount();
        bonded[msg.sender] += msg.value;
        totalBonded += msg.value;
        LiquidStake(Sys.LST).mint(msg.sender, msg.value);
        emit Staked(msg.sender, msg.value);
    }

    /// @notice The message a validator's key signs to prove it holds the key.
    function registrationDigest(address validator) public view returns (bytes32) {
        return keccak256(abi.encode(REGISTER_TYPEHASH, block.chainid, address(this), validator));
    }

    /// @notice Register the caller as a validator with its ed25519 consensus key; `signature`
    ///         is the key's signature of `registrationDigest(msg.sender)`, so nobody can claim
    ///         (and block) a key they do not hold.
    function registerValidator(bytes32 key, bytes calldata signature) external {
        if (key == bytes32(0) || keyOwner[key] != address(0)) revert InvalidKey();
        if (validatorKey[msg.sender] != bytes32(0)) revert AlreadyRegistered();
        if (!Ed25519.verify(key, signature, abi.encodePacked(registrationDigest(msg.sender)))) {
            revert InvalidProofOfPossession();
        }
        if (bonded[msg.sender] < minValidatorStake) revert InsufficientBond();
        if (_validators.length >= MAX_VALIDATORS) revert TooManyValidators();
        validatorKey[msg.sender] = key;
        keyOwner[key] = msg.sender;
        _validators.push(msg.sender);
        _validatorPosition[msg.sender] = _validators.length;
        emit ValidatorRegistered(msg.sender, key);
    }

    /// @notice Start unbonding `amount`: burns that much of the caller's LST now, pays the
    ///         native token after the delay.
    function unbond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (bonded[msg.sender] < amount) revert InsufficientBond();
        if (_unbondings[msg.sender].length >= 32) revert TooManyUnbondings();
        bonded[msg.sender] -= amount;
        totalBonded -= amount;
        // A validator whose bond falls below the minimum leaves the set (and frees its seat).
        if (_validatorPosition[msg.sender] != 0 && bonded[msg.sender] < minValidatorStake) {
            _removeValidator(msg.sender);
        }
        LiquidStake(Sys.LST).burnFrom(msg.sender, amount);
        uint64 releaseAt = uint64(block.timestamp + unbondingDelay);
        _unbondings[msg.sender].push(Unbonding(amount, releaseAt));
        emit Unbonded(msg.sender, amount, releaseAt);
    }

    /// @notice Pay out every matured unbonding of the caller.
    function withdraw() external nonReentrant returns (uint256 paid) {
        Unbonding[] storage list = _unbondings[msg.sender];
        uint256 i = 0;
        while (i < list.length) {
            if (list[i].releaseAt <= block.timestamp) {
                paid += list[i].amount;
                list[i] = list[list.length - 1];
                list.pop();
            } else {
                i++;
            }
        }
        if (paid == 0) revert NothingToWithdraw();
        (bool ok,) = msg.sender.call{value: paid}("");
        if (!ok) revert TransferFailed();
        emit Withdrawn(msg.sender, paid);
    }

    function _removeValidator(address v) internal {
        uint256 index = _validatorPosition[v];
        address last = _validators[_validators.length - 1];
        _validators[index - 1] = last;
        _validatorPosition[last] = index;
        _validators.pop();
        delete _validatorPosition[v];
        delete keyOwner[validatorKey[v]];
        delete validatorKey[v];
        emit ValidatorRemoved(v);
    }

    function unbondings(address account) external view returns (Unbonding[] memory) {
        return _unbondings[account];
    }

    /// @notice The validator set: registered accounts with at least `minValidatorStake` bonded.
    function validators()
        external
        view
        returns (address[] memory accounts, bytes32[] memory keys, uint256[] memory stakes)
    {
        uint256 n = 0;
        for (uint256 i = 0; i < _validators.length; i++) {
            if (bonded[_validators[i]] >= minValidatorStake) n++;
        }
        accounts = new address[](n);
        keys = new bytes32[](n);
        stakes = new uint256[](n);
        uint256 j = 0;
        for (uint256 i = 0; i < _validators.length; i++) {
            address v = _validators[i];
            if (bonded[v] >= minValidatorStake) {
                accounts[j] = v;
                keys[j] = validatorKey[v];
                stakes[j] = bonded[v];
                j++;
            }
        }
    }
}
