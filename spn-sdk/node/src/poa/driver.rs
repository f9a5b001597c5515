//! The shell around the pure `poa` engine: feeds it network messages, timers and execution
//! results, and carries out its actions (build, execute, persist the lock, commit, broadcast,
//! sync) in the order it gives them.

use super::codec::encode_block;
use super::schedule::{ValidatorSchedule, SET_LAG};
use super::sync::{decode_request, decode_response, encode_request, serve, SYNC_BATCH};
use super::txs::{decode_txs, encode_txs, MAX_BATCH, MAX_BATCH_BYTES, TAG_TRANSACTIONS};
use super::PoaSetup;
use crate::backend::NodeInner;
use crate::error::NodeError;
use crate::import::import_when_ready;
use crate::producer::{commit_block, BuiltBlock};
use spn_consensus::poa::{
    Decision, Lock, Poa, PoaAction, PoaEvent, PoaMessage, Rejection, ValidatorSet,
};
use spn_network::{Fault, NetworkEvent, NetworkEvents, NetworkHandle, PeerKey};
use spn_primitives::{RecoveredTx, B256};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// Results of work the driver started in the background.
enum Done {
    Timeout(u64),
    Built {
        height: u64,
        round: u32,
        block: Option<BuiltBlock>,
    },
    Executed {
        height: u64,
        block_hash: [u8; 32],
        block: Option<BuiltBlock>,
    },
    Synced {
        peer: PeerKey,
        decisions: Vec<Decision>,
    },
}

struct Driver {
    inner: Arc<NodeInner>,
    poa: Poa,
    /// The set of the first heights, and where later ones come from (if they change).
    base: ValidatorSet,
    schedule: Option<Arc<dyn ValidatorSchedule>>,
    network: NetworkHandle,
    done: mpsc::UnboundedSender<Done>,
    /// Executed blocks (built here or imported) by hash, until their height is committed.
    executed: HashMap<[u8; 32], BuiltBlock>,
    syncing: bool,
    last_commit: Instant,
    block_time: Duration,
}

/// Runs `poa` until the network stops or a block cannot be committed (fatal).
pub(crate) async fn drive_poa(
    inner: Arc<NodeInner>,
    setup: PoaSetup,
    network: NetworkHandle,
    mut events: NetworkEvents,
) -> Result<(), NodeError> {
    let PoaSetup {
        config,
        signing_key,
        validators,
        schedule,
        block_time_ms,
        ..
    } = setup;
    let poa = match signing_key {
        Some(key) => Poa::validator(config, key),
        None => Poa::follower(config),
    };
    let (done_tx, mut done) = mpsc::unbounded_channel();
    // Transactions submitted here, to gossip (bounded: a flood waits in the pool instead).
    let (gossip_tx, mut gossip) = mpsc::channel::<RecoveredTx>(4 * MAX_BATCH);
    let _ = inner.tx_gossip.set(gossip_tx);
    let mut driver = Driver {
        inner,
        poa,
        base: validators,
        schedule,
        network,
        done: done_tx,
        executed: HashMap::new(),
        syncing: false,
        last_commit: Instant::now(),
        block_time: Duration::from_millis(block_time_ms),
    };
    driver.start().await?;
    loop {
        tokio::select! {
            Some(result) = done.recv() => driver.on_done(result).await?,
            Some(tx) = gossip.recv() => driver.gossip_txs(tx, &mut gossip),
            event = events.next() => match event {
                Some(event) => driver.on_network(event).await?,
                None => {
                    info!("network stopped; poa driver ends");
                    return Ok(());
                }
            },
        }
    }
}

impl Driver {
    async fn start(&mut self) -> Result<(), NodeError> {
        let head = self.inner.head.read().header.number;
        let validators = self.set_for(head + 1).await?;
        let lock = match self.inner.store.consensus_lock()? {
            Some(bytes) => Some(Lock::decode(&bytes).map_err(|e| {
                NodeError::WrongChain(format!(
                    "the stored consensus vote is unreadable ({e}); refusing to start rather \
                     than risk voting twice"
                ))
            })?),
            None => None,
        };
        info!(
            head,
            validators = validators.len(),
            locked = lock.as_ref().map(|l| l.height),
            "poa started"
        );
        self.feed(
            PoaEvent::Started {
                head,
                validators,
                lock,
            },
            None,
        )
        .await?;
        self.install_next(head).await
    }

    /// The set deciding `height`: the first set up to [`SET_LAG`], else what the schedule
    /// reads from block `height − SET_LAG` (asked again until it answers).
    async fn set_for(&self, height: u64) -> Result<ValidatorSet, NodeError> {
        let Some(schedule) = &self.schedule else {
            return Ok(self.base.clone());
        };
        if height <= SET_LAG {
            return Ok(self.base.clone());
        }
        let number = height - SET_LAG;
        let header = self.inner.store.header(number)?.ok_or_else(|| {
            NodeError::WrongChain(format!("block {number} is missing from the store"))
        })?;
        let mut last_log: Option<Instant> = None;
        loop {
            match schedule.set_after(&header).await {
                Ok(set) => return Ok(set),
                Err(e) => {
                    if last_log.is_none_or(|t| t.elapsed() > Duration::from_secs(5)) {
                        warn!(height, error = %e, "cannot read the validator set of height {height} yet; consensus waits for it");
                        last_log = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    /// With a schedule: after height `head` is committed, installs the set of
    /// `head + SET_LAG` (the engine is deciding `head + 1`).
    async fn install_next(&mut self, head: u64) -> Result<(), NodeError> {
        if self.schedule.is_none() {
            return Ok(());
        }
        let height = head + SET_LAG;
        let set = self.set_for(height).await?;
        if self.poa.validators_at(height) != Some(&set) {
            info!(
                height,
                validators = set.len(),
                "the validator set changes (a new Registry epoch)"
            );
            self.poa
                .install_validators(height, set)
                .map_err(|e| NodeError::WrongChain(e.to_string()))?;
        }
        self.poa.validators_known_through(height);
        Ok(())
    }

    /// Broadcasts `first` and whatever else is queued, in batches.
    fn gossip_txs(&self, first: RecoveredTx, queue: &mut mpsc::Receiver<RecoveredTx>) {
        let mut batch = vec![first];
        let mut bytes = batch[0].encoded_len;
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(tx) if bytes + tx.encoded_len + 4 < MAX_BATCH_BYTES => {
                    bytes += tx.encoded_len + 4;
                    batch.push(tx);
                }
                Ok(tx) => {
                    self.network.broadcast(encode_txs(&batch));
                    bytes = tx.encoded_len;
                    batch = vec![tx];
                }
                Err(_) => break,
            }
        }
        self.network.broadcast(encode_txs(&batch));
    }

    /// Transactions another validator gossiped: each is checked like a submitted one and
    /// pooled here (not gossiped again); refusals are races, not faults, but undecodable
    /// bytes are.
    fn on_gossiped_txs(&self, from: PeerKey, data: Vec<u8>) {
        let raws = match decode_txs(&data) {
            Ok(raws) => raws,
            Err(e) => {
                debug!(peer = %short(&from), %e, "malformed transaction gossip");
                self.network.report(from, Fault::InvalidMessage);
                return;
            }
        };
        let node = self.inner.clone();
        let network = self.network.clone();
        tokio::task::spawn_blocking(move || {
            let chain_id = node.spec.chain_id;
            let recovered = spn_primitives::recover_batch(&raws, chain_id);
            let mut added = 0;
            for tx in recovered {
                match tx {
                    Ok(tx) if node.pool.contains(&tx.hash) => {}
                    Ok(tx) => added += usize::from(node.admit(tx).is_ok()),
                    Err(e) => {
                        debug!(peer = %short(&from), %e, "gossiped transaction unreadable");
                        network.report(from, Fault::InvalidMessage);
                        return;
                    }
                }
            }
            debug!(peer = %short(&from), added, "transactions from a peer");
        });
    }

    async fn on_network(&mut self, event: NetworkEvent) -> Result<(), NodeError> {
        match event {
            NetworkEvent::Gossip { from, data } if data.first() == Some(&TAG_TRANSACTIONS) => {
                self.on_gossiped_txs(from, data)
            }
            NetworkEvent::Gossip { from, data } | NetworkEvent::Direct { from, data } => {
                match PoaMessage::decode(&data) {
                    Ok(message) => self.feed(PoaEvent::Message(message), Some(from)).await?,
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
            Done::Timeout(id) => self.feed(PoaEvent::Timeout { id }, None).await,
            Done::Built {
                height,
                round,
                block: Some(built),
            } => {
                let block_hash = built.block.hash.0;
                let block = encode_block(&built.block);
                self.executed.insert(block_hash, built);
                self.feed(
                    PoaEvent::BlockBuilt {
                        height,
                        round,
                        block_hash,
                        block,
                    },
                    None,
                )
                .await
            }
            Done::Built {
                height,
                round,
                block: None,
            } => {
                self.feed(PoaEvent::BuildFailed { height, round }, None)
                    .await
            }
            Done::Executed {
                height,
                block_hash,
                block,
            } => {
                let valid = block.is_some();
                if let Some(built) = block {
                    self.executed.insert(block_hash, built);
                }
                self.feed(
                    PoaEvent::ProposalExecuted {
                        height,
                        block_hash,
                        valid,
                    },
                    None,
                )
                .await
            }
            Done::Synced { peer, decisions } => {
                self.syncing = false;
                if !decisions.is_empty() {
                    info!(
                        from = decisions[0].certificate.height,
                        blocks = decisions.len(),
                        peer = %short(&peer),
                        "catching up by sync"
                    );
                }
                for decision in decisions {
                    self.feed(
                        PoaEvent::Message(PoaMessage::Decision(decision)),
                        Some(peer),
                    )
                    .await?;
                }
                Ok(())
            }
        }
    }

    /// Feeds one event and carries out the actions, then the events they produce, in order.
    async fn feed(&mut self, event: PoaEvent, source: Option<PeerKey>) -> Result<(), NodeError> {
        let mut queue = VecDeque::from([(event, source)]);
        while let Some((event, source)) = queue.pop_front() {
            for action in self.poa.on_event(event) {
                if let Some(next) = self.perform(action, source).await? {
                    queue.push_back((next, None));
                }
            }
        }
        Ok(())
    }

    /// Carries out one action; returns an event to feed back at once, if any.
    async fn perform(
        &mut self,
        action: PoaAction,
        source: Option<PeerKey>,
    ) -> Result<Option<PoaEvent>, NodeError> {
        match action {
            PoaAction::ScheduleTimeout { id, after_ms } => {
                let done = self.done.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(after_ms)).await;
                    let _ = done.send(Done::Timeout(id));
                });
            }
            PoaAction::BuildBlock { height, round } => self.build(height, round),
            PoaAction::Broadcast(message) => self.network.broadcast(message.encode()),
            PoaAction::ExecuteProposal {
                height,
                block_hash,
                block,
            } => {
                if self.executed.contains_key(&block_hash) {
                    return Ok(Some(PoaEvent::ProposalExecuted {
                        height,
                        block_hash,
                        valid: true,
                    }));
                }
                self.execute(height, block_hash, block);
            }
            PoaAction::PersistLock(lock) => {
                let store = self.inner.store.clone();
                let bytes = lock.encode();
                tokio::task::spawn_blocking(move || store.put_consensus_lock(&bytes))
                    .await
                    .map_err(|e| NodeError::Rpc(format!("lock task failed: {e}")))??;
            }
            PoaAction::Commit {
                height,
                block_hash,
                certificate,
            } => {
                let built = self.executed.remove(&block_hash).ok_or_else(|| {
                    NodeError::WrongChain(format!(
                        "poa asked to commit block {height} ({}) that was never executed here",
                        B256::from(block_hash)
                    ))
                })?;
                let store = self.inner.store.clone();
                let pool = self.inner.pool.clone();
                let certificate = certificate.encode();
                let committed = tokio::task::spawn_blocking(move || {
                    // The certificate first: a block on disk is always servable to peers.
                    store.put_certificate(height, &certificate)?;
                    commit_block(&store, &pool, built)
                })
                .await
                .map_err(|e| NodeError::Rpc(format!("commit task failed: {e}")))??;
                self.inner.record_commit(committed);
                self.executed.retain(|_, b| b.block.number() > height);
                self.last_commit = Instant::now();
                self.install_next(height).await?;
                return Ok(Some(PoaEvent::Committed { height }));
            }
            PoaAction::RequestSync { from_height, peer } => self.sync(from_height, peer),
            PoaAction::Rejected(rejection) => self.rejected(rejection, source),
            PoaAction::Misbehaviour(evidence) => {
                warn!(
                    ?evidence,
                    "a validator broke the protocol; evidence kept in the log"
                )
            }
        }
        Ok(None)
    }

    fn rejected(&mut self, rejection: Rejection, source: Option<PeerKey>) {
        // Signed by a set this node cannot know yet because it is behind: catch up.
        if let (Rejection::NoValidatorSet { height }, Some(peer)) = (&rejection, source) {
            let head = self.inner.head.read().header.number;
            if *height > head + 1 {
                self.sync(head + 1, peer);
            }
        }
        match (rejection.is_fault(), source) {
            (true, Some(peer)) => {
                warn!(peer = %short(&peer), %rejection, "peer sent an invalid consensus message");
                self.network.report(peer, Fault::InvalidMessage);
            }
            _ => debug!(%rejection, "consensus input ignored"),
        }
    }

    fn build(&self, height: u64, round: u32) {
        let node = self.inner.clone();
        let done = self.done.clone();
        let wait = self.block_time.saturating_sub(self.last_commit.elapsed());
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let block = tokio::task::spawn_blocking(move || {
                match node.build_next() {
                    Ok(b) if b.block.number() == height => Some(b),
                    Ok(_) => None, // the head moved: no longer this height

                    Err(e) if e.is_not_ready() => {
                        debug!(height, %e, "block not buildable yet");
                        None
                    }
                    Err(e) => {
                        warn!(height, %e, "building block failed");
                        None
                    }
                }
            })
            .await
            .unwrap_or(None);
            let _ = done.send(Done::Built {
                height,
                round,
                block,
            });
        });
    }

    fn execute(&self, height: u64, block_hash: [u8; 32], bytes: Vec<u8>) {
        let node = self.inner.clone();
        let done = self.done.clone();
        tokio::spawn(async move {
            let block = match import_when_ready(node, block_hash, bytes).await {
                Ok(built) => Some(built),
                Err(reason) => {
                    warn!(height, hash = %B256::from(block_hash), %reason, "proposed block refused");
                    None
                }
            };
            let _ = done.send(Done::Executed {
                height,
                block_hash,
                block,
            });
        });
    }

    fn sync(&mut self, from_height: u64, peer: PeerKey) {
        if self.syncing {
            return;
        }
        self.syncing = true;
        let network = self.network.clone();
        let done = self.done.clone();
        tokio::spawn(async move {
            let decisions = match network
                .request(peer, encode_request(from_height, SYNC_BATCH))
                .await
            {
                Ok(bytes) => decode_response(&bytes).unwrap_or_else(|e| {
                    warn!(peer = %short(&peer), %e, "malformed sync response");
                    network.report(peer, Fault::InvalidMessage);
                    Vec::new()
                }),
                Err(e) => {
                    debug!(peer = %short(&peer), %e, "sync request failed; will retry");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    Vec::new()
                }
            };
            let _ = done.send(Done::Synced { peer, decisions });
        });
    }
}

fn short(key: &PeerKey) -> String {
    key[..4].iter().map(|b| format!("{b:02x}")).collect()
}
