//! `spn devnet warp 1d`: move a dev mainnet's clock forward and mine a block, so deadlines
//! (forced withdrawals, epochs, unbonding) can be rehearsed in seconds.

use crate::rpc::{call, quantity};
use eyre::{bail, eyre, Result};
use serde_json::json;

/// `spn devnet warp` options.
#[derive(Debug, clap::Args)]
pub struct WarpArgs {
    /// How far: seconds, or with a unit: `90s`, `5m`, `2h`, `1d`.
    #[arg(value_parser = parse_duration)]
    pub duration: u64,
}

/// Seconds in `text`: a bare number, or a number with s / m / h / d.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: e.g. 90, 90s, 5m, 2h, 1d"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`: use s, m, h or d"
            ))
        }
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too long"))
}

/// Warps the dev mainnet at `url` forward by `seconds`.
pub async fn warp(url: &str, seconds: u64, as_json: bool) -> Result<()> {
    let offset = call(url, "evm_increaseTime", json!([seconds]))
        .await
        .map_err(|e| {
            if e.to_string().contains("not found") || e.to_string().contains("-32601") {
                eyre!("{url} cannot warp time: only a dev mainnet (`pharos-node run --dev`) can")
            } else {
                e
            }
        })?;
    call(url, "evm_mine", json!([])).await?;
    let head = call(url, "eth_getBlockByNumber", json!(["latest", false])).await?;
    let number = quantity(&head["number"])?;
    let timestamp = quantity(&head["timestamp"])?;
    let Some(offset) = offset.as_u64() else {
        bail!("evm_increaseTime answered {offset}, not a number of seconds");
    };
    if as_json {
        println!(
            "{}",
            json!({ "warped": seconds, "offset": offset, "block": number, "timestamp": timestamp })
        );
    } else {
        println!(
            "warped     {seconds} s forward (the chain runs {offset} s ahead of this machine's clock)"
        );
        println!("block      #{number} at {}", crate::revert::when(timestamp));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations_parse_with_units_and_refuse_the_rest() {
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("301s"), Ok(301));
        assert_eq!(parse_duration("5m"), Ok(300));
        assert_eq!(parse_duration("2h"), Ok(7_200));
        assert_eq!(parse_duration("1d"), Ok(86_400));
        for bad in ["", "m", "5y", "-1", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
