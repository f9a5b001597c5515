// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Rlp
/// @notice The two RLP operations the proofs need: read the storage root out of an account
///         leaf, and encode a storage value. Strict: non-canonical or truncated input reverts.
library Rlp {
    error MalformedRlp();

    /// @notice The storage root (third field) of an RLP account [nonce, balance, root, codeHash].
    function accountStorageRoot(bytes memory account) internal pure returns (bytes32 root) {
        uint256 len = account.length;
        if (len == 0) revert MalformedRlp();
        uint8 b0 = uint8(account[0]);
        uint256 pos;
        uint256 payload;
        if (b0 >= 0xc0 && b0 <= 0xf7) {
            pos = 1;
            payload = b0 - 0xc0;
        } else if (b0 == 0xf8) {
            if (len < 2) revert MalformedRlp();
            pos = 2;
            payload = uint8(account[1]);
            if (payload < 56) revert MalformedRlp();
        } else {
            revert MalformedRlp();
        }
        if (pos + payload != len) revert MalformedRlp();
        pos = _skipString(account, pos); // nonce
        pos = _skipString(account, pos); // balance
        if (pos + 33 > len || uint8(account[pos]) != 0xa0) revert MalformedRlp();
        assembly {
            root := mload(add(add(account, 0x20), add(pos, 1)))
        }
        pos = _skipString(account, pos + 33); // code hash
        if (pos != len) revert MalformedRlp();
    }

    /// @notice RLP of a storage value as the state trie stores it: the minimal big-endian
    ///         bytes of `v`, as an RLP string. Zero is never stored (slots are deleted).
    function encodeUint(uint256 v) internal pure returns (bytes memory) {
        if (v == 0) return hex"80";
        if (v < 0x80) return abi.encodePacked(uint8(v));
        uint256 n = 0;
        for (uint256 t = v; t != 0; t >>= 8) {
            n++;
        }
        bytes memory out = new bytes(n + 1);
        out[0] = bytes1(uint8(0x80 + n));
        for (uint256 i = 0; i < n; i++) {
            out[n - i] = bytes1(uint8(v >> (8 * i)));
        }
        return out;
    }

    function _skipString(bytes memory data, uint256 pos) private pure returns (uint256) {
        if (pos >= data.length) revert MalformedRlp();
        uint8 b = uint8(data[pos]);
        if (b < 0x80) return pos + 1;
        if (b <= 0xb7) {
            uint256 n = b - 0x80;
            if (n == 1 && (pos + 1 >= data.length || uint8(data[pos + 1]) < 0x80)) {
                revert MalformedRlp();
            }
            if (pos + 1 + n > data.length) revert MalformedRlp();
            return pos + 1 + n;
        }
        // Account fields are at most 32 bytes: longer strings are not an account.
        revert MalformedRlp();
    }
}
