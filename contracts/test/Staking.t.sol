// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {LiquidStake} from "../src/LiquidStake.sol";
import {Staking} from "../src/Staking.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
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

    function test_RegisterValidatorAndSet() public {
        _mintLst(alice, MIN_VALIDATOR_STAKE);
        _mintLst(bob, MIN_VALIDATOR_STAKE - 1);
        vm.prank(alice);
        staking.registerValidator(bytes32(uint256(1)));
        vm.prank(bob);
        staking.registerValidator(bytes32(uint256(2)));
        assertEq(staking.keyOwner(bytes32(uint256(1))), alice, "key owner");
        (address[] memory accounts, bytes32[] memory keys, uint256[] memory stakes) =
            staking.validators();
        assertEq(accounts.length, 1, "only alice reaches the minimum");
        assertEq(accounts[0], alice, "alice");
        assertEq(keys[0], bytes32(uint256(1)), "key");
        assertEq(stakes[0], MIN_VALIDATOR_STAKE, "stake");
        _mintLst(bob, 1);
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
        vm.prank(alice);
        vm.expectRevert(Staking.InvalidKey.selector);
        staking.registerValidator(bytes32(0));
    }

    function test_RegisterValidatorRejectsTakenKey() public {
        vm.prank(alice);
        staking.registerValidator(bytes32(uint256(7)));
        vm.prank(bob);
        vm.expectRevert(Staking.InvalidKey.selector);
        staking.registerValidator(bytes32(uint256(7)));
    }

    function test_RegisterValidatorTwiceReverts() public {
        vm.prank(alice);
        staking.registerValidator(bytes32(uint256(7)));
        vm.prank(alice);
        vm.expectRevert(Staking.AlreadyRegistered.selector);
        staking.registerValidator(bytes32(uint256(8)));
    }

    function test_TooManyValidators() public {
        uint256 max = staking.MAX_VALIDATORS();
        for (uint256 i = 0; i < max; i++) {
            vm.prank(address(uint160(0x100000 + i)));
            staking.registerValidator(bytes32(i + 1));
        }
        vm.prank(alice);
        vm.expectRevert(Staking.TooManyValidators.selector);
        staking.registerValidator(bytes32(max + 1));
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
