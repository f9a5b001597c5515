//! What the network tells the application: gossip, requests to answer, one-way messages and
//! peers coming and going, through a bounded channel.

use libp2p::request_response::ResponseChannel;
use tokio::sync::mpsc;

use crate::{codec::WireResponse, identity::PeerKey};

/// Something that happened on the network.
#[derive(Debug)]
pub enum NetworkEvent {
    /// A gossip message on the node's topic. `from` is its signature-verified publisher (in a
    /// fully connected validator set, also the peer that delivered it); the node's own messages
    /// never come back. Publishing the same bytes twice delivers them twice.
    Gossip {
        /// The publisher.
        from: PeerKey,
        /// The payload.
        data: Vec<u8>,
    },
    /// A request to answer with [`Responder::send`]; dropping the responder refuses it.
    Request {
        /// The requesting peer.
        from: PeerKey,
        /// The request payload.
        data: Vec<u8>,
        /// Where the answer goes.
        reply: Responder,
    },
    /// A one-way message sent with [`NetworkHandle::send_to`](crate::NetworkHandle::send_to).
    Direct {
        /// The sending peer.
        from: PeerKey,
        /// The payload.
        data: Vec<u8>,
    },
    /// A peer is connected and subscribed to the topic: from now on broadcasts reach it.
    PeerConnected(PeerKey),
    /// A peer that was connected is gone (disconnected, banned or left the topic).
    PeerDisconnected(PeerKey),
}

/// The stream of [`NetworkEvent`]s of one node.
#[derive(Debug)]
pub struct NetworkEvents {
    pub(crate) receiver: mpsc::Receiver<NetworkEvent>,
}

impl NetworkEvents {
    /// The next event, or `None` once the network service has stopped.
    pub async fn next(&mut self) -> Option<NetworkEvent> {
        self.receiver.recv().await
    }

    /// The next event if one is already queued.
    pub fn try_next(&mut self) -> Option<NetworkEvent> {
        self.receiver.try_recv().ok()
    }
}

/// An answer on its way from the application back to the swarm.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) channel: ResponseChannel<WireResponse>,
    pub(crate) response: WireResponse,
}

/// The way back to a peer that sent a request.
///
/// Answer with [`send`](Self::send) or refuse with [`refuse`](Self::refuse); dropping it
/// refuses the request too, so the requester gets an error at once instead of a timeout.
#[derive(Debug)]
pub struct Responder {
    channel: Option<ResponseChannel<WireResponse>>,
    replies: mpsc::UnboundedSender<Reply>,
    max_message_bytes: usize,
}

/// Reason given to a requester whose request was dropped unanswered.
const DROPPED: &str = "the peer dropped the request without answering";

impl Responder {
    pub(crate) fn new(
        channel: ResponseChannel<WireResponse>,
        replies: mpsc::UnboundedSender<Reply>,
        max_message_bytes: usize,
    ) -> Self {
        Self {
            channel: Some(channel),
            replies,
            max_message_bytes,
        }
    }

    /// Sends `data` as the answer. An answer above `max_message_bytes` is not sent: the
    /// requester gets an error saying so, and a warning is logged.
    pub fn send(mut self, data: Vec<u8>) {
        let response = if data.len() > self.max_message_bytes {
            tracing::warn!(
                size = data.len(),
                max = self.max_message_bytes,
                "response exceeds max_message_bytes; refusing the request instead"
            );
            WireResponse::Refused(format!(
                "the response of {} bytes exceeds the responder's max_message_bytes of {}",
                data.len(),
                self.max_message_bytes
            ))
        } else {
            WireResponse::Answer(data)
        };
        self.finish(response);
    }

    /// Refuses the request; the requester gets
    /// [`NetworkError::Remote`](crate::NetworkError::Remote) with `reason`.
    pub fn refuse(mut self, reason: impl Into<String>) {
        self.finish(WireResponse::Refused(reason.into()));
    }

    fn finish(&mut self, response: WireResponse) {
        if let Some(channel) = self.channel.take() {
            // The service may be gone; then the connection is closing and there is no one to tell.
            let _ = self.replies.send(Reply { channel, response });
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.finish(WireResponse::Refused(DROPPED.into()));
    }
}
