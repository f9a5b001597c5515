//! The fixed addresses of the system contracts (`contracts/src/lib/SystemAddresses.sol`,
//! documented in `docs/system-contracts.md`).

use alloy::primitives::{address, Address};

/// SPN records, epochs and finalized checkpoints.
pub const REGISTRY: Address = address!("0000000000000000000000000000000000001001");
/// SPN lifecycle: register, activate, rotate epochs, parameters, freeze, retire.
pub const MANAGEMENT: Address = address!("0000000000000000000000000000000000001002");
/// Native staking; mints the LST.
pub const STAKING: Address = address!("0000000000000000000000000000000000001003");
/// The liquid staking token (ERC-20).
pub const LST: Address = address!("0000000000000000000000000000000000001004");
/// Operators restake the LST to SPNs; slashing.
pub const RESTAKING: Address = address!("0000000000000000000000000000000000001005");
/// Checkpoint verification and message relay.
pub const ADAPTOR: Address = address!("0000000000000000000000000000000000001006");
/// The mainnet Mailbox (Hyperlane message format).
pub const MAILBOX: Address = address!("0000000000000000000000000000000000001007");
/// Deposits, withdrawals, forced withdrawals, freeze and exits.
pub const BRIDGE: Address = address!("0000000000000000000000000000000000001008");

/// The Mailbox every SPN genesis holds.
pub const SPN_MAILBOX: Address = address!("0000000000000000000000000000000000002001");
/// The Bridge every SPN genesis holds.
pub const SPN_BRIDGE: Address = address!("0000000000000000000000000000000000002002");

/// The caller of system calls (revm's `SYSTEM_ADDRESS`): SPN nodes deliver inbound messages
/// to the SPN Mailbox from it.
pub const SYSTEM_CALLER: Address = address!("fffffffffffffffffffffffffffffffffffffffe");

/// The Bridge's token id for the native coin.
pub const NATIVE_TOKEN: Address = address!("EeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE");
