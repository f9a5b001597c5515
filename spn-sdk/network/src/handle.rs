//! The application's side of a running node: broadcast, ask, report and stop, without ever
//! blocking the swarm.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use libp2p::PeerId;
use tokio::sync::{mpsc, oneshot, watch};

use crate::{
    codec::{RequestKind, WireRequest},
    errors::NetworkError,
    identity::{fmt_key, peer_id_of, PeerKey},
    scoring::Fault,
};

/// What the application asks of the swarm task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Gossip to the topic.
    Broadcast(Vec<u8>),
    /// Send a request; `reply` is `None` for a one-way message.
    Request {
        peer: PeerId,
        key: PeerKey,
        request: WireRequest,
        reply: Option<oneshot::Sender<Result<Vec<u8>, NetworkError>>>,
    },
    /// Penalise a peer.
    Report { peer: PeerId, fault: Fault },
    /// List the connected peers.
    ConnectedPeers(oneshot::Sender<Vec<PeerKey>>),
    /// Read a peer's current penalty.
    Penalty(PeerId, oneshot::Sender<u32>),
    /// Stop the service.
    Shutdown,
}

/// A cheap, cloneable handle on a running node.
///
/// The service stops on [`shutdown`](Self::shutdown) or when every handle is dropped.
#[derive(Debug, Clone)]
pub struct NetworkHandle {
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) local_key: PeerKey,
    pub(crate) listen_addr: SocketAddr,
    pub(crate) max_message_bytes: usize,
    pub(crate) dropped_gossip: Arc<AtomicU64>,
    pub(crate) stopped: watch::Receiver<bool>,
}

impl NetworkHandle {
    /// This node's public key.
    pub fn local_key(&self) -> PeerKey {
        self.local_key
    }

    /// The address actually bound (with the real port when the config asked for port 0).
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen_addr
    }

    /// Gossips `data` to every peer on the topic. Never blocks and never fails: a message
    /// above `max_message_bytes` is dropped with a warning; while no peer is subscribed yet the
    /// message is held (up to 10 s) and published as soon as one is.
    pub fn broadcast(&self, data: Vec<u8>) {
        if self.refuse_oversize("broadcast", data.len()) {
            return;
        }
        self.command(Command::Broadcast(data));
    }

    /// Sends `data` to one peer as a one-way message ([`NetworkEvent::Direct`] on its side).
    /// Never blocks; failures are logged at debug level.
    ///
    /// [`NetworkEvent::Direct`]: crate::NetworkEvent::Direct
    pub fn send_to(&self, peer: PeerKey, data: Vec<u8>) {
        if self.refuse_oversize("direct message", data.len()) {
            return;
        }
        let Some(peer_id) = peer_id_of(&peer) else {
            tracing::warn!(peer = %fmt_key(&peer), "send_to: not an ed25519 public key; message dropped");
            return;
        };
        self.command(Command::Request {
            peer: peer_id,
            key: peer,
            request: WireRequest {
                kind: RequestKind::Tell,
                data,
            },
            reply: None,
        });
    }

    /// Asks `peer` and waits for its answer (at most `request_timeout` once connected). Dials
    /// the peer if it is a static peer not connected right now.
    pub async fn request(&self, peer: PeerKey, data: Vec<u8>) -> Result<Vec<u8>, NetworkError> {
        if data.len() > self.max_message_bytes {
            return Err(NetworkError::TooLarge {
                size: data.len(),
                max: self.max_message_bytes,
            });
        }
        let peer_id = peer_id_of(&peer).ok_or(NetworkError::InvalidPeerKey(peer))?;
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Request {
                peer: peer_id,
                key: peer,
                request: WireRequest {
                    kind: RequestKind::Ask,
                    data,
                },
                reply: Some(reply),
            })
            .map_err(|_| NetworkError::Closed)?;
        answer.await.map_err(|_| NetworkError::Closed)?
    }

    /// Reports a misbehaviour of `peer`; see [`Fault`] for the weights. When its penalty reaches
    /// the threshold the peer is disconnected and refused for `ban_duration`.
    pub fn report(&self, peer: PeerKey, fault: Fault) {
        match peer_id_of(&peer) {
            Some(peer) => self.command(Command::Report { peer, fault }),
            None => tracing::debug!(peer = %fmt_key(&peer), "report: not an ed25519 public key"),
        }
    }

    /// The peers connected and subscribed to the topic (those a broadcast reaches now),
    /// sorted. Empty once the service has stopped.
    pub async fn connected_peers(&self) -> Vec<PeerKey> {
        let (reply, answer) = oneshot::channel();
        self.command(Command::ConnectedPeers(reply));
        answer.await.unwrap_or_default()
    }

    /// The current penalty points of `peer` (0 when it behaved or has recovered); it is banned
    /// at [`BAN_THRESHOLD`](crate::BAN_THRESHOLD). 0 once the service has stopped.
    pub async fn peer_penalty(&self, peer: PeerKey) -> u32 {
        let Some(peer) = peer_id_of(&peer) else {
            return 0;
        };
        let (reply, answer) = oneshot::channel();
        self.command(Command::Penalty(peer, reply));
        answer.await.unwrap_or_default()
    }

    /// How many gossip messages were dropped because the event channel was full.
    pub fn dropped_gossip(&self) -> u64 {
        self.dropped_gossip.load(Ordering::Relaxed)
    }

    /// Stops the service: connections close, the listener is released and the event stream
    /// ends. Returns at once; await [`stopped`](Self::stopped) to know it is done.
    pub fn shutdown(&self) {
        self.command(Command::Shutdown);
    }

    /// Waits until the service has stopped and released its sockets.
    pub async fn stopped(&self) {
        let mut stopped = self.stopped.clone();
        // An error means the task is gone, which is stopped too.
        let _ = stopped.wait_for(|done| *done).await;
    }

    fn command(&self, command: Command) {
        if self.commands.send(command).is_err() {
            tracing::debug!("network service has stopped; command ignored");
        }
    }

    fn refuse_oversize(&self, what: &str, size: usize) -> bool {
        let oversize = size > self.max_message_bytes;
        if oversize {
            tracing::warn!(
                size,
                max = self.max_message_bytes,
                "{what} exceeds max_message_bytes; dropped"
            );
        }
        oversize
    }
}
