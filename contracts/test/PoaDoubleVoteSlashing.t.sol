// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Registry} from "../src/Registry.sol";
import {Restaking} from "../src/Restaking.sol";
import {Checkpoint} from "../src/lib/Checkpoint.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Vm} from "./utils/Cheats.sol";
import {RealEd25519} from "./utils/Mocks.sol";
import {RestakingFixture} from "./utils/RestakingFixture.sol";
import {VoteVectors as V} from "./utils/VoteVectors.sol";

/// Restaking.slashDoubleVote: an operator whose key voted for two different blocks at one
/// height of a `poa` SPN loses all of its stake in that SPN, as for checkpoint equivocation
/// (separate evidence). Every signature here is real ed25519 (the verify precompile is backed
/// by forge's ed25519 cheatcode; the known-answer vectors were signed by Node).
contract PoaDoubleVoteSlashingTest is RestakingFixture {
    uint32 internal constant POA = 9;
    uint64 internal constant H = 500;
    bytes32 internal constant BLOCK_A = keccak256("poa block A");
    bytes32 internal constant BLOCK_B = keccak256("poa block B");

    /// One piece of evidence, as `slashDoubleVote` takes it.
    struct Evidence {
        uint32 spnId;
        uint64 height;
        bytes32 a;
        bytes sigA;
        bytes32 b;
        bytes sigB;
        bytes32 key;
    }

    function setUp() public override {
        super.setUp();
        vm.etch(ED25519, address(new RealEd25519()).code);
        _registerPoaSpn(POA);
    }

    function _registerPoaSpn(uint32 spnId) internal {
        vm.prank(SPN_OWNER);
        management.register(spnId, "poa-spn", Registry.ConsensusKind.Poa, _defaultParams());
    }

    // ---- operators with real keys ----

    function _seed(address who) internal pure returns (bytes32) {
        return keccak256(abi.encode("operator seed", who));
    }

    function _pub(address who) internal pure returns (bytes32) {
        return vm.publicKeyEd25519(_seed(who));
    }

    function _edSign(bytes32 seed, bytes memory message) internal pure returns (bytes memory) {
        return vm.signEd25519("", message, seed);
    }

    /// Operator `i` of `POA`, registered with its real key.
    function _operator(uint256 i) internal returns (address o) {
        o = _operatorAddr(POA, i);
        _registerWithSeed(o, _seed(o));
    }

    function _registerWithSeed(address o, bytes32 seed) internal {
        if (restaking.operatorKey(o) != bytes32(0)) return;
        bytes memory pop = _edSign(seed, abi.encodePacked(restaking.registrationDigest(o)));
        bytes32 k = vm.publicKeyEd25519(seed);
        vm.prank(o);
        restaking.registerOperator(k, pop);
    }

    /// `who`'s poa vote for `hash` at `height` of `spnId`.
    function _vote(address who, uint32 spnId, uint64 height, bytes32 hash)
        internal
        pure
        returns (bytes memory)
    {
        return _edSign(_seed(who), restaking.poaVoteBytes(spnId, height, hash));
    }

    function _evidence(address who, uint32 spnId, uint64 height, bytes32 a, bytes32 b)
        internal
        pure
        returns (Evidence memory e)
    {
        e = Evidence(
            spnId,
            height,
            a,
            _vote(who, spnId, height, a),
            b,
            _vote(who, spnId, height, b),
            _pub(who)
        );
    }

    function _submit(Evidence memory e) internal returns (uint256) {
        return restaking.slashDoubleVote(e.spnId, e.height, e.a, e.sigA, e.b, e.sigB, e.key);
    }

    function _submitReverts(Evidence memory e, bytes memory err) internal {
        vm.expectRevert(err);
        restaking.slashDoubleVote(e.spnId, e.height, e.a, e.sigA, e.b, e.sigB, e.key);
    }

    function _doubleVote(address who, uint64 height) internal returns (uint256) {
        return _submit(_evidence(who, POA, height, BLOCK_A, BLOCK_B));
    }

    function _evidenceId(uint32 spnId, uint64 height, bytes32 k) internal pure returns (bytes32) {
        return keccak256(abi.encode("poa-double-vote", spnId, height, k));
    }

    function _err(bytes4 selector) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector);
    }

    // ---- the signed bytes ----

    function test_PoaVoteBytesLayout() public view {
        assertEq(restaking.POA_VOTE_DOMAIN(), bytes("pharos-poa-vote-v1"), "domain");
        bytes32 hash = keccak256("some block");
        bytes memory got = restaking.poaVoteBytes(0x01020304, 0x0a0b0c0d0e0f1011, hash);
        assertEq(got.length, 18 + 4 + 8 + 32, "62 bytes");
        assertEq(
            got,
            bytes.concat("pharos-poa-vote-v1", hex"01020304", hex"0a0b0c0d0e0f1011", hash),
            "layout"
        );
    }

    /// Votes signed by Node's ed25519 over bytes Node encoded.
    function test_NodeSignedPoaVotesAreEvidence() public {
        vm.chainId(V.CHAIN_ID);
        assertEq(
            restaking.poaVoteBytes(V.POA_SPN, V.POA_HEIGHT, V.POA_HASH_A),
            V.POA_BYTES_A,
            "same bytes as Node"
        );
        _registerPoaSpn(V.POA_SPN);
        address o = _operatorAddr(V.POA_SPN, 0);
        _registerWithSeed(o, V.SEED);
        assertEq(restaking.operatorKey(o), V.PUBLIC_KEY, "registered");
        _restake(o, V.POA_SPN, 2 ether);
        uint256 slashed = restaking.slashDoubleVote(
            V.POA_SPN,
            V.POA_HEIGHT,
            V.POA_HASH_A,
            V.POA_SIG_A,
            V.POA_HASH_B,
            V.POA_SIG_B,
            V.PUBLIC_KEY
        );
        assertEq(slashed, 2 ether, "slashed");
    }

    // ---- a successful slash ----

    function test_SlashDoubleVoteBurnsActiveAndPendingStake() public {
        address o0 = _operator(0);
        address o1 = _operator(1);
        address o2 = _operator(2);
        _restake(o0, POA, 1 ether);
        _restake(o1, POA, 5 ether);
        _restake(o2, POA, 1 ether);
        vm.prank(o1);
        restaking.unstake(POA, 2 ether);
        bytes32 k = _pub(o1);
        Evidence memory e = _evidence(o1, POA, H, BLOCK_A, BLOCK_B);
        uint256 supply = lst.totalSupply();

        vm.recordLogs();
        vm.prank(address(0xCAFE)); // anyone may submit evidence
        uint256 slashed = _submit(e);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertEq(slashed, 5 ether, "active + pending");
        assertEq(restaking.stakeOf(POA, o1), 0, "active gone");
        assertEq(restaking.unstakingOf(POA, o1), 0, "pending gone");
        assertEq(restaking.totalStake(POA), 2 ether, "the others' stake");
        assertEq(lst.totalSupply(), supply - 5 ether, "burned");
        assertEq(lst.balanceOf(Sys.RESTAKING), 2 ether, "the others' lst held");
        assertTrue(restaking.evidenceUsed(_evidenceId(POA, H, k)), "evidence used");
        // Left the operator list (swap-and-pop); the key registration stays.
        _assertOperators(POA, _list(o0, o2));
        assertEq(restaking.operatorKey(o1), k, "still a registered operator");

        // Events: Slashed (reason: the evidence id), then DoubleVoteSlashed.
        uint256 seen;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter != Sys.RESTAKING) continue;
            if (logs[i].topics[0] == Restaking.Slashed.selector) {
                assertEq(logs[i].topics[1], bytes32(uint256(POA)), "slashed spn");
                assertEq(logs[i].topics[2], _b32(o1), "slashed operator");
                assertEq(
                    logs[i].data, abi.encode(uint256(5 ether), _evidenceId(POA, H, k)), "reason"
                );
                seen++;
            }
            if (logs[i].topics[0] == Restaking.DoubleVoteSlashed.selector) {
                assertEq(logs[i].topics[1], bytes32(uint256(POA)), "spn");
                assertEq(logs[i].topics[2], _b32(o1), "operator");
                assertEq(logs[i].data, abi.encode(k, H, uint256(5 ether)), "key, height, amount");
                seen++;
            }
        }
        assertEq(seen, 2, "both events");

        vm.warp(block.timestamp + RESTAKING_UNBONDING_DELAY);
        vm.prank(o1);
        vm.expectRevert(Restaking.NothingToWithdraw.selector);
        restaking.withdraw(POA);
    }

    function test_NilAgainstBlockIsDoubleVote() public {
        address o = _operator(0);
        _restake(o, POA, 3 ether);
        assertEq(_submit(_evidence(o, POA, H, bytes32(0), BLOCK_A)), 3 ether, "slashed");
    }

    function test_SlashDoubleVoteOnlyTouchesThatSpn() public {
        address o = _operator(0);
        _restake(o, POA, 3 ether);
        _restake(o, SPN, 4 ether);
        assertEq(_doubleVote(o, H), 3 ether, "poa stake");
        assertEq(restaking.stakeOf(SPN, o), 4 ether, "other spn untouched");
        // A vote names its SPN: votes for `POA` are no evidence in `SPN`.
        Evidence memory e = _evidence(o, POA, H + 1, BLOCK_A, BLOCK_B);
        e.spnId = SPN;
        _submitReverts(e, _err(Restaking.InvalidSignature.selector));
    }

    // ---- what is not evidence ----

    function test_SlashDoubleVoteRejectsSameBlock() public {
        address o = _operator(0);
        _restake(o, POA, 1 ether);
        Evidence memory e = _evidence(o, POA, H, BLOCK_A, BLOCK_A);
        _submitReverts(e, _err(Restaking.NotEquivocation.selector));
        e = _evidence(o, POA, H, bytes32(0), bytes32(0));
        _submitReverts(e, _err(Restaking.NotEquivocation.selector));
    }

    function test_SlashDoubleVoteRejectsBadSignatures() public {
        address o = _operator(0);
        address other = _operator(1);
        _restake(o, POA, 1 ether);
        _restake(other, POA, 1 ether);
        bytes memory err = _err(Restaking.InvalidSignature.selector);
        Evidence memory good = _evidence(o, POA, H, BLOCK_A, BLOCK_B);

        Evidence memory e = _evidence(o, POA, H, BLOCK_A, BLOCK_B);
        e.sigB[5] = e.sigB[5] ^ 0x80; // one bit flipped
        _submitReverts(e, err);
        e.sigB = new bytes(64); // made up
        _submitReverts(e, err);
        e.sigB = ""; // empty
        _submitReverts(e, err);
        e.sigB = bytes.concat(good.sigB, hex"00"); // too long
        _submitReverts(e, err);
        e.sigB = good.sigA; // A's signature offered for B
        _submitReverts(e, err);
        // Votes of another height or SPN.
        e.sigB = _vote(o, POA, H + 1, BLOCK_B);
        _submitReverts(e, err);
        e.sigB = _vote(o, POA + 1, H, BLOCK_B);
        _submitReverts(e, err);
        // The other operator's vote for B, or both of its votes, blamed on `o`'s key.
        e.sigB = _vote(other, POA, H, BLOCK_B);
        _submitReverts(e, err);
        e.sigA = _vote(other, POA, H, BLOCK_A);
        _submitReverts(e, err);
        // A mainnet BFT vote for B at the same height is no poa vote.
        e = _evidence(o, POA, H, BLOCK_A, BLOCK_B);
        e.sigB = _edSign(_seed(o), staking.voteDigestBytes(H, 0, 2, BLOCK_B));
        _submitReverts(e, err);
        // Nor is a checkpoint signature.
        Checkpoint memory c = Checkpoint(POA, 1, H, BLOCK_B, keccak256("root"));
        e.sigB = _edSign(_seed(o), abi.encodePacked(_digest(c)));
        _submitReverts(e, err);
        assertEq(restaking.stakeOf(POA, o), 1 ether, "untouched");
        assertTrue(!restaking.evidenceUsed(_evidenceId(POA, H, _pub(o))), "no evidence used");
    }

    function test_SlashDoubleVoteRejectsUnknownKey() public {
        // Signed by a key no operator registered.
        address stranger = address(0x5742);
        _submitReverts(
            _evidence(stranger, POA, H, BLOCK_A, BLOCK_B), _err(Restaking.UnknownKey.selector)
        );
    }

    function test_SlashDoubleVoteEvidenceUsedOnce() public {
        address o = _operator(0);
        _restake(o, POA, 5 ether);
        Evidence memory e = _evidence(o, POA, H, BLOCK_A, BLOCK_B);
        assertEq(_submit(e), 5 ether, "slashed");
        _restake(o, POA, 1 ether);
        bytes memory used = _err(Restaking.EvidenceAlreadyUsed.selector);
        _submitReverts(e, used);
        // Swapped, or another pair of blocks at the same height: the same evidence.
        _submitReverts(Evidence(POA, H, e.b, e.sigB, e.a, e.sigA, e.key), used);
        _submitReverts(_evidence(o, POA, H, bytes32(0), keccak256("block C")), used);
        assertEq(restaking.stakeOf(POA, o), 1 ether, "new stake untouched");
        // Another height is another piece of evidence.
        assertEq(_doubleVote(o, H + 1), 1 ether, "next height");
    }

    function test_DoubleVoteAndCheckpointEquivocationAreSeparateEvidence() public {
        address o = _operator(0);
        bytes32 k = _pub(o);
        _restake(o, POA, 5 ether);
        // Two checkpoints for height H, signed with the real key.
        Checkpoint memory a = Checkpoint(POA, 1, H, BLOCK_A, keccak256("root a"));
        Checkpoint memory b = Checkpoint(POA, 1, H, BLOCK_B, keccak256("root b"));
        bytes memory sa = _edSign(_seed(o), abi.encodePacked(_digest(a)));
        bytes memory sb = _edSign(_seed(o), abi.encodePacked(_digest(b)));
        assertEq(restaking.slashEquivocation(a, sa, b, sb, k), 5 ether, "equivocation");
        // A double vote at the same height is still evidence of its own.
        _restake(o, POA, 2 ether);
        Evidence memory e = _evidence(o, POA, H, BLOCK_A, BLOCK_B);
        assertEq(_submit(e), 2 ether, "double vote");
        // Each is used up now.
        _restake(o, POA, 1 ether);
        vm.expectRevert(Restaking.EvidenceAlreadyUsed.selector);
        restaking.slashEquivocation(a, sa, b, sb, k);
        _submitReverts(e, _err(Restaking.EvidenceAlreadyUsed.selector));
        assertEq(restaking.stakeOf(POA, o), 1 ether, "untouched");
    }

    function test_SlashDoubleVoteFailsClosedWithoutPrecompile() public {
        address o = _operator(0);
        _restake(o, POA, 1 ether);
        Evidence memory e = _evidence(o, POA, H, BLOCK_A, BLOCK_B);
        vm.etch(ED25519, "");
        _submitReverts(e, _err(Restaking.InvalidSignature.selector));
    }
}
