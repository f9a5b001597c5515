//! The Mailbox queue proof against real contract state: messages dispatched through the
//! Mailbox, stored as a genesis, proven from a RocksDB store; every forgery refused by name.

use crate::light_client::AccountProof;
use crate::light_client_tests::store_proof;
use crate::mailbox_proof::*;
use crate::system::testkit::World;
use pharos_contracts::{self as sc, mailbox::Mailbox};
use spn_node::{Store, StoreOptions};
use spn_primitives::{keccak256, Bytes, ChainSpec, Header, B256, U256};

const SPN: u32 = 1001;
const OTHER: u32 = 1002;

struct Queued {
    _dir: tempfile::TempDir,
    store: Store,
    header: Header,
    messages: Vec<Bytes>,
}

/// Three messages queued for [`SPN`] and one for [`OTHER`] through `Mailbox.dispatch`, the
/// resulting state written as block 0 of a real store.
fn queued() -> Queued {
    let mut world = World::new();
    world.active_spn(SPN, 1, &[5, 5, 5]);
    world.active_spn(OTHER, 10, &[5, 5, 5]);
    let sender = world.account(3);
    for (destination, body) in [(SPN, "a"), (OTHER, "x"), (SPN, "bb"), (SPN, "ccc")] {
        let call = Mailbox::dispatchCall {
            destination,
            recipient: B256::with_last_byte(0x42),
            body: Bytes::from(body.as_bytes().to_vec()),
        };
        world.expect_ok(sender, sc::MAILBOX, &call, "dispatch");
    }
    let messages = world
        .sandbox
        .view(
            sc::MAILBOX,
            &Mailbox::messagesForCall {
                destination: SPN,
                from: U256::ZERO,
                max: U256::from(10),
            },
        )
        .expect("messagesFor");
    assert_eq!(messages.len(), 3);
    let mut spec = ChainSpec::from_toml(&format!("chain_id = {}\n", world.chain_id)).unwrap();
    spec.genesis_timestamp = world.sandbox.timestamp();
    spec.alloc = world.sandbox.accounts();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
    spn_node::init_genesis(&store, &spec).unwrap();
    let header = store.header(0).unwrap().unwrap();
    Queued {
        _dir: dir,
        store,
        header,
        messages,
    }
}

impl Queued {
    fn proof(&self, spn: u32, from: u64, to: u64) -> AccountProof {
        store_proof(&self.store, sc::MAILBOX, &slots::queue(spn, from, to))
    }
}

#[test]
fn proves_the_queue_length_and_ids_and_checks_messages_by_hash() {
    let q = queued();
    let proven = prove_queue(&q.header, SPN, 0, 8, &q.proof(SPN, 0, 8)).unwrap();
    assert_eq!(proven.length, 3);
    assert_eq!(proven.ids.len(), 3, "only elements below the length");
    for (i, message) in q.messages.iter().enumerate() {
        assert_eq!(proven.ids[&(i as u64)], keccak256(message));
        proven.check_message(i as u64, message).unwrap();
    }
    // From a cursor on, as the follower asks.
    let tail = prove_queue(&q.header, SPN, 2, 4, &q.proof(SPN, 2, 4)).unwrap();
    assert_eq!(tail.length, 3);
    assert_eq!(tail.ids.keys().copied().collect::<Vec<_>>(), vec![2]);
    // The other SPN's queue is its own.
    let other = prove_queue(&q.header, OTHER, 0, 4, &q.proof(OTHER, 0, 4)).unwrap();
    assert_eq!(other.length, 1);
    // An SPN nothing was sent to: a proven zero.
    let none = prove_queue(&q.header, 4242, 0, 4, &q.proof(4242, 0, 4)).unwrap();
    assert_eq!((none.length, none.ids.len()), (0, 0));
}

#[test]
fn the_slots_are_the_contracts_storage_layout() {
    let q = queued();
    let storage = q.store.account_proof(sc::MAILBOX, &slots::queue(SPN, 0, 3));
    let storage = storage.unwrap().storage;
    assert_eq!(storage[0].1, U256::from(3), "queueLength(SPN) lives there");
    for (i, (_, value, _)) in storage[1..].iter().enumerate() {
        assert_eq!(
            B256::from(*value),
            keccak256(&q.messages[i]),
            "queueAt({i})"
        );
    }
}

#[test]
fn a_message_that_is_not_the_queued_one_is_refused() {
    let q = queued();
    let proven = prove_queue(&q.header, SPN, 0, 3, &q.proof(SPN, 0, 3)).unwrap();
    let e = proven.check_message(1, &q.messages[2]).unwrap_err();
    assert!(
        matches!(e, MailboxProofError::WrongMessage { index: 1, .. }),
        "{e}"
    );
    let e = proven.check_message(7, &q.messages[0]).unwrap_err();
    assert_eq!(e, MailboxProofError::NotProven { index: 7 });
}

#[test]
fn a_proof_against_another_state_root_is_refused() {
    let q = queued();
    let header = Header {
        state_root: keccak256("another state"),
        ..q.header.clone()
    };
    let e = prove_queue(&header, SPN, 0, 3, &q.proof(SPN, 0, 3)).unwrap_err();
    assert!(matches!(e, MailboxProofError::BadProof { .. }), "{e}");
}

#[test]
fn a_forged_length_or_id_is_refused() {
    let q = queued();
    // A node claiming a shorter queue (hiding a message) with the real nodes.
    let mut shorter = q.proof(SPN, 0, 3);
    shorter.storage[0].1 = U256::from(2);
    let e = prove_queue(&q.header, SPN, 0, 3, &shorter).unwrap_err();
    assert!(matches!(e, MailboxProofError::BadProof { .. }), "{e}");
    // A node swapping in another message's id.
    let mut swapped = q.proof(SPN, 0, 3);
    swapped.storage[2].1 = U256::from_be_bytes(keccak256("forged").0);
    let e = prove_queue(&q.header, SPN, 0, 3, &swapped).unwrap_err();
    assert!(matches!(e, MailboxProofError::BadProof { .. }), "{e}");
    // A node claiming another account's leaf for the Mailbox.
    let mut account = q.proof(SPN, 0, 3);
    account.account.storage_root = keccak256("elsewhere");
    let e = prove_queue(&q.header, SPN, 0, 3, &account).unwrap_err();
    assert!(matches!(e, MailboxProofError::BadProof { .. }), "{e}");
}

#[test]
fn a_proof_that_leaves_out_a_slot_is_refused() {
    let q = queued();
    let mut partial = q.proof(SPN, 0, 3);
    partial.storage.truncate(3);
    let e = prove_queue(&q.header, SPN, 0, 3, &partial).unwrap_err();
    assert!(
        matches!(e, MailboxProofError::Missing { slot, .. } if slot == slots::queue_element(SPN, 2)),
        "{e}"
    );
    let e = prove_queue(&q.header, SPN, 0, 3, &q.proof(OTHER, 0, 3)).unwrap_err();
    assert!(matches!(e, MailboxProofError::Missing { .. }), "{e}");
}
