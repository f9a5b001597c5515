//! Resolve block tags, numbers and hashes against the head of a single-sequencer chain.
//!
//! This chain has one sequencer and instant finality, so `safe`, `finalized` and `pending`
//! all mean the head. Only the head's state is kept, so state queries accept the head alone.

use crate::error::{historical_state, server_error, RpcResult};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag};
use spn_primitives::B256;

/// Which state a state query (`eth_getBalance`, `eth_call`, ...) reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateAt {
    /// The head's committed state.
    Latest,
    /// The head's state plus the pool (only `eth_getTransactionCount` tells them apart).
    Pending,
}

/// The block number a tag or number names, given the head.
pub(crate) fn tag_number(tag: BlockNumberOrTag, head: u64) -> u64 {
    match tag {
        BlockNumberOrTag::Latest
        | BlockNumberOrTag::Safe
        | BlockNumberOrTag::Finalized
        | BlockNumberOrTag::Pending => head,
        BlockNumberOrTag::Earliest => 0,
        BlockNumberOrTag::Number(n) => n,
    }
}

/// The stored block a block id names: `None` for unknown hashes and numbers above the head.
pub(crate) fn block_number(
    id: BlockId,
    head: u64,
    by_hash: impl FnOnce(&B256) -> RpcResult<Option<u64>>,
) -> RpcResult<Option<u64>> {
    match id {
        BlockId::Number(tag) => {
            let n = tag_number(tag, head);
            Ok((n <= head).then_some(n))
        }
        BlockId::Hash(h) => Ok(by_hash(&h.block_hash)?.filter(|n| *n <= head)),
    }
}

/// Checks that a state query names the head (or a tag meaning it) and says which state to read.
pub(crate) fn state_at(
    id: Option<BlockId>,
    head: u64,
    by_hash: impl FnOnce(&B256) -> RpcResult<Option<u64>>,
) -> RpcResult<StateAt> {
    let number = match id {
        None => return Ok(StateAt::Latest),
        Some(BlockId::Number(BlockNumberOrTag::Pending)) => return Ok(StateAt::Pending),
        Some(BlockId::Number(tag)) => tag_number(tag, head),
        Some(BlockId::Hash(h)) => match by_hash(&h.block_hash)? {
            Some(n) => n,
            None => {
                return Err(server_error(format!(
                    "header for hash {} not found",
                    h.block_hash
                )))
            }
        },
    };
    match number.cmp(&head) {
        std::cmp::Ordering::Equal => Ok(StateAt::Latest),
        std::cmp::Ordering::Less => Err(historical_state()),
        std::cmp::Ordering::Greater => Err(server_error(format!(
            "header not found: block {number} is above the head {head}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HISTORICAL_STATE;

    fn no_hash(_: &B256) -> RpcResult<Option<u64>> {
        Ok(None)
    }

    fn hash_is_7(_: &B256) -> RpcResult<Option<u64>> {
        Ok(Some(7))
    }

    #[test]
    fn tags_mean_the_head_on_a_single_sequencer_chain() {
        for tag in [
            BlockNumberOrTag::Latest,
            BlockNumberOrTag::Safe,
            BlockNumberOrTag::Finalized,
            BlockNumberOrTag::Pending,
        ] {
            assert_eq!(tag_number(tag, 42), 42);
        }
        assert_eq!(tag_number(BlockNumberOrTag::Earliest, 42), 0);
        assert_eq!(tag_number(BlockNumberOrTag::Number(5), 42), 5);
    }

    #[test]
    fn block_ids_above_the_head_or_unknown_are_none() {
        let id = |n| BlockId::Number(BlockNumberOrTag::Number(n));
        assert_eq!(block_number(id(10), 10, no_hash).unwrap(), Some(10));
        assert_eq!(block_number(id(11), 10, no_hash).unwrap(), None);
        assert_eq!(
            block_number(BlockId::latest(), 10, no_hash).unwrap(),
            Some(10)
        );
        assert_eq!(
            block_number(BlockId::earliest(), 10, no_hash).unwrap(),
            Some(0)
        );
        assert_eq!(
            block_number(BlockId::from(B256::ZERO), 10, no_hash).unwrap(),
            None
        );
        assert_eq!(
            block_number(BlockId::from(B256::ZERO), 10, hash_is_7).unwrap(),
            Some(7)
        );
    }

    #[test]
    fn state_queries_accept_only_the_head() {
        let at = |id, head| state_at(id, head, hash_is_7);
        assert_eq!(at(None, 9).unwrap(), StateAt::Latest);
        assert_eq!(at(Some(BlockId::latest()), 9).unwrap(), StateAt::Latest);
        assert_eq!(at(Some(BlockId::finalized()), 9).unwrap(), StateAt::Latest);
        assert_eq!(at(Some(BlockId::pending()), 9).unwrap(), StateAt::Pending);
        assert_eq!(at(Some(BlockId::number(9)), 9).unwrap(), StateAt::Latest);
        assert_eq!(
            at(Some(BlockId::from(B256::ZERO)), 7).unwrap(),
            StateAt::Latest
        );
        let old = at(Some(BlockId::number(3)), 9).unwrap_err();
        assert_eq!(old.message(), HISTORICAL_STATE);
        let old_hash = at(Some(BlockId::from(B256::ZERO)), 9).unwrap_err();
        assert_eq!(old_hash.message(), HISTORICAL_STATE);
        assert_eq!(at(Some(BlockId::earliest()), 0).unwrap(), StateAt::Latest);
        assert!(at(Some(BlockId::earliest()), 1).is_err());
        assert!(at(Some(BlockId::number(10)), 9).is_err());
        assert!(state_at(Some(BlockId::from(B256::ZERO)), 9, no_hash).is_err());
    }
}
