//! Check and execute a block another node built, on top of the local head: the path a
//! validator takes before voting for a proposal, and a follower before committing a
//! certified block. Nothing is written; the caller commits the result with [`commit_block`].
//!
//! [`commit_block`]: crate::commit_block

use crate::error::NodeError;
use crate::producer::{next_base_fee, seal_block, BuiltBlock};
use spn_execution::{BlockInput, DerivationError, ExecError, Executor};
use spn_primitives::{consensus::EMPTY_OMMER_ROOT_HASH, keccak256, Header, SealedBlock, B256};
use spn_storage::Store;

/// Seconds a block's timestamp may run ahead of the importer's clock.
pub const MAX_FUTURE_SECS: u64 = 15;

/// Why a block is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    /// The block does not extend the local head.
    #[error("block {number} with parent {parent} does not extend the head {head} ({head_hash})")]
    NotOnHead {
        /// The block's number.
        number: u64,
        /// Its parent hash.
        parent: B256,
        /// The local head.
        head: u64,
        /// The local head's hash.
        head_hash: B256,
    },
    /// A header field differs from what the parent fixes.
    #[error("header field {field} is {got}, expected {expected}")]
    Header {
        /// The field.
        field: &'static str,
        /// Its value.
        got: String,
        /// The value the parent and the rules fix.
        expected: String,
    },
    /// A transaction of the block is invalid on the parent state (nonce, balance, gas).
    #[error("transaction {hash} is invalid here: {reason}")]
    InvalidTransaction {
        /// The transaction.
        hash: B256,
        /// Why.
        reason: String,
    },
    /// The block's extra data breaks the chain's derivation rule (e.g. an SPN block that skips
    /// or reorders an inbound message).
    #[error("the block's derivation is invalid: {0}")]
    Derivation(String),
    /// Executing the block gives another result than its header claims.
    #[error("executing the block gives {field} {computed}, the header says {claimed}")]
    Mismatch {
        /// The field.
        field: &'static str,
        /// What execution gives.
        computed: String,
        /// What the header says.
        claimed: String,
    },
}

fn expect<T: PartialEq + std::fmt::Debug>(
    field: &'static str,
    got: T,
    expected: T,
) -> Result<(), ImportError> {
    if got == expected {
        Ok(())
    } else {
        Err(ImportError::Header {
            field,
            got: format!("{got:?}"),
            expected: format!("{expected:?}"),
        })
    }
}

/// Checks the header of `block` against its parent (`parent`, hash `parent_hash`) and the
/// importer's clock `now_secs`.
pub fn check_header(
    parent: &Header,
    parent_hash: B256,
    block: &SealedBlock,
    now_secs: u64,
) -> Result<(), ImportError> {
    let h = &block.header;
    if h.number != parent.number + 1 || h.parent_hash != parent_hash {
        return Err(ImportError::NotOnHead {
            number: h.number,
            parent: h.parent_hash,
            head: parent.number,
            head_hash: parent_hash,
        });
    }
    expect("gas_limit", h.gas_limit, parent.gas_limit)?;
    expect(
        "base_fee_per_gas",
        h.base_fee_per_gas,
        Some(next_base_fee(parent)),
    )?;
    expect("mix_hash", h.mix_hash, keccak256(parent_hash))?;
    expect("ommers_hash", h.ommers_hash, EMPTY_OMMER_ROOT_HASH)?;
    if h.timestamp < parent.timestamp {
        return Err(ImportError::Header {
            field: "timestamp",
            got: h.timestamp.to_string(),
            expected: format!("at least the parent's {}", parent.timestamp),
        });
    }
    if h.timestamp > now_secs + MAX_FUTURE_SECS {
        return Err(ImportError::Header {
            field: "timestamp",
            got: h.timestamp.to_string(),
            expected: format!(
                "at most {} (now + {MAX_FUTURE_SECS} s)",
                now_secs + MAX_FUTURE_SECS
            ),
        });
    }
    Ok(())
}

/// Checks `block` against the head and re-executes it on the latest state: every
/// transaction must apply, and the sealed result must be the block itself (state root,
/// transactions and receipts roots, bloom, gas used). Senders must already be recovered
/// locally (never trust a sender a peer claims). Returns the block ready to commit.
pub fn import_block(
    store: &Store,
    executor: &Executor,
    block: &SealedBlock,
    now_secs: u64,
) -> Result<BuiltBlock, NodeError> {
    let (head, head_hash) = store.head()?.ok_or_else(|| {
        NodeError::Import(ImportError::NotOnHead {
            number: block.number(),
            parent: block.header.parent_hash,
            head: 0,
            head_hash: B256::ZERO,
        })
    })?;
    let parent = store.header(head)?.ok_or_else(|| {
        NodeError::Store(spn_storage::StoreError::Corrupt(format!(
            "head {head} has no header"
        )))
    })?;
    check_header(&parent, head_hash, block, now_secs)?;
    let h = &block.header;
    let input = BlockInput {
        number: h.number,
        timestamp: h.timestamp,
        beneficiary: h.beneficiary,
        gas_limit: h.gas_limit,
        base_fee: h.base_fee_per_gas.unwrap_or_default(),
        prevrandao: h.mix_hash,
        extra_data: h.extra_data.clone(),
    };
    let executed = match executor.execute_block(store, &input, block.transactions.clone()) {
        Err(ExecError::Derivation(DerivationError::Invalid(reason))) => {
            return Err(ImportError::Derivation(reason).into())
        }
        other => other?,
    };
    if let Some((hash, reason)) = executed.rejected.first() {
        return Err(ImportError::InvalidTransaction {
            hash: *hash,
            reason: reason.clone(),
        }
        .into());
    }
    if executed.transactions.len() != block.transactions.len() {
        // Skipped for lack of block gas: the block claims more gas than it has.
        let missing = block
            .transactions
            .iter()
            .find(|t| !executed.transactions.iter().any(|e| e.hash == t.hash))
            .map_or(B256::ZERO, |t| t.hash);
        return Err(ImportError::InvalidTransaction {
            hash: missing,
            reason: "does not fit in the block's gas limit".into(),
        }
        .into());
    }
    let prepared = store.prepare_state(&executed.changes)?;
    let resealed = seal_block(h.parent_hash, &input, &executed, prepared.state_root);
    let r = &resealed.header;
    let checks: [(&'static str, String, String); 5] = [
        (
            "state_root",
            r.state_root.to_string(),
            h.state_root.to_string(),
        ),
        (
            "transactions_root",
            r.transactions_root.to_string(),
            h.transactions_root.to_string(),
        ),
        (
            "receipts_root",
            r.receipts_root.to_string(),
            h.receipts_root.to_string(),
        ),
        ("gas_used", r.gas_used.to_string(), h.gas_used.to_string()),
        (
            "logs_bloom",
            r.logs_bloom.to_string(),
            h.logs_bloom.to_string(),
        ),
    ];
    for (field, computed, claimed) in checks {
        if computed != claimed {
            return Err(ImportError::Mismatch {
                field,
                computed,
                claimed,
            }
            .into());
        }
    }
    if resealed.hash != block.hash {
        return Err(ImportError::Mismatch {
            field: "block hash",
            computed: resealed.hash.to_string(),
            claimed: block.hash.to_string(),
        }
        .into());
    }
    Ok(BuiltBlock {
        block: resealed,
        receipts: executed.receipts,
        system_logs: executed.system_logs,
        prepared,
        rejected: Vec::new(),
    })
}

/// How long work whose inputs this node lacks (e.g. a proposed block naming a mainnet block
/// not final here yet) is retried before it counts as failed.
pub(crate) const NOT_READY_PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs `work` on a blocking thread, again every 200 ms while it fails only because its
/// inputs are not here yet ([`NodeError::is_not_ready`]), for at most [`NOT_READY_PATIENCE`].
pub(crate) async fn when_ready<T: Send + 'static>(
    work: impl Fn() -> Result<T, NodeError> + Send + Sync + 'static,
) -> Result<T, String> {
    let work = std::sync::Arc::new(work);
    let started = std::time::Instant::now();
    loop {
        let attempt = work.clone();
        let result = tokio::task::spawn_blocking(move || attempt())
            .await
            .map_err(|e| e.to_string())?;
        match result {
            Ok(done) => return Ok(done),
            Err(e) if e.is_not_ready() && started.elapsed() < NOT_READY_PATIENCE => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) if e.is_not_ready() => {
                return Err(format!("its inputs never became available here: {e}"))
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Decodes a proposed block once, then imports it, retrying while its inputs (e.g. a mainnet
/// block not final here yet) are missing ([`when_ready`]).
pub(crate) async fn import_when_ready(
    node: std::sync::Arc<crate::backend::NodeInner>,
    block_hash: [u8; 32],
    bytes: Vec<u8>,
) -> Result<BuiltBlock, String> {
    let decoder = node.clone();
    let block = tokio::task::spawn_blocking(move || {
        crate::poa::decode_block(&bytes, decoder.spec.chain_id)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("undecodable block: {e}"))?;
    if block.hash.0 != block_hash {
        return Err(format!(
            "block hashes to {}, the proposal claims {}",
            block.hash,
            B256::from(block_hash)
        ));
    }
    when_ready(move || import_block(&node.store, &node.executor, &block, node.clock.now_secs()))
        .await
}
