//! The swarm task: owns the libp2p swarm and turns its events into [`NetworkEvent`]s and the
//! application's commands into protocol actions.
//!
//! Invariants: the task never awaits the application. Events go out with `try_send`; when the
//! channel is full gossip and one-way messages are dropped (gossip counted), requests are
//! refused, and connection events wait in an overflow queue that keeps their order.
//! A peer is *connected* for the application once it has a connection and has subscribed to the
//! topic, so a broadcast made after [`NetworkEvent::PeerConnected`] reaches it.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use libp2p::{
    gossipsub::{self, MessageAcceptance, PublishError, TopicHash},
    ping,
    request_response::{self, InboundFailure, OutboundFailure, OutboundRequestId},
    swarm::{
        dial_opts::{DialOpts, PeerCondition},
        SwarmEvent,
    },
    Multiaddr, PeerId, Swarm,
};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, info, trace, warn};

use crate::{
    behaviour::{NodeBehaviour, NodeBehaviourEvent},
    codec::{FrameTooLarge, RequestKind, WireRequest, WireResponse, REQUEST_PROTOCOL},
    errors::NetworkError,
    events::{NetworkEvent, Reply, Responder},
    handle::Command,
    identity::{fmt_key, key_of, PeerKey},
    outbox::Outbox,
    redial::Redialer,
    scoring::{Fault, PeerScores, Verdict},
};

/// How often bans, redials and held broadcasts are looked at.
const TICK: Duration = Duration::from_millis(250);
/// Most connection events waiting for room in a full event channel.
const OVERFLOW_CAPACITY: usize = 4096;

/// A request of ours waiting for its answer.
struct Pending {
    key: PeerKey,
    /// `None` for a one-way message.
    reply: Option<oneshot::Sender<Result<Vec<u8>, NetworkError>>>,
}

/// The channels and settings a service is started with.
pub(crate) struct ServiceParts {
    pub swarm: Swarm<NodeBehaviour>,
    pub topic: TopicHash,
    pub static_peers: Vec<(PeerId, Multiaddr)>,
    pub max_message_bytes: usize,
    pub ban_duration: Duration,
    pub commands: mpsc::UnboundedReceiver<Command>,
    pub events: mpsc::Sender<NetworkEvent>,
    pub dropped_gossip: Arc<AtomicU64>,
    pub stopped: watch::Sender<bool>,
}

/// The state of the swarm task.
pub(crate) struct Service {
    swarm: Swarm<NodeBehaviour>,
    topic: TopicHash,
    max_message_bytes: usize,
    commands: mpsc::UnboundedReceiver<Command>,
    replies: mpsc::UnboundedReceiver<Reply>,
    reply_sender: mpsc::UnboundedSender<Reply>,
    events: mpsc::Sender<NetworkEvent>,
    overflow: VecDeque<NetworkEvent>,
    dropped_gossip: Arc<AtomicU64>,
    scores: PeerScores<PeerId>,
    redial: Redialer<PeerId, Multiaddr>,
    outbox: Outbox,
    connected: HashSet<PeerId>,
    subscribed: HashSet<PeerId>,
    ready: HashSet<PeerId>,
    pending: HashMap<OutboundRequestId, Pending>,
    stopped: watch::Sender<bool>,
}

impl Service {
    pub(crate) fn new(parts: ServiceParts) -> Self {
        let (reply_sender, replies) = mpsc::unbounded_channel();
        Self {
            swarm: parts.swarm,
            topic: parts.topic,
            max_message_bytes: parts.max_message_bytes,
            commands: parts.commands,
            replies,
            reply_sender,
            events: parts.events,
            overflow: VecDeque::new(),
            dropped_gossip: parts.dropped_gossip,
            scores: PeerScores::new(parts.ban_duration),
            redial: Redialer::new(parts.static_peers, Instant::now()),
            outbox: Outbox::default(),
            connected: HashSet::new(),
            subscribed: HashSet::new(),
            ready: HashSet::new(),
            pending: HashMap::new(),
            stopped: parts.stopped,
        }
    }

    /// Runs until [`Command::Shutdown`] or until every handle is dropped.
    pub(crate) async fn run(mut self) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown) | None => break,
                    Some(command) => self.on_command(command),
                },
                Some(reply) = self.replies.recv() => self.on_reply(reply),
                _ = tick.tick() => self.on_tick(),
                permit = self.events.clone().reserve_owned(), if !self.overflow.is_empty() => match permit {
                    Ok(permit) => {
                        if let Some(event) = self.overflow.pop_front() {
                            permit.send(event);
                        }
                    }
                    Err(_) => self.overflow.clear(),
                },
            }
        }
        info!(peer = %fmt_key(&self.local_key()), "network service stopping");
        let Self { swarm, stopped, .. } = self;
        // Dropping the swarm closes the listener and every connection.
        drop(swarm);
        stopped.send_replace(true);
    }

    fn local_key(&self) -> PeerKey {
        key_of(self.swarm.local_peer_id()).unwrap_or_default()
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Broadcast(data) => self.broadcast(data),
            Command::Request {
                peer,
                key,
                request,
                reply,
            } => self.send_request(peer, key, request, reply),
            Command::Report { peer, fault } => self.penalise(peer, fault),
            Command::ConnectedPeers(reply) => {
                let mut keys: Vec<PeerKey> = self.ready.iter().filter_map(key_of).collect();
                keys.sort_unstable();
                let _ = reply.send(keys);
            }
            Command::Penalty(peer, reply) => {
                let _ = reply.send(self.scores.penalty(&peer, Instant::now()));
            }
            Command::Shutdown => {}
        }
    }

    fn broadcast(&mut self, data: Vec<u8>) {
        if self.ready.is_empty() || !self.outbox.is_empty() {
            debug!(
                size = data.len(),
                "no peer subscribed yet; holding the broadcast"
            );
            if self.outbox.hold(data, Instant::now()) {
                warn!("too many broadcasts held while no peer is subscribed; dropped the oldest");
            }
            return;
        }
        self.publish(data);
    }

    fn publish(&mut self, data: Vec<u8>) {
        let topic = self.topic.clone();
        match self.swarm.behaviour_mut().gossipsub.publish(topic, data) {
            Ok(id) => trace!(%id, "published"),
            Err(PublishError::NoPeersSubscribedToTopic) => {
                debug!("no peer subscribed to the topic; broadcast dropped")
            }
            Err(PublishError::AllQueuesFull(peers)) => {
                warn!(
                    peers,
                    "send queues of all peers are full; broadcast dropped"
                )
            }
            Err(error) => warn!(%error, "cannot publish; broadcast dropped"),
        }
    }

    fn send_request(
        &mut self,
        peer: PeerId,
        key: PeerKey,
        request: WireRequest,
        reply: Option<oneshot::Sender<Result<Vec<u8>, NetworkError>>>,
    ) {
        if self.scores.is_banned(&peer, Instant::now()) {
            if let Some(reply) = reply {
                let _ = reply.send(Err(NetworkError::Banned(key)));
            }
            return;
        }
        let id = self
            .swarm
            .behaviour_mut()
            .request_response
            .send_request(&peer, request);
        self.pending.insert(id, Pending { key, reply });
    }

    fn on_reply(&mut self, reply: Reply) {
        let sent = self
            .swarm
            .behaviour_mut()
            .request_response
            .send_response(reply.channel, reply.response);
        if sent.is_err() {
            debug!("requester is gone (timeout or disconnect); answer dropped");
        }
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        for peer in self.scores.expire(now) {
            info!(peer = %fmt_key(&key_of(&peer).unwrap_or_default()), "ban lifted");
            let behaviour = self.swarm.behaviour_mut();
            behaviour.blocked.unblock_peer(peer);
            behaviour.gossipsub.remove_blacklisted_peer(&peer);
        }
        let scores = &self.scores;
        for (peer, addr) in self.redial.due(now, |p| scores.is_banned(p, now)) {
            let opts = DialOpts::peer_id(peer)
                .addresses(vec![addr])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            if let Err(error) = self.swarm.dial(opts) {
                debug!(peer = %fmt_key(&key_of(&peer).unwrap_or_default()), %error, "cannot dial static peer");
            }
        }
        let expired = self.outbox.expire(now);
        if expired > 0 {
            debug!(
                expired,
                "held broadcasts expired before any peer subscribed"
            );
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<NodeBehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(NodeBehaviourEvent::Gossipsub(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(NodeBehaviourEvent::RequestResponse(event)) => {
                self.on_request_response(event)
            }
            SwarmEvent::Behaviour(NodeBehaviourEvent::Ping(ping::Event {
                peer,
                connection,
                result: Err(failure),
            })) => {
                debug!(peer = %peer, %failure, "ping failed; closing the connection");
                self.swarm.close_connection(connection);
            }
            SwarmEvent::Behaviour(NodeBehaviourEvent::Ping(_)) => {}
            SwarmEvent::Behaviour(NodeBehaviourEvent::Blocked(never)) => match never {},
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => self.on_connected(peer_id, num_established.get()),
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                cause,
                ..
            } => {
                debug!(peer = %peer_id, ?cause, remaining = num_established, "connection closed");
                if num_established == 0 {
                    self.on_disconnected(peer_id);
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                debug!(peer = ?peer_id, %error, "outgoing connection failed")
            }
            SwarmEvent::IncomingConnectionError {
                send_back_addr,
                error,
                ..
            } => debug!(from = %send_back_addr, %error, "incoming connection refused or failed"),
            SwarmEvent::NewListenAddr { address, .. } => info!(%address, "listening"),
            SwarmEvent::ListenerClosed { reason, .. } => {
                warn!(?reason, "listener closed; peers can no longer dial in")
            }
            SwarmEvent::ListenerError { error, .. } => warn!(%error, "listener error"),
            _ => {}
        }
    }

    fn on_connected(&mut self, peer: PeerId, connections: u32) {
        if key_of(&peer).is_none() {
            warn!(%peer, "peer does not use an ed25519 identity; disconnecting");
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        }
        if connections == 1 {
            debug!(peer = %peer, "connection established");
            self.connected.insert(peer);
            self.redial.on_connected(&peer);
            self.update_ready(peer);
        }
    }

    fn on_disconnected(&mut self, peer: PeerId) {
        let was_ready = self.ready.contains(&peer);
        self.connected.remove(&peer);
        self.subscribed.remove(&peer);
        self.update_ready(peer);
        self.redial
            .on_disconnected(&peer, was_ready, Instant::now());
    }

    /// Moves `peer` in or out of the ready set (connected and subscribed), telling the
    /// application, and publishes held broadcasts once a first peer is ready.
    fn update_ready(&mut self, peer: PeerId) {
        let Some(key) = key_of(&peer) else { return };
        let ready = self.connected.contains(&peer) && self.subscribed.contains(&peer);
        if ready && self.ready.insert(peer) {
            info!(peer = %fmt_key(&key), "peer connected");
            self.emit_control(NetworkEvent::PeerConnected(key));
            for data in self.outbox.take_fresh(Instant::now()) {
                self.publish(data);
            }
        } else if !ready && self.ready.remove(&peer) {
            info!(peer = %fmt_key(&key), "peer disconnected");
            self.emit_control(NetworkEvent::PeerDisconnected(key));
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let verdict = if message.data.len() > self.max_message_bytes {
                    warn!(
                        peer = %propagation_source,
                        size = message.data.len(),
                        max = self.max_message_bytes,
                        "oversized gossip dropped"
                    );
                    Some(Fault::Oversized)
                } else if message.topic != self.topic {
                    warn!(peer = %propagation_source, topic = %message.topic, "gossip on a foreign topic dropped");
                    Some(Fault::InvalidMessage)
                } else {
                    None
                };
                let acceptance = match verdict {
                    Some(_) => MessageAcceptance::Reject,
                    None => MessageAcceptance::Accept,
                };
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&message_id, &propagation_source, acceptance);
                if let Some(fault) = verdict {
                    self.penalise(propagation_source, fault);
                    return;
                }
                let origin = message.source.unwrap_or(propagation_source);
                let Some(from) = key_of(&origin) else { return };
                self.emit_droppable(NetworkEvent::Gossip {
                    from,
                    data: message.data,
                });
            }
            gossipsub::Event::Subscribed { peer_id, topic } if topic == self.topic => {
                self.subscribed.insert(peer_id);
                self.update_ready(peer_id);
            }
            gossipsub::Event::Unsubscribed { peer_id, topic } if topic == self.topic => {
                self.subscribed.remove(&peer_id);
                self.update_ready(peer_id);
            }
            gossipsub::Event::GossipsubNotSupported { peer_id } => {
                debug!(peer = %peer_id, "peer does not speak gossipsub")
            }
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => debug!(peer = %peer_id, ?failed_messages, "peer is slow to take messages"),
            gossipsub::Event::Subscribed { .. } | gossipsub::Event::Unsubscribed { .. } => {}
        }
    }

    fn on_request_response(&mut self, event: request_response::Event<WireRequest, WireResponse>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => self.on_inbound_request(peer, request, channel),
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    let Some(pending) = self.pending.remove(&request_id) else {
                        return;
                    };
                    let result = match response {
                        WireResponse::Answer(data) => Ok(data),
                        WireResponse::Refused(reason) => Err(NetworkError::Remote(reason)),
                    };
                    match pending.reply {
                        Some(reply) => {
                            let _ = reply.send(result);
                        }
                        None => {
                            if let Err(error) = result {
                                debug!(peer = %fmt_key(&pending.key), %error, "one-way message refused");
                            }
                        }
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                let Some(pending) = self.pending.remove(&request_id) else {
                    return;
                };
                let error = self.outbound_error(peer, pending.key, error);
                match pending.reply {
                    Some(reply) => {
                        let _ = reply.send(Err(error));
                    }
                    None => debug!(peer = %fmt_key(&pending.key), %error, "one-way message failed"),
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => match error {
                InboundFailure::ResponseOmission => {}
                error => debug!(peer = %peer, %error, "inbound request failed"),
            },
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_inbound_request(
        &mut self,
        peer: PeerId,
        request: WireRequest,
        channel: request_response::ResponseChannel<WireResponse>,
    ) {
        let Some(from) = key_of(&peer) else { return };
        match request.kind {
            RequestKind::TooLarge(frame) => {
                warn!(peer = %fmt_key(&from), %frame, "oversized request refused");
                self.penalise(peer, Fault::Oversized);
                let refusal = WireResponse::Refused(format!(
                    "the request of {} bytes exceeds the peer's max_message_bytes of {}",
                    frame.size, frame.max
                ));
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .request_response
                    .send_response(channel, refusal);
            }
            RequestKind::Tell => {
                let ack = WireResponse::Answer(Vec::new());
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .request_response
                    .send_response(channel, ack);
                if self
                    .try_emit(NetworkEvent::Direct {
                        from,
                        data: request.data,
                    })
                    .is_err()
                {
                    warn!(peer = %fmt_key(&from), "event queue full; direct message dropped");
                }
            }
            RequestKind::Ask => {
                let reply =
                    Responder::new(channel, self.reply_sender.clone(), self.max_message_bytes);
                let event = NetworkEvent::Request {
                    from,
                    data: request.data,
                    reply,
                };
                if let Err(NetworkEvent::Request { reply, .. }) = self.try_emit(event) {
                    warn!(peer = %fmt_key(&from), "event queue full; request refused");
                    reply.refuse("the peer is overloaded (its event queue is full); retry later");
                }
            }
        }
    }

    fn outbound_error(
        &mut self,
        peer: PeerId,
        key: PeerKey,
        error: OutboundFailure,
    ) -> NetworkError {
        match error {
            OutboundFailure::DialFailure if self.scores.is_banned(&peer, Instant::now()) => {
                NetworkError::Banned(key)
            }
            OutboundFailure::DialFailure => NetworkError::PeerUnreachable(key),
            OutboundFailure::Timeout => NetworkError::Timeout,
            OutboundFailure::ConnectionClosed => NetworkError::ConnectionClosed(key),
            OutboundFailure::UnsupportedProtocols => NetworkError::Remote(format!(
                "the peer does not speak {REQUEST_PROTOCOL}; is it a Pharos SPN node of a compatible version?"
            )),
            OutboundFailure::Io(error) => match FrameTooLarge::from_io(&error) {
                // Requests are size-checked before they are sent, so this is the answer.
                Some(frame) => {
                    warn!(peer = %fmt_key(&key), %frame, "oversized response refused");
                    self.penalise(peer, Fault::Oversized);
                    NetworkError::TooLarge {
                        size: frame.size,
                        max: frame.max,
                    }
                }
                None => NetworkError::Aborted {
                    peer: key,
                    reason: error.to_string(),
                },
            },
        }
    }

    /// Lowers `peer`'s score; at the threshold it is disconnected and refused until the ban
    /// expires.
    fn penalise(&mut self, peer: PeerId, fault: Fault) {
        if &peer == self.swarm.local_peer_id() {
            return;
        }
        let key = fmt_key(&key_of(&peer).unwrap_or_default());
        match self.scores.report(peer, fault, Instant::now()) {
            Verdict::Penalised(penalty) => debug!(peer = %key, ?fault, penalty, "peer penalised"),
            Verdict::Banned(_) => {
                warn!(peer = %key, ?fault, "peer banned for misbehaviour");
                let behaviour = self.swarm.behaviour_mut();
                behaviour.blocked.block_peer(peer);
                behaviour.gossipsub.blacklist_peer(&peer);
            }
            Verdict::AlreadyBanned => {}
        }
    }

    /// Hands `event` to the application unless the channel is full, closed, or connection
    /// events are already waiting (which keeps events in order); gives it back otherwise.
    fn try_emit(&mut self, event: NetworkEvent) -> Result<(), NetworkEvent> {
        if !self.overflow.is_empty() {
            return Err(event);
        }
        self.events.try_send(event).map_err(|e| match e {
            mpsc::error::TrySendError::Full(event) | mpsc::error::TrySendError::Closed(event) => {
                event
            }
        })
    }

    /// Gossip is dropped, and counted, when the application is behind.
    fn emit_droppable(&mut self, event: NetworkEvent) {
        if self.try_emit(event).is_err() {
            let dropped = self.dropped_gossip.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                warn!(dropped, "event queue full; gossip dropped");
            }
        }
    }

    /// Connection events are never dropped while the application listens: they wait in the
    /// overflow queue (bounded; the oldest goes first if it ever fills).
    fn emit_control(&mut self, event: NetworkEvent) {
        match self.try_emit(event) {
            Ok(()) => {}
            Err(_) if self.events.is_closed() => {}
            Err(event) => {
                if self.overflow.len() >= OVERFLOW_CAPACITY {
                    warn!("connection event overflow is full; oldest event dropped");
                    self.overflow.pop_front();
                }
                self.overflow.push_back(event);
            }
        }
    }
}
