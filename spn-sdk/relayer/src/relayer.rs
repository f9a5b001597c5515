//! The relay loop: per SPN, finalize the newest checkpoint, then relay every message of the
//! outbox up to it, then save the cursor.

use crate::checkpoint::{advance, CheckpointStep};
use crate::errors::{already_relayed, describe};
use crate::metrics::RelayerMetrics;
use crate::outbound::{scan, slot_proofs, Outbound};
use crate::sender::{Call, Outcome, Sent, TxSender};
use crate::state::RelayerState;
use crate::{connect, RelayerConfig, SpnEndpoint};
use alloy::primitives::B256;
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use futures::StreamExt;
use pharos_contracts::{
    adaptor::Adaptor, mailbox::Mailbox, registry::Registry, ADAPTOR, MAILBOX, REGISTRY,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::{error, info, warn};

/// SPN blocks scanned per round (bounds one round's work).
const BLOCKS_PER_ROUND: u64 = 2_000;
/// Status reads and gas estimates in flight at once.
const PREPARE_CONCURRENCY: usize = 64;

/// What one round did for one SPN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpnRound {
    /// The finalized checkpoint height used.
    pub finalized: u64,
    /// Messages relayed now (or found already relayed).
    pub relayed: usize,
    /// Failed attempts.
    pub failed: usize,
}

struct SpnLink {
    endpoint: SpnEndpoint,
    provider: DynProvider,
    last_note: String,
}

/// A relayer following some SPNs.
pub struct Relayer {
    config: RelayerConfig,
    mainnet: DynProvider,
    mainnet_chain_id: u64,
    sender: TxSender,
    spns: Vec<SpnLink>,
    state: RelayerState,
    metrics: Arc<RelayerMetrics>,
}

enum Prepared {
    Done,
    Ready(Call),
    Failed(String),
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Relayer {
    /// Connects to the mainnet and the SPNs and loads the cursor.
    pub async fn new(config: RelayerConfig, key: PrivateKeySigner) -> Result<Self, String> {
        let mainnet = connect(&config.mainnet_rpc)?;
        let sender = TxSender::new(
            mainnet.clone(),
            key,
            Duration::from_millis(config.stuck_after_ms),
        )
        .await?;
        let mainnet_chain_id = mainnet
            .get_chain_id()
            .await
            .map_err(|e| format!("cannot reach the mainnet at {}: {e}", config.mainnet_rpc))?;
        let spns = config
            .spns
            .iter()
            .map(|e| {
                Ok(SpnLink {
                    provider: connect(&e.rpc)?,
                    endpoint: e.clone(),
                    last_note: String::new(),
                })
            })
            .collect::<Result<_, String>>()?;
        let state = RelayerState::load(&config.state_file)?;
        Ok(Self {
            config,
            mainnet,
            mainnet_chain_id,
            sender,
            spns,
            state,
            metrics: Arc::new(RelayerMetrics::default()),
        })
    }

    /// The metrics this relayer updates.
    pub fn metrics(&self) -> Arc<RelayerMetrics> {
        self.metrics.clone()
    }

    /// The paying account.
    pub fn address(&self) -> alloy::primitives::Address {
        self.sender.address()
    }

    /// The cursor as saved.
    pub fn state(&self) -> &RelayerState {
        &self.state
    }

    /// Runs rounds until `shutdown` resolves; a round's error is logged and retried.
    pub async fn run_until(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), String> {
        tokio::pin!(shutdown);
        loop {
            let busy = match self.round().await {
                Ok(rounds) => rounds.iter().any(|r| r.relayed + r.failed > 0),
                Err(e) => {
                    warn!(error = %e, "relay round failed; retrying");
                    false
                }
            };
            let pause = if busy { 0 } else { self.config.poll_ms };
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = tokio::time::sleep(Duration::from_millis(pause)) => {}
            }
        }
    }

    /// One pass over every SPN.
    pub async fn round(&mut self) -> Result<Vec<SpnRound>, String> {
        if let Ok(balance) = self.sender.balance().await {
            let ether = f64::from(balance) / 1e18;
            self.metrics.balance.set(ether);
        }
        let mut out = Vec::with_capacity(self.spns.len());
        for i in 0..self.spns.len() {
            match self.round_for(i).await {
                Ok(r) => out.push(r),
                Err(e) => {
                    let id = self.spns[i].endpoint.spn_id;
                    warn!(spn = id, error = %e, "SPN round failed");
                    out.push(SpnRound::default());
                }
            }
        }
        Ok(out)
    }

    async fn round_for(&mut self, i: usize) -> Result<SpnRound, String> {
        let spn_id = self.spns[i].endpoint.spn_id;
        let label = RelayerMetrics::spn(spn_id);
        let registry = Registry::new(REGISTRY, &self.mainnet);
        let mut finalized = registry
            .latestCheckpoint(spn_id)
            .call()
            .await
            .map_err(|e| format!("cannot read SPN {spn_id}'s checkpoint: {e}"))?
            .height;
        let step = advance(
            &self.mainnet,
            self.mainnet_chain_id,
            &mut self.sender,
            spn_id,
            &self.spns[i].provider,
            &self.spns[i].endpoint.signers(),
            finalized,
        )
        .await?;
        match step {
            CheckpointStep::Submitted(h) => {
                self.metrics.checkpoints.get_or_create(&label).inc();
                finalized = h;
            }
            CheckpointStep::Waiting(note) => {
                if note != self.spns[i].last_note {
                    info!(spn = spn_id, "{note}");
                    self.spns[i].last_note = note;
                }
            }
            CheckpointStep::Rotated => {}
        }
        let mut round = SpnRound {
            finalized,
            ..Default::default()
        };
        let provider = self.spns[i].provider.clone();
        let cursor = self.state.spn(spn_id).scanned_to;
        let head = provider.get_block_number().await.unwrap_or(cursor);
        self.metrics
            .lag_blocks
            .get_or_create(&label)
            .set(head.saturating_sub(cursor) as i64);

        let mut batch: Vec<Outbound> = self
            .state
            .spn(spn_id)
            .due(now_ms())
            .into_iter()
            .map(|(id, p)| Outbound {
                id,
                message: p.message,
                block: p.block,
            })
            .collect();
        let scan_to = finalized.min(cursor + BLOCKS_PER_ROUND);
        if scan_to > cursor {
            let found = scan(&provider, cursor + 1, scan_to).await?;
            self.metrics
                .seen
                .get_or_create(&label)
                .inc_by(found.len() as u64);
            batch.extend(found);
        }
        for wave in batch.chunks(self.config.max_in_flight) {
            let (relayed, failed) = self.relay_wave(spn_id, &provider, finalized, wave).await;
            round.relayed += relayed;
            round.failed += failed;
        }
        let cursor = self.state.spn(spn_id);
        cursor.scanned_to = cursor.scanned_to.max(scan_to);
        let retrying = cursor.retry.len() as i64;
        self.metrics.retrying.get_or_create(&label).set(retrying);
        self.state.save(&self.config.state_file)?;
        if round.relayed > 0 {
            info!(
                spn = spn_id,
                relayed = round.relayed,
                height = finalized,
                "messages relayed"
            );
        }
        Ok(round)
    }

    /// Relays one wave: prepare all, send all, wait for all. Returns (relayed, failed).
    async fn relay_wave(
        &mut self,
        spn_id: u32,
        provider: &DynProvider,
        height: u64,
        wave: &[Outbound],
    ) -> (usize, usize) {
        let label = RelayerMetrics::spn(spn_id);
        let from = self.sender.address();
        let mainnet = self.mainnet.clone();
        let prepared = prepare_wave(&mainnet, provider, from, spn_id, height, wave).await;
        let mut outcomes: Vec<Option<Result<(), String>>> = vec![None; wave.len()];
        let mut calls = Vec::new();
        let mut call_index = Vec::new();
        for (k, p) in prepared {
            match p {
                Prepared::Done => outcomes[k] = Some(Ok(())),
                Prepared::Failed(e) => outcomes[k] = Some(Err(e)),
                Prepared::Ready(call) => {
                    call_index.push(k);
                    calls.push(call);
                }
            }
        }
        let (sent, unsent) = self.sender.send_all(calls).await;
        let by_nonce: HashMap<u64, usize> = sent
            .iter()
            .zip(&call_index)
            .map(|(s, k)| (s.nonce, *k))
            .collect();
        for ((_, e), k) in unsent
            .into_iter()
            .zip(call_index.iter().skip(by_nonce.len()))
        {
            outcomes[*k] = Some(Err(e));
        }
        for (s, outcome) in self.sender.wait_all(sent).await {
            let k = by_nonce[&s.nonce];
            outcomes[k] = Some(self.settle(&wave[k], &s, outcome).await);
        }
        let (mut relayed, mut failed) = (0, 0);
        let now = now_ms();
        let max_attempts = self.config.max_attempts;
        for (m, outcome) in wave.iter().zip(outcomes) {
            match outcome.unwrap_or_else(|| Err("not attempted".into())) {
                Ok(()) => {
                    relayed += 1;
                    self.metrics.relayed.get_or_create(&label).inc();
                    self.state.spn(spn_id).done(&m.id);
                }
                Err(e) => {
                    failed += 1;
                    self.metrics.failed.get_or_create(&label).inc();
                    let gave_up = self.state.spn(spn_id).failed(
                        m.id,
                        m.message.clone(),
                        m.block,
                        e.clone(),
                        now,
                        max_attempts,
                    );
                    if gave_up {
                        self.metrics.gave_up.get_or_create(&label).inc();
                        error!(spn = spn_id, id = %m.id, error = %e, "giving up on message after {max_attempts} attempts; `spn trace {}` shows where it is", m.id);
                    } else {
                        warn!(spn = spn_id, id = %m.id, error = %e, "relay failed; will retry");
                    }
                }
            }
        }
        (relayed, failed)
    }

    /// Whether a mined or lost relay transaction delivered the message (ours or another's).
    async fn settle(&self, m: &Outbound, s: &Sent, outcome: Outcome) -> Result<(), String> {
        let failure = match outcome {
            Outcome::Mined(r) if r.status() => return Ok(()),
            Outcome::Mined(r) => format!("relay transaction {} reverted", r.transaction_hash),
            Outcome::Lost(e) => format!("relay transaction (nonce {}) lost: {e}", s.nonce),
        };
        // Another relayer (or an earlier version of ours) may have delivered it meanwhile.
        if relayed_on_mainnet(&self.mainnet, m.id).await == Some(true) {
            return Ok(());
        }
        Err(failure)
    }
}

/// Whether the Mailbox knows message `id` (relayed by anyone); `None` if unreadable.
async fn relayed_on_mainnet(mainnet: &DynProvider, id: B256) -> Option<bool> {
    Mailbox::new(MAILBOX, mainnet)
        .status(id)
        .call()
        .await
        .ok()
        .map(|s| s != 0)
}

/// Prepares a wave: Mailbox status of every message (concurrently), one `eth_getProof` for
/// the outbox slots of those not yet relayed, then a gas estimate (a full simulation) of each.
async fn prepare_wave(
    mainnet: &DynProvider,
    spn: &DynProvider,
    from: alloy::primitives::Address,
    spn_id: u32,
    height: u64,
    wave: &[Outbound],
) -> Vec<(usize, Prepared)> {
    let known: Vec<bool> = futures::stream::iter(wave)
        .map(|m| async move { relayed_on_mainnet(mainnet, m.id).await == Some(true) })
        .buffered(PREPARE_CONCURRENCY)
        .collect()
        .await;
    let mut out: Vec<(usize, Prepared)> = Vec::with_capacity(wave.len());
    let todo: Vec<usize> = (0..wave.len()).filter(|k| !known[*k]).collect();
    out.extend(
        (0..wave.len())
            .filter(|k| known[*k])
            .map(|k| (k, Prepared::Done)),
    );
    let ids: Vec<B256> = todo.iter().map(|k| wave[*k].id).collect();
    let proofs = match slot_proofs(spn, &ids, height).await {
        Ok(p) => p,
        Err(e) => {
            out.extend(todo.into_iter().map(|k| (k, Prepared::Failed(e.clone()))));
            return out;
        }
    };
    let estimated: Vec<(usize, Prepared)> = futures::stream::iter(todo.into_iter().zip(proofs))
        .map(|(k, proof)| async move {
            let adaptor = Adaptor::new(ADAPTOR, mainnet);
            let call = adaptor
                .relayMessage(spn_id, height, wave[k].message.clone(), proof)
                .from(from);
            let prepared = match call.estimate_gas().await {
                Ok(gas) => Prepared::Ready(Call {
                    to: ADAPTOR,
                    input: call.calldata().clone(),
                    gas: gas * 5 / 4 + 50_000,
                }),
                Err(e) if already_relayed(&e) => Prepared::Done,
                Err(e) => Prepared::Failed(describe(&e)),
            };
            (k, prepared)
        })
        .buffered(PREPARE_CONCURRENCY)
        .collect()
        .await;
    out.extend(estimated);
    out.sort_by_key(|(k, _)| *k);
    out
}
