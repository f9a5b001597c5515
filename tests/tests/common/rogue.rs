//! A Byzantine `bft` validator for tests, run inside the test process: it joins the validator
//! network under a real validator's key, never batches, acks, proposes or precommits, and for
//! each (height, round) in which it sees another validator prevote, it signs two prevotes for
//! two different made-up blocks and gossips both: a double vote, what
//! `Staking.slashDoubleSign` slashes.
#![allow(dead_code)]

use ed25519_dalek::SigningKey;
use spn_consensus::bft::{BftMessage, Hash, Vote, VoteKind};
use spn_network::{NetworkConfig, NetworkEvent, NetworkHandle, PeerAddr};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The two conflicting prevotes signed at one (height, round).
pub type DoubleVote = (Vote, Vote);

/// A validator that double-signs a prevote in every round it sees; stops when dropped.
pub struct Equivocator {
    network: NetworkHandle,
    signed: Arc<Mutex<BTreeMap<(u64, u32), DoubleVote>>>,
}

impl Equivocator {
    /// Joins the validator network of mainnet `chain_id` on `listen`, dialing `peers`, as
    /// `key`, which is at position `index` in the validator set.
    pub async fn start(
        chain_id: u64,
        key: SigningKey,
        index: u32,
        listen: SocketAddr,
        peers: Vec<PeerAddr>,
    ) -> Self {
        let mut config = NetworkConfig::new(
            listen,
            key.to_bytes(),
            pharos_mainnet::consensus::network_topic(chain_id),
        );
        config.peers = peers;
        let (network, mut events) = spn_network::start(config)
            .await
            .expect("the equivocator joins the validator network");
        let signed = Arc::new(Mutex::new(BTreeMap::new()));
        let (gossip, record) = (network.clone(), signed.clone());
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                let data = match event {
                    NetworkEvent::Gossip { data, .. } | NetworkEvent::Direct { data, .. } => data,
                    NetworkEvent::Request { reply, .. } => {
                        reply.refuse("an equivocator serves no blocks");
                        continue;
                    }
                    _ => continue,
                };
                let Ok(BftMessage::Vote(seen)) = BftMessage::decode(&data) else {
                    continue;
                };
                if seen.kind != VoteKind::Prevote || seen.validator == index {
                    continue;
                }
                let mut record = record.lock().unwrap_or_else(|e| e.into_inner());
                let Entry::Vacant(slot) = record.entry((seen.height, seen.round)) else {
                    continue;
                };
                let prevote = |block| {
                    let kind = VoteKind::Prevote;
                    Vote::sign(chain_id, seen.height, seen.round, kind, block, index, &key)
                };
                let pair = (
                    prevote(made_up_block(seen.height, 0xa1)),
                    prevote(made_up_block(seen.height, 0xb2)),
                );
                gossip.broadcast(BftMessage::Vote(pair.0.clone()).encode());
                gossip.broadcast(BftMessage::Vote(pair.1.clone()).encode());
                slot.insert(pair);
            }
        });
        Self { network, signed }
    }

    /// Every double vote signed so far, by (height, round).
    pub fn double_votes(&self) -> BTreeMap<(u64, u32), DoubleVote> {
        self.signed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many validators it is connected to.
    pub async fn peers(&self) -> usize {
        self.network.connected_peers().await.len()
    }
}

impl Drop for Equivocator {
    fn drop(&mut self) {
        // The event loop holds a handle too: only a shutdown ends it.
        self.network.shutdown();
    }
}

/// A non-nil block hash nobody built: `tag` repeated, the height in front.
fn made_up_block(height: u64, tag: u8) -> Hash {
    let mut hash = [tag; 32];
    hash[..8].copy_from_slice(&height.to_be_bytes());
    hash
}
