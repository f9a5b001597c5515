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
///         A validator whose key signs two different votes for one (height, round, kind) of
///         the mainnet's BFT consensus is slashed on evidence anyone may submit
///         (`slashDoubleSign`).
contract Staking is Initializable, ReentrancyGuard {
    struct Unbonding {
        uint256 amount;
        uint64 releaseAt;
    }

    bytes32 public constant REGISTER_TYPEHASH =
        keccak256("PharosSPN.RegisterValidator(uint256 chainId,address staking,address validator)");
    uint256 public constant MAX_VALIDATORS = 128;
    /// Domain tag of the mainnet BFT consensus' vote signatures (see `voteDigestBytes`).
    bytes public constant VOTE_DOMAIN = "pharos-bft-vote-v1";
    /// Vote kinds of the BFT consensus.
    uint8 public constant PREVOTE = 1;
    uint8 public constant PRECOMMIT = 2;
    /// The share of a double-signer's bond and of each of its pending unbondings that
    /// `slashDoubleSign` takes, in basis points: everything.
    uint256 public constant DOUBLE_SIGN_SLASH_BPS = 10_000;

    uint256 public unbondingDelay;
    uint256 public minValidatorStake;
    uint256 public totalBonded;
    mapping(address => uint256) public bonded;
    mapping(address => bytes32) public validatorKey;
    mapping(bytes32 => address) public keyOwner;
    address[] internal _validators;
    mapping(address => Unbonding[]) internal _unbondings;
    mapping(address => uint256) internal _validatorPosition; // index + 1 in _validators
    /// Native coin taken by double-sign slashing. It stays in this contract for good: no
    /// account's bond or unbonding accounts for it, so nothing ever pays it out.
    uint256 public totalSlashed;
    /// Keys slashed for double signing: never registrable again.
    mapping(bytes32 => bool) public keyBanned;
    /// The last account that held a key which has since left the validator set, and when it
    /// left: evidence against the key still reaches that account's bond and pending
    /// unbondings for `unbondingDelay` after it left (while what it unbonded on leaving is
    /// still here). Later, a key its owner gave up (and may have leaked) slashes nobody.
    mapping(bytes32 => address) public formerKeyOwner;
    mapping(bytes32 => uint256) public keyLeftAt;
    /// Double-sign evidence already used, per key and height.
    mapping(bytes32 => mapping(uint64 => bool)) public doubleSignEvidenceUsed;

    event Staked(address indexed account, uint256 amount);
    event ValidatorRegistered(address indexed account, bytes32 key);
    event ValidatorRemoved(address indexed account);
    event Unbonded(address indexed account, uint256 amount, uint64 releaseAt);
    event Withdrawn(address indexed account, uint256 amount);
    /// `validator`'s `key` signed two different votes of `kind` at (`height`, `round`); it lost
    /// `amount` of native coin (bonded and unbonding) and left the validator set.
    event DoubleSignSlashed(
        address indexed validator,
        bytes32 key,
        uint64 height,
        uint32 round,
        uint8 kind,
        uint256 amount
    );

    error ZeroAmount();
    error InvalidKey();
    error AlreadyRegistered();
    error InvalidProofOfPossession();
    error TooManyValidators();
    error InsufficientBond();
    error TooManyUnbondings();
    error NothingToWithdraw();
    error TransferFailed();
    error KeyBanned();
    error InvalidVoteKind(uint8 kind);
    error NotDoubleSign();
    error InvalidSignature();
    error UnknownKey();
    error EvidenceAlreadyUsed();
    error KeyAlreadySlashed();
    error EvidenceExpired();

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
        if (keyBanned[key]) revert KeyBanned();
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
    ///         native token after the delay. Pending unbondings stay slashable for double
    ///         signing until withdrawn.
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

    /// @notice The exact bytes a validator's consensus key signs for a vote of the mainnet's
    ///         BFT consensus (all integers big-endian, no padding):
    ///         "pharos-bft-vote-v1" ‖ chainId (uint64) ‖ height (uint64) ‖ round (uint32) ‖
    ///         kind (uint8: 1 prevote, 2 precommit) ‖ blockHash (bytes32; zero for nil).
    function voteDigestBytes(uint64 height, uint32 round, uint8 kind, bytes32 blockHash)
        public
        view
        returns (bytes memory)
    {
        return abi.encodePacked(VOTE_DOMAIN, uint64(block.chainid), height, round, kind, blockHash);
    }

    /// @notice Slash the validator whose consensus `key` signed two different votes (`hashA`
    ///         and `hashB`, either of them may be nil, i.e. zero) of one `kind` at one
    ///         (`height`, `round`): `sigA` and `sigB` are the key's ed25519 signatures of
    ///         `voteDigestBytes(height, round, kind, hashA)` and `(…, hashB)`. Anyone may submit
    ///         the evidence; a key is slashed at most once per height, whatever the round or
    ///         kind, and once slashed never again (nor registered again).
    /// @dev The offender loses `DOUBLE_SIGN_SLASH_BPS` (everything) of its bond and of each
    ///      pending unbonding; the native coin stays locked here (`totalSlashed`). It leaves the
    ///      validator set. Evidence against a key that already left the set (its owner unbonded
    ///      below the minimum) still reaches the former owner's pending unbondings and bond
    ///      through `formerKeyOwner`, so unbonding right after double signing does not escape;
    ///      it must arrive within `unbondingDelay` of the key leaving (`EvidenceExpired`).
    ///      The LST minted for the slashed bond is burned from what the offender still holds
    ///      (at most the bond slashed); LST it transferred or restaked is not touched, and that
    ///      LST is backed by nobody's bond any more: a slashed account cannot unbond what it no
    ///      longer has bonded, whatever LST it holds.
    function slashDoubleSign(
        uint64 height,
        uint32 round,
        uint8 kind,
        bytes32 hashA,
        bytes calldata sigA,
        bytes32 hashB,
        bytes calldata sigB,
        bytes32 key
    ) external nonReentrant returns (uint256 slashed) {
        if (kind != PREVOTE && kind != PRECOMMIT) revert InvalidVoteKind(kind);
        if (hashA == hashB) revert NotDoubleSign();
        if (
            !Ed25519.verify(key, sigA, voteDigestBytes(height, round, kind, hashA))
                || !Ed25519.verify(key, sigB, voteDigestBytes(height, round, kind, hashB))
        ) revert InvalidSignature();
        address offender = _offender(key, height);
        doubleSignEvidenceUsed[key][height] = true;
        keyBanned[key] = true;
        slashed = _slashAll(offender);
        emit DoubleSignSlashed(offender, key, height, round, kind, slashed);
    }

    /// The account double-sign evidence against `key` at `height` slashes: the key's owner, or
    /// its former owner if the key left the validator set less than `unbondingDelay` ago.
    function _offender(bytes32 key, uint64 height) internal view returns (address offender) {
        offender = keyOwner[key];
        bool departed = offender == address(0);
        if (departed) offender = formerKeyOwner[key];
        if (offender == address(0)) revert UnknownKey();
        if (doubleSignEvidenceUsed[key][height]) revert EvidenceAlreadyUsed();
        if (keyBanned[key]) revert KeyAlreadySlashed();
        if (departed && block.timestamp >= keyLeftAt[key] + unbondingDelay) {
            revert EvidenceExpired();
        }
    }

    /// Take `DOUBLE_SIGN_SLASH_BPS` of `offender`'s bond and of each pending unbonding, burn the
    /// LST it still holds for the bond taken (as much as it holds), and remove it from the
    /// validator set.
    function _slashAll(address offender) internal returns (uint256 slashed) {
        uint256 fromBond = _slashShare(bonded[offender]);
        bonded[offender] -= fromBond;
        totalBonded -= fromBond;
        slashed = fromBond;
        Unbonding[] storage list = _unbondings[offender];
        uint256 i = 0;
        while (i < list.length) {
            uint256 cut = _slashShare(list[i].amount);
            slashed += cut;
            if (cut == list[i].amount) {
                list[i] = list[list.length - 1];
                list.pop();
            } else {
                list[i].amount -= cut;
                i++;
            }
        }
        totalSlashed += slashed;
        if (_validatorPosition[offender] != 0) _removeValidator(offender);
        uint256 held = LiquidStake(Sys.LST).balanceOf(offender);
        uint256 burn = held < fromBond ? held : fromBond;
        if (burn != 0) LiquidStake(Sys.LST).burnFrom(offender, burn);
    }

    /// `DOUBLE_SIGN_SLASH_BPS` basis points of `x`, rounded up (at most `x`).
    function _slashShare(uint256 x) internal pure returns (uint256) {
        if (DOUBLE_SIGN_SLASH_BPS >= 10_000) return x;
        return (x * DOUBLE_SIGN_SLASH_BPS + 9_999) / 10_000;
    }

    function _removeValidator(address v) internal {
        uint256 index = _validatorPosition[v];
        address last = _validators[_validators.length - 1];
        _validators[index - 1] = last;
        _validatorPosition[last] = index;
        _validators.pop();
        delete _validatorPosition[v];
        formerKeyOwner[validatorKey[v]] = v;
        keyLeftAt[validatorKey[v]] = block.timestamp;
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
