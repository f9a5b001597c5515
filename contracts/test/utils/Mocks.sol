// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IMessageRecipient} from "../../src/interfaces/IMessageRecipient.sol";
import {Vm} from "./Cheats.sol";

/// The mock signature scheme the precompile mocks accept: a "signature" of the 32-byte
/// message `m` by key `k` is keccak256(k, m) ‖ keccak256(m, k). Real ed25519 is tested in Rust,
/// and by the tests that etch `RealEd25519` instead.
library MockSig {
    function sign(bytes32 k, bytes32 m) internal pure returns (bytes memory) {
        return abi.encodePacked(keccak256(abi.encode(k, m)), keccak256(abi.encode(m, k)));
    }

    function isValid(bytes32 k, bytes32 sigA, bytes32 sigB, bytes32 m)
        internal
        pure
        returns (bool)
    {
        return sigA == keccak256(abi.encode(k, m)) && sigB == keccak256(abi.encode(m, k));
    }
}

/// Stands in for the ed25519 verify precompile at 0x…0a01: input key(32) ‖ sig(64) ‖ message.
/// Messages other than one 32-byte word are signed as their keccak256.
contract MockEd25519 {
    fallback(bytes calldata input) external returns (bytes memory) {
        if (input.length < 96) return abi.encode(uint256(0));
        bytes32 k = bytes32(input[0:32]);
        bytes32 a = bytes32(input[32:64]);
        bytes32 b = bytes32(input[64:96]);
        bytes calldata message = input[96:];
        bytes32 m = message.length == 32 ? bytes32(message) : keccak256(message);
        return abi.encode(MockSig.isValid(k, a, b, m) ? uint256(1) : uint256(0));
    }
}

/// Stands in for the ed25519 verify precompile at 0x…0a01 with real ed25519 (forge's
/// `verifyEd25519` cheatcode): input key(32) ‖ sig(64) ‖ message, any message length. For
/// tests whose evidence must be real signatures (sign with `vm.signEd25519("", message, seed)`).
contract RealEd25519 {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    fallback(bytes calldata input) external returns (bytes memory) {
        if (input.length < 96) return abi.encode(uint256(0));
        bool ok = vm.verifyEd25519(input[32:96], "", input[96:], bytes32(input[0:32]));
        return abi.encode(ok ? uint256(1) : uint256(0));
    }
}

/// Stands in for the ed25519 batch precompile at 0x…0a02: n × (key32 ‖ sig64 ‖ msg32);
/// answers 1 iff n > 0 and every entry is valid.
contract MockEd25519Batch {
    fallback(bytes calldata input) external returns (bytes memory) {
        if (input.length == 0 || input.length % 128 != 0) return abi.encode(uint256(0));
        for (uint256 o = 0; o < input.length; o += 128) {
            bytes32 k = bytes32(input[o:o + 32]);
            bytes32 a = bytes32(input[o + 32:o + 64]);
            bytes32 b = bytes32(input[o + 64:o + 96]);
            bytes32 m = bytes32(input[o + 96:o + 128]);
            if (!MockSig.isValid(k, a, b, m)) return abi.encode(uint256(0));
        }
        return abi.encode(uint256(1));
    }
}

/// Stands in for the Merkle Patricia precompile at 0x…0a03: input
/// abi.encode(bytes32 root, bytes32 key, bytes value, bytes[] proof); answers 1 only for
/// (root, key, value) triples a test registered with `allow` (any non-empty proof).
contract MockMpt {
    mapping(bytes32 => bool) public allowed;

    function allow(bytes32 root, bytes32 key, bytes calldata value) external {
        allowed[keccak256(abi.encode(root, key, value))] = true;
    }

    fallback(bytes calldata input) external returns (bytes memory) {
        (bytes32 root, bytes32 key, bytes memory value, bytes[] memory proof) =
            abi.decode(input, (bytes32, bytes32, bytes, bytes[]));
        bool ok = proof.length > 0 && allowed[keccak256(abi.encode(root, key, value))];
        return abi.encode(ok ? uint256(1) : uint256(0));
    }
}

/// A plain mintable ERC-20.
contract MockToken is ERC20 {
    constructor(string memory n) ERC20(n, n) {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// An ERC-20 that burns `feeBps` of every transfer: the receiver gets less than was sent.
contract FeeToken is ERC20 {
    uint256 public feeBps;

    constructor(uint256 feeBps_) ERC20("Fee", "FEE") {
        feeBps = feeBps_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFee(uint256 feeBps_) external {
        feeBps = feeBps_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
        } else {
            uint256 fee = value * feeBps / 10_000;
            super._update(from, address(0), fee);
            super._update(from, to, value - fee);
        }
    }
}

/// A mainnet message recipient that records each delivery; can be told to revert.
contract Recipient is IMessageRecipient {
    bool public failing;
    uint256 public calls;
    mapping(bytes32 => uint256) public handled; // keccak256(origin, sender, body) => count
    uint32 public lastOrigin;
    bytes32 public lastSender;
    bytes public lastBody;

    function setFailing(bool f) external {
        failing = f;
    }

    function handle(uint32 origin, bytes32 sender, bytes calldata body) external payable {
        require(!failing, "recipient: failing");
        calls++;
        handled[keccak256(abi.encode(origin, sender, body))]++;
        lastOrigin = origin;
        lastSender = sender;
        lastBody = body;
    }
}

/// A recipient that tries to have its own message delivered again from inside `handle`.
contract ReentrantRecipient is IMessageRecipient {
    address public immutable mailbox;
    bytes public message;
    uint256 public calls;
    bool public reentryFailed;

    constructor(address mailbox_) {
        mailbox = mailbox_;
    }

    function setMessage(bytes calldata m) external {
        message = m;
    }

    function handle(uint32, bytes32, bytes calldata) external payable {
        calls++;
        (bool ok,) = mailbox.call(abi.encodeWithSignature("retry(bytes)", message));
        reentryFailed = !ok;
    }
}

/// An account that refuses native coin (unless told to accept).
contract EtherRefuser {
    bool public accepting;

    function setAccepting(bool a) external {
        accepting = a;
    }

    receive() external payable {
        require(accepting, "no ether");
    }

    /// Forward an arbitrary call (lets tests act as this account with value).
    function exec(address target, uint256 value, bytes calldata data)
        external
        payable
        returns (bytes memory)
    {
        (bool ok, bytes memory out) = target.call{value: value}(data);
        if (!ok) {
            assembly {
                revert(add(out, 0x20), mload(out))
            }
        }
        return out;
    }
}
