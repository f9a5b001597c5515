//! Typed errors of the network service; each message says what to do next.

use std::net::SocketAddr;

use crate::identity::{fmt_key, PeerKey};

/// A failure of the network service or of one request.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {reason}; pick a free port (port 0 picks one) or stop the process holding it")]
    Bind {
        /// The address from [`NetworkConfig::listen`](crate::NetworkConfig::listen).
        addr: SocketAddr,
        /// Why the operating system or transport refused.
        reason: String,
    },
    /// A field of [`NetworkConfig`](crate::NetworkConfig) is out of range.
    #[error("invalid network config field `{field}`: {reason}")]
    InvalidConfig {
        /// The config field at fault.
        field: &'static str,
        /// What is wrong with it and what is accepted.
        reason: String,
    },
    /// The libp2p stack could not be assembled.
    #[error("cannot build the libp2p transport: {0}; this is a bug or an unsupported platform")]
    Transport(String),
    /// The network service has stopped (after `shutdown`, or when every handle was dropped).
    #[error("the network service has stopped; start a new one with spn_network::start")]
    Closed,
    /// The peer did not answer within the request timeout.
    #[error("the peer did not answer within the request timeout; retry or ask another peer")]
    Timeout,
    /// The peer is not connected and dialing it failed (or no address for it is known).
    #[error("peer {} is unreachable; check that it runs and that its address is in `peers`", fmt_key(.0))]
    PeerUnreachable(PeerKey),
    /// The peer is banned by the local node for misbehaviour.
    #[error("peer {} is banned for misbehaviour; wait for the ban to expire", fmt_key(.0))]
    Banned(PeerKey),
    /// The key is not a valid ed25519 public key, so no peer can have it.
    #[error("{} is not a valid ed25519 public key", fmt_key(.0))]
    InvalidPeerKey(PeerKey),
    /// A message is larger than `max_message_bytes`.
    #[error("message of {size} bytes exceeds the limit of {max} bytes (max_message_bytes); split it or raise the limit on every node")]
    TooLarge {
        /// Size of the refused message in bytes.
        size: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// The connection to the peer closed before it answered.
    #[error("the connection to peer {} closed before it answered; retry once it reconnects", fmt_key(.0))]
    ConnectionClosed(PeerKey),
    /// The peer closed the request stream without any answer.
    #[error("peer {} aborted the request without answering ({reason}); it may have refused a request larger than its own max_message_bytes", fmt_key(.peer))]
    Aborted {
        /// The peer that was asked.
        peer: PeerKey,
        /// The transport's description of the failure.
        reason: String,
    },
    /// The peer answered with an error instead of a response.
    #[error("the peer refused the request: {0}")]
    Remote(String),
}

/// A `<hex public key>@<ip>:<port>` string that does not parse as a [`PeerAddr`](crate::PeerAddr).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerAddrError {
    /// The `@` between key and address is missing.
    #[error("peer address {0:?} has no '@'; expected <64 hex chars of the ed25519 public key>@<ip>:<port>")]
    MissingAt(String),
    /// The key part is not 64 hex characters.
    #[error("peer key {0:?} is not 64 hex characters (a 32-byte ed25519 public key)")]
    KeyNotHex(String),
    /// The key part decodes but is not a point on the ed25519 curve.
    #[error("peer key {0} is not a valid ed25519 public key")]
    KeyNotEd25519(String),
    /// The address part is not `<ip>:<port>`.
    #[error("peer socket address {0:?} is not <ip>:<port> (e.g. 127.0.0.1:30333 or [::1]:30333)")]
    BadSocket(String),
}
