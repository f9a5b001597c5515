// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Messenger} from "../src/Messenger.sol";
import {vm} from "./Vm.sol";

/// Stands in for the SPN Mailbox at 0x…2001: records what it is asked to dispatch.
contract MailboxDouble {
    uint32 public destination;
    bytes32 public recipient;
    bytes public body;

    function dispatch(uint32 destination_, bytes32 recipient_, bytes calldata body_)
        external
        returns (bytes32)
    {
        destination = destination_;
        recipient = recipient_;
        body = body_;
        return keccak256(abi.encode(destination_, recipient_, body_));
    }
}

contract MessengerTest {
    address internal constant MAILBOX = 0x0000000000000000000000000000000000002001;
    Messenger internal messenger;

    function setUp() public {
        vm.etch(MAILBOX, address(new MailboxDouble()).code);
        messenger = new Messenger();
    }

    function test_send_dispatches_through_the_spn_mailbox() public {
        address to = address(0xBEEF);
        bytes32 id = messenger.send(1002, to, "hello");
        MailboxDouble mailbox = MailboxDouble(MAILBOX);
        require(mailbox.destination() == 1002, "destination");
        require(mailbox.recipient() == bytes32(uint256(uint160(to))), "recipient is left-padded");
        require(keccak256(mailbox.body()) == keccak256("hello"), "body");
        require(id == keccak256(abi.encode(uint32(1002), mailbox.recipient(), bytes("hello"))), "id");
    }

    function test_handle_records_a_message_from_the_mailbox() public {
        vm.prank(MAILBOX);
        messenger.handle(1001, bytes32(uint256(0xA11CE)), "hi there");
        require(messenger.received() == 1, "received");
        require(messenger.lastOrigin() == 1001, "origin");
        require(messenger.lastSender() == bytes32(uint256(0xA11CE)), "sender");
        require(keccak256(messenger.lastBody()) == keccak256("hi there"), "body");
    }

    function test_handle_refuses_anyone_but_the_mailbox() public {
        vm.expectRevert(abi.encodeWithSelector(Messenger.OnlyMailbox.selector, address(this)));
        messenger.handle(1001, bytes32(0), "forged");
        require(messenger.received() == 0, "nothing recorded");
    }
}
