//! `pharos-bench bft`: validators running `bft` in one process, each a full node (RocksDB with
//! fsync, revm, libp2p on 127.0.0.1). Pre-signed transfers are submitted at an offered rate,
//! spread over the nodes (each forwards what it does not own); each transfer's time to
//! finality is from its submission until node 0 commits the block holding it.

use super::report::{ms, Table};
use super::workload::{self, Sender, CHAIN_ID};
use clap::Args;
use ed25519_dalek::SigningKey;
use eyre::{eyre, Result};
use rayon::prelude::*;
use spn_consensus::bft::{BftConfig, StakeSet};
use spn_network::{NetworkConfig, PeerAddr};
use spn_node::{
    BftSetup, BftValidators, NodeBuilder, NodeConfig, NodeHandle, RpcConfig, StoreOptions,
};
use spn_primitives::{Address, ChainSpec, RecoveredTx, B256};
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

/// `pharos-bench bft` flags.
#[derive(Debug, Args)]
pub struct BftArgs {
    /// Validators (equal stake).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Offered rates to measure, transfers per second.
    #[arg(long, value_delimiter = ',', default_value = "1000,5000,10000")]
    pub rates: Vec<u64>,
    /// Seconds of load per rate.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// For the proposer scan: how many validators own the senders (each 1..=validators).
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    pub proposers: Vec<usize>,
    /// Offered rate of the proposer scan (high enough to saturate).
    #[arg(long, default_value_t = 20_000)]
    pub scan_rate: u64,
    /// Funded senders to draw from.
    #[arg(long, default_value_t = 4_000)]
    pub senders: usize,
}

struct Outcome {
    offered: u64,
    committed: usize,
    throughput: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs every rate, then the proposer scan, and prints both tables.
pub fn run(args: &BftArgs) -> Result<()> {
    // `RUST_LOG=info` shows the validators' logs.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let senders = workload::senders(42, args.senders)?;
    let keys: Vec<SigningKey> = (1..=args.validators)
        .map(|i| SigningKey::from_bytes(&[i as u8; 32]))
        .collect();
    let pubkeys: Vec<[u8; 32]> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
    let set = StakeSet::equal(&pubkeys).map_err(|e| eyre!("{e}"))?;
    let mut table = Table::new(
        &format!("bft, {} validators on loopback", args.validators),
        &[
            "offered/s",
            "committed",
            "throughput/s",
            "finality p50",
            "finality p99",
        ],
    );
    for &rate in &args.rates {
        let o = runtime.block_on(measure(args, &keys, &senders, rate, args.validators))?;
        table.row(row(&o));
    }
    println!("{}", table.render());
    let mut scan = Table::new(
        &format!(
            "bft, proposers carrying the load, offered {}/s",
            args.scan_rate
        ),
        &[
            "proposers",
            "committed",
            "throughput/s",
            "finality p50",
            "finality p99",
        ],
    );
    for &k in &args.proposers {
        let k = k.clamp(1, args.validators);
        let owned: Vec<Sender> = senders
            .iter()
            .filter(|s| (set.owner_of(s.address.as_slice()) as usize) < k)
            .copied()
            .collect();
        let o = runtime.block_on(measure(args, &keys, &owned, args.scan_rate, k))?;
        let mut cells = row(&o);
        cells[0] = k.to_string();
        scan.row(cells);
    }
    println!("{}", scan.render());
    Ok(())
}

fn row(o: &Outcome) -> Vec<String> {
    vec![
        o.offered.to_string(),
        o.committed.to_string(),
        format!("{:.0}", o.throughput),
        ms(o.p50),
        ms(o.p99),
    ]
}

async fn measure(
    args: &BftArgs,
    keys: &[SigningKey],
    senders: &[Sender],
    rate: u64,
    label: usize,
) -> Result<Outcome> {
    let total = (rate * args.seconds) as usize;
    let per_sender = total.div_ceil(senders.len()) as u64;
    eprintln!(
        "[{label}] signing {total} transfers from {} senders",
        senders.len()
    );
    let raw = workload::sign_transfers(senders, 0, per_sender, 0, 1_000)?;
    let txs: Vec<RecoveredTx> = raw
        .par_iter()
        .take(total)
        .map(|bytes| RecoveredTx::decode(bytes, CHAIN_ID).map_err(|e| eyre!("{e}")))
        .collect::<Result<_>>()?;
    let spec = workload::chain_spec(senders, 0)?;
    let dir = tempfile::tempdir()?;
    let nodes = launch(dir.path(), keys, &spec).await?;
    let mut blocks = nodes[0].subscribe_blocks();
    tokio::time::sleep(Duration::from_secs(2)).await; // peers connect
    let n = nodes.len() as u64;
    let mut submitted: HashMap<B256, Instant> = HashMap::with_capacity(total);
    let started = Instant::now();
    let tick = Duration::from_millis(10);
    let per_tick = (rate as f64 / 100.0).max(1.0);
    let mut sent = 0usize;
    let mut latencies = Vec::with_capacity(total);
    let mut last_commit = started;
    let deadline = started + Duration::from_secs(args.seconds + 60);
    while latencies.len() < total && Instant::now() < deadline {
        let due = ((started.elapsed().as_secs_f64() / tick.as_secs_f64()) * per_tick) as usize;
        while sent < due.min(total) {
            let tx = txs[sent].clone();
            let node = (u64::from_be_bytes(tx.sender[..8].try_into()?) % n) as usize;
            submitted.insert(tx.hash, Instant::now());
            // A full pool refuses: the offered load is then above what the chain takes.
            let _ = nodes[node].submit_transaction(tx);
            sent += 1;
        }
        match tokio::time::timeout(tick, blocks.recv()).await {
            Ok(Ok(block)) => {
                let now = Instant::now();
                for tx in &block.block.transactions {
                    if let Some(at) = submitted.get(&tx.hash) {
                        latencies.push(now - *at);
                    }
                }
                last_commit = now;
            }
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(k))) => {
                return Err(eyre!("the benchmark missed {k} blocks"));
            }
            _ => {}
        }
    }
    for node in nodes {
        node.run_until(std::future::ready(())).await?;
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let elapsed = (last_commit - started).max(Duration::from_millis(1));
    Ok(Outcome {
        offered: rate,
        committed: latencies.len(),
        throughput: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: pct(0.5),
        p99: pct(0.99),
    })
}

async fn launch(dir: &Path, keys: &[SigningKey], spec: &ChainSpec) -> Result<Vec<NodeHandle>> {
    let ports: Vec<u16> = (0..keys.len())
        .map(|_| Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port()))
        .collect::<Result<_>>()?;
    let addr = |j: usize| SocketAddr::from(([127, 0, 0, 1], ports[j]));
    let pubkeys: Vec<[u8; 32]> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
    let accounts = (0..keys.len())
        .map(|i| Address::repeat_byte(0xa0 + i as u8))
        .collect();
    let validators = BftValidators::new(
        StakeSet::equal(&pubkeys).map_err(|e| eyre!("{e}"))?,
        accounts,
    )
    .map_err(|e| eyre!(e))?;
    let mut nodes = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let mut network = NetworkConfig::new(addr(i), key.to_bytes(), "pharos/bench/bft");
        network.peers = (0..keys.len())
            .filter(|j| *j != i)
            .map(|j| PeerAddr {
                key: pubkeys[j],
                addr: addr(j),
            })
            .collect();
        let config = NodeConfig {
            datadir: dir.join(format!("v{i}")),
            rpc: RpcConfig {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                ..RpcConfig::default()
            },
            metrics_addr: None,
            store: StoreOptions::default(),
            pool: Default::default(),
            beneficiary: Address::ZERO,
        };
        let setup = BftSetup {
            config: BftConfig::new(CHAIN_ID),
            signing_key: Some(key.clone()),
            validators: validators.clone(),
            schedule: None,
            evidence: None,
            network,
        };
        let node = NodeBuilder::new(spec.clone(), config)
            .with_consensus(setup)
            .launch()
            .await?;
        nodes.push(node);
    }
    Ok(nodes)
}
