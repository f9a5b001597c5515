//! Helpers shared by the integration tests: nodes on 127.0.0.1 with deterministic keys.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use spn_network::{
    public_key_of_secret, start, NetworkConfig, NetworkEvent, NetworkEvents, NetworkHandle,
    PeerAddr, PeerKey,
};

/// The topic every test node gossips on.
pub const TOPIC: &str = "pharos/spn/1001/poa";

/// A running test node.
pub struct Node {
    pub handle: NetworkHandle,
    pub events: NetworkEvents,
}

impl Node {
    pub fn key(&self) -> PeerKey {
        self.handle.local_key()
    }

    /// This node as a static peer of others.
    pub fn addr(&self) -> PeerAddr {
        PeerAddr {
            key: self.handle.local_key(),
            addr: self.handle.listen_addr(),
        }
    }
}

/// Logs to the test output when `RUST_LOG` is set.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// The secret key of test node `n`.
pub fn secret(n: u8) -> [u8; 32] {
    [n; 32]
}

/// The public key of test node `n`.
pub fn key(n: u8) -> PeerKey {
    public_key_of_secret(&secret(n)).expect("valid test secret")
}

/// A config for test node `n` on a free port of 127.0.0.1.
pub fn config(n: u8, peers: Vec<PeerAddr>) -> NetworkConfig {
    let mut config = NetworkConfig::new("127.0.0.1:0".parse().expect("addr"), secret(n), TOPIC);
    config.peers = peers;
    config
}

/// Starts a node.
pub async fn node(config: NetworkConfig) -> Node {
    init_tracing();
    let (handle, events) = start(config).await.expect("node starts");
    Node { handle, events }
}

/// Waits until `handle` reports exactly `expected` (in any order) as connected peers.
pub async fn wait_peers(handle: &NetworkHandle, expected: &[PeerKey], within: Duration) {
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    let deadline = Instant::now() + within;
    loop {
        let peers = handle.connected_peers().await;
        if peers == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "peers of {} are {:?}, expected {:?}",
            hex::encode(handle.local_key()),
            peers.iter().map(hex::encode).collect::<Vec<_>>(),
            expected.iter().map(hex::encode).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The next event matching `pick` within `within`, skipping others; `None` on timeout.
pub async fn next_matching<T>(
    events: &mut NetworkEvents,
    within: Duration,
    mut pick: impl FnMut(NetworkEvent) -> Option<T>,
) -> Option<T> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let event = tokio::time::timeout_at(deadline, events.next())
            .await
            .ok()??;
        if let Some(found) = pick(event) {
            return Some(found);
        }
    }
}

/// All gossip received within `within`, as (publisher, payload).
pub async fn gossip_during(
    events: &mut NetworkEvents,
    within: Duration,
) -> Vec<(PeerKey, Vec<u8>)> {
    let deadline = tokio::time::Instant::now() + within;
    let mut received = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.next()).await {
        if let NetworkEvent::Gossip { from, data } = event {
            received.push((from, data));
        }
    }
    received
}

/// The next gossip within `within`.
pub async fn next_gossip(
    events: &mut NetworkEvents,
    within: Duration,
) -> Option<(PeerKey, Vec<u8>)> {
    next_matching(events, within, |e| match e {
        NetworkEvent::Gossip { from, data } => Some((from, data)),
        _ => None,
    })
    .await
}
