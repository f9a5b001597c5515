//! `pharos-bench block`: the block producer's work, in-process, phase by phase.
//!
//! Per block: sender recovery (`recover_batch`, all cores), pool admission (`Mempool::add`),
//! selection (`Mempool::best`), execution (`Executor::execute_block`, which includes the flat
//! state reads), `Store::prepare_state` (trie update and state root), sealing (transaction and
//! receipt roots, header hash), `Store::commit_block` (one RocksDB batch) and the pool update
//! after the commit. This is the sequence `spn_node::build_block` + `commit_block` run,
//! split so that each phase is timed on its own.

use crate::bench::report::{machine, ms, per_sec, us_per, Table};
use crate::bench::workload::{self, CHAIN_ID, TRANSFER_GAS};
use clap::Args;
use eyre::{ensure, eyre, Result, WrapErr};
use spn_execution::{BlockInput, Executor, NoExtensions};
use spn_mempool::Mempool;
use spn_node::PoolReader;
use spn_primitives::{
    consensus::crypto::secp256k1, keccak256, recover_batch, Address, Bytes, Decodable2718,
    RecoveredTx, TxEnvelope, U256,
};
use spn_storage::{Store, StoreOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Flags of `pharos-bench block`.
#[derive(Debug, Args)]
pub struct BlockArgs {
    /// Transfers per block (a multiple of --senders).
    #[arg(long, default_value_t = 10_000)]
    pub txs: usize,
    /// Funded sender accounts; each sends txs/senders transfers per block.
    #[arg(long, default_value_t = 2_000)]
    pub senders: usize,
    /// Blocks to build and commit.
    #[arg(long, default_value_t = 5)]
    pub blocks: usize,
    /// Distinct receivers; 0 = a fresh address per transfer (every transfer creates an account).
    #[arg(long, default_value_t = 0)]
    pub recipients: u64,
    /// Extra accounts in the genesis state (not senders), to measure the trie and the database
    /// at a realistic state size.
    #[arg(long, default_value_t = 0)]
    pub prefill: u64,
    /// Do not fsync the write-ahead log on commit (the node's --db.no-sync).
    #[arg(long = "db-no-sync")]
    pub db_no_sync: bool,
    /// Key derivation seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the result as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Time spent in each phase of one block.
#[derive(Debug, Default, Clone, Copy)]
struct Phases {
    recover: Duration,
    admit: Duration,
    select: Duration,
    execute: Duration,
    state: Duration,
    seal: Duration,
    commit: Duration,
    pool_update: Duration,
}

impl Phases {
    const NAMES: [&'static str; 8] = [
        "recover",
        "pool_add",
        "pool_best",
        "execute",
        "prepare_state",
        "seal",
        "commit",
        "pool_update",
    ];

    fn all(&self) -> [Duration; 8] {
        [
            self.recover,
            self.admit,
            self.select,
            self.execute,
            self.state,
            self.seal,
            self.commit,
            self.pool_update,
        ]
    }

    /// execute + prepare_state + seal + commit: what building and committing a block costs
    /// once its transactions are chosen.
    fn exec_commit(&self) -> Duration {
        self.execute + self.state + self.seal + self.commit
    }

    /// Everything the block producer does (selection to pool update), without recovery and
    /// admission, which happen on RPC threads as transactions arrive.
    fn producer(&self) -> Duration {
        self.select + self.exec_commit() + self.pool_update
    }

    fn total(&self) -> Duration {
        self.all().iter().sum()
    }

    fn add(&mut self, o: &Phases) {
        self.recover += o.recover;
        self.admit += o.admit;
        self.select += o.select;
        self.execute += o.execute;
        self.state += o.state;
        self.seal += o.seal;
        self.commit += o.commit;
        self.pool_update += o.pool_update;
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Runs the benchmark and prints its result.
pub fn run(args: &BlockArgs) -> Result<()> {
    ensure!(
        args.senders > 0 && args.txs > 0 && args.blocks > 0,
        "--txs, --senders and --blocks must be positive"
    );
    ensure!(
        args.txs.is_multiple_of(args.senders),
        "--txs ({}) must be a multiple of --senders ({}) so that every sender sends the same number of transfers per block",
        args.txs,
        args.senders
    );
    let per_sender = (args.txs / args.senders) as u64;
    let threads = rayon::current_num_threads();
    eprintln!(
        "block bench: {} blocks x {} transfers, {} senders ({} per sender per block), {} rayon threads",
        args.blocks, args.txs, args.senders, per_sender, threads
    );

    let senders = workload::senders(args.seed, args.senders)?;
    let gas_limit = args.txs as u64 * TRANSFER_GAS;
    let mut spec = workload::chain_spec(&senders, gas_limit)?;
    for i in 0..args.prefill {
        spec.alloc.insert(
            workload::filler(i),
            spn_primitives::GenesisAccount {
                balance: U256::from(1u64),
                ..Default::default()
            },
        );
    }
    let dir = tempfile::tempdir().wrap_err("cannot create a temporary directory")?;
    let store = Store::open(
        dir.path(),
        &StoreOptions {
            sync_writes: !args.db_no_sync,
            ..StoreOptions::default()
        },
    )?;
    let (genesis, genesis_time) = timed(|| spn_node::init_genesis(&store, &spec));
    genesis?;
    eprintln!(
        "genesis with {} accounts: {} ms",
        spec.alloc.len(),
        ms(genesis_time)
    );

    let sign_start = Instant::now();
    let mut blocks_raw: Vec<Vec<Bytes>> = Vec::with_capacity(args.blocks);
    for b in 0..args.blocks as u64 {
        let signed = workload::sign_transfers(
            &senders,
            b * per_sender,
            per_sender,
            b * args.txs as u64,
            args.recipients,
        )?;
        blocks_raw.push(signed.into_iter().map(Bytes::from).collect());
    }
    eprintln!(
        "signed {} transfers in {:.1} s",
        args.txs * args.blocks,
        sign_start.elapsed().as_secs_f64()
    );

    let executor = Executor::new(CHAIN_ID, Arc::new(NoExtensions));
    let pool: Mempool<RecoveredTx> = Mempool::new(spn_mempool::Config {
        max_txs: args.txs * 2,
        max_per_sender: (per_sender as usize).max(64),
        block_gas_limit: spec.gas_limit,
        ..Default::default()
    });
    let reader = PoolReader(&store);
    let mut per_block: Vec<Phases> = Vec::with_capacity(args.blocks);

    for raws in &blocks_raw {
        let mut p = Phases::default();
        let (head, head_hash) = store.head()?.ok_or_else(|| eyre!("no head"))?;
        let parent = store
            .header(head)?
            .ok_or_else(|| eyre!("no header {head}"))?;
        let input = BlockInput {
            number: head + 1,
            timestamp: parent.timestamp + 1,
            beneficiary: Address::ZERO,
            gas_limit: parent.gas_limit,
            base_fee: spn_node::next_base_fee(&parent),
            prevrandao: keccak256(head_hash),
            extra_data: Default::default(),
        };
        let base_fee = u128::from(input.base_fee);

        let (recovered, d) = timed(|| recover_batch(raws, CHAIN_ID));
        p.recover = d;
        let recovered: Vec<RecoveredTx> = recovered
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(|e| eyre!("recovery failed: {e}"))?;

        let (added, d) = timed(|| {
            recovered
                .into_iter()
                .map(|tx| pool.add(tx, &reader, base_fee))
                .collect::<Result<Vec<_>, _>>()
        });
        p.admit = d;
        added.map_err(|e| eyre!("pool refused a transfer: {e}"))?;

        let (txs, d) = timed(|| pool.best(input.gas_limit, base_fee));
        p.select = d;
        ensure!(
            txs.len() == args.txs,
            "pool selected {} of {} transfers",
            txs.len(),
            args.txs
        );

        let (executed, d) = timed(|| executor.execute_block(&store, &input, txs));
        p.execute = d;
        let executed = executed?;
        ensure!(
            executed.rejected.is_empty() && executed.transactions.len() == args.txs,
            "execution included {} of {} transfers; first rejection: {:?}",
            executed.transactions.len(),
            args.txs,
            executed.rejected.first()
        );
        ensure!(
            executed.receipts.iter().all(|r| r.success),
            "a transfer failed"
        );

        let (prepared, d) = timed(|| store.prepare_state(&executed.changes));
        p.state = d;
        let prepared = prepared?;

        let (block, d) =
            timed(|| spn_node::seal_block(head_hash, &input, &executed, prepared.state_root));
        p.seal = d;

        let senders_touched: Vec<Address> = {
            let mut s: Vec<Address> = block.transactions.iter().map(|t| t.sender).collect();
            s.sort_unstable();
            s.dedup();
            s
        };
        let (committed, d) = timed(|| store.commit_block(&block, &executed.receipts, prepared));
        p.commit = d;
        committed?;

        let (_, d) = timed(|| pool.on_block_committed(&reader, &senders_touched));
        p.pool_update = d;
        ensure!(
            pool.is_empty(),
            "{} transfers left in the pool after block {}",
            pool.len(),
            input.number
        );

        eprintln!(
            "block {}: {} txs, exec+commit {} ms, state root {}",
            input.number,
            block.transactions.len(),
            ms(p.exec_commit()),
            block.header.state_root
        );
        per_block.push(p);
    }

    let breakdown = recovery_breakdown(&blocks_raw[0])?;
    report(args, threads, &per_block, genesis_time, &breakdown);
    Ok(())
}

/// Single-thread cost per transaction of the steps of sender recovery, in µs: EIP-2718
/// decoding alone, the secp256k1 public key recovery alone (signature hash precomputed), and
/// the whole `RecoveredTx::decode` (decode, signature hash, recovery, transaction hash).
#[derive(Debug, Clone, Copy)]
struct RecoveryBreakdown {
    sample: usize,
    decode_us: f64,
    ecrecover_us: f64,
    full_us: f64,
}

fn recovery_breakdown(raws: &[Bytes]) -> Result<RecoveryBreakdown> {
    let sample = &raws[..raws.len().min(10_000)];
    let (decoded, decode) = timed(|| {
        sample
            .iter()
            .map(|raw| TxEnvelope::decode_2718(&mut raw.as_ref()))
            .collect::<Result<Vec<_>, _>>()
    });
    let decoded = decoded.map_err(|e| eyre!("decode failed: {e}"))?;
    let inputs: Vec<_> = decoded
        .iter()
        .map(|env| match env {
            TxEnvelope::Eip1559(s) => Ok((*s.signature(), s.signature_hash())),
            _ => Err(eyre!("unexpected transaction type")),
        })
        .collect::<Result<_>>()?;
    let (recovered, ecrecover) = timed(|| {
        inputs
            .iter()
            .map(|(sig, hash)| secp256k1::recover_signer(sig, *hash))
            .collect::<Result<Vec<_>, _>>()
    });
    recovered.map_err(|e| eyre!("ecrecover failed: {e}"))?;
    let (full, full_time) = timed(|| {
        sample
            .iter()
            .map(|raw| RecoveredTx::decode(raw, CHAIN_ID))
            .collect::<Result<Vec<_>, _>>()
    });
    full.map_err(|e| eyre!("recovery failed: {e}"))?;
    Ok(RecoveryBreakdown {
        sample: sample.len(),
        decode_us: us_per(decode, sample.len()),
        ecrecover_us: us_per(ecrecover, sample.len()),
        full_us: us_per(full_time, sample.len()),
    })
}

fn report(
    args: &BlockArgs,
    threads: usize,
    per_block: &[Phases],
    genesis: Duration,
    rb: &RecoveryBreakdown,
) {
    let mut sum = Phases::default();
    for p in per_block {
        sum.add(p);
    }
    let n = args.txs * per_block.len();
    let names = Phases::NAMES;
    let totals = sum.all();

    let mut phases_json = serde_json::Map::new();
    for (name, d) in names.iter().zip(totals) {
        phases_json.insert(name.to_string(), serde_json::json!(round2(us_per(d, n))));
    }
    let exec_commit_tps = per_sec(n, sum.exec_commit());
    let producer_tps = per_sec(n, sum.producer());
    let all_tps = per_sec(n, sum.total());
    let blocks_json: Vec<_> = per_block
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut m = serde_json::Map::new();
            m.insert("block".into(), serde_json::json!(i + 1));
            for (name, d) in names.iter().zip(p.all()) {
                m.insert(
                    format!("{name}_ms"),
                    serde_json::json!(round2(d.as_secs_f64() * 1e3)),
                );
            }
            m.insert(
                "exec_commit_tps".into(),
                serde_json::json!(per_sec(args.txs, p.exec_commit()).round()),
            );
            serde_json::Value::Object(m)
        })
        .collect();

    if args.json {
        let out = serde_json::json!({
            "bench": "block",
            "params": {
                "txs_per_block": args.txs,
                "senders": args.senders,
                "blocks": args.blocks,
                "recipients": args.recipients,
                "prefill_accounts": args.prefill,
                "db_sync": !args.db_no_sync,
                "rayon_threads": threads,
            },
            "machine": machine(),
            "genesis_ms": round2(genesis.as_secs_f64() * 1e3),
            "us_per_tx": phases_json,
            "transfers_per_sec": {
                "exec_commit": exec_commit_tps.round(),
                "producer": producer_tps.round(),
                "all_phases": all_tps.round(),
            },
            "recovery_single_thread_us": {
                "sample": rb.sample,
                "decode": round2(rb.decode_us),
                "ecrecover": round2(rb.ecrecover_us),
                "full": round2(rb.full_us),
            },
            "blocks_detail": blocks_json,
        });
        println!("{out:#}");
        return;
    }

    let mut t = Table::new(
        &format!(
            "Per block (ms), {} transfers each, {} senders, {} other accounts at genesis, recipients: {}",
            args.txs,
            args.senders,
            args.prefill,
            if args.recipients == 0 {
                "fresh address per transfer".to_string()
            } else {
                args.recipients.to_string()
            }
        ),
        &[
            "block",
            "recover",
            "pool_add",
            "pool_best",
            "execute",
            "prep_state",
            "seal",
            "commit",
            "pool_upd",
            "exec+commit tx/s",
        ],
    );
    for (i, p) in per_block.iter().enumerate() {
        let mut row = vec![(i + 1).to_string()];
        row.extend(p.all().iter().map(|d| ms(*d)));
        row.push(format!("{:.0}", per_sec(args.txs, p.exec_commit())));
        t.row(row);
    }
    println!("{}", t.render());

    let mut s = Table::new(
        &format!("Mean over {} blocks ({} transfers)", per_block.len(), n),
        &["phase", "µs/tx", "share"],
    );
    let total = sum.total().as_secs_f64().max(f64::MIN_POSITIVE);
    for (name, d) in names.iter().zip(totals) {
        let note = match *name {
            "recover" => format!("{name} (recover_batch, {threads} threads)"),
            "execute" => format!("{name} (incl. state reads)"),
            "prepare_state" => format!("{name} (trie + root)"),
            "commit" => format!(
                "{name} (1 RocksDB batch{})",
                if args.db_no_sync {
                    ", no fsync"
                } else {
                    ", fsync"
                }
            ),
            _ => name.to_string(),
        };
        s.row(vec![
            note,
            format!("{:.2}", us_per(d, n)),
            format!("{:.0}%", d.as_secs_f64() / total * 100.0),
        ]);
    }
    s.row(vec![
        "total".into(),
        format!("{:.2}", us_per(sum.total(), n)),
        "100%".into(),
    ]);
    println!("{}", s.render());

    let mut b = Table::new(
        &format!("Sender recovery on one thread ({} transfers)", rb.sample),
        &["step", "µs/tx"],
    );
    b.row(vec![
        "EIP-2718 decode".into(),
        format!("{:.2}", rb.decode_us),
    ]);
    b.row(vec![
        "secp256k1 ecrecover (hash given)".into(),
        format!("{:.2}", rb.ecrecover_us),
    ]);
    b.row(vec![
        "RecoveredTx::decode (all of it)".into(),
        format!("{:.2}", rb.full_us),
    ]);
    println!("{}", b.render());

    let mut r = Table::new("Throughput", &["scope", "transfers/s"]);
    r.row(vec![
        "execute + prepare_state + seal + commit".into(),
        format!("{exec_commit_tps:.0}"),
    ]);
    r.row(vec![
        "block producer (pool_best .. pool_update)".into(),
        format!("{producer_tps:.0}"),
    ]);
    r.row(vec![
        "all phases incl. recovery and pool_add".into(),
        format!("{all_tps:.0}"),
    ]);
    println!("{}", r.render());
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
