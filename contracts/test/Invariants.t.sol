// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Adaptor} from "../src/Adaptor.sol";
import {Mailbox} from "../src/Mailbox.sol";
import {Registry} from "../src/Registry.sol";
import {Restaking} from "../src/Restaking.sol";
import {Checkpoint} from "../src/lib/Checkpoint.sol";
import {Message} from "../src/lib/Message.sol";
import {SpnLayout} from "../src/lib/SpnLayout.sol";
import {SlotProof} from "../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {SystemFixture, SystemHelpers} from "./utils/SystemFixture.sol";
import {FeeToken, MockToken, Recipient} from "./utils/Mocks.sol";

/// Bounded random actions against the live system contracts, with ghost accounting kept
/// independently of the contracts' own bookkeeping (payouts are measured as the Bridge's
/// real balance change). Outcomes that contradict the model are counted in `unexpected`.
contract Handler is SystemHelpers {
    struct Relayed {
        uint32 spnId;
        bytes message;
        bool withdrawal; // to the Bridge, else to `recipient`
        address token;
        uint256 ref;
        uint256 amount;
    }

    uint32[2] public spns = [uint32(7), uint32(8)];
    address[3] public tokens;
    Recipient public recipient;

    // Ghost state.
    mapping(uint32 => mapping(address => uint256)) public ghostDeposited;
    mapping(uint32 => mapping(address => uint256)) public ghostPaid;
    mapping(uint32 => mapping(uint256 => uint256)) public paidCount; // (spn, withdrawal id)
    mapping(uint32 => uint256[]) internal _refsSeen;
    mapping(uint32 => mapping(uint256 => bool)) internal _refSeen;
    mapping(bytes32 => uint256) public deliveredCount; // message id => observed deliveries
    Relayed[] internal _relayed;
    mapping(uint32 => uint64[]) internal _heights; // finalized heights, in order
    mapping(uint32 => mapping(uint64 => bytes32)) public ghostRoot;
    mapping(uint32 => uint64) public maxHeightSeen;
    uint256 public unexpected;
    string public lastUnexpected;
    uint256 internal _salt;
    mapping(uint32 => uint32) internal _nonce;
    mapping(bytes4 => uint256) public calls;
    uint256 public expiredRejected; // checkpoints refused because their epoch had expired
    uint256 public freshRotations; // rotations to reopen an expired epoch before a relay
    uint256 public boundaryProbes; // checkpoints submitted right at the expiry boundary

    constructor(address usd, address fee, Recipient r) {
        tokens = [NATIVE, usd, fee];
        recipient = r;
    }

    modifier track() {
        calls[msg.sig]++;
        _;
        _checkHeights();
    }

    // ---- helpers ----

    function _unexpected(string memory what) internal {
        unexpected++;
        lastUnexpected = what;
    }

    function _spn(uint256 seed) internal view returns (uint32) {
        return spns[seed % 2];
    }

    function _actor(uint256 seed) internal pure returns (address) {
        return address(uint160(0xAC7000 + seed % 5));
    }

    function _balance(address token) internal view returns (uint256) {
        return token == NATIVE ? Sys.BRIDGE.balance : IERC20(token).balanceOf(Sys.BRIDGE);
    }

    function _noteRef(uint32 spnId, uint256 ref) internal {
        if (_refSeen[spnId][ref]) return;
        _refSeen[spnId][ref] = true;
        _refsSeen[spnId].push(ref);
    }

    /// Record a payout measured as the Bridge's balance change.
    function _notePayout(uint32 spnId, address token, uint256 ref, uint256 amount, uint256 before)
        internal
        returns (bool paid)
    {
        uint256 nowBal = _balance(token);
        if (nowBal > before) {
            _unexpected("bridge balance grew on a withdrawal");
        } else if (nowBal < before) {
            paid = true;
            ghostPaid[spnId][token] += before - nowBal;
            paidCount[spnId][ref]++;
            if (before - nowBal != amount) _unexpected("paid a different amount");
        }
    }

    /// When the current epoch of `spnId` signs checkpoints no more.
    function _expiresAt(uint32 spnId) internal view returns (uint256) {
        Registry.Spn memory s = registry.spn(spnId);
        return uint256(s.epochStartedAt) + 2 * uint256(s.params.epochLength);
    }

    /// Rotate the epoch if it has expired (rotation is always allowed by then).
    function _keepFresh(uint32 spnId) internal {
        if (block.timestamp < _expiresAt(spnId)) return;
        try management.rotateEpoch(spnId) {
            freshRotations++;
        } catch {
            _unexpected("rotation of an expired epoch failed");
        }
        if (block.timestamp >= _expiresAt(spnId)) _unexpected("rotation did not reopen");
    }

    function _finalizeTracked(uint32 spnId, uint64 height, bytes32 root) internal {
        _keepFresh(spnId);
        _finalize(spnId, height, root);
        _recordFinalized(spnId, height, root);
    }

    function _recordFinalized(uint32 spnId, uint64 height, bytes32 root) internal {
        if (ghostRoot[spnId][height] != bytes32(0)) _unexpected("height finalized twice");
        ghostRoot[spnId][height] = root;
        _heights[spnId].push(height);
    }

    function _checkHeights() internal {
        for (uint256 i = 0; i < 2; i++) {
            uint32 s = spns[i];
            uint64 h = registry.latestCheckpoint(s).height;
            if (h < maxHeightSeen[s]) _unexpected("finalized height went down");
            maxHeightSeen[s] = h;
        }
    }

    // ---- deposits ----

    function depositNative(uint256 spnSeed, uint256 actorSeed, uint256 amount) external track {
        uint32 spnId = _spn(spnSeed);
        address from = _actor(actorSeed);
        uint256 a = bound(amount, 1, 100 ether);
        vm.deal(from, from.balance + a);
        uint256 before = _balance(NATIVE);
        vm.prank(from);
        try bridge.depositNative{value: a}(spnId, from) {
            ghostDeposited[spnId][NATIVE] += _balance(NATIVE) - before;
        } catch {
            _unexpected("native deposit failed");
        }
    }

    function depositToken(uint256 spnSeed, uint256 tokenSeed, uint256 actorSeed, uint256 amount)
        external
        track
    {
        uint32 spnId = _spn(spnSeed);
        address token = tokens[1 + tokenSeed % 2];
        address from = _actor(actorSeed);
        uint256 a = bound(amount, 100, 1e24);
        MockToken(token).mint(from, a);
        vm.prank(from);
        IERC20(token).approve(Sys.BRIDGE, a);
        uint256 before = _balance(token);
        vm.prank(from);
        try bridge.depositERC20(spnId, token, a, from) {
            ghostDeposited[spnId][token] += _balance(token) - before;
        } catch {
            _unexpected("token deposit failed");
        }
    }

    // ---- withdrawals ----

    function _withdrawAmount(uint32 spnId, address token, uint256 seed)
        internal
        view
        returns (uint256)
    {
        // Mostly within the escrow, sometimes beyond it.
        uint256 held = bridge.escrowed(spnId, token);
        return bound(seed, 1, held + held / 4 + 1);
    }

    /// The Mailbox (pranked) hands the Bridge a withdrawal; withdrawal ids come from a small
    /// range so replays are frequent.
    function withdrawViaMailbox(
        uint256 spnSeed,
        uint256 tokenSeed,
        uint256 actorSeed,
        uint256 amount,
        uint256 refSeed
    ) external track {
        uint32 spnId = _spn(spnSeed);
        address token = tokens[tokenSeed % 3];
        uint256 a = _withdrawAmount(spnId, token, amount);
        uint256 ref = bound(refSeed, 1, 12);
        _noteRef(spnId, ref);
        bytes memory body = _withdrawBody(token, _actor(actorSeed), a, ref);
        _handleDirect(spnId, token, ref, a, body);
    }

    function _handleDirect(uint32 spnId, address token, uint256 ref, uint256 a, bytes memory body)
        internal
    {
        bool shouldPay = !bridge.withdrawalPaid(spnId, ref) && a <= bridge.escrowed(spnId, token);
        uint256 before = _balance(token);
        bool paid;
        vm.prank(Sys.MAILBOX);
        try bridge.handle(spnId, _b32(Sys.SPN_BRIDGE), body) {
            paid = _notePayout(spnId, token, ref, a, before);
            if (!paid) _unexpected("handle paid nothing");
        } catch {
            paid = _notePayout(spnId, token, ref, a, before);
        }
        if (shouldPay != paid) _unexpected("withdrawal outcome differs from the model");
    }

    /// A withdrawal message from the SPN Bridge, finalized in a checkpoint and relayed
    /// through the Adaptor (mock precompiles) to the Mailbox and on to the Bridge.
    function relayWithdrawal(
        uint256 spnSeed,
        uint256 tokenSeed,
        uint256 actorSeed,
        uint256 amount,
        uint256 refSeed
    ) external track {
        uint32 spnId = _spn(spnSeed);
        address token = tokens[tokenSeed % 3];
        uint256 a = _withdrawAmount(spnId, token, amount);
        uint256 ref = bound(refSeed, 1, 12);
        _noteRef(spnId, ref);
        bytes memory m = _withdrawMessage(spnId, _nonce[spnId]++, token, _actor(actorSeed), a, ref);
        _relayed.push(Relayed(spnId, m, true, token, ref, a));
        _relayNew(spnId, m, token, ref, a);
    }

    /// A message to an ordinary mainnet recipient (which may be reverting at the time).
    function relayToRecipient(uint256 spnSeed, uint256 bodySeed) external track {
        uint32 spnId = _spn(spnSeed);
        bytes memory m = Message.format(
            _nonce[spnId]++,
            spnId,
            _b32(_actor(bodySeed)),
            _mainnet(),
            _b32(address(recipient)),
            abi.encode("hello", bodySeed, _salt++)
        );
        _relayed.push(Relayed(spnId, m, false, address(0), 0, 0));
        _relayNew(spnId, m, address(0), 0, 0);
    }

    function _relayNew(uint32 spnId, bytes memory m, address token, uint256 ref, uint256 a)
        internal
    {
        uint64 height = registry.latestCheckpoint(spnId).height + 1;
        bytes32 root = keccak256(abi.encode("relay root", spnId, height, _salt++));
        _finalizeTracked(spnId, height, root);
        SlotProof memory proof =
            _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(m)), 1);
        bytes32 id = keccak256(m);
        uint256 before = token == address(0) ? 0 : _balance(token);
        try adaptor.relayMessage(spnId, height, m, proof) {
            Mailbox.Status st = mailbox.status(id);
            if (st == Mailbox.Status.Delivered) {
                deliveredCount[id]++;
                if (token != address(0) && !_notePayout(spnId, token, ref, a, before)) {
                    _unexpected("delivered withdrawal paid nothing");
                }
            } else if (st != Mailbox.Status.Failed) {
                _unexpected("relayed message neither delivered nor failed");
            } else if (token != address(0)) {
                _notePayout(spnId, token, ref, a, before);
            }
        } catch {
            _unexpected("relay of a fresh, proven message failed");
        }
    }

    /// Relay an already relayed message again (fresh checkpoint, valid proof): refused.
    function replayMessage(uint256 pick) external track {
        if (_relayed.length == 0) return;
        Relayed storage r = _relayed[pick % _relayed.length];
        uint32 spnId = r.spnId;
        bytes memory m = r.message;
        uint64 height = registry.latestCheckpoint(spnId).height + 1;
        bytes32 root = keccak256(abi.encode("replay root", spnId, height, _salt++));
        _finalizeTracked(spnId, height, root);
        SlotProof memory proof =
            _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(m)), 1);
        uint256 before = r.token == address(0) ? 0 : _balance(r.token);
        try adaptor.relayMessage(spnId, height, m, proof) {
            _unexpected("replayed message accepted");
            if (mailbox.status(keccak256(m)) == Mailbox.Status.Delivered) {
                deliveredCount[keccak256(m)]++;
            }
            if (r.token != address(0)) _notePayout(spnId, r.token, r.ref, r.amount, before);
        } catch {}
    }

    /// Retry a relayed message (anyone may); only failed ones are retryable.
    function retry(uint256 pick) external track {
        if (_relayed.length == 0) return;
        Relayed storage r = _relayed[pick % _relayed.length];
        bytes memory m = r.message;
        bytes32 id = keccak256(m);
        Mailbox.Status was = mailbox.status(id);
        uint256 before = r.token == address(0) ? 0 : _balance(r.token);
        try mailbox.retry(m) {
            if (was != Mailbox.Status.Failed) _unexpected("retried a message that had not failed");
            if (mailbox.status(id) == Mailbox.Status.Delivered) {
                deliveredCount[id]++;
                if (
                    r.token != address(0) && !_notePayout(r.spnId, r.token, r.ref, r.amount, before)
                ) {
                    _unexpected("delivered withdrawal paid nothing");
                }
            } else if (r.token != address(0)) {
                _notePayout(r.spnId, r.token, r.ref, r.amount, before);
            }
        } catch {
            if (was == Mailbox.Status.Failed) _unexpected("retry of a failed message reverted");
        }
    }

    function toggleRecipient() external track {
        recipient.setFailing(!recipient.failing());
    }

    /// A forged withdrawal: the Bridge addressed by someone other than the SPN Bridge.
    function relayForgedWithdrawal(uint256 spnSeed, uint256 amount) external track {
        uint32 spnId = _spn(spnSeed);
        bytes memory m = Message.format(
            _nonce[spnId]++,
            spnId,
            _b32(_actor(amount)),
            _mainnet(),
            _b32(Sys.BRIDGE),
            _withdrawBody(NATIVE, _actor(amount), bound(amount, 1, 1 ether), 1000 + _salt++)
        );
        uint64 height = registry.latestCheckpoint(spnId).height + 1;
        bytes32 root = keccak256(abi.encode("forged root", spnId, height, _salt++));
        _finalizeTracked(spnId, height, root);
        SlotProof memory proof =
            _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(m)), 1);
        uint256 before = _balance(NATIVE);
        try adaptor.relayMessage(spnId, height, m, proof) {
            _unexpected("forged withdrawal relayed");
        } catch {}
        if (_balance(NATIVE) != before) _unexpected("forged withdrawal paid");
    }

    // ---- checkpoints ----

    struct Signers {
        uint256[] idx;
        bytes32[] keys;
        uint256 signed;
        uint256 total;
    }

    /// A random multiset of signers (`random`) or every member plus a few repeats.
    function _pickSigners(uint32 spnId, uint64 epoch, bool random, uint256 pickSeed)
        internal
        view
        returns (Signers memory p)
    {
        uint256[] memory stakes;
        (, p.keys, stakes, p.total) = registry.epochSet(spnId, epoch);
        uint256 n = p.keys.length;
        uint256 count = random ? bound(pickSeed, 1, n + 2) : n + pickSeed % 3;
        p.idx = new uint256[](count);
        uint256 seen;
        for (uint256 i = 0; i < count; i++) {
            uint256 j = random || i >= n ? uint256(keccak256(abi.encode(pickSeed, i))) % n : i;
            p.idx[i] = j;
            if (seen & (1 << j) == 0) {
                seen |= 1 << j;
                p.signed += stakes[j];
            }
        }
    }

    function _sigs(Signers memory p, Checkpoint memory c)
        internal
        view
        returns (bytes[] memory sigs)
    {
        bytes32 d = _digest(c);
        sigs = new bytes[](p.idx.length);
        for (uint256 i = 0; i < p.idx.length; i++) {
            sigs[i] = _sign(p.keys[p.idx[i]], d);
        }
    }

    /// Kinds: 0 every member (+repeats), 1 random signers, 2 stale height, 3 conflicting
    /// with the latest finalized one, 4 zero state root, 5 another epoch.
    function submitCheckpoint(
        uint256 spnSeed,
        uint256 kindSeed,
        uint256 heightSeed,
        uint256 pickSeed
    ) external track {
        uint32 spnId = _spn(spnSeed);
        uint64 latest = registry.latestCheckpoint(spnId).height;
        uint256 kind = kindSeed % 6;
        bytes32 root = keccak256(abi.encode("checkpoint root", spnId, _salt++));
        uint64 height = latest + uint64(bound(heightSeed, 1, 1000));
        if (kind == 2) height = uint64(bound(heightSeed, 0, latest));
        if (kind == 3) height = latest;
        Checkpoint memory c = _checkpoint(spnId, height, kind == 4 ? bytes32(0) : root);
        Signers memory p = _pickSigners(spnId, c.epoch, kind == 1, pickSeed);
        if (kind == 5) {
            // Signed by the current set but claiming the next or the previous epoch.
            c.epoch = pickSeed % 2 == 0 ? c.epoch + 1 : c.epoch - 1;
        }
        bytes[] memory sigs = _sigs(p, c);
        bool quorum = p.signed * 3 > p.total * 2 && p.signed * 10_000 >= p.total * 6667;
        // The epoch's set signs for two epoch lengths from its start; a wrong epoch number is
        // reported first, everything else about the checkpoint after the expiry.
        uint256 expiresAt = _expiresAt(spnId);
        bool expectOk = (kind == 0 || kind == 1) && quorum && block.timestamp < expiresAt;
        try adaptor.submitCheckpoint(c, p.idx, sigs) {
            if (!expectOk) _unexpected("bad checkpoint accepted");
            _recordFinalized(spnId, height, root);
        } catch (bytes memory err) {
            if (expectOk) _unexpected("good checkpoint rejected");
            _checkRejection(spnId, kind == 5, c.epoch, expiresAt, err);
        }
    }

    /// A refused checkpoint claiming `epoch`: a wrong epoch number is reported first, then
    /// an expired epoch (before roots, heights and signatures); a live epoch never expired.
    function _checkRejection(
        uint32 spnId,
        bool wrongEpoch,
        uint64 epoch,
        uint256 expiresAt,
        bytes memory err
    ) internal {
        if (wrongEpoch) {
            bytes memory want = abi.encodeWithSelector(
                Adaptor.WrongEpoch.selector, epoch, registry.currentEpoch(spnId)
            );
            if (keccak256(err) != keccak256(want)) _unexpected("wrong epoch not reported first");
        } else if (block.timestamp >= expiresAt) {
            expiredRejected++;
            bytes memory want =
                abi.encodeWithSelector(Adaptor.EpochExpired.selector, epoch, expiresAt);
            if (keccak256(err) != keccak256(want)) _unexpected("expiry not reported");
        } else if (bytes4(err) == Adaptor.EpochExpired.selector) {
            _unexpected("live epoch reported expired");
        }
    }

    /// A good checkpoint (every member signs) right at the expiry boundary of the current
    /// epoch: one second before it is accepted, at it refused.
    function submitAtExpiryBoundary(uint256 spnSeed, bool atExpiry, uint256 heightSeed)
        external
        track
    {
        uint32 spnId = _spn(spnSeed);
        // Past the boundary already: reopen the epoch and probe the new window.
        if (block.timestamp >= _expiresAt(spnId)) _keepFresh(spnId);
        uint256 expiresAt = _expiresAt(spnId);
        uint256 target = atExpiry ? expiresAt : expiresAt - 1;
        if (block.timestamp > target) return;
        vm.warp(target);
        boundaryProbes++;
        uint64 height = registry.latestCheckpoint(spnId).height + uint64(bound(heightSeed, 1, 50));
        bytes32 root = keccak256(abi.encode("boundary root", spnId, _salt++));
        Checkpoint memory c = _checkpoint(spnId, height, root);
        Signers memory p = _pickSigners(spnId, c.epoch, false, heightSeed);
        bytes[] memory sigs = _sigs(p, c);
        try adaptor.submitCheckpoint(c, p.idx, sigs) {
            if (atExpiry) _unexpected("checkpoint at expiry accepted");
            _recordFinalized(spnId, height, root);
        } catch (bytes memory err) {
            if (!atExpiry) _unexpected("checkpoint one second before expiry rejected");
            bytes memory want =
                abi.encodeWithSelector(Adaptor.EpochExpired.selector, c.epoch, expiresAt);
            if (keccak256(err) != keccak256(want)) _unexpected("expiry not reported at boundary");
            expiredRejected++;
        }
    }

    function rotateEpoch(uint256 spnSeed) external track {
        uint32 spnId = _spn(spnSeed);
        vm.warp(block.timestamp + EPOCH_LENGTH);
        try management.rotateEpoch(spnId) {
            if (_expiresAt(spnId) != block.timestamp + 2 * EPOCH_LENGTH) {
                _unexpected("rotation did not restart the window");
            }
        } catch {
            _unexpected("rotation failed");
        }
    }

    function warp(uint256 secs) external track {
        vm.warp(block.timestamp + bound(secs, 1, 3 days));
    }

    // ---- views for the invariants ----

    function refsSeen(uint32 spnId) external view returns (uint256[] memory) {
        return _refsSeen[spnId];
    }

    function heights(uint32 spnId) external view returns (uint64[] memory) {
        return _heights[spnId];
    }

    function relayedCount() external view returns (uint256) {
        return _relayed.length;
    }

    function relayedAt(uint256 i)
        external
        view
        returns (bytes memory message, bool withdrawal, uint32 spnId)
    {
        Relayed storage r = _relayed[i];
        return (r.message, r.withdrawal, r.spnId);
    }

    function tokenList() external view returns (address[3] memory) {
        return tokens;
    }
}

contract InvariantsTest is SystemFixture {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    Handler internal handler;
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
        handler = new Handler(address(usd), address(fee), recipient);
        vm.label(address(handler), "Handler");
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory s) {
        bytes4[] memory sel = new bytes4[](13);
        sel[0] = Handler.depositNative.selector;
        sel[1] = Handler.depositToken.selector;
        sel[2] = Handler.withdrawViaMailbox.selector;
        sel[3] = Handler.relayWithdrawal.selector;
        sel[4] = Handler.relayToRecipient.selector;
        sel[5] = Handler.replayMessage.selector;
        sel[6] = Handler.retry.selector;
        sel[7] = Handler.toggleRecipient.selector;
        sel[8] = Handler.relayForgedWithdrawal.selector;
        sel[9] = Handler.submitCheckpoint.selector;
        sel[10] = Handler.rotateEpoch.selector;
        sel[11] = Handler.warp.selector;
        sel[12] = Handler.submitAtExpiryBoundary.selector;
        s = new FuzzSelector[](1);
        s[0] = FuzzSelector(address(handler), sel);
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
        if (handler.unexpected() != 0) revert(handler.lastUnexpected());
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

/// Random restakes (some below the operator minimum), unstakes (some that would leave less
/// than the minimum), withdrawals and slashes (by evidence and of the whole SPN) by a small
/// pool of operators on one SPN; the operator list must stay exactly the set of operators
/// holding active or unbonding stake there (swap-and-pop on leaving or being slashed), each
/// once, and no operator ever holds a non-zero active stake below the minimum.
contract OperatorHandler is SystemHelpers {
    uint32 public constant SPN = 9;
    uint256 public constant POOL = 8;
    uint256 internal constant MIN = 1 ether; // Restaking.MIN_OPERATOR_STAKE

    uint256 public unexpected;
    string public lastUnexpected;
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

    function _unexpected(string memory what) internal {
        unexpected++;
        lastUnexpected = what;
    }

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

contract OperatorListInvariantsTest is SystemFixture {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    OperatorHandler internal handler;
    uint32 internal constant SPN = 9;

    function setUp() public override {
        super.setUp();
        _registerSpn(SPN);
        handler = new OperatorHandler();
        vm.label(address(handler), "OperatorHandler");
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory s) {
        bytes4[] memory sel = new bytes4[](6);
        sel[0] = OperatorHandler.restake.selector;
        sel[1] = OperatorHandler.unstake.selector;
        sel[2] = OperatorHandler.withdraw.selector;
        sel[3] = OperatorHandler.warp.selector;
        sel[4] = OperatorHandler.slashEquivocation.selector;
        sel[5] = OperatorHandler.slashSpn.selector;
        s = new FuzzSelector[](1);
        s[0] = FuzzSelector(address(handler), sel);
    }

    /// operatorsOf lists exactly the pool operators with active or unbonding stake, each
    /// once; isOperatorOf agrees; active stakes sum to totalStake and the LST held covers
    /// active plus unbonding stake.
    function invariant_OperatorListMatchesStake() public view {
        address[] memory ops = restaking.operatorsOf(SPN);
        uint256 holders = 0;
        uint256 active = 0;
        uint256 pending = 0;
        for (uint256 i = 0; i < handler.POOL(); i++) {
            address o = handler.operator(i);
            uint256 st = restaking.stakeOf(SPN, o);
            uint256 un = restaking.unstakingOf(SPN, o);
            active += st;
            pending += un;
            bool holds = st > 0 || un > 0;
            if (holds) holders++;
            assertTrue(st == 0 || st >= restaking.MIN_OPERATOR_STAKE(), "active stake is dust");
            assertTrue(restaking.isOperatorOf(SPN, o) == holds, "isOperatorOf iff stake");
            uint256 seen = 0;
            for (uint256 j = 0; j < ops.length; j++) {
                if (ops[j] == o) seen++;
            }
            assertEq(seen, holds ? 1 : 0, "listed once iff stake");
        }
        assertEq(ops.length, holders, "only stake holders listed");
        assertEq(restaking.totalStake(SPN), active, "total stake");
        assertEq(lst.balanceOf(Sys.RESTAKING), active + pending, "lst held");
        assertEq(
            lst.balanceOf(Sys.RESTAKING),
            handler.ghostIn() - handler.ghostOut() - handler.ghostBurned(),
            "lst held == restaked - withdrawn - slashed"
        );
        // Every seat taken was given up again or is still held.
        assertEq(handler.joins(), handler.leaves() + ops.length, "joins == leaves + seats");
    }

    /// Every action's outcome matched the model (minimum stake, seats, unbonding).
    function invariant_OperatorOutcomesMatchModel() public view {
        if (handler.unexpected() != 0) revert(handler.lastUnexpected());
    }
}
