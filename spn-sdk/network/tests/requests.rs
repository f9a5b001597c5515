//! Direct requests between real nodes: answers come back, dropped or late answers become
//! errors, and oversized requests are refused on both sides with clear errors.

mod common;

use std::time::{Duration, Instant};

use common::{config, key, next_matching, node, wait_peers, Node};
use spn_network::{NetworkError, NetworkEvent, PeerKey};

const CONNECT: Duration = Duration::from_secs(10);

/// Answers every request on `node` with `answer(data)` (or drops it when `None`), holding
/// the responders of requests it should leave unanswered.
fn serve(mut node: Node, answer: fn(Vec<u8>) -> Option<Vec<u8>>) -> tokio::task::JoinHandle<Node> {
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Some(event) = node.events.next().await {
            if let NetworkEvent::Request { data, reply, .. } = event {
                if data == b"stall" {
                    held.push(reply);
                    continue;
                }
                match answer(data) {
                    Some(response) => reply.send(response),
                    None => drop(reply),
                }
            }
        }
        node
    })
}

async fn pair(a: u8, b: u8) -> (Node, Node) {
    let mut ca = config(a, vec![]);
    ca.request_timeout = Duration::from_secs(1);
    let first = node(ca).await;
    let second = node(config(b, vec![first.addr()])).await;
    wait_peers(&first.handle, &[second.key()], CONNECT).await;
    (first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_roundtrip_returns_the_answer() {
    let (a, b) = pair(41, 42).await;
    let b_key = b.key();
    let _server = serve(b, |mut d| {
        d.reverse();
        Some(d)
    });
    let answer = a.handle.request(b_key, b"block 7".to_vec()).await;
    assert_eq!(answer.expect("answer"), b"7 kcolb".to_vec());
    // Many concurrent requests each get their own answer.
    let asks = (0..16u8).map(|i| a.handle.request(b_key, vec![i, 0xff]));
    for (i, answer) in futures::future::join_all(asks)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(answer.expect("answer"), vec![0xff, i as u8]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_responder_fails_the_request_at_once() {
    let (a, b) = pair(43, 44).await;
    let b_key = b.key();
    let _server = serve(b, |_| None);
    let started = Instant::now();
    let err = a
        .handle
        .request(b_key, b"anything".to_vec())
        .await
        .expect_err("dropped");
    assert!(
        matches!(err, NetworkError::Remote(ref r) if r.contains("without answering")),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "not a timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_request_times_out() {
    let (a, b) = pair(45, 46).await;
    let b_key = b.key();
    let _server = serve(b, Some);
    let started = Instant::now();
    let err = a
        .handle
        .request(b_key, b"stall".to_vec())
        .await
        .expect_err("stalled");
    assert!(matches!(err, NetworkError::Timeout), "{err}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    // The connection survives a timeout.
    assert_eq!(
        a.handle
            .request(b_key, b"ok".to_vec())
            .await
            .expect("answer"),
        b"ok".to_vec()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_request_is_refused_before_sending() {
    let (a, b) = pair(47, 48).await;
    let max = spn_network::DEFAULT_MAX_MESSAGE_BYTES;
    let err = a
        .handle
        .request(b.key(), vec![0; max + 1])
        .await
        .expect_err("oversize");
    assert!(
        matches!(err, NetworkError::TooLarge { size, max: m } if size == max + 1 && m == max),
        "{err}"
    );
    assert!(err.to_string().contains("max_message_bytes"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_request_is_refused_by_a_receiver_with_a_lower_limit_and_penalised() {
    let mut ca = config(49, vec![]);
    ca.max_message_bytes = 1024;
    let mut a = node(ca).await;
    let b = node(config(50, vec![a.addr()])).await;
    wait_peers(&a.handle, &[b.key()], CONNECT).await;

    let err = b
        .handle
        .request(a.key(), vec![1; 4096])
        .await
        .expect_err("refused");
    assert!(
        matches!(err, NetworkError::Remote(ref r) if r.contains("4096 bytes") && r.contains("max_message_bytes of 1024")),
        "{err}"
    );
    assert_eq!(a.handle.peer_penalty(b.key()).await, 50);
    let request = next_matching(&mut a.events, Duration::from_millis(300), |e| match e {
        NetworkEvent::Request { .. } => Some(()),
        _ => None,
    })
    .await;
    assert!(
        request.is_none(),
        "the oversize request reached the application"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_response_becomes_a_clear_error() {
    let mut cb = config(52, vec![]);
    cb.max_message_bytes = 1024;
    let b = node(cb).await;
    let a = node(config(51, vec![b.addr()])).await;
    wait_peers(&a.handle, &[b.key()], CONNECT).await;
    let b_key = b.key();
    let _server = serve(b, |_| Some(vec![0; 2048]));
    let err = a
        .handle
        .request(b_key, b"big please".to_vec())
        .await
        .expect_err("too big");
    assert!(
        matches!(err, NetworkError::Remote(ref r) if r.contains("2048 bytes") && r.contains("max_message_bytes")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_to_delivers_a_one_way_message() {
    let (a, mut b) = pair(53, 54).await;
    a.handle.send_to(b.key(), b"direct".to_vec());
    let got = next_matching(&mut b.events, Duration::from_secs(2), |e| match e {
        NetworkEvent::Direct { from, data } => Some((from, data)),
        _ => None,
    })
    .await;
    assert_eq!(got, Some((a.key(), b"direct".to_vec())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_to_an_unknown_peer_is_unreachable() {
    let (a, _b) = pair(55, 56).await;
    let stranger: PeerKey = key(99);
    let err = a
        .handle
        .request(stranger, b"hello".to_vec())
        .await
        .expect_err("unknown");
    assert!(
        matches!(err, NetworkError::PeerUnreachable(k) if k == stranger),
        "{err}"
    );
}
