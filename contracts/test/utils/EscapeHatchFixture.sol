// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bridge} from "../../src/Bridge.sol";
import {SpnLayout} from "../../src/lib/SpnLayout.sol";
import {SlotProof} from "../../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {Vm} from "./Cheats.sol";
import {MockToken} from "./Mocks.sol";
import {SpnFixture} from "./SpnFixture.sol";

/// The mainnet system contracts and the SPN twins, with SPN `SPN` (7) and `OTHER_SPN` (8)
/// active (three operators with 10 LST each), and the helpers the escape-hatch tests share:
/// deposits that return their deposit record, forced requests, freezing, exit proofs.
abstract contract EscapeHatchFixture is SpnFixture {
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant CAROL = address(0xCA201);
    address internal constant FREEZER = address(0xF00D);

    MockToken internal usd;

    function setUp() public virtual override {
        super.setUp();
        _activeSpn(SPN, 3, 10 ether);
        _activeSpn(OTHER_SPN, 3, 10 ether);
        usd = new MockToken("USD");
        vm.label(ALICE, "alice");
        vm.label(BOB, "bob");
    }

    // ---- deposits ----

    /// `from` deposits `amount` native coin to itself on `spnId`; returns the deposit's id and
    /// the record `refundDeposit` takes.
    function _depositNative(uint32 spnId, address from, uint256 amount)
        internal
        returns (uint256 depositId, Bridge.DepositRecord memory d)
    {
        d = Bridge.DepositRecord(spnId, NATIVE, from, amount, mailbox.queueLength(spnId));
        vm.deal(from, from.balance + amount);
        vm.prank(from);
        bridge.depositNative{value: amount}(spnId, from);
        depositId = bridge.depositCount();
    }

    function _depositToken(uint32 spnId, address from, uint256 amount)
        internal
        returns (uint256 depositId, Bridge.DepositRecord memory d)
    {
        d = Bridge.DepositRecord(spnId, address(usd), from, amount, mailbox.queueLength(spnId));
        usd.mint(from, amount);
        vm.startPrank(from);
        usd.approve(Sys.BRIDGE, amount);
        bridge.depositERC20(spnId, address(usd), amount, from);
        vm.stopPrank();
        depositId = bridge.depositCount();
    }

    // ---- forced requests and freezing ----

    function _request(address user, uint32 spnId, address token, uint256 amount)
        internal
        returns (uint256)
    {
        vm.deal(user, user.balance + FORCE_BOND);
        vm.prank(user);
        return bridge.requestForcedWithdrawal{value: FORCE_BOND}(spnId, token, amount);
    }

    /// A forced request nobody processes, and the freeze after its deadline.
    function _freeze(uint32 spnId) internal returns (uint256 id) {
        id = _request(FREEZER, spnId, NATIVE, 1);
        vm.warp(bridge.forcedRequest(id).deadline + 1);
        bridge.freeze(id);
    }

    /// Finalize a fresh checkpoint of `spnId` in which request `requestId` is processed;
    /// returns its height and the proof `confirmForcedWithdrawal` takes.
    function _proveProcessed(uint32 spnId, uint256 requestId)
        internal
        returns (uint64 height, SlotProof memory proof)
    {
        height = _nextHeight(spnId);
        bytes32 root = keccak256(abi.encode("processed", spnId, requestId, height));
        _finalize(spnId, height, root);
        proof = _proveSlot(root, Sys.SPN_BRIDGE, SpnLayout.forcedProcessedSlot(requestId), 1);
    }

    // ---- proofs ----

    function _exitProof(bytes32 root, address token, address user, uint256 amount)
        internal
        returns (SlotProof memory)
    {
        return _proveSlot(root, Sys.SPN_BRIDGE, SpnLayout.balanceSlot(token, user), amount);
    }

    /// A proof that the SPN Mailbox's inbound count is `count` under `root`.
    function _inboundProof(bytes32 root, uint256 count) internal returns (SlotProof memory) {
        return _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.INBOUND_COUNT_SLOT, count);
    }

    // ---- logs ----

    /// The logs in `logs` emitted by `emitter` with event selector `topic0`.
    function _logsOf(Vm.Log[] memory logs, address emitter, bytes32 topic0)
        internal
        pure
        returns (Vm.Log[] memory out)
    {
        uint256 n = 0;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter == emitter && logs[i].topics[0] == topic0) n++;
        }
        out = new Vm.Log[](n);
        n = 0;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter == emitter && logs[i].topics[0] == topic0) out[n++] = logs[i];
        }
    }
}
