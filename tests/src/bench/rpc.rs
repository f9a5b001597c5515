//! `pharos-bench rpc`: end-to-end throughput of a real `pharos-node` over HTTP JSON-RPC.
//!
//! Writes a genesis with funded senders, starts `pharos-node init` + `run` as a child process,
//! pre-signs every transfer and pre-serializes every batch request, then starts the clock,
//! submits all batches of `eth_sendRawTransaction` on several connections, and polls
//! `eth_blockNumber` + `eth_getBlockTransactionCountByNumber` until every transfer is in a
//! committed block. The node is killed at the end, also when the run fails.

use crate::bench::report::{cpu_time, machine, per_sec, Table};
use crate::bench::workload::{self, CHAIN_ID};
use clap::Args;
use eyre::{bail, ensure, eyre, Result, WrapErr};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The pool's limit of transactions per sender is 64; stay below it.
const MAX_POOLED_PER_SENDER: u64 = 60;

/// Flags of `pharos-bench rpc`.
#[derive(Debug, Args)]
pub struct RpcArgs {
    /// Transfers to submit (a multiple of --senders).
    #[arg(long, default_value_t = 100_000)]
    pub txs: usize,
    /// Funded sender accounts. With more than 60 transfers per sender, they are submitted in
    /// waves of 30 nonces so that no sender has more than 60 in the pool (its limit is 64).
    #[arg(long, default_value_t = 2_000)]
    pub senders: usize,
    /// The pharos-node binary (default: `pharos-node` next to this binary).
    #[arg(long)]
    pub node: Option<PathBuf>,
    /// Transactions per JSON-RPC batch request (the node accepts at most 100 per batch).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Concurrent HTTP connections submitting batches.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// The node's --block-time in milliseconds.
    #[arg(long = "block-time", default_value_t = 200)]
    pub block_time_ms: u64,
    /// The node's --txpool.max-count.
    #[arg(long = "txpool-max", default_value_t = 250_000)]
    pub txpool_max: usize,
    /// Run the node with --db.no-sync (no fsync per block).
    #[arg(long = "db-no-sync")]
    pub db_no_sync: bool,
    /// Distinct receivers; 0 = a fresh address per transfer (every transfer creates an account).
    #[arg(long, default_value_t = 0)]
    pub recipients: u64,
    /// Seconds to wait, from the start of submission, for every transfer to be included.
    #[arg(long, default_value_t = 180)]
    pub timeout: u64,
    /// Key derivation seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the node's data directory and log (printed at the end).
    #[arg(long)]
    pub keep: bool,
    /// Print the result as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Kills the node when dropped, so that no error path leaves it running.
struct NodeProcess {
    child: Child,
    log: PathBuf,
}

impl NodeProcess {
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn default_node() -> Result<PathBuf> {
    let exe = std::env::current_exe().wrap_err("cannot locate the pharos-bench binary")?;
    let dir = exe
        .parent()
        .ok_or_else(|| eyre!("pharos-bench has no parent directory"))?;
    Ok(dir.join(format!("pharos-node{}", std::env::consts::EXE_SUFFIX)))
}

fn hex_prefixed(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("0x");
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

fn parse_quantity(v: &Value) -> Result<u64> {
    let s = v
        .as_str()
        .ok_or_else(|| eyre!("expected a hex quantity, got {v}"))?;
    u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| eyre!("bad quantity {s}: {e}"))
}

/// A minimal JSON-RPC client over one keep-alive HTTP connection.
#[derive(Clone)]
struct Rpc {
    client: reqwest::Client,
    url: String,
}

impl Rpc {
    fn new(url: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(60))
            .build()
            .wrap_err("cannot build the HTTP client")?;
        Ok(Self {
            client,
            url: url.to_string(),
        })
    }

    async fn post(&self, body: String) -> Result<Value> {
        let resp = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .wrap_err_with(|| format!("POST {} failed", self.url))?;
        let status = resp.status();
        let bytes = resp.bytes().await.wrap_err("reading the response failed")?;
        if !status.is_success() {
            bail!(
                "HTTP {status} from the node: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
            );
        }
        serde_json::from_slice(&bytes).wrap_err("response is not JSON")
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let mut resp = self.post(body.to_string()).await?;
        if let Some(err) = resp.get("error") {
            bail!("{method} failed: {err}");
        }
        Ok(resp["result"].take())
    }

    /// Results of several calls sent as one batch, in request order.
    async fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<Value>> {
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (m, p))| json!({"jsonrpc": "2.0", "id": i, "method": m, "params": p}))
            .collect();
        let resp = self.post(Value::Array(body).to_string()).await?;
        let Value::Array(items) = resp else {
            bail!("batch answered with a non-array: {resp}");
        };
        let mut out = vec![Value::Null; calls.len()];
        for mut item in items {
            let id = item["id"]
                .as_u64()
                .ok_or_else(|| eyre!("batch item without id: {item}"))?
                as usize;
            if let Some(err) = item.get("error") {
                bail!("{} failed: {err}", calls.get(id).map_or("?", |c| c.0));
            }
            if let Some(slot) = out.get_mut(id) {
                *slot = item["result"].take();
            }
        }
        Ok(out)
    }
}

/// A committed block as the poller saw it.
#[derive(Debug, Clone, Copy)]
struct SeenBlock {
    number: u64,
    txs: u64,
    at: Duration,
}

/// Transfers rejected by the node: how many, and the first few messages.
#[derive(Debug, Default)]
struct Rejections {
    count: usize,
    first: Vec<String>,
}

/// What a run measured.
struct Outcome {
    submit: Duration,
    included_at: Duration,
    blocks: Vec<SeenBlock>,
    first_block: u64,
    node_cpu: Option<Duration>,
    bench_cpu: Option<Duration>,
    waves: usize,
}

/// Runs the benchmark and prints its result.
pub fn run(args: &RpcArgs) -> Result<()> {
    ensure!(
        args.senders > 0 && args.txs > 0,
        "--txs and --senders must be positive"
    );
    ensure!(
        args.txs.is_multiple_of(args.senders),
        "--txs ({}) must be a multiple of --senders ({})",
        args.txs,
        args.senders
    );
    ensure!(
        args.batch > 0 && args.connections > 0,
        "--batch and --connections must be positive"
    );
    let per_sender = (args.txs / args.senders) as u64;
    let wave_nonces = if per_sender <= MAX_POOLED_PER_SENDER {
        per_sender
    } else {
        MAX_POOLED_PER_SENDER / 2
    };
    let node = match &args.node {
        Some(p) => p.clone(),
        None => default_node()?,
    };
    ensure!(
        node.is_file(),
        "node binary {} not found: build it with `cargo build --release -p pharos-mainnet` or pass --node PATH",
        node.display()
    );

    let dir = tempfile::Builder::new()
        .prefix("pharos-bench-")
        .tempdir()
        .wrap_err("cannot create a temporary directory")?;
    let datadir = dir.path().join("data");
    let genesis = dir.path().join("genesis.toml");
    let addr_file = dir.path().join("rpc-addr");
    let log = dir.path().join("node.log");

    let senders = workload::senders(args.seed, args.senders)?;
    let spec = workload::chain_spec(&senders, 0)?;
    std::fs::write(&genesis, spec.to_toml()).wrap_err("cannot write genesis.toml")?;

    let init = Command::new(&node)
        .arg("init")
        .arg("--chain")
        .arg(&genesis)
        .arg("--datadir")
        .arg(&datadir)
        .output()
        .wrap_err_with(|| format!("cannot run {}", node.display()))?;
    ensure!(
        init.status.success(),
        "pharos-node init failed ({}): {}{}",
        init.status,
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );

    let sign_start = Instant::now();
    let signed = workload::sign_transfers(&senders, 0, per_sender, 0, args.recipients)?;
    let waves: Vec<Vec<String>> = signed
        .chunks(wave_nonces as usize * args.senders)
        .map(|wave| {
            wave.chunks(args.batch)
                .map(|chunk| {
                    let calls: Vec<String> = chunk
                        .iter()
                        .enumerate()
                        .map(|(i, t)| {
                            format!(
                                r#"{{"jsonrpc":"2.0","id":{i},"method":"eth_sendRawTransaction","params":["{}"]}}"#,
                                hex_prefixed(t)
                            )
                        })
                        .collect();
                    format!("[{}]", calls.join(","))
                })
                .collect()
        })
        .collect();
    let wave_sizes: Vec<usize> = signed
        .chunks(wave_nonces as usize * args.senders)
        .map(|w| w.len())
        .collect();
    drop(signed);
    eprintln!(
        "rpc bench: {} transfers from {} senders ({} each) signed in {:.1} s; {} wave(s), batches of {} on {} connections",
        args.txs,
        args.senders,
        per_sender,
        sign_start.elapsed().as_secs_f64(),
        waves.len(),
        args.batch,
        args.connections
    );

    let log_file = std::fs::File::create(&log).wrap_err("cannot create node.log")?;
    let mut cmd = Command::new(&node);
    cmd.arg("run")
        .arg("--datadir")
        .arg(&datadir)
        .args(["--http.port", "0", "--http.addr-file"])
        .arg(&addr_file)
        .arg("--block-time")
        .arg(args.block_time_ms.to_string())
        .arg("--txpool.max-count")
        .arg(args.txpool_max.to_string());
    if args.db_no_sync {
        cmd.arg("--db.no-sync");
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .spawn()
        .wrap_err_with(|| format!("cannot start {}", node.display()))?;
    let mut proc = NodeProcess {
        child,
        log: log.clone(),
    };
    let addr = wait_for_addr(&mut proc, &addr_file)?;
    let url = format!("http://{addr}");
    eprintln!("node {} listening on {url}", proc.child.id());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let node_pid = proc.child.id();
    let outcome = runtime.block_on(measure(args, &url, waves, &wave_sizes, node_pid));
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            let tail = proc.log_tail();
            drop(proc);
            if args.keep {
                eprintln!("kept {}", dir.keep().display());
            }
            return Err(eyre!("{e:#}\n--- node log (last lines) ---\n{tail}"));
        }
    };
    drop(proc);
    if args.keep {
        eprintln!(
            "kept data directory and node.log in {}",
            dir.keep().display()
        );
    }
    report(args, per_sender, &outcome);
    Ok(())
}

fn wait_for_addr(proc: &mut NodeProcess, addr_file: &Path) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(s) = std::fs::read_to_string(addr_file) {
            if !s.trim().is_empty() {
                return Ok(s.trim().to_string());
            }
        }
        if let Some(status) = proc.child.try_wait()? {
            bail!(
                "pharos-node exited ({status}) before listening:\n{}",
                proc.log_tail()
            );
        }
        if Instant::now() > deadline {
            bail!(
                "pharos-node did not write --http.addr-file within 60 s:\n{}",
                proc.log_tail()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn measure(
    args: &RpcArgs,
    url: &str,
    waves: Vec<Vec<String>>,
    wave_sizes: &[usize],
    node_pid: u32,
) -> Result<Outcome> {
    let rpc = Rpc::new(url)?;
    let chain_id = parse_quantity(&rpc.call("eth_chainId", json!([])).await?)?;
    ensure!(
        chain_id == CHAIN_ID,
        "node runs chain {chain_id}, expected {CHAIN_ID}"
    );
    let first_block = parse_quantity(&rpc.call("eth_blockNumber", json!([])).await?)?;

    let target = args.txs as u64;
    let included = Arc::new(AtomicU64::new(0));
    let abort = Arc::new(AtomicBool::new(false));
    let timeout = Duration::from_secs(args.timeout);
    let node_cpu0 = cpu_time(Some(node_pid));
    let bench_cpu0 = cpu_time(None);
    let start = Instant::now();

    let poller = {
        let rpc = Rpc::new(url)?;
        let included = included.clone();
        let abort = abort.clone();
        tokio::spawn(async move {
            poll_inclusion(rpc, first_block, target, included, abort, start, timeout).await
        })
    };

    let n_waves = waves.len();
    let rejections = Arc::new(Mutex::new(Rejections::default()));
    let mut submitted_before = Vec::with_capacity(n_waves);
    let mut cum = 0u64;
    for size in wave_sizes {
        submitted_before.push(cum);
        cum += *size as u64;
    }
    let mut submit_result: Result<()> = Ok(());
    for (k, wave) in waves.into_iter().enumerate() {
        // Wave k may start once wave k-2 is fully included: then a sender has at most two
        // waves (60 transfers) in the pool.
        if k >= 2 {
            let need = submitted_before[k - 1];
            while included.load(Ordering::Acquire) < need {
                if abort.load(Ordering::Acquire) || start.elapsed() > timeout {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        if abort.load(Ordering::Acquire) {
            break;
        }
        if let Err(e) = submit_wave(args, url, wave, &rejections, &abort).await {
            submit_result = Err(e);
            break;
        }
    }
    let submit = start.elapsed();
    let rejected = std::mem::take(&mut *rejections.lock().map_err(|_| eyre!("poisoned"))?);
    if submit_result.is_err() || rejected.count > 0 {
        abort.store(true, Ordering::Release);
    }
    let polled = poller.await.map_err(|e| eyre!("poller failed: {e}"))?;
    submit_result.wrap_err("submission failed")?;
    if rejected.count > 0 {
        bail!(
            "the node rejected {} of {} transfers; first errors:\n  {}",
            rejected.count,
            args.txs,
            rejected.first.join("\n  ")
        );
    }
    let (blocks, included_at) = polled?;
    let node_cpu = node_cpu0
        .zip(cpu_time(Some(node_pid)))
        .map(|(a, b)| b.saturating_sub(a));
    let bench_cpu = bench_cpu0
        .zip(cpu_time(None))
        .map(|(a, b)| b.saturating_sub(a));
    Ok(Outcome {
        submit,
        included_at,
        blocks,
        first_block,
        node_cpu,
        bench_cpu,
        waves: n_waves,
    })
}

async fn submit_wave(
    args: &RpcArgs,
    url: &str,
    bodies: Vec<String>,
    rejections: &Arc<Mutex<Rejections>>,
    abort: &Arc<AtomicBool>,
) -> Result<()> {
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let rpc = Rpc::new(url)?;
        let bodies = bodies.clone();
        let next = next.clone();
        let rejections = rejections.clone();
        let abort = abort.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                if abort.load(Ordering::Acquire) {
                    return Ok(());
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else {
                    return Ok(());
                };
                let resp = rpc.post(body.clone()).await?;
                let Value::Array(items) = resp else {
                    abort.store(true, Ordering::Release);
                    bail!("the node answered a batch with a non-array (is --batch above the node's limit of 100?): {resp}");
                };
                let errors: Vec<String> = items
                    .iter()
                    .filter_map(|item| item.get("error").map(|e| e.to_string()))
                    .collect();
                if !errors.is_empty() {
                    abort.store(true, Ordering::Release);
                    let mut r = rejections.lock().map_err(|_| eyre!("poisoned"))?;
                    r.count += errors.len();
                    let room = 5usize.saturating_sub(r.first.len());
                    r.first.extend(errors.into_iter().take(room));
                }
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| eyre!("submitter failed: {e}"))??;
    }
    Ok(())
}

async fn poll_inclusion(
    rpc: Rpc,
    first_block: u64,
    target: u64,
    included: Arc<AtomicU64>,
    abort: Arc<AtomicBool>,
    start: Instant,
    timeout: Duration,
) -> Result<(Vec<SeenBlock>, Duration)> {
    let mut last = first_block;
    let mut blocks = Vec::new();
    let mut total = 0u64;
    loop {
        if abort.load(Ordering::Acquire) {
            bail!("aborted");
        }
        let head = parse_quantity(&rpc.call("eth_blockNumber", json!([])).await?)?;
        if head > last {
            let calls: Vec<(&str, Value)> = (last + 1..=head)
                .map(|n| {
                    (
                        "eth_getBlockTransactionCountByNumber",
                        json!([format!("0x{n:x}")]),
                    )
                })
                .collect();
            let mut counts = Vec::with_capacity(calls.len());
            for chunk in calls.chunks(100) {
                counts.extend(rpc.batch(chunk).await?);
            }
            let at = start.elapsed();
            for (n, count) in (last + 1..=head).zip(counts) {
                let txs = parse_quantity(&count)?;
                total += txs;
                blocks.push(SeenBlock { number: n, txs, at });
            }
            last = head;
            included.store(total, Ordering::Release);
            if total >= target {
                ensure!(
                    total == target,
                    "{total} transactions included, {target} submitted"
                );
                return Ok((blocks, at));
            }
        }
        if start.elapsed() > timeout {
            abort.store(true, Ordering::Release);
            bail!(
                "timeout: only {total} of {target} transfers were included after {} s (head block {last})",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn report(args: &RpcArgs, per_sender: u64, o: &Outcome) {
    let n = args.txs;
    let nonempty: Vec<&SeenBlock> = o.blocks.iter().filter(|b| b.txs > 0).collect();
    let max_block = nonempty.iter().map(|b| b.txs).max().unwrap_or(0);
    let mean_block = if nonempty.is_empty() {
        0.0
    } else {
        n as f64 / nonempty.len() as f64
    };
    let first_inclusion = nonempty.first().map(|b| b.at);
    let e2e_tps = per_sec(n, o.included_at);
    let submit_tps = per_sec(n, o.submit);
    let secs = |d: Duration| d.as_secs_f64();
    let cpu_share = |c: Option<Duration>| c.map(|c| secs(c) / secs(o.included_at).max(1e-9));

    if args.json {
        let out = json!({
            "bench": "rpc",
            "params": {
                "txs": n,
                "senders": args.senders,
                "per_sender": per_sender,
                "waves": o.waves,
                "batch": args.batch,
                "connections": args.connections,
                "block_time_ms": args.block_time_ms,
                "db_sync": !args.db_no_sync,
                "recipients": args.recipients,
            },
            "machine": machine(),
            "submit_s": secs(o.submit),
            "submit_tps": submit_tps.round(),
            "first_inclusion_s": first_inclusion.map(secs),
            "all_included_s": secs(o.included_at),
            "e2e_tps": e2e_tps.round(),
            "blocks": o.blocks.len(),
            "nonempty_blocks": nonempty.len(),
            "txs_per_block_mean": mean_block.round(),
            "txs_per_block_max": max_block,
            "node_cpu_s": o.node_cpu.map(secs),
            "bench_cpu_s": o.bench_cpu.map(secs),
            "node_cores_busy": cpu_share(o.node_cpu),
            "bench_cores_busy": cpu_share(o.bench_cpu),
            "timeline": o.blocks.iter().map(|b| json!({"block": b.number, "txs": b.txs, "seen_s": secs(b.at)})).collect::<Vec<_>>(),
        });
        println!("{out:#}");
        return;
    }

    let mut t = Table::new(
        "Blocks (as first seen by the poller)",
        &["block", "txs", "seen at s"],
    );
    for b in &o.blocks {
        t.row(vec![
            b.number.to_string(),
            b.txs.to_string(),
            format!("{:.2}", secs(b.at)),
        ]);
    }
    println!("{}", t.render());
    let mut s = Table::new(
        &format!(
            "End-to-end: {n} transfers, {} senders x {per_sender}, batch {}, {} connections, block time {} ms{}, first block {}",
            args.senders,
            args.batch,
            args.connections,
            args.block_time_ms,
            if args.db_no_sync { ", no fsync" } else { "" },
            o.first_block + 1
        ),
        &["metric", "value"],
    );
    s.row(vec![
        "submit time (all batches answered)".into(),
        format!("{:.2} s", secs(o.submit)),
    ]);
    s.row(vec!["submit rate".into(), format!("{submit_tps:.0} tx/s")]);
    if let Some(f) = first_inclusion {
        s.row(vec![
            "first transfers included".into(),
            format!("{:.2} s", secs(f)),
        ]);
    }
    s.row(vec![
        "all included (inclusion time)".into(),
        format!("{:.2} s", secs(o.included_at)),
    ]);
    s.row(vec![
        "end-to-end throughput".into(),
        format!("{e2e_tps:.0} transfers/s"),
    ]);
    s.row(vec![
        "blocks (non-empty / all)".into(),
        format!("{} / {}", nonempty.len(), o.blocks.len()),
    ]);
    s.row(vec![
        "transfers per block (mean / max)".into(),
        format!("{mean_block:.0} / {max_block}"),
    ]);
    if let (Some(c), Some(share)) = (o.node_cpu, cpu_share(o.node_cpu)) {
        s.row(vec![
            "node CPU".into(),
            format!("{:.2} s ({share:.2} cores)", secs(c)),
        ]);
    }
    if let (Some(c), Some(share)) = (o.bench_cpu, cpu_share(o.bench_cpu)) {
        s.row(vec![
            "bench client CPU".into(),
            format!("{:.2} s ({share:.2} cores)", secs(c)),
        ]);
    }
    println!("{}", s.render());
}
