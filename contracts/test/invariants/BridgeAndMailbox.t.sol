// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Mailbox} from "../../src/Mailbox.sol";
import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {HandlerTargets} from "../utils/InvariantHelpers.sol";
import {FeeToken, MockToken, Recipient} from "../utils/Mocks.sol";
import {SystemFixture} from "../utils/SystemFixture.sol";
import {BridgeAndMailboxHandler} from "./BridgeAndMailboxHandler.sol";

/// The Bridge's escrow, message delivery, withdrawal payouts and checkpoint finality stay
/// sound under random traffic (BridgeAndMailboxHandler) on two active SPNs.
contract BridgeAndMailboxInvariantsTest is SystemFixture, HandlerTargets {
    BridgeAndMailboxHandler internal handler;
    Recipient internal recipient;

    function setUp() public override {
        super.setUp();
        _activeSpn(7, 3, 10 ether);
        uint256[] memory stakes = new uint256[](4);
        (stakes[0], stakes[1], stakes[2], stakes[3]) = (10 ether, 20 ether, 5 ether, 5 ether);
        _activeSpn(8, stakes);
        MockToken usd = new MockToken("USD");
        FeeToken fee = new FeeToken(100);
        recipient = new Recipient();
        handler = new BridgeAndMailboxHandler(address(usd), address(fee), recipient);
        vm.label(address(handler), "BridgeAndMailboxHandler");
    }

    function _handler() internal view override returns (address) {
        return address(handler);
    }

    function _handlerSelectors() internal pure override returns (bytes4[] memory sel) {
        sel = new bytes4[](13);
        sel[0] = BridgeAndMailboxHandler.depositNative.selector;
        sel[1] = BridgeAndMailboxHandler.depositToken.selector;
        sel[2] = BridgeAndMailboxHandler.withdrawViaMailbox.selector;
        sel[3] = BridgeAndMailboxHandler.relayWithdrawal.selector;
        sel[4] = BridgeAndMailboxHandler.relayToRecipient.selector;
        sel[5] = BridgeAndMailboxHandler.replayMessage.selector;
        sel[6] = BridgeAndMailboxHandler.retry.selector;
        sel[7] = BridgeAndMailboxHandler.toggleRecipient.selector;
        sel[8] = BridgeAndMailboxHandler.relayForgedWithdrawal.selector;
        sel[9] = BridgeAndMailboxHandler.submitCheckpoint.selector;
        sel[10] = BridgeAndMailboxHandler.rotateEpoch.selector;
        sel[11] = BridgeAndMailboxHandler.warp.selector;
        sel[12] = BridgeAndMailboxHandler.submitAtExpiryBoundary.selector;
    }

    function _spns() internal pure returns (uint32[2] memory) {
        return [uint32(7), uint32(8)];
    }

    /// Per SPN and token, the Bridge's escrow is exactly what arrived minus what was paid
    /// out (both measured on the Bridge's real balance), and the escrows of all SPNs
    /// together never exceed what the Bridge holds.
    function invariant_EscrowSolvencyPerSpnAndToken() public view {
        address[3] memory tokens = handler.tokenList();
        uint32[2] memory spns = _spns();
        for (uint256 t = 0; t < tokens.length; t++) {
            uint256 sum = 0;
            for (uint256 i = 0; i < spns.length; i++) {
                uint256 e = bridge.escrowed(spns[i], tokens[t]);
                assertEq(
                    e,
                    handler.ghostDeposited(spns[i], tokens[t])
                        - handler.ghostPaid(spns[i], tokens[t]),
                    "escrow == deposits - payouts"
                );
                sum += e;
            }
            uint256 held =
                tokens[t] == NATIVE ? Sys.BRIDGE.balance : IERC20(tokens[t]).balanceOf(Sys.BRIDGE);
            assertLe(sum, held, "escrows exceed holdings");
        }
    }

    /// Each relayed message reached its recipient at most once, and a delivered one exactly
    /// once; a failed or unknown one not at all.
    function invariant_MessageDeliveredAtMostOnce() public view {
        uint256 n = handler.relayedCount();
        for (uint256 i = 0; i < n; i++) {
            (bytes memory m, bool withdrawal, uint32 spnId) = handler.relayedAt(i);
            bytes32 id = keccak256(m);
            uint256 delivered = handler.deliveredCount(id);
            assertLe(delivered, 1, "message delivered twice");
            Mailbox.Status st = mailbox.status(id);
            assertEq(delivered, st == Mailbox.Status.Delivered ? 1 : 0, "status vs deliveries");
            if (!withdrawal) {
                uint256 handled = recipient.handled(
                    keccak256(abi.encode(spnId, _messageSender(m), _messageBody(m)))
                );
                assertEq(handled, delivered, "recipient handled count");
            }
        }
    }

    /// No withdrawal id of an SPN is ever paid twice, and the Bridge's record agrees.
    function invariant_WithdrawalPaidAtMostOnce() public view {
        uint32[2] memory spns = _spns();
        for (uint256 i = 0; i < spns.length; i++) {
            uint256[] memory refs = handler.refsSeen(spns[i]);
            for (uint256 j = 0; j < refs.length; j++) {
                uint256 count = handler.paidCount(spns[i], refs[j]);
                assertLe(count, 1, "withdrawal paid twice");
                assertTrue(
                    bridge.withdrawalPaid(spns[i], refs[j]) == (count == 1), "paid flag vs payouts"
                );
            }
        }
    }

    /// The latest finalized height only grows, and a finalized height's state root never
    /// changes.
    function invariant_FinalizedCheckpointNeverReplaced() public view {
        uint32[2] memory spns = _spns();
        for (uint256 i = 0; i < spns.length; i++) {
            uint64[] memory hs = handler.heights(spns[i]);
            uint64 maxH = 0;
            for (uint256 j = 0; j < hs.length; j++) {
                assertTrue(hs[j] > maxH, "finalized heights strictly increase");
                maxH = hs[j];
                assertEq(
                    registry.stateRootAt(spns[i], hs[j]),
                    handler.ghostRoot(spns[i], hs[j]),
                    "finalized root changed"
                );
            }
            assertEq(registry.latestCheckpoint(spns[i]).height, maxH, "latest height");
            if (hs.length > 0) {
                assertEq(
                    registry.latestCheckpoint(spns[i]).stateRoot,
                    handler.ghostRoot(spns[i], maxH),
                    "latest root"
                );
            }
        }
    }

    /// Every action's outcome matched the model (accepted iff it should be).
    function invariant_OutcomesMatchModel() public view {
        _assertOutcomesMatchModel(handler);
    }

    function _messageSender(bytes memory m) internal pure returns (bytes32 s) {
        assembly {
            s := mload(add(m, 41)) // 32 (length) + 9
        }
    }

    function _messageBody(bytes memory m) internal pure returns (bytes memory b) {
        b = new bytes(m.length - 77);
        for (uint256 i = 0; i < b.length; i++) {
            b[i] = m[77 + i];
        }
    }
}
