//! A seeded network of `poa` engines: random delays (hence reordering), drops, crashes and
//! restarts, Byzantine proposers and twins; every commit is checked as it happens.
//!
//! Checked as it happens, whatever the scenario: every commit's certificate verifies against
//! the validator set, the block was executed and is valid, heights are committed in order, no
//! two honest nodes commit different blocks at one height, and no honest validator signs votes
//! for two blocks at one height, across its restarts.

mod node;

use std::collections::{BTreeMap, VecDeque};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use spn_consensus::poa::{
    verify_certificate, BlockHash, Decision, PoaAction, PoaConfig, PoaEvent, PoaMessage,
    ValidatorSet,
};

use node::{block_hash, SimBlock, SimNode, SPN};

/// What the network does during a run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Validators.
    pub n: usize,
    /// Every honest node must commit this many heights.
    pub target: u64,
    /// Message delay bounds, uniform.
    pub delay_ms: (u64, u64),
    /// Share of messages (and sync requests) lost while the chaos lasts.
    pub drop_rate: f64,
    /// Chaos (drops, crashes) lasts until an honest node commits this height (0: none).
    pub chaos_until: u64,
    /// Most nodes down at once during the chaos.
    pub max_down: usize,
    /// Chance, every 250 ms of the chaos, that a node crashes.
    pub crash_chance: f64,
    /// This validator's blocks are invalid (a Byzantine proposer).
    pub invalid_proposer: Option<usize>,
    /// Validators `0..twins` run as two copies each, every copy reaching half of the
    /// honest nodes: they propose and vote for two blocks per height.
    pub twins: usize,
    /// Crash this validator when it commits `at_height`, for `down_ms`.
    pub scripted_crash: Option<(usize, u64, u64)>,
}

impl Scenario {
    /// Honest validators, random delays, nothing lost.
    pub fn delays_only(n: usize, target: u64) -> Self {
        Self {
            n,
            target,
            delay_ms: (5, 150),
            drop_rate: 0.0,
            chaos_until: 0,
            max_down: 0,
            crash_chance: 0.0,
            invalid_proposer: None,
            twins: 0,
            scripted_crash: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Every honest node committed the target height.
    pub live: bool,
    /// If not live: the height whose votes split so that no block can reach a quorum (the
    /// documented stall), if that is why.
    pub split_at: Option<u64>,
    /// Heads of all nodes at the end.
    pub heads: Vec<u64>,
    /// The blocks honest nodes committed, by height.
    pub committed: Vec<BlockHash>,
    /// Commits of blocks received by sync, per node.
    pub commits_by_sync: Vec<u64>,
    /// Crashes.
    pub crashes: u64,
    /// Simulated time at the end.
    pub time_ms: u64,
    /// Messages sent.
    pub messages: u64,
    /// Rejections that prove a fault, by kind.
    pub faults: BTreeMap<String, u64>,
    /// Misbehaviour reports.
    pub evidence: u64,
}

enum Ev {
    Deliver {
        to: usize,
        msg: PoaMessage,
    },
    Timer {
        to: usize,
        life: u64,
        id: u64,
    },
    Built {
        to: usize,
        life: u64,
        height: u64,
        round: u32,
        block: Vec<u8>,
    },
    Executed {
        to: usize,
        life: u64,
        height: u64,
        block: Vec<u8>,
        claimed: BlockHash,
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
}

struct Sim {
    scenario: Scenario,
    rng: StdRng,
    config: PoaConfig,
    set: ValidatorSet,
    nodes: Vec<SimNode>,
    /// For honest nodes: which copy of each twin they talk to (1 or 2).
    group: Vec<u8>,
    queue: BTreeMap<(u64, u64), Ev>,
    seq: u64,
    now: u64,
    chaos: bool,
    drop_rate: f64,
    scripted_done: bool,
    committed: BTreeMap<u64, BlockHash>,
    /// The vote each honest validator signed at each height.
    votes_cast: BTreeMap<(usize, u64), BlockHash>,
    crashes: u64,
    messages: u64,
    faults: BTreeMap<String, u64>,
    evidence: u64,
    /// Print every action (`POA_SIM_TRACE=1`).
    trace: bool,
}

/// Runs `scenario` with `seed`; panics if safety or a certificate check fails.
pub fn run(seed: u64, scenario: &Scenario) -> Outcome {
    let mut sim = Sim::new(seed, scenario.clone());
    for i in 0..sim.nodes.len() {
        sim.start(i);
    }
    if sim.chaos {
        sim.schedule(250, Ev::ChaosTick);
    }
    let budget = 60_000 + scenario.target * 2_000;
    let mut calm_since = (!sim.chaos).then_some(0);
    while let Some(((time, _), ev)) = sim.queue.pop_first() {
        sim.now = time;
        sim.handle(ev);
        if sim.done() {
            break;
        }
        let best = sim.honest().map(|i| sim.nodes[i].head()).max().unwrap_or(0);
        // The chaos ends when enough is committed, or after 5 simulated minutes at most.
        if sim.chaos && (best >= scenario.chaos_until || sim.now > 300_000) {
            sim.calm();
            calm_since = Some(sim.now);
        }
        if calm_since.is_some_and(|since| sim.now > since + budget) {
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
        let set = ValidatorSet::new(&raw).expect("distinct random keys");
        let mut nodes = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let invalid = scenario.invalid_proposer == Some(i);
            if i < scenario.twins {
                nodes.push(SimNode::new(i, key.clone(), 1, invalid));
                nodes.push(SimNode::new(i, key.clone(), 2, invalid));
            } else {
                nodes.push(SimNode::new(i, key.clone(), 0, invalid));
            }
        }
        let group = (0..nodes.len()).map(|i| 1 + (i % 2) as u8).collect();
        let mut config = PoaConfig::new(SPN);
        config.round_timeout_ms = 1_000;
        config.round_timeout_step_ms = 500;
        config.proposal_delay_ms = 300;
        let chaos = scenario.chaos_until > 0;
        let drop_rate = if chaos { scenario.drop_rate } else { 0.0 };
        Self {
            scenario,
            rng,
            config,
            set,
            nodes,
            group,
            queue: BTreeMap::new(),
            seq: 0,
            now: 0,
            chaos,
            drop_rate,
            scripted_done: false,
            committed: BTreeMap::new(),
            votes_cast: BTreeMap::new(),
            crashes: 0,
            messages: 0,
            faults: BTreeMap::new(),
            evidence: 0,
            trace: std::env::var_os("POA_SIM_TRACE").is_some(),
        }
    }

    fn trace_action(&self, i: usize, action: &PoaAction) {
        let short = |h: &BlockHash| {
            SimBlock::decode(&h[..19]).map_or("?".into(), |b| {
                format!(
                    "h{} r{} by {}{}",
                    b.height,
                    b.round,
                    b.proposer,
                    if b.salt > 0 { "'" } else { "" }
                )
            })
        };
        let what = match action {
            PoaAction::Broadcast(PoaMessage::Vote(v)) => {
                format!("vote for {}", short(&v.block_hash))
            }
            PoaAction::Broadcast(PoaMessage::Proposal(p)) => {
                format!("proposal in r{} of {}", p.round, short(&p.block_hash))
            }
            PoaAction::Broadcast(PoaMessage::Certificate(c)) => {
                format!("certificate h{}", c.height)
            }
            PoaAction::Commit { block_hash, .. } => format!("COMMIT {}", short(block_hash)),
            PoaAction::ExecuteProposal { block_hash, .. } => {
                format!("execute {}", short(block_hash))
            }
            PoaAction::PersistLock(l) => format!("lock on {}", short(&l.block_hash)),
            PoaAction::BuildBlock { height, round } => format!("build h{height} r{round}"),
            PoaAction::RequestSync { from_height, .. } => format!("sync from h{from_height}"),
            PoaAction::Misbehaviour(e) => format!("MISBEHAVIOUR {e:?}"),
            PoaAction::Rejected(r) if r.is_fault() => format!("REJECTED {r}"),
            PoaAction::ScheduleTimeout { .. } | PoaAction::Rejected(_) => return,
            PoaAction::Broadcast(PoaMessage::Decision(_)) => "decision".into(),
        };
        let at = self.nodes[i].engine.as_ref().map(|e| e.position());
        eprintln!("{:>7} ms: node {i} at {at:?}: {what}", self.now);
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

    /// Whether `a`'s messages reach `b`: twins each reach half of the honest nodes.
    fn linked(&self, a: usize, b: usize) -> bool {
        let (sa, sb) = (self.nodes[a].salt, self.nodes[b].salt);
        a != b
            && match (sa, sb) {
                (0, 0) => true,
                (0, s) => self.group[a] == s,
                (s, 0) => self.group[b] == s,
                (s, t) => s == t,
            }
    }

    fn start(&mut self, i: usize) {
        self.nodes[i].boot(&self.config);
        let node = &self.nodes[i];
        let started = PoaEvent::Started {
            head: node.head(),
            validators: self.set.clone(),
            lock: node.lock.clone(),
        };
        self.feed(i, started);
    }

    fn handle(&mut self, ev: Ev) {
        let alive = |sim: &Self, to: usize, life: u64| {
            sim.nodes[to].is_up() && sim.nodes[to].incarnation == life
        };
        match ev {
            Ev::Deliver { to, msg } => {
                if self.nodes[to].is_up() {
                    self.feed(to, PoaEvent::Message(msg));
                }
            }
            Ev::Timer { to, life, id } => {
                if alive(self, to, life) {
                    self.feed(to, PoaEvent::Timeout { id });
                }
            }
            Ev::Built {
                to,
                life,
                height,
                round,
                block,
            } => {
                if alive(self, to, life) {
                    let hash = block_hash(&block);
                    if height == self.nodes[to].head() + 1 {
                        self.nodes[to].executed.insert(hash, block.clone());
                    }
                    let built = PoaEvent::BlockBuilt {
                        height,
                        round,
                        block_hash: hash,
                        block,
                    };
                    self.feed(to, built);
                }
            }
            Ev::Executed {
                to,
                life,
                height,
                block,
                claimed,
                valid,
            } => {
                if alive(self, to, life) {
                    if valid && height == self.nodes[to].head() + 1 {
                        self.nodes[to].executed.insert(claimed, block);
                    }
                    let done = PoaEvent::ProposalExecuted {
                        height,
                        block_hash: claimed,
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
                    self.feed(to, PoaEvent::Message(PoaMessage::Decision(decision)));
                }
            }
            Ev::Crash { who, down_ms } => {
                if self.trace {
                    eprintln!("{:>7} ms: node {who} crashes for {down_ms} ms", self.now);
                }
                if self.nodes[who].is_up() {
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
        }
    }

    fn chaos_tick(&mut self) {
        if !self.chaos {
            return;
        }
        let down = self.honest().filter(|&i| !self.nodes[i].is_up()).count();
        if down < self.scenario.max_down && self.rng.random_bool(self.scenario.crash_chance) {
            let up: Vec<_> = self.honest().filter(|&i| self.nodes[i].is_up()).collect();
            let who = up[self.rng.random_range(0..up.len())];
            let down_ms = self.rng.random_range(500..=8_000);
            self.schedule(0, Ev::Crash { who, down_ms });
        }
        self.schedule(250, Ev::ChaosTick);
    }

    /// The chaos ends: nothing is lost any more and every node is restarted.
    fn calm(&mut self) {
        self.chaos = false;
        self.drop_rate = 0.0;
        for who in 0..self.nodes.len() {
            if !self.nodes[who].is_up() {
                self.schedule(0, Ev::Restart { who });
            }
        }
    }

    /// Feeds `event` to node `i` and carries out the actions, feeding back the events the
    /// node answers at once (`Committed`).
    fn feed(&mut self, i: usize, event: PoaEvent) {
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

    fn act(&mut self, i: usize, action: PoaAction, pending: &mut VecDeque<PoaEvent>) {
        let life = self.nodes[i].incarnation;
        if self.trace {
            self.trace_action(i, &action);
        }
        match action {
            PoaAction::ScheduleTimeout { id, after_ms } => {
                self.schedule(after_ms, Ev::Timer { to: i, life, id });
            }
            PoaAction::BuildBlock { height, round } => {
                let node = &self.nodes[i];
                let block = SimBlock {
                    height,
                    round,
                    proposer: node.key_index as u32,
                    salt: node.salt,
                    valid: !node.builds_invalid,
                };
                let after = self.rng.random_range(1..=30);
                self.schedule(
                    after,
                    Ev::Built {
                        to: i,
                        life,
                        height,
                        round,
                        block: block.encode(),
                    },
                );
            }
            PoaAction::Broadcast(msg) => {
                if let (PoaMessage::Vote(vote), true) = (&msg, self.nodes[i].is_honest()) {
                    let key = (self.nodes[i].key_index, vote.height);
                    let first = *self.votes_cast.entry(key).or_insert(vote.block_hash);
                    assert_eq!(
                        first, vote.block_hash,
                        "node {i} voted twice at height {}",
                        vote.height
                    );
                }
                for j in 0..self.nodes.len() {
                    if !self.linked(i, j) {
                        continue;
                    }
                    self.messages += 1;
                    if self.drop_rate > 0.0 && self.rng.random_bool(self.drop_rate) {
                        continue;
                    }
                    let after = self.delay();
                    self.schedule(
                        after,
                        Ev::Deliver {
                            to: j,
                            msg: msg.clone(),
                        },
                    );
                }
            }
            PoaAction::ExecuteProposal {
                height,
                block_hash: claimed,
                block,
            } => {
                let head = self.nodes[i].head();
                let valid = height == head + 1
                    && block_hash(&block) == claimed
                    && SimBlock::decode(&block).is_some_and(|b| b.valid && b.height == height);
                let after = self.rng.random_range(1..=30);
                self.schedule(
                    after,
                    Ev::Executed {
                        to: i,
                        life,
                        height,
                        block,
                        claimed,
                        valid,
                    },
                );
            }
            PoaAction::PersistLock(lock) => self.nodes[i].lock = Some(lock),
            PoaAction::Commit {
                height,
                block_hash: hash,
                certificate,
            } => {
                self.commit(i, height, hash, certificate);
                pending.push_back(PoaEvent::Committed { height });
            }
            PoaAction::RequestSync { from_height, peer } => self.serve_sync(i, from_height, peer),
            PoaAction::Rejected(rejection) => {
                if rejection.is_fault() {
                    let kind = format!("{rejection:?}");
                    let kind = kind.split([' ', '{']).next().unwrap_or_default().to_owned();
                    *self.faults.entry(kind).or_default() += 1;
                }
            }
            PoaAction::Misbehaviour(_) => self.evidence += 1,
        }
    }

    /// The node's commit, checked: in order, certified, executed, valid, and (for honest
    /// nodes) the same block every other honest node committed at that height.
    fn commit(
        &mut self,
        i: usize,
        height: u64,
        hash: BlockHash,
        certificate: spn_consensus::poa::CommitCertificate,
    ) {
        let node = &mut self.nodes[i];
        assert_eq!(height, node.head() + 1, "node {i} commits out of order");
        assert_eq!((certificate.height, certificate.block_hash), (height, hash));
        if let Err(e) = verify_certificate(SPN, &self.set, &certificate) {
            panic!("node {i} commits height {height} with a certificate that fails: {e}");
        }
        let block = node
            .executed
            .get(&hash)
            .cloned()
            .unwrap_or_else(|| panic!("node {i} commits height {height} before executing it"));
        let decoded = SimBlock::decode(&block).expect("a simulated block");
        assert!(
            decoded.valid && decoded.height == height,
            "node {i} commits an invalid block"
        );
        if node.is_honest() {
            let first = *self.committed.entry(height).or_insert(hash);
            assert_eq!(
                first, hash,
                "SAFETY: two blocks committed at height {height}"
            );
        }
        if node.synced.contains(&height) {
            node.commits_by_sync += 1;
        }
        node.chain.push((hash, block, certificate));
        node.executed.clear();
        if let Some((who, at, down_ms)) = self.scenario.scripted_crash {
            if who == i && at == height && !self.scripted_done {
                self.scripted_done = true;
                self.schedule(1, Ev::Crash { who, down_ms });
            }
        }
    }

    /// The node's block sync: ask a reachable node with key `peer` for certified blocks.
    fn serve_sync(&mut self, i: usize, from_height: u64, peer: [u8; 32]) {
        let server = (0..self.nodes.len()).find(|&j| {
            self.linked(i, j)
                && self.nodes[j].is_up()
                && self.nodes[j].key.verifying_key().to_bytes() == peer
        });
        let Some(j) = server else {
            return;
        };
        if self.drop_rate > 0.0 && self.rng.random_bool(self.drop_rate) {
            return;
        }
        let decisions = self.nodes[j].decisions(from_height, 16);
        let after = self.delay() + self.delay();
        self.schedule(after, Ev::SyncReply { to: i, decisions });
    }

    fn done(&self) -> bool {
        self.honest()
            .all(|i| self.nodes[i].is_up() && self.nodes[i].head() >= self.scenario.target)
    }

    /// If honest nodes are stuck at one height nobody committed, whether their recorded votes
    /// split so that no block can still reach a quorum (the documented stall).
    fn split_height(&self) -> Option<u64> {
        let height = self.honest().map(|i| self.nodes[i].head()).min()? + 1;
        if self.committed.contains_key(&height) {
            return None;
        }
        let mut votes: BTreeMap<BlockHash, Vec<usize>> = BTreeMap::new();
        for i in 0..self.nodes.len() {
            let node = &self.nodes[i];
            let lock = node.lock.as_ref().filter(|l| l.height == height);
            if let Some(lock) = lock {
                let voters = votes.entry(lock.block_hash).or_default();
                if !voters.contains(&node.key_index) {
                    voters.push(node.key_index);
                }
            }
        }
        let locked: usize = votes.values().map(Vec::len).sum();
        let free = self.scenario.n.saturating_sub(locked);
        let dead = votes.values().all(|v| !self.set.is_quorum(v.len() + free));
        (dead && !self.set.is_quorum(free)).then_some(height)
    }

    fn outcome(&self) -> Outcome {
        let live = self.done();
        Outcome {
            live,
            split_at: if live { None } else { self.split_height() },
            heads: self.nodes.iter().map(SimNode::head).collect(),
            committed: self.committed.values().copied().collect(),
            commits_by_sync: self.nodes.iter().map(|n| n.commits_by_sync).collect(),
            crashes: self.crashes,
            time_ms: self.now,
            messages: self.messages,
            faults: self.faults.clone(),
            evidence: self.evidence,
        }
    }
}
