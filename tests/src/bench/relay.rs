//! `pharos-bench relay`: cross-SPN message latency and throughput, dispatch → `handle`.
//!
//! Runs against chains already running (see `scripts/bench-relay.sh`, which starts a dev
//! mainnet, two SPNs and a relayer with the `spn` CLI). Deploys a `Dispatcher` on the origin
//! SPN and a `RecordingRecipient` on the destination, then
//! 1. latency: sends `--latency-messages` messages one at a time, each timed from just before
//!    its dispatch transaction is sent until the recipient has handled it;
//! 2. throughput: dispatches `--messages` messages (`sendMany`, 100 per transaction) at once
//!    and times from the first dispatch until the recipient has handled all of them; with
//!    `--mainnet`, also the relay stage alone: from the first of them archived in the mainnet
//!    Mailbox (queued for the destination) to the last.

use crate::bench::report::machine;
use alloy::network::EthereumWallet;
use alloy::primitives::{Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use clap::Args;
use eyre::{eyre, Result};
use pharos_contracts::{mailbox::Mailbox, MAILBOX};
use spn_e2e_tests::apps::{deploy, IDispatcher, IRecordingRecipient};
use std::time::{Duration, Instant};

/// Flags of `pharos-bench relay`.
#[derive(Debug, Args)]
pub struct RelayArgs {
    /// JSON-RPC of the origin SPN.
    #[arg(long)]
    pub origin: String,
    /// JSON-RPC of the destination SPN.
    #[arg(long)]
    pub destination: String,
    /// JSON-RPC of the mainnet, to time the relay stage (messages archived per second).
    #[arg(long)]
    pub mainnet: Option<String>,
    /// A key funded on both SPNs.
    #[arg(
        long,
        default_value = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
    )]
    pub key: String,
    /// Messages timed one at a time.
    #[arg(long = "latency-messages", default_value_t = 50)]
    pub latency_messages: usize,
    /// Messages dispatched at once for throughput (a multiple of 100).
    #[arg(long, default_value_t = 2_000)]
    pub messages: u64,
    /// Seconds to wait for the whole throughput run.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

fn connect(url: &str, key: &str) -> Result<DynProvider> {
    let signer: PrivateKeySigner = key.parse().map_err(|e| eyre!("--key: {e}"))?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url.parse().map_err(|e| eyre!("{url}: {e}"))?)
        .erased())
}

/// Runs the benchmark.
pub fn run(args: &RelayArgs) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run_async(args))
}

async fn handled(r: &IRecordingRecipient::IRecordingRecipientInstance<DynProvider>) -> Result<u64> {
    Ok(r.handled().call().await?.to::<u64>())
}

async fn run_async(args: &RelayArgs) -> Result<()> {
    let origin = connect(&args.origin, &args.key)?;
    let destination = connect(&args.destination, &args.key)?;
    let dest_id = destination.get_chain_id().await? as u32;
    let dispatcher = IDispatcher::new(
        deploy(&origin, "Dispatcher").await.map_err(|e| eyre!(e))?,
        origin.clone(),
    );
    let recipient = IRecordingRecipient::new(
        deploy(&destination, "RecordingRecipient")
            .await
            .map_err(|e| eyre!(e))?,
        destination.clone(),
    );
    eprintln!("latency: {} messages, one at a time", args.latency_messages);
    let mut latencies = Vec::with_capacity(args.latency_messages);
    for k in 0..args.latency_messages {
        let start = Instant::now();
        dispatcher
            .send(
                dest_id,
                *recipient.address(),
                Bytes::from(format!("latency {k}").into_bytes()),
            )
            .send()
            .await?
            .get_receipt()
            .await?;
        while handled(&recipient).await? < k as u64 + 1 {
            if start.elapsed() > Duration::from_secs(120) {
                return Err(eyre!(
                    "message {k} not handled after 120 s: is the relayer running?"
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];

    let mailbox = match &args.mainnet {
        Some(url) => Some(Mailbox::new(MAILBOX, connect(url, &args.key)?)),
        None => None,
    };
    let queued = |m: &Option<Mailbox::MailboxInstance<DynProvider>>| {
        let m = m.clone();
        async move {
            Ok::<_, eyre::Report>(match m {
                Some(m) => Some(m.queueLength(dest_id).call().await?.to::<u64>()),
                None => None,
            })
        }
    };
    let queued_base = queued(&mailbox).await?;
    let (mut first_archived, mut all_archived) = (None, None);
    let base = handled(&recipient).await?;
    eprintln!("throughput: {} messages dispatched at once", args.messages);
    let start = Instant::now();
    // The pool holds 64 transactions per sender: dispatch 50 at a time.
    let chunks: Vec<u64> = (0..args.messages.div_ceil(100)).collect();
    for group in chunks.chunks(50) {
        let mut pending = Vec::new();
        for chunk in group {
            let n = (args.messages - chunk * 100).min(100);
            pending.push(
                dispatcher
                    .sendMany(
                        dest_id,
                        *recipient.address(),
                        U256::from(chunk * 100),
                        U256::from(n),
                    )
                    .gas(30_000_000)
                    .send()
                    .await?,
            );
        }
        for p in pending {
            p.get_receipt().await?;
        }
    }
    let dispatched = start.elapsed();
    let mut last = 0;
    loop {
        if let (Some(q), Some(q0)) = (queued(&mailbox).await?, queued_base) {
            let now = start.elapsed();
            if q > q0 && first_archived.is_none() {
                first_archived = Some(now);
            }
            if q >= q0 + args.messages && all_archived.is_none() {
                all_archived = Some(now);
            }
        }
        let h = handled(&recipient).await? - base;
        if h >= args.messages {
            break;
        }
        if h != last {
            last = h;
            eprintln!("  {h} handled after {:.1} s", start.elapsed().as_secs_f64());
        }
        if start.elapsed() > Duration::from_secs(args.timeout) {
            return Err(eyre!(
                "only {h} of {} handled after {} s",
                args.messages,
                args.timeout
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = start.elapsed();
    println!("machine: {}", machine());
    println!(
        "latency dispatch → handle ({} messages, one at a time): p50 {:.2} s, p99 {:.2} s, max {:.2} s",
        latencies.len(),
        pct(0.5).as_secs_f64(),
        pct(0.99).as_secs_f64(),
        latencies.last().map_or(0.0, |d| d.as_secs_f64())
    );
    println!(
        "throughput: {} messages dispatched in {:.1} s, all handled after {:.1} s: {:.0} messages/s end to end",
        args.messages,
        dispatched.as_secs_f64(),
        total.as_secs_f64(),
        args.messages as f64 / total.as_secs_f64()
    );
    if let (Some(first), Some(all)) = (first_archived, all_archived) {
        let stage = (all - first).as_secs_f64();
        println!(
            "relay stage: first archived on the mainnet after {:.2} s, all {} after {:.2} s: {:.0} messages/s relayed",
            first.as_secs_f64(),
            args.messages,
            all.as_secs_f64(),
            args.messages as f64 / stage.max(0.001)
        );
    }
    Ok(())
}
