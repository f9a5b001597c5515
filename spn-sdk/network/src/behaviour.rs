//! The libp2p stack of a node: TCP + noise + yamux on tokio, carrying signed gossipsub for
//! broadcasts, a request/response protocol for direct messages, ping for liveness and a block
//! list that refuses banned peers in both directions.

use std::time::Duration;

use libp2p::{
    allow_block_list::{self, BlockedPeers},
    gossipsub::{self, IdentTopic, MessageAuthenticity, ValidationMode},
    identity::Keypair,
    noise, ping,
    request_response::{self, ProtocolSupport},
    swarm::NetworkBehaviour,
    tcp, yamux, Swarm, SwarmBuilder,
};

use crate::{
    codec::{FrameCodec, REQUEST_PROTOCOL},
    config::NetworkConfig,
    errors::NetworkError,
};

/// Room on the wire for the gossipsub envelope (source, sequence number, topic, signature,
/// protobuf framing) on top of a payload of `max_message_bytes`. The payload limit itself is
/// enforced exactly by the service, which can then penalise the sender; frames beyond
/// payload + envelope are dropped by gossipsub's decoder before they are even parsed.
pub const GOSSIP_ENVELOPE_BYTES: usize = 4096;

/// How often gossipsub maintains its mesh.
const HEARTBEAT: Duration = Duration::from_millis(700);

/// All protocols of a node, polled together by the swarm.
#[derive(NetworkBehaviour)]
pub struct NodeBehaviour {
    /// Refuses connections to and from banned peers and closes theirs.
    pub blocked: allow_block_list::Behaviour<BlockedPeers>,
    /// Signed gossip on the node's topic.
    pub gossipsub: gossipsub::Behaviour,
    /// Direct requests and one-way messages.
    pub request_response: request_response::Behaviour<FrameCodec>,
    /// Liveness checks; a failed ping closes the connection.
    pub ping: ping::Behaviour,
}

/// The gossipsub configuration for a node.
///
/// * Strict validation of signed messages, each signed with the node key.
/// * Default message id (source + sequence number): the same bytes published twice are two
///   messages, so a vote re-sent on a timeout is delivered again.
/// * Flood publishing: a node's own message goes directly to every connected peer subscribed to
///   the topic, so delivery in a small network does not wait for the mesh to form.
/// * Manual validation: the service checks every message (size, topic) before it is forwarded.
fn gossipsub_config(config: &NetworkConfig) -> Result<gossipsub::Config, NetworkError> {
    gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Strict)
        .max_transmit_size(
            config
                .max_message_bytes
                .saturating_add(GOSSIP_ENVELOPE_BYTES),
        )
        .flood_publish(true)
        .validate_messages()
        .heartbeat_initial_delay(Duration::from_millis(100))
        .heartbeat_interval(HEARTBEAT)
        .build()
        .map_err(|e| NetworkError::Transport(format!("gossipsub config: {e}")))
}

impl NodeBehaviour {
    fn new(keypair: &Keypair, config: &NetworkConfig) -> Result<Self, NetworkError> {
        let gossipsub = gossipsub::Behaviour::new(
            MessageAuthenticity::Signed(keypair.clone()),
            gossipsub_config(config)?,
        )
        .map_err(|e| NetworkError::Transport(format!("gossipsub: {e}")))?;
        let request_response = request_response::Behaviour::with_codec(
            FrameCodec::new(config.max_message_bytes),
            [(REQUEST_PROTOCOL, ProtocolSupport::Full)],
            request_response::Config::default().with_request_timeout(config.request_timeout),
        );
        Ok(Self {
            blocked: allow_block_list::Behaviour::default(),
            gossipsub,
            request_response,
            ping: ping::Behaviour::new(ping::Config::new()),
        })
    }
}

/// Builds the swarm of a node subscribed to its topic, not yet listening.
pub fn build_swarm(
    keypair: Keypair,
    config: &NetworkConfig,
) -> Result<(Swarm<NodeBehaviour>, IdentTopic), NetworkError> {
    let mut behaviour = NodeBehaviour::new(&keypair, config)?;
    let topic = IdentTopic::new(config.topic.clone());
    behaviour
        .gossipsub
        .subscribe(&topic)
        .map_err(|e| NetworkError::Transport(format!("subscribe to {}: {e}", config.topic)))?;
    let swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| NetworkError::Transport(format!("noise: {e}")))?
        .with_behaviour(|_| behaviour)
        .unwrap_or_else(|never| match never {})
        // Validator links are permanent: only bans, failed pings, shutdown or the remote close
        // them, never idleness.
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(u64::MAX)))
        .build();
    Ok((swarm, topic))
}
