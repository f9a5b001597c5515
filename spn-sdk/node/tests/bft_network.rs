//! Four `bft` validators in one process, each a full node (RocksDB, revm, libp2p on
//! 127.0.0.1): transactions submitted to any node reach their owner's batch and are final in
//! one identical chain whose every block carries a verifying commit certificate; a validator
//! stopped and restarted from its data directory catches up by sync and goes on signing;
//! with two of four stopped the chain halts rather than fork.

use ed25519_dalek::SigningKey;
use spn_consensus::bft::{verify_commit_certificate, BftConfig, CommitCertificate, StakeSet};
use spn_network::{NetworkConfig, PeerAddr};
use spn_node::{
    BftSetup, BftValidators, NodeBuilder, NodeConfig, NodeHandle, RpcConfig, StoreOptions,
};
use spn_primitives::{
    consensus::{crypto::secp256k1::sign_message, SignableTransaction},
    keccak256, Address, ChainSpec, RecoveredTx, StateView, TxEip1559, TxKind, B256, U256,
};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

const CHAIN_ID: u64 = 4242;
const SENDERS: u64 = 12;

fn secret(i: u64) -> B256 {
    keccak256((i + 1000).to_be_bytes())
}

fn transfer(sender: u64, nonce: u64) -> RecoveredTx {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(0xee)),
        value: U256::from(1 + sender),
        ..Default::default()
    };
    let sig = sign_message(secret(sender), tx.signature_hash()).unwrap();
    RecoveredTx::recover(tx.into_signed(sig).into(), CHAIN_ID).unwrap()
}

fn spec() -> ChainSpec {
    let mut toml = format!("name = \"bft-test\"\nchain_id = {CHAIN_ID}\n");
    for i in 0..SENDERS {
        let address = transfer(i, 0).sender;
        toml.push_str(&format!(
            "[alloc.\"{address}\"]\nbalance = \"1000000000000000000000\"\n"
        ));
    }
    ChainSpec::from_toml(&toml).unwrap()
}

struct Net {
    keys: Vec<SigningKey>,
    ports: Vec<u16>,
    spec: ChainSpec,
}

impl Net {
    fn new(n: u8) -> Self {
        // `RUST_LOG=info` shows the nodes' logs.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let ports = (0..n)
            .map(|_| {
                let l = TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().port()
            })
            .collect();
        Self {
            keys: (1..=n).map(|i| SigningKey::from_bytes(&[i; 32])).collect(),
            ports,
            spec: spec(),
        }
    }

    fn validators(&self) -> BftValidators {
        let keys: Vec<[u8; 32]> = self
            .keys
            .iter()
            .map(|k| k.verifying_key().to_bytes())
            .collect();
        let accounts = (0..keys.len())
            .map(|i| Address::repeat_byte(0xa0 + i as u8))
            .collect();
        BftValidators::new(StakeSet::equal(&keys).unwrap(), accounts).unwrap()
    }

    async fn launch(&self, dir: &Path, i: usize) -> NodeHandle {
        let addr = |j: usize| SocketAddr::from(([127, 0, 0, 1], self.ports[j]));
        let mut network = NetworkConfig::new(addr(i), self.keys[i].to_bytes(), "pharos/test/bft");
        network.peers = (0..self.keys.len())
            .filter(|j| *j != i)
            .map(|j| PeerAddr {
                key: self.keys[j].verifying_key().to_bytes(),
                addr: addr(j),
            })
            .collect();
        let config = NodeConfig {
            datadir: dir.join(format!("v{i}")),
            rpc: RpcConfig {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                ..RpcConfig::default()
            },
            metrics_addr: None,
            store: StoreOptions::default(),
            pool: Default::default(),
            beneficiary: Address::ZERO,
        };
        let setup = BftSetup {
            config: BftConfig::new(CHAIN_ID),
            signing_key: Some(self.keys[i].clone()),
            validators: self.validators(),
            schedule: None,
            evidence: None,
            network,
        };
        // A stopped node's database may take a moment to close.
        let started = Instant::now();
        loop {
            let builder =
                NodeBuilder::new(self.spec.clone(), config.clone()).with_consensus(setup.clone());
            match builder.launch().await {
                Ok(node) => return node,
                Err(e) if started.elapsed() < Duration::from_secs(10) => {
                    eprintln!("node {i} not started yet: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("node {i}: {e}"),
            }
        }
    }
}

async fn stop(node: NodeHandle) {
    node.run_until(std::future::ready(())).await.unwrap();
}

/// Waits until `done` holds, for at most `secs` (a liveness bound, not a performance claim).
async fn wait_for(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn nonce(node: &NodeHandle, sender: u64) -> u64 {
    let address = transfer(sender, 0).sender;
    StateView::account(node.store(), &address)
        .unwrap()
        .map_or(0, |a| a.nonce)
}

/// Every node holds the same header at every height up to the lowest head, each with a
/// certificate that verifies against the set.
fn assert_one_chain(net: &Net, nodes: &[&NodeHandle]) -> u64 {
    let set = net.validators().set;
    let low = nodes.iter().map(|n| n.head()).min().unwrap();
    for height in 1..=low {
        let first = nodes[0].store().header(height).unwrap().unwrap();
        for node in &nodes[1..] {
            assert_eq!(
                node.store().header(height).unwrap().unwrap(),
                first,
                "height {height}"
            );
        }
        for node in nodes {
            let bytes = node
                .store()
                .certificate(height)
                .unwrap()
                .expect("certificate");
            let cert = CommitCertificate::decode(&bytes).unwrap();
            assert_eq!(cert.height, height);
            assert_eq!(B256::from(cert.block_hash), first.hash_slow());
            verify_commit_certificate(CHAIN_ID, &set, &cert).unwrap();
        }
    }
    low
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_finalize_one_chain_with_every_transaction_sent_to_any_node() {
    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(4);
    let mut nodes = Vec::new();
    for i in 0..4 {
        nodes.push(net.launch(dir.path(), i).await);
    }
    // Each sender's transactions go to different nodes: most reach their owner by forwarding.
    for round in 0..4u64 {
        for sender in 0..SENDERS {
            let node = &nodes[((sender + round) % 4) as usize];
            node.submit_transaction(transfer(sender, round)).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    wait_for(90, "every transfer final on every node", || {
        let nonces: Vec<Vec<u64>> = nodes
            .iter()
            .map(|n| (0..SENDERS).map(|s| nonce(n, s)).collect())
            .collect();
        eprintln!(
            "nonces {nonces:?} pools {:?}",
            nodes.iter().map(|n| n.pool().len()).collect::<Vec<_>>()
        );
        nonces.iter().all(|n| n.iter().all(|x| *x == 4))
    })
    .await;
    let refs: Vec<&NodeHandle> = nodes.iter().collect();
    let low = assert_one_chain(&net, &refs);
    let fees: U256 = (0..4)
        .map(|i| {
            StateView::account(nodes[0].store(), &Address::repeat_byte(0xa0 + i))
                .unwrap()
                .map_or(U256::ZERO, |a| a.balance)
        })
        .sum();
    assert!(fees > U256::ZERO, "block builders earn the priority fees");
    assert!(low >= 1);
    for node in nodes {
        stop(node).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_validator_catches_up_and_two_of_four_down_halts_without_a_fork() {
    let dir = tempfile::tempdir().unwrap();
    let net = Net::new(4);
    let mut nodes = Vec::new();
    for i in 0..4 {
        nodes.push(Some(net.launch(dir.path(), i).await));
    }
    let head = |n: &Option<NodeHandle>| n.as_ref().map_or(0, |n| n.head());
    wait_for(60, "three blocks", || head(&nodes[0]) >= 3).await;

    // One of four down: three thirds-plus go on. (A sender validator 3 owns waits for it to
    // come back or for the next set: only its owner batches its transactions.)
    stop(nodes[3].take().unwrap()).await;
    let at_stop = head(&nodes[0]);
    let set = net.validators().set;
    let sender = (0..SENDERS)
        .find(|s| set.owner_of(transfer(*s, 0).sender.as_slice()) != 3)
        .unwrap();
    for nonce in 0..3 {
        nodes[0]
            .as_ref()
            .unwrap()
            .submit_transaction(transfer(sender, nonce))
            .unwrap();
    }
    wait_for(60, "blocks without validator 3", || {
        head(&nodes[0]) >= at_stop + 3 && nonce(nodes[1].as_ref().unwrap(), sender) == 3
    })
    .await;

    // Back from its data directory: it syncs what it missed and takes part again.
    nodes[3] = Some(net.launch(dir.path(), 3).await);
    let target = head(&nodes[0]) + 2;
    wait_for(60, "validator 3 caught up", || head(&nodes[3]) >= target).await;
    let refs: Vec<&NodeHandle> = nodes.iter().flatten().collect();
    assert_one_chain(&net, &refs);

    // Two of four down: no quorum, no block, no fork.
    stop(nodes[2].take().unwrap()).await;
    stop(nodes[3].take().unwrap()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let halted = head(&nodes[0]);
    nodes[0]
        .as_ref()
        .unwrap()
        .submit_transaction(transfer(sender, 3))
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        head(&nodes[0]) <= halted + 1 && head(&nodes[1]) <= halted + 1,
        "two of four validators cannot finalize"
    );
    let refs: Vec<&NodeHandle> = nodes.iter().flatten().collect();
    assert_one_chain(&net, &refs);

    // Both back: the chain goes on, one chain everywhere.
    nodes[2] = Some(net.launch(dir.path(), 2).await);
    nodes[3] = Some(net.launch(dir.path(), 3).await);
    wait_for(90, "the chain goes on with four", || {
        nodes
            .iter()
            .all(|n| nonce(n.as_ref().unwrap(), sender) == 4)
    })
    .await;
    let refs: Vec<&NodeHandle> = nodes.iter().flatten().collect();
    assert_one_chain(&net, &refs);
    for node in nodes.into_iter().flatten() {
        stop(node).await;
    }
}
