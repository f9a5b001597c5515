// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Restaking} from "../../src/Restaking.sol";
import {Checkpoint} from "../../src/lib/Checkpoint.sol";
import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {ModelHandler} from "../utils/InvariantHelpers.sol";
import {SystemHelpers} from "../utils/SystemFixture.sol";

/// Random restakes (some below the operator minimum), unstakes (some that would leave less
/// than the minimum), withdrawals and slashes (by evidence and of the whole SPN) by a small
/// pool of operators on one SPN; the operator list must stay exactly the set of operators
/// holding active or unbonding stake there (swap-and-pop on leaving or being slashed), each
/// once, and no operator ever holds a non-zero active stake below the minimum.
contract OperatorListHandler is SystemHelpers, ModelHandler {
    uint32 public constant SPN = 9;
    uint256 public constant POOL = 8;
    uint256 internal constant MIN = 1 ether; // Restaking.MIN_OPERATOR_STAKE

    mapping(bytes4 => uint256) public calls;
    uint256 public belowMinimum; // restakes refused for the minimum
    uint256 public unstakesBelowMinimum; // unstakes refused for leaving dust
    uint256 public joins; // operators that took a seat
    uint256 public leaves; // operators that gave their seat up (withdrawal or slash)
    uint256 public slashes; // operators slashed (each counted once per slash)

    // Ghost LST flows into and out of Restaking for SPN 9.
    uint256 public ghostIn;
    uint256 public ghostOut;
    uint256 public ghostBurned;

    uint64 internal _evidenceHeight = 1;
    address internal _lastEvidenceOp;
    uint64 internal _lastEvidenceHeight;

    function operator(uint256 i) public pure returns (address) {
        return _operatorAddr(SPN, i);
    }

    function restake(uint256 opSeed, uint256 amount) external {
        calls[msg.sig]++;
        address op = operator(opSeed % POOL);
        uint256 a = bound(amount, 1, 3 ether);
        _registerOperator(op);
        _mintLst(op, a);
        uint256 before = restaking.stakeOf(SPN, op);
        bool listed = restaking.isOperatorOf(SPN, op);
        bool expectOk = before + a >= MIN;
        vm.startPrank(op);
        lst.approve(Sys.RESTAKING, a);
        try restaking.restake(SPN, a) {
            if (!listed) joins++;
            ghostIn += a;
            if (!expectOk) _unexpected("restake below the minimum accepted");
            if (restaking.stakeOf(SPN, op) != before + a) _unexpected("stake not added");
        } catch {
            if (!expectOk) belowMinimum++;
            if (expectOk) _unexpected("restake at or above the minimum rejected");
            if (restaking.isOperatorOf(SPN, op) != listed) _unexpected("failed restake listed");
        }
        vm.stopPrank();
    }

    /// The first operator from `seed` on with `stake` (active) or pending stake, else the
    /// one at `seed`.
    function _pick(uint256 seed, bool active) internal view returns (address) {
        for (uint256 k = 0; k < POOL; k++) {
            address o = operator((seed % POOL + k) % POOL);
            uint256 v = active ? restaking.stakeOf(SPN, o) : restaking.unstakingOf(SPN, o);
            if (v > 0) return o;
        }
        return operator(seed % POOL);
    }

    /// Modes: 0 everything, 1 down to exactly the minimum, 2 down to one wei below it,
    /// 3 down to one wei, else a random amount. Accepted iff what is left is 0 or at least
    /// the minimum.
    function unstake(uint256 opSeed, uint256 amount, uint8 mode) external {
        calls[msg.sig]++;
        address op = _pick(opSeed, true);
        uint256 st = restaking.stakeOf(SPN, op);
        if (st == 0) return;
        uint256 m = mode % 6;
        uint256 a = bound(amount, 1, st);
        if (m == 0) a = st;
        else if (m == 1 && st > MIN) a = st - MIN;
        else if (m == 2 && st >= MIN) a = st - MIN + 1;
        else if (m == 3 && st > 1) a = st - 1;
        uint256 pending = restaking.unstakingOf(SPN, op);
        bool expectOk = a == st || st - a >= MIN;
        vm.prank(op);
        try restaking.unstake(SPN, a) {
            if (!expectOk) _unexpected("unstake leaving dust accepted");
            if (restaking.stakeOf(SPN, op) != st - a) _unexpected("stake not reduced");
            if (restaking.unstakingOf(SPN, op) != pending + a) _unexpected("pending not added");
            if (!restaking.isOperatorOf(SPN, op)) _unexpected("unstaking lost the seat");
        } catch (bytes memory err) {
            if (expectOk) _unexpected("unstake rejected");
            bytes memory want = abi.encodeWithSelector(Restaking.BelowMinimumStake.selector, MIN);
            if (keccak256(err) != keccak256(want)) _unexpected("wrong unstake error");
            if (restaking.stakeOf(SPN, op) != st) _unexpected("refused unstake moved stake");
            unstakesBelowMinimum++;
        }
    }

    function withdraw(uint256 opSeed, bool wait) external {
        calls[msg.sig]++;
        address op = _pick(opSeed, false);
        if (wait && block.timestamp < restaking.releaseAt(SPN, op)) {
            vm.warp(restaking.releaseAt(SPN, op));
        }
        uint256 pending = restaking.unstakingOf(SPN, op);
        bool ready = pending > 0 && block.timestamp >= restaking.releaseAt(SPN, op);
        bool leaving = ready && restaking.stakeOf(SPN, op) == 0;
        vm.prank(op);
        try restaking.withdraw(SPN) {
            if (leaving) leaves++;
            ghostOut += pending;
            if (!ready) _unexpected("early or empty withdrawal accepted");
            if (restaking.isOperatorOf(SPN, op) == leaving) _unexpected("seat kept or lost");
        } catch {
            if (ready) _unexpected("withdrawal rejected");
        }
    }

    /// Evidence that an operator's key signed two roots at one height of SPN 9 (a fresh
    /// height, or with `reuse` the last evidence again, which is refused). Slashes its active
    /// and pending stake and takes it off the list; an unregistered key is unknown.
    function slashEquivocation(uint256 opSeed, bool reuse) external {
        calls[msg.sig]++;
        bool fresh = !reuse || _lastEvidenceOp == address(0);
        address op = fresh ? operator(opSeed % POOL) : _lastEvidenceOp;
        uint64 height = fresh ? _evidenceHeight++ : _lastEvidenceHeight;
        bytes32 k = _keyOf(op);
        Checkpoint memory a = Checkpoint(SPN, 1, height, keccak256("block"), keccak256("a"));
        Checkpoint memory b = Checkpoint(SPN, 1, height, keccak256("block"), keccak256("b"));
        bytes memory sa = _sign(k, _digest(a));
        bytes memory sb = _sign(k, _digest(b));
        bool known = restaking.keyOwner(k) == op;
        uint256 owed = restaking.stakeOf(SPN, op) + restaking.unstakingOf(SPN, op);
        bool listed = restaking.isOperatorOf(SPN, op);
        try restaking.slashEquivocation(a, sa, b, sb, k) returns (uint256 slashed) {
            if (!known || !fresh) _unexpected("bad evidence accepted");
            if (slashed != owed) _unexpected("slashed a different amount");
            if (restaking.stakeOf(SPN, op) + restaking.unstakingOf(SPN, op) != 0) {
                _unexpected("stake left after a slash");
            }
            if (restaking.isOperatorOf(SPN, op)) _unexpected("slashed operator still listed");
            if (listed) {
                leaves++;
                slashes++;
            }
            ghostBurned += slashed;
            _lastEvidenceOp = op;
            _lastEvidenceHeight = height;
        } catch {
            if (known && fresh) _unexpected("good evidence rejected");
        }
    }

    /// The Bridge slashes the whole SPN (a third of the calls, so the list also grows).
    function slashSpn(uint256 seed) external {
        calls[msg.sig]++;
        if (seed % 3 != 0) return;
        uint256 owed = 0;
        uint256 listed = restaking.operatorsOf(SPN).length;
        for (uint256 i = 0; i < POOL; i++) {
            owed += restaking.stakeOf(SPN, operator(i)) + restaking.unstakingOf(SPN, operator(i));
        }
        vm.prank(Sys.BRIDGE);
        try restaking.slashSpn(SPN, bytes32(seed)) returns (uint256 slashed) {
            if (slashed != owed) _unexpected("spn slash took a different amount");
            if (restaking.operatorsOf(SPN).length != 0) _unexpected("list not emptied");
            leaves += listed;
            slashes += listed;
            ghostBurned += slashed;
        } catch {
            _unexpected("spn slash failed");
        }
    }

    function warp(uint256 secs) external {
        calls[msg.sig]++;
        vm.warp(block.timestamp + bound(secs, 1, RESTAKING_UNBONDING_DELAY));
    }
}
