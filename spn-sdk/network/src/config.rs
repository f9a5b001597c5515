//! Configuration of one node's network service, with defaults and validation.

use std::{net::SocketAddr, time::Duration};

use crate::{errors::NetworkError, identity::PeerAddr};

/// Default limit for one gossip message, request or response: 4 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Default capacity of the event channel.
pub const DEFAULT_INBOUND_QUEUE: usize = 4096;
/// Default time a request waits for its response.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a misbehaving peer stays banned.
pub const DEFAULT_BAN_DURATION: Duration = Duration::from_secs(60);

/// Smallest accepted `max_message_bytes` (gossipsub refuses smaller transmit sizes).
const MIN_MESSAGE_BYTES: usize = 128;
/// Largest accepted `max_message_bytes` (frames carry a 32-bit length).
const MAX_MESSAGE_BYTES: usize = 1 << 30;

/// How one node joins the network.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// TCP address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The node's ed25519 secret key bytes; its public key is the node's [`PeerKey`](crate::PeerKey).
    pub identity: [u8; 32],
    /// Static peers: dialed at start and re-dialed (about every second, backing off up to 10 s)
    /// while disconnected.
    pub peers: Vec<PeerAddr>,
    /// Gossip topic, e.g. `pharos/spn/1001/poa`; nodes on other topics never become peers.
    pub topic: String,
    /// Limit in bytes for one gossip message, request or response.
    pub max_message_bytes: usize,
    /// Capacity of the event channel; when it is full gossip is dropped (and counted), never
    /// blocking the network.
    pub inbound_queue: usize,
    /// How long a request waits for its response.
    pub request_timeout: Duration,
    /// How long a peer whose score fell to the threshold stays banned.
    pub ban_duration: Duration,
}

impl NetworkConfig {
    /// A config with no static peers and default limits.
    pub fn new(listen: SocketAddr, identity: [u8; 32], topic: impl Into<String>) -> Self {
        Self {
            listen,
            identity,
            peers: Vec::new(),
            topic: topic.into(),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            inbound_queue: DEFAULT_INBOUND_QUEUE,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            ban_duration: DEFAULT_BAN_DURATION,
        }
    }

    /// Checks every field, naming the first one out of range.
    pub fn validate(&self) -> Result<(), NetworkError> {
        let invalid = |field, reason: String| Err(NetworkError::InvalidConfig { field, reason });
        if self.topic.trim().is_empty() {
            return invalid("topic", "must not be empty".into());
        }
        if !(MIN_MESSAGE_BYTES..=MAX_MESSAGE_BYTES).contains(&self.max_message_bytes) {
            return invalid(
                "max_message_bytes",
                format!(
                    "{} is outside {MIN_MESSAGE_BYTES}..={MAX_MESSAGE_BYTES}",
                    self.max_message_bytes
                ),
            );
        }
        if self.inbound_queue == 0 {
            return invalid("inbound_queue", "must be at least 1".into());
        }
        if self.request_timeout.is_zero() {
            return invalid("request_timeout", "must be positive".into());
        }
        if self.ban_duration.is_zero() {
            return invalid("ban_duration", "must be positive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> NetworkConfig {
        NetworkConfig::new("127.0.0.1:0".parse().expect("addr"), [1; 32], "t")
    }

    #[test]
    fn defaults_are_valid() {
        let c = config();
        assert_eq!(c.max_message_bytes, 4 * 1024 * 1024);
        assert_eq!(c.inbound_queue, 4096);
        assert_eq!(c.request_timeout, Duration::from_secs(10));
        assert_eq!(c.ban_duration, Duration::from_secs(60));
        c.validate().expect("defaults validate");
    }

    #[test]
    fn invalid_fields_are_named() {
        let mut c = config();
        c.inbound_queue = 0;
        let err = c.validate().expect_err("zero queue");
        assert!(err.to_string().contains("inbound_queue"), "{err}");

        let mut c = config();
        c.max_message_bytes = 10;
        let err = c.validate().expect_err("tiny limit");
        assert!(err.to_string().contains("max_message_bytes"), "{err}");

        let mut c = config();
        c.topic = " ".into();
        let err = c.validate().expect_err("empty topic");
        assert!(err.to_string().contains("topic"), "{err}");
    }
}
