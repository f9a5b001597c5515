//! Build a tiny hand-made chain behind a stub backend, serve it, and talk raw HTTP to it.

#![allow(dead_code)]

use serde_json::{json, Value};
use spn_execution::{BlockInput, Executor, NoExtensions};
use spn_primitives::consensus::SignableTransaction;
use spn_primitives::primitives::Signature;
use spn_primitives::AccountUpdate;
use spn_primitives::{
    keccak256, Address, Bytes, CommittedBlock, Header, Log, LogData, RecoveredTx, SealedBlock,
    StateChangeset, StoredReceipt, TxEip1559, TxKind, B256, U256,
};
use spn_rpc::{start, ChainBackend, RpcConfig, SubmitError};
use spn_storage::{Store, StoreOptions};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;

pub const CHAIN_ID: u64 = 7;
pub const EOA: Address = Address::repeat_byte(0xaa);
pub const REVERTER: Address = Address::repeat_byte(0xc1);
pub const ANSWER: Address = Address::repeat_byte(0xc2);
pub const EMITTER: Address = Address::repeat_byte(0xee);
pub const GAS_HUNGRY: Address = Address::repeat_byte(0xc3);

/// Reverts with `Error("nope")`.
pub const REVERT_CODE: &str = "6308c379a060e01b600052602060045260046024526\
                           36e6f706560e01b60445260646000fd";
/// Reverts unless at least 100 000 gas is left when it starts; uses 21 gas.
pub const GAS_HUNGRY_CODE: &str = "5a620186a011600a57005b60006000fd";
/// Returns the word 42.
pub const ANSWER_CODE: &str = "602a60005260206000f3";

pub struct Stub {
    pub store: Store,
    pub executor: Executor,
    pub blocks: broadcast::Sender<Arc<CommittedBlock>>,
}

impl ChainBackend for Stub {
    fn chain_id(&self) -> u64 {
        CHAIN_ID
    }
    fn client_version(&self) -> String {
        "pharos-node/test".into()
    }
    fn store(&self) -> &Store {
        &self.store
    }
    fn executor(&self) -> &Executor {
        &self.executor
    }
    fn next_block_input(&self) -> BlockInput {
        let head = self.store.head().unwrap().map_or(0, |(n, _)| n);
        BlockInput {
            number: head + 1,
            timestamp: 1_700_000_100,
            beneficiary: Address::ZERO,
            gas_limit: 30_000_000,
            base_fee: 7,
            prevrandao: B256::ZERO,
            extra_data: Default::default(),
        }
    }
    fn submit_transaction(&self, _tx: RecoveredTx) -> Result<B256, SubmitError> {
        Err(SubmitError(
            "nonce too low: next nonce 1, tx nonce 0".into(),
        ))
    }
    fn pool_transaction(&self, _hash: &B256) -> Option<RecoveredTx> {
        None
    }
    fn pending_nonce(&self, address: &Address) -> Option<u64> {
        (*address == EOA).then_some(5)
    }
    fn suggested_priority_fee(&self) -> u128 {
        1
    }
    fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<CommittedBlock>> {
        self.blocks.subscribe()
    }
}

pub fn code(hex: &str) -> Bytes {
    hex.parse().unwrap()
}

pub fn transfer() -> RecoveredTx {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 10,
        max_priority_fee_per_gas: 2,
        to: TxKind::Call(ANSWER),
        ..Default::default()
    };
    let sig = Signature::new(U256::from(1), U256::from(2), false);
    RecoveredTx::from_trusted(tx.into_signed(sig).into(), EOA)
}

/// A store with genesis (an EOA and two contracts) and block 1 holding one transaction whose
/// receipt has one log.
pub fn chain(dir: &Path) -> (Store, CommittedBlock) {
    let store = Store::open(dir, &StoreOptions::default()).unwrap();
    let mut genesis = StateChangeset::default();
    let account = |balance: u64, code_hash| {
        Some(AccountUpdate {
            nonce: 0,
            balance: U256::from(balance),
            code_hash,
        })
    };
    genesis.accounts.push((
        EOA,
        account(1_000_000_000_000, spn_primitives::KECCAK_EMPTY),
    ));
    for (address, hex) in [
        (REVERTER, REVERT_CODE),
        (ANSWER, ANSWER_CODE),
        (GAS_HUNGRY, GAS_HUNGRY_CODE),
    ] {
        let bytes = code(hex);
        genesis
            .accounts
            .push((address, account(0, keccak256(&bytes))));
        genesis.contracts.push((keccak256(&bytes), bytes));
    }
    let prepared = store
        .prepare_state(&genesis)
        .unwrap()
        .with_chain_id(CHAIN_ID);
    let header = Header {
        state_root: prepared.state_root,
        gas_limit: 30_000_000,
        timestamp: 1_700_000_000,
        base_fee_per_gas: Some(7),
        ..Default::default()
    };
    let genesis_block = SealedBlock::new(header, Vec::new());
    store.commit_block(&genesis_block, &[], prepared).unwrap();

    let prepared = store.prepare_state(&StateChangeset::default()).unwrap();
    let header = Header {
        parent_hash: genesis_block.hash,
        number: 1,
        state_root: prepared.state_root,
        gas_limit: 30_000_000,
        gas_used: 21_000,
        timestamp: 1_700_000_001,
        base_fee_per_gas: Some(7),
        ..Default::default()
    };
    let block = SealedBlock::new(header, vec![transfer()]);
    let receipt = StoredReceipt {
        tx_type: 2,
        success: true,
        cumulative_gas_used: 21_000,
        gas_used: 21_000,
        logs: vec![Log {
            address: EMITTER,
            data: LogData::new_unchecked(vec![B256::with_last_byte(9)], Bytes::new()),
        }],
        contract_address: None,
    };
    store
        .commit_block(&block, std::slice::from_ref(&receipt), prepared)
        .unwrap();
    (
        store,
        CommittedBlock {
            block,
            receipts: vec![receipt],
            system_logs: vec![],
        },
    )
}

pub fn test_config() -> RpcConfig {
    RpcConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        max_request_body_bytes: 64 * 1024,
        max_batch_len: 2,
        max_log_range_blocks: 1,
        ..Default::default()
    }
}

/// POSTs `body` and returns the HTTP status and the response body.
pub async fn post(addr: SocketAddr, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// Calls `method` and returns the whole JSON-RPC response.
pub async fn rpc(addr: SocketAddr, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (_, text) = post(addr, &body.to_string()).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method}: {e}: {text}"))
}

pub fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("spn-rpc-{name}-{}", std::process::id()))
}

/// A running server over the fixture chain; stops it and removes the store on drop.
pub struct Fixture {
    pub addr: SocketAddr,
    pub committed: CommittedBlock,
    pub blocks: broadcast::Sender<Arc<CommittedBlock>>,
    pub backend: Arc<Stub>,
    handle: Option<spn_rpc::ServerHandle>,
    dir: PathBuf,
}

impl Fixture {
    /// The fixture chain in a fresh store named after the test, served on a free port.
    pub async fn start(name: &str) -> Self {
        let dir = temp_dir(name);
        let _ = std::fs::remove_dir_all(&dir);
        let (store, committed) = chain(&dir);
        let (blocks, _) = broadcast::channel(16);
        let backend = Arc::new(Stub {
            store,
            executor: Executor::new(CHAIN_ID, Arc::new(NoExtensions)),
            blocks: blocks.clone(),
        });
        let (addr, handle) = start(test_config(), backend.clone(), None).await.unwrap();
        Self {
            addr,
            committed,
            blocks,
            backend,
            handle: Some(handle),
            dir,
        }
    }

    /// Calls `method` and returns the whole JSON-RPC response.
    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        rpc(self.addr, method, params).await
    }

    /// Calls `method` and returns its `result`.
    pub async fn result(&self, method: &str, params: Value) -> Value {
        self.rpc(method, params).await["result"].clone()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            let _ = handle.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
