//! The relay loop: per SPN, finalize the newest checkpoint, then relay every message of the
//! outbox up to it, then save the cursor.

use crate::batch::{self, MAX_BATCH_BYTES};
use crate::checkpoint::{advance, CheckpointStep};
use crate::errors::{already_relayed, describe};
use crate::metrics::RelayerMetrics;
use crate::outbound::{outbox_proofs, scan, Outbound, OutboxProofs};
use crate::sender::{Call, Outcome, Sent, TxSender};
use crate::state::RelayerState;
use crate::{connect, RelayerConfig, SpnEndpoint};
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use futures::StreamExt;
use pharos_contracts::{
    adaptor::Adaptor, mailbox::Mailbox, registry::Registry, ADAPTOR, MAILBOX, REGISTRY,
};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::{error, info, warn};

/// SPN blocks scanned per round (bounds one round's work).
const BLOCKS_PER_ROUND: u64 = 2_000;
/// Batch simulations and status reads in flight at once.
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
    pub fn address(&self) -> Address {
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
        let wave_size = self.config.max_in_flight * self.config.max_batch;
        for wave in batch.chunks(wave_size) {
            let (relayed, failed) = self.relay_wave(spn_id, &provider, finalized, wave).await;
            round.relayed += relayed;
            round.failed += failed;
        }
        let confirmed = crate::forced::confirm_processed(
            &self.mainnet,
            &mut self.sender,
            &provider,
            spn_id,
            finalized,
            self.state.spn(spn_id),
        )
        .await
        .unwrap_or_else(|e| {
            warn!(spn = spn_id, error = %e, "cannot confirm forced withdrawals this round");
            0
        });
        self.metrics
            .forced_confirmed
            .get_or_create(&label)
            .inc_by(confirmed as u64);
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

    /// Relays one wave: prepare its batches, send them all, wait for all. Returns (relayed,
    /// failed).
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
        let max_batch = self.config.max_batch;
        let plan = prepare_wave(&mainnet, provider, from, (spn_id, height), max_batch, wave).await;
        let mut outcomes: Vec<Option<Settled>> = vec![None; wave.len()];
        for (k, outcome) in plan.settled {
            outcomes[k] = Some(outcome);
        }
        let (calls, covers): (Vec<Call>, Vec<Vec<usize>>) = plan.ready.into_iter().unzip();
        let (sent, unsent) = self.sender.send_all(calls).await;
        for (i, (_, e)) in unsent.into_iter().enumerate() {
            for k in &covers[sent.len() + i] {
                outcomes[*k] = Some(Settled::Unsent(e.clone()));
            }
        }
        let first_nonce = sent.first().map_or(0, |s| s.nonce);
        self.metrics
            .relay_transactions
            .get_or_create(&label)
            .inc_by(sent.len() as u64);
        for (s, outcome) in self.sender.wait_all(sent).await {
            let covered = &covers[(s.nonce - first_nonce) as usize];
            for (k, result) in self.settle(wave, covered, &s, outcome).await {
                outcomes[k] = Some(result);
            }
        }
        let (mut relayed, mut failed) = (0, 0);
        let now = now_ms();
        let max_attempts = self.config.max_attempts;
        let mut deferred = 0;
        for (m, outcome) in wave.iter().zip(outcomes) {
            match outcome.unwrap_or_else(|| Settled::Unsent("not attempted".into())) {
                Settled::Relayed => {
                    relayed += 1;
                    self.metrics.relayed.get_or_create(&label).inc();
                    self.state.spn(spn_id).done(&m.id);
                }
                Settled::Unsent(e) => {
                    deferred += 1;
                    let (message, block) = (m.message.clone(), m.block);
                    self.state
                        .spn(spn_id)
                        .deferred(m.id, message, block, e, now);
                }
                Settled::Failed(e) => {
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
        if deferred > 0 {
            info!(spn = spn_id, messages = deferred, "relay transactions not sent (the pool refused one); the messages go in the next round");
        }
        (relayed, failed)
    }

    /// Which of the messages `covered` (positions in `wave`) a mined or lost relay
    /// transaction delivered: all of them if it succeeded, else those the Mailbox knows
    /// (another relayer, or an earlier version of ours, may have been first).
    async fn settle(
        &self,
        wave: &[Outbound],
        covered: &[usize],
        s: &Sent,
        outcome: Outcome,
    ) -> Vec<(usize, Settled)> {
        let failure = match outcome {
            Outcome::Mined(r) if r.status() => {
                return covered.iter().map(|k| (*k, Settled::Relayed)).collect();
            }
            Outcome::Mined(r) => format!("relay transaction {} reverted", r.transaction_hash),
            Outcome::Lost(e) => format!("relay transaction (nonce {}) lost: {e}", s.nonce),
        };
        futures::stream::iter(covered)
            .map(|k| {
                let failure = failure.clone();
                async move {
                    match relayed_on_mainnet(&self.mainnet, wave[*k].id).await {
                        Some(true) => (*k, Settled::Relayed),
                        _ => (*k, Settled::Failed(failure)),
                    }
                }
            })
            .buffered(PREPARE_CONCURRENCY)
            .collect()
            .await
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

/// How one message of a wave ended.
#[derive(Debug, Clone)]
enum Settled {
    /// Relayed now, or found already relayed.
    Relayed,
    /// Tried and refused (or reverted): an attempt.
    Failed(String),
    /// Its transaction was never sent: not an attempt.
    Unsent(String),
}

/// A wave made ready: transactions to send (each with the wave positions it relays), and
/// messages already settled (known to the Mailbox, or refused).
struct WavePlan {
    ready: Vec<(Call, Vec<usize>)>,
    settled: Vec<(usize, Settled)>,
}

/// Gas limit for a call estimated at `gas`.
pub(crate) fn with_margin(gas: u64) -> u64 {
    gas * 5 / 4 + 50_000
}

/// Prepares a wave: one `eth_getProof` (per 1 024 messages) for every outbox slot, then the
/// messages packed into `relayMessages` batches, each simulated once (concurrently). A batch
/// that relays nothing new is settled; a batch that fails its simulation is split into
/// single `relayMessage` calls so one bad message (or a recipient the Mailbox refuses) is
/// isolated with its own reason and the rest still go.
async fn prepare_wave(
    mainnet: &DynProvider,
    spn: &DynProvider,
    from: Address,
    (spn_id, height): (u32, u64),
    max_batch: usize,
    wave: &[Outbound],
) -> WavePlan {
    let ids: Vec<B256> = wave.iter().map(|m| m.id).collect();
    let proofs = match outbox_proofs(spn, &ids, height).await {
        Ok(p) => p,
        Err(e) => {
            return WavePlan {
                ready: vec![],
                settled: (0..wave.len())
                    .map(|k| (k, Settled::Failed(e.clone())))
                    .collect(),
            }
        }
    };
    let sizes: Vec<usize> = wave
        .iter()
        .zip(&proofs.storage)
        .map(|(m, p)| batch::message_bytes(&m.message, p))
        .collect();
    let fixed = batch::fixed_bytes(&proofs.account_rlp, &proofs.account_proof);
    let batches = batch::pack(&sizes, fixed, max_batch, MAX_BATCH_BYTES);
    let proofs = &proofs;
    let prepared: Vec<WavePlan> = futures::stream::iter(batches)
        .map(|range| async move {
            let covered: Vec<usize> = range.clone().collect();
            let messages = covered.iter().map(|k| wave[*k].message.clone()).collect();
            let adaptor = Adaptor::new(ADAPTOR, mainnet);
            let call = adaptor
                .relayMessages(spn_id, height, proofs.batch(messages, range))
                .from(from);
            // One estimate simulates the batch. Relaying costs ≥ 150 000 gas a message, so
            // an estimate below that for the whole batch means (nearly) everything is known
            // already: then ask whether anything is left at all.
            let n = covered.len() as u64;
            let simulated = match call.estimate_gas().await {
                Ok(gas) if gas < 150_000 * n => match call.call().await {
                    Ok(left) if left.is_zero() => Ok(None),
                    Ok(_) => Ok(Some(gas)),
                    Err(e) => Err(e),
                },
                other => other.map(Some),
            };
            match simulated {
                Ok(None) => WavePlan {
                    ready: vec![],
                    settled: covered.into_iter().map(|k| (k, Settled::Relayed)).collect(),
                },
                Ok(Some(gas)) => WavePlan {
                    ready: vec![(
                        Call {
                            to: ADAPTOR,
                            input: call.calldata().clone(),
                            gas: with_margin(gas),
                        },
                        covered,
                    )],
                    settled: vec![],
                },
                Err(e) => {
                    if covered.len() > 1 {
                        info!(spn = spn_id, messages = covered.len(), reason = %describe(&e), "batch refused in simulation; relaying its messages one by one");
                    }
                    prepare_singles(mainnet, from, spn_id, height, wave, proofs, covered).await
                }
            }
        })
        .buffered(PREPARE_CONCURRENCY)
        .collect()
        .await;
    let mut plan = WavePlan {
        ready: vec![],
        settled: vec![],
    };
    for p in prepared {
        plan.ready.extend(p.ready);
        plan.settled.extend(p.settled);
    }
    plan
}

/// Prepares messages `covered` one `relayMessage` each: the Mailbox status, then a gas
/// estimate that says why a message is refused.
async fn prepare_singles(
    mainnet: &DynProvider,
    from: Address,
    spn_id: u32,
    height: u64,
    wave: &[Outbound],
    proofs: &OutboxProofs,
    covered: Vec<usize>,
) -> WavePlan {
    let mut plan = WavePlan {
        ready: vec![],
        settled: vec![],
    };
    for k in covered {
        if relayed_on_mainnet(mainnet, wave[k].id).await == Some(true) {
            plan.settled.push((k, Settled::Relayed));
            continue;
        }
        let adaptor = Adaptor::new(ADAPTOR, mainnet);
        let call = adaptor
            .relayMessage(
                spn_id,
                height,
                wave[k].message.clone(),
                proofs.slot_proof(k),
            )
            .from(from);
        match call.estimate_gas().await {
            Ok(gas) => plan.ready.push((
                Call {
                    to: ADAPTOR,
                    input: call.calldata().clone(),
                    gas: with_margin(gas),
                },
                vec![k],
            )),
            Err(e) if already_relayed(&e) => plan.settled.push((k, Settled::Relayed)),
            Err(e) => plan.settled.push((k, Settled::Failed(describe(&e)))),
        }
    }
    plan
}
