// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Management} from "../src/Management.sol";
import {Registry} from "../src/Registry.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";

/// Management (the SPN lifecycle) and the Registry records it writes.
contract ManagementTest is SystemFixture {
    uint32 internal constant SPN = 7;

    function test_InitializersCannotBeRerun() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        management.initialize(1, 1);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        registry.initialize();
        assertEq(management.paramDelay(), PARAM_DELAY, "delay");
        assertEq(management.minSpnStake(), MIN_SPN_STAKE, "min stake");
    }

    // ---- register ----

    function test_RegisterRecordsSpn() public {
        vm.warp(1000);
        vm.prank(SPN_OWNER);
        uint32 id = management.register(SPN, "alpha", Registry.ConsensusKind.Poa, _defaultParams());
        assertEq(id, SPN, "id");
        Registry.Spn memory s = registry.spn(SPN);
        assertEq(s.owner, SPN_OWNER, "owner");
        assertTrue(s.status == Registry.Status.Registered, "registered");
        assertTrue(s.consensus == Registry.ConsensusKind.Poa, "consensus");
        assertEq(s.registeredAt, 1000, "registeredAt");
        assertEq(s.currentEpoch, 0, "no epoch yet");
        assertEq(bytes(s.name), bytes("alpha"), "name");
        assertEq(s.params.forceDelay, FORCE_DELAY, "params");
        assertEq(registry.spnCount(), 1, "count");
        assertEq(registry.spnIds()[0], SPN, "ids");
        assertEq(registry.ownerOf(SPN), SPN_OWNER, "ownerOf");
    }

    function test_RegisterRejectsBadIds() public {
        Registry.Params memory p = _defaultParams();
        vm.expectRevert(abi.encodeWithSelector(Management.InvalidSpnId.selector, uint32(0)));
        management.register(0, "x", Registry.ConsensusKind.Bft, p);
        uint32 mainnet = uint32(block.chainid);
        vm.expectRevert(abi.encodeWithSelector(Management.InvalidSpnId.selector, mainnet));
        management.register(mainnet, "x", Registry.ConsensusKind.Bft, p);
    }

    function test_RegisterRejectsBadNames() public {
        Registry.Params memory p = _defaultParams();
        vm.expectRevert(Management.InvalidName.selector);
        management.register(SPN, "", Registry.ConsensusKind.Bft, p);
        string memory long = "0123456789012345678901234567890123456789012345678901234567890123X";
        vm.expectRevert(Management.InvalidName.selector);
        management.register(SPN, long, Registry.ConsensusKind.Bft, p);
        // 64 bytes is fine.
        management.register(
            SPN,
            "0123456789012345678901234567890123456789012345678901234567890123",
            Registry.ConsensusKind.Bft,
            p
        );
    }

    function test_RegisterTwiceReverts() public {
        _registerSpn(SPN);
        Registry.Params memory p = _defaultParams();
        vm.expectRevert(abi.encodeWithSelector(Registry.AlreadyRegistered.selector, SPN));
        management.register(SPN, "again", Registry.ConsensusKind.Bft, p);
    }

    function _expectBadParams(Registry.Params memory p, string memory reason) internal {
        vm.expectRevert(abi.encodeWithSelector(Management.InvalidParams.selector, reason));
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        _registerSpnIfNeeded();
        vm.prank(SPN_OWNER);
        vm.expectRevert(abi.encodeWithSelector(Management.InvalidParams.selector, reason));
        management.proposeParams(SPN + 1, p);
    }

    function _registerSpnIfNeeded() internal {
        if (registry.status(SPN + 1) == Registry.Status.None) _registerSpn(SPN + 1);
    }

    function test_BadParamsRejected() public {
        Registry.Params memory p = _defaultParams();
        p.checkpointInterval = 0;
        _expectBadParams(p, "checkpointInterval is zero");
        p = _defaultParams();
        p.quorumBps = 6666;
        _expectBadParams(p, "quorumBps must be within 6667..10000");
        p.quorumBps = 10_001;
        _expectBadParams(p, "quorumBps must be within 6667..10000");
        p = _defaultParams();
        p.forceDelay = 59;
        _expectBadParams(p, "forceDelay must be within 60 s..30 days");
        p.forceDelay = 30 days + 1;
        _expectBadParams(p, "forceDelay must be within 60 s..30 days");
        p = _defaultParams();
        p.epochLength = 0;
        _expectBadParams(p, "epochLength is zero");
        p = _defaultParams();
        p.epochLength = uint64(RESTAKING_UNBONDING_DELAY / 2);
        _expectBadParams(p, TWO_EPOCHS_VS_UNBONDING);
        p = _defaultParams();
        p.minStake = MIN_SPN_STAKE - 1;
        _expectBadParams(p, "minStake below the network minimum");
    }

    function test_BoundaryParamsAccepted() public {
        Registry.Params memory p = _defaultParams();
        p.quorumBps = 6667;
        p.forceDelay = 60;
        management.register(SPN, "lo", Registry.ConsensusKind.Solo, p);
        p.quorumBps = 10_000;
        // The highest force delay the fixture's restaking unbonding delay (14 days) allows.
        p.forceDelay = uint64(RESTAKING_UNBONDING_DELAY - 1);
        management.register(SPN + 1, "hi", Registry.ConsensusKind.Solo, p);
        assertEq(registry.params(SPN + 1).forceDelay, RESTAKING_UNBONDING_DELAY - 1, "hi");
    }

    function test_MaxForceDelayAcceptedWithLongerUnbonding() public {
        _setRestakingUnbondingDelay(30 days + 1);
        Registry.Params memory p = _defaultParams();
        p.forceDelay = 30 days;
        management.register(SPN, "hi", Registry.ConsensusKind.Solo, p);
        assertEq(registry.params(SPN).forceDelay, 30 days, "30 days");
    }

    // ---- forceDelay vs the restaking unbonding delay ----

    string internal constant FORCE_VS_UNBONDING =
        "forceDelay must be shorter than the restaking unbonding delay";

    function test_RegisterRejectsForceDelayNotShorterThanUnbonding() public {
        Registry.Params memory p = _defaultParams();
        p.forceDelay = uint64(RESTAKING_UNBONDING_DELAY);
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.InvalidParams.selector, FORCE_VS_UNBONDING)
        );
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        p.forceDelay = uint64(RESTAKING_UNBONDING_DELAY + 1);
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.InvalidParams.selector, FORCE_VS_UNBONDING)
        );
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        // Still within 60 s..30 days, so only the new rule refuses them.
        assertLe(RESTAKING_UNBONDING_DELAY + 1, management.MAX_FORCE_DELAY(), "in range");
        assertTrue(registry.status(SPN) == Registry.Status.None, "not registered");
        // One second shorter is fine.
        p.forceDelay = uint64(RESTAKING_UNBONDING_DELAY - 1);
        vm.prank(SPN_OWNER);
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        assertTrue(registry.status(SPN) == Registry.Status.Registered, "registered");
    }

    function test_ProposeParamsRejectsForceDelayNotShorterThanUnbonding() public {
        _registerSpn(SPN);
        Registry.Params memory p = _defaultParams();
        p.forceDelay = uint64(RESTAKING_UNBONDING_DELAY);
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.InvalidParams.selector, FORCE_VS_UNBONDING)
        );
        management.proposeParams(SPN, p);
        p.forceDelay = 30 days;
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.InvalidParams.selector, FORCE_VS_UNBONDING)
        );
        management.proposeParams(SPN, p);
        assertEq(management.pendingParams(SPN).effectiveAt, 0, "nothing pending");
        p.forceDelay = uint64(RESTAKING_UNBONDING_DELAY - 1);
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN, p);
        assertEq(
            management.pendingParams(SPN).params.forceDelay,
            RESTAKING_UNBONDING_DELAY - 1,
            "proposed"
        );
    }

    function test_ForceDelayRuleFollowsRestakingUnbondingDelay() public {
        // The bound is read from Restaking, not fixed: a shorter unbonding delay tightens it.
        // (SPN + 1, for the proposals, is registered while the default params still fit.)
        _registerSpn(SPN + 1);
        _setRestakingUnbondingDelay(2 hours);
        Registry.Params memory p = _defaultParams();
        // Two epochs must fit in the shorter delay too (tested on its own below).
        p.epochLength = 30 minutes;
        p.forceDelay = 2 hours;
        _expectBadParams(p, FORCE_VS_UNBONDING);
        p.forceDelay = 2 hours - 1;
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN + 1, p);
    }

    // ---- two epochs vs the restaking unbonding delay ----

    string internal constant TWO_EPOCHS_VS_UNBONDING =
        "two epochs must be shorter than the restaking unbonding delay";

    function test_RegisterRejectsTwoEpochsNotShorterThanUnbonding() public {
        Registry.Params memory p = _defaultParams();
        // 2 × 7 days == the 14-day unbonding delay: refused.
        p.epochLength = uint64(RESTAKING_UNBONDING_DELAY / 2);
        assertEq(2 * p.epochLength, RESTAKING_UNBONDING_DELAY, "two epochs == unbonding");
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.InvalidParams.selector, TWO_EPOCHS_VS_UNBONDING)
        );
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        // Longer ones too, up to the largest epoch length (no overflow in 2 × epochLength).
        p.epochLength = uint64(RESTAKING_UNBONDING_DELAY);
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.InvalidParams.selector, TWO_EPOCHS_VS_UNBONDING)
        );
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        p.epochLength = type(uint64).max;
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.InvalidParams.selector, TWO_EPOCHS_VS_UNBONDING)
        );
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        assertTrue(registry.status(SPN) == Registry.Status.None, "not registered");
        // One second shorter is fine.
        p.epochLength = uint64(RESTAKING_UNBONDING_DELAY / 2 - 1);
        vm.prank(SPN_OWNER);
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        assertEq(registry.params(SPN).epochLength, RESTAKING_UNBONDING_DELAY / 2 - 1, "stored");
    }

    function test_ProposeParamsRejectsTwoEpochsNotShorterThanUnbonding() public {
        _registerSpn(SPN);
        Registry.Params memory p = _defaultParams();
        p.epochLength = uint64(RESTAKING_UNBONDING_DELAY / 2);
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.InvalidParams.selector, TWO_EPOCHS_VS_UNBONDING)
        );
        management.proposeParams(SPN, p);
        assertEq(management.pendingParams(SPN).effectiveAt, 0, "nothing pending");
        p.epochLength = uint64(RESTAKING_UNBONDING_DELAY / 2 - 1);
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN, p);
        assertEq(
            management.pendingParams(SPN).params.epochLength,
            RESTAKING_UNBONDING_DELAY / 2 - 1,
            "proposed"
        );
    }

    function test_TwoEpochRuleExactBoundaryWithOddUnbondingDelay() public {
        // With an odd unbonding delay 2E + 1, epoch length E leaves exactly one second
        // (2E == delay - 1: accepted); with delay 2E, E is refused (2E == delay).
        uint64 e = 3 days;
        _setRestakingUnbondingDelay(2 * uint256(e) + 1);
        Registry.Params memory p = _defaultParams();
        p.epochLength = e;
        vm.prank(SPN_OWNER);
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        _setRestakingUnbondingDelay(2 * uint256(e));
        _expectBadParams(p, TWO_EPOCHS_VS_UNBONDING);
        p.epochLength = e - 1;
        management.register(SPN + 2, "y", Registry.ConsensusKind.Bft, p);
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN + 1, p);
    }

    function test_ForceDelayRuleCheckedBeforeTwoEpochRule() public {
        // Both rules broken: the force-delay one is reported.
        Registry.Params memory p = _defaultParams();
        p.forceDelay = uint64(RESTAKING_UNBONDING_DELAY);
        p.epochLength = uint64(RESTAKING_UNBONDING_DELAY);
        _expectBadParams(p, FORCE_VS_UNBONDING);
        // Only the epoch rule broken.
        p.forceDelay = FORCE_DELAY;
        _expectBadParams(p, TWO_EPOCHS_VS_UNBONDING);
    }

    function test_TwoEpochRuleDoesNotTouchExistingParams() public {
        // Params accepted earlier stay in force (and rotate) if the unbonding delay shrinks;
        // only new proposals are checked against it.
        _activeSpn(SPN, 1, MIN_SPN_STAKE);
        _setRestakingUnbondingDelay(2 * uint256(EPOCH_LENGTH));
        vm.warp(block.timestamp + EPOCH_LENGTH);
        management.rotateEpoch(SPN);
        assertEq(registry.currentEpoch(SPN), 2, "rotated");
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.InvalidParams.selector, TWO_EPOCHS_VS_UNBONDING)
        );
        management.proposeParams(SPN, _defaultParams());
    }

    /// Accepted iff 2 × epochLength < the restaking unbonding delay (other params valid).
    function testFuzz_TwoEpochRule(uint64 epochLength, uint32 unbonding) public {
        uint256 d = bound(unbonding, 2 hours, 60 days);
        _setRestakingUnbondingDelay(d);
        Registry.Params memory p = _defaultParams();
        p.epochLength = uint64(bound(epochLength, 1, d));
        bool ok = 2 * uint256(p.epochLength) < d;
        if (!ok) {
            vm.expectRevert(
                abi.encodeWithSelector(Management.InvalidParams.selector, TWO_EPOCHS_VS_UNBONDING)
            );
        }
        management.register(SPN, "x", Registry.ConsensusKind.Bft, p);
        assertTrue((registry.status(SPN) == Registry.Status.Registered) == ok, "registered iff ok");
    }

    /// Overwrite Restaking's `unbondingDelay` (storage slot 0: Initializable and
    /// ReentrancyGuard keep theirs in namespaced slots).
    function _setRestakingUnbondingDelay(uint256 d) internal {
        vm.store(Sys.RESTAKING, bytes32(0), bytes32(d));
        assertEq(restaking.unbondingDelay(), d, "unbonding delay set");
    }

    // ---- activate ----

    function test_ActivateSnapshotsFirstEpoch() public {
        _registerSpn(SPN);
        _restake(_operatorAddr(SPN, 0), SPN, 6 ether);
        _restake(_operatorAddr(SPN, 1), SPN, 4 ether);
        // An operator that left entirely is not in the set.
        address gone = _operatorAddr(SPN, 2);
        _restake(gone, SPN, 1 ether);
        vm.prank(gone);
        restaking.unstake(SPN, 1 ether);
        vm.warp(500);
        vm.prank(address(0xCAFE)); // anyone may activate
        management.activate(SPN);
        Registry.Spn memory s = registry.spn(SPN);
        assertTrue(s.status == Registry.Status.Active, "active");
        assertEq(s.currentEpoch, 1, "epoch 1");
        assertEq(s.epochStartedAt, 500, "started");
        (address[] memory ops, bytes32[] memory keys, uint256[] memory stakes, uint256 total) =
            registry.epochSet(SPN, 1);
        assertEq(ops.length, 2, "two operators");
        assertEq(ops[0], _operatorAddr(SPN, 0), "op0");
        assertEq(keys[1], _keyOf(_operatorAddr(SPN, 1)), "key1");
        assertEq(stakes[0], 6 ether, "stake0");
        assertEq(total, 10 ether, "total");
    }

    function test_ActivateRequiresRegistered() public {
        vm.expectRevert(
            abi.encodeWithSelector(Management.WrongStatus.selector, Registry.Status.None)
        );
        management.activate(SPN);
        _activeSpn(SPN, 1, MIN_SPN_STAKE);
        vm.expectRevert(
            abi.encodeWithSelector(Management.WrongStatus.selector, Registry.Status.Active)
        );
        management.activate(SPN);
    }

    function test_ActivateRequiresMinimumStake() public {
        _registerSpn(SPN);
        vm.expectRevert(
            abi.encodeWithSelector(Management.NotEnoughStake.selector, 0, MIN_SPN_STAKE)
        );
        management.activate(SPN);
        // Two operators, each at least the operator minimum, one wei short together.
        uint256 minOp = restaking.MIN_OPERATOR_STAKE();
        _restake(_operatorAddr(SPN, 0), SPN, MIN_SPN_STAKE - minOp - 1);
        _restake(_operatorAddr(SPN, 1), SPN, minOp);
        vm.expectRevert(
            abi.encodeWithSelector(
                Management.NotEnoughStake.selector, MIN_SPN_STAKE - 1, MIN_SPN_STAKE
            )
        );
        management.activate(SPN);
        // An operator above the minimum may top up by as little as one wei.
        _restake(_operatorAddr(SPN, 1), SPN, 1);
        management.activate(SPN);
    }

    // ---- rotateEpoch ----

    function test_RotateEpochAfterEpochLength() public {
        _activeSpn(SPN, 2, 5 ether);
        uint64 started = registry.spn(SPN).epochStartedAt;
        uint64 endsAt = started + EPOCH_LENGTH;
        vm.warp(endsAt - 1);
        vm.expectRevert(abi.encodeWithSelector(Management.EpochNotOver.selector, endsAt));
        management.rotateEpoch(SPN);
        // Stake changes show in the next snapshot.
        _restake(_operatorAddr(SPN, 2), SPN, 6 ether);
        vm.prank(_operatorAddr(SPN, 0));
        restaking.unstake(SPN, 5 ether);
        vm.warp(endsAt);
        management.rotateEpoch(SPN);
        assertEq(registry.currentEpoch(SPN), 2, "epoch 2");
        (address[] memory ops,,, uint256 total) = registry.epochSet(SPN, 2);
        assertEq(ops.length, 2, "op0 left, op2 joined");
        assertEq(ops[0], _operatorAddr(SPN, 1), "op1");
        assertEq(ops[1], _operatorAddr(SPN, 2), "op2");
        assertEq(total, 11 ether, "total");
        // Epoch 1 is kept as it was.
        (ops,,, total) = registry.epochSet(SPN, 1);
        assertEq(total, 10 ether, "epoch 1 unchanged");
    }

    function test_RotateEpochRequiresActive() public {
        _registerSpn(SPN);
        vm.expectRevert(
            abi.encodeWithSelector(Management.WrongStatus.selector, Registry.Status.Registered)
        );
        management.rotateEpoch(SPN);
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        vm.expectRevert(
            abi.encodeWithSelector(Management.WrongStatus.selector, Registry.Status.Retired)
        );
        management.rotateEpoch(SPN);
    }

    function test_RotateEpochRequiresMinimumStake() public {
        _activeSpn(SPN, 2, 5 ether);
        vm.prank(_operatorAddr(SPN, 0));
        restaking.unstake(SPN, 1);
        vm.warp(block.timestamp + EPOCH_LENGTH);
        vm.expectRevert(
            abi.encodeWithSelector(
                Management.NotEnoughStake.selector, MIN_SPN_STAKE - 1, MIN_SPN_STAKE
            )
        );
        management.rotateEpoch(SPN);
    }

    // ---- parameters ----

    function test_ActiveSpnParamsApplyAtTheNextRotation() public {
        _activeSpn(SPN, 1, MIN_SPN_STAKE);
        Registry.Params memory p = _defaultParams();
        p.quorumBps = 9000;
        uint256 t0 = block.timestamp;
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN, p);
        vm.warp(t0 + PARAM_DELAY + EPOCH_LENGTH);
        // Not mid-epoch: the epoch's rules never move under it.
        vm.expectRevert(
            abi.encodeWithSelector(Management.WrongStatus.selector, Registry.Status.Active)
        );
        management.applyParams(SPN);
        assertEq(registry.params(SPN).quorumBps, 6667, "not applied mid-epoch");
        management.rotateEpoch(SPN);
        assertEq(registry.params(SPN).quorumBps, 9000, "applied at rotation");
        assertEq(management.pendingParams(SPN).effectiveAt, 0, "cleared");
    }

    function test_RetiredSpnKeepsRotating() public {
        _activeSpn(SPN, 1, MIN_SPN_STAKE);
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        vm.warp(block.timestamp + EPOCH_LENGTH);
        management.rotateEpoch(SPN);
        assertEq(registry.currentEpoch(SPN), 2, "rotated while retired");
    }

    function test_ProposeThenApplyAfterDelay() public {
        _registerSpn(SPN);
        Registry.Params memory p = _defaultParams();
        p.quorumBps = 9000;
        p.forceDelay = 2 hours;
        uint256 t0 = block.timestamp;
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN, p);
        Management.PendingParams memory pending = management.pendingParams(SPN);
        assertEq(pending.effectiveAt, t0 + PARAM_DELAY, "effectiveAt");
        assertEq(pending.params.quorumBps, 9000, "pending params");
        assertEq(registry.params(SPN).quorumBps, 6667, "not yet applied");

        vm.warp(t0 + PARAM_DELAY - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                Management.ParamsNotYetEffective.selector, uint64(t0 + PARAM_DELAY)
            )
        );
        management.applyParams(SPN);

        vm.warp(t0 + PARAM_DELAY);
        vm.prank(address(0xCAFE)); // anyone may apply
        management.applyParams(SPN);
        assertEq(registry.params(SPN).quorumBps, 9000, "applied");
        assertEq(registry.params(SPN).forceDelay, 2 hours, "applied");
        assertEq(management.pendingParams(SPN).effectiveAt, 0, "cleared");
        vm.expectRevert(Management.NoPendingParams.selector);
        management.applyParams(SPN);
    }

    function test_ApplyWithoutProposalReverts() public {
        _registerSpn(SPN);
        vm.expectRevert(Management.NoPendingParams.selector);
        management.applyParams(SPN);
    }

    function test_ProposeParamsOnlyOwner() public {
        _registerSpn(SPN);
        Registry.Params memory p = _defaultParams();
        vm.prank(address(0xBAD));
        vm.expectRevert(Management.NotOwner.selector);
        management.proposeParams(SPN, p);
        // An unknown SPN has no owner.
        vm.prank(SPN_OWNER);
        vm.expectRevert(Management.NotOwner.selector);
        management.proposeParams(SPN + 1, p);
    }

    function test_NewProposalRestartsDelay() public {
        _registerSpn(SPN);
        Registry.Params memory p = _defaultParams();
        p.quorumBps = 7000;
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN, p);
        vm.warp(block.timestamp + PARAM_DELAY - 1);
        p.quorumBps = 8000;
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN, p);
        vm.warp(block.timestamp + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                Management.ParamsNotYetEffective.selector, uint64(block.timestamp - 1 + PARAM_DELAY)
            )
        );
        management.applyParams(SPN);
    }

    function test_RotateEpochAppliesDueParams() public {
        _activeSpn(SPN, 2, 10 ether);
        Registry.Params memory p = _defaultParams();
        p.minStake = 15 ether;
        p.epochLength = 2 days;
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN, p);
        vm.warp(block.timestamp + PARAM_DELAY);
        management.rotateEpoch(SPN);
        assertEq(registry.params(SPN).minStake, 15 ether, "applied at rotation");
        assertEq(management.pendingParams(SPN).effectiveAt, 0, "cleared");
        // A minimum the stake does not reach blocks rotation.
        p.minStake = 21 ether;
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN, p);
        vm.warp(block.timestamp + PARAM_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(Management.NotEnoughStake.selector, 20 ether, 21 ether)
        );
        management.rotateEpoch(SPN);
    }

    function test_RotateEpochLeavesParamsNotYetDue() public {
        _activeSpn(SPN, 1, 10 ether);
        vm.warp(block.timestamp + EPOCH_LENGTH);
        Registry.Params memory p = _defaultParams();
        p.quorumBps = 7000;
        vm.prank(SPN_OWNER);
        management.proposeParams(SPN, p);
        management.rotateEpoch(SPN);
        assertEq(registry.params(SPN).quorumBps, 6667, "not yet due");
        assertTrue(management.pendingParams(SPN).effectiveAt != 0, "still pending");
    }

    // ---- retire / freeze ----

    function test_RetireByOwner() public {
        _activeSpn(SPN, 1, MIN_SPN_STAKE);
        vm.prank(address(0xBAD));
        vm.expectRevert(Management.NotOwner.selector);
        management.retire(SPN);
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        assertTrue(registry.status(SPN) == Registry.Status.Retired, "retired");
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.WrongStatus.selector, Registry.Status.Retired)
        );
        management.retire(SPN);
    }

    function test_RetireRegistered() public {
        _registerSpn(SPN);
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        assertTrue(registry.status(SPN) == Registry.Status.Retired, "retired");
    }

    function test_RetireFrozenReverts() public {
        _activeSpn(SPN, 1, MIN_SPN_STAKE);
        vm.prank(Sys.BRIDGE);
        management.freeze(SPN);
        vm.prank(SPN_OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(Management.WrongStatus.selector, Registry.Status.Frozen)
        );
        management.retire(SPN);
    }

    function test_FreezeOnlyBridge() public {
        _activeSpn(SPN, 1, MIN_SPN_STAKE);
        vm.prank(SPN_OWNER);
        vm.expectRevert(Management.OnlyBridge.selector);
        management.freeze(SPN);
    }

    function test_FreezeStatusRules() public {
        _registerSpn(SPN);
        vm.prank(Sys.BRIDGE);
        vm.expectRevert(
            abi.encodeWithSelector(Management.WrongStatus.selector, Registry.Status.Registered)
        );
        management.freeze(SPN);
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        vm.prank(Sys.BRIDGE);
        management.freeze(SPN); // a retired SPN can still be frozen
        assertTrue(registry.status(SPN) == Registry.Status.Frozen, "frozen");
        vm.prank(Sys.BRIDGE);
        vm.expectRevert(
            abi.encodeWithSelector(Management.WrongStatus.selector, Registry.Status.Frozen)
        );
        management.freeze(SPN);
    }

    // ---- Registry guards ----

    function test_RegistryWritesOnlyByManagement() public {
        _registerSpn(SPN);
        Registry.Params memory p = _defaultParams();
        address[] memory ops = new address[](1);
        bytes32[] memory keys = new bytes32[](1);
        uint256[] memory stakes = new uint256[](1);
        vm.expectRevert(Registry.OnlyManagement.selector);
        registry.create(99, address(this), "x", Registry.ConsensusKind.Bft, p);
        vm.expectRevert(Registry.OnlyManagement.selector);
        registry.setStatus(SPN, Registry.Status.Active);
        vm.expectRevert(Registry.OnlyManagement.selector);
        registry.setParams(SPN, p);
        vm.expectRevert(Registry.OnlyManagement.selector);
        registry.startEpoch(SPN, ops, keys, stakes);
    }

    function test_RegistryCheckpointsOnlyByAdaptor() public {
        _activeSpn(SPN, 1, MIN_SPN_STAKE);
        vm.expectRevert(Registry.OnlyAdaptor.selector);
        registry.recordCheckpoint(SPN, 1, 10, bytes32(uint256(1)), bytes32(uint256(2)));
        vm.prank(Sys.MANAGEMENT);
        vm.expectRevert(Registry.OnlyAdaptor.selector);
        registry.recordCheckpoint(SPN, 1, 10, bytes32(uint256(1)), bytes32(uint256(2)));
    }

    function test_RegistryRecordCheckpointRules() public {
        _activeSpn(SPN, 1, MIN_SPN_STAKE);
        vm.startPrank(Sys.ADAPTOR);
        vm.expectRevert(abi.encodeWithSelector(Registry.UnknownSpn.selector, uint32(99)));
        registry.recordCheckpoint(99, 1, 10, bytes32(uint256(1)), bytes32(uint256(2)));
        vm.expectRevert(Registry.ZeroRoot.selector);
        registry.recordCheckpoint(SPN, 1, 10, bytes32(0), bytes32(uint256(2)));
        vm.expectRevert(Registry.ZeroRoot.selector);
        registry.recordCheckpoint(SPN, 1, 10, bytes32(uint256(1)), bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(Registry.StaleCheckpoint.selector, 0, 0));
        registry.recordCheckpoint(SPN, 1, 0, bytes32(uint256(1)), bytes32(uint256(2)));
        registry.recordCheckpoint(SPN, 1, 10, bytes32(uint256(1)), bytes32(uint256(2)));
        vm.expectRevert(abi.encodeWithSelector(Registry.StaleCheckpoint.selector, 10, 10));
        registry.recordCheckpoint(SPN, 1, 10, bytes32(uint256(3)), bytes32(uint256(4)));
        vm.stopPrank();
        assertEq(registry.stateRootAt(SPN, 10), bytes32(uint256(2)), "root kept");
    }

    function test_RegistryStartEpochRejectsBadSets() public {
        _registerSpn(SPN);
        vm.startPrank(Sys.MANAGEMENT);
        address[] memory ops = new address[](0);
        bytes32[] memory keys = new bytes32[](0);
        uint256[] memory stakes = new uint256[](0);
        vm.expectRevert(Registry.BadEpochSet.selector);
        registry.startEpoch(SPN, ops, keys, stakes); // empty
        ops = new address[](2);
        keys = new bytes32[](1);
        stakes = new uint256[](2);
        vm.expectRevert(Registry.BadEpochSet.selector);
        registry.startEpoch(SPN, ops, keys, stakes); // length mismatch
        keys = new bytes32[](2);
        keys[0] = bytes32(uint256(1));
        keys[1] = bytes32(uint256(2));
        stakes[0] = 1;
        vm.expectRevert(Registry.BadEpochSet.selector);
        registry.startEpoch(SPN, ops, keys, stakes); // zero stake
        stakes[1] = 1;
        keys[1] = bytes32(0);
        vm.expectRevert(Registry.BadEpochSet.selector);
        registry.startEpoch(SPN, ops, keys, stakes); // zero key
        ops = new address[](257);
        keys = new bytes32[](257);
        stakes = new uint256[](257);
        for (uint256 i = 0; i < 257; i++) {
            keys[i] = bytes32(i + 1);
            stakes[i] = 1;
        }
        vm.expectRevert(Registry.BadEpochSet.selector);
        registry.startEpoch(SPN, ops, keys, stakes); // too large
        vm.expectRevert(abi.encodeWithSelector(Registry.UnknownSpn.selector, uint32(99)));
        registry.startEpoch(99, ops, keys, stakes);
        vm.stopPrank();
    }

    function test_RegistryEpochSignersOutOfRange() public {
        _activeSpn(SPN, 2, 5 ether);
        uint256[] memory idx = new uint256[](2);
        idx[0] = 1;
        idx[1] = 2;
        vm.expectRevert(abi.encodeWithSelector(Registry.SignerIndexOutOfRange.selector, 2));
        registry.epochSigners(SPN, 1, idx);
        idx[1] = 0;
        (bytes32[] memory keys, uint256[] memory stakes, uint256 total) =
            registry.epochSigners(SPN, 1, idx);
        assertEq(keys[0], _keyOf(_operatorAddr(SPN, 1)), "key at 1");
        assertEq(stakes[1], 5 ether, "stake at 0");
        assertEq(total, 10 ether, "total");
    }
}
