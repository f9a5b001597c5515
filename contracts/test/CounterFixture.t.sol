// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Counter} from "fixtures/Counter.sol";

/// Minimal slice of forge's cheatcode interface (forge-std is not available offline).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
}

/// Checks the behaviour the node's end-to-end tests rely on in tests/fixtures/Counter.sol.
contract CounterFixtureTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    Counter internal counter;

    function setUp() public {
        counter = new Counter();
    }

    function test_IncrementUpdatesCountAndEmits() public {
        require(counter.count() == 0, "count must start at 0");

        vm.recordLogs();
        counter.increment();
        counter.increment();
        Vm.Log[] memory logs = vm.getRecordedLogs();

        require(counter.count() == 2, "count must be 2");
        require(logs.length == 2, "expected two Incremented events");
        Vm.Log memory last = logs[1];
        require(last.emitter == address(counter), "wrong emitter");
        require(last.topics.length == 2, "expected signature + indexed `by`");
        require(
            last.topics[0] == keccak256("Incremented(address,uint256)"), "wrong event signature"
        );
        require(last.topics[0] == Counter.Incremented.selector, "selector mismatch");
        require(last.topics[1] == bytes32(uint256(uint160(address(this)))), "wrong `by`");
        require(abi.decode(last.data, (uint256)) == 2, "wrong newCount");
    }

    function test_FailRevertsWithReason() public view {
        try counter.fail() {
            revert("fail() did not revert");
        } catch Error(string memory reason) {
            require(keccak256(bytes(reason)) == keccak256("counter: always fails"), "wrong reason");
        }
    }

    function test_FailCustomRevertsWithNope7() public view {
        try counter.failCustom() {
            revert("failCustom() did not revert");
        } catch (bytes memory data) {
            require(
                keccak256(data) == keccak256(abi.encodeWithSelector(Counter.Nope.selector, 7)),
                "expected Nope(7)"
            );
            require(
                Counter.Nope.selector == bytes4(keccak256("Nope(uint256)")), "selector mismatch"
            );
        }
    }
}
