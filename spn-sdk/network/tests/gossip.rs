//! Gossip between real nodes on 127.0.0.1: every publish reaches every other node exactly
//! once, re-publishing identical bytes delivers them again, and small networks deliver at once.

mod common;

use std::{collections::HashMap, time::Duration};

use common::{config, gossip_during, next_gossip, node, wait_peers, Node};
use spn_network::{NetworkEvent, PeerKey};

const CONNECT: Duration = Duration::from_secs(10);
const DELIVERY: Duration = Duration::from_secs(2);

/// Collects gossip on `node` until `expected` copies arrived (or `DELIVERY` passed).
async fn receive(node: &mut Node, expected: usize) -> Vec<(PeerKey, Vec<u8>)> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + DELIVERY;
    while got.len() < expected {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_gossip(&mut node.events, left).await {
            Some(message) => got.push(message),
            None => break,
        }
    }
    got
}

fn counts(messages: &[(PeerKey, Vec<u8>)]) -> HashMap<(PeerKey, Vec<u8>), usize> {
    let mut counts = HashMap::new();
    for m in messages {
        *counts.entry(m.clone()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_deliver_each_publish_exactly_once_to_each_other_node() {
    let a = node(config(1, vec![])).await;
    let b = node(config(2, vec![a.addr()])).await;
    let c = node(config(3, vec![a.addr(), b.addr()])).await;
    let mut nodes = [a, b, c];
    let keys: Vec<PeerKey> = nodes.iter().map(Node::key).collect();
    for (i, n) in nodes.iter().enumerate() {
        let others: Vec<PeerKey> = keys.iter().copied().filter(|k| *k != keys[i]).collect();
        wait_peers(&n.handle, &others, CONNECT).await;
    }

    // Right after the peers are reported, every node publishes once...
    for (i, n) in nodes.iter().enumerate() {
        n.handle
            .broadcast(format!("vote from node {i}").into_bytes());
    }
    for (i, n) in nodes.iter_mut().enumerate() {
        let got = receive(n, 2).await;
        let mut expected: Vec<(PeerKey, Vec<u8>)> = (0..3)
            .filter(|j| *j != i)
            .map(|j| (keys[j], format!("vote from node {j}").into_bytes()))
            .collect();
        let mut sorted = got.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(sorted, expected, "node {i} first round");
    }

    // ...then re-publishes the identical bytes, as an engine re-sends a vote on timeout.
    for (i, n) in nodes.iter().enumerate() {
        n.handle
            .broadcast(format!("vote from node {i}").into_bytes());
    }
    for (i, n) in nodes.iter_mut().enumerate() {
        let mut got = receive(n, 2).await;
        // Nothing more may trickle in: no duplicates, no echo of our own messages.
        got.extend(gossip_during(&mut n.events, Duration::from_millis(1500)).await);
        let counts = counts(&got);
        assert_eq!(got.len(), 2, "node {i} second round: {counts:?}");
        for j in (0..3).filter(|j| *j != i) {
            let key = (keys[j], format!("vote from node {j}").into_bytes());
            assert_eq!(counts.get(&key), Some(&1), "node {i} from node {j}");
        }
    }
    for n in &nodes {
        assert_eq!(n.handle.dropped_gossip(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_a_broadcast_made_right_after_connecting() {
    let mut a = node(config(11, vec![])).await;
    let mut b = node(config(12, vec![a.addr()])).await;
    wait_peers(&b.handle, &[a.key()], CONNECT).await;
    b.handle.broadcast(b"from b".to_vec());
    assert_eq!(
        next_gossip(&mut a.events, DELIVERY).await,
        Some((b.key(), b"from b".to_vec()))
    );
    wait_peers(&a.handle, &[b.key()], CONNECT).await;
    a.handle.broadcast(b"from a".to_vec());
    assert_eq!(
        next_gossip(&mut b.events, DELIVERY).await,
        Some((a.key(), b"from a".to_vec()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_before_any_peer_is_held_until_one_subscribes() {
    let a = node(config(21, vec![])).await;
    a.handle.broadcast(b"early".to_vec());
    a.handle.broadcast(b"early too".to_vec());
    let mut b = node(config(22, vec![a.addr()])).await;
    let got = receive(&mut b, 2).await;
    assert_eq!(
        got,
        vec![
            (a.key(), b"early".to_vec()),
            (a.key(), b"early too".to_vec())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_event_queue_drops_and_counts_gossip_without_blocking() {
    let a = node(config(31, vec![])).await;
    let mut slow = config(32, vec![a.addr()]);
    slow.inbound_queue = 1;
    let mut b = node(slow).await;
    wait_peers(&a.handle, &[b.key()], CONNECT).await;
    wait_peers(&b.handle, &[a.key()], CONNECT).await;
    // B's only slot holds PeerConnected(A): every gossip must be dropped and counted.
    for i in 0..20u8 {
        a.handle.broadcast(vec![i]);
    }
    let deadline = tokio::time::Instant::now() + DELIVERY;
    while b.handle.dropped_gossip() < 20 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "dropped {} of 20",
            b.handle.dropped_gossip()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(matches!(
        b.events.next().await,
        Some(NetworkEvent::PeerConnected(k)) if k == a.key()
    ));
    // The swarm was never blocked: once there is room, gossip flows again.
    a.handle.broadcast(b"after".to_vec());
    assert_eq!(
        next_gossip(&mut b.events, DELIVERY).await,
        Some((a.key(), b"after".to_vec()))
    );
    assert_eq!(b.handle.dropped_gossip(), 20);
}
