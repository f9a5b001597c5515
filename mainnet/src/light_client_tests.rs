//! The light client against real Staking state (genesis stores) and real ed25519 votes:
//! what it accepts, every forgery it refuses, and sets it follows only through proofs.

use crate::light_client::*;
use crate::system::testkit::{chain_with_validators, ether, genesis_validator};
use crate::validators::{genesis_validators, Epochs};
use ed25519_dalek::{Signer, SigningKey};
use pharos_contracts::{self as sc, staking::Staking};
use spn_consensus::bft::{vote_signing_bytes, BftCertificateError, VoteKind};
use spn_execution::Sandbox;
use spn_node::{BftValidators, CertificateSignature, CertifiedHeader, Store, StoreOptions};
use spn_primitives::{keccak256, Address, Bytes, ChainSpec, Header, B256};
use std::sync::Arc;

const CHAIN: u64 = 7447;

struct Chain {
    _dir: tempfile::TempDir,
    store: Store,
    spec: ChainSpec,
    keys: Vec<SigningKey>,
}

/// A genesis store with `n` validators staking 32, 33, … ether.
fn chain(n: u64) -> Chain {
    let (validators, keys): (Vec<_>, Vec<_>) = (0..n)
        .map(|i| genesis_validator(CHAIN, i, ether(32 + i)))
        .unzip();
    let funded: Vec<Address> = validators.iter().map(|v| v.account).collect();
    let spec = chain_with_validators(CHAIN, &funded, &validators).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
    spn_node::init_genesis(&store, &spec).unwrap();
    Chain {
        _dir: dir,
        store,
        spec,
        keys,
    }
}

impl Chain {
    fn genesis_set(&self) -> BftValidators {
        genesis_validators(&self.spec).unwrap().unwrap()
    }

    /// A header at `number` over this chain's (genesis) state.
    fn header(&self, number: u64) -> Header {
        Header {
            number,
            ..self.store.header(0).unwrap().unwrap()
        }
    }

    /// Proofs of every Staking slot the light client asks for, three rounds.
    fn proofs(&self) -> Vec<StakingProof> {
        let root = self.store.header(0).unwrap().unwrap().state_root;
        let mut known = ProvenSlots::new();
        let mut proofs = Vec::new();
        loop {
            let slots = slots_to_prove(&known).unwrap();
            if slots.is_empty() {
                return proofs;
            }
            let proof = staking_proof(&self.store, &slots);
            add_proven_slots(root, &proof, &mut known).unwrap();
            proofs.push(proof);
        }
    }
}

fn staking_proof(store: &Store, slots: &[B256]) -> StakingProof {
    store_proof(store, sc::STAKING, slots)
}

/// `contract`'s `slots` proven from `store`'s latest state, as an `eth_getProof` would.
pub(crate) fn store_proof(store: &Store, contract: Address, slots: &[B256]) -> AccountProof {
    let proof = store.account_proof(contract, slots).unwrap();
    let account = proof.account.expect("the contract exists");
    AccountProof {
        account: alloy_trie::TrieAccount {
            nonce: account.nonce,
            balance: account.balance,
            storage_root: account.storage_root,
            code_hash: account.code_hash,
        },
        account_proof: proof.account_proof,
        storage: proof.storage,
    }
}

/// `header` certified by the precommits of `signers` (position, key) in round 0.
fn certify(chain_id: u64, header: &Header, signers: &[(u32, &SigningKey)]) -> CertifiedHeader {
    let rlp = spn_primitives::rlp::encode(header);
    let hash = keccak256(&rlp);
    let bytes = vote_signing_bytes(chain_id, header.number, 0, VoteKind::Precommit, &hash.0);
    CertifiedHeader {
        number: header.number,
        round: 0,
        block_hash: hash,
        header: rlp.into(),
        signatures: signers
            .iter()
            .map(|(i, key)| CertificateSignature {
                validator: *i,
                signature: Bytes::copy_from_slice(&key.sign(&bytes).to_bytes()),
            })
            .collect(),
        validators: vec![],
    }
}

fn three_of(keys: &[SigningKey]) -> Vec<(u32, &SigningKey)> {
    keys.iter()
        .take(3)
        .enumerate()
        .map(|(i, k)| (i as u32, k))
        .collect()
}

#[test]
fn proven_staking_slots_rebuild_what_validators_returns() {
    for n in [1, 4, 5] {
        let c = chain(n);
        let root = c.store.header(0).unwrap().unwrap().state_root;
        let mut known = ProvenSlots::new();
        for proof in c.proofs() {
            add_proven_slots(root, &proof, &mut known).unwrap();
        }
        let rebuilt = staking_validators_from_slots(&known).unwrap();
        let mut sandbox = Sandbox::from_alloc(
            CHAIN,
            c.spec.genesis_timestamp,
            Arc::new(crate::precompiles::MainnetExtensions),
            &c.spec.alloc,
        );
        let called = sandbox
            .view(sc::STAKING, &Staking::validatorsCall {})
            .unwrap();
        assert_eq!(rebuilt.accounts, called.accounts, "{n} validators");
        assert_eq!(rebuilt.keys, called.keys);
        assert_eq!(rebuilt.stakes, called.stakes);
        assert_eq!(rebuilt.accounts.len() as u64, n);
    }
}

#[test]
fn a_certified_header_verifies_and_every_forgery_is_refused() {
    let c = chain(4);
    let client = LightClient::new(CHAIN, Epochs::new(10).unwrap(), c.genesis_set());
    let header = c.header(5);
    let good = certify(CHAIN, &header, &three_of(&c.keys));
    assert_eq!(client.verify(&good).unwrap(), header);

    // The header served is not the block signed.
    let mut swapped = good.clone();
    swapped.header = spn_primitives::rlp::encode(Header {
        gas_used: 1,
        ..header.clone()
    })
    .into();
    assert!(matches!(
        client.verify(&swapped),
        Err(LightClientError::HeaderMismatch { .. })
    ));
    // A header of another height.
    let mut other = good.clone();
    other.header = spn_primitives::rlp::encode(c.header(6)).into();
    assert!(matches!(
        client.verify(&other),
        Err(LightClientError::WrongHeight { .. })
    ));
    // Junk header bytes.
    let mut junk = good.clone();
    junk.header = Bytes::from_static(&[0xff, 0x01]);
    assert!(matches!(
        client.verify(&junk),
        Err(LightClientError::BadHeader { .. })
    ));
    // Two of four is not a quorum.
    let mut two = good.clone();
    two.signatures.truncate(2);
    assert!(matches!(
        client.verify(&two),
        Err(LightClientError::Certificate {
            source: BftCertificateError::TooLittleStake { .. },
            ..
        })
    ));
    // A key outside the set signs in a member's place.
    let outsider = SigningKey::from_bytes(&[9; 32]);
    let forged = certify(
        CHAIN,
        &header,
        &[(0, &c.keys[0]), (1, &c.keys[1]), (2, &outsider)],
    );
    assert!(matches!(
        client.verify(&forged),
        Err(LightClientError::Certificate {
            source: BftCertificateError::BadSignature { index: 2 },
            ..
        })
    ));
    // Votes of another chain.
    let foreign = certify(CHAIN + 1, &header, &three_of(&c.keys));
    assert!(matches!(
        client.verify(&foreign),
        Err(LightClientError::Certificate {
            source: BftCertificateError::BadSignature { .. },
            ..
        })
    ));
    // A signer counted twice, a signer out of range, a short signature.
    let mut twice = good.clone();
    twice.signatures[2] = twice.signatures[1].clone();
    assert!(client.verify(&twice).is_err());
    let mut beyond = good.clone();
    beyond.signatures[2].validator = 7;
    assert!(client.verify(&beyond).is_err());
    let mut short = good.clone();
    short.signatures[0].signature = Bytes::from_static(&[1; 10]);
    assert!(matches!(
        client.verify(&short),
        Err(LightClientError::Malformed { .. })
    ));
    // The validators a node claims are ignored: the client checks against its own set.
    let mut claimed = two.clone();
    claimed.validators = vec![spn_node::CertificateValidator {
        key: B256::from(c.keys[0].verifying_key().to_bytes()),
        stake: 1,
        account: Address::ZERO,
    }];
    assert!(client.verify(&claimed).is_err());
}

#[test]
fn sets_change_only_through_proven_reads_at_epoch_boundaries() {
    let four = chain(4);
    let five = chain(5);
    let mut client = LightClient::new(CHAIN, Epochs::new(10).unwrap(), four.genesis_set());
    // Heights up to 10 need no read; 11 (epoch 1) needs the read after block 9.
    assert_eq!(client.pending_read(10), None);
    assert_eq!(client.pending_read(11), Some(9));
    let late = certify(CHAIN, &four.header(11), &three_of(&four.keys));
    assert_eq!(
        client.verify(&late),
        Err(LightClientError::SetUnknown {
            number: 11,
            read: 9
        })
    );
    // Block 9 is final, and its state (a fifth validator staked) fixes the set of epoch 1.
    let nine = five.header(9);
    client
        .verify(&certify(CHAIN, &nine, &three_of(&four.keys)))
        .unwrap();
    // The wrong block, or proofs against another root, change nothing.
    let err = client
        .apply_set_read(&five.header(19), &five.proofs())
        .unwrap_err();
    assert!(matches!(err, LightClientError::NotNextRead { .. }), "{err}");
    let err = client
        .apply_set_read(
            &Header {
                number: 9,
                ..four.header(9)
            },
            &five.proofs(),
        )
        .unwrap_err();
    assert!(matches!(err, LightClientError::BadProof { .. }), "{err}");
    let mut tampered = five.proofs();
    tampered[0].storage[0].1 += spn_primitives::U256::from(1);
    assert!(matches!(
        client.apply_set_read(&nine, &tampered),
        Err(LightClientError::BadProof { .. })
    ));
    // Too few proofs: a slot the rebuild needs is missing.
    assert!(matches!(
        client.apply_set_read(&nine, &five.proofs()[..2]),
        Err(LightClientError::BadProof { .. })
    ));
    assert_eq!(client.sets().len(), 1);
    assert_eq!(client.pending_read(11), Some(9));

    assert_eq!(client.apply_set_read(&nine, &five.proofs()), Ok(Some(11)));
    assert_eq!(client.set_at(11), &five.genesis_set());
    assert_eq!(client.set_at(10), &four.genesis_set());
    // The fifth validator's signature counts from height 11, not before.
    let with_fifth: Vec<(u32, &SigningKey)> = (1..5).map(|i| (i, &five.keys[i as usize])).collect();
    client
        .verify(&certify(CHAIN, &five.header(11), &with_fifth))
        .unwrap();
    assert!(client
        .verify(&certify(CHAIN, &five.header(10), &with_fifth))
        .is_err());
    // The next boundary reads the same set: no change, and the client moves on.
    assert_eq!(client.pending_read(21), Some(19));
    assert_eq!(
        client.apply_set_read(&five.header(19), &five.proofs()),
        Ok(None)
    );
    assert_eq!(client.pending_read(21), None);
    assert_eq!(client.pending_read(31), Some(29));
}

#[test]
fn read_blocks_are_where_the_nodes_read_sets() {
    for blocks in [2, 3, 10, 100] {
        let epochs = Epochs::new(blocks).unwrap();
        let c = LightClient::new(CHAIN, epochs, chain(1).genesis_set());
        let first = (1..1_000).find(|h| epochs.reads_set_after(*h)).unwrap();
        assert_eq!(c.pending_read(u64::MAX), Some(first), "E = {blocks}");
        assert_eq!(c.pending_read(first + spn_node::SET_LAG - 1), None);
    }
}
