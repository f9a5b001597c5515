//! A seeded network of `bft` engines: random delays (so reordering), drops, partitions, crashes
//! and restarts, a transfer load, and one Byzantine validator of a chosen kind.
//!
//! Checked as it happens, whatever the scenario: every commit's certificate verifies against
//! the set, the block was executed and is valid, heights are committed in order, no two honest
//! nodes commit different blocks at one height, and no honest validator signs two different
//! votes of one kind in one round, two batches at one height or two proposals in one round,
//! across its restarts. A run is live when, once the network is calm, every honest node
//! reaches the target height and has committed every transaction an honest validator owns.

mod checks;
mod network;
pub mod node;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use spn_consensus::bft::{
    owner_index, BftAction, BftConfig, BftEvent, BftMessage, Decision, Evidence, Hash, StakeSet,
    VoteKind,
};

use node::{decode_txs, encode_txs, Role, SimBlock, SimNode, Tx};

/// The simulated chain id.
pub const CHAIN: u64 = 7_007;

/// What the network does during a run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Validators (keys).
    pub n: usize,
    /// Every honest node must commit this many heights.
    pub target: u64,
    /// Message delay bounds, uniform.
    pub delay_ms: (u64, u64),
    /// Share of messages lost while the chaos lasts.
    pub drop_rate: f64,
    /// The chaos (drops, crashes, partitions) lasts this long (0: none).
    pub chaos_ms: u64,
    /// Most honest nodes down at once during the chaos.
    pub max_down: usize,
    /// Chance, every 250 ms of the chaos, that an honest node crashes.
    pub crash_chance: f64,
    /// During the chaos, split the honest nodes in two sides from time to time.
    pub partitions: bool,
    /// Validator 0's role (the others are honest).
    pub byzantine: Role,
    /// Transfers submitted per 100 ms while the load lasts.
    pub tx_per_tick: u32,
}

impl Scenario {
    /// Honest validators, random delays, nothing lost.
    pub fn calm(n: usize, target: u64) -> Self {
        Self {
            n,
            target,
            delay_ms: (5, 100),
            drop_rate: 0.0,
            chaos_ms: 0,
            max_down: 0,
            crash_chance: 0.0,
            partitions: false,
            byzantine: Role::Honest,
            tx_per_tick: 20,
        }
    }

    /// `calm`, with `role` for validator 0 and, for `chaos_ms`, drops, crashes of one honest
    /// node at a time and partitions.
    pub fn hostile(n: usize, target: u64, role: Role, chaos_ms: u64) -> Self {
        Self {
            drop_rate: 0.1,
            chaos_ms,
            max_down: 1,
            crash_chance: 0.08,
            partitions: true,
            byzantine: role,
            ..Self::calm(n, target)
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Every honest node committed the target height and every honest-owned transaction.
    pub live: bool,
    /// Heads of all nodes at the end.
    pub heads: Vec<u64>,
    /// Blocks committed (by the honest nodes).
    pub heights: u64,
    /// Transactions committed.
    pub txs: usize,
    /// Commits of blocks received by sync.
    pub commits_by_sync: u64,
    /// Crashes.
    pub crashes: u64,
    /// Simulated time at the end.
    pub time_ms: u64,
    /// Simulated time when the chaos ended.
    pub calm_at_ms: u64,
    /// Messages sent.
    pub messages: u64,
    /// Rejections that prove a fault, by kind.
    pub faults: BTreeMap<String, u64>,
    /// Verified double votes reported.
    pub double_votes: u64,
    /// Other evidence reported.
    pub other_evidence: u64,
}

enum Ev {
    Deliver {
        to: usize,
        msg: BftMessage,
    },
    Timer {
        to: usize,
        life: u64,
        id: u64,
    },
    BatchBuilt {
        to: usize,
        life: u64,
        height: u64,
        payload: Vec<u8>,
        count: u32,
    },
    BatchChecked {
        to: usize,
        life: u64,
        height: u64,
        proposer: u32,
        digest: Hash,
        valid: bool,
    },
    Built {
        to: usize,
        life: u64,
        height: u64,
        round: u32,
        hash: Hash,
        timestamp: u64,
        block: Vec<u8>,
    },
    Executed {
        to: usize,
        life: u64,
        height: u64,
        hash: Hash,
        block: Option<Vec<u8>>,
        valid: bool,
    },
    SyncReply {
        to: usize,
        decisions: Vec<Decision>,
    },
    Crash {
        who: usize,
        down_ms: u64,
    },
    Restart {
        who: usize,
    },
    ChaosTick,
    LoadTick,
}

struct Sim {
    scenario: Scenario,
    rng: StdRng,
    config: BftConfig,
    set: StakeSet,
    nodes: Vec<SimNode>,
    queue: BTreeMap<(u64, u64), Ev>,
    seq: u64,
    now: u64,
    chaos: bool,
    calm_at: u64,
    /// During a partition: the side of each node.
    side: Option<Vec<bool>>,
    committed: BTreeMap<u64, Hash>,
    /// Signed by honest keys: (key, height, round, kind) → hash; (key, height) → batch digest.
    votes_signed: BTreeMap<(u32, u64, u32, VoteKind), Hash>,
    batches_signed: BTreeMap<(u32, u64), Hash>,
    pool: BTreeSet<Tx>,
    next_nonce: BTreeMap<u32, u32>,
    load_until: u64,
    crashes: u64,
    messages: u64,
    faults: BTreeMap<String, u64>,
    double_votes: u64,
    other_evidence: u64,
    trace: bool,
}

/// Runs `scenario` with `seed`; panics if safety or a certificate check fails.
pub fn run(seed: u64, scenario: &Scenario) -> Outcome {
    let mut sim = Sim::new(seed, scenario.clone());
    for i in 0..sim.nodes.len() {
        if sim.nodes[i].role != Role::Silent {
            sim.start(i);
        }
    }
    if sim.chaos {
        sim.schedule(250, Ev::ChaosTick);
    }
    sim.schedule(100, Ev::LoadTick);
    let budget = 120_000 + scenario.target * 1_000;
    while let Some(((time, _), ev)) = sim.queue.pop_first() {
        sim.now = time;
        sim.handle(ev);
        if sim.chaos && sim.now >= scenario.chaos_ms {
            sim.calm();
        }
        if !sim.chaos && sim.now > sim.load_until && sim.done() {
            break;
        }
        if sim.now > sim.calm_at + budget {
            break;
        }
    }
    sim.outcome()
}

impl Sim {
    fn new(seed: u64, scenario: Scenario) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let keys: Vec<_> = (0..scenario.n)
            .map(|_| ed25519_dalek::SigningKey::from_bytes(&rng.random()))
            .collect();
        let raw: Vec<_> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
        let set = StakeSet::equal(&raw).expect("distinct random keys");
        let mut nodes = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let role = if i == 0 {
                scenario.byzantine
            } else {
                Role::Honest
            };
            if let Role::Twin(_) = role {
                nodes.push(SimNode::new(i as u32, key.clone(), Role::Twin(1)));
                nodes.push(SimNode::new(i as u32, key.clone(), Role::Twin(2)));
            } else {
                nodes.push(SimNode::new(i as u32, key.clone(), role));
            }
        }
        let mut config = BftConfig::new(CHAIN);
        config.propose_timeout_ms = 600;
        config.prevote_timeout_ms = 300;
        config.precommit_timeout_ms = 300;
        config.timeout_step_ms = 300;
        config.batch_grace_ms = 40;
        config.idle_block_ms = Some(500);
        let chaos = scenario.chaos_ms > 0;
        let load_until = if chaos {
            scenario.chaos_ms + 1_000
        } else {
            3_000
        };
        Self {
            calm_at: if chaos { u64::MAX / 4 } else { 0 },
            scenario,
            rng,
            config,
            set,
            nodes,
            queue: BTreeMap::new(),
            seq: 0,
            now: 0,
            chaos,
            side: None,
            committed: BTreeMap::new(),
            votes_signed: BTreeMap::new(),
            batches_signed: BTreeMap::new(),
            pool: BTreeSet::new(),
            next_nonce: BTreeMap::new(),
            load_until,
            crashes: 0,
            messages: 0,
            faults: BTreeMap::new(),
            double_votes: 0,
            other_evidence: 0,
            trace: std::env::var_os("BFT_SIM_TRACE").is_some(),
        }
    }

    fn honest(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).filter(|&i| self.nodes[i].is_honest())
    }

    fn schedule(&mut self, after_ms: u64, ev: Ev) {
        self.seq += 1;
        self.queue.insert((self.now + after_ms, self.seq), ev);
    }

    fn delay(&mut self) -> u64 {
        let (lo, hi) = self.scenario.delay_ms;
        self.rng.random_range(lo..=hi)
    }

    fn start(&mut self, i: usize) {
        self.nodes[i].boot(&self.config);
        let node = &self.nodes[i];
        let head = node.head();
        let wal = node
            .wal
            .iter()
            .filter(|e| e.height() > head)
            .cloned()
            .collect();
        let started = BftEvent::Started {
            head,
            validators: self.set.clone(),
            wal,
        };
        self.feed(i, started);
        if !self.pool.is_empty() {
            self.feed(i, BftEvent::TransactionsPending);
        }
    }

    fn handle(&mut self, ev: Ev) {
        let alive = |sim: &Self, to: usize, life: u64| {
            sim.nodes[to].is_up() && sim.nodes[to].incarnation == life
        };
        match ev {
            Ev::Deliver { to, msg } => {
                if self.nodes[to].is_up() {
                    self.feed(to, BftEvent::Message(msg));
                }
            }
            Ev::Timer { to, life, id } => {
                if alive(self, to, life) {
                    self.feed(to, BftEvent::Timeout { id });
                }
            }
            Ev::BatchBuilt {
                to,
                life,
                height,
                payload,
                count,
            } => {
                if alive(self, to, life) {
                    let built = BftEvent::BatchBuilt {
                        height,
                        tx_count: count,
                        payload,
                    };
                    self.feed(to, built);
                }
            }
            Ev::BatchChecked {
                to,
                life,
                height,
                proposer,
                digest,
                valid,
            } => {
                if alive(self, to, life) {
                    let checked = BftEvent::BatchValidated {
                        height,
                        proposer,
                        digest,
                        valid,
                    };
                    self.feed(to, checked);
                }
            }
            Ev::Built {
                to,
                life,
                height,
                round,
                hash,
                timestamp,
                block,
            } => {
                if alive(self, to, life) {
                    if height == self.nodes[to].head() + 1 {
                        self.nodes[to].executed.insert(hash, block);
                    }
                    let built = BftEvent::BlockBuilt {
                        height,
                        round,
                        block_hash: hash,
                        timestamp_ms: timestamp,
                        // What a chain derives its block from: here, its height.
                        extra_data: height.to_be_bytes().to_vec(),
                    };
                    self.feed(to, built);
                }
            }
            Ev::Executed {
                to,
                life,
                height,
                hash,
                block,
                valid,
            } => {
                if alive(self, to, life) {
                    if let (true, Some(block)) =
                        (valid && height == self.nodes[to].head() + 1, block)
                    {
                        self.nodes[to].executed.insert(hash, block);
                    }
                    let done = BftEvent::BlockExecuted {
                        height,
                        block_hash: hash,
                        valid,
                    };
                    self.feed(to, done);
                }
            }
            Ev::SyncReply { to, decisions } => {
                for decision in decisions {
                    if !self.nodes[to].is_up() {
                        break;
                    }
                    self.nodes[to].synced.insert(decision.certificate.height);
                    self.feed(to, BftEvent::Message(BftMessage::Decision(decision)));
                }
            }
            Ev::Crash { who, down_ms } => {
                if self.nodes[who].is_up() {
                    if self.trace {
                        eprintln!("{:>7} ms: node {who} crashes for {down_ms} ms", self.now);
                    }
                    self.nodes[who].crash();
                    self.crashes += 1;
                    self.schedule(down_ms, Ev::Restart { who });
                }
            }
            Ev::Restart { who } => {
                if !self.nodes[who].is_up() {
                    self.start(who);
                }
            }
            Ev::ChaosTick => self.chaos_tick(),
            Ev::LoadTick => self.load_tick(),
        }
    }

    fn load_tick(&mut self) {
        if self.now > self.load_until {
            return;
        }
        for _ in 0..self.scenario.tx_per_tick {
            let sender = self.rng.random_range(0..64u32);
            let nonce = self.next_nonce.entry(sender).or_insert(0);
            self.pool.insert((sender, *nonce));
            *nonce += 1;
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_up() {
                self.feed(i, BftEvent::TransactionsPending);
            }
        }
        self.schedule(100, Ev::LoadTick);
    }

    fn chaos_tick(&mut self) {
        if !self.chaos {
            return;
        }
        let down = self.honest().filter(|&i| !self.nodes[i].is_up()).count();
        if down < self.scenario.max_down && self.rng.random_bool(self.scenario.crash_chance) {
            let up: Vec<_> = self.honest().filter(|&i| self.nodes[i].is_up()).collect();
            let who = up[self.rng.random_range(0..up.len())];
            let down_ms = self.rng.random_range(300..=4_000);
            self.schedule(0, Ev::Crash { who, down_ms });
        }
        if self.scenario.partitions && self.rng.random_bool(0.05) {
            self.side = if self.side.is_some() {
                None
            } else {
                Some(
                    (0..self.nodes.len())
                        .map(|_| self.rng.random_bool(0.5))
                        .collect(),
                )
            };
        }
        self.schedule(250, Ev::ChaosTick);
    }

    /// The chaos ends: nothing is lost, partitions heal, every honest node restarts.
    fn calm(&mut self) {
        self.chaos = false;
        self.side = None;
        self.calm_at = self.now;
        for who in 0..self.nodes.len() {
            if !self.nodes[who].is_up() && self.nodes[who].role != Role::Silent {
                self.schedule(0, Ev::Restart { who });
            }
        }
    }

    fn feed(&mut self, i: usize, event: BftEvent) {
        let mut pending = VecDeque::from([event]);
        while let Some(event) = pending.pop_front() {
            let Some(engine) = self.nodes[i].engine.as_mut() else {
                return;
            };
            for action in engine.on_event(event) {
                self.act(i, action, &mut pending);
            }
        }
    }

    fn act(&mut self, i: usize, action: BftAction, pending: &mut VecDeque<BftEvent>) {
        let life = self.nodes[i].incarnation;
        if self.trace {
            self.trace_action(i, &action);
        }
        match action {
            BftAction::ScheduleTimeout { id, after_ms } => {
                self.schedule(after_ms, Ev::Timer { to: i, life, id })
            }
            BftAction::BuildBatch { height } => {
                let n = self.scenario.n;
                let pool = self.pool.clone();
                let txs = self.nodes[i].build_batch(height, &pool, n, 200);
                let mut payload = encode_txs(&txs);
                let mut count = txs.len() as u32;
                if self.nodes[i].role == Role::InvalidBatches {
                    // Someone else's transactions, and every other height junk bytes.
                    let theirs: Vec<Tx> = pool
                        .iter()
                        .filter(|(s, _)| owner_index(&s.to_be_bytes(), n) != 0)
                        .take(5)
                        .copied()
                        .collect();
                    payload = encode_txs(&theirs);
                    count = theirs.len() as u32;
                    if height % 2 == 0 {
                        payload.push(0xff);
                    }
                }
                let after = self.rng.random_range(1..=10);
                self.schedule(
                    after,
                    Ev::BatchBuilt {
                        to: i,
                        life,
                        height,
                        payload,
                        count,
                    },
                );
            }
            BftAction::ValidateBatch { batch } => {
                let n = self.scenario.n;
                let header = batch.header;
                let valid = decode_txs(&batch.payload).is_some_and(|txs| {
                    txs.len() == header.tx_count as usize
                        && txs
                            .iter()
                            .all(|(s, _)| owner_index(&s.to_be_bytes(), n) == header.proposer)
                });
                let after = self.rng.random_range(1..=10);
                self.schedule(
                    after,
                    Ev::BatchChecked {
                        to: i,
                        life,
                        height: header.height,
                        proposer: header.proposer,
                        digest: header.digest,
                        valid,
                    },
                );
            }
            BftAction::BuildBlock {
                height,
                round,
                batches,
            } => {
                let node = &self.nodes[i];
                let timestamp = self.now.max(node.head_timestamp() + 1);
                let block = SimBlock::build(node, height, timestamp, node.key_index, &batches)
                    .expect("own batches decode");
                let hash = block.hash();
                let after = self.rng.random_range(1..=20);
                self.schedule(
                    after,
                    Ev::Built {
                        to: i,
                        life,
                        height,
                        round,
                        hash,
                        timestamp,
                        block: block.encode(),
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
                let node = &self.nodes[i];
                let block = SimBlock::build(node, height, timestamp_ms, proposer, &batches);
                let valid = height == node.head() + 1
                    && timestamp_ms > node.head_timestamp()
                    && extra_data == height.to_be_bytes()
                    && block.as_ref().is_some_and(|b| b.hash() == block_hash);
                let after = self.rng.random_range(1..=20);
                let block = block.map(|b| b.encode());
                self.schedule(
                    after,
                    Ev::Executed {
                        to: i,
                        life,
                        height,
                        hash: block_hash,
                        block,
                        valid,
                    },
                );
            }
            BftAction::ExecuteBlock {
                height,
                block_hash,
                block,
            } => {
                let node = &self.nodes[i];
                let decoded = SimBlock::decode(&block);
                let valid = decoded.as_ref().is_some_and(|b| {
                    let mut nonces = node.nonces();
                    b.height == height
                        && b.parent == node.head_hash()
                        && b.hash() == block_hash
                        && b.txs.iter().all(|(s, n)| {
                            let next = nonces.entry(*s).or_insert(0);
                            let ok = *n == *next;
                            *next += 1;
                            ok
                        })
                });
                let after = self.rng.random_range(1..=20);
                self.schedule(
                    after,
                    Ev::Executed {
                        to: i,
                        life,
                        height,
                        hash: block_hash,
                        block: Some(block),
                        valid,
                    },
                );
            }
            BftAction::Persist(entry) => {
                self.check_signed(i, &entry);
                self.nodes[i].wal.push(entry);
            }
            BftAction::Broadcast(msg) => self.broadcast(i, msg),
            BftAction::Commit {
                height,
                block_hash,
                certificate,
            } => {
                self.commit(i, height, block_hash, certificate);
                pending.push_back(BftEvent::Committed { height });
            }
            BftAction::RequestSync { from_height, peer } => self.serve_sync(i, from_height, peer),
            BftAction::Rejected(rejection) => {
                if rejection.is_fault() {
                    let kind = format!("{rejection:?}");
                    let kind = kind.split([' ', '{']).next().unwrap_or_default().to_owned();
                    *self.faults.entry(kind).or_default() += 1;
                }
            }
            BftAction::Misbehaviour(evidence) => self.check_evidence(evidence),
        }
    }

    fn trace_action(&self, i: usize, action: &BftAction) {
        let short = |h: &Hash| format!("{:02x}{:02x}", h[0], h[1]);
        let what = match action {
            BftAction::Broadcast(BftMessage::Vote(v)) => format!(
                "{:?} h{} r{} {}",
                v.kind,
                v.height,
                v.round,
                short(&v.block_hash)
            ),
            BftAction::Broadcast(BftMessage::Proposal(p)) => format!(
                "PROPOSE h{} r{} {} pol {:?} {} batches",
                p.height,
                p.round,
                short(&p.block_hash),
                p.pol_round,
                p.batches.len()
            ),
            BftAction::Broadcast(BftMessage::Batch(b)) => {
                format!("batch h{} ({} txs)", b.header.height, b.header.tx_count)
            }
            BftAction::Commit {
                height,
                block_hash,
                certificate,
            } => format!(
                "COMMIT h{height} {} (round {})",
                short(block_hash),
                certificate.round
            ),
            BftAction::RequestSync { from_height, .. } => format!("sync from h{from_height}"),
            BftAction::Misbehaviour(e) => format!(
                "MISBEHAVIOUR {}",
                match e {
                    Evidence::DoubleVote { .. } => "double vote",
                    Evidence::DoubleBatch { .. } => "double batch",
                    Evidence::DoubleProposal { .. } => "double proposal",
                }
            ),
            BftAction::Rejected(r) if r.is_fault() => format!("REJECTED {r}"),
            BftAction::BuildBlock {
                height,
                round,
                batches,
            } => format!("build h{height} r{round} from {} batches", batches.len()),
            _ => return,
        };
        let at = self.nodes[i].engine.as_ref().map(|e| e.position());
        eprintln!("{:>7} ms: node {i} at {at:?}: {what}", self.now);
    }

    fn outcome(&self) -> Outcome {
        if self.trace {
            for (i, node) in self.nodes.iter().enumerate() {
                if let Some(engine) = &node.engine {
                    eprintln!("node {i}: {}", engine.status());
                }
            }
        }
        let txs = self
            .honest()
            .map(|i| self.nodes[i].committed_txs().len())
            .max()
            .unwrap_or(0);
        Outcome {
            live: self.done(),
            heads: self.nodes.iter().map(SimNode::head).collect(),
            heights: self.committed.len() as u64,
            txs,
            commits_by_sync: self.nodes.iter().map(|n| n.commits_by_sync).sum(),
            crashes: self.crashes,
            time_ms: self.now,
            calm_at_ms: self.calm_at.min(self.now),
            messages: self.messages,
            faults: self.faults.clone(),
            double_votes: self.double_votes,
            other_evidence: self.other_evidence,
        }
    }
}
