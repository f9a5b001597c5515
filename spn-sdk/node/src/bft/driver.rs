//! The shell around the pure `bft` engine: feeds it network messages, timers, pool signals and
//! the results of work it asked for, and carries out its actions (in `actions.rs`) in order.

use super::batches::{InFlight, RecoveredBatches};
use super::sync::{decode_request, serve};
use super::wal::Wal;
use super::{BftSchedule, BftSetup, BftValidators, EvidenceHandler};
use crate::backend::NodeInner;
use crate::error::NodeError;
use crate::poa::{decode_txs, encode_txs, MAX_BATCH, MAX_BATCH_BYTES, TAG_TRANSACTIONS};
use crate::producer::BuiltBlock;
use spn_consensus::bft::{Bft, BftEvent, BftMessage, Decision, Hash};
use spn_consensus::Event;
use spn_network::{Fault, NetworkEvent, NetworkEvents, NetworkHandle, PeerKey};
use spn_primitives::{RecoveredTx, B256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::{debug, info};

/// How many heights ahead a validator set is fixed: the set of height h is read after block
/// h − SET_LAG commits (the same lag as `poa`).
pub(crate) const SET_LAG: u64 = crate::poa::SET_LAG;

/// A transaction of another validator's sender still pending here this long after it was
/// last forwarded (or never forwarded: the queue was full) is forwarded again.
const FORWARD_AGAIN_AFTER: Duration = Duration::from_secs(2);
/// Transactions one sweep forwards again at most (the best-paying first); the rest wait for
/// the next sweep, so an overloaded node does not spend itself re-sending its pool.
const FORWARD_AGAIN_MAX: usize = 4_096;
/// Submitted transactions waiting to be forwarded at most; past that they wait in the pool
/// for the next sweep.
const FORWARD_QUEUE: usize = 16_384;

/// Results of work the driver started in the background.
pub(super) enum Done {
    Timeout(u64),
    /// A peer's batch was checked: its transactions if valid.
    BatchChecked {
        height: u64,
        proposer: u32,
        digest: Hash,
        txs: Option<Vec<RecoveredTx>>,
    },
    /// A block was built, executed or refused: the event to feed, and the block to keep.
    Block {
        event: BftEvent,
        built: Option<Box<BuiltBlock>>,
    },
    Synced {
        peer: PeerKey,
        decisions: Vec<Decision>,
    },
}

pub(super) struct Driver {
    pub inner: Arc<NodeInner>,
    pub bft: Bft,
    pub network: NetworkHandle,
    pub done: mpsc::UnboundedSender<Done>,
    pub wal: Wal,
    /// Validator sets by first height (mirrors the engine's, with fee accounts).
    pub sets: BTreeMap<u64, BftValidators>,
    pub schedule: Option<Arc<dyn BftSchedule>>,
    pub evidence: Option<Arc<dyn EvidenceHandler>>,
    /// Executed blocks (built here or checked) by hash, until their height is committed.
    pub executed: HashMap<Hash, BuiltBlock>,
    pub recovered: RecoveredBatches,
    pub in_flight: InFlight,
    pub syncing: bool,
    /// When each pooled transaction of another validator's sender was last forwarded.
    pub forwarded: HashMap<B256, Instant>,
    /// Owned transactions may be waiting that no batch took (full batches, released ones).
    pub more_owned: bool,
}

/// Runs `bft` until the network stops or a block cannot be committed (fatal).
pub(crate) async fn drive_bft(
    inner: Arc<NodeInner>,
    setup: BftSetup,
    network: NetworkHandle,
    mut events: NetworkEvents,
    mut local: mpsc::UnboundedReceiver<Event>,
) -> Result<(), NodeError> {
    let BftSetup {
        config,
        signing_key,
        validators,
        schedule,
        evidence,
        ..
    } = setup;
    let bft = match signing_key {
        Some(key) => Bft::validator(config, key),
        None => Bft::follower(config),
    };
    let head = inner.head.read().header.number;
    let (wal, entries) = Wal::open(inner.store.clone(), head)?;
    let (done_tx, mut done) = mpsc::unbounded_channel();
    // Transactions submitted here, to forward to their owners (bounded: a flood waits here).
    let (forward_tx, mut forward) = mpsc::channel::<RecoveredTx>(FORWARD_QUEUE);
    let _ = inner.tx_gossip.set(forward_tx);
    let mut sets = BTreeMap::from([(1, validators)]);
    for (from, bytes) in inner.store.validator_sets()? {
        let set = BftValidators::decode(&bytes).map_err(|e| {
            NodeError::WrongChain(format!("the stored validator set of height {from}: {e}"))
        })?;
        sets.insert(from, set);
    }
    let mut driver = Driver {
        inner,
        bft,
        network,
        done: done_tx,
        wal,
        sets,
        schedule,
        evidence,
        executed: HashMap::new(),
        recovered: RecoveredBatches::default(),
        in_flight: InFlight::default(),
        syncing: false,
        forwarded: HashMap::new(),
        more_owned: false,
    };
    driver.start(head, entries).await?;
    let mut again = tokio::time::interval(FORWARD_AGAIN_AFTER / 2);
    again.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            Some(result) = done.recv() => driver.on_done(result).await?,
            Some(tx) = forward.recv() => driver.forward_queued(tx, &mut forward),
            _ = again.tick() => driver.forward_again(),
            Some(event) = local.recv() => {
                if matches!(event, Event::TransactionsPending) {
                    driver.inner.pending_signalled.store(false, Ordering::Release);
                    driver.feed(BftEvent::TransactionsPending, None).await?;
                }
            }
            event = events.next() => match event {
                Some(event) => driver.on_network(event).await?,
                None => {
                    info!("network stopped; bft driver ends");
                    return Ok(());
                }
            },
        }
    }
}

impl Driver {
    async fn start(
        &mut self,
        head: u64,
        entries: Vec<spn_consensus::bft::WalEntry>,
    ) -> Result<(), NodeError> {
        // A crash between committing the head and storing the set it fixes: read it again.
        if head > 0 {
            self.read_set_after(head).await?;
        }
        for (from, set) in &self.sets {
            if *from > head + 1 {
                self.bft
                    .install_validators(*from, set.set.clone())
                    .map_err(|e| NodeError::WrongChain(e.to_string()))?;
            }
        }
        if self.schedule.is_some() {
            self.bft.validators_known_through(head + SET_LAG);
        }
        let validators = self.set_at(head + 1).set.clone();
        info!(
            head,
            validators = validators.len(),
            wal = entries.len(),
            validator = self.bft.public_key().is_some(),
            "bft started"
        );
        self.feed(
            BftEvent::Started {
                head,
                validators,
                wal: entries,
            },
            None,
        )
        .await
    }

    /// The set deciding `height` (with fee accounts).
    pub(super) fn set_at(&self, height: u64) -> &BftValidators {
        self.sets
            .range(..=height)
            .next_back()
            .map(|(_, s)| s)
            .expect("the genesis set decides height 1")
    }

    /// After block `head` committed: the set it fixes for `head + SET_LAG`, stored and
    /// installed in the engine if it changes.
    pub(super) async fn read_set_after(&mut self, head: u64) -> Result<(), NodeError> {
        let Some(schedule) = self.schedule.clone() else {
            return Ok(());
        };
        let header = self.inner.head.read().header.clone();
        debug_assert_eq!(header.number, head);
        let from = head + SET_LAG;
        let next = schedule
            .set_after(&header, &self.inner.store)
            .await
            .map_err(|e| {
                NodeError::WrongChain(format!("the validator set of height {from}: {e}"))
            })?;
        if let Some(set) = next {
            if self.set_at(from) != &set {
                info!(
                    from,
                    validators = set.set.len(),
                    "the validator set changes (a new Staking epoch)"
                );
                self.inner.store.put_validator_set(from, &set.encode())?;
                self.bft
                    .install_validators(from, set.set.clone())
                    .map_err(|e| NodeError::WrongChain(e.to_string()))?;
                self.sets.insert(from, set);
            }
        }
        Ok(())
    }

    /// Forwards `first` and whatever else is queued to the validators that own their senders.
    fn forward_queued(&mut self, first: RecoveredTx, queue: &mut mpsc::Receiver<RecoveredTx>) {
        let mut txs = vec![first];
        while txs.len() < 16 * MAX_BATCH {
            match queue.try_recv() {
                Ok(tx) => txs.push(tx),
                Err(_) => break,
            }
        }
        self.forward(txs);
    }

    /// Sends each transaction this validator does not own to its owner, and remembers it to
    /// send again if it is still pending later (the owner may have been unreachable); sends
    /// a copy of each one it owns to the next validator.
    fn forward(&mut self, txs: Vec<RecoveredTx>) {
        let height = self.inner.head.read().header.number + SET_LAG;
        let set = self.set_at(height).set.clone();
        let me = self.bft.public_key().and_then(|k| set.index_of(&k));
        let mut by_owner: BTreeMap<u32, (Vec<RecoveredTx>, usize)> = BTreeMap::new();
        let now = Instant::now();
        let n = set.len() as u32;
        for tx in txs {
            let owner = set.owner_of(tx.sender.as_slice());
            let to = if Some(owner) != me {
                self.forwarded.insert(tx.hash, now);
                owner
            } else if n > 1 {
                // Ours: a copy to the next validator, whose pool sweep gives it back to us
                // while it is pending — so a crash of this node (its pool is memory) does
                // not lose what it accepted.
                (owner + 1) % n
            } else {
                continue;
            };
            let (batch, bytes) = by_owner.entry(to).or_default();
            if batch.len() == MAX_BATCH || *bytes + tx.encoded_len + 4 > MAX_BATCH_BYTES {
                self.send_txs(&set, owner, std::mem::take(batch));
                *bytes = 0;
            }
            *bytes += tx.encoded_len + 4;
            batch.push(tx);
        }
        for (owner, (batch, _)) in by_owner {
            if !batch.is_empty() {
                self.send_txs(&set, owner, batch);
            }
        }
    }

    /// Sweeps the pool: pending transactions of other validators' senders not forwarded in
    /// the last [`FORWARD_AGAIN_AFTER`] are forwarded (again). Catches owners that were
    /// unreachable and submissions the full forwarding queue could not take.
    fn forward_again(&mut self) {
        let pool = &self.inner.pool;
        self.forwarded.retain(|hash, _| pool.contains(hash));
        let height = self.inner.head.read().header.number + SET_LAG;
        let set = &self.set_at(height).set;
        let me = self.bft.public_key().and_then(|k| set.index_of(&k));
        let base_fee = u128::from(crate::producer::next_base_fee(
            &self.inner.head.read().header,
        ));
        let again: Vec<RecoveredTx> = pool
            .best(u64::MAX, base_fee)
            .into_iter()
            .filter(|tx| Some(set.owner_of(tx.sender.as_slice())) != me)
            .filter(|tx| {
                self.forwarded
                    .get(&tx.hash)
                    .is_none_or(|at| at.elapsed() >= FORWARD_AGAIN_AFTER)
            })
            .take(FORWARD_AGAIN_MAX)
            .collect();
        if !again.is_empty() {
            debug!(txs = again.len(), "forwarding pending transactions again");
            self.forward(again);
        }
    }

    fn send_txs(&self, set: &spn_consensus::bft::StakeSet, owner: u32, txs: Vec<RecoveredTx>) {
        if let Some(key) = set.key(owner) {
            self.network.send_to(key.to_bytes(), encode_txs(&txs));
        }
    }

    /// Transactions a peer forwarded: each is checked like a submitted one and pooled here
    /// (not forwarded again); refusals are races, not faults, but undecodable bytes are.
    fn on_forwarded_txs(&self, from: PeerKey, data: Vec<u8>) {
        let raws = match decode_txs(&data) {
            Ok(raws) => raws,
            Err(e) => {
                debug!(peer = %short(&from), %e, "malformed forwarded transactions");
                self.network.report(from, Fault::InvalidMessage);
                return;
            }
        };
        // Drop what is pooled already before recovering senders, which costs far more than
        // hashing: under load the sweeps send the same transactions again and again.
        let raws: Vec<_> = raws
            .into_iter()
            .filter(|raw| !self.inner.pool.contains(&spn_primitives::keccak256(raw)))
            .collect();
        if raws.is_empty() {
            return;
        }
        let node = self.inner.clone();
        let network = self.network.clone();
        tokio::task::spawn_blocking(move || {
            for tx in spn_primitives::recover_batch(&raws, node.spec.chain_id) {
                match tx {
                    Ok(tx) if node.pool.contains(&tx.hash) => {}
                    Ok(tx) => {
                        let _ = node.admit(tx);
                    }
                    Err(e) => {
                        debug!(peer = %short(&from), %e, "forwarded transaction unreadable");
                        network.report(from, Fault::InvalidMessage);
                        return;
                    }
                }
            }
        });
    }

    async fn on_network(&mut self, event: NetworkEvent) -> Result<(), NodeError> {
        match event {
            NetworkEvent::Gossip { from, data } | NetworkEvent::Direct { from, data }
                if data.first() == Some(&TAG_TRANSACTIONS) =>
            {
                self.on_forwarded_txs(from, data)
            }
            NetworkEvent::Gossip { from, data } | NetworkEvent::Direct { from, data } => {
                match BftMessage::decode(&data) {
                    Ok(message) => self.feed(BftEvent::Message(message), Some(from)).await?,
                    Err(e) => {
                        debug!(peer = %short(&from), %e, "undecodable consensus message");
                        self.network.report(from, Fault::InvalidMessage);
                    }
                }
            }
            NetworkEvent::Request { from, data, reply } => {
                let store = self.inner.store.clone();
                tokio::spawn(async move {
                    let answer = match decode_request(&data) {
                        Ok((height, max)) => {
                            tokio::task::spawn_blocking(move || serve(&store, height, max))
                                .await
                                .unwrap_or_else(|e| Err(e.to_string()))
                        }
                        Err(e) => Err(e),
                    };
                    match answer {
                        Ok(bytes) => reply.send(bytes),
                        Err(e) => {
                            debug!(peer = %short(&from), %e, "sync request refused");
                            reply.refuse(e);
                        }
                    }
                });
            }
            NetworkEvent::PeerConnected(peer) => debug!(peer = %short(&peer), "peer connected"),
            NetworkEvent::PeerDisconnected(peer) => {
                debug!(peer = %short(&peer), "peer disconnected")
            }
        }
        Ok(())
    }

    async fn on_done(&mut self, done: Done) -> Result<(), NodeError> {
        match done {
            Done::Timeout(id) => self.feed(BftEvent::Timeout { id }, None).await,
            Done::BatchChecked {
                height,
                proposer,
                digest,
                txs,
            } => {
                let valid = txs.is_some();
                if let Some(txs) = txs {
                    self.recovered.insert(height, digest, txs);
                }
                let event = BftEvent::BatchValidated {
                    height,
                    proposer,
                    digest,
                    valid,
                };
                self.feed(event, None).await
            }
            Done::Block { event, built } => {
                if let Some(built) = built {
                    self.executed.insert(built.block.hash.0, *built);
                }
                self.feed(event, None).await
            }
            Done::Synced { peer, decisions } => {
                self.syncing = false;
                if let Some(first) = decisions.first() {
                    info!(
                        from = first.certificate.height,
                        blocks = decisions.len(),
                        peer = %short(&peer),
                        "catching up by sync"
                    );
                }
                for decision in decisions {
                    self.feed(
                        BftEvent::Message(BftMessage::Decision(decision)),
                        Some(peer),
                    )
                    .await?;
                }
                Ok(())
            }
        }
    }

    /// Feeds one event and carries out the actions, then the events they produce, in order.
    pub(super) async fn feed(
        &mut self,
        event: BftEvent,
        source: Option<PeerKey>,
    ) -> Result<(), NodeError> {
        let mut queue = VecDeque::from([(event, source)]);
        while let Some((event, source)) = queue.pop_front() {
            for action in self.bft.on_event(event) {
                if let Some(next) = self.perform(action, source).await? {
                    queue.push_back((next, None));
                }
            }
        }
        Ok(())
    }
}

pub(super) fn short(key: &PeerKey) -> String {
    key[..4].iter().map(|b| format!("{b:02x}")).collect()
}
