//! A node that stops and comes back on the same port with the same key is redialed by its
//! peers, and gossip flows again.

mod common;

use std::time::Duration;

use common::{config, next_gossip, next_matching, node};
use spn_network::{NetworkConfig, NetworkEvent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_node_is_redialed_and_gossip_flows_again() {
    let b_first = node(config(72, vec![])).await;
    let b_addr = b_first.addr();
    let mut a = node(config(71, vec![b_addr])).await;
    common::wait_peers(&a.handle, &[b_first.key()], Duration::from_secs(10)).await;

    b_first.handle.shutdown();
    tokio::time::timeout(Duration::from_secs(5), b_first.handle.stopped())
        .await
        .expect("service stops");
    let gone = next_matching(&mut a.events, Duration::from_secs(5), |e| match e {
        NetworkEvent::PeerDisconnected(k) => Some(k),
        _ => None,
    })
    .await;
    assert_eq!(gone, Some(b_addr.key));
    assert!(a.handle.connected_peers().await.is_empty());
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Same key, same port, and no static peers: only A's redial can bring them together.
    let restarted: NetworkConfig = {
        let mut c = config(72, vec![]);
        c.listen = b_addr.addr;
        c
    };
    let mut b = node(restarted).await;
    assert_eq!(b.handle.listen_addr(), b_addr.addr);
    let back = next_matching(&mut a.events, Duration::from_secs(12), |e| match e {
        NetworkEvent::PeerConnected(k) => Some(k),
        _ => None,
    })
    .await;
    assert_eq!(back, Some(b_addr.key), "A redials the restarted node");

    a.handle.broadcast(b"after restart".to_vec());
    assert_eq!(
        next_gossip(&mut b.events, Duration::from_secs(2)).await,
        Some((a.handle.local_key(), b"after restart".to_vec()))
    );
    common::wait_peers(&b.handle, &[a.handle.local_key()], Duration::from_secs(5)).await;
    b.handle.broadcast(b"hello again".to_vec());
    assert_eq!(
        next_gossip(&mut a.events, Duration::from_secs(2)).await,
        Some((b_addr.key, b"hello again".to_vec()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_service_ends_events_and_refuses_requests() {
    let mut a = node(config(73, vec![])).await;
    a.handle.shutdown();
    tokio::time::timeout(Duration::from_secs(5), a.handle.stopped())
        .await
        .expect("service stops");
    assert!(a.events.next().await.is_none(), "event stream ends");
    let err = a
        .handle
        .request(common::key(74), b"x".to_vec())
        .await
        .expect_err("stopped");
    assert!(matches!(err, spn_network::NetworkError::Closed), "{err}");
    assert!(a.handle.connected_peers().await.is_empty());
    a.handle.broadcast(b"ignored".to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_a_taken_port_is_a_clear_error() {
    let a = node(config(75, vec![])).await;
    let mut clash = config(76, vec![]);
    clash.listen = a.handle.listen_addr();
    let err = spn_network::start(clash).await.expect_err("port taken");
    assert!(
        matches!(err, spn_network::NetworkError::Bind { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("pick a free port"), "{err}");
}
