//! Run `eth_call` and `eth_estimateGas` on the blocking pool against the head's state.

use crate::error::{call_error, invalid_params, RpcResult};
use crate::handler::Handler;
use alloy_rpc_types_eth::{BlockId, TransactionRequest};
use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use serde_json::Value;
use spn_execution::CallRequest;
use spn_primitives::primitives::U64;
use spn_primitives::{Bytes, TxKind};

/// The execution part of the `eth` namespace.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthCallApi {
    /// Executes a call against the head's state and returns its output.
    #[method(name = "call")]
    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<Value>,
        block_overrides: Option<Value>,
    ) -> RpcResult<Bytes>;

    /// The least gas limit with which the transaction succeeds against the head's state.
    #[method(name = "estimateGas")]
    async fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<Value>,
    ) -> RpcResult<U64>;
}

/// Checks a call request the way geth does and converts it for the executor.
pub(crate) fn call_request(req: TransactionRequest, chain_id: u64) -> RpcResult<CallRequest> {
    if req
        .blob_versioned_hashes
        .as_ref()
        .is_some_and(|h| !h.is_empty())
        || req.max_fee_per_blob_gas.is_some()
        || req.sidecar.is_some()
    {
        return Err(invalid_params("blob transactions are not supported"));
    }
    if req
        .authorization_list
        .as_ref()
        .is_some_and(|a| !a.is_empty())
    {
        return Err(invalid_params("set-code transactions are not supported"));
    }
    if let Some(id) = req.chain_id {
        if id != chain_id {
            return Err(invalid_params(format!(
                "chainId does not match node's (have={id}, want={chain_id})"
            )));
        }
    }
    if req.gas_price.is_some()
        && (req.max_fee_per_gas.is_some() || req.max_priority_fee_per_gas.is_some())
    {
        return Err(invalid_params(
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
        ));
    }
    let input = req.input.try_into_unique_input().map_err(|_| {
        invalid_params(
            "both \"data\" and \"input\" are set and not equal. \
             Please use \"input\" to pass transaction call data",
        )
    })?;
    Ok(CallRequest {
        from: req.from,
        to: match req.to {
            Some(TxKind::Call(to)) => Some(to),
            Some(TxKind::Create) | None => None,
        },
        gas: req.gas,
        gas_price: req.gas_price,
        max_fee_per_gas: req.max_fee_per_gas,
        max_priority_fee_per_gas: req.max_priority_fee_per_gas,
        value: req.value,
        input: input.unwrap_or_default(),
        nonce: req.nonce,
        access_list: req.access_list,
    })
}

/// Refuses state or block overrides (this node does not apply them); `null` and `{}` pass.
pub(crate) fn reject_overrides(what: &str, value: Option<&Value>) -> RpcResult<()> {
    match value {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(map)) if map.is_empty() => Ok(()),
        Some(_) => Err(invalid_params(format!(
            "{what} overrides are not supported"
        ))),
    }
}

#[async_trait]
impl EthCallApiServer for Handler {
    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<Value>,
        block_overrides: Option<Value>,
    ) -> RpcResult<Bytes> {
        reject_overrides("state", state_overrides.as_ref())?;
        reject_overrides("block", block_overrides.as_ref())?;
        let req = call_request(request, self.backend.chain_id())?;
        self.blocking(move |h| {
            h.state_at(block)?;
            let env = h.backend.next_block_input();
            let state = h.store().snapshot_state();
            h.backend
                .executor()
                .call(&state, &env, &req, h.config.call_gas_cap)
                .map(|outcome| outcome.output)
                .map_err(|e| call_error(e, None))
        })
        .await
    }

    async fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<Value>,
    ) -> RpcResult<U64> {
        reject_overrides("state", state_overrides.as_ref())?;
        let req = call_request(request, self.backend.chain_id())?;
        self.blocking(move |h| {
            h.state_at(block)?;
            let cap = h.config.call_gas_cap;
            let allowance = req.gas.map_or(cap, |g| g.min(cap));
            let env = h.backend.next_block_input();
            let state = h.store().snapshot_state();
            h.backend
                .executor()
                .estimate_gas(&state, &env, &req, cap)
                .map(U64::from)
                .map_err(|e| call_error(e, Some(allowance)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_rpc_types_eth::TransactionInput;
    use spn_primitives::{Address, U256};

    fn parse(json: &str) -> RpcResult<CallRequest> {
        let req: TransactionRequest = serde_json::from_str(json).unwrap();
        call_request(req, 7)
    }

    #[test]
    fn converts_a_plain_call() {
        let req = parse(
            r#"{"from":"0x1111111111111111111111111111111111111111",
                "to":"0x2222222222222222222222222222222222222222",
                "gas":"0x5208","value":"0x10","data":"0xabcd","nonce":"0x3"}"#,
        )
        .unwrap();
        assert_eq!(req.from, Some(Address::repeat_byte(0x11)));
        assert_eq!(req.to, Some(Address::repeat_byte(0x22)));
        assert_eq!(req.gas, Some(21_000));
        assert_eq!(req.value, Some(U256::from(16)));
        assert_eq!(req.input, Bytes::from_static(&[0xab, 0xcd]));
        assert_eq!(req.nonce, Some(3));
    }

    #[test]
    fn a_request_without_to_creates() {
        let req = parse(r#"{"input":"0x6000"}"#).unwrap();
        assert_eq!(req.to, None);
        assert_eq!(req.input, Bytes::from_static(&[0x60, 0x00]));
    }

    #[test]
    fn rejects_what_geth_rejects() {
        let conflicting = TransactionRequest {
            input: TransactionInput {
                input: Some(Bytes::from_static(&[1])),
                data: Some(Bytes::from_static(&[2])),
            },
            ..Default::default()
        };
        assert_eq!(call_request(conflicting, 7).unwrap_err().code(), -32602);
        assert!(parse(r#"{"chainId":"0x1"}"#).is_err());
        assert!(parse(r#"{"chainId":"0x7"}"#).is_ok());
        assert!(parse(r#"{"gasPrice":"0x1","maxFeePerGas":"0x2"}"#).is_err());
        assert!(parse(r#"{"maxFeePerBlobGas":"0x1"}"#).is_err());
    }

    #[test]
    fn overrides_are_refused_unless_empty() {
        assert!(reject_overrides("state", None).is_ok());
        assert!(reject_overrides("state", Some(&Value::Null)).is_ok());
        assert!(reject_overrides("state", Some(&serde_json::json!({}))).is_ok());
        let some =
            serde_json::json!({"0x1111111111111111111111111111111111111111": {"balance": "0x1"}});
        let err = reject_overrides("state", Some(&some)).unwrap_err();
        assert_eq!(err.message(), "state overrides are not supported");
    }
}
