//! Batches as the node sees them: the payload format (an RLP list of EIP-2718 transactions),
//! choosing this validator's owned transactions from the pool, checking a peer's batch
//! (every sender owned by its proposer), and building a block from certified batches — the
//! same function for the leader and for every validator that checks the leader's hash.

use crate::backend::NodeInner;
use crate::error::NodeError;
use crate::producer::{next_block_input, seal_block, BuiltBlock};
use spn_consensus::bft::{sha256, Hash, StakeSet};
use spn_primitives::{
    recover_batch,
    rlp::{Decodable, Encodable},
    Address, Bytes, RecoveredTx, B256,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Transactions in one batch at most.
pub(crate) const MAX_BATCH_TXS: usize = 8_192;

/// The payload of `txs`.
pub(crate) fn encode_payload(txs: &[RecoveredTx]) -> Vec<u8> {
    let raw: Vec<Bytes> = txs.iter().map(RecoveredTx::encoded).collect();
    let mut out = Vec::with_capacity(raw.iter().map(|r| r.len() + 3).sum::<usize>() + 8);
    raw.encode(&mut out);
    out
}

/// Reads a payload of `tx_count` transactions of chain `chain_id`, recovering every sender.
pub(crate) fn decode_payload(
    payload: &[u8],
    tx_count: Option<u32>,
    chain_id: u64,
) -> Result<Vec<RecoveredTx>, String> {
    let mut buf = payload;
    let raw = Vec::<Bytes>::decode(&mut buf).map_err(|e| format!("batch payload: {e}"))?;
    if !buf.is_empty() {
        return Err(format!("{} trailing bytes after the batch", buf.len()));
    }
    if let Some(count) = tx_count {
        if raw.len() != count as usize {
            return Err(format!(
                "the batch claims {count} transactions and holds {}",
                raw.len()
            ));
        }
    }
    if raw.len() > MAX_BATCH_TXS {
        return Err(format!("{} transactions in one batch", raw.len()));
    }
    recover_batch(&raw, chain_id)
        .into_iter()
        .enumerate()
        .map(|(i, tx)| tx.map_err(|e| format!("transaction {i}: {e}")))
        .collect()
}

/// Checks that every transaction of a batch belongs to `proposer` in `set`.
pub(crate) fn check_ownership(
    txs: &[RecoveredTx],
    proposer: u32,
    set: &StakeSet,
) -> Result<(), String> {
    for (i, tx) in txs.iter().enumerate() {
        let owner = set.owner_of(tx.sender.as_slice());
        if owner != proposer {
            return Err(format!(
                "transaction {i} from {} belongs to validator {owner}, not {proposer}",
                tx.sender
            ));
        }
    }
    Ok(())
}

/// This validator's next batch: pool transactions it owns, in pool order, that none of its
/// unfinished batches holds, within `max_gas` and `max_bytes`; and whether owned ones were
/// left for lack of room.
pub(crate) fn select_owned(
    node: &NodeInner,
    me: u32,
    set: &StakeSet,
    in_flight: &HashSet<B256>,
    max_gas: u64,
    max_bytes: usize,
) -> (Vec<RecoveredTx>, bool) {
    let base_fee = u128::from(crate::producer::next_base_fee(&node.head.read().header));
    let (mut gas, mut bytes) = (0u64, 0usize);
    let mut out = Vec::new();
    let mut more = false;
    // Ask for more than fits: others' and in-flight transactions are skipped.
    for tx in node.pool.best(u64::MAX, base_fee) {
        if in_flight.contains(&tx.hash) || set.owner_of(tx.sender.as_slice()) != me {
            continue;
        }
        let (g, b) = (tx.gas_limit(), tx.encoded_len + 4);
        if out.len() == MAX_BATCH_TXS || gas.saturating_add(g) > max_gas || bytes + b > max_bytes {
            more = true;
            continue;
        }
        gas += g;
        bytes += b;
        out.push(tx);
    }
    (out, more)
}

/// Recovered transactions of batches this node built or checked, by payload digest, so
/// building and checking blocks recovers no sender twice.
#[derive(Default)]
pub(crate) struct RecoveredBatches {
    by_digest: HashMap<Hash, (u64, Arc<Vec<RecoveredTx>>)>,
}

impl RecoveredBatches {
    pub(crate) fn insert(&mut self, height: u64, digest: Hash, txs: Vec<RecoveredTx>) {
        self.by_digest.insert(digest, (height, Arc::new(txs)));
    }

    /// The transactions of `payloads`, in order (recovered here for any not seen before).
    pub(crate) fn resolve(
        &self,
        payloads: &[(u32, Vec<u8>)],
    ) -> Vec<Result<Arc<Vec<RecoveredTx>>, Vec<u8>>> {
        payloads
            .iter()
            .map(|(_, payload)| match self.by_digest.get(&sha256(payload)) {
                Some((_, txs)) => Ok(txs.clone()),
                None => Err(payload.clone()),
            })
            .collect()
    }

    /// Forgets batches of heights up to `height`.
    pub(crate) fn prune(&mut self, height: u64) {
        self.by_digest.retain(|_, (h, _)| *h > height);
    }
}

/// Builds and executes the block of `height` on the head from `batches` (in order; duplicate
/// and non-executing transactions skipped), paying fees to `beneficiary`, stamped
/// `timestamp_ms`. Every validator computes the same block from the same inputs.
pub(crate) fn build_from_batches(
    node: &NodeInner,
    height: u64,
    batches: &[Result<Arc<Vec<RecoveredTx>>, Vec<u8>>],
    beneficiary: Address,
    timestamp_ms: u64,
    extra_data: Option<&[u8]>,
) -> Result<BuiltBlock, NodeError> {
    let head = node.head.read().clone();
    if head.header.number + 1 != height {
        return Err(NodeError::WrongChain(format!(
            "block {height} asked for on head {}",
            head.header.number
        )));
    }
    let mut seen = HashSet::new();
    let mut txs = Vec::new();
    for batch in batches {
        let batch = match batch {
            Ok(txs) => txs.clone(),
            Err(payload) => {
                Arc::new(decode_payload(payload, None, node.spec.chain_id).map_err(NodeError::Rpc)?)
            }
        };
        txs.extend(batch.iter().filter(|t| seen.insert(t.hash)).cloned());
    }
    let mut input = next_block_input(&head.header, head.hash, beneficiary, timestamp_ms / 1000);
    // The builder chooses what the block derives from; the others rebuild it with the same
    // choice, which the chain's extensions check while executing.
    input.extra_data = match extra_data {
        Some(extra) => Bytes::copy_from_slice(extra),
        None => node.executor.next_extra_data(&*node.store),
    };
    let executed = node.executor.execute_block(&*node.store, &input, txs)?;
    let prepared = node.store.prepare_state(&executed.changes)?;
    let block = seal_block(head.hash, &input, &executed, prepared.state_root);
    Ok(BuiltBlock {
        block,
        receipts: executed.receipts,
        system_logs: executed.system_logs,
        prepared,
        rejected: executed.rejected,
    })
}

/// This validator's transactions in batches not yet decided, by height.
#[derive(Default)]
pub(crate) struct InFlight {
    by_height: BTreeMap<u64, Vec<B256>>,
    all: HashSet<B256>,
}

impl InFlight {
    pub(crate) fn add(&mut self, height: u64, txs: &[RecoveredTx]) {
        let hashes = self.by_height.entry(height).or_default();
        for tx in txs {
            hashes.push(tx.hash);
            self.all.insert(tx.hash);
        }
    }

    pub(crate) fn hashes(&self) -> &HashSet<B256> {
        &self.all
    }

    /// After block `height`: its batches are decided; what the block left out may be batched
    /// again (if still valid in the pool). Returns the released hashes.
    pub(crate) fn release_through(&mut self, height: u64) -> Vec<B256> {
        let later = self.by_height.split_off(&(height + 1));
        let released: Vec<B256> = std::mem::replace(&mut self.by_height, later)
            .into_values()
            .flatten()
            .collect();
        for hash in &released {
            self.all.remove(hash);
        }
        released
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::consensus::{crypto::secp256k1::sign_message, SignableTransaction};
    use spn_primitives::{TxEip1559, TxKind, U256};

    fn tx(key: u8, nonce: u64, chain_id: u64) -> RecoveredTx {
        let t = TxEip1559 {
            chain_id,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 10,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(3),
            ..Default::default()
        };
        let sig = sign_message(B256::repeat_byte(key), t.signature_hash()).unwrap();
        RecoveredTx::recover(t.into_signed(sig).into(), chain_id).unwrap()
    }

    #[test]
    fn payloads_round_trip_and_bad_ones_are_refused() {
        let txs = vec![tx(1, 0, 5), tx(2, 0, 5), tx(1, 1, 5)];
        let payload = encode_payload(&txs);
        assert_eq!(decode_payload(&payload, Some(3), 5).unwrap(), txs);
        assert!(decode_payload(&payload, Some(2), 5)
            .unwrap_err()
            .contains("claims 2"));
        assert!(decode_payload(&payload, Some(3), 6)
            .unwrap_err()
            .contains("transaction 0"));
        assert!(decode_payload(&payload[..payload.len() - 1], None, 5).is_err());
        let mut padded = payload.clone();
        padded.push(0);
        assert!(decode_payload(&padded, None, 5)
            .unwrap_err()
            .contains("trailing"));
        assert_eq!(
            decode_payload(&encode_payload(&[]), Some(0), 5).unwrap(),
            vec![]
        );
    }

    #[test]
    fn a_batch_with_a_sender_of_another_validator_is_refused() {
        let keys: Vec<[u8; 32]> = (1..=4u8)
            .map(|i| {
                ed25519_dalek::SigningKey::from_bytes(&[i; 32])
                    .verifying_key()
                    .to_bytes()
            })
            .collect();
        let set = StakeSet::equal(&keys).unwrap();
        let txs: Vec<RecoveredTx> = (1..=12u8).map(|k| tx(k, 0, 5)).collect();
        let owner = set.owner_of(txs[0].sender.as_slice());
        let own: Vec<RecoveredTx> = txs
            .iter()
            .filter(|t| set.owner_of(t.sender.as_slice()) == owner)
            .cloned()
            .collect();
        assert!(check_ownership(&own, owner, &set).is_ok());
        let foreign = txs
            .iter()
            .find(|t| set.owner_of(t.sender.as_slice()) != owner)
            .expect("twelve senders over four validators")
            .clone();
        let mut mixed = own.clone();
        mixed.push(foreign);
        assert!(check_ownership(&mixed, owner, &set)
            .unwrap_err()
            .contains("belongs to validator"));
    }

    #[test]
    fn in_flight_transactions_are_released_once_their_height_is_decided() {
        let mut f = InFlight::default();
        let (a, b) = (tx(1, 0, 5), tx(1, 1, 5));
        f.add(3, std::slice::from_ref(&a));
        f.add(4, std::slice::from_ref(&b));
        assert!(f.hashes().contains(&a.hash) && f.hashes().contains(&b.hash));
        f.release_through(3);
        assert!(!f.hashes().contains(&a.hash));
        assert!(f.hashes().contains(&b.hash));
        f.release_through(9);
        assert!(f.hashes().is_empty());
    }
}
