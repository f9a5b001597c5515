//! Turn node failures, rejections and reverts into the JSON-RPC errors geth clients expect.

use jsonrpsee::types::ErrorObjectOwned;
use spn_execution::CallError;
use spn_primitives::{Bytes, U256};
use std::fmt::Display;

/// The result of an RPC handler.
pub(crate) type RpcResult<T> = Result<T, ErrorObjectOwned>;

/// Invalid method parameters (-32602).
pub(crate) const INVALID_PARAMS: i32 = -32602;
/// Internal node failure (-32603).
pub(crate) const INTERNAL_ERROR: i32 = -32603;
/// Generic server error: rejected transactions, unknown blocks, failed calls (-32000).
pub(crate) const SERVER_ERROR: i32 = -32000;
/// A request exceeds a limit of this server (EIP-1474 "limit exceeded", -32005).
pub(crate) const LIMIT_EXCEEDED: i32 = -32005;
/// Execution reverted (geth and anvil use code 3 and put the revert bytes in `data`).
pub(crate) const EXECUTION_REVERTED: i32 = 3;

/// The message for state queries at any block but the head.
pub(crate) const HISTORICAL_STATE: &str = "historical state is not available; use latest";

const ERROR_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
const PANIC_SELECTOR: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];

/// An error with `code` and `message` and no data.
pub(crate) fn rpc_err(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// Invalid parameters (-32602).
pub(crate) fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    rpc_err(INVALID_PARAMS, message)
}

/// A generic server error (-32000) such as a rejected transaction.
pub(crate) fn server_error(message: impl Into<String>) -> ErrorObjectOwned {
    rpc_err(SERVER_ERROR, message)
}

/// The node failed (database, task): -32603, logged because it is never the client's fault.
pub(crate) fn internal(error: impl Display) -> ErrorObjectOwned {
    tracing::error!(%error, "RPC request failed inside the node");
    rpc_err(INTERNAL_ERROR, format!("internal error: {error}"))
}

/// A state query at a block whose state this node no longer keeps.
pub(crate) fn historical_state() -> ErrorObjectOwned {
    server_error(HISTORICAL_STATE)
}

/// A request exceeds a configured limit (-32005).
pub(crate) fn limit_exceeded(message: impl Into<String>) -> ErrorObjectOwned {
    rpc_err(LIMIT_EXCEEDED, message)
}

/// The revert error: code 3, `execution reverted[: reason]`, and the raw revert bytes as data.
pub(crate) fn revert(output: &Bytes) -> ErrorObjectOwned {
    let message = match decode_revert_reason(output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    };
    ErrorObjectOwned::owned(EXECUTION_REVERTED, message, Some(output.to_string()))
}

/// Maps a failed `eth_call` / `eth_estimateGas` to its JSON-RPC error. `estimate_cap` is the
/// gas allowance of an estimate (running out of gas at it is reported the way geth does).
pub(crate) fn call_error(error: CallError, estimate_cap: Option<u64>) -> ErrorObjectOwned {
    match error {
        CallError::Revert { output } => revert(&output),
        CallError::Halt(reason) => server_error(halt_message(&reason, estimate_cap)),
        CallError::Invalid(message) => server_error(invalid_message(&message)),
        CallError::Exec(e) => internal(e),
    }
}

/// geth's wording for an EVM halt, from revm's `HaltReason` debug text.
pub(crate) fn halt_message(reason: &str, estimate_cap: Option<u64>) -> String {
    if reason.starts_with("OutOfGas") {
        return match estimate_cap {
            Some(cap) => format!("gas required exceeds allowance ({cap})"),
            None => "out of gas".to_string(),
        };
    }
    let known = match reason {
        "OpcodeNotFound" => Some("invalid opcode"),
        "InvalidFEOpcode" => Some("invalid opcode: INVALID"),
        "InvalidJump" => Some("invalid jump destination"),
        "StackUnderflow" => Some("stack underflow"),
        "StackOverflow" => Some("stack limit reached 1024"),
        "CreateCollision" => Some("contract address collision"),
        "CreateContractSizeLimit" => Some("max code size exceeded"),
        "CreateContractStartingWithEF" => Some("invalid code: must not begin with 0xef"),
        "CreateInitCodeSizeLimit" => Some("max initcode size exceeded"),
        "StateChangeDuringStaticCall" => Some("write protection"),
        "CallTooDeep" => Some("max call depth exceeded"),
        "OutOfFunds" => Some("insufficient balance for transfer"),
        _ => None,
    };
    match known {
        Some(m) => m.to_string(),
        None => format!("execution halted: {reason}"),
    }
}

/// geth's wording for a call that is not a valid transaction, from revm's message.
pub(crate) fn invalid_message(message: &str) -> String {
    if message.starts_with("lack of funds") {
        format!("insufficient funds for gas * price + value: {message}")
    } else if message.contains("gas price is less than basefee") {
        format!("max fee per gas less than block base fee: {message}")
    } else if message.contains("call gas cost") || message.contains("gas floor") {
        format!("intrinsic gas too low: {message}")
    } else {
        message.to_string()
    }
}

/// The human-readable reason in revert data: `Error(string)`'s text or `Panic(uint256)`'s meaning.
pub fn decode_revert_reason(data: &[u8]) -> Option<String> {
    let (selector, body) = (data.get(..4)?, data.get(4..)?);
    if selector == ERROR_SELECTOR {
        decode_abi_string(body)
    } else if selector == PANIC_SELECTOR {
        let code = U256::try_from_be_slice(body.get(..32)?)?;
        Some(panic_reason(code))
    } else {
        None
    }
}

fn word_to_usize(word: &[u8]) -> Option<usize> {
    usize::try_from(U256::try_from_be_slice(word)?).ok()
}

/// Decodes a single ABI-encoded `string` (head offset, then length and bytes).
fn decode_abi_string(body: &[u8]) -> Option<String> {
    let offset = word_to_usize(body.get(..32)?)?;
    let len_end = offset.checked_add(32)?;
    let len = word_to_usize(body.get(offset..len_end)?)?;
    let bytes = body.get(len_end..len_end.checked_add(len)?)?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

fn panic_reason(code: U256) -> String {
    let known = match u64::try_from(code).unwrap_or(u64::MAX) {
        0x00 => "generic panic",
        0x01 => "assert(false)",
        0x11 => "arithmetic underflow or overflow",
        0x12 => "division or modulo by zero",
        0x21 => "enum overflow",
        0x22 => "invalid encoded storage byte array accessed",
        0x31 => "out-of-bounds array access; popping on an empty array",
        0x32 => "out-of-bounds access of an array or bytesN",
        0x41 => "out of memory",
        0x51 => "uninitialized function",
        _ => return format!("unknown panic code: {code:#x}"),
    };
    known.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::primitives::hex;

    fn error_string(reason: &str) -> Vec<u8> {
        let mut out = ERROR_SELECTOR.to_vec();
        out.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        out.extend_from_slice(&U256::from(reason.len()).to_be_bytes::<32>());
        let mut padded = reason.as_bytes().to_vec();
        padded.resize(reason.len().div_ceil(32) * 32, 0);
        out.extend_from_slice(&padded);
        out
    }

    #[test]
    fn decodes_error_string() {
        let data = error_string("not enough tokens");
        assert_eq!(
            decode_revert_reason(&data).as_deref(),
            Some("not enough tokens")
        );
        let err = revert(&Bytes::from(data.clone()));
        assert_eq!(err.code(), 3);
        assert_eq!(err.message(), "execution reverted: not enough tokens");
        let expected = format!("\"0x{}\"", hex::encode(&data));
        assert_eq!(err.data().map(|d| d.get()), Some(expected.as_str()));
    }

    #[test]
    fn decodes_known_solidity_encoding() {
        // `require(false, "Ownable: caller is not the owner")` as emitted by solc.
        let data = hex::decode(
            "08c379a0\
             0000000000000000000000000000000000000000000000000000000000000020\
             0000000000000000000000000000000000000000000000000000000000000020\
             4f776e61626c653a2063616c6c6572206973206e6f7420746865206f776e6572",
        )
        .unwrap();
        assert_eq!(
            decode_revert_reason(&data).as_deref(),
            Some("Ownable: caller is not the owner")
        );
    }

    #[test]
    fn decodes_panic_codes() {
        let mut data = PANIC_SELECTOR.to_vec();
        data.extend_from_slice(&U256::from(0x11).to_be_bytes::<32>());
        assert_eq!(
            decode_revert_reason(&data).as_deref(),
            Some("arithmetic underflow or overflow")
        );
        data.truncate(4);
        data.extend_from_slice(&U256::from(0x99).to_be_bytes::<32>());
        assert_eq!(
            decode_revert_reason(&data).as_deref(),
            Some("unknown panic code: 0x99")
        );
    }

    #[test]
    fn no_reason_for_empty_custom_or_malformed_data() {
        assert_eq!(decode_revert_reason(&[]), None);
        assert_eq!(decode_revert_reason(&[0x08, 0xc3]), None);
        // A custom error `Unauthorized()`.
        assert_eq!(decode_revert_reason(&[0x82, 0xb4, 0x29, 0x00]), None);
        // Error(string) with an offset pointing far outside the data.
        let mut bad = ERROR_SELECTOR.to_vec();
        bad.extend_from_slice(&U256::MAX.to_be_bytes::<32>());
        assert_eq!(decode_revert_reason(&bad), None);
        // Length larger than the data.
        let mut short = error_string("abc");
        short.truncate(4 + 64 + 1);
        assert_eq!(decode_revert_reason(&short), None);
        let err = revert(&Bytes::new());
        assert_eq!(err.message(), "execution reverted");
        assert_eq!(err.data().map(|d| d.get()), Some("\"0x\""));
    }

    #[test]
    fn maps_halts_and_invalid_calls_like_geth() {
        assert_eq!(halt_message("OutOfGas(Basic)", None), "out of gas");
        assert_eq!(
            halt_message("OutOfGas(Memory)", Some(30_000_000)),
            "gas required exceeds allowance (30000000)"
        );
        assert_eq!(
            halt_message("InvalidFEOpcode", None),
            "invalid opcode: INVALID"
        );
        assert_eq!(halt_message("Weird", None), "execution halted: Weird");
        assert!(invalid_message("lack of funds (0) for max fee (21000)")
            .starts_with("insufficient funds for gas * price + value"));
        assert_eq!(
            invalid_message("nonce 1 too low, expected 2"),
            "nonce 1 too low, expected 2"
        );
    }
}
