// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Bridge} from "../../src/Bridge.sol";
import {Mailbox} from "../../src/Mailbox.sol";
import {Registry} from "../../src/Registry.sol";
import {SpnMailbox} from "../../src/SpnMailbox.sol";
import {Checkpoint} from "../../src/lib/Checkpoint.sol";
import {SpnLayout} from "../../src/lib/SpnLayout.sol";
import {SlotProof} from "../../src/lib/StateProof.sol";
import {SystemAddresses as Sys} from "../../src/lib/SystemAddresses.sol";
import {Vm} from "../utils/Cheats.sol";
import {ModelHandler} from "../utils/InvariantHelpers.sol";
import {MockToken} from "../utils/Mocks.sol";
import {SpnHelpers} from "../utils/SpnFixture.sol";

/// Random traffic through the whole escape hatch of SPN `SPN`, whose side is the real
/// SpnMailbox and SpnBridge: deposits, the SPN taking in its queue, transfers and withdrawals
/// on the SPN, checkpoints, relayed withdrawals, forced requests, confirmations, the freeze,
/// exits and deposit refunds, including attacks (claims that are false in the last finalized
/// state, records that were never deposits, replays). SPN `OTHER_SPN` only takes deposits.
///
/// The mock Merkle Patricia verifier accepts exactly what is true in each finalized state:
/// every balance and the inbound count are registered when the checkpoint is taken, outbox
/// entries and processed requests when they are used and true. So an action is accepted iff
/// its claim is true in the last finalized state, which is the model every outcome is held to.
/// Payouts are measured as the Bridge's real balance changes.
contract EscapeHatchHandler is SpnHelpers, ModelHandler {
    struct Deposit {
        uint32 spnId;
        address token;
        address from;
        uint256 amount;
        uint256 queueIndex;
        uint256 id;
    }

    struct Withdrawal {
        address token;
        address to;
        uint256 amount;
        uint256 ref;
        bytes message;
    }

    /// A finalized state of SPN `SPN`.
    struct Snap {
        bytes32 root;
        uint64 height;
        uint256 inbound; // SpnMailbox.inboundCount
        uint256 outboxLen; // withdrawals dispatched (a prefix of `_outbox`)
    }

    struct Req {
        uint64 deadline;
        bool settled;
        uint256 processedBy; // 1 + the first snapshot showing it processed, 0 if none
    }

    uint256 public constant ACTORS = 4;

    address[2] public tokens;

    // Ghost state.
    mapping(uint32 => mapping(address => uint256)) public ghostDeposited;
    mapping(uint32 => mapping(address => uint256)) public ghostPaid;
    mapping(uint256 => uint256) public withdrawalPaidCount; // by SPN withdrawal id
    mapping(address => mapping(address => uint256)) public exitCount; // actor => token
    mapping(uint256 => uint256) public refundCount; // by index in `_deposits`
    Deposit[] internal _deposits;
    Withdrawal[] internal _outbox;
    Snap[] internal _snaps;
    mapping(uint256 => mapping(address => mapping(address => uint256))) internal _snapBal;
    mapping(uint256 => Req) internal _reqs;
    uint256[] internal _reqIds;
    bool public frozen;
    uint256 public modelPending;
    uint256 internal _salt;
    mapping(bytes4 => uint256) public calls;
    mapping(bytes4 => uint256) public accepted;

    constructor(address usd) {
        tokens = [NATIVE, usd];
    }

    modifier track() {
        calls[msg.sig]++;
        _;
    }

    // ---- helpers ----

    function actor(uint256 seed) public pure returns (address) {
        return address(uint160(0xE5C000 + seed % ACTORS));
    }

    function _token(uint256 seed) internal view returns (address) {
        return tokens[seed % 2];
    }

    function _held(address token) internal view returns (uint256) {
        return token == NATIVE ? Sys.BRIDGE.balance : IERC20(token).balanceOf(Sys.BRIDGE);
    }

    function _escrowOf(uint32 spnId) internal view returns (uint256, uint256) {
        return (bridge.escrowed(spnId, tokens[0]), bridge.escrowed(spnId, tokens[1]));
    }

    /// A payout from `spnId`'s escrow of `token`, measured since `before`; must be `amount`
    /// when `expected`, else nothing.
    function _notePayout(
        uint32 spnId,
        address token,
        uint256 before,
        uint256 amount,
        bool expected,
        string memory what
    ) internal {
        uint256 nowHeld = _held(token);
        if (nowHeld > before) {
            _unexpected(string.concat(what, ": the bridge's holdings grew"));
            return;
        }
        uint256 paid = before - nowHeld;
        ghostPaid[spnId][token] += paid;
        if (paid != (expected ? amount : 0)) _unexpected(string.concat(what, ": paid amount"));
    }

    function _latest() internal view returns (Snap memory s) {
        if (_snaps.length != 0) s = _snaps[_snaps.length - 1];
    }

    function _expiresAt(uint32 spnId) internal view returns (uint256) {
        Registry.Spn memory s = registry.spn(spnId);
        return uint256(s.epochStartedAt) + 2 * uint256(s.params.epochLength);
    }

    /// Withdrawals the SPN Mailbox dispatched, from the logs of an SPN action.
    function _captureOutbox(Vm.Log[] memory logs) internal {
        for (uint256 i = 0; i < logs.length; i++) {
            Vm.Log memory l = logs[i];
            if (l.emitter != Sys.SPN_MAILBOX || l.topics[0] != DISPATCH_TOPIC) continue;
            bytes memory m = abi.decode(l.data, (bytes));
            (uint8 kind, address token, address to, uint256 amount, uint256 ref) =
                abi.decode(_body(m), (uint8, address, address, uint256, uint256));
            if (kind != 2) _unexpected("the spn sent something other than a withdrawal");
            _outbox.push(Withdrawal(token, to, amount, ref, m));
        }
        if (_outbox.length != spnMailbox.outboxLength()) _unexpected("outbox length");
    }

    // ---- mainnet: deposits ----

    function deposit(
        uint256 spnSeed,
        uint256 tokenSeed,
        uint256 fromSeed,
        uint256 toSeed,
        uint256 amount
    ) external track {
        uint32 spnId = spnSeed % 4 == 0 ? OTHER_SPN : SPN;
        address token = _token(tokenSeed);
        address from = actor(fromSeed);
        address to = actor(toSeed);
        uint256 a = bound(amount, 1, 50 ether);
        bool expectOk = registry.status(spnId) == Registry.Status.Active;
        uint256 queueIndex = mailbox.queueLength(spnId);
        uint256 before = _held(token);
        bool ok;
        if (token == NATIVE) {
            vm.deal(from, from.balance + a);
            vm.prank(from);
            try bridge.depositNative{value: a}(spnId, to) {
                ok = true;
            } catch {}
        } else {
            MockToken(token).mint(from, a);
            vm.prank(from);
            IERC20(token).approve(Sys.BRIDGE, a);
            vm.prank(from);
            try bridge.depositERC20(spnId, token, a, to) {
                ok = true;
            } catch {}
        }
        if (ok != expectOk) _unexpected("deposit outcome");
        if (!ok) return;
        accepted[msg.sig]++;
        uint256 received = _held(token) - before;
        if (received != a) _unexpected("deposit escrowed a different amount");
        ghostDeposited[spnId][token] += received;
        _deposits.push(Deposit(spnId, token, from, received, queueIndex, bridge.depositCount()));
        bytes32 c = keccak256(abi.encode(spnId, token, from, received, queueIndex));
        if (bridge.depositCommitment(bridge.depositCount()) != c) _unexpected("commitment");
    }

    // ---- the SPN ----

    /// The SPN's block producer takes in the next 1..4 messages of its mainnet queue.
    function deliver(uint256 n) external track {
        _deliverUpTo(spnMailbox.inboundCount() + bound(n, 1, 4));
    }

    function _deliverUpTo(uint256 stop) internal {
        uint256 next = spnMailbox.inboundCount();
        uint256 end = mailbox.queueLength(SPN);
        if (stop > end) stop = end;
        if (next >= stop) return;
        vm.recordLogs();
        for (uint256 i = next; i < stop; i++) {
            bytes memory m = mailbox.messageOf(mailbox.queueAt(SPN, i));
            vm.prank(Sys.SYSTEM_CALLER);
            try spnMailbox.deliverInbound(i, m) {
                if (spnMailbox.status(keccak256(m)) != SpnMailbox.Status.Delivered) {
                    _unexpected("a bridge message was not delivered on the spn");
                }
            } catch {
                _unexpected("inbound delivery reverted");
            }
        }
        _captureOutbox(vm.getRecordedLogs());
    }

    /// The first actor from `seed` on holding some `token` on the SPN (`seed` if none).
    function _spnHolder(address token, uint256 seed) internal view returns (address) {
        for (uint256 j = 0; j < ACTORS; j++) {
            address a = actor(seed % ACTORS + j);
            if (spnBridge.balanceOf(token, a) != 0) return a;
        }
        return actor(seed);
    }

    function spnTransfer(uint256 tokenSeed, uint256 fromSeed, uint256 toSeed, uint256 amount)
        external
        track
    {
        address token = _token(tokenSeed);
        address from = _spnHolder(token, fromSeed);
        uint256 held = spnBridge.balanceOf(token, from);
        if (held == 0) return;
        vm.prank(from);
        try spnBridge.transfer(token, actor(toSeed), bound(amount, 1, held)) {
            accepted[msg.sig]++;
        } catch {
            _unexpected("spn transfer reverted");
        }
    }

    function spnWithdraw(uint256 tokenSeed, uint256 fromSeed, uint256 toSeed, uint256 amount)
        external
        track
    {
        address token = _token(tokenSeed);
        address from = _spnHolder(token, fromSeed);
        uint256 held = spnBridge.balanceOf(token, from);
        if (held == 0) return;
        vm.recordLogs();
        vm.prank(from);
        try spnBridge.withdraw(token, bound(amount, 1, held), actor(toSeed)) {
            accepted[msg.sig]++;
        } catch {
            _unexpected("spn withdrawal reverted");
        }
        _captureOutbox(vm.getRecordedLogs());
    }

    /// Finalize the SPN's current state (refused once frozen), with `takeAll` after it took
    /// in its whole queue.
    function checkpoint(uint256 heightSeed, bool takeAll) external track {
        if (takeAll) _deliverUpTo(type(uint256).max);
        bool live = registry.status(SPN) == Registry.Status.Active;
        if (live && block.timestamp >= _expiresAt(SPN)) {
            try management.rotateEpoch(SPN) {}
            catch {
                _unexpected("rotation of an expired epoch failed");
            }
        }
        uint64 height = registry.latestCheckpoint(SPN).height + uint64(bound(heightSeed, 1, 100));
        bytes32 root = keccak256(abi.encode("escape hatch state", _salt++));
        Checkpoint memory c = _checkpoint(SPN, height, root);
        uint256[] memory idx = _range(_epochSize(SPN));
        bytes[] memory sigs = _signatures(c, idx);
        try adaptor.submitCheckpoint(c, idx, sigs) {
            if (!live) _unexpected("checkpoint of a frozen spn accepted");
            _snapshot(root, height);
            accepted[msg.sig]++;
        } catch {
            if (live) _unexpected("good checkpoint rejected");
        }
    }

    /// Record the finalized state and have the verifier accept its balances and inbound count.
    function _snapshot(bytes32 root, uint64 height) internal {
        uint256 k = _snaps.length;
        uint256 inbound = spnMailbox.inboundCount();
        if (uint256(vm.load(Sys.SPN_MAILBOX, SpnLayout.INBOUND_COUNT_SLOT)) != inbound) {
            _unexpected("INBOUND_COUNT_SLOT is not inboundCount");
        }
        _snaps.push(Snap(root, height, inbound, _outbox.length));
        _proveSlot(root, Sys.SPN_MAILBOX, SpnLayout.INBOUND_COUNT_SLOT, inbound);
        for (uint256 t = 0; t < 2; t++) {
            for (uint256 a = 0; a < ACTORS; a++) {
                uint256 v = spnBridge.balanceOf(tokens[t], actor(a));
                _snapBal[k][tokens[t]][actor(a)] = v;
                _proveSlot(root, Sys.SPN_BRIDGE, SpnLayout.balanceSlot(tokens[t], actor(a)), v);
            }
        }
        for (uint256 i = 0; i < _reqIds.length; i++) {
            Req storage r = _reqs[_reqIds[i]];
            if (r.processedBy == 0 && spnBridge.forcedProcessed(_reqIds[i])) r.processedBy = k + 1;
        }
    }

    // ---- mainnet: relays ----

    /// Relay a withdrawal against the last finalized state: accepted once if that state's
    /// outbox holds it; one dispatched after it has no proof. Unless `any`, the first
    /// withdrawal from `pick` on that can be relayed is taken, if there is one.
    function relay(uint256 pick, bool any) external track {
        if (_outbox.length == 0) return;
        Snap memory s = _latest();
        uint256 i = pick % _outbox.length;
        if (!any) {
            for (uint256 j = 0; j < s.outboxLen; j++) {
                uint256 c = (pick % s.outboxLen + j) % s.outboxLen;
                if (mailbox.status(keccak256(_outbox[c].message)) == Mailbox.Status.None) {
                    i = c;
                    break;
                }
            }
        }
        Withdrawal storage w = _outbox[i];
        bytes32 id = keccak256(w.message);
        bool inState = _snaps.length != 0 && i < s.outboxLen;
        SlotProof memory proof = inState
            ? _proveSlot(s.root, Sys.SPN_MAILBOX, SpnLayout.outboxSlot(id), 1)
            : _unprovenSlot(s.root, Sys.SPN_MAILBOX);
        bool expectOk = inState && mailbox.status(id) == Mailbox.Status.None;
        uint256 before = _held(w.token);
        try adaptor.relayMessage(SPN, s.height, w.message, proof) {
            if (!expectOk) _unexpected("relay accepted");
            if (mailbox.status(id) != Mailbox.Status.Delivered) {
                _unexpected("withdrawal not paid (escrow short?)");
            }
            withdrawalPaidCount[w.ref]++;
            accepted[msg.sig]++;
        } catch {
            if (expectOk) _unexpected("relay rejected");
        }
        _notePayout(SPN, w.token, before, w.amount, expectOk, "relay");
    }

    // ---- mainnet: forced requests ----

    function requestForced(uint256 tokenSeed, uint256 actorSeed, uint256 amount) external track {
        address user = actor(actorSeed);
        bool expectOk = !frozen && modelPending < bridge.MAX_PENDING_FORCED();
        vm.deal(user, user.balance + FORCE_BOND);
        (uint256 e0, uint256 e1) = _escrowOf(SPN);
        vm.prank(user);
        try bridge.requestForcedWithdrawal{value: FORCE_BOND}(
            SPN, _token(tokenSeed), bound(amount, 1, 60 ether)
        ) returns (
            uint256 id
        ) {
            if (!expectOk) _unexpected("forced request accepted");
            _reqs[id] = Req(bridge.forcedRequest(id).deadline, false, 0);
            _reqIds.push(id);
            modelPending++;
            accepted[msg.sig]++;
        } catch {
            if (expectOk) _unexpected("forced request rejected");
        }
        _checkSettlement(e0, e1);
    }

    /// Prove a request processed at the first finalized state showing it (if any).
    function confirm(uint256 pick) external track {
        if (_reqIds.length == 0) return;
        uint256 id = _reqIds[pick % _reqIds.length];
        Req storage r = _reqs[id];
        Snap memory s = r.processedBy != 0 ? _snaps[r.processedBy - 1] : _latest();
        SlotProof memory proof = r.processedBy != 0
            ? _proveSlot(s.root, Sys.SPN_BRIDGE, SpnLayout.forcedProcessedSlot(id), 1)
            : _unprovenSlot(s.root, Sys.SPN_BRIDGE);
        bool expectOk = !r.settled && r.processedBy != 0;
        (uint256 e0, uint256 e1) = _escrowOf(SPN);
        try bridge.confirmForcedWithdrawal(id, s.height, proof) {
            if (!expectOk) _unexpected("confirmation accepted");
            r.settled = true;
            modelPending--;
            accepted[msg.sig]++;
        } catch {
            if (expectOk) _unexpected("confirmation rejected");
        }
        _checkSettlement(e0, e1);
    }

    /// Freeze through a request; `when` 1 warps to its deadline (refused), 2 and 3 one
    /// second past it, else time stays.
    function freeze(uint256 pick, uint8 when) external track {
        if (_reqIds.length == 0) return;
        uint256 id = _reqIds[pick % _reqIds.length];
        Req storage r = _reqs[id];
        uint256 w = when % 4;
        if (w == 1 && block.timestamp < r.deadline) vm.warp(r.deadline);
        if (w >= 2 && block.timestamp <= r.deadline) vm.warp(uint256(r.deadline) + 1);
        bool expectOk = !r.settled && block.timestamp > r.deadline;
        (uint256 e0, uint256 e1) = _escrowOf(SPN);
        try bridge.freeze(id) {
            if (!expectOk) _unexpected("freeze accepted");
            r.settled = true;
            modelPending--;
            frozen = true;
            accepted[msg.sig]++;
        } catch {
            if (expectOk) _unexpected("freeze rejected");
        }
        if (frozen != (registry.status(SPN) == Registry.Status.Frozen)) _unexpected("status");
        _checkSettlement(e0, e1);
    }

    /// Settling requests moves bonds, never escrow; the pending count follows the model.
    function _checkSettlement(uint256 e0, uint256 e1) internal {
        (uint256 n0, uint256 n1) = _escrowOf(SPN);
        if (n0 != e0 || n1 != e1) _unexpected("a forced request moved escrow");
        if (bridge.pendingForced(SPN) != modelPending) _unexpected("pending count");
    }

    // ---- mainnet: exits and refunds ----

    /// Modes: 0 (half the calls) the caller's balance in the last finalized state (mostly of
    /// a holder that has not exited, sometimes of one that has: a replay), 1 more than it, 2
    /// another actor's balance, 3 the caller's current (unfinalized) balance proven in a newer
    /// state.
    function exit(
        uint256 spnSeed,
        uint256 tokenSeed,
        uint256 actorSeed,
        uint256 otherSeed,
        uint8 mode
    ) external track {
        uint32 spnId = spnSeed % 8 == 0 ? OTHER_SPN : SPN;
        uint256 m = mode % 8 >= 4 ? 0 : mode % 4;
        if (m == 0) (tokenSeed, actorSeed) = _holder(tokenSeed, actorSeed, mode % 8 == 7);
        address token = _token(tokenSeed);
        address user = actor(actorSeed);
        bytes32 root = registry.latestCheckpoint(spnId).stateRoot;
        bool hasState = spnId == SPN && _snaps.length != 0;
        uint256 own = hasState ? _snapBal[_snaps.length - 1][token][user] : 0;
        uint256 amount = own;
        SlotProof memory proof = _unprovenSlot(root, Sys.SPN_BRIDGE);
        if (m == 1) {
            amount = own + 1 + otherSeed % 1 ether;
        } else if (m == 2) {
            amount = hasState ? _snapBal[_snaps.length - 1][token][actor(otherSeed)] : 0;
        } else if (m == 3) {
            amount = spnBridge.balanceOf(token, user);
            bytes32 newer = keccak256(abi.encode("unfinalized", _salt++));
            proof = _proveSlot(newer, Sys.SPN_BRIDGE, SpnLayout.balanceSlot(token, user), amount);
        }
        bool expectOk = spnId == SPN && frozen && hasState && m != 3 && amount != 0 && amount == own
            && exitCount[user][token] == 0;
        uint256 before = _held(token);
        vm.prank(user);
        try bridge.exit(spnId, token, amount, proof) {
            if (!expectOk) _unexpected("exit accepted");
            exitCount[user][token]++;
            accepted[msg.sig]++;
        } catch {
            if (expectOk) _unexpected("exit rejected (escrow short?)");
        }
        _notePayout(spnId, token, before, amount, expectOk, "exit");
    }

    /// The first (token, actor) from the seeds on whose balance in the last finalized state is
    /// not zero and (unless `exited`) not exited yet, or (if `exited`) exited already; the
    /// seeds if none.
    function _holder(uint256 tokenSeed, uint256 actorSeed, bool exited)
        internal
        view
        returns (uint256, uint256)
    {
        if (_snaps.length == 0) return (tokenSeed, actorSeed);
        uint256 k = _snaps.length - 1;
        for (uint256 j = 0; j < 2 * ACTORS; j++) {
            uint256 t = (tokenSeed % 2 + j / ACTORS) % 2;
            uint256 a = (actorSeed % ACTORS + j) % ACTORS;
            bool done = exitCount[actor(a)][tokens[t]] != 0;
            if (_snapBal[k][tokens[t]][actor(a)] != 0 && done == exited) {
                return (t, a);
            }
        }
        return (tokenSeed, actorSeed);
    }

    /// Modes: 0 (half the calls) the true record and inbound count (the first deposit from
    /// `pick` on that the model says is refundable, if any), 1 a record with a larger amount,
    /// 2 a record with a later queue index, 3 a false inbound count.
    function refund(uint256 pick, uint8 mode) external track {
        if (_deposits.length == 0) return;
        uint256 k = pick % _deposits.length;
        uint256 m = mode % 8 >= 4 ? 0 : mode % 4;
        if (m == 0) {
            uint256 inbound = _latest().inbound;
            for (uint256 j = 0; j < _deposits.length; j++) {
                uint256 c = (k + j) % _deposits.length;
                Deposit storage e = _deposits[c];
                if (e.spnId == SPN && e.queueIndex >= inbound && refundCount[c] == 0) {
                    k = c;
                    break;
                }
            }
        }
        (Bridge.DepositRecord memory rec, uint256 claimed, SlotProof memory proof, bool expectOk) =
            _refundArgs(k, m);
        Deposit storage d = _deposits[k];
        uint256 before = _held(d.token);
        vm.prank(actor(pick >> 8));
        try bridge.refundDeposit(d.id, rec, claimed, proof) {
            if (!expectOk) _unexpected("refund accepted");
            refundCount[k]++;
            accepted[msg.sig]++;
        } catch {
            if (expectOk) _unexpected("refund rejected (escrow short?)");
        }
        _notePayout(d.spnId, d.token, before, d.amount, expectOk, "refund");
    }

    function _refundArgs(uint256 k, uint256 m)
        internal
        view
        returns (
            Bridge.DepositRecord memory rec,
            uint256 claimed,
            SlotProof memory proof,
            bool expectOk
        )
    {
        Deposit storage d = _deposits[k];
        rec = Bridge.DepositRecord(d.spnId, d.token, d.from, d.amount, d.queueIndex);
        if (m == 1) rec.amount += 1;
        if (m == 2) rec.queueIndex += 1000;
        bool hasState = d.spnId == SPN && _snaps.length != 0;
        uint256 trueInbound = hasState ? _latest().inbound : 0;
        claimed = trueInbound;
        if (m == 3) claimed = trueInbound == 0 ? 1 : trueInbound - 1;
        proof = _unprovenSlot(registry.latestCheckpoint(d.spnId).stateRoot, Sys.SPN_MAILBOX);
        expectOk = d.spnId == SPN && frozen && m == 0 && refundCount[k] == 0
            && d.queueIndex >= trueInbound;
    }

    function warp(uint256 secs) external track {
        vm.warp(block.timestamp + bound(secs, 1, 2 hours));
    }

    // ---- views for the invariants ----

    /// What the last finalized state of SPN `SPN` lets users still claim in `token`: the
    /// balances not yet exited, the deposits it had not taken in and not refunded, and the
    /// withdrawals in its outbox not yet paid.
    function claimable(address token) external view returns (uint256 sum) {
        if (_snaps.length != 0) {
            uint256 k = _snaps.length - 1;
            for (uint256 a = 0; a < ACTORS; a++) {
                if (exitCount[actor(a)][token] == 0) sum += _snapBal[k][token][actor(a)];
            }
        }
        Snap memory s = _latest();
        for (uint256 i = 0; i < _deposits.length; i++) {
            Deposit storage d = _deposits[i];
            if (d.spnId == SPN && d.token == token && d.queueIndex >= s.inbound) {
                if (refundCount[i] == 0) sum += d.amount;
            }
        }
        for (uint256 i = 0; i < s.outboxLen; i++) {
            Withdrawal storage w = _outbox[i];
            if (w.token == token && withdrawalPaidCount[w.ref] == 0) sum += w.amount;
        }
    }

    function latestRoot() external view returns (bytes32) {
        return _latest().root;
    }

    function depositCount() external view returns (uint256) {
        return _deposits.length;
    }

    function depositAt(uint256 i) external view returns (Deposit memory) {
        return _deposits[i];
    }

    function outboxCount() external view returns (uint256) {
        return _outbox.length;
    }

    function outboxRef(uint256 i) external view returns (uint256) {
        return _outbox[i].ref;
    }

    function tokenList() external view returns (address[2] memory) {
        return tokens;
    }
}
