// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Message} from "../src/lib/Message.sol";
import {Rlp} from "../src/lib/Rlp.sol";
import {SpnLayout} from "../src/lib/SpnLayout.sol";
import {SystemAddresses as Sys} from "../src/lib/SystemAddresses.sol";
import {Cheats} from "./utils/Cheats.sol";

/// Exposes the calldata accessors of Message.
contract MessageHarness {
    function check(bytes calldata m) external pure {
        Message.check(m);
    }

    function header(bytes calldata m)
        external
        pure
        returns (uint32, uint32, bytes32, uint32, bytes32)
    {
        return (
            Message.nonce(m),
            Message.origin(m),
            Message.sender(m),
            Message.destination(m),
            Message.recipient(m)
        );
    }

    function body(bytes calldata m) external pure returns (bytes memory) {
        return Message.body(m);
    }

    function id(bytes calldata m) external pure returns (bytes32) {
        return Message.id(m);
    }

    function toAddress(bytes32 b) external pure returns (address) {
        return Message.toAddress(b);
    }
}

contract RlpHarness {
    function accountStorageRoot(bytes calldata account) external pure returns (bytes32) {
        return Rlp.accountStorageRoot(account);
    }
}

/// The SPN-side layout as Solidity itself lays out mappings at those bases.
contract SpnStorageWriter {
    function _outbox() internal pure returns (mapping(bytes32 => uint256) storage m) {
        bytes32 base = SpnLayout.OUTBOX;
        assembly {
            m.slot := base
        }
    }

    function _balances()
        internal
        pure
        returns (mapping(address => mapping(address => uint256)) storage m)
    {
        bytes32 base = SpnLayout.BALANCES;
        assembly {
            m.slot := base
        }
    }

    function _forced() internal pure returns (mapping(uint256 => uint256) storage m) {
        bytes32 base = SpnLayout.FORCED_PROCESSED;
        assembly {
            m.slot := base
        }
    }

    function write(bytes32 id, address token, address account, uint256 amount, uint256 req)
        external
    {
        _outbox()[id] = 1;
        _balances()[token][account] = amount;
        _forced()[req] = 1;
    }
}

contract LibsTest is Cheats {
    MessageHarness internal h = new MessageHarness();
    RlpHarness internal rlp = new RlpHarness();

    // ---- Message ----

    function testFuzz_MessageRoundTrip(
        uint32 nonce,
        uint32 origin,
        bytes32 sender,
        uint32 destination,
        bytes32 recipient,
        bytes calldata body
    ) public view {
        vm.assume(body.length <= Message.MAX_BODY);
        bytes memory m = Message.format(nonce, origin, sender, destination, recipient, body);
        assertEq(m.length, Message.HEADER_LENGTH + body.length, "length");
        assertEq(uint8(m[0]), Message.VERSION, "version");
        h.check(m);
        (uint32 n, uint32 o, bytes32 s, uint32 d, bytes32 r) = h.header(m);
        assertEq(n, nonce, "nonce");
        assertEq(o, origin, "origin");
        assertEq(s, sender, "sender");
        assertEq(d, destination, "destination");
        assertEq(r, recipient, "recipient");
        assertEq(h.body(m), body, "body");
        assertEq(h.id(m), keccak256(m), "id");
    }

    function test_MessageMatchesHyperlaneV3Layout() public pure {
        bytes memory m = Message.format(
            0x01020304,
            0x0a0b0c0d,
            bytes32(uint256(0x11)),
            0x0e0f1011,
            bytes32(uint256(0x22)),
            hex"beef"
        );
        bytes memory expected = abi.encodePacked(
            hex"03",
            hex"01020304",
            hex"0a0b0c0d",
            bytes32(uint256(0x11)),
            hex"0e0f1011",
            bytes32(uint256(0x22)),
            hex"beef"
        );
        assertEq(m, expected, "packed layout");
    }

    function test_MessageCheckRejects() public {
        vm.expectRevert(Message.MalformedMessage.selector);
        h.check(new bytes(76));
        bytes memory m = Message.format(0, 1, 0, 2, 0, "");
        h.check(m);
        m[0] = 0x04;
        vm.expectRevert(Message.MalformedMessage.selector);
        h.check(m);
        bytes memory max = Message.format(0, 1, 0, 2, 0, new bytes(Message.MAX_BODY));
        h.check(max);
        bytes memory over = Message.format(0, 1, 0, 2, 0, new bytes(Message.MAX_BODY + 1));
        vm.expectRevert(Message.MalformedMessage.selector);
        h.check(over);
    }

    function testFuzz_ToAddress(bytes32 b) public {
        if (uint256(b) >> 160 != 0) {
            vm.expectRevert(Message.MalformedMessage.selector);
            h.toAddress(b);
        } else {
            assertEq(Message.toBytes32(h.toAddress(b)), b, "round trip");
        }
    }

    // ---- Rlp ----

    /// Reference: minimal big-endian bytes of v, then the RLP string header.
    function _refEncodeUint(uint256 v) internal pure returns (bytes memory) {
        bytes memory full = abi.encodePacked(v);
        uint256 lead = 0;
        while (lead < 32 && full[lead] == 0) lead++;
        bytes memory be = new bytes(32 - lead);
        for (uint256 i = 0; i < be.length; i++) {
            be[i] = full[lead + i];
        }
        if (be.length == 1 && uint8(be[0]) < 0x80) return be;
        return abi.encodePacked(uint8(0x80 + be.length), be);
    }

    function testFuzz_RlpEncodeUintMatchesReference(uint256 v, uint8 shift) public pure {
        uint256 x = v >> (shift % 256); // cover every length
        assertEq(Rlp.encodeUint(x), _refEncodeUint(x), "encodeUint");
    }

    function test_RlpEncodeUintKnownValues() public pure {
        assertEq(Rlp.encodeUint(0), hex"80", "0");
        assertEq(Rlp.encodeUint(1), hex"01", "1");
        assertEq(Rlp.encodeUint(0x7f), hex"7f", "0x7f");
        assertEq(Rlp.encodeUint(0x80), hex"8180", "0x80");
        assertEq(Rlp.encodeUint(0x0400), hex"820400", "1024");
        assertEq(
            Rlp.encodeUint(type(uint256).max),
            abi.encodePacked(hex"a0", bytes32(type(uint256).max)),
            "max"
        );
    }

    function _account(uint256 nonce, uint256 balance, bytes32 root, bytes32 codeHash)
        internal
        pure
        returns (bytes memory)
    {
        bytes memory payload = abi.encodePacked(
            _refEncodeUint(nonce), _refEncodeUint(balance), hex"a0", root, hex"a0", codeHash
        );
        if (payload.length < 56) return abi.encodePacked(uint8(0xc0 + payload.length), payload);
        return abi.encodePacked(hex"f8", uint8(payload.length), payload);
    }

    function testFuzz_AccountStorageRoot(uint64 nonce, uint128 balance, bytes32 root, bytes32 code)
        public
        view
    {
        bytes memory acc = _account(nonce, balance, root, code);
        assertEq(rlp.accountStorageRoot(acc), root, "storage root");
    }

    function test_AccountStorageRootRejectsMalformed() public {
        bytes32 root = keccak256("r");
        bytes memory good = _account(1, 1 ether, root, keccak256("c"));
        assertEq(rlp.accountStorageRoot(good), root, "good");
        // Truncated.
        bytes memory cut = new bytes(good.length - 1);
        for (uint256 i = 0; i < cut.length; i++) {
            cut[i] = good[i];
        }
        vm.expectRevert(Rlp.MalformedRlp.selector);
        rlp.accountStorageRoot(cut);
        // Trailing byte.
        vm.expectRevert(Rlp.MalformedRlp.selector);
        rlp.accountStorageRoot(abi.encodePacked(good, hex"00"));
        // Empty, not a list.
        vm.expectRevert(Rlp.MalformedRlp.selector);
        rlp.accountStorageRoot("");
        vm.expectRevert(Rlp.MalformedRlp.selector);
        rlp.accountStorageRoot(hex"80");
        // Non-canonical single byte (0x81 0x05).
        bytes memory nonCanon =
            abi.encodePacked(hex"f845", hex"8105", hex"80", hex"a0", root, hex"a0", root);
        vm.expectRevert(Rlp.MalformedRlp.selector);
        rlp.accountStorageRoot(nonCanon);
        // Long-form list header for a short payload.
        vm.expectRevert(Rlp.MalformedRlp.selector);
        rlp.accountStorageRoot(hex"f803808080");
        // Storage root that is not 32 bytes.
        vm.expectRevert(Rlp.MalformedRlp.selector);
        rlp.accountStorageRoot(abi.encodePacked(hex"e2", hex"80", hex"80", hex"9f", bytes31(0)));
    }

    // ---- SpnLayout ----

    function testFuzz_SpnLayoutMatchesSolidityMappings(
        bytes32 id,
        address token,
        address account,
        uint256 amount,
        uint256 req
    ) public {
        vm.assume(amount != 0);
        SpnStorageWriter w = new SpnStorageWriter();
        w.write(id, token, account, amount, req);
        assertEq(uint256(vm.load(address(w), SpnLayout.outboxSlot(id))), 1, "outbox");
        assertEq(
            uint256(vm.load(address(w), SpnLayout.balanceSlot(token, account))), amount, "balance"
        );
        assertEq(uint256(vm.load(address(w), SpnLayout.forcedProcessedSlot(req))), 1, "forced");
    }

    // ---- SystemAddresses ----

    function testFuzz_IsSystem(uint160 a) public pure {
        bool expected = (a >= 0x1001 && a <= 0x1008) || a == 0x2001 || a == 0x2002;
        assertTrue(Sys.isSystem(address(a)) == expected, "isSystem");
    }

    function test_IsSystemBoundaries() public pure {
        assertTrue(!Sys.isSystem(address(0x1000)), "0x1000");
        assertTrue(Sys.isSystem(address(0x1001)), "0x1001");
        assertTrue(Sys.isSystem(address(0x1008)), "0x1008");
        assertTrue(!Sys.isSystem(address(0x1009)), "0x1009");
        assertTrue(!Sys.isSystem(address(0x2000)), "0x2000");
        assertTrue(Sys.isSystem(address(0x2002)), "0x2002");
        assertTrue(!Sys.isSystem(address(0x2003)), "0x2003");
    }
}
