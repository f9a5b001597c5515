// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Adaptor} from "../../src/Adaptor.sol";
import {Mailbox} from "../../src/Mailbox.sol";
import {Registry} from "../../src/Registry.sol";
import {Checkpoint} from "../../src/lib/Checkpoint.sol";
import {Message} from "../../src/lib/Message.sol";
import {SpnLayout} from "../../src/lib/SpnLayout.sol";
import {SlotProof} from "../../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {ModelHandler} from "../utils/InvariantHelpers.sol";
import {MockToken, Recipient} from "../utils/Mocks.sol";
import {SystemHelpers} from "../utils/SystemFixture.sol";

/// Bounded random actions against the live system contracts, with ghost accounting kept
/// independently of the contracts' own bookkeeping (payouts are measured as the Bridge's
/// real balance change). Outcomes that contradict the model are counted in `unexpected`.
contract BridgeAndMailboxHandler is SystemHelpers, ModelHandler {
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

    /// An SPN, a token, an amount (mostly within that escrow) and a withdrawal id; ids come
    /// from a small range so replays are frequent.
    function _pickWithdrawal(uint256 spnSeed, uint256 tokenSeed, uint256 amount, uint256 refSeed)
        internal
        returns (uint32 spnId, address token, uint256 a, uint256 ref)
    {
        spnId = _spn(spnSeed);
        token = tokens[tokenSeed % 3];
        a = _withdrawAmount(spnId, token, amount);
        ref = bound(refSeed, 1, 12);
        _noteRef(spnId, ref);
    }

    /// The Mailbox (pranked) hands the Bridge a withdrawal.
    function withdrawViaMailbox(
        uint256 spnSeed,
        uint256 tokenSeed,
        uint256 actorSeed,
        uint256 amount,
        uint256 refSeed
    ) external track {
        (uint32 spnId, address token, uint256 a, uint256 ref) =
            _pickWithdrawal(spnSeed, tokenSeed, amount, refSeed);
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
        (uint32 spnId, address token, uint256 a, uint256 ref) =
            _pickWithdrawal(spnSeed, tokenSeed, amount, refSeed);
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

    /// Finalize the next height of `spnId` under a fresh root (named after `label`) whose
    /// SPN Mailbox outbox holds `m`; returns the height and the proof to relay `m` with.
    function _finalizeOutbox(uint32 spnId, string memory label, bytes memory m)
        internal
        returns (uint64 height, SlotProof memory proof)
    {
        height = registry.latestCheckpoint(spnId).height + 1;
        bytes32 root = keccak256(abi.encode(label, spnId, height, _salt++));
        _finalizeTracked(spnId, height, root);
        proof = _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(keccak256(m)), 1);
    }

    function _relayNew(uint32 spnId, bytes memory m, address token, uint256 ref, uint256 a)
        internal
    {
        (uint64 height, SlotProof memory proof) = _finalizeOutbox(spnId, "relay root", m);
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
        (uint64 height, SlotProof memory proof) = _finalizeOutbox(spnId, "replay root", m);
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
        (uint64 height, SlotProof memory proof) = _finalizeOutbox(spnId, "forged root", m);
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
