//! The test applications (compiled fixtures in `tests/fixtures`): `Dispatcher` sends messages
//! through an SPN Mailbox, `RecordingRecipient` records what `handle` was given, `TestToken`
//! is a mintable ERC-20.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes};
use alloy::providers::{DynProvider, Provider};

alloy::sol! {
    #[sol(rpc)]
    interface IDispatcher {
        event Sent(bytes32 indexed id);
        function send(uint32 destination, address recipient, bytes calldata body) external returns (bytes32 id);
        function sendMany(uint32 destination, address recipient, uint256 from, uint256 n) external;
    }

    #[sol(rpc)]
    interface IRecordingRecipient {
        function handled() external view returns (uint256);
        function lastOrigin() external view returns (uint32);
        function lastSender() external view returns (bytes32);
        function lastBody() external view returns (bytes);
        function failing() external view returns (bool);
        function timesHandled(bytes32 body) external view returns (uint256);
        function setFailing(bool on) external;
    }

    #[sol(rpc)]
    interface ITestToken {
        function mint(address to, uint256 amount) external;
        function balanceOf(address account) external view returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
    }
}

/// Creation bytecode of a fixture: `Dispatcher`, `RecordingRecipient` or `TestToken`.
pub fn bytecode(name: &str) -> Result<Bytes, String> {
    let text = match name {
        "Dispatcher" => include_str!("../fixtures/Dispatcher.json"),
        "RecordingRecipient" => include_str!("../fixtures/RecordingRecipient.json"),
        "TestToken" => include_str!("../fixtures/TestToken.json"),
        other => return Err(format!("no fixture {other}")),
    };
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    json["bytecode"]
        .as_str()
        .ok_or("fixture without bytecode")?
        .parse()
        .map_err(|e| format!("fixture bytecode: {e}"))
}

/// Deploys fixture `name` from the provider's wallet and returns its address.
pub async fn deploy(p: &DynProvider, name: &str) -> Result<Address, String> {
    let tx = alloy::rpc::types::TransactionRequest::default().with_deploy_code(bytecode(name)?);
    let receipt = p
        .send_transaction(tx)
        .await
        .map_err(|e| format!("deploying {name}: {e}"))?
        .get_receipt()
        .await
        .map_err(|e| format!("deploying {name}: {e}"))?;
    if !receipt.status() {
        return Err(format!("deploying {name} reverted"));
    }
    receipt
        .contract_address
        .ok_or_else(|| format!("{name}: no contract address"))
}
