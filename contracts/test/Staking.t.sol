// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {LiquidStake} from "../src/LiquidStake.sol";
import {Staking} from "../src/Staking.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Vm} from "./utils/Cheats.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";
import {EtherRefuser} from "./utils/Mocks.sol";

contract StakingTest is SystemFixture {
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);

    // ---- genesis ----

    function test_InitializeCannotBeRerun() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        staking.initialize(1, 1);
        assertEq(staking.unbondingDelay(), STAKING_UNBONDING_DELAY, "delay unchanged");
        assertEq(staking.minValidatorStake(), MIN_VALIDATOR_STAKE, "min unchanged");
    }

    function test_ImplementationCannotBeInitialized() public {
        Staking impl = new Staking();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        impl.initialize(1, 1);
    }

    function test_LstMetadata() public view {
        assertEq(bytes(lst.name()), bytes("Liquid Staked Pharos"), "name");
        assertEq(bytes(lst.symbol()), bytes("lsPHRS"), "symbol");
        assertEq(lst.decimals(), 18, "decimals");
    }

    // ---- stake ----

    function test_StakeMintsLstOneToOne() public {
        _mintLst(alice, 150 ether);
        assertEq(lst.balanceOf(alice), 150 ether, "lst minted");
        assertEq(staking.bonded(alice), 150 ether, "bonded");
        assertEq(staking.totalBonded(), 150 ether, "total bonded");
        assertEq(lst.totalSupply(), 150 ether, "supply");
        assertEq(Sys.STAKING.balance, 150 ether, "native held");
        _mintLst(alice, 1);
        assertEq(lst.balanceOf(alice), 150 ether + 1, "second stake adds");
    }

    function test_StakeZeroReverts() public {
        vm.prank(alice);
        vm.expectRevert(Staking.ZeroAmount.selector);
        staking.stake{value: 0}();
    }

    function test_OnlyStakingMintsAndBurnsFrom() public {
        vm.prank(alice);
        vm.expectRevert(LiquidStake.OnlyStaking.selector);
        lst.mint(alice, 1);
        _mintLst(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(LiquidStake.OnlyStaking.selector);
        lst.burnFrom(alice, 1);
    }

    function test_AnyoneBurnsOwnLst() public {
        _mintLst(alice, 1 ether);
        vm.prank(alice);
        lst.burn(0.4 ether);
        assertEq(lst.balanceOf(alice), 0.6 ether, "burned");
        assertEq(lst.totalSupply(), 0.6 ether, "supply");
    }

    // ---- validators ----

    /// Bond the validator minimum for `validator`, then register it with `key`.
    function _bondAndRegister(address validator, bytes32 key) internal {
        _mintLst(validator, MIN_VALIDATOR_STAKE);
        _registerValidator(validator, key);
    }

    function test_RegisterValidatorAndSet() public {
        _mintLst(alice, MIN_VALIDATOR_STAKE);
        _mintLst(bob, MIN_VALIDATOR_STAKE - 1);
        _registerValidator(alice, bytes32(uint256(1)));
        // One wei short of the minimum: bob cannot register yet.
        bytes memory bobPop = _validatorPop(bob, bytes32(uint256(2)));
        vm.prank(bob);
        vm.expectRevert(Staking.InsufficientBond.selector);
        staking.registerValidator(bytes32(uint256(2)), bobPop);
        assertEq(staking.keyOwner(bytes32(uint256(1))), alice, "key owner");
        (address[] memory accounts, bytes32[] memory keys, uint256[] memory stakes) =
            staking.validators();
        assertEq(accounts.length, 1, "only alice reaches the minimum");
        assertEq(accounts[0], alice, "alice");
        assertEq(keys[0], bytes32(uint256(1)), "key");
        assertEq(stakes[0], MIN_VALIDATOR_STAKE, "stake");
        _mintLst(bob, 1);
        _registerValidator(bob, bytes32(uint256(2)));
        assertEq(staking.validatorKey(bob), bytes32(uint256(2)), "bob's key");
        (accounts,,) = staking.validators();
        assertEq(accounts.length, 2, "bob joins at the minimum");
        // Unbonding below the minimum drops out of the set.
        vm.prank(alice);
        staking.unbond(1);
        (accounts,,) = staking.validators();
        assertEq(accounts.length, 1, "alice dropped");
        assertEq(accounts[0], bob, "bob remains");
    }

    function test_RegisterValidatorRejectsZeroKey() public {
        bytes memory sig = _validatorPop(alice, bytes32(0));
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidKey.selector);
        staking.registerValidator(bytes32(0), sig);
    }

    function test_RegisterValidatorRejectsTakenKey() public {
        _bondAndRegister(alice, bytes32(uint256(7)));
        _mintLst(bob, MIN_VALIDATOR_STAKE);
        // Even with bob's own valid proof for the key (and a bond), it is taken.
        bytes memory sig = _validatorPop(bob, bytes32(uint256(7)));
        vm.prank(bob);
        vm.expectRevert(Staking.InvalidKey.selector);
        staking.registerValidator(bytes32(uint256(7)), sig);
    }

    function test_RegisterValidatorTwiceReverts() public {
        _bondAndRegister(alice, bytes32(uint256(7)));
        bytes memory sig = _validatorPop(alice, bytes32(uint256(8)));
        vm.prank(alice);
        vm.expectRevert(Staking.AlreadyRegistered.selector);
        staking.registerValidator(bytes32(uint256(8)), sig);
    }

    function test_TooManyValidators() public {
        uint256 max = staking.MAX_VALIDATORS();
        for (uint256 i = 0; i < max; i++) {
            _bondAndRegister(address(uint160(0x100000 + i)), bytes32(i + 1));
        }
        _mintLst(alice, MIN_VALIDATOR_STAKE);
        bytes memory sig = _validatorPop(alice, bytes32(max + 1));
        vm.prank(alice);
        vm.expectRevert(Staking.TooManyValidators.selector);
        staking.registerValidator(bytes32(max + 1), sig);
    }

    // ---- validator proof of possession ----

    function test_ValidatorRegistrationDigestIsDomainSeparated() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256(
                    "PharosSPN.RegisterValidator(uint256 chainId,address staking,address validator)"
                ),
                block.chainid,
                Sys.STAKING,
                alice
            )
        );
        assertEq(
            staking.REGISTER_TYPEHASH(),
            keccak256(
                "PharosSPN.RegisterValidator(uint256 chainId,address staking,address validator)"
            ),
            "typehash"
        );
        assertEq(staking.registrationDigest(alice), expected, "digest");
        assertTrue(
            staking.registrationDigest(alice) != staking.registrationDigest(bob), "per validator"
        );
        // Not interchangeable with an operator registration for Restaking.
        assertTrue(
            staking.registrationDigest(alice) != restaking.registrationDigest(alice),
            "not a restaking proof"
        );
    }

    function test_RegisterValidatorWithProofOfPossession() public {
        bytes32 key = keccak256("alice validator key");
        bytes memory pop = _sign(key, staking.registrationDigest(alice));
        _mintLst(alice, MIN_VALIDATOR_STAKE);
        vm.recordLogs();
        vm.prank(alice);
        staking.registerValidator(key, pop);
        assertEq(staking.validatorKey(alice), key, "key");
        assertEq(staking.keyOwner(key), alice, "owner");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one event");
        assertEq(logs[0].emitter, Sys.STAKING, "emitter");
        assertEq(logs[0].topics[0], Staking.ValidatorRegistered.selector, "event");
        assertEq(logs[0].topics[1], _b32(alice), "account");
        assertEq(logs[0].data, abi.encode(key), "event key");
        (address[] memory accounts, bytes32[] memory keys,) = staking.validators();
        assertEq(accounts.length, 1, "in the set");
        assertEq(keys[0], key, "with its key");
    }

    function test_RegisterValidatorRejectsWrongKeySignature() public {
        bytes32 key = keccak256("alice validator key");
        // The digest is right but another key signed it.
        bytes memory wrongKey =
            _sign(keccak256("someone else's key"), staking.registrationDigest(alice));
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidProofOfPossession.selector);
        staking.registerValidator(key, wrongKey);
        _assertUnregistered(alice, key);
    }

    function test_RegisterValidatorRejectsAnotherAccountsSignature() public {
        // Bob holds the key and proved it for himself; alice replays his proof to claim
        // (and block) the key.
        bytes32 key = keccak256("bob validator key");
        bytes memory bobsPop = _validatorPop(bob, key);
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidProofOfPossession.selector);
        staking.registerValidator(key, bobsPop);
        _assertUnregistered(alice, key);
        // Bob's proof still works for bob (once he has bonded the minimum).
        _mintLst(bob, MIN_VALIDATOR_STAKE);
        vm.prank(bob);
        staking.registerValidator(key, bobsPop);
        assertEq(staking.keyOwner(key), bob, "bob owns his key");
    }

    function test_RegisterValidatorRejectsOtherProofs() public {
        bytes32 key = keccak256("alice validator key");
        // An operator proof for Restaking (other domain) is no validator proof.
        bytes memory restakingPop = _sign(key, restaking.registrationDigest(alice));
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidProofOfPossession.selector);
        staking.registerValidator(key, restakingPop);
        // Malformed lengths and an empty signature.
        bytes memory pop = _validatorPop(alice, key);
        bytes memory short = new bytes(63);
        for (uint256 i = 0; i < 63; i++) {
            short[i] = pop[i];
        }
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidProofOfPossession.selector);
        staking.registerValidator(key, short);
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidProofOfPossession.selector);
        staking.registerValidator(key, abi.encodePacked(pop, bytes1(0)));
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidProofOfPossession.selector);
        staking.registerValidator(key, "");
        _assertUnregistered(alice, key);
    }

    function test_RegisterValidatorFailsClosedWithoutPrecompile() public {
        vm.etch(ED25519, "");
        bytes32 key = keccak256("alice validator key");
        bytes memory pop = _validatorPop(alice, key);
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidProofOfPossession.selector);
        staking.registerValidator(key, pop);
    }

    function _assertUnregistered(address who, bytes32 key) internal view {
        assertEq(staking.validatorKey(who), bytes32(0), "no key recorded");
        assertEq(staking.keyOwner(key), address(0), "key not taken");
    }

    // ---- minimum bond: registering and leaving the set ----

    address internal carol = address(0xCA201);

    /// How many ValidatorRemoved events for `account` are among `logs`.
    function _removals(Vm.Log[] memory logs, address account) internal pure returns (uint256 n) {
        for (uint256 i = 0; i < logs.length; i++) {
            if (
                logs[i].emitter == Sys.STAKING && logs[i].topics.length == 2
                    && logs[i].topics[0] == Staking.ValidatorRemoved.selector
                    && logs[i].topics[1] == _b32(account)
            ) n++;
        }
    }

    /// validators() is exactly `expected`, in order; each entry carries its own key (which
    /// it owns) and its bond (at least the minimum).
    function _assertValidators(address[] memory expected) internal view {
        (address[] memory accounts, bytes32[] memory keys, uint256[] memory stakes) =
            staking.validators();
        assertEq(accounts.length, expected.length, "validator count");
        assertEq(keys.length, expected.length, "keys count");
        assertEq(stakes.length, expected.length, "stakes count");
        for (uint256 i = 0; i < accounts.length; i++) {
            assertEq(accounts[i], expected[i], "validator at index");
            assertTrue(keys[i] != bytes32(0), "has a key");
            assertEq(keys[i], staking.validatorKey(accounts[i]), "its key");
            assertEq(staking.keyOwner(keys[i]), accounts[i], "owns its key");
            assertEq(stakes[i], staking.bonded(accounts[i]), "its bond");
            assertLe(MIN_VALIDATOR_STAKE, stakes[i], "bond at least the minimum");
        }
    }

    function _expectRegisterReverts(address who, bytes32 key, bytes memory err) internal {
        bytes memory pop = _validatorPop(who, key);
        vm.prank(who);
        vm.expectRevert(err);
        staking.registerValidator(key, pop);
    }

    function test_RegisterValidatorWithoutBondRejected() public {
        bytes32 key = keccak256("alice validator key");
        bytes memory insufficient = abi.encodeWithSelector(Staking.InsufficientBond.selector);
        // Nothing bonded at all.
        _expectRegisterReverts(alice, key, insufficient);
        _assertUnregistered(alice, key);
        // LST bought from someone else is no bond.
        _mintLst(bob, MIN_VALIDATOR_STAKE);
        vm.prank(bob);
        lst.transfer(alice, MIN_VALIDATOR_STAKE);
        assertEq(lst.balanceOf(alice), MIN_VALIDATOR_STAKE, "alice holds the lst");
        _expectRegisterReverts(alice, key, insufficient);
        // One wei short.
        _mintLst(alice, MIN_VALIDATOR_STAKE - 1);
        _expectRegisterReverts(alice, key, insufficient);
        // Reached, then unbonded below again before registering.
        _mintLst(alice, 1);
        vm.prank(alice);
        staking.unbond(1);
        _expectRegisterReverts(alice, key, insufficient);
        _assertUnregistered(alice, key);
        _assertValidators(new address[](0));
        // Exactly the minimum registers.
        _mintLst(alice, 1);
        assertEq(staking.bonded(alice), MIN_VALIDATOR_STAKE, "at the minimum");
        _registerValidator(alice, key);
        assertEq(staking.validatorKey(alice), key, "registered");
        _assertValidators(_list(alice));
    }

    function test_RegisterChecksKeyAndProofBeforeBond() public {
        // Without a bond, a taken key or a bad proof still reports that first.
        _bondAndRegister(bob, bytes32(uint256(7)));
        _expectRegisterReverts(
            alice, bytes32(uint256(7)), abi.encodeWithSelector(Staking.InvalidKey.selector)
        );
        bytes memory bad = _validatorPop(bob, bytes32(uint256(8)));
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidProofOfPossession.selector);
        staking.registerValidator(bytes32(uint256(8)), bad);
    }

    function test_ValidatorBelowMinimumIsRemoved() public {
        _bondAndRegister(alice, bytes32(uint256(1)));
        _bondAndRegister(bob, bytes32(uint256(2)));
        _bondAndRegister(carol, bytes32(uint256(3)));
        _assertValidators(_list(alice, bob, carol));
        vm.recordLogs();
        vm.prank(bob);
        staking.unbond(1);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_removals(logs, bob), 1, "ValidatorRemoved(bob)");
        assertEq(_removals(logs, alice) + _removals(logs, carol), 0, "nobody else removed");
        // Bob's key and seat are freed; carol (the last) took his index.
        assertEq(staking.validatorKey(bob), bytes32(0), "bob's key cleared");
        assertEq(staking.keyOwner(bytes32(uint256(2))), address(0), "key freed");
        _assertValidators(_list(alice, carol));
        // The unbonding itself went through as usual.
        assertEq(staking.bonded(bob), MIN_VALIDATOR_STAKE - 1, "bonded");
        assertEq(staking.unbondings(bob).length, 1, "unbonding queued");
        // Further unbonding of a removed validator removes nothing more.
        vm.recordLogs();
        vm.prank(bob);
        staking.unbond(1);
        assertEq(_removals(vm.getRecordedLogs(), bob), 0, "no second removal");
        _assertValidators(_list(alice, carol));
        // Bob can come back after bonding again: with the minimum, appended at the end.
        _expectRegisterReverts(
            bob, bytes32(uint256(2)), abi.encodeWithSelector(Staking.InsufficientBond.selector)
        );
        _mintLst(bob, 2);
        _registerValidator(bob, bytes32(uint256(2)));
        _assertValidators(_list(alice, carol, bob));
    }

    function test_RemovedValidatorKeyReusableBySomeoneElse() public {
        bytes32 key = keccak256("shared key");
        _bondAndRegister(alice, key);
        vm.prank(alice);
        staking.unbond(MIN_VALIDATOR_STAKE); // everything
        assertEq(staking.keyOwner(key), address(0), "key freed");
        _assertValidators(new address[](0));
        // Bob, who also holds the key, takes it.
        _bondAndRegister(bob, key);
        assertEq(staking.keyOwner(key), bob, "bob owns the key");
        assertEq(staking.validatorKey(bob), key, "bob's key");
        _assertValidators(_list(bob));
        // Alice bonds again: the key is taken now, another one works.
        _mintLst(alice, MIN_VALIDATOR_STAKE);
        _expectRegisterReverts(alice, key, abi.encodeWithSelector(Staking.InvalidKey.selector));
        _registerValidator(alice, keccak256("alice's new key"));
        _assertValidators(_list(bob, alice));
    }

    function test_UnbondDownToMinimumKeepsValidator() public {
        _mintLst(alice, MIN_VALIDATOR_STAKE + 5);
        _registerValidator(alice, bytes32(uint256(1)));
        vm.recordLogs();
        vm.prank(alice);
        staking.unbond(5);
        assertEq(_removals(vm.getRecordedLogs(), alice), 0, "exactly the minimum stays");
        assertEq(staking.validatorKey(alice), bytes32(uint256(1)), "still registered");
        _assertValidators(_list(alice));
        // Topping up does not matter; one wei below the minimum does.
        _mintLst(alice, 1);
        vm.prank(alice);
        staking.unbond(1);
        _assertValidators(_list(alice));
        vm.recordLogs();
        vm.prank(alice);
        staking.unbond(1);
        assertEq(_removals(vm.getRecordedLogs(), alice), 1, "removed below the minimum");
        _assertValidators(new address[](0));
        // Staking back up does not re-register by itself.
        _mintLst(alice, 1);
        assertEq(staking.validatorKey(alice), bytes32(0), "not re-registered");
        _assertValidators(new address[](0));
    }

    function test_UnbondOfNonValidatorRemovesNothing() public {
        _bondAndRegister(alice, bytes32(uint256(1)));
        _mintLst(bob, MIN_VALIDATOR_STAKE);
        vm.recordLogs();
        vm.prank(bob);
        staking.unbond(MIN_VALIDATOR_STAKE);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_removals(logs, bob) + _removals(logs, alice), 0, "no removal");
        _assertValidators(_list(alice));
    }

    function test_SwapAndPopWhenValidatorsLeave() public {
        address[5] memory v;
        for (uint256 i = 0; i < 5; i++) {
            v[i] = address(uint160(0x200000 + i));
            _bondAndRegister(v[i], bytes32(i + 1));
        }
        // A middle validator leaves: the last takes its index.
        vm.prank(v[1]);
        staking.unbond(1);
        address[] memory want = new address[](4);
        (want[0], want[1], want[2], want[3]) = (v[0], v[4], v[2], v[3]);
        _assertValidators(want);
        // The moved validator's position was updated: it can leave from its new index.
        vm.prank(v[4]);
        staking.unbond(MIN_VALIDATOR_STAKE);
        _assertValidators(_list(v[0], v[3], v[2]));
        // The last one leaves (swaps with itself), then the first.
        vm.prank(v[2]);
        staking.unbond(1);
        _assertValidators(_list(v[0], v[3]));
        vm.prank(v[0]);
        staking.unbond(1);
        _assertValidators(_list(v[3]));
        // Everyone who left may return; each appends.
        _mintLst(v[1], 1);
        _registerValidator(v[1], bytes32(uint256(2)));
        _mintLst(v[0], 1);
        _registerValidator(v[0], bytes32(uint256(100)));
        _assertValidators(_list(v[3], v[1], v[0]));
        vm.prank(v[3]);
        staking.unbond(1);
        _assertValidators(_list(v[0], v[1]));
        // Of the original keys only v1's (re-registered) is taken; v0 came back with another.
        for (uint256 i = 0; i < 5; i++) {
            assertTrue(
                (staking.keyOwner(bytes32(i + 1)) != address(0)) == (i == 1), "original keys"
            );
        }
    }

    function test_RemovalFreesValidatorSeatWhenFull() public {
        uint256 max = staking.MAX_VALIDATORS();
        for (uint256 i = 0; i < max; i++) {
            _bondAndRegister(address(uint160(0x100000 + i)), bytes32(i + 1));
        }
        _mintLst(alice, MIN_VALIDATOR_STAKE);
        _expectRegisterReverts(
            alice, bytes32(max + 1), abi.encodeWithSelector(Staking.TooManyValidators.selector)
        );
        address leaver = address(uint160(0x100000 + 40));
        vm.prank(leaver);
        staking.unbond(1);
        (address[] memory accounts,,) = staking.validators();
        assertEq(accounts.length, max - 1, "a seat freed");
        assertEq(accounts[40], address(uint160(0x100000 + max - 1)), "last moved into the hole");
        _registerValidator(alice, bytes32(max + 1));
        (accounts,,) = staking.validators();
        assertEq(accounts.length, max, "full again");
        assertEq(accounts[max - 1], alice, "newcomer at the end");
        // Full again: the leaver, bonded back up, cannot return.
        _mintLst(leaver, 1);
        _expectRegisterReverts(
            leaver, bytes32(uint256(41)), abi.encodeWithSelector(Staking.TooManyValidators.selector)
        );
    }

    /// Random bonds, unbonds and registrations by a small pool contending for a few keys. The
    /// outcome of each call is predicted exactly, and after each step validators() holds
    /// exactly the registered accounts, each once, all bonded at least the minimum.
    function testFuzz_ValidatorSetConsistent(uint256 seed) public {
        uint256 pool = 6;
        for (uint256 step = 0; step < 40; step++) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            address who = address(uint160(0x300000 + r % pool));
            uint256 action = (r >> 8) % 3;
            if (action == 0) {
                // Bond around the minimum.
                _mintLst(who, bound(r >> 16, 1, MIN_VALIDATOR_STAKE + 1));
            } else if (action == 1) {
                uint256 b = staking.bonded(who);
                if (b == 0) continue;
                // Often exactly to the minimum or one wei below it.
                uint256 a = (r >> 16) % 3 == 0 && b > MIN_VALIDATOR_STAKE
                    ? b - MIN_VALIDATOR_STAKE
                    : (r >> 16) % 3 == 1 && b >= MIN_VALIDATOR_STAKE
                        ? b - MIN_VALIDATOR_STAKE + 1
                        : bound(r >> 32, 1, b);
                bool registered = staking.validatorKey(who) != bytes32(0);
                bool removal = registered && b - a < MIN_VALIDATOR_STAKE;
                vm.recordLogs();
                vm.prank(who);
                staking.unbond(a);
                assertEq(_removals(vm.getRecordedLogs(), who), removal ? 1 : 0, "removal");
                if (removal) assertEq(staking.validatorKey(who), bytes32(0), "key cleared");
            } else {
                bytes32 key = bytes32(1 + (r >> 16) % 3);
                bool ok = staking.keyOwner(key) == address(0)
                    && staking.validatorKey(who) == bytes32(0)
                    && staking.bonded(who) >= MIN_VALIDATOR_STAKE;
                bytes memory pop = _validatorPop(who, key);
                vm.prank(who);
                (bool success,) =
                    Sys.STAKING.call(abi.encodeCall(Staking.registerValidator, (key, pop)));
                assertTrue(success == ok, "registration outcome");
            }
            _checkValidatorSet(pool);
        }
    }

    function _checkValidatorSet(uint256 pool) internal view {
        (address[] memory accounts, bytes32[] memory keys, uint256[] memory stakes) =
            staking.validators();
        uint256 registered = 0;
        for (uint256 i = 0; i < pool; i++) {
            address a = address(uint160(0x300000 + i));
            bytes32 k = staking.validatorKey(a);
            uint256 seen = 0;
            for (uint256 j = 0; j < accounts.length; j++) {
                if (accounts[j] == a) {
                    seen++;
                    assertEq(keys[j], k, "key in the view");
                    assertEq(stakes[j], staking.bonded(a), "stake in the view");
                }
            }
            if (k != bytes32(0)) {
                registered++;
                assertEq(staking.keyOwner(k), a, "owner of a registered key");
                assertLe(MIN_VALIDATOR_STAKE, staking.bonded(a), "registered => bonded");
            }
            assertEq(seen, k != bytes32(0) ? 1 : 0, "in the view once iff registered");
        }
        assertEq(accounts.length, registered, "no strangers");
        for (uint256 k = 1; k <= 3; k++) {
            address o = staking.keyOwner(bytes32(k));
            if (o != address(0)) assertEq(staking.validatorKey(o), bytes32(k), "key owner agrees");
        }
    }

    // ---- unbond / withdraw ----

    function test_UnbondThenWithdrawAfterDelay() public {
        _mintLst(alice, 10 ether);
        uint256 t0 = block.timestamp;
        vm.prank(alice);
        staking.unbond(4 ether);
        assertEq(lst.balanceOf(alice), 6 ether, "lst burned at unbond");
        assertEq(staking.bonded(alice), 6 ether, "bonded");
        assertEq(staking.totalBonded(), 6 ether, "total bonded");
        Staking.Unbonding[] memory list = staking.unbondings(alice);
        assertEq(list.length, 1, "one unbonding");
        assertEq(list[0].releaseAt, t0 + STAKING_UNBONDING_DELAY, "release time");

        vm.warp(t0 + STAKING_UNBONDING_DELAY - 1);
        vm.prank(alice);
        vm.expectRevert(Staking.NothingToWithdraw.selector);
        staking.withdraw();

        vm.warp(t0 + STAKING_UNBONDING_DELAY);
        uint256 before = alice.balance;
        vm.prank(alice);
        uint256 paid = staking.withdraw();
        assertEq(paid, 4 ether, "paid");
        assertEq(alice.balance, before + 4 ether, "received");
        assertEq(staking.unbondings(alice).length, 0, "list emptied");

        vm.prank(alice);
        vm.expectRevert(Staking.NothingToWithdraw.selector);
        staking.withdraw();
    }

    function test_WithdrawPaysOnlyMaturedUnbondings() public {
        _mintLst(alice, 10 ether);
        uint256 t0 = block.timestamp;
        vm.prank(alice);
        staking.unbond(1 ether);
        vm.warp(t0 + 1 days);
        vm.prank(alice);
        staking.unbond(2 ether);
        vm.warp(t0 + 1 days + 1);
        vm.prank(alice);
        staking.unbond(3 ether);
        vm.warp(t0 + STAKING_UNBONDING_DELAY + 1 days);
        vm.prank(alice);
        assertEq(staking.withdraw(), 3 ether, "first two matured");
        Staking.Unbonding[] memory list = staking.unbondings(alice);
        assertEq(list.length, 1, "one left");
        assertEq(list[0].amount, 3 ether, "the third");
        vm.warp(t0 + STAKING_UNBONDING_DELAY + 1 days + 1);
        vm.prank(alice);
        assertEq(staking.withdraw(), 3 ether, "third matured");
    }

    function test_UnbondZeroReverts() public {
        _mintLst(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(Staking.ZeroAmount.selector);
        staking.unbond(0);
    }

    function test_UnbondMoreThanBondedReverts() public {
        _mintLst(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(Staking.InsufficientBond.selector);
        staking.unbond(1 ether + 1);
        // LST bought from someone else is not a bond.
        vm.prank(alice);
        lst.transfer(bob, 1 ether);
        vm.prank(bob);
        vm.expectRevert(Staking.InsufficientBond.selector);
        staking.unbond(1);
    }

    function test_UnbondWithoutTheLstReverts() public {
        _mintLst(alice, 1 ether);
        vm.prank(alice);
        lst.transfer(bob, 0.5 ether);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientBalance.selector, alice, 0.5 ether, 1 ether
            )
        );
        staking.unbond(1 ether);
    }

    function test_TooManyUnbondings() public {
        _mintLst(alice, 100);
        for (uint256 i = 0; i < 32; i++) {
            vm.prank(alice);
            staking.unbond(1);
        }
        vm.prank(alice);
        vm.expectRevert(Staking.TooManyUnbondings.selector);
        staking.unbond(1);
        // Withdrawing frees the slots.
        vm.warp(block.timestamp + STAKING_UNBONDING_DELAY);
        vm.prank(alice);
        staking.withdraw();
        vm.prank(alice);
        staking.unbond(1);
    }

    function test_WithdrawToRefusingAccountReverts() public {
        EtherRefuser r = new EtherRefuser();
        vm.deal(address(r), 1 ether);
        r.exec(Sys.STAKING, 1 ether, abi.encodeCall(Staking.stake, ()));
        r.exec(Sys.STAKING, 0, abi.encodeCall(Staking.unbond, (1 ether)));
        vm.warp(block.timestamp + STAKING_UNBONDING_DELAY);
        vm.expectRevert(Staking.TransferFailed.selector);
        r.exec(Sys.STAKING, 0, abi.encodeCall(Staking.withdraw, ()));
        // The unbonding is still there once the account accepts.
        r.setAccepting(true);
        r.exec(Sys.STAKING, 0, abi.encodeCall(Staking.withdraw, ()));
        assertEq(address(r).balance, 1 ether, "paid back");
    }

    // ---- fuzz ----

    function testFuzz_StakeUnbondWithdraw(uint96 amount, uint96 part, uint32 wait) public {
        uint256 a = bound(amount, 1, type(uint96).max);
        uint256 p = bound(part, 1, a);
        _mintLst(alice, a);
        vm.prank(alice);
        staking.unbond(p);
        assertEq(lst.balanceOf(alice), a - p, "lst left");
        assertEq(lst.totalSupply(), staking.totalBonded(), "supply == bonded");
        uint256 t = block.timestamp + bound(wait, 0, 2 * STAKING_UNBONDING_DELAY);
        vm.warp(t);
        vm.prank(alice);
        if (t < 1 + STAKING_UNBONDING_DELAY) {
            vm.expectRevert(Staking.NothingToWithdraw.selector);
            staking.withdraw();
        } else {
            assertEq(staking.withdraw(), p, "paid");
            assertEq(alice.balance, p, "received");
        }
        assertEq(
            Sys.STAKING.balance,
            staking.totalBonded() + (t < 1 + STAKING_UNBONDING_DELAY ? p : 0),
            "solvent"
        );
    }
}
