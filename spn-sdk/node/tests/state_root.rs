//! The header's state root equals an independent full recomputation from the flat state,
//! after hundreds of random blocks of transfers, storage writes, deletes and empty touches.

use alloy_trie::{HashBuilder, Nibbles, TrieAccount};
use rand::{rngs::StdRng, Rng, SeedableRng};
use spn_execution::{Executor, NoExtensions};
use spn_mempool::{Config, Mempool};
use spn_node::{build_block, commit_block, init_genesis, PoolReader};
use spn_primitives::{
    consensus::{
        crypto::secp256k1::{recover_signer, sign_message},
        SignableTransaction,
    },
    keccak256, Address, Bytes, ChainSpec, GenesisAccount, RecoveredTx, TxEip1559, TxKind, B256,
    EMPTY_ROOT_HASH, U256,
};
use spn_storage::{Store, StoreOptions};
use std::sync::Arc;

const CHAIN_ID: u64 = 99;
/// Runtime code: `sstore(calldataload(0), calldataload(32))`.
const STORE_CODE: [u8; 8] = [0x60, 0x20, 0x35, 0x60, 0x00, 0x35, 0x55, 0x00];

fn key(i: u64) -> B256 {
    keccak256(i.to_be_bytes())
}

fn address(secret: B256) -> Address {
    // Recover from a signature over a fixed hash: the signer's address.
    let hash = B256::repeat_byte(1);
    let sig = sign_message(secret, hash).expect("sign");
    recover_signer(&sig, hash).expect("recover")
}

fn full_root(store: &Store) -> B256 {
    let mut leaves = Vec::new();
    for (addr, account) in store.all_accounts().expect("accounts") {
        let mut slots: Vec<(B256, U256)> = store
            .all_storage(&addr)
            .expect("storage")
            .into_iter()
            .map(|(slot, value)| (keccak256(slot.to_be_bytes::<32>()), value))
            .collect();
        slots.sort();
        let storage_root = if slots.is_empty() {
            EMPTY_ROOT_HASH
        } else {
            let mut hb = HashBuilder::default();
            for (k, v) in slots {
                hb.add_leaf(Nibbles::unpack(k), &alloy_rlp_encode_u256(v));
            }
            hb.root()
        };
        assert_eq!(storage_root, account.storage_root, "storage root of {addr}");
        let leaf = TrieAccount {
            nonce: account.nonce,
            balance: account.balance,
            storage_root,
            code_hash: account.code_hash,
        };
        leaves.push((keccak256(addr), alloy_rlp_encode_account(leaf)));
    }
    leaves.sort();
    let mut hb = HashBuilder::default();
    for (k, v) in leaves {
        hb.add_leaf(Nibbles::unpack(k), &v);
    }
    hb.root()
}

fn alloy_rlp_encode_u256(v: U256) -> Vec<u8> {
    spn_primitives::rlp::encode(v)
}

fn alloy_rlp_encode_account(a: TrieAccount) -> Vec<u8> {
    spn_primitives::rlp::encode(a)
}

fn run_seed(seed: u64, blocks: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(
        dir.path(),
        &StoreOptions {
            sync_writes: false,
            ..Default::default()
        },
    )
    .expect("open");
    let secrets: Vec<B256> = (1..=8u64).map(key).collect();
    let senders: Vec<Address> = secrets.iter().map(|s| address(*s)).collect();
    let contract = Address::repeat_byte(0xcc);
    let mut spec = ChainSpec::from_toml(&format!("chain_id = {CHAIN_ID}\n")).expect("spec");
    for a in &senders {
        spec.alloc.insert(
            *a,
            GenesisAccount {
                balance: U256::from(10u128.pow(24)),
                ..Default::default()
            },
        );
    }
    spec.alloc.insert(
        contract,
        GenesisAccount {
            code: Some(Bytes::from(STORE_CODE.to_vec())),
            ..Default::default()
        },
    );
    init_genesis(&store, &spec).expect("genesis");
    let executor = Executor::new(CHAIN_ID, Arc::new(NoExtensions));
    let pool = Mempool::<RecoveredTx>::new(Config {
        block_gas_limit: spec.gas_limit,
        ..Default::default()
    });
    let mut nonces = vec![0u64; senders.len()];
    for _ in 0..blocks {
        let (number, hash) = store.head().expect("head").expect("some head");
        let parent = store.header(number).expect("header").expect("parent");
        for _ in 0..rng.random_range(0..12) {
            let s = rng.random_range(0..senders.len());
            let (to, input, value) = match rng.random_range(0..4) {
                // Write or clear a slot (zero value deletes it).
                0 | 1 => {
                    let slot = U256::from(rng.random_range(0..40u64));
                    let value = if rng.random_bool(0.3) {
                        U256::ZERO
                    } else {
                        U256::from(rng.random::<u64>())
                    };
                    let mut data = slot.to_be_bytes::<32>().to_vec();
                    data.extend_from_slice(&value.to_be_bytes::<32>());
                    (contract, Bytes::from(data), U256::ZERO)
                }
                // Transfer to a sender or a fresh address.
                2 => {
                    let to = if rng.random_bool(0.5) {
                        senders[rng.random_range(0..senders.len())]
                    } else {
                        Address::from_word(key(rng.random_range(1000..1100u64)))
                    };
                    (
                        to,
                        Bytes::new(),
                        U256::from(rng.random_range(1..1_000_000u64)),
                    )
                }
                // Touch a fresh address with nothing: EIP-161 keeps it out of the state.
                _ => (
                    Address::from_word(key(rng.random_range(2000..2100u64))),
                    Bytes::new(),
                    U256::ZERO,
                ),
            };
            let tx = TxEip1559 {
                chain_id: CHAIN_ID,
                nonce: nonces[s],
                gas_limit: 100_000,
                max_fee_per_gas: 10_000_000_000,
                max_priority_fee_per_gas: 1,
                to: TxKind::Call(to),
                value,
                input,
                ..Default::default()
            };
            let sig = sign_message(secrets[s], tx.signature_hash()).expect("sign");
            let recovered =
                RecoveredTx::recover(tx.into_signed(sig).into(), CHAIN_ID).expect("valid");
            let reader = PoolReader(&store);
            if pool.add(recovered, &reader, 10_000_000_000).is_ok() {
                nonces[s] += 1;
            }
        }
        let built = build_block(
            &store,
            &executor,
            &pool,
            &parent,
            hash,
            Address::repeat_byte(0xfe),
        )
        .expect("build");
        assert!(built.rejected.is_empty(), "rejected: {:?}", built.rejected);
        let committed = commit_block(&store, &pool, built).expect("commit");
        let header_root = committed.block.header.state_root;
        assert_eq!(store.state_root().expect("root"), header_root);
        assert_eq!(
            full_root(&store),
            header_root,
            "seed {seed} block {}",
            committed.block.number()
        );
    }
    // The run exercised what it claims to: transactions, storage slots and transfers.
    let (head, _) = store.head().expect("head").expect("some head");
    assert_eq!(head, blocks as u64);
    assert!(
        !store.all_storage(&contract).expect("storage").is_empty(),
        "no storage written"
    );
    assert!(
        nonces.iter().sum::<u64>() > blocks as u64,
        "too few transactions"
    );
}

#[test]
fn state_root_matches_full_recomputation_after_random_blocks() {
    for seed in [1, 2, 3] {
        run_seed(seed, 100);
    }
}
