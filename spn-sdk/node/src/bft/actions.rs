//! Carry out what the `bft` engine asks: timers, batches, blocks, the write-ahead log,
//! broadcasts, commits, sync and evidence.

use super::batches::{
    build_from_batches, check_ownership, decode_payload, encode_payload, select_owned,
};
use super::driver::{short, Done, Driver, SET_LAG};
use super::sync::{decode_response, encode_request, SYNC_BATCH};
use crate::error::NodeError;
use crate::import::{import_when_ready, when_ready, MAX_FUTURE_SECS};
use crate::producer::commit_block;
use spn_consensus::bft::{sha256, Batch, BftAction, BftEvent, Evidence, Hash, Rejection};
use spn_network::{Fault, PeerKey};
use spn_primitives::{Address, B256};
use spn_rpc::ChainBackend;
use std::time::Duration;
use tracing::{debug, warn};

/// Bytes of one batch at most (a proposal carries every batch of its height, and must stay
/// under the network's message limit).
const MAX_BATCH_PAYLOAD: usize = 512 * 1024;

impl Driver {
    /// Carries out one action; returns an event to feed back at once, if any.
    pub(super) async fn perform(
        &mut self,
        action: BftAction,
        source: Option<PeerKey>,
    ) -> Result<Option<BftEvent>, NodeError> {
        match action {
            BftAction::ScheduleTimeout { id, after_ms } => {
                let done = self.done.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(after_ms)).await;
                    let _ = done.send(Done::Timeout(id));
                });
            }
            BftAction::BuildBatch { height } => return self.build_batch(height).await.map(Some),
            BftAction::ValidateBatch { batch } => self.validate_batch(batch),
            BftAction::BuildBlock {
                height,
                round,
                batches,
            } => {
                let me = self
                    .bft
                    .public_key()
                    .and_then(|k| self.set_at(height).set.index_of(&k));
                let beneficiary = self.set_at(height).account(me.unwrap_or(u32::MAX));
                let timestamp_ms = self.inner.clock.now_ms().max(self.head_timestamp_ms());
                self.build_block(
                    height,
                    batches,
                    (beneficiary, timestamp_ms, None),
                    move |built| match built {
                        Some((block_hash, extra_data)) => BftEvent::BlockBuilt {
                            height,
                            round,
                            block_hash,
                            timestamp_ms,
                            extra_data,
                        },
                        None => BftEvent::BuildFailed { height, round },
                    },
                );
            }
            BftAction::ExecuteProposal {
                height,
                block_hash,
                proposer,
                timestamp_ms,
                extra_data,
                batches,
            } => {
                if self.executed.contains_key(&block_hash) {
                    return Ok(Some(executed(height, block_hash, true)));
                }
                if timestamp_ms / 1000 > self.inner.clock.now_secs() + MAX_FUTURE_SECS {
                    warn!(
                        height,
                        timestamp_ms, "proposed block is stamped too far ahead"
                    );
                    return Ok(Some(executed(height, block_hash, false)));
                }
                let beneficiary = self.set_at(height).account(proposer);
                let header = (beneficiary, timestamp_ms, Some(extra_data));
                self.build_block(height, batches, header, move |built| {
                    executed(height, block_hash, built.is_some_and(|b| b.0 == block_hash))
                });
            }
            BftAction::ExecuteBlock {
                height,
                block_hash,
                block,
            } => {
                if self.executed.contains_key(&block_hash) {
                    return Ok(Some(executed(height, block_hash, true)));
                }
                self.import(height, block_hash, block);
            }
            BftAction::Persist(entry) => self.wal.append(&entry).await?,
            BftAction::Broadcast(message) => self.network.broadcast(message.encode()),
            BftAction::Commit {
                height,
                block_hash,
                certificate,
            } => {
                self.commit(height, block_hash, certificate.encode())
                    .await?;
                return Ok(Some(BftEvent::Committed { height }));
            }
            BftAction::RequestSync { from_height, peer } => self.sync(from_height, peer),
            BftAction::Rejected(rejection) => self.rejected(rejection, source),
            BftAction::Misbehaviour(evidence) => self.on_evidence(evidence),
        }
        Ok(None)
    }

    fn head_timestamp_ms(&self) -> u64 {
        self.inner.head.read().header.timestamp.saturating_mul(1000)
    }

    /// This validator's batch for `height`: owned pool transactions in none of its batches
    /// still undecided.
    async fn build_batch(&mut self, height: u64) -> Result<BftEvent, NodeError> {
        let set = self.set_at(height).set.clone();
        let me = self.bft.public_key().and_then(|k| set.index_of(&k));
        let (txs, more) = match me {
            Some(me) => {
                let node = self.inner.clone();
                let in_flight = self.in_flight.hashes().clone();
                let gas = self.inner.head.read().header.gas_limit / set.len() as u64;
                tokio::task::spawn_blocking(move || {
                    select_owned(&node, me, &set, &in_flight, gas, MAX_BATCH_PAYLOAD)
                })
                .await
                .map_err(|e| NodeError::Rpc(format!("batch task failed: {e}")))?
            }
            None => (Vec::new(), false),
        };
        self.more_owned |= more;
        let payload = encode_payload(&txs);
        let tx_count = txs.len() as u32;
        self.in_flight.add(height, &txs);
        self.recovered.insert(height, sha256(&payload), txs);
        if tx_count > 0 {
            debug!(height, tx_count, "batch built");
        }
        Ok(BftEvent::BatchBuilt {
            height,
            tx_count,
            payload,
        })
    }

    /// Checks a peer's batch in the background: decodes it, recovers every sender and checks
    /// that its proposer owns them all.
    fn validate_batch(&self, batch: Batch) {
        let h = batch.header;
        let set = self.set_at(h.height).set.clone();
        let chain_id = self.inner.spec.chain_id;
        let done = self.done.clone();
        tokio::task::spawn_blocking(move || {
            let txs = decode_payload(&batch.payload, Some(h.tx_count), chain_id)
                .and_then(|txs| check_ownership(&txs, h.proposer, &set).map(|()| txs));
            let txs = match txs {
                Ok(txs) => Some(txs),
                Err(reason) => {
                    warn!(height = h.height, proposer = h.proposer, %reason, "invalid batch");
                    None
                }
            };
            let _ = done.send(Done::BatchChecked {
                height: h.height,
                proposer: h.proposer,
                digest: h.digest,
                txs,
            });
        });
    }

    /// Builds the block of `height` from `batches` in the background, with its beneficiary,
    /// timestamp and extra data (`None`: this node's choice), and reports `event` of its hash
    /// and extra data (`None`: it could not be built). Inputs not here yet (a mainnet block
    /// the extra data names) are waited for.
    fn build_block(
        &self,
        height: u64,
        batches: Vec<(u32, Vec<u8>)>,
        (beneficiary, timestamp_ms, extra_data): (Address, u64, Option<Vec<u8>>),
        event: impl FnOnce(Option<(Hash, Vec<u8>)>) -> BftEvent + Send + 'static,
    ) {
        let resolved = self.recovered.resolve(&batches);
        let node = self.inner.clone();
        let done = self.done.clone();
        tokio::spawn(async move {
            let building = when_ready(move || {
                let extra = extra_data.as_deref();
                build_from_batches(&node, height, &resolved, beneficiary, timestamp_ms, extra)
            });
            let (built, hash) = match building.await {
                Ok(b) => {
                    let hash = (b.block.hash.0, b.block.header.extra_data.to_vec());
                    (Some(Box::new(b)), Some(hash))
                }
                Err(reason) => {
                    warn!(height, %reason, "block not built from its batches");
                    (None, None)
                }
            };
            let _ = done.send(Done::Block {
                event: event(hash),
                built,
            });
        });
    }

    /// Decodes and executes a certified block from sync in the background.
    fn import(&self, height: u64, block_hash: Hash, bytes: Vec<u8>) {
        let node = self.inner.clone();
        let done = self.done.clone();
        tokio::spawn(async move {
            let built = import_when_ready(node, block_hash, bytes)
                .await
                .map_err(|reason| warn!(height, %reason, "synced block refused"))
                .ok()
                .map(Box::new);
            let _ = done.send(Done::Block {
                event: executed(height, block_hash, built.is_some()),
                built,
            });
        });
    }

    /// Commits the executed block with its certificate, then: forgets the WAL and batches of
    /// decided heights, releases left-out transactions, and reads the next set if one is due.
    async fn commit(
        &mut self,
        height: u64,
        block_hash: Hash,
        certificate: Vec<u8>,
    ) -> Result<(), NodeError> {
        let mut built = self.executed.remove(&block_hash).ok_or_else(|| {
            NodeError::WrongChain(format!(
                "bft asked to commit block {height} ({}) that was never executed here",
                B256::from(block_hash)
            ))
        })?;
        // Skipped transactions may be valid later (a nonce gap closed by the next block):
        // they stay pooled, and their senders' pool entries are re-read after the commit.
        let skipped: Vec<Address> = std::mem::take(&mut built.rejected)
            .iter()
            .filter_map(|(hash, _)| self.inner.pool.get(hash).map(|t| t.sender))
            .collect();
        let node = self.inner.clone();
        let committed = tokio::task::spawn_blocking(move || {
            // The certificate first: a block on disk is always servable to peers.
            node.store.put_certificate(height, &certificate)?;
            let committed = commit_block(&node.store, &node.pool, built)?;
            if !skipped.is_empty() {
                node.pool
                    .on_block_committed(&crate::producer::PoolReader(&node.store), &skipped);
            }
            Ok::<_, NodeError>(committed)
        })
        .await
        .map_err(|e| NodeError::Rpc(format!("commit task failed: {e}")))??;
        self.inner.record_commit(committed);
        self.executed.retain(|_, b| b.block.number() > height);
        self.wal.forget_through(height)?;
        let released = self.in_flight.release_through(height);
        // Left out of the block but still valid: they go in a later batch.
        self.more_owned |= released.iter().any(|h| self.inner.pool.contains(h));
        self.recovered.prune(height);
        self.read_set_after(height).await?;
        if self.schedule.is_some() {
            self.bft.validators_known_through(height + SET_LAG);
        }
        // Only for owned transactions: others' wait in their owners' batches.
        if std::mem::take(&mut self.more_owned) {
            self.inner.signal_pending();
        }
        Ok(())
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

    fn on_evidence(&self, evidence: Evidence) {
        warn!(?evidence, "a validator equivocated");
        let Some(handler) = self.evidence.clone() else {
            return;
        };
        let node = self.inner.clone();
        tokio::task::spawn_blocking(move || match handler.on_evidence(&evidence, &node.store) {
            Ok(txs) => {
                for tx in txs {
                    let hash = tx.hash;
                    match node.submit_transaction(tx) {
                        Ok(_) => warn!(%hash, "evidence submitted on chain"),
                        Err(e) => warn!(%hash, %e, "evidence transaction refused"),
                    }
                }
            }
            Err(e) => warn!(%e, "no transaction for the evidence"),
        });
    }

    pub(super) fn sync(&mut self, from_height: u64, peer: PeerKey) {
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

fn executed(height: u64, block_hash: Hash, valid: bool) -> BftEvent {
    BftEvent::BlockExecuted {
        height,
        block_hash,
        valid,
    }
}
