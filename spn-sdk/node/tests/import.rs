//! A block built by one node is imported by another with the same genesis: re-executed,
//! checked field by field, committed with the same hash. Tampered blocks are refused with
//! the field named, and change nothing.

use spn_execution::{
    BlockInput, ChainExtensions, DerivationError, ExecError, Executor, SystemCall,
};
use spn_mempool::{Config, Mempool};
use spn_node::{
    build_block, commit_block, import_block, init_genesis, ImportError, NodeError, PoolReader,
};
use spn_primitives::{
    consensus::{
        crypto::secp256k1::{recover_signer, sign_message},
        SignableTransaction,
    },
    keccak256, Address, Bytes, ChainSpec, GenesisAccount, Header, RecoveredTx, SealedBlock,
    StateView, TxEip1559, TxKind, B256, U256,
};
use spn_storage::{Store, StoreOptions};
use std::sync::Arc;

const CHAIN_ID: u64 = 77;
const NOW: u64 = 2_000_000_000;

/// A chain whose blocks must name `b"v1"` in their extra data; `b"later"` is not derivable yet.
struct Derived;

impl ChainExtensions for Derived {
    fn next_extra_data(&self, _state: &dyn StateView) -> Bytes {
        Bytes::from_static(b"v1")
    }

    fn pre_block_calls(
        &self,
        block: &BlockInput,
        _state: &dyn StateView,
    ) -> Result<Vec<SystemCall>, DerivationError> {
        match &block.extra_data[..] {
            b"v1" => Ok(Vec::new()),
            b"later" => Err(DerivationError::NotReady("input not seen yet".into())),
            other => Err(DerivationError::Invalid(format!(
                "extra data {other:?} is not v1"
            ))),
        }
    }
}

struct Node {
    _dir: tempfile::TempDir,
    store: Store,
    executor: Executor,
    pool: Mempool<RecoveredTx>,
}

fn secret(i: u64) -> B256 {
    keccak256(i.to_be_bytes())
}

fn address_of(secret: B256) -> Address {
    let hash = B256::repeat_byte(1);
    recover_signer(&sign_message(secret, hash).unwrap(), hash).unwrap()
}

fn node() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        dir.path(),
        &StoreOptions {
            sync_writes: false,
            ..Default::default()
        },
    )
    .unwrap();
    let mut spec = ChainSpec::from_toml(&format!("chain_id = {CHAIN_ID}\n")).unwrap();
    for i in 1..=3 {
        spec.alloc.insert(
            address_of(secret(i)),
            GenesisAccount {
                balance: U256::from(10u128.pow(24)),
                ..Default::default()
            },
        );
    }
    init_genesis(&store, &spec).unwrap();
    let pool = Mempool::new(Config {
        block_gas_limit: spec.gas_limit,
        ..Default::default()
    });
    Node {
        _dir: dir,
        store,
        executor: Executor::new(CHAIN_ID, Arc::new(Derived)),
        pool,
    }
}

fn transfer(from: u64, nonce: u64, value: u64) -> RecoveredTx {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(0x42)),
        value: U256::from(value),
        ..Default::default()
    };
    let sig = sign_message(secret(from), tx.signature_hash()).unwrap();
    RecoveredTx::recover(tx.into_signed(sig).into(), CHAIN_ID).unwrap()
}

fn head(n: &Node) -> (Header, B256) {
    let (number, hash) = n.store.head().unwrap().unwrap();
    (n.store.header(number).unwrap().unwrap(), hash)
}

/// Builds the next block on `n` from `txs` (not committed).
fn build(n: &Node, txs: Vec<RecoveredTx>) -> spn_node::BuiltBlock {
    for tx in txs {
        n.pool.add(tx, &PoolReader(&n.store), 1).unwrap();
    }
    let (parent, hash) = head(n);
    build_block(
        &n.store,
        &n.executor,
        &n.pool,
        &parent,
        hash,
        Address::repeat_byte(0xfe),
    )
    .unwrap()
}

fn refused(n: &Node, block: &SealedBlock) -> ImportError {
    let before = n.store.head().unwrap();
    let root = n.store.state_root().unwrap();
    let err = match import_block(&n.store, &n.executor, block, NOW) {
        Err(NodeError::Import(e)) => e,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("tampered block imported"),
    };
    assert_eq!(
        n.store.head().unwrap(),
        before,
        "a refused block changes nothing"
    );
    assert_eq!(n.store.state_root().unwrap(), root);
    err
}

fn resealed(block: &SealedBlock, edit: impl FnOnce(&mut Header)) -> SealedBlock {
    let mut header = block.header.clone();
    edit(&mut header);
    SealedBlock::new(header, block.transactions.clone())
}

#[test]
fn blocks_built_by_one_node_import_on_another_with_the_same_hash() {
    let (a, b) = (node(), node());
    let mut nonces = [0u64; 3];
    for round in 0..20u64 {
        let txs: Vec<_> = (0..(round % 4))
            .map(|k| {
                let s = ((round + k) % 3) as usize;
                nonces[s] += 1;
                transfer(s as u64 + 1, nonces[s] - 1, 1 + round)
            })
            .collect();
        let built = build(&a, txs);
        let block = built.block.clone();
        let committed = commit_block(&a.store, &a.pool, built).unwrap();
        assert_eq!(
            &block.header.extra_data[..],
            b"v1",
            "the extensions name the derivation"
        );
        let imported = import_block(&b.store, &b.executor, &block, NOW).expect("valid block");
        assert_eq!(imported.block.hash, committed.block.hash);
        commit_block(&b.store, &b.pool, imported).unwrap();
        assert_eq!(b.store.head().unwrap(), a.store.head().unwrap());
        assert_eq!(b.store.state_root().unwrap(), a.store.state_root().unwrap());
    }
}

#[test]
fn tampered_blocks_are_refused_with_the_field_named() {
    let (a, b) = (node(), node());
    let built = build(&a, vec![transfer(1, 0, 5), transfer(2, 0, 6)]);
    let block = built.block.clone();

    // A state root, gas used or bloom the execution does not give.
    let wrong_root = resealed(&block, |h| h.state_root = B256::repeat_byte(9));
    assert!(matches!(
        refused(&b, &wrong_root),
        ImportError::Mismatch {
            field: "state_root",
            ..
        }
    ));
    let wrong_gas = resealed(&block, |h| h.gas_used += 1);
    assert!(matches!(
        refused(&b, &wrong_gas),
        ImportError::Mismatch {
            field: "gas_used",
            ..
        }
    ));
    // A transaction dropped from the body.
    let dropped = SealedBlock::new(block.header.clone(), block.transactions[..1].to_vec());
    assert!(matches!(
        refused(&b, &dropped),
        ImportError::Mismatch { .. }
    ));
    // Not on the head, or header fields the parent fixes.
    let orphan = resealed(&block, |h| h.parent_hash = B256::repeat_byte(1));
    assert!(matches!(
        refused(&b, &orphan),
        ImportError::NotOnHead { .. }
    ));
    let fee = resealed(&block, |h| h.base_fee_per_gas = Some(1));
    assert!(matches!(
        refused(&b, &fee),
        ImportError::Header {
            field: "base_fee_per_gas",
            ..
        }
    ));
    let gas_limit = resealed(&block, |h| h.gas_limit *= 2);
    assert!(matches!(
        refused(&b, &gas_limit),
        ImportError::Header {
            field: "gas_limit",
            ..
        }
    ));
    let future = resealed(&block, |h| h.timestamp = NOW + 3_600);
    assert!(matches!(
        refused(&b, &future),
        ImportError::Header {
            field: "timestamp",
            ..
        }
    ));

    // Extra data the chain's derivation rule refuses, or cannot check yet.
    let underived = resealed(&block, |h| h.extra_data = Bytes::from_static(b"v2"));
    assert!(matches!(
        refused(&b, &underived),
        ImportError::Derivation(_)
    ));
    let later = resealed(&block, |h| h.extra_data = Bytes::from_static(b"later"));
    assert!(matches!(
        import_block(&b.store, &b.executor, &later, NOW),
        Err(NodeError::Exec(ExecError::Derivation(
            DerivationError::NotReady(_)
        )))
    ));

    // The real block imports; then a block replaying one of its transactions is refused.
    let ok = import_block(&b.store, &b.executor, &block, NOW).unwrap();
    commit_block(&b.store, &b.pool, ok).unwrap();
    commit_block(&a.store, &a.pool, built).unwrap();
    let next = build(&a, vec![transfer(3, 0, 7)]);
    let replay = SealedBlock::new(next.block.header.clone(), vec![transfer(1, 0, 5)]);
    assert!(matches!(
        refused(&b, &replay),
        ImportError::InvalidTransaction { .. }
    ));
}
