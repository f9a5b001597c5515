// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Adaptor} from "../../src/Adaptor.sol";
import {Bridge} from "../../src/Bridge.sol";
import {LiquidStake} from "../../src/LiquidStake.sol";
import {Mailbox} from "../../src/Mailbox.sol";
import {Management} from "../../src/Management.sol";
import {Registry} from "../../src/Registry.sol";
import {Restaking} from "../../src/Restaking.sol";
import {Staking} from "../../src/Staking.sol";
import {Checkpoint, CheckpointDigest} from "../../src/lib/Checkpoint.sol";
import {Message} from "../../src/lib/Message.sol";
import {SpnLayout} from "../../src/lib/SpnLayout.sol";
import {SlotProof, StateProof} from "../../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {Cheats} from "./Cheats.sol";
import {Lists} from "./Lists.sol";
import {MockEd25519, MockEd25519Batch, MockMpt, MockSig} from "./Mocks.sol";

/// Handles on the system contracts at their fixed addresses, and the helpers tests (and the
/// invariant handler) use to drive them: operators with proof of possession, active SPNs,
/// signed checkpoints, storage proofs the mock MPT precompile accepts, relayed messages.
/// Stateless: everything lives at the fixed addresses, so any contract can use it.
abstract contract SystemHelpers is Cheats, Lists {
    Registry internal constant registry = Registry(Sys.REGISTRY);
    Management internal constant management = Management(Sys.MANAGEMENT);
    Staking internal constant staking = Staking(Sys.STAKING);
    LiquidStake internal constant lst = LiquidStake(Sys.LST);
    Restaking internal constant restaking = Restaking(Sys.RESTAKING);
    Adaptor internal constant adaptor = Adaptor(Sys.ADAPTOR);
    Mailbox internal constant mailbox = Mailbox(Sys.MAILBOX);
    Bridge internal constant bridge = Bridge(Sys.BRIDGE);

    address internal constant ED25519 = address(0x0a01);
    address internal constant ED25519_BATCH = address(0x0a02);
    MockMpt internal constant mpt = MockMpt(address(0x0a03));

    address internal constant NATIVE = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;
    address internal constant SPN_OWNER = address(0x5000);

    // Genesis parameters of the fixture.
    uint256 internal constant STAKING_UNBONDING_DELAY = 7 days;
    uint256 internal constant MIN_VALIDATOR_STAKE = 100 ether;
    uint256 internal constant PARAM_DELAY = 2 days;
    uint256 internal constant MIN_SPN_STAKE = 10 ether;
    uint256 internal constant RESTAKING_UNBONDING_DELAY = 14 days;
    uint256 internal constant FORCE_BOND = 0.1 ether;

    // Default SPN parameters.
    uint64 internal constant FORCE_DELAY = 1 hours;
    uint64 internal constant EPOCH_LENGTH = 1 days;

    function _defaultParams() internal pure returns (Registry.Params memory) {
        return Registry.Params({
            checkpointInterval: 100,
            quorumBps: 6667,
            forceDelay: FORCE_DELAY,
            epochLength: EPOCH_LENGTH,
            minStake: MIN_SPN_STAKE,
            slashBps: 10_000,
            slashTo: address(0)
        });
    }

    function _mainnet() internal view returns (uint32) {
        return uint32(block.chainid);
    }

    function _b32(address a) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(a)));
    }

    /// Every system contract: the mainnet ones, then the SPN twins.
    function _systemContracts() internal pure returns (address[10] memory) {
        return [
            Sys.REGISTRY,
            Sys.MANAGEMENT,
            Sys.STAKING,
            Sys.LST,
            Sys.RESTAKING,
            Sys.ADAPTOR,
            Sys.MAILBOX,
            Sys.BRIDGE,
            Sys.SPN_MAILBOX,
            Sys.SPN_BRIDGE
        ];
    }

    /// `_systemContracts()` without `skip` (one of them), in the same order.
    function _systemContractsExcept(address skip) internal pure returns (address[9] memory out) {
        address[10] memory all = _systemContracts();
        uint256 n = 0;
        for (uint256 i = 0; i < all.length; i++) {
            if (all[i] != skip) out[n++] = all[i];
        }
    }

    // ---- accounts, keys, signatures ----

    function _operatorAddr(uint32 spnId, uint256 i) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("operator", spnId, i)))));
    }

    function _keyOf(address op) internal pure returns (bytes32) {
        return keccak256(abi.encode("ed25519 key", op));
    }

    function _sign(bytes32 key, bytes32 message) internal pure returns (bytes memory) {
        return MockSig.sign(key, message);
    }

    /// The operator's proof of possession for Restaking.registerOperator.
    function _pop(address op) internal view returns (bytes memory) {
        return _sign(_keyOf(op), restaking.registrationDigest(op));
    }

    function _registerOperator(address op) internal {
        if (restaking.operatorKey(op) != bytes32(0)) return;
        bytes32 key = _keyOf(op);
        bytes memory pop = _pop(op);
        vm.prank(op);
        restaking.registerOperator(key, pop);
    }

    /// `validator`'s proof of possession of `key` for Staking.registerValidator.
    function _validatorPop(address validator, bytes32 key) internal view returns (bytes memory) {
        return _sign(key, staking.registrationDigest(validator));
    }

    function _registerValidator(address validator, bytes32 key) internal {
        bytes memory pop = _validatorPop(validator, key);
        vm.prank(validator);
        staking.registerValidator(key, pop);
    }

    /// Stake `amount` native coin for `who`, minting as much LST.
    function _mintLst(address who, uint256 amount) internal {
        vm.deal(who, who.balance + amount);
        vm.prank(who);
        staking.stake{value: amount}();
    }

    function _restake(address op, uint32 spnId, uint256 amount) internal {
        _registerOperator(op);
        _mintLst(op, amount);
        vm.startPrank(op);
        lst.approve(Sys.RESTAKING, amount);
        restaking.restake(spnId, amount);
        vm.stopPrank();
    }

    // ---- SPNs ----

    function _registerSpn(uint32 spnId) internal {
        vm.prank(SPN_OWNER);
        management.register(spnId, "test-spn", Registry.ConsensusKind.Bft, _defaultParams());
    }

    /// Register `spnId`, restake `stakes[i]` by operator i, activate: epoch 1 has the operators
    /// in order 0..n-1.
    function _activeSpn(uint32 spnId, uint256[] memory stakes) internal {
        _registerSpn(spnId);
        for (uint256 i = 0; i < stakes.length; i++) {
            _restake(_operatorAddr(spnId, i), spnId, stakes[i]);
        }
        management.activate(spnId);
    }

    function _activeSpn(uint32 spnId, uint256 n, uint256 each) internal {
        uint256[] memory stakes = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            stakes[i] = each;
        }
        _activeSpn(spnId, stakes);
    }

    // ---- checkpoints ----

    function _checkpoint(uint32 spnId, uint64 height, bytes32 root)
        internal
        view
        returns (Checkpoint memory)
    {
        return Checkpoint({
            spnId: spnId,
            epoch: registry.currentEpoch(spnId),
            height: height,
            blockHash: keccak256(abi.encode("block", spnId, height, root)),
            stateRoot: root
        });
    }

    function _digest(Checkpoint memory c) internal view returns (bytes32) {
        return CheckpointDigest.digest(c, block.chainid, Sys.ADAPTOR);
    }

    /// Signatures of `c` by the epoch-set members at `indices` (indices must be in range).
    function _signatures(Checkpoint memory c, uint256[] memory indices)
        internal
        view
        returns (bytes[] memory sigs)
    {
        (, bytes32[] memory keys,,) = registry.epochSet(c.spnId, c.epoch);
        bytes32 d = _digest(c);
        sigs = new bytes[](indices.length);
        for (uint256 i = 0; i < indices.length; i++) {
            sigs[i] = _sign(keys[indices[i]], d);
        }
    }

    function _epochSize(uint32 spnId) internal view returns (uint256) {
        (address[] memory ops,,,) = registry.epochSet(spnId, registry.currentEpoch(spnId));
        return ops.length;
    }

    /// Finalize `root` at `height` with every member of the current epoch signing.
    function _finalize(uint32 spnId, uint64 height, bytes32 root) internal {
        Checkpoint memory c = _checkpoint(spnId, height, root);
        uint256[] memory idx = _range(_epochSize(spnId));
        bytes[] memory sigs = _signatures(c, idx);
        adaptor.submitCheckpoint(c, idx, sigs);
    }

    function _nextHeight(uint32 spnId) internal view returns (uint64) {
        return registry.latestCheckpoint(spnId).height + 100;
    }

    // ---- storage proofs (mock MPT precompile) ----

    function _storageRootFor(bytes32 stateRoot, address account) internal pure returns (bytes32) {
        return keccak256(abi.encode("storage root", stateRoot, account));
    }

    /// RLP of an account [nonce 0, balance 0, storageRoot, codeHash].
    function _accountRlp(bytes32 storageRoot) internal pure returns (bytes memory) {
        return abi.encodePacked(
            hex"f844", hex"80", hex"80", hex"a0", storageRoot, hex"a0", keccak256("code")
        );
    }

    function _oneNode(bytes memory node) internal pure returns (bytes[] memory p) {
        p = new bytes[](1);
        p[0] = node;
    }

    /// Have the mock MPT precompile accept that `account`'s `slot` holds `value` under
    /// `stateRoot`, and return the proof to pass.
    function _proveSlot(bytes32 stateRoot, address account, bytes32 slot, uint256 value)
        internal
        returns (SlotProof memory)
    {
        bytes32 storageRoot = _storageRootFor(stateRoot, account);
        bytes memory accountRlp = _accountRlp(storageRoot);
        mpt.allow(stateRoot, keccak256(abi.encodePacked(account)), accountRlp);
        mpt.allow(storageRoot, keccak256(abi.encode(slot)), StateProof.storageLeaf(value));
        return SlotProof(accountRlp, _oneNode(hex"01"), _oneNode(hex"02"));
    }

    /// A proof shaped like `_proveSlot`'s but that nothing registered.
    function _unprovenSlot(bytes32 stateRoot, address account)
        internal
        pure
        returns (SlotProof memory)
    {
        return SlotProof(
            _accountRlp(_storageRootFor(stateRoot, account)), _oneNode(hex"01"), _oneNode(hex"02")
        );
    }

    // ---- messages ----

    function _withdrawBody(address token, address to, uint256 amount, uint256 ref)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(uint8(2), token, to, amount, ref);
    }

    /// A withdrawal from the SPN Bridge of `spnId` to the mainnet Bridge.
    function _withdrawMessage(
        uint32 spnId,
        uint32 nonce,
        address token,
        address to,
        uint256 amount,
        uint256 ref
    ) internal view returns (bytes memory) {
        return Message.format(
            nonce,
            spnId,
            _b32(Sys.SPN_BRIDGE),
            _mainnet(),
            _b32(Sys.BRIDGE),
            _withdrawBody(token, to, amount, ref)
        );
    }

    /// Finalize a fresh checkpoint of `spnId` whose SPN Mailbox outbox holds `message`, and
    /// relay it through the Adaptor.
    function _relay(uint32 spnId, bytes memory message) internal returns (bytes32) {
        (uint64 height, SlotProof memory proof) = _prepareRelay(spnId, message);
        return adaptor.relayMessage(spnId, height, message, proof);
    }

    /// Everything `_relay` does but the relay itself (so a test can expect it to revert).
    function _prepareRelay(uint32 spnId, bytes memory message)
        internal
        returns (uint64 height, SlotProof memory proof)
    {
        height = _nextHeight(spnId);
        bytes32 root = keccak256(abi.encode("state root", spnId, height, message));
        _finalize(spnId, height, root);
        proof = _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(message)), 1);
    }

    /// Relay `message` against the already finalized `root` at `height`.
    function _relayAt(uint32 spnId, uint64 height, bytes32 root, bytes memory message)
        internal
        returns (bytes32)
    {
        SlotProof memory proof =
            _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(message)), 1);
        return adaptor.relayMessage(spnId, height, message, proof);
    }
}

/// Deploys every system contract with `new`, etches its runtime code onto its fixed address
/// (as the node's genesis predeploys it, without running constructors there) and runs each
/// initializer once at that address. The Pharos precompiles are replaced by mocks.
abstract contract SystemFixture is SystemHelpers {
    function setUp() public virtual {
        _deploySystem();
    }

    function _deploySystem() internal {
        vm.etch(ED25519, address(new MockEd25519()).code);
        vm.etch(ED25519_BATCH, address(new MockEd25519Batch()).code);
        vm.etch(address(mpt), address(new MockMpt()).code);

        vm.etch(Sys.REGISTRY, address(new Registry()).code);
        vm.etch(Sys.MANAGEMENT, address(new Management()).code);
        vm.etch(Sys.STAKING, address(new Staking()).code);
        vm.etch(Sys.LST, address(new LiquidStake()).code);
        vm.etch(Sys.RESTAKING, address(new Restaking()).code);
        vm.etch(Sys.ADAPTOR, address(new Adaptor()).code);
        vm.etch(Sys.MAILBOX, address(new Mailbox()).code);
        vm.etch(Sys.BRIDGE, address(new Bridge()).code);

        registry.initialize();
        management.initialize(PARAM_DELAY, MIN_SPN_STAKE);
        staking.initialize(STAKING_UNBONDING_DELAY, MIN_VALIDATOR_STAKE);
        restaking.initialize(RESTAKING_UNBONDING_DELAY);
        adaptor.initialize();
        mailbox.initialize();
        bridge.initialize(FORCE_BOND);

        vm.label(Sys.REGISTRY, "Registry");
        vm.label(Sys.MANAGEMENT, "Management");
        vm.label(Sys.STAKING, "Staking");
        vm.label(Sys.LST, "LST");
        vm.label(Sys.RESTAKING, "Restaking");
        vm.label(Sys.ADAPTOR, "Adaptor");
        vm.label(Sys.MAILBOX, "Mailbox");
        vm.label(Sys.BRIDGE, "Bridge");
    }

    receive() external payable {}
}
