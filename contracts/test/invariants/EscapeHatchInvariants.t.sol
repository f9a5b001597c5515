// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {HandlerTargets} from "../utils/InvariantHelpers.sol";
import {MockToken} from "../utils/Mocks.sol";
import {SpnFixture} from "../utils/SpnFixture.sol";
import {EscapeHatchHandler} from "./EscapeHatchHandler.sol";

/// Whatever happens around an escape hatch - deposits, withdrawals relayed, forced requests,
/// confirmations, the freeze, exits and deposit refunds, honest or not (EscapeHatchHandler) -
/// the Bridge pays out per SPN and token at most what was escrowed, and each claim once.
contract EscapeHatchInvariantsTest is SpnFixture, HandlerTargets {
    EscapeHatchHandler internal handler;

    function setUp() public override {
        super.setUp();
        _activeSpn(SPN, 3, 10 ether);
        _activeSpn(OTHER_SPN, 3, 10 ether);
        MockToken usd = new MockToken("USD");
        handler = new EscapeHatchHandler(address(usd));
        vm.label(address(handler), "EscapeHatchHandler");
    }

    function _handler() internal view override returns (address) {
        return address(handler);
    }

    function _handlerSelectors() internal pure override returns (bytes4[] memory sel) {
        sel = new bytes4[](12);
        sel[0] = EscapeHatchHandler.deposit.selector;
        sel[1] = EscapeHatchHandler.deliver.selector;
        sel[2] = EscapeHatchHandler.spnTransfer.selector;
        sel[3] = EscapeHatchHandler.spnWithdraw.selector;
        sel[4] = EscapeHatchHandler.checkpoint.selector;
        sel[5] = EscapeHatchHandler.relay.selector;
        sel[6] = EscapeHatchHandler.requestForced.selector;
        sel[7] = EscapeHatchHandler.confirm.selector;
        sel[8] = EscapeHatchHandler.freeze.selector;
        sel[9] = EscapeHatchHandler.exit.selector;
        sel[10] = EscapeHatchHandler.refund.selector;
        sel[11] = EscapeHatchHandler.warp.selector;
    }

    /// Per SPN and token: paid out <= escrowed, the escrow is exactly escrowed - paid (both
    /// measured on the Bridge's real balance), and the Bridge holds every escrow plus the
    /// pending bonds. For the escape-hatch SPN, the escrow is exactly what its last finalized
    /// state still lets users claim (balances not exited, deposits not taken in and not
    /// refunded, withdrawals in its outbox not paid): never less.
    /// forge-config: default.invariant.depth = 100
    function invariant_EscapeHatchPaysAtMostWhatWasEscrowed() public view {
        address[2] memory tokens = handler.tokenList();
        uint32[2] memory spns = [SPN, OTHER_SPN];
        for (uint256 t = 0; t < 2; t++) {
            uint256 sum = 0;
            for (uint256 i = 0; i < 2; i++) {
                uint256 deposited = handler.ghostDeposited(spns[i], tokens[t]);
                uint256 paid = handler.ghostPaid(spns[i], tokens[t]);
                assertLe(paid, deposited, "paid out more than escrowed");
                uint256 e = bridge.escrowed(spns[i], tokens[t]);
                assertEq(e, deposited - paid, "escrow == escrowed - paid");
                sum += e;
            }
            assertEq(handler.ghostPaid(OTHER_SPN, tokens[t]), 0, "the other spn paid nothing");
            uint256 claimable = handler.claimable(tokens[t]);
            uint256 escrow = bridge.escrowed(SPN, tokens[t]);
            assertLe(claimable, escrow, "claims exceed the escrow");
            assertEq(claimable, escrow, "escrow == what the last finalized state lets claim");
            if (tokens[t] == NATIVE) {
                assertEq(
                    Sys.BRIDGE.balance,
                    sum + handler.modelPending() * FORCE_BOND,
                    "native held == escrows + pending bonds"
                );
            } else {
                assertEq(IERC20(tokens[t]).balanceOf(Sys.BRIDGE), sum, "tokens held == escrows");
            }
        }
        assertEq(registry.latestCheckpoint(SPN).stateRoot, handler.latestRoot(), "latest root");
    }

    /// Each withdrawal, exit and deposit refund was paid at most once, and the Bridge's records
    /// agree; the pending forced requests stay within the bound; every action's outcome
    /// matched the model (accepted iff its claim is true in the last finalized state).
    /// forge-config: default.invariant.depth = 100
    function invariant_EscapeHatchPaysOnceAndMatchesModel() public view {
        uint256 n = handler.outboxCount();
        for (uint256 i = 0; i < n; i++) {
            uint256 ref = handler.outboxRef(i);
            uint256 count = handler.withdrawalPaidCount(ref);
            assertLe(count, 1, "withdrawal paid twice");
            assertTrue(bridge.withdrawalPaid(SPN, ref) == (count == 1), "paid flag");
        }
        address[2] memory tokens = handler.tokenList();
        for (uint256 a = 0; a < handler.ACTORS(); a++) {
            address user = handler.actor(a);
            for (uint256 t = 0; t < 2; t++) {
                uint256 count = handler.exitCount(user, tokens[t]);
                assertLe(count, 1, "exited twice");
                assertTrue(bridge.exited(SPN, user, tokens[t]) == (count == 1), "exit flag");
            }
        }
        n = handler.depositCount();
        for (uint256 i = 0; i < n; i++) {
            uint256 count = handler.refundCount(i);
            assertLe(count, 1, "refunded twice");
            uint256 id = handler.depositAt(i).id;
            assertTrue(bridge.depositRefunded(id) == (count == 1), "refund flag");
        }
        assertEq(bridge.pendingForced(SPN), handler.modelPending(), "pending forced");
        assertLe(bridge.pendingForced(SPN), bridge.MAX_PENDING_FORCED(), "bounded");
        _assertOutcomesMatchModel(handler);
    }
}
