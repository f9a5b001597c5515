// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Adaptor} from "../src/Adaptor.sol";
import {Mailbox} from "../src/Mailbox.sol";
import {Registry} from "../src/Registry.sol";
import {Checkpoint, CheckpointDigest} from "../src/lib/Checkpoint.sol";
import {Message} from "../src/lib/Message.sol";
import {Rlp} from "../src/lib/Rlp.sol";
import {SpnLayout} from "../src/lib/SpnLayout.sol";
import {SlotProof, StateProof} from "../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";
import {Recipient} from "./utils/Mocks.sol";

/// Checkpoint finality (quorum, epochs, staleness) and message relay proofs.
contract AdaptorTest is SystemFixture {
    uint32 internal constant SPN = 7; // three operators with equal stake

    bytes32 internal constant ROOT = keccak256("root");

    function setUp() public override {
        super.setUp();
        _activeSpn(SPN, 3, 10 ether);
    }

    function _submit(Checkpoint memory c, uint256[] memory idx) internal {
        bytes[] memory sigs = _signatures(c, idx);
        adaptor.submitCheckpoint(c, idx, sigs);
    }

    function _expectSubmitRevert(Checkpoint memory c, uint256[] memory idx, bytes memory err)
        internal
    {
        bytes[] memory sigs = _signatures(c, idx);
        vm.expectRevert(err);
        adaptor.submitCheckpoint(c, idx, sigs);
    }

    /// `c` with three signer indices but two signatures, and with no signers at all, is
    /// refused for its shape.
    function _expectShapeRejected(Checkpoint memory c) internal {
        uint256[] memory idx = _range(3);
        bytes[] memory sigs = _signatures(c, _range(2));
        vm.expectRevert(Adaptor.LengthMismatch.selector);
        adaptor.submitCheckpoint(c, idx, sigs);
        vm.expectRevert(Adaptor.NoSigners.selector);
        adaptor.submitCheckpoint(c, new uint256[](0), new bytes[](0));
    }

    // ---- genesis ----

    function test_InitializeCannotBeRerun() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        adaptor.initialize();
    }

    function test_CheckpointDigestIsDomainSeparated() public view {
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        bytes32 d = adaptor.checkpointDigest(c);
        assertEq(d, CheckpointDigest.digest(c, block.chainid, Sys.ADAPTOR), "digest");
        assertTrue(d != CheckpointDigest.digest(c, block.chainid + 1, Sys.ADAPTOR), "chain id");
        assertTrue(d != CheckpointDigest.digest(c, block.chainid, address(0xdead)), "adaptor");
    }

    // ---- submitCheckpoint ----

    function test_AllSignersFinalize() public {
        vm.warp(5000);
        vm.roll(77);
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        _submit(c, _range(3));
        Registry.FinalizedCheckpoint memory f = registry.latestCheckpoint(SPN);
        assertEq(f.height, 100, "height");
        assertEq(f.epoch, 1, "epoch");
        assertEq(f.stateRoot, ROOT, "root");
        assertEq(f.blockHash, c.blockHash, "block hash");
        assertEq(f.finalizedAt, 5000, "finalizedAt");
        assertEq(f.mainnetBlock, 77, "mainnetBlock");
        assertEq(registry.stateRootAt(SPN, 100), ROOT, "stateRootAt");
    }

    function test_MoreThanTwoThirdsAccepted() public {
        _activeSpn(8, 4, 10 ether);
        _submit(_checkpoint(8, 100, ROOT), _idx(0, 2, 3)); // 3/4
        assertEq(registry.latestCheckpoint(8).height, 100, "finalized");
    }

    function test_ExactlyTwoThirdsRejected() public {
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        _expectSubmitRevert(
            c, _idx(0, 1), abi.encodeWithSelector(Adaptor.NoQuorum.selector, 20 ether, 30 ether)
        );
        _expectSubmitRevert(
            c, _idx(2, 0), abi.encodeWithSelector(Adaptor.NoQuorum.selector, 20 ether, 30 ether)
        );
        assertEq(registry.latestCheckpoint(SPN).height, 0, "nothing finalized");
    }

    function test_TwoThirdsOfStakeNotOfSigners() public {
        // Stakes 20/5/5: the heavy signer alone has 2/3 exactly (rejected); with one more, 5/6.
        uint256[] memory stakes = new uint256[](3);
        (stakes[0], stakes[1], stakes[2]) = (20 ether, 5 ether, 5 ether);
        _activeSpn(8, stakes);
        Checkpoint memory c = _checkpoint(8, 100, ROOT);
        uint256[] memory one = new uint256[](1);
        _expectSubmitRevert(
            c, one, abi.encodeWithSelector(Adaptor.NoQuorum.selector, 20 ether, 30 ether)
        );
        _expectSubmitRevert(
            c, _idx(1, 2), abi.encodeWithSelector(Adaptor.NoQuorum.selector, 10 ether, 30 ether)
        );
        _submit(c, _idx(0, 2));
    }

    function test_RepeatedSignerCountedOnce() public {
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        _expectSubmitRevert(
            c, _idx(0, 1, 1), abi.encodeWithSelector(Adaptor.NoQuorum.selector, 20 ether, 30 ether)
        );
        _expectSubmitRevert(
            c,
            _idx(1, 1, 1, 0),
            abi.encodeWithSelector(Adaptor.NoQuorum.selector, 20 ether, 30 ether)
        );
        _submit(c, _idx(0, 1, 1, 2));
        assertEq(registry.latestCheckpoint(SPN).height, 100, "finalized with 3 distinct");
    }

    function test_QuorumBpsAboveTwoThirds() public {
        Registry.Params memory p = _defaultParams();
        p.quorumBps = 9000;
        vm.prank(SPN_OWNER);
        management.register(8, "strict", Registry.ConsensusKind.Bft, p);
        for (uint256 i = 0; i < 10; i++) {
            _restake(_operatorAddr(8, i), 8, 1 ether);
        }
        management.activate(8);
        Checkpoint memory c = _checkpoint(8, 100, ROOT);
        uint256[] memory eight = _range(8);
        _expectSubmitRevert(
            c, eight, abi.encodeWithSelector(Adaptor.NoQuorum.selector, 8 ether, 10 ether)
        );
        _submit(c, _range(9));
    }

    function test_WrongEpochRejected() public {
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        c.epoch = 2; // a future epoch, signed by the current keys
        bytes32 d = _digest(c);
        bytes[] memory future = new bytes[](3);
        for (uint256 i = 0; i < 3; i++) {
            future[i] = _sign(_keyOf(_operatorAddr(SPN, i)), d);
        }
        uint256[] memory all = _range(3);
        vm.expectRevert(abi.encodeWithSelector(Adaptor.WrongEpoch.selector, 2, 1));
        adaptor.submitCheckpoint(c, all, future);
        // After rotation, checkpoints signed for epoch 1 no longer count.
        vm.warp(block.timestamp + EPOCH_LENGTH);
        management.rotateEpoch(SPN);
        c.epoch = 1;
        bytes[] memory sigs = _signatures(c, _range(3));
        uint256[] memory idx = _range(3);
        vm.expectRevert(abi.encodeWithSelector(Adaptor.WrongEpoch.selector, 1, 2));
        adaptor.submitCheckpoint(c, idx, sigs);
        c.epoch = 2;
        _submit(c, _range(3));
    }

    function test_NewEpochUsesNewSet() public {
        // Operator 0 leaves; epoch 2 is operators 1 and 2 plus a newcomer.
        vm.prank(_operatorAddr(SPN, 0));
        restaking.unstake(SPN, 10 ether);
        _restake(_operatorAddr(SPN, 3), SPN, 10 ether);
        vm.warp(block.timestamp + EPOCH_LENGTH);
        management.rotateEpoch(SPN);
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        // The departed operator's key no longer signs for the set.
        bytes32 digest = _digest(c);
        bytes[] memory sigs = new bytes[](3);
        sigs[0] = _sign(_keyOf(_operatorAddr(SPN, 0)), digest);
        sigs[1] = _sign(_keyOf(_operatorAddr(SPN, 1)), digest);
        sigs[2] = _sign(_keyOf(_operatorAddr(SPN, 2)), digest);
        uint256[] memory idx = _range(3);
        vm.expectRevert(Adaptor.InvalidSignature.selector);
        adaptor.submitCheckpoint(c, idx, sigs);
        _submit(c, _range(3));
    }

    function test_ZeroRootsRejected() public {
        Checkpoint memory c = _checkpoint(SPN, 100, bytes32(0));
        _expectSubmitRevert(c, _range(3), abi.encodeWithSelector(Adaptor.ZeroRoot.selector));
        c = _checkpoint(SPN, 100, ROOT);
        c.blockHash = bytes32(0);
        _expectSubmitRevert(c, _range(3), abi.encodeWithSelector(Adaptor.ZeroRoot.selector));
    }

    function test_StaleHeightRejected() public {
        Checkpoint memory zero = _checkpoint(SPN, 0, ROOT);
        _expectSubmitRevert(
            zero, _range(3), abi.encodeWithSelector(Adaptor.StaleHeight.selector, 0, 0)
        );
        _submit(_checkpoint(SPN, 100, ROOT), _range(3));
        // A conflicting checkpoint at the finalized height never replaces it.
        Checkpoint memory conflict = _checkpoint(SPN, 100, keccak256("other"));
        _expectSubmitRevert(
            conflict, _range(3), abi.encodeWithSelector(Adaptor.StaleHeight.selector, 100, 100)
        );
        Checkpoint memory older = _checkpoint(SPN, 99, keccak256("other"));
        _expectSubmitRevert(
            older, _range(3), abi.encodeWithSelector(Adaptor.StaleHeight.selector, 99, 100)
        );
        assertEq(registry.stateRootAt(SPN, 100), ROOT, "kept");
        assertEq(registry.stateRootAt(SPN, 99), bytes32(0), "never recorded");
        _submit(_checkpoint(SPN, 101, keccak256("next")), _range(3));
        assertEq(registry.stateRootAt(SPN, 100), ROOT, "older root kept");
    }

    function test_LengthMismatchAndNoSigners() public {
        _expectShapeRejected(_checkpoint(SPN, 100, ROOT));
    }

    function test_InvalidSignaturesRejected() public {
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        uint256[] memory idx = _range(3);
        bytes[] memory sigs = _signatures(c, idx);
        // One signature by a key outside the set, claimed as member 2.
        sigs[2] = _sign(keccak256("outsider"), _digest(c));
        vm.expectRevert(Adaptor.InvalidSignature.selector);
        adaptor.submitCheckpoint(c, idx, sigs);
        // One signature over another checkpoint (another root).
        sigs[2] =
            _sign(_keyOf(_operatorAddr(SPN, 2)), _digest(_checkpoint(SPN, 100, keccak256("x"))));
        vm.expectRevert(Adaptor.InvalidSignature.selector);
        adaptor.submitCheckpoint(c, idx, sigs);
        // Signatures for another chain id / adaptor do not verify here.
        sigs[2] = _sign(
            _keyOf(_operatorAddr(SPN, 2)),
            CheckpointDigest.digest(c, block.chainid + 1, Sys.ADAPTOR)
        );
        vm.expectRevert(Adaptor.InvalidSignature.selector);
        adaptor.submitCheckpoint(c, idx, sigs);
        // Malformed signature length.
        sigs[2] = new bytes(65);
        vm.expectRevert(Adaptor.InvalidSignature.selector);
        adaptor.submitCheckpoint(c, idx, sigs);
        // Signatures by the right keys, attributed to the wrong members.
        sigs = _signatures(c, idx);
        (sigs[0], sigs[1]) = (sigs[1], sigs[0]);
        vm.expectRevert(Adaptor.InvalidSignature.selector);
        adaptor.submitCheckpoint(c, idx, sigs);
    }

    function test_SignersOfAnotherSpnRejected() public {
        _activeSpn(8, 3, 10 ether);
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        Checkpoint memory other = _checkpoint(8, 100, ROOT);
        bytes[] memory sigs = _signatures(other, _range(3)); // SPN 8's keys over SPN 8's digest
        uint256[] memory idx = _range(3);
        vm.expectRevert(Adaptor.InvalidSignature.selector);
        adaptor.submitCheckpoint(c, idx, sigs);
    }

    function test_SignerIndexOutOfRange() public {
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        uint256[] memory idx = _idx(0, 1, 3);
        bytes[] memory sigs = _signatures(c, _range(3));
        vm.expectRevert(abi.encodeWithSelector(Registry.SignerIndexOutOfRange.selector, 3));
        adaptor.submitCheckpoint(c, idx, sigs);
        idx[2] = 256;
        vm.expectRevert(abi.encodeWithSelector(Registry.SignerIndexOutOfRange.selector, 256));
        adaptor.submitCheckpoint(c, idx, sigs);
    }

    function test_StatusGatesCheckpoints() public {
        // Unknown.
        Checkpoint memory c = _checkpoint(99, 100, ROOT);
        vm.expectRevert(
            abi.encodeWithSelector(Adaptor.SpnNotCheckpointing.selector, 99, Registry.Status.None)
        );
        adaptor.submitCheckpoint(c, _range(1), new bytes[](1));
        // Registered, not active.
        _registerSpn(8);
        c.spnId = 8;
        vm.expectRevert(
            abi.encodeWithSelector(
                Adaptor.SpnNotCheckpointing.selector, 8, Registry.Status.Registered
            )
        );
        adaptor.submitCheckpoint(c, _range(1), new bytes[](1));
        // Retired: still checkpoints (withdrawals keep flowing).
        vm.prank(SPN_OWNER);
        management.retire(SPN);
        _submit(_checkpoint(SPN, 100, ROOT), _range(3));
        // Frozen: no more checkpoints.
        vm.prank(Sys.BRIDGE);
        management.freeze(SPN);
        Checkpoint memory f = _checkpoint(SPN, 200, ROOT);
        bytes[] memory sigs = _signatures(f, _range(3));
        uint256[] memory idx = _range(3);
        vm.expectRevert(
            abi.encodeWithSelector(
                Adaptor.SpnNotCheckpointing.selector, SPN, Registry.Status.Frozen
            )
        );
        adaptor.submitCheckpoint(f, idx, sigs);
    }

    /// Accepted iff distinct signed stake * 3 > total * 2 and it meets quorumBps.
    function testFuzz_QuorumArithmetic(uint8 size, uint256 seed, uint256 mask, uint16 bps) public {
        uint256 n = bound(size, 1, 8);
        uint16 quorumBps = uint16(bound(bps, 6667, 10_000));
        Registry.Params memory p = _defaultParams();
        p.quorumBps = quorumBps;
        vm.prank(SPN_OWNER);
        management.register(9, "fuzz", Registry.ConsensusKind.Bft, p);
        uint256[] memory stakes = new uint256[](n);
        bool small = seed % 2 == 0; // small integer ratios hit the boundaries often
        for (uint256 i = 0; i < n; i++) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            // Each operator restakes at least the operator minimum (1 ether).
            stakes[i] = small ? bound(r, 1, 4) * 10 ether : bound(r, 1 ether, 1000 ether);
        }
        if (!small) stakes[0] += MIN_SPN_STAKE;
        for (uint256 i = 0; i < n; i++) {
            _restake(_operatorAddr(9, i), 9, stakes[i]);
        }
        management.activate(9);

        // A random multiset of signer indices (repeats allowed), non-empty.
        uint256 count = bound(mask >> 200, 1, 10);
        uint256[] memory idx = new uint256[](count);
        uint256 seen;
        uint256 signed;
        uint256 total;
        for (uint256 i = 0; i < n; i++) {
            total += stakes[i];
        }
        for (uint256 i = 0; i < count; i++) {
            idx[i] = uint256(keccak256(abi.encode(mask, i))) % n;
            if (seen & (1 << idx[i]) == 0) {
                seen |= 1 << idx[i];
                signed += stakes[idx[i]];
            }
        }
        bool expected = signed * 3 > total * 2 && signed * 10_000 >= total * quorumBps;
        Checkpoint memory c = _checkpoint(9, 100, ROOT);
        bytes[] memory sigs = _signatures(c, idx);
        try adaptor.submitCheckpoint(c, idx, sigs) {
            assertTrue(expected, "accepted without quorum");
            assertEq(registry.latestCheckpoint(9).height, 100, "recorded");
        } catch (bytes memory err) {
            assertTrue(!expected, "rejected with quorum");
            assertEq(
                err, abi.encodeWithSelector(Adaptor.NoQuorum.selector, signed, total), "NoQuorum"
            );
        }
    }

    // ---- epoch expiry: an epoch's set signs for at most two epoch lengths ----

    function _expiresAt(uint32 spnId) internal view returns (uint256) {
        Registry.Spn memory s = registry.spn(spnId);
        return uint256(s.epochStartedAt) + 2 * uint256(s.params.epochLength);
    }

    function _expired(uint32 spnId) internal view returns (bytes memory) {
        return abi.encodeWithSelector(
            Adaptor.EpochExpired.selector, registry.currentEpoch(spnId), _expiresAt(spnId)
        );
    }

    function test_CheckpointAtExpiryRejectedOneSecondBeforeAccepted() public {
        uint256 started = registry.spn(SPN).epochStartedAt;
        uint256 expiresAt = started + 2 * EPOCH_LENGTH;
        assertEq(_expiresAt(SPN), expiresAt, "two epoch lengths");
        vm.warp(expiresAt - 1);
        _submit(_checkpoint(SPN, 100, ROOT), _range(3));
        assertEq(registry.latestCheckpoint(SPN).height, 100, "accepted one second before");
        vm.warp(expiresAt);
        _expectSubmitRevert(
            _checkpoint(SPN, 200, ROOT),
            _range(3),
            abi.encodeWithSelector(Adaptor.EpochExpired.selector, uint64(1), expiresAt)
        );
        // And ever after, until the epoch rotates.
        vm.warp(expiresAt + 30 days);
        _expectSubmitRevert(
            _checkpoint(SPN, 200, ROOT),
            _range(3),
            abi.encodeWithSelector(Adaptor.EpochExpired.selector, uint64(1), expiresAt)
        );
        assertEq(registry.latestCheckpoint(SPN).height, 100, "nothing more finalized");
    }

    function test_CheckpointAfterOneEpochLengthStillAccepted() public {
        // Rotation is allowed from one epoch length on, but nobody has to rotate at once:
        // the set still signs until two epoch lengths have passed.
        uint256 started = registry.spn(SPN).epochStartedAt;
        vm.warp(started + EPOCH_LENGTH);
        _submit(_checkpoint(SPN, 100, ROOT), _range(3));
        vm.warp(started + 2 * EPOCH_LENGTH - 1);
        _submit(_checkpoint(SPN, 200, ROOT), _range(3));
        assertEq(registry.latestCheckpoint(SPN).height, 200, "both accepted");
    }

    function test_RotationRestoresAcceptance() public {
        uint256 expiresAt = _expiresAt(SPN);
        vm.warp(expiresAt);
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        _expectSubmitRevert(c, _range(3), _expired(SPN));
        management.rotateEpoch(SPN);
        assertEq(registry.currentEpoch(SPN), 2, "epoch 2");
        // The new window runs two epoch lengths from the rotation.
        uint256 newExpiry = block.timestamp + 2 * EPOCH_LENGTH;
        assertEq(_expiresAt(SPN), newExpiry, "window restarted");
        // The stale epoch-1 checkpoint is now the wrong epoch; a fresh one is accepted.
        _expectSubmitRevert(
            c, _range(3), abi.encodeWithSelector(Adaptor.WrongEpoch.selector, uint64(1), uint64(2))
        );
        _submit(_checkpoint(SPN, 100, ROOT), _range(3));
        vm.warp(newExpiry - 1);
        _submit(_checkpoint(SPN, 200, ROOT), _range(3));
        vm.warp(newExpiry);
        _expectSubmitRevert(
            _checkpoint(SPN, 300, ROOT),
            _range(3),
            abi.encodeWithSelector(Adaptor.EpochExpired.selector, uint64(2), newExpiry)
        );
        // Rotating again restores it again.
        management.rotateEpoch(SPN);
        _submit(_checkpoint(SPN, 300, ROOT), _range(3));
        assertEq(registry.latestCheckpoint(SPN).height, 300, "accepted in epoch 3");
        assertEq(registry.latestCheckpoint(SPN).epoch, 3, "by epoch 3");
    }

    function test_EarlyRotationWindowCountsFromRotation() public {
        // Rotated as early as allowed: the window of epoch 2 starts at the rotation, not at
        // the end of epoch 1's window.
        uint256 started = registry.spn(SPN).epochStartedAt;
        vm.warp(started + EPOCH_LENGTH);
        management.rotateEpoch(SPN);
        uint256 expiresAt = started + 3 * EPOCH_LENGTH;
        assertEq(_expiresAt(SPN), expiresAt, "from the rotation");
        vm.warp(expiresAt - 1);
        _submit(_checkpoint(SPN, 100, ROOT), _range(3));
        vm.warp(expiresAt);
        _expectSubmitRevert(
            _checkpoint(SPN, 200, ROOT),
            _range(3),
            abi.encodeWithSelector(Adaptor.EpochExpired.selector, uint64(2), expiresAt)
        );
    }

    function test_ExpiryFollowsTheSpnsEpochLength() public {
        Registry.Params memory p = _defaultParams();
        p.epochLength = 3 hours;
        vm.prank(SPN_OWNER);
        management.register(8, "short epochs", Registry.ConsensusKind.Bft, p);
        _restake(_operatorAddr(8, 0), 8, MIN_SPN_STAKE);
        management.activate(8);
        uint256 expiresAt = block.timestamp + 6 hours;
        vm.warp(expiresAt - 1);
        _submit(_checkpoint(8, 100, ROOT), _range(1));
        vm.warp(expiresAt);
        _expectSubmitRevert(
            _checkpoint(8, 200, ROOT),
            _range(1),
            abi.encodeWithSelector(Adaptor.EpochExpired.selector, uint64(1), expiresAt)
        );
        // SPN 7 (one-day epochs, activated at the same time) is still open.
        _submit(_checkpoint(SPN, 100, ROOT), _range(3));
    }

    function test_ExpiryCheckOrder() public {
        vm.warp(_expiresAt(SPN));
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        // Argument shape and the epoch number are checked first...
        _expectShapeRejected(c);
        uint256[] memory idx = _range(3);
        Checkpoint memory future = _checkpoint(SPN, 100, ROOT);
        future.epoch = 2; // (epoch 2 has no set yet: the signatures are never looked at)
        bytes[] memory sigs = _signatures(c, idx);
        vm.expectRevert(abi.encodeWithSelector(Adaptor.WrongEpoch.selector, uint64(2), uint64(1)));
        adaptor.submitCheckpoint(future, idx, sigs);
        // ...then the expiry, before roots, heights and signatures.
        _expectSubmitRevert(_checkpoint(SPN, 100, bytes32(0)), _range(3), _expired(SPN));
        _expectSubmitRevert(_checkpoint(SPN, 0, ROOT), _range(3), _expired(SPN));
        _expectSubmitRevert(c, _idx(0, 1), _expired(SPN)); // no quorum either
        bytes[] memory forged = new bytes[](3);
        vm.expectRevert(_expired(SPN));
        adaptor.submitCheckpoint(c, idx, forged);
    }

    function test_FinalizedStateStillRelaysAfterExpiry() public {
        Recipient r = new Recipient();
        bytes memory m = _toRecipient(r, 0);
        _finalize(SPN, 100, ROOT);
        vm.warp(_expiresAt(SPN) + 1 days);
        // No new checkpoints, but what was finalized stays usable.
        _relayAt(SPN, 100, ROOT, m);
        assertEq(r.calls(), 1, "relayed against the older checkpoint");
    }

    /// Accepted iff less than two epoch lengths passed since the epoch started.
    function testFuzz_ExpiryBoundary(uint256 dt) public {
        uint256 started = registry.spn(SPN).epochStartedAt;
        uint256 d = bound(dt, 0, 3 * EPOCH_LENGTH);
        // Often right at the boundary.
        if (dt % 3 == 0) d = 2 * EPOCH_LENGTH - 1 + (dt >> 2) % 2;
        vm.warp(started + d);
        Checkpoint memory c = _checkpoint(SPN, 100, ROOT);
        bytes[] memory sigs = _signatures(c, _range(3));
        uint256[] memory idx = _range(3);
        if (d >= 2 * EPOCH_LENGTH) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    Adaptor.EpochExpired.selector, uint64(1), started + 2 * EPOCH_LENGTH
                )
            );
        }
        adaptor.submitCheckpoint(c, idx, sigs);
        assertEq(registry.latestCheckpoint(SPN).height, d < 2 * EPOCH_LENGTH ? 100 : 0, "height");
    }

    // ---- relayMessage: proofs ----

    function _toRecipient(Recipient r, uint32 nonce) internal view returns (bytes memory) {
        return
            Message.format(
                nonce, SPN, _b32(address(0xA11CE)), _mainnet(), _b32(address(r)), "hello"
            );
    }

    function test_RelayDeliversToMainnetRecipient() public {
        Recipient r = new Recipient();
        bytes memory m = _toRecipient(r, 0);
        bytes32 id = _relay(SPN, m);
        assertEq(id, keccak256(m), "id");
        assertTrue(mailbox.status(id) == Mailbox.Status.Delivered, "delivered");
        assertEq(r.calls(), 1, "handled");
        assertEq(r.lastOrigin(), SPN, "origin");
        assertEq(r.lastSender(), _b32(address(0xA11CE)), "sender");
        assertEq(r.lastBody(), bytes("hello"), "body");
    }

    function test_RelayAgainstOlderFinalizedRoot() public {
        Recipient r = new Recipient();
        bytes memory m = _toRecipient(r, 0);
        _finalize(SPN, 100, ROOT);
        _finalize(SPN, 200, keccak256("later"));
        _relayAt(SPN, 100, ROOT, m);
        assertEq(r.calls(), 1, "handled");
    }

    function test_RelayUnknownCheckpoint() public {
        bytes memory m = _toRecipient(new Recipient(), 0);
        SlotProof memory proof = _unprovenSlot(ROOT, Sys.SPN_MAILBOX);
        vm.expectRevert(abi.encodeWithSelector(Adaptor.UnknownCheckpoint.selector, SPN, 100));
        adaptor.relayMessage(SPN, 100, m, proof);
    }

    function test_RelayAlreadyRelayed() public {
        bytes memory m = _toRecipient(new Recipient(), 0);
        _relay(SPN, m);
        uint64 h = registry.latestCheckpoint(SPN).height;
        bytes32 root = registry.stateRootAt(SPN, h);
        SlotProof memory proof =
            _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(m)), 1);
        vm.expectRevert(abi.encodeWithSelector(Adaptor.AlreadyRelayed.selector, keccak256(m)));
        adaptor.relayMessage(SPN, h, m, proof);
    }

    function test_RelayMalformedMessages() public {
        _finalize(SPN, 100, ROOT);
        SlotProof memory proof = _unprovenSlot(ROOT, Sys.SPN_MAILBOX);
        bytes memory m = _toRecipient(new Recipient(), 0);
        bytes memory short = new bytes(76);
        short[0] = 0x03;
        vm.expectRevert(Message.MalformedMessage.selector);
        adaptor.relayMessage(SPN, 100, short, proof);
        m[0] = 0x02;
        vm.expectRevert(Message.MalformedMessage.selector);
        adaptor.relayMessage(SPN, 100, m, proof);
        bytes memory huge = Message.format(
            0, SPN, bytes32(0), _mainnet(), _b32(address(1)), new bytes(Message.MAX_BODY + 1)
        );
        vm.expectRevert(Message.MalformedMessage.selector);
        adaptor.relayMessage(SPN, 100, huge, proof);
    }

    function test_RelayWrongOrigin() public {
        _finalize(SPN, 100, ROOT);
        bytes memory m = Message.format(0, 8, bytes32(0), _mainnet(), _b32(address(1)), "");
        SlotProof memory proof =
            _proveSlot(ROOT, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(m)), 1);
        vm.expectRevert(abi.encodeWithSelector(Adaptor.WrongOrigin.selector, 8, SPN));
        adaptor.relayMessage(SPN, 100, m, proof);
    }

    function test_RelayRejectsUnprovenMessages() public {
        _finalize(SPN, 100, ROOT);
        Recipient r = new Recipient();
        bytes memory m = _toRecipient(r, 0);
        bytes32 slot = SpnLayout.outboxSlot(keccak256(m));
        // Nothing proven at all.
        SlotProof memory proof = _unprovenSlot(ROOT, Sys.SPN_MAILBOX);
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        adaptor.relayMessage(SPN, 100, m, proof);
        // The account of another contract (not the SPN Mailbox).
        proof = _proveSlot(ROOT, address(0xBEEF), slot, 1);
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        adaptor.relayMessage(SPN, 100, m, proof);
        // The right account, but its outbox slot for this message is not 1.
        proof = _proveSlot(ROOT, Sys.SPN_MAILBOX, slot, 2);
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        adaptor.relayMessage(SPN, 100, m, proof);
        // Another message's slot.
        proof = _proveSlot(ROOT, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256("other")), 1);
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        adaptor.relayMessage(SPN, 100, m, proof);
        // Proven under another SPN's root (not finalized for this SPN).
        bytes32 foreignRoot = keccak256("foreign");
        proof = _proveSlot(foreignRoot, Sys.SPN_MAILBOX, slot, 1);
        vm.expectRevert(StateProof.InvalidAccountProof.selector);
        adaptor.relayMessage(SPN, 100, m, proof);
        // An empty proof never verifies.
        proof = _proveSlot(ROOT, Sys.SPN_MAILBOX, slot, 1);
        proof.storageProof = new bytes[](0);
        vm.expectRevert(StateProof.InvalidStorageProof.selector);
        adaptor.relayMessage(SPN, 100, m, proof);
        assertEq(r.calls(), 0, "nothing delivered");
        assertTrue(mailbox.status(keccak256(m)) == Mailbox.Status.None, "unknown");
    }

    function test_RelayRejectsMalformedAccountRlp() public {
        _finalize(SPN, 100, ROOT);
        bytes memory m = _toRecipient(new Recipient(), 0);
        bytes memory badAccount = hex"c3808080"; // a list without a storage root
        mpt.allow(ROOT, keccak256(abi.encodePacked(Sys.SPN_MAILBOX)), badAccount);
        SlotProof memory proof = SlotProof(badAccount, _oneNode(hex"01"), _oneNode(hex"02"));
        vm.expectRevert(Rlp.MalformedRlp.selector);
        adaptor.relayMessage(SPN, 100, m, proof);
    }

    function test_RelayStillWorksAfterFreeze() public {
        Recipient r = new Recipient();
        bytes memory m = _toRecipient(r, 0);
        _finalize(SPN, 100, ROOT);
        vm.prank(Sys.BRIDGE);
        management.freeze(SPN);
        _relayAt(SPN, 100, ROOT, m);
        assertEq(r.calls(), 1, "messages in finalized state still relay");
    }
}
