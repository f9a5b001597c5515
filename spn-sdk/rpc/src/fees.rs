//! Suggest fees and report fee history from the base fees and tips of stored blocks.

use crate::block_tag::tag_number;
use crate::error::{internal, invalid_params, server_error, RpcResult};
use crate::handler::Handler;
use alloy_rpc_types_eth::{BlockNumberOrTag, FeeHistory, Index, TxGasAndReward};
use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use spn_primitives::{Transaction, U256};

/// Most blocks one `eth_feeHistory` call covers (geth's limit).
pub(crate) const MAX_FEE_HISTORY_BLOCKS: u64 = 1_024;
/// Most reward percentiles one `eth_feeHistory` call may ask for.
pub(crate) const MAX_PERCENTILES: usize = 100;

/// The fee part of the `eth` namespace.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthFeesApi {
    /// The next block's base fee plus the suggested priority fee.
    #[method(name = "gasPrice")]
    fn gas_price(&self) -> RpcResult<U256>;

    /// The suggested priority fee.
    #[method(name = "maxPriorityFeePerGas")]
    fn max_priority_fee_per_gas(&self) -> RpcResult<U256>;

    /// Base fees, gas used ratios and tip percentiles of up to 1024 blocks ending at `newest`.
    #[method(name = "feeHistory")]
    async fn fee_history(
        &self,
        block_count: Index,
        newest: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
}

/// Checks that percentiles are within 0..=100 and never decrease.
pub(crate) fn validate_percentiles(percentiles: &[f64]) -> RpcResult<()> {
    if percentiles.len() > MAX_PERCENTILES {
        return Err(invalid_params(format!(
            "too many reward percentiles: {}, maximum is {MAX_PERCENTILES}",
            percentiles.len()
        )));
    }
    let mut previous = 0.0;
    for (i, p) in percentiles.iter().enumerate() {
        if !(0.0..=100.0).contains(p) {
            return Err(invalid_params(format!("invalid reward percentile: {p}")));
        }
        if i > 0 && *p < previous {
            return Err(invalid_params(format!(
                "invalid reward percentile: #{}:{previous} > #{i}:{p}",
                i - 1
            )));
        }
        previous = *p;
    }
    Ok(())
}

/// The oldest block of a history of `count` blocks ending at `newest` (count already capped).
pub(crate) fn oldest_block(newest: u64, count: u64) -> u64 {
    (newest + 1).saturating_sub(count)
}

/// `gasUsed / gasLimit` of a block (0 for a zero limit).
pub(crate) fn gas_used_ratio(gas_used: u64, gas_limit: u64) -> f64 {
    if gas_limit == 0 {
        0.0
    } else {
        gas_used as f64 / gas_limit as f64
    }
}

/// The tip at each percentile of the block's gas, geth's algorithm: transactions sorted by
/// tip, and for each percentile the tip of the transaction in which that share of gas is spent.
pub(crate) fn block_rewards(
    block_gas_used: u64,
    mut txs: Vec<TxGasAndReward>,
    percentiles: &[f64],
) -> Vec<u128> {
    if txs.is_empty() {
        return vec![0; percentiles.len()];
    }
    txs.sort_unstable();
    let mut index = 0;
    let mut sum = txs[0].gas_used;
    percentiles
        .iter()
        .map(|p| {
            let threshold = (block_gas_used as f64 * p / 100.0) as u64;
            while sum < threshold && index + 1 < txs.len() {
                index += 1;
                sum = sum.saturating_add(txs[index].gas_used);
            }
            txs[index].reward
        })
        .collect()
}

impl Handler {
    fn history(
        &self,
        count: u64,
        newest: BlockNumberOrTag,
        percentiles: &[f64],
    ) -> RpcResult<FeeHistory> {
        let head = self.head()?;
        let newest = tag_number(newest, head);
        if newest > head {
            return Err(server_error(format!(
                "request beyond head block: requested {newest}, head {head}"
            )));
        }
        let count = count.min(MAX_FEE_HISTORY_BLOCKS).min(newest + 1);
        if count == 0 {
            return Ok(FeeHistory::default());
        }
        let oldest = oldest_block(newest, count);
        let mut history = FeeHistory {
            oldest_block: oldest,
            reward: (!percentiles.is_empty()).then(Vec::new),
            ..Default::default()
        };
        for number in oldest..=newest {
            let Some(block) = self.block(number)? else {
                return Err(internal(format!(
                    "block {number} is missing from the store"
                )));
            };
            let header = &block.header;
            history.base_fee_per_gas.push(block.base_fee().into());
            history
                .gas_used_ratio
                .push(gas_used_ratio(header.gas_used, header.gas_limit));
            if let Some(rewards) = history.reward.as_mut() {
                let receipts = self
                    .store()
                    .receipts(number)
                    .map_err(internal)?
                    .unwrap_or_default();
                let txs = block
                    .transactions
                    .iter()
                    .zip(&receipts)
                    .map(|(tx, r)| TxGasAndReward {
                        gas_used: r.gas_used,
                        reward: tx
                            .envelope
                            .effective_tip_per_gas(block.base_fee())
                            .unwrap_or_default(),
                    })
                    .collect();
                rewards.push(block_rewards(header.gas_used, txs, percentiles));
            }
        }
        let next_base_fee = if newest == head {
            self.backend.next_block_input().base_fee
        } else {
            self.header(newest + 1)?
                .and_then(|(h, _)| h.base_fee_per_gas)
                .unwrap_or_default()
        };
        history.base_fee_per_gas.push(next_base_fee.into());
        Ok(history)
    }
}

#[async_trait]
impl EthFeesApiServer for Handler {
    fn gas_price(&self) -> RpcResult<U256> {
        let base_fee = u128::from(self.backend.next_block_input().base_fee);
        let tip = self.backend.suggested_priority_fee();
        Ok(U256::from(base_fee.saturating_add(tip)))
    }

    fn max_priority_fee_per_gas(&self) -> RpcResult<U256> {
        Ok(U256::from(self.backend.suggested_priority_fee()))
    }

    async fn fee_history(
        &self,
        block_count: Index,
        newest: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        let percentiles = reward_percentiles.unwrap_or_default();
        validate_percentiles(&percentiles)?;
        let count = block_count.0 as u64;
        self.blocking(move |h| h.history(count, newest, &percentiles))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(gas_used: u64, reward: u128) -> TxGasAndReward {
        TxGasAndReward { gas_used, reward }
    }

    #[test]
    fn rewards_follow_gas_weighted_percentiles() {
        // Tips 1, 5, 10 with gas 21k, 50k, 29k: 100k total.
        let txs = vec![tx(50_000, 5), tx(21_000, 1), tx(29_000, 10)];
        let r = block_rewards(100_000, txs, &[0.0, 10.0, 21.0, 22.0, 71.0, 72.0, 100.0]);
        assert_eq!(r, vec![1, 1, 1, 5, 5, 10, 10]);
    }

    #[test]
    fn empty_blocks_reward_zero() {
        assert_eq!(block_rewards(0, Vec::new(), &[25.0, 75.0]), vec![0, 0]);
        assert!(block_rewards(0, Vec::new(), &[]).is_empty());
    }

    #[test]
    fn percentiles_must_be_in_range_and_sorted() {
        assert!(validate_percentiles(&[]).is_ok());
        assert!(validate_percentiles(&[0.0, 25.0, 25.0, 100.0]).is_ok());
        assert!(validate_percentiles(&[-1.0]).is_err());
        assert!(validate_percentiles(&[101.0]).is_err());
        assert!(validate_percentiles(&[50.0, 10.0]).is_err());
        assert!(validate_percentiles(&[f64::NAN]).is_err());
        assert!(validate_percentiles(&vec![1.0; 101]).is_err());
    }

    #[test]
    fn ranges_and_ratios() {
        assert_eq!(oldest_block(10, 4), 7);
        assert_eq!(oldest_block(2, 3), 0);
        assert_eq!(oldest_block(0, 1), 0);
        assert_eq!(gas_used_ratio(15_000_000, 30_000_000), 0.5);
        assert_eq!(gas_used_ratio(1, 0), 0.0);
    }

    #[test]
    fn history_serializes_like_geth() {
        let h = FeeHistory {
            base_fee_per_gas: vec![7, 8],
            gas_used_ratio: vec![0.5],
            oldest_block: 3,
            reward: Some(vec![vec![1, 2]]),
            ..Default::default()
        };
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(json["baseFeePerGas"], serde_json::json!(["0x7", "0x8"]));
        assert_eq!(json["oldestBlock"], "0x3");
        assert_eq!(json["reward"], serde_json::json!([["0x1", "0x2"]]));
    }
}
