// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Staking} from "../src/Staking.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Vm} from "./utils/Cheats.sol";
import {RealEd25519} from "./utils/Mocks.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";
import {VoteVectors as V} from "./utils/VoteVectors.sol";

/// Staking.slashDoubleSign: a validator whose consensus key signed two different BFT votes for
/// one (height, round, kind) loses its bond and pending unbondings, leaves the set, and its
/// key is banned. Every signature here is real ed25519 (the verify precompile is backed by
/// forge's ed25519 cheatcode; the known-answer vectors were signed by Node).
contract DoubleSignSlashingTest is SystemFixture {
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA201);

    uint64 internal constant H = 1000;
    uint32 internal constant R = 2;
    bytes32 internal constant BLOCK_A = keccak256("block A");
    bytes32 internal constant BLOCK_B = keccak256("block B");

    function setUp() public override {
        super.setUp();
        vm.etch(ED25519, address(new RealEd25519()).code);
    }

    // ---- keys, votes, evidence ----

    function _seed(address who) internal pure returns (bytes32) {
        return keccak256(abi.encode("validator seed", who));
    }

    function _pub(address who) internal pure returns (bytes32) {
        return vm.publicKeyEd25519(_seed(who));
    }

    function _edSign(bytes32 seed, bytes memory message) internal pure returns (bytes memory) {
        return vm.signEd25519("", message, seed);
    }

    /// Bond `amount` for `who` and register it with the key of `seed` (real proof of
    /// possession).
    function _bondAndRegister(address who, uint256 amount, bytes32 seed) internal {
        _mintLst(who, amount);
        _register(who, seed);
    }

    function _bondAndRegister(address who, uint256 amount) internal {
        _bondAndRegister(who, amount, _seed(who));
    }

    function _register(address who, bytes32 seed) internal {
        bytes memory pop = _edSign(seed, abi.encodePacked(staking.registrationDigest(who)));
        bytes32 key = vm.publicKeyEd25519(seed);
        vm.prank(who);
        staking.registerValidator(key, pop);
    }

    /// `who`'s signature of its vote of `kind` for `hash` at (`height`, `round`).
    function _vote(address who, uint64 height, uint32 round, uint8 kind, bytes32 hash)
        internal
        view
        returns (bytes memory)
    {
        return _edSign(_seed(who), staking.voteDigestBytes(height, round, kind, hash));
    }

    /// One piece of evidence, as `slashDoubleSign` takes it.
    struct Evidence {
        uint64 height;
        uint32 round;
        uint8 kind;
        bytes32 a;
        bytes sigA;
        bytes32 b;
        bytes sigB;
        bytes32 key;
    }

    /// `who`'s votes for `a` and `b` (of `kind` at `height`, `round`), against its key.
    function _evidence(address who, uint64 height, uint32 round, uint8 kind, bytes32 a, bytes32 b)
        internal
        view
        returns (Evidence memory e)
    {
        e.height = height;
        e.round = round;
        e.kind = kind;
        e.a = a;
        e.sigA = _vote(who, height, round, kind, a);
        e.b = b;
        e.sigB = _vote(who, height, round, kind, b);
        e.key = _pub(who);
    }

    function _submit(Evidence memory e) internal returns (uint256) {
        return staking.slashDoubleSign(e.height, e.round, e.kind, e.a, e.sigA, e.b, e.sigB, e.key);
    }

    /// Submitting `e` reverts with exactly `err`. (Build `e` first: `voteDigestBytes` is a call
    /// too, and `vm.expectRevert` must see the slash.)
    function _submitReverts(Evidence memory e, bytes memory err) internal {
        vm.expectRevert(err);
        staking.slashDoubleSign(e.height, e.round, e.kind, e.a, e.sigA, e.b, e.sigB, e.key);
    }

    /// `who`'s double sign at (`height`, `round`, `kind`), submitted as evidence.
    function _slash(address who, uint64 height, uint32 round, uint8 kind, bytes32 a, bytes32 b)
        internal
        returns (uint256)
    {
        return _submit(_evidence(who, height, round, kind, a, b));
    }

    function _slash(address who) internal returns (uint256) {
        return _slash(who, H, R, 2, BLOCK_A, BLOCK_B);
    }

    /// Evidence at (`H`, `R`, `kind`) with the given parts reverts with exactly `err`.
    function _expectSlashRevert(
        bytes memory err,
        uint8 kind,
        bytes32 a,
        bytes memory sigA,
        bytes32 b,
        bytes memory sigB,
        bytes32 key
    ) internal {
        _submitReverts(Evidence(H, R, kind, a, sigA, b, sigB, key), err);
    }

    function _err(bytes4 selector) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector);
    }

    function _validatorList() internal view returns (address[] memory accounts) {
        (accounts,,) = staking.validators();
    }

    function _assertSet(address[] memory expected) internal view {
        address[] memory accounts = _validatorList();
        assertEq(accounts.length, expected.length, "validator count");
        for (uint256 i = 0; i < accounts.length; i++) {
            assertEq(accounts[i], expected[i], "validator at index");
        }
    }

    function _unbond(address who, uint256 amount) internal {
        vm.prank(who);
        staking.unbond(amount);
    }

    // ---- the signed bytes ----

    function test_VoteDigestBytesLayout() public {
        assertEq(staking.VOTE_DOMAIN(), bytes("pharos-bft-vote-v1"), "domain");
        assertEq(staking.PREVOTE(), 1, "prevote");
        assertEq(staking.PRECOMMIT(), 2, "precommit");
        assertEq(staking.DOUBLE_SIGN_SLASH_BPS(), 10_000, "everything");
        vm.chainId(0x1122334455667788);
        bytes32 hash = keccak256("some block");
        bytes memory got = staking.voteDigestBytes(0x0102030405060708, 0x0a0b0c0d, 1, hash);
        bytes memory expected = bytes.concat(
            "pharos-bft-vote-v1",
            hex"1122334455667788",
            hex"0102030405060708",
            hex"0a0b0c0d",
            hex"01",
            hash
        );
        assertEq(got.length, 18 + 8 + 8 + 4 + 1 + 32, "71 bytes");
        assertEq(got, expected, "layout");
        // A nil vote signs the zero hash.
        bytes memory nil = staking.voteDigestBytes(1, 0, 2, bytes32(0));
        assertEq(
            nil,
            bytes.concat(
                "pharos-bft-vote-v1",
                hex"1122334455667788",
                hex"0000000000000001",
                hex"00000000",
                hex"02",
                bytes32(0)
            ),
            "nil vote"
        );
    }

    /// Votes signed by Node's ed25519 over bytes Node encoded: the contract's encoding and
    /// verification agree with an implementation outside forge.
    function test_NodeSignedVotesAreEvidence() public {
        vm.chainId(V.CHAIN_ID);
        assertEq(vm.publicKeyEd25519(V.SEED), V.PUBLIC_KEY, "same key from the seed");
        assertEq(
            staking.voteDigestBytes(V.BFT_HEIGHT, V.BFT_ROUND, V.BFT_KIND, V.BFT_HASH_A),
            V.BFT_BYTES_A,
            "same bytes as Node"
        );
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE, V.SEED);
        assertEq(staking.validatorKey(alice), V.PUBLIC_KEY, "registered");
        uint256 slashed = staking.slashDoubleSign(
            V.BFT_HEIGHT,
            V.BFT_ROUND,
            V.BFT_KIND,
            V.BFT_HASH_A,
            V.BFT_SIG_A,
            V.BFT_HASH_B,
            V.BFT_SIG_B,
            V.PUBLIC_KEY
        );
        assertEq(slashed, MIN_VALIDATOR_STAKE, "slashed");
        assertTrue(staking.keyBanned(V.PUBLIC_KEY), "banned");
    }

    // ---- a successful slash ----

    function test_SlashTakesBondAndUnbondings() public {
        _bondAndRegister(alice, 150 ether);
        _bondAndRegister(bob, MIN_VALIDATOR_STAKE);
        _bondAndRegister(carol, MIN_VALIDATOR_STAKE);
        _unbond(alice, 20 ether);
        _unbond(alice, 10 ether); // two pending unbondings; 120 still bonded, still a validator
        _assertSet(_list(alice, bob, carol));
        bytes32 key = _pub(alice);
        uint256 totalBefore = staking.totalBonded();
        uint256 nativeBefore = Sys.STAKING.balance;
        uint256 supplyBefore = lst.totalSupply();
        assertEq(lst.balanceOf(alice), 120 ether, "alice's lst");

        bytes memory sa = _vote(alice, H, R, 2, BLOCK_A);
        bytes memory sb = _vote(alice, H, R, 2, BLOCK_B);
        vm.recordLogs();
        vm.prank(address(0xCAFE)); // anyone may submit evidence
        uint256 slashed = staking.slashDoubleSign(H, R, 2, BLOCK_A, sa, BLOCK_B, sb, key);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertEq(slashed, 150 ether, "bond + both unbondings");
        assertEq(staking.bonded(alice), 0, "bond gone");
        assertEq(staking.unbondings(alice).length, 0, "unbondings gone");
        assertEq(staking.totalBonded(), totalBefore - 120 ether, "total bonded");
        assertEq(staking.totalSlashed(), 150 ether, "total slashed");
        assertEq(Sys.STAKING.balance, nativeBefore, "the coin stays locked in Staking");
        // Out of the set (swap-and-pop: carol took alice's index), key freed and banned.
        _assertSet(_list(carol, bob));
        assertEq(staking.validatorKey(alice), bytes32(0), "no key");
        assertEq(staking.keyOwner(key), address(0), "key has no owner");
        assertEq(staking.formerKeyOwner(key), alice, "former owner");
        assertTrue(staking.keyBanned(key), "banned");
        assertTrue(staking.doubleSignEvidenceUsed(key, H), "evidence used");
        // The LST alice still held for the bond is burned.
        assertEq(lst.balanceOf(alice), 0, "alice's lst burned");
        assertEq(lst.totalSupply(), supplyBefore - 120 ether, "supply");
        // The others are untouched.
        assertEq(staking.bonded(bob), MIN_VALIDATOR_STAKE, "bob");
        assertEq(staking.bonded(carol), MIN_VALIDATOR_STAKE, "carol");

        // Events: ValidatorRemoved(alice), then DoubleSignSlashed.
        uint256 removed;
        uint256 slashEvents;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter != Sys.STAKING) continue;
            if (logs[i].topics[0] == Staking.ValidatorRemoved.selector) {
                assertEq(logs[i].topics[1], _b32(alice), "removed alice");
                removed++;
            }
            if (logs[i].topics[0] == Staking.DoubleSignSlashed.selector) {
                assertEq(logs[i].topics.length, 2, "one indexed");
                assertEq(logs[i].topics[1], _b32(alice), "validator");
                assertEq(
                    logs[i].data,
                    abi.encode(key, H, R, uint8(2), uint256(150 ether)),
                    "key, height, round, kind, amount"
                );
                slashEvents++;
            }
        }
        assertEq(removed, 1, "one removal");
        assertEq(slashEvents, 1, "one slash event");

        // Nothing left to unbond or withdraw.
        vm.prank(alice);
        vm.expectRevert(Staking.InsufficientBond.selector);
        staking.unbond(1);
        vm.warp(block.timestamp + STAKING_UNBONDING_DELAY);
        vm.prank(alice);
        vm.expectRevert(Staking.NothingToWithdraw.selector);
        staking.withdraw();
    }

    function test_SlashBurnsOnlyTheLstTheOffenderHolds() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        _bondAndRegister(bob, MIN_VALIDATOR_STAKE);
        vm.prank(alice);
        lst.transfer(bob, 40 ether);
        _slash(alice);
        assertEq(lst.balanceOf(alice), 0, "what alice held is burned");
        assertEq(lst.balanceOf(bob), 140 ether, "what she gave away is not");
        // 40 LST are now backed by nobody's bond; bob can unbond only his own bond.
        assertEq(lst.totalSupply() - staking.totalBonded(), 40 ether, "unbacked lst");
        vm.prank(bob);
        vm.expectRevert(Staking.InsufficientBond.selector);
        staking.unbond(140 ether);
        _unbond(bob, MIN_VALIDATOR_STAKE);
        assertEq(lst.balanceOf(bob), 40 ether, "bob keeps alice's old lst");
    }

    function test_NilAgainstBlockIsDoubleSign() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        _bondAndRegister(bob, MIN_VALIDATOR_STAKE);
        // A prevote for nil and one for a block, in the same round.
        assertEq(_slash(alice, H, R, 1, bytes32(0), BLOCK_A), MIN_VALIDATOR_STAKE, "prevotes");
        // And the other way round, for precommits.
        assertEq(_slash(bob, H, R, 2, BLOCK_B, bytes32(0)), MIN_VALIDATOR_STAKE, "precommits");
        _assertSet(new address[](0));
    }

    function test_DoubleSignersAtOneHeightAreSlashedSeparately() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        _bondAndRegister(bob, 120 ether);
        _bondAndRegister(carol, MIN_VALIDATOR_STAKE);
        assertEq(_slash(alice), MIN_VALIDATOR_STAKE, "alice");
        assertEq(_slash(bob), 120 ether, "bob, same height and votes");
        assertEq(staking.totalSlashed(), 220 ether, "both");
        _assertSet(_list(carol));
    }

    // ---- what is not evidence ----

    function test_RejectsInvalidKind() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        bytes32 key = _pub(alice);
        uint8[3] memory kinds = [uint8(0), 3, 255];
        for (uint256 i = 0; i < kinds.length; i++) {
            uint8 k = kinds[i];
            // Properly signed over that kind, still no vote of the consensus.
            _expectSlashRevert(
                abi.encodeWithSelector(Staking.InvalidVoteKind.selector, k),
                k,
                BLOCK_A,
                _vote(alice, H, R, k, BLOCK_A),
                BLOCK_B,
                _vote(alice, H, R, k, BLOCK_B),
                key
            );
        }
        assertEq(staking.bonded(alice), MIN_VALIDATOR_STAKE, "untouched");
    }

    function test_RejectsSameVoteTwice() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        bytes32 key = _pub(alice);
        bytes memory sa = _vote(alice, H, R, 2, BLOCK_A);
        _expectSlashRevert(_err(Staking.NotDoubleSign.selector), 2, BLOCK_A, sa, BLOCK_A, sa, key);
        bytes memory nil = _vote(alice, H, R, 2, bytes32(0));
        _expectSlashRevert(
            _err(Staking.NotDoubleSign.selector), 2, bytes32(0), nil, bytes32(0), nil, key
        );
    }

    function test_RejectsVotesSignedForAnotherChain() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        bytes32 key = _pub(alice);
        uint256 here = block.chainid;
        vm.chainId(here + 1);
        bytes memory sa = _vote(alice, H, R, 2, BLOCK_A);
        bytes memory sb = _vote(alice, H, R, 2, BLOCK_B);
        vm.chainId(here);
        bytes memory err = _err(Staking.InvalidSignature.selector);
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, sb, key);
        _expectSlashRevert(err, 2, BLOCK_A, _vote(alice, H, R, 2, BLOCK_A), BLOCK_B, sb, key);
        // The same votes are evidence on the chain they were signed for.
        vm.chainId(here + 1);
        assertEq(
            staking.slashDoubleSign(H, R, 2, BLOCK_A, sa, BLOCK_B, sb, key),
            MIN_VALIDATOR_STAKE,
            "valid on its own chain"
        );
    }

    function test_RejectsForgedSignatures() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        bytes32 key = _pub(alice);
        bytes memory sa = _vote(alice, H, R, 2, BLOCK_A);
        bytes memory sb = _vote(alice, H, R, 2, BLOCK_B);
        bytes memory err = _err(Staking.InvalidSignature.selector);
        // One bit flipped.
        bytes memory flipped = bytes.concat(sb);
        flipped[10] = flipped[10] ^ 0x01;
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, flipped, key);
        // Made up, empty, or of the wrong length.
        _expectSlashRevert(err, 2, BLOCK_A, new bytes(64), BLOCK_B, sb, key);
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, "", key);
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, bytes.concat(sb, hex"00"), key);
        bytes memory short = new bytes(63);
        for (uint256 i = 0; i < 63; i++) {
            short[i] = sb[i];
        }
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, short, key);
        // A signature of A offered for B.
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, sa, key);
        // Votes of another round, height or kind are not votes of this one.
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, _vote(alice, H, R + 1, 2, BLOCK_B), key);
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, _vote(alice, H + 1, R, 2, BLOCK_B), key);
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, _vote(alice, H, R, 1, BLOCK_B), key);
        // Signed like a registration (a 32-byte digest), not like a vote.
        bytes memory digestSig = _edSign(_seed(alice), abi.encodePacked(keccak256("other")));
        _expectSlashRevert(err, 2, BLOCK_A, sa, BLOCK_B, digestSig, key);
        assertEq(staking.bonded(alice), MIN_VALIDATOR_STAKE, "untouched");
        assertTrue(!staking.doubleSignEvidenceUsed(key, H), "no evidence used");
    }

    function test_RejectsAnotherValidatorsSignatures() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        _bondAndRegister(bob, MIN_VALIDATOR_STAKE);
        bytes32 aliceKey = _pub(alice);
        bytes memory bobA = _vote(bob, H, R, 2, BLOCK_A);
        bytes memory bobB = _vote(bob, H, R, 2, BLOCK_B);
        bytes memory err = _err(Staking.InvalidSignature.selector);
        // Bob's double vote blamed on alice's key.
        _expectSlashRevert(err, 2, BLOCK_A, bobA, BLOCK_B, bobB, aliceKey);
        // Alice voted A, bob voted B: two validators disagreeing is no double sign.
        _expectSlashRevert(err, 2, BLOCK_A, _vote(alice, H, R, 2, BLOCK_A), BLOCK_B, bobB, aliceKey);
        _expectSlashRevert(
            err, 2, BLOCK_A, _vote(alice, H, R, 2, BLOCK_A), BLOCK_B, bobB, _pub(bob)
        );
        assertEq(staking.bonded(alice), MIN_VALIDATOR_STAKE, "alice untouched");
        // Bob's evidence against bob's key slashes bob only.
        assertEq(_slash(bob), MIN_VALIDATOR_STAKE, "bob slashed");
        assertEq(staking.bonded(alice), MIN_VALIDATOR_STAKE, "alice still untouched");
        _assertSet(_list(alice));
    }

    function test_RejectsUnknownKey() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        address stranger = address(0x5742);
        bytes memory err = _err(Staking.UnknownKey.selector);
        // Never registered (but the signatures are good).
        _expectSlashRevert(
            err,
            2,
            BLOCK_A,
            _vote(stranger, H, R, 2, BLOCK_A),
            BLOCK_B,
            _vote(stranger, H, R, 2, BLOCK_B),
            _pub(stranger)
        );
        // Bonded but never registered as a validator: no key of the consensus either.
        _mintLst(stranger, MIN_VALIDATOR_STAKE);
        _expectSlashRevert(
            err,
            2,
            BLOCK_A,
            _vote(stranger, H, R, 2, BLOCK_A),
            BLOCK_B,
            _vote(stranger, H, R, 2, BLOCK_B),
            _pub(stranger)
        );
        assertEq(staking.bonded(stranger), MIN_VALIDATOR_STAKE, "untouched");
    }

    // ---- evidence is used once per (height, key); a slashed key is done ----

    function test_EvidenceOncePerHeight() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        bytes32 key = _pub(alice);
        bytes memory sa = _vote(alice, H, R, 2, BLOCK_A);
        bytes memory sb = _vote(alice, H, R, 2, BLOCK_B);
        staking.slashDoubleSign(H, R, 2, BLOCK_A, sa, BLOCK_B, sb, key);
        bytes memory used = _err(Staking.EvidenceAlreadyUsed.selector);
        // The same evidence, swapped.
        _expectSlashRevert(used, 2, BLOCK_A, sa, BLOCK_B, sb, key);
        _expectSlashRevert(used, 2, BLOCK_B, sb, BLOCK_A, sa, key);
        // Another double sign at the same height: other round, other kind, other blocks.
        _submitReverts(_evidence(alice, H, R + 1, 2, BLOCK_A, BLOCK_B), used);
        _submitReverts(_evidence(alice, H, R, 1, BLOCK_A, BLOCK_B), used);
        _submitReverts(_evidence(alice, H, 0, 1, bytes32(0), keccak256("block C")), used);
        // Evidence at another height against the slashed key: already slashed. Alice has
        // bonded again since, which is not at stake for the old key.
        _mintLst(alice, 50 ether);
        _submitReverts(
            _evidence(alice, H + 1, R, 2, BLOCK_A, BLOCK_B),
            _err(Staking.KeyAlreadySlashed.selector)
        );
        assertEq(staking.bonded(alice), 50 ether, "new bond untouched");
        assertEq(staking.totalSlashed(), MIN_VALIDATOR_STAKE, "slashed once");
    }

    function test_SlashedKeyCannotRegisterAgain() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        _slash(alice);
        bytes32 key = _pub(alice);
        _mintLst(alice, MIN_VALIDATOR_STAKE);
        bytes memory pop =
            _edSign(_seed(alice), abi.encodePacked(staking.registrationDigest(alice)));
        vm.prank(alice);
        vm.expectRevert(Staking.KeyBanned.selector);
        staking.registerValidator(key, pop);
        // Nor by anyone else who holds the key.
        _mintLst(bob, MIN_VALIDATOR_STAKE);
        bytes memory bobPop =
            _edSign(_seed(alice), abi.encodePacked(staking.registrationDigest(bob)));
        vm.prank(bob);
        vm.expectRevert(Staking.KeyBanned.selector);
        staking.registerValidator(key, bobPop);
        // Alice may come back with a new key and a new bond.
        _register(alice, keccak256("alice's new seed"));
        _assertSet(_list(alice));
        assertEq(
            staking.validatorKey(alice),
            vm.publicKeyEd25519(keccak256("alice's new seed")),
            "new key"
        );
    }

    // ---- unbonding right after double signing does not escape ----

    function test_UnbondAfterDoubleSignIsStillSlashed() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        _bondAndRegister(bob, MIN_VALIDATOR_STAKE);
        bytes32 key = _pub(alice);
        // Alice double-signs, then unbonds everything before the evidence lands: she leaves
        // the set and her key is freed.
        bytes memory sa = _vote(alice, H, R, 2, BLOCK_A);
        bytes memory sb = _vote(alice, H, R, 2, BLOCK_B);
        _unbond(alice, MIN_VALIDATOR_STAKE);
        assertEq(staking.keyOwner(key), address(0), "key freed");
        assertEq(staking.formerKeyOwner(key), alice, "but remembered");
        _assertSet(_list(bob));
        uint256 totalBefore = staking.totalBonded();

        vm.recordLogs();
        uint256 slashed = staking.slashDoubleSign(H, R, 2, BLOCK_A, sa, BLOCK_B, sb, key);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(slashed, MIN_VALIDATOR_STAKE, "the pending unbonding");
        assertEq(staking.unbondings(alice).length, 0, "unbonding gone");
        assertEq(staking.totalBonded(), totalBefore, "nothing bonded was taken");
        assertEq(staking.totalSlashed(), MIN_VALIDATOR_STAKE, "total slashed");
        assertTrue(staking.keyBanned(key), "banned");
        _assertSet(_list(bob));
        assertEq(logs.length, 1, "only DoubleSignSlashed (no second removal)");
        assertEq(logs[0].topics[0], Staking.DoubleSignSlashed.selector, "event");
        assertEq(logs[0].topics[1], _b32(alice), "the former owner");
        vm.warp(block.timestamp + STAKING_UNBONDING_DELAY);
        vm.prank(alice);
        vm.expectRevert(Staking.NothingToWithdraw.selector);
        staking.withdraw();
    }

    function test_UnbondBelowMinimumThenSlashTakesTheRestToo() public {
        _bondAndRegister(alice, 150 ether);
        _unbond(alice, 60 ether); // 90 bonded: out of the set
        _assertSet(new address[](0));
        assertEq(lst.balanceOf(alice), 90 ether, "lst");
        assertEq(_slash(alice), 150 ether, "bond and unbonding");
        assertEq(staking.bonded(alice), 0, "bond");
        assertEq(staking.totalBonded(), 0, "total bonded");
        assertEq(lst.balanceOf(alice), 0, "lst burned");
    }

    function test_EvidenceAgainstDepartedKeyExpiresWithItsUnbonding() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        _bondAndRegister(bob, MIN_VALIDATOR_STAKE);
        Evidence memory aliceEvidence = _evidence(alice, H, R, 2, BLOCK_A, BLOCK_B);
        Evidence memory bobEvidence = _evidence(bob, H, R, 2, BLOCK_A, BLOCK_B);
        uint256 leftAt = block.timestamp;
        _unbond(alice, MIN_VALIDATOR_STAKE);
        _unbond(bob, MIN_VALIDATOR_STAKE);
        assertEq(staking.keyLeftAt(_pub(alice)), leftAt, "left at");
        // Up to the last second before the unbonding matures, the evidence still slashes.
        vm.warp(leftAt + STAKING_UNBONDING_DELAY - 1);
        assertEq(_submit(aliceEvidence), MIN_VALIDATOR_STAKE, "just in time");
        // From then on the departed key slashes nobody: bob withdraws.
        vm.warp(leftAt + STAKING_UNBONDING_DELAY);
        _submitReverts(bobEvidence, _err(Staking.EvidenceExpired.selector));
        vm.prank(bob);
        assertEq(staking.withdraw(), MIN_VALIDATOR_STAKE, "bob paid");
        assertTrue(!staking.keyBanned(_pub(bob)), "not banned");
    }

    function test_DepartedKeyLeakedLaterSlashesNobody() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        bytes32 oldKey = _pub(alice);
        _unbond(alice, MIN_VALIDATOR_STAKE);
        vm.warp(block.timestamp + STAKING_UNBONDING_DELAY);
        vm.prank(alice);
        staking.withdraw();
        // Alice is back with a new key and a new bond; her old key, long out of the set,
        // leaks and someone signs two votes with it.
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE, keccak256("alice's new seed"));
        assertEq(staking.formerKeyOwner(oldKey), alice, "remembered");
        _submitReverts(
            _evidence(alice, H, R, 2, BLOCK_A, BLOCK_B), _err(Staking.EvidenceExpired.selector)
        );
        assertEq(staking.bonded(alice), MIN_VALIDATOR_STAKE, "new bond untouched");
        _assertSet(_list(alice));
    }

    function test_SlashFailsClosedWithoutPrecompile() public {
        _bondAndRegister(alice, MIN_VALIDATOR_STAKE);
        bytes memory sa = _vote(alice, H, R, 2, BLOCK_A);
        bytes memory sb = _vote(alice, H, R, 2, BLOCK_B);
        vm.etch(ED25519, "");
        _expectSlashRevert(
            _err(Staking.InvalidSignature.selector), 2, BLOCK_A, sa, BLOCK_B, sb, _pub(alice)
        );
    }
}
