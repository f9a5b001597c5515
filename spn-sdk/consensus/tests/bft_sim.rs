//! Whole `bft` validator sets under a seeded simulation: safety always, liveness once the
//! network heals, with one Byzantine validator of each kind. Every run is deterministic in its
//! seed; a failure names it.
//!
//! `BFT_SIM_SEEDS=n` runs n seeds per scenario instead of the default (the longer run),
//! `BFT_SIM_SEED=s` only seed s, and `BFT_SIM_TRACE=1` prints every node's actions.

mod bftsim;

use std::ops::Range;
use std::time::Instant;

use bftsim::node::Role;
use bftsim::{run, Outcome, Scenario};

/// Seeds per scenario in CI.
const SEEDS: u64 = 50;
/// Heights every honest node must commit.
const HEIGHTS: u64 = 30;
/// How long the network misbehaves (simulated).
const CHAOS_MS: u64 = 15_000;

fn seeds(default: u64) -> Range<u64> {
    let var = |name| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    match (var("BFT_SIM_SEED"), var("BFT_SIM_SEEDS")) {
        (Some(seed), _) => seed..seed + 1,
        (None, Some(count)) => 0..count,
        (None, None) => 0..default,
    }
}

fn report(name: &str, outcomes: &[(u64, Outcome)], started: Instant) {
    let time: u64 = outcomes.iter().map(|(_, o)| o.time_ms).sum();
    let heights: u64 = outcomes.iter().map(|(_, o)| o.heights).sum();
    let txs: usize = outcomes.iter().map(|(_, o)| o.txs).sum();
    let messages: u64 = outcomes.iter().map(|(_, o)| o.messages).sum();
    let crashes: u64 = outcomes.iter().map(|(_, o)| o.crashes).sum();
    let synced: u64 = outcomes.iter().map(|(_, o)| o.commits_by_sync).sum();
    let double_votes: u64 = outcomes.iter().map(|(_, o)| o.double_votes).sum();
    let other: u64 = outcomes.iter().map(|(_, o)| o.other_evidence).sum();
    eprintln!(
        "{name}: {} runs in {:.2?} wall; {:.0} s simulated, {heights} heights, {txs} txs, \
         {messages} messages, {crashes} crashes, {synced} commits by sync, evidence: \
         {double_votes} double votes, {other} other",
        outcomes.len(),
        started.elapsed(),
        time as f64 / 1000.0,
    );
}

fn run_all(name: &str, scenario: impl Fn(u64) -> Scenario) -> Vec<(u64, Outcome)> {
    let started = Instant::now();
    let mut outcomes = Vec::new();
    for seed in seeds(SEEDS) {
        let s = scenario(seed);
        let o = run(seed, &s);
        assert!(
            o.live,
            "{name}, seed {seed}: not live after the network healed at {} ms: heads {:?} at {} ms",
            o.calm_at_ms, o.heads, o.time_ms
        );
        outcomes.push((seed, o));
    }
    report(name, &outcomes, started);
    outcomes
}

#[test]
fn honest_validators_commit_every_transaction_with_random_delays() {
    let outcomes = run_all("calm", |seed| {
        Scenario::calm([1, 4, 4, 7][(seed % 4) as usize], HEIGHTS)
    });
    for (seed, o) in &outcomes {
        assert!(o.faults.is_empty(), "seed {seed}: {:?}", o.faults);
        assert_eq!(o.double_votes + o.other_evidence, 0, "seed {seed}");
    }
}

#[test]
fn honest_validators_survive_drops_partitions_and_crashes() {
    run_all("chaos", |_| {
        Scenario::hostile(4, HEIGHTS, Role::Honest, CHAOS_MS)
    });
}

#[test]
fn an_equivocating_validator_is_caught_and_cannot_fork() {
    let outcomes = run_all("equivocator", |_| {
        Scenario::hostile(4, HEIGHTS, Role::Equivocator, CHAOS_MS)
    });
    let caught = outcomes.iter().filter(|(_, o)| o.double_votes > 0).count();
    assert!(
        caught * 2 > outcomes.len(),
        "double votes reported in only {caught} runs"
    );
}

#[test]
fn a_silent_validator_does_not_stop_the_others() {
    run_all("silent", |_| {
        Scenario::hostile(4, HEIGHTS, Role::Silent, CHAOS_MS)
    });
}

#[test]
fn twins_holding_one_key_cannot_fork() {
    let outcomes = run_all("twins", |_| {
        Scenario::hostile(4, HEIGHTS, Role::Twin(0), CHAOS_MS)
    });
    let caught = outcomes
        .iter()
        .filter(|(_, o)| o.double_votes + o.other_evidence > 0)
        .count();
    assert!(caught > 0, "twins were never caught");
}

#[test]
fn a_validator_sending_invalid_batches_is_rejected_and_the_chain_goes_on() {
    let outcomes = run_all("invalid batches", |_| {
        Scenario::hostile(4, HEIGHTS, Role::InvalidBatches, CHAOS_MS)
    });
    for (seed, o) in &outcomes {
        assert!(
            o.faults.get("InvalidBatch").is_some_and(|c| *c > 0),
            "seed {seed}: {:?}",
            o.faults
        );
    }
}
