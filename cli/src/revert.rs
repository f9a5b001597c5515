//! Turn a system contract's revert data into a sentence that says what went wrong and what to
//! do next.
//!
//! Errors with one signature in several contracts (`ZeroAmount()`, `SpnNotOpen(uint32)`,
//! `InvalidRecipient()`) share a selector, so their sentences hold for each of them.

use crate::amount::ether;
use alloy::primitives::U256;
use alloy::sol_types::{Panic, Revert, SolError, SolInterface};
use pharos_contracts::{
    bridge::Bridge::BridgeErrors as BridgeE,
    liquid_stake::LiquidStake::LiquidStakeErrors as Erc20E,
    mailbox::Mailbox::MailboxErrors as MailboxE,
    management::Management::ManagementErrors as ManagementE,
    registry::Registry::RegistryErrors as RegistryE,
    restaking::Restaking::RestakingErrors as RestakingE,
    spn_bridge::SpnBridge::SpnBridgeErrors as SpnBridgeE,
    spn_mailbox::SpnMailbox::SpnMailboxErrors as SpnMailboxE,
    staking::Staking::StakingErrors as StakingE,
};
use std::time::{SystemTime, UNIX_EPOCH};

/// The sentence for `data`, the revert output of a system contract (or an ERC-20 token, or a
/// plain `require` message); `None` if it is none of those.
pub fn describe(data: &[u8]) -> Option<String> {
    registry(data)
        .or_else(|| management(data))
        .or_else(|| restaking(data))
        .or_else(|| erc20(data))
        .or_else(|| mailbox(data))
        .or_else(|| bridge(data))
        .or_else(|| spn_bridge(data))
        .or_else(|| spn_mailbox(data))
        .or_else(|| staking(data))
        .or_else(|| plain(data))
}

/// `require(…, "reason")` and Solidity panics.
fn plain(data: &[u8]) -> Option<String> {
    if let Ok(revert) = Revert::abi_decode(data) {
        return Some(format!("revert: {}", revert.reason));
    }
    Panic::abi_decode(data).ok().map(|panic| panic.to_string())
}

/// Registry `Status` values.
pub const REGISTERED: u8 = 1;
/// An SPN that takes deposits, messages and checkpoints.
pub const ACTIVE: u8 = 2;
/// An SPN frozen by the escape hatch.
pub const FROZEN: u8 = 3;
/// An SPN its owner retired (it keeps the escape hatch).
pub const RETIRED: u8 = 4;

/// The name of a Registry `Status` value.
pub fn status_name(status: u8) -> &'static str {
    match status {
        0 => "not registered",
        1 => "Registered",
        2 => "Active",
        3 => "Frozen",
        4 => "Retired",
        _ => "unknown",
    }
}

/// A unix time as "2026-01-31 12:00:00 UTC (unix T, in N min S s)".
pub fn when(unix: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let left = match unix.saturating_sub(now) {
        0 => "now".to_string(),
        s => format!("in {} min {} s", s / 60, s % 60),
    };
    format!("{} (unix {unix}, {left})", utc(unix))
}

/// A unix time as a UTC date and time (the proleptic Gregorian calendar).
fn utc(unix: u64) -> String {
    let (days, secs) = (unix / 86_400, unix % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn registry(data: &[u8]) -> Option<String> {
    Some(match RegistryE::abi_decode(data).ok()? {
        RegistryE::AlreadyRegistered(e) => format!(
            "SPN {} is already registered; choose another spn_id in the config",
            e.spnId
        ),
        RegistryE::UnknownSpn(e) => format!(
            "SPN {} is not registered; register it first with `spn register --config spn.toml`",
            e.spnId
        ),
        other => format!("Registry refused: {other:?}"),
    })
}

fn management(data: &[u8]) -> Option<String> {
    Some(match ManagementE::abi_decode(data).ok()? {
        ManagementE::InvalidSpnId(e) => format!(
            "SPN id {} is not allowed: it must be neither 0 nor the mainnet's chain id; change \
             spn_id in the config",
            e.spnId
        ),
        ManagementE::InvalidName(_) => {
            "the SPN name must have 1 to 64 bytes; change name in the config".into()
        }
        ManagementE::InvalidParams(e) => format!(
            "the mainnet refuses the SPN parameters: {}; change the [register] section of the \
             config (see docs/system-contracts.md for the bounds)",
            e.reason
        ),
        ManagementE::NotOwner(_) => {
            "only the SPN's owner may do this; pass the owner's --private-key".into()
        }
        ManagementE::WrongStatus(e) => format!(
            "the SPN's status ({}) does not allow this",
            status_name(e.status)
        ),
        ManagementE::NotEnoughStake(e) => format!(
            "the SPN has {} lsPHRS restaked and needs {}; restake more with `spn restake`",
            ether(e.stake),
            ether(e.needed)
        ),
        ManagementE::EpochNotOver(e) => format!("the epoch lasts until {}", when(e.endsAt)),
        other => format!("Management refused: {other:?}"),
    })
}

fn restaking(data: &[u8]) -> Option<String> {
    Some(match RestakingE::abi_decode(data).ok()? {
        RestakingE::InvalidKey(_) => "the operator key is zero or already registered by another \
                                      account; use another --operator-key"
            .into(),
        RestakingE::AlreadyRegistered(_) => {
            "this account is already registered as an operator".into()
        }
        RestakingE::InvalidProofOfPossession(_) => {
            "the operator key's proof of possession did not verify; is --operator-key an \
             ed25519 secret key?"
                .into()
        }
        RestakingE::NotOperator(_) => {
            "this account has no operator key yet; pass --operator-key to register one".into()
        }
        RestakingE::SpnNotOpen(e) => format!(
            "SPN {} does not take this now: it is not registered, not active yet (deposits and \
             messages need an active SPN), or frozen or retired",
            e.spnId
        ),
        RestakingE::ZeroAmount(_) => "the amount is zero; give more than 0".into(),
        RestakingE::BelowMinimumStake(e) => format!(
            "an operator holds at least {} lsPHRS in an SPN, or nothing: restake at least that \
             much, or unstake everything",
            ether(e.minimum)
        ),
        RestakingE::InsufficientStake(_) => {
            "the account has less than that restaked in this SPN".into()
        }
        RestakingE::TooManyOperators(_) => {
            "the SPN already has the most operators it may have (256)".into()
        }
        RestakingE::StillUnbonding(e) => format!(
            "the unstaked LST is still unbonding; withdraw it after {}",
            when(e.releaseAt)
        ),
        RestakingE::NothingToWithdraw(_) => "nothing is unstaking from this SPN for this \
                                             account; unstake first with `spn unstake --amount`"
            .into(),
        other => format!("Restaking refused: {other:?}"),
    })
}

fn erc20(data: &[u8]) -> Option<String> {
    Some(match Erc20E::abi_decode(data).ok()? {
        Erc20E::ERC20InsufficientAllowance(e) => format!(
            "the token allowance of {} is {} base units and {} are needed",
            e.spender, e.allowance, e.needed
        ),
        Erc20E::ERC20InsufficientBalance(e) => format!(
            "{} holds {} base units of the token and {} are needed",
            e.sender, e.balance, e.needed
        ),
        other => format!("the token refused: {other:?}"),
    })
}

fn mailbox(data: &[u8]) -> Option<String> {
    Some(match MailboxE::abi_decode(data).ok()? {
        MailboxE::InvalidDestination(e) => format!(
            "domain {} is not a destination here: the mainnet Mailbox sends to active SPNs \
             only, an SPN Mailbox to any domain but 0 and its own",
            e.destination
        ),
        MailboxE::InvalidRecipient(_) => "the recipient must be a non-zero address".into(),
        MailboxE::BodyTooLarge(_) => "the body is larger than 8192 bytes".into(),
        MailboxE::SystemRecipient(e) => format!(
            "{} is a system contract; it receives no messages",
            e.recipient
        ),
        other => format!("the Mailbox refused: {other:?}"),
    })
}

fn bridge(data: &[u8]) -> Option<String> {
    Some(match BridgeE::abi_decode(data).ok()? {
        BridgeE::CodelessToken(e) => format!(
            "{} is not a token contract on the mainnet; pass an ERC-20 address as --token",
            e.token
        ),
        BridgeE::NothingReceived(_) => "the token moved nothing to the Bridge".into(),
        BridgeE::SafeERC20FailedOperation(e) => format!(
            "the token {} refused the transfer; check its balance and allowance",
            e.token
        ),
        other => format!("the Bridge refused: {other:?}"),
    })
}

fn spn_bridge(data: &[u8]) -> Option<String> {
    Some(match SpnBridgeE::abi_decode(data).ok()? {
        SpnBridgeE::InsufficientBalance(e) => format!(
            "the account holds {} of token {} on this SPN and {} are needed",
            fmt_base(e.balance),
            e.token,
            fmt_base(e.needed)
        ),
        other => format!("the SPN Bridge refused: {other:?}"),
    })
}

fn spn_mailbox(data: &[u8]) -> Option<String> {
    Some(match SpnMailboxE::abi_decode(data).ok()? {
        SpnMailboxE::RecipientHasNoCode(e) => format!("{} has no code", e.recipient),
        other => format!("the SPN Mailbox refused: {other:?}"),
    })
}

fn staking(data: &[u8]) -> Option<String> {
    let e = StakingE::abi_decode(data).ok()?;
    Some(format!("Staking refused: {e:?}"))
}

/// Base units with their value in whole 18-decimal units, e.g. `5000000000000000000 (5 ether)`.
fn fmt_base(v: U256) -> String {
    format!("{v} ({} ether)", ether(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pharos_contracts::{management::Management, registry::Registry, restaking::Restaking};

    #[test]
    fn names_the_spn_that_is_already_registered() {
        let data = Registry::AlreadyRegistered { spnId: 7 }.abi_encode();
        assert_eq!(
            describe(&data).unwrap(),
            "SPN 7 is already registered; choose another spn_id in the config"
        );
    }

    #[test]
    fn explains_missing_stake_and_bad_params() {
        let data = Management::NotEnoughStake {
            stake: U256::from(5_000_000_000_000_000_000u128),
            needed: U256::from(10_000_000_000_000_000_000u128),
        }
        .abi_encode();
        let text = describe(&data).unwrap();
        assert!(
            text.contains("5 lsPHRS") && text.contains("needs 10"),
            "{text}"
        );
        let data = Management::InvalidParams {
            reason: "quorumBps must be within 6667..10000".into(),
        }
        .abi_encode();
        assert!(describe(&data).unwrap().contains("[register]"));
        let data = Restaking::NotOperator {}.abi_encode();
        assert!(describe(&data).unwrap().contains("--operator-key"));
    }

    #[test]
    fn times_are_shown_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_767_225_599), "2025-12-31 23:59:59 UTC");
        assert!(when(1).contains("(unix 1, now)"));
    }

    #[test]
    fn reads_plain_require_messages_and_ignores_noise() {
        let data = Revert::from("recipient is failing").abi_encode();
        assert_eq!(
            describe(&data).as_deref(),
            Some("revert: recipient is failing")
        );
        assert_eq!(describe(&[1, 2, 3, 4]), None);
    }
}
