// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Version} from "../src/Version.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// forge-std is not available offline, so this test uses plain require/assert:
/// forge runs every public `test*` function and fails it if it reverts.
contract VersionTest {
    Version internal version;

    function setUp() public {
        version = new Version();
    }

    function test_Version() public view {
        require(
            keccak256(bytes(version.VERSION())) == keccak256(bytes("0.1.0")), "unexpected VERSION"
        );
        assert(version.versionNumber() == 1_000);
    }

    function test_VersionNumberMatchesString() public view {
        uint256 n = version.versionNumber();
        string memory s = string.concat(
            Strings.toString(n / 1_000_000),
            ".",
            Strings.toString((n / 1_000) % 1_000),
            ".",
            Strings.toString(n % 1_000)
        );
        require(Strings.equal(s, version.VERSION()), "VERSION and versionNumber disagree");
    }
}
