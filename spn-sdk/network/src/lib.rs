//! Carry consensus messages between SPN validators over libp2p: gossip, direct requests and
//! peer scoring.
//!
//! A node is identified by its ed25519 key ([`PeerKey`]); it listens on TCP (noise-encrypted,
//! yamux-multiplexed), keeps its static peers dialed, gossips signed messages on one topic
//! with gossipsub, answers direct requests, and bans peers whose faults add up.
//!
//! ```no_run
//! # async fn run() -> Result<(), spn_network::NetworkError> {
//! use spn_network::{start, NetworkConfig, NetworkEvent};
//!
//! let config = NetworkConfig::new("127.0.0.1:0".parse().unwrap(), [7; 32], "pharos/spn/1001/poa");
//! let (network, mut events) = start(config).await?;
//! network.broadcast(b"vote".to_vec());
//! while let Some(event) = events.next().await {
//!     match event {
//!         NetworkEvent::Gossip { from, data } => { /* hand to consensus */ }
//!         NetworkEvent::Request { data, reply, .. } => reply.send(data),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod behaviour;
mod codec;
mod config;
mod errors;
mod events;
mod handle;
mod identity;
mod outbox;
mod redial;
mod scoring;
mod service;

use std::{
    net::SocketAddr,
    sync::{atomic::AtomicU64, Arc},
    time::Duration,
};

use futures::StreamExt;
use libp2p::{swarm::SwarmEvent, Swarm};
use tokio::sync::{mpsc, watch};

pub use behaviour::GOSSIP_ENVELOPE_BYTES;
pub use config::{
    NetworkConfig, DEFAULT_BAN_DURATION, DEFAULT_INBOUND_QUEUE, DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_REQUEST_TIMEOUT,
};
pub use errors::{NetworkError, PeerAddrError};
pub use events::{NetworkEvent, NetworkEvents, Responder};
pub use handle::NetworkHandle;
pub use identity::{key_of, peer_id_of, public_key_of_secret, PeerAddr, PeerKey};
pub use outbox::{CAPACITY as HELD_BROADCASTS, HOLD_FOR as HOLD_BROADCASTS_FOR};
pub use redial::{MAX_BACKOFF as REDIAL_MAX_BACKOFF, MIN_BACKOFF as REDIAL_MIN_BACKOFF};
pub use scoring::{Fault, BAN_THRESHOLD, RECOVERY_PER_SECOND};

use crate::{
    behaviour::{build_swarm, NodeBehaviour},
    identity::{keypair_from_secret, multiaddr_of, tcp_port_of},
    service::{Service, ServiceParts},
};

/// How long `start` waits for the listener to come up.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a node: binds the listen address, dials the static peers and runs the swarm on the
/// current tokio runtime. Returns once the listener is bound.
pub async fn start(config: NetworkConfig) -> Result<(NetworkHandle, NetworkEvents), NetworkError> {
    config.validate()?;
    let keypair = keypair_from_secret(&config.identity)?;
    let local_key = public_key_of_secret(&config.identity)?;
    let (mut swarm, topic) = build_swarm(keypair, &config)?;

    let bind_error = |reason: String| NetworkError::Bind {
        addr: config.listen,
        reason,
    };
    ensure_port_free(config.listen).map_err(|e| bind_error(e.to_string()))?;
    swarm
        .listen_on(multiaddr_of(&config.listen))
        .map_err(|e| bind_error(e.to_string()))?;
    let port = tokio::time::timeout(LISTEN_TIMEOUT, bound_port(&mut swarm))
        .await
        .map_err(|_| bind_error("the listener did not come up in time".into()))?
        .map_err(bind_error)?;
    let listen_addr = SocketAddr::new(config.listen.ip(), port);

    let mut static_peers = Vec::new();
    for peer in &config.peers {
        if peer.key == local_key {
            tracing::debug!(%peer, "skipping own address in static peers");
            continue;
        }
        let peer_id = peer_id_of(&peer.key).ok_or(NetworkError::InvalidConfig {
            field: "peers",
            reason: format!("{peer} does not carry a valid ed25519 public key"),
        })?;
        let addr = multiaddr_of(&peer.addr);
        swarm.add_peer_address(peer_id, addr.clone());
        static_peers.push((peer_id, addr));
    }

    let (command_sender, commands) = mpsc::unbounded_channel();
    let (event_sender, receiver) = mpsc::channel(config.inbound_queue);
    let (stopped_sender, stopped) = watch::channel(false);
    let dropped_gossip = Arc::new(AtomicU64::new(0));
    let service = Service::new(ServiceParts {
        swarm,
        topic: topic.hash(),
        static_peers,
        max_message_bytes: config.max_message_bytes,
        ban_duration: config.ban_duration,
        commands,
        events: event_sender,
        dropped_gossip: dropped_gossip.clone(),
        stopped: stopped_sender,
    });
    tracing::info!(
        peer = %PeerAddr { key: local_key, addr: listen_addr },
        topic = %config.topic,
        "network service started"
    );
    tokio::spawn(service.run());

    let handle = NetworkHandle {
        commands: command_sender,
        local_key,
        listen_addr,
        max_message_bytes: config.max_message_bytes,
        dropped_gossip,
        stopped,
    };
    Ok((handle, NetworkEvents { receiver }))
}

/// libp2p's TCP listener sets `SO_REUSEPORT`, so the OS would let a second node share a taken
/// port and silently split incoming connections between the two; a plain bind first (which
/// does not set it) turns that into a clear error. The probe is released at once.
fn ensure_port_free(addr: SocketAddr) -> std::io::Result<()> {
    if addr.port() == 0 {
        return Ok(());
    }
    std::net::TcpListener::bind(addr).map(drop)
}

/// Polls a fresh swarm until its listener reports the bound TCP port.
async fn bound_port(swarm: &mut Swarm<NodeBehaviour>) -> Result<u16, String> {
    loop {
        match swarm.select_next_some().await {
            SwarmEvent::NewListenAddr { address, .. } => {
                return tcp_port_of(&address)
                    .ok_or_else(|| format!("listener reported {address} without a TCP port"));
            }
            SwarmEvent::ListenerClosed { reason, .. } => {
                return Err(match reason {
                    Ok(()) => "the listener closed".into(),
                    Err(e) => e.to_string(),
                });
            }
            SwarmEvent::ListenerError { error, .. } => return Err(error.to_string()),
            _ => {}
        }
    }
}
